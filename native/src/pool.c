/*
 * pool.c - int8 AVERAGE_POOL_2D and MAX_POOL_2D, bit-exact with TFLM
 * reference_integer_ops::AveragePool / MaxPool.
 *
 * Only in-bounds taps take part (padding is skipped). Average: the int32 sum
 * of the taps divided by their count, rounding half away from zero; max: the
 * largest tap, -128 for an empty window. Both then clamp to the activation range.
 */
#include "host_fast.h"

static edla_status check_pool(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_unary_operands(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_is_4d(in) || !ku_is_4d(out) || in->dims[0] != out->dims[0] ||
        in->dims[3] != out->dims[3]) {
        return EDLA_ERR_PARAM;
    }
    /* a pool window is an undilated filter */
    const int32_t *p = op->p;
    if (!ku_axis_ok(p[POOL_P_STRIDE_H], 1, p[POOL_P_PAD_TOP], p[POOL_P_FILTER_H], out->dims[1]) ||
        !ku_axis_ok(p[POOL_P_STRIDE_W], 1, p[POOL_P_PAD_LEFT], p[POOL_P_FILTER_W], out->dims[2]) ||
        !ku_act_range_ok(p[POOL_P_ACT_MIN], p[POOL_P_ACT_MAX])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

edla_status edla_check_average_pool_2d(const edla_model *model, const edla_op *op) {
    edla_status st = check_pool(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    /* TFLM fails on a window with no in-bounds tap (count 0); require that the
     * last window starts inside the input (the first does since pad < filter),
     * which TFLite's output-size formula guarantees. */
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    const int32_t *p = op->p;
    if ((int64_t)(out->dims[1] - 1) * p[POOL_P_STRIDE_H] - p[POOL_P_PAD_TOP] >= in->dims[1] ||
        (int64_t)(out->dims[2] - 1) * p[POOL_P_STRIDE_W] - p[POOL_P_PAD_LEFT] >= in->dims[2] ||
        (int64_t)p[POOL_P_FILTER_H] * p[POOL_P_FILTER_W] > INT32_MAX / 128) {
        return EDLA_ERR_PARAM; /* the last term keeps the int32 tap sum from overflowing */
    }
    return EDLA_OK;
}

edla_status edla_check_max_pool_2d(const edla_model *model, const edla_op *op) {
    return check_pool(model, op);
}

/* Both pools walk the same windows; only the per-channel reduction differs
 * (inlined with a constant max_pool, so each op gets its own loop). */
static inline void eval_pool(const edla_model *model, const edla_op *op, uint8_t *scratch,
                             int max_pool) {
    const int32_t *p = op->p;
    const int32_t k[2] = {p[POOL_P_FILTER_H], p[POOL_P_FILTER_W]};
    const int32_t stride[2] = {p[POOL_P_STRIDE_H], p[POOL_P_STRIDE_W]};
    const int32_t dilation[2] = {1, 1};
    const int32_t pad[2] = {p[POOL_P_PAD_TOP], p[POOL_P_PAD_LEFT]};
    const int32_t act_min = p[POOL_P_ACT_MIN], act_max = p[POOL_P_ACT_MAX];
    ku_window g;
    ku_window_init(&g, edla_in(model, op, 0), edla_out(model, op, 0), k, stride, dilation, pad);
    const int8_t *input = (const int8_t *)edla_in_data(model, op, scratch, 0);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const size_t channels = (size_t)g.in_c;
#if EDLA_FAST_KERNELS
    if (edla_fast_pool(&g, input, out, max_pool, act_min, act_max)) {
        return;
    }
#endif

    ku_pixel px;
    ku_pixel_start(&g, input, &px);
    do {
        const int taps_x = px.fx_end - px.fx_begin;
        /* check guarantees a non-empty window for average pool */
        const int32_t count = (int32_t)((px.fy_end - px.fy_begin) * taps_x);
        /* an empty window (possible only for max pool) must not form a wild pointer */
        const int8_t *in_px =
            taps_x > 0 ? px.in_b + (size_t)(px.x0 + px.fx_begin) * channels : px.in_b;
        for (size_t c = 0; c < channels; ++c) {
            int32_t acc = max_pool ? -128 : 0;
            for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
                const int8_t *tap = in_px + (size_t)(px.y0 + fy) * g.row_stride + c;
                for (int i = 0; i < taps_x; ++i) {
                    const int32_t v = tap[(size_t)i * channels];
                    acc = max_pool ? (v > acc ? v : acc) : acc + v;
                }
            }
            if (!max_pool) {
                /* round half away from zero; C division truncates like C++ */
                acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
            }
            *out++ = (int8_t)ku_clamp(acc, act_min, act_max);
        }
    } while (ku_pixel_next(&g, &px));
}

void edla_eval_average_pool_2d(const edla_model *model, const edla_op *op, uint8_t *scratch,
                               edla_counters *counters) {
    (void)counters; /* pooling performs no MACs */
    eval_pool(model, op, scratch, 0);
}

void edla_eval_max_pool_2d(const edla_model *model, const edla_op *op, uint8_t *scratch,
                           edla_counters *counters) {
    (void)counters; /* pooling performs no MACs */
    eval_pool(model, op, scratch, 1);
}
