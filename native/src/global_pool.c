/*
 * global_pool.c - a global AVERAGE_POOL_2D split over row stripes, so a cascade
 * ending in one never holds its whole input: POOL_SUM adds each stripe's rows
 * into an int32 accumulator per channel, POOL_MEAN divides once at the end with
 * TFLM's int8 average-pool rounding. The int32 sum equals TFLM's (it sums the
 * same int8 values; 2^24 elements of |x| <= 128 cannot overflow it).
 */
#include "kernel_util.h"

edla_status edla_check_pool_sum(const edla_model *model, const edla_op *op) {
    if (op->n_in != 1 || op->n_out != 1 || op->in[0] == EDLA_NO_TENSOR) return EDLA_ERR_OP;
    const edla_tensor *in = edla_in(model, op, 0), *acc = edla_out(model, op, 0);
    if (in->dtype != EDLA_INT8 || acc->dtype != EDLA_INT32 || !ku_is_4d(in)) return EDLA_ERR_OPERAND;
    if (ku_elements(acc) != in->dims[3] || ku_elements(in) > (1 << 24) ||
        (op->p[0] != 0 && op->p[0] != 1))
        return EDLA_ERR_PARAM;
    return EDLA_OK;
}

void edla_eval_pool_sum(const edla_model *model, const edla_op *op, uint8_t *scratch,
                        edla_counters *counters) {
    (void)counters;
    const edla_tensor *in_t = edla_in(model, op, 0);
    const int8_t *in = (const int8_t *)edla_in_data(model, op, scratch, 0);
    int32_t *acc = (int32_t *)edla_out_data(model, op, scratch, 0);
    const size_t channels = (size_t)in_t->dims[3];
    const size_t pixels = ku_element_count(in_t) / channels;
    if (op->p[0]) { /* first stripe */
        for (size_t c = 0; c < channels; ++c) acc[c] = 0;
    }
    for (size_t i = 0; i < pixels; ++i, in += channels) {
        for (size_t c = 0; c < channels; ++c) acc[c] += in[c];
    }
}

edla_status edla_check_pool_mean(const edla_model *model, const edla_op *op) {
    if (op->n_in != 1 || op->n_out != 1 || op->in[0] == EDLA_NO_TENSOR) return EDLA_ERR_OP;
    const edla_tensor *acc = edla_in(model, op, 0), *out = edla_out(model, op, 0);
    if (acc->dtype != EDLA_INT32 || acc->location != EDLA_LOC_SCRATCH || out->dtype != EDLA_INT8)
        return EDLA_ERR_OPERAND;
    if (ku_elements(acc) != ku_elements(out) || op->p[0] < 1 || op->p[0] > (1 << 24) ||
        !ku_act_range_ok(op->p[1], op->p[2]))
        return EDLA_ERR_PARAM;
    return EDLA_OK;
}

void edla_eval_pool_mean(const edla_model *model, const edla_op *op, uint8_t *scratch,
                         edla_counters *counters) {
    (void)counters;
    const int32_t *acc = (const int32_t *)edla_in_data(model, op, scratch, 0);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const int32_t count = op->p[0];
    const size_t n = ku_element_count(edla_in(model, op, 0));
    for (size_t c = 0; c < n; ++c) {
        /* TFLM rounds the average half away from zero */
        const int32_t avg = acc[c] > 0 ? (acc[c] + count / 2) / count : (acc[c] - count / 2) / count;
        out[c] = (int8_t)ku_clamp(avg, op->p[1], op->p[2]);
    }
}
