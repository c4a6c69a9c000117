/*
 * add.c - int8 ADD with broadcasting, bit-exact with TFLM
 * reference_integer_ops::Add / BroadcastAdd*DSlow (AddFunc).
 *
 * Each input is offset by its negated zero point, shifted left by left_shift
 * (20 for int8) and scaled to a common scale; the sum is scaled to the output,
 * offset by the output zero point and clamped. Shapes are right-aligned to 4-D
 * (leading 1s, numpy style); a dim of 1 broadcasts (stride 0).
 */
#include "host_fast.h"

static void add_row(const int8_t *a, size_t a_step, const int8_t *b, size_t b_step, int8_t *out,
                    size_t n, const int32_t *p) {
#if EDLA_FAST_KERNELS
    if (a_step == 1 && b_step == 1 && edla_fast_add(a, b, out, n, p)) {
        return;
    }
#endif
    const int32_t scale = (int32_t)1 << p[ADD_P_LEFT_SHIFT];
    for (size_t i = 0; i < n; ++i) {
        const int32_t sum =
            ku_scaled_input(a[i * a_step], p[ADD_P_INPUT1_OFFSET], scale,
                            p[ADD_P_INPUT1_MULTIPLIER], p[ADD_P_INPUT1_SHIFT]) +
            ku_scaled_input(b[i * b_step], p[ADD_P_INPUT2_OFFSET], scale,
                            p[ADD_P_INPUT2_MULTIPLIER], p[ADD_P_INPUT2_SHIFT]);
        const int32_t v = multiply_by_quantized_multiplier_smaller_than_one(
                              sum, p[ADD_P_OUTPUT_MULTIPLIER], p[ADD_P_OUTPUT_SHIFT]) +
                          p[ADD_P_OUTPUT_OFFSET];
        out[i] = (int8_t)ku_clamp(v, p[ADD_P_ACT_MIN], p[ADD_P_ACT_MAX]);
    }
}

edla_status edla_check_add(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_broadcast_op(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    /* left_shift <= 22 keeps both scaled inputs and their sum inside int32 */
    if (!ku_add_params_ok(op->p, 22) ||
        !ku_scale_below_one_ok(op->p[ADD_P_OUTPUT_MULTIPLIER], op->p[ADD_P_OUTPUT_SHIFT])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

void edla_eval_add(const edla_model *model, const edla_op *op, uint8_t *scratch,
                   edla_counters *counters) {
    (void)counters; /* ADD performs no MACs */
    ku_broadcast_rows(model, op, scratch, add_row);
}
