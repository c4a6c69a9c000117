/*
 * add.c - int8 ADD with broadcasting, bit-exact with TFLM
 * reference_integer_ops::Add / BroadcastAdd*DSlow (AddFunc).
 *
 * Each input is offset by its negated zero point, shifted left by left_shift
 * (20 for int8) and scaled to a common scale; the sum is scaled to the output,
 * offset by the output zero point and clamped. Shapes are right-aligned to 4-D
 * (leading 1s, numpy style); a dim of 1 broadcasts (stride 0).
 */
#include "kernel_util.h"

enum { IN_A, IN_B, N_INPUTS };

/* Dims right-aligned into 4 (leading 1s), as TFLite extends shapes. */
static void extended_dims(const edla_tensor *t, int32_t d[4]) {
    const unsigned lead = 4u - t->rank;
    for (unsigned i = 0; i < 4; ++i) {
        d[i] = i < lead ? 1 : t->dims[i - lead];
    }
}

/* Element strides of an input over the output's 4 dims; 0 where it broadcasts. */
static void broadcast_strides(const int32_t d[4], size_t s[4]) {
    size_t stride = 1;
    for (int i = 3; i >= 0; --i) {
        s[i] = d[i] == 1 ? 0 : stride;
        stride *= (size_t)d[i];
    }
}

static int scale_ok(int32_t multiplier, int32_t shift) {
    return multiplier >= 0 && shift >= -31 && shift <= 0;
}

edla_status edla_check_add(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_operands(op, N_INPUTS, 0);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *a = edla_in(model, op, IN_A);
    const edla_tensor *b = edla_in(model, op, IN_B);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_int8_io_ok(a, out) || b->dtype != EDLA_INT8) {
        return EDLA_ERR_OPERAND;
    }
    if (a->rank < 1 || a->rank > 4 || b->rank < 1 || b->rank > 4 || out->rank < 1 ||
        out->rank > 4) {
        return EDLA_ERR_PARAM;
    }
    int32_t da[4], db[4], dout[4];
    extended_dims(a, da);
    extended_dims(b, db);
    extended_dims(out, dout);
    for (unsigned i = 0; i < 4; ++i) {
        if (dout[i] < 1 || (da[i] != dout[i] && da[i] != 1) || (db[i] != dout[i] && db[i] != 1)) {
            return EDLA_ERR_PARAM;
        }
    }
    /* Offsets within the int8 zero-point range and left_shift <= 22 keep
     * (x + offset) << left_shift and the sum of both scaled inputs inside int32;
     * shifts are TFLM "smaller than one" exponents (<= 0). */
    const int32_t *p = op->p;
    if (p[ADD_P_LEFT_SHIFT] < 0 || p[ADD_P_LEFT_SHIFT] > 22 ||
        !ku_input_offset_ok(p[ADD_P_INPUT1_OFFSET]) ||
        !ku_input_offset_ok(p[ADD_P_INPUT2_OFFSET]) ||
        !ku_output_offset_ok(p[ADD_P_OUTPUT_OFFSET]) ||
        !scale_ok(p[ADD_P_INPUT1_MULTIPLIER], p[ADD_P_INPUT1_SHIFT]) ||
        !scale_ok(p[ADD_P_INPUT2_MULTIPLIER], p[ADD_P_INPUT2_SHIFT]) ||
        !scale_ok(p[ADD_P_OUTPUT_MULTIPLIER], p[ADD_P_OUTPUT_SHIFT]) ||
        !ku_act_range_ok(p[ADD_P_ACT_MIN], p[ADD_P_ACT_MAX])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

void edla_eval_add(const edla_model *model, const edla_op *op, uint8_t *scratch,
                   edla_counters *counters) {
    (void)counters; /* ADD performs no MACs */
    const int8_t *a = (const int8_t *)edla_in_data(model, op, scratch, IN_A);
    const int8_t *b = (const int8_t *)edla_in_data(model, op, scratch, IN_B);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    int32_t da[4], db[4], dout[4];
    size_t sa[4], sb[4];
    extended_dims(edla_in(model, op, IN_A), da);
    extended_dims(edla_in(model, op, IN_B), db);
    extended_dims(edla_out(model, op, 0), dout);
    broadcast_strides(da, sa);
    broadcast_strides(db, sb);

    const int32_t *p = op->p;
    const int left_shift = (int)p[ADD_P_LEFT_SHIFT];
    const int32_t offset_a = p[ADD_P_INPUT1_OFFSET], offset_b = p[ADD_P_INPUT2_OFFSET];
    const int32_t mult_a = p[ADD_P_INPUT1_MULTIPLIER], shift_a = p[ADD_P_INPUT1_SHIFT];
    const int32_t mult_b = p[ADD_P_INPUT2_MULTIPLIER], shift_b = p[ADD_P_INPUT2_SHIFT];
    const int32_t mult_out = p[ADD_P_OUTPUT_MULTIPLIER], shift_out = p[ADD_P_OUTPUT_SHIFT];
    const int32_t output_offset = p[ADD_P_OUTPUT_OFFSET];
    const int32_t act_min = p[ADD_P_ACT_MIN], act_max = p[ADD_P_ACT_MAX];
    const int32_t scale = (int32_t)1 << left_shift;

    for (int32_t i0 = 0; i0 < dout[0]; ++i0) {
        for (int32_t i1 = 0; i1 < dout[1]; ++i1) {
            for (int32_t i2 = 0; i2 < dout[2]; ++i2) {
                const int8_t *pa = a + (size_t)i0 * sa[0] + (size_t)i1 * sa[1] + (size_t)i2 * sa[2];
                const int8_t *pb = b + (size_t)i0 * sb[0] + (size_t)i1 * sb[1] + (size_t)i2 * sb[2];
                for (int32_t i3 = 0; i3 < dout[3]; ++i3) {
                    const int32_t xa = (pa[(size_t)i3 * sa[3]] + offset_a) * scale;
                    const int32_t xb = (pb[(size_t)i3 * sb[3]] + offset_b) * scale;
                    const int32_t sum =
                        multiply_by_quantized_multiplier_smaller_than_one(xa, mult_a, shift_a) +
                        multiply_by_quantized_multiplier_smaller_than_one(xb, mult_b, shift_b);
                    const int32_t v = multiply_by_quantized_multiplier_smaller_than_one(
                                          sum, mult_out, shift_out) +
                                      output_offset;
                    *out++ = (int8_t)ku_clamp(v, act_min, act_max);
                }
            }
        }
    }
}
