/*
 * prelu.c - int8 PRELU with a broadcast alpha tensor (typically one slope per
 * channel), bit-exact with TFLM reference_ops::Prelu / BroadcastPrelu4DSlow.
 *
 * x + input_offset >= 0 is requantized alone (the positive multiplier); below
 * zero it is multiplied by alpha + alpha_offset first (the negative
 * multiplier carries input_scale * alpha_scale / output_scale).
 */
#include "kernel_util.h"

static void prelu_row(const int8_t *x, size_t x_step, const int8_t *alpha, size_t alpha_step,
                      int8_t *out, size_t n, const int32_t *p) {
    for (size_t i = 0; i < n; ++i) {
        const int32_t v = x[i * x_step] + p[PRELU_P_INPUT_OFFSET];
        const int32_t scaled =
            v >= 0 ? requantize(v, p[PRELU_P_POS_MULTIPLIER], p[PRELU_P_POS_SHIFT])
                   : requantize(v * (alpha[i * alpha_step] + p[PRELU_P_ALPHA_OFFSET]),
                                p[PRELU_P_NEG_MULTIPLIER], p[PRELU_P_NEG_SHIFT]);
        out[i] = (int8_t)ku_clamp(scaled + p[PRELU_P_OUTPUT_OFFSET], -128, 127);
    }
}

edla_status edla_check_prelu(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_broadcast_op(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const int32_t *p = op->p;
    if (!ku_input_offset_ok(p[PRELU_P_INPUT_OFFSET]) ||
        !ku_input_offset_ok(p[PRELU_P_ALPHA_OFFSET]) ||
        !ku_output_offset_ok(p[PRELU_P_OUTPUT_OFFSET]) ||
        !ku_requant_ok(p[PRELU_P_POS_MULTIPLIER], p[PRELU_P_POS_SHIFT]) ||
        !ku_requant_ok(p[PRELU_P_NEG_MULTIPLIER], p[PRELU_P_NEG_SHIFT])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

void edla_eval_prelu(const edla_model *model, const edla_op *op, uint8_t *scratch,
                     edla_counters *counters) {
    (void)counters;
    ku_broadcast_rows(model, op, scratch, prelu_row);
}
