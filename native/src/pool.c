/*
 * pool.c - int8 AVERAGE_POOL_2D and MAX_POOL_2D, bit-exact with TFLM
 * reference_integer_ops::AveragePool / MaxPool.
 *
 * Only in-bounds taps take part (padding is skipped). Average: the int32 sum
 * of the taps divided by their count, rounding half away from zero; max: the
 * largest tap, -128 for an empty window. Both then clamp to the activation range.
 */
#include "kernels.h"

/* Bound for coordinate arithmetic, so that origin + tap never overflows an int. */
#define COORD_LIMIT ((int64_t)1 << 30)

typedef struct {
    int batches, in_h, in_w, channels, out_h, out_w;
    int stride_h, stride_w, filter_h, filter_w, pad_top, pad_left;
    int32_t act_min, act_max;
} pool_geometry;

static int is_4d(const edla_tensor *t) {
    if (t->rank != 4) {
        return 0;
    }
    for (unsigned i = 0; i < 4; ++i) {
        if (t->dims[i] < 1 || t->dims[i] > COORD_LIMIT) {
            return 0;
        }
    }
    return 1;
}

/* stride, filter size, pad of one spatial axis: the pad stays below the filter
 * size (as TFLite's SAME/VALID padding always does) and coordinates fit an int. */
static int axis_ok(int32_t stride, int32_t filter, int32_t pad, int32_t out) {
    return stride >= 1 && filter >= 1 && pad >= 0 && pad < filter &&
           (int64_t)(out - 1) * stride + filter < COORD_LIMIT;
}

static edla_status check_pool(const edla_model *model, const edla_op *op) {
    if (op->n_in != 1 || op->n_out != 1) {
        return EDLA_ERR_OP;
    }
    if (op->in[0] == EDLA_NO_TENSOR || op->out[0] == EDLA_NO_TENSOR) {
        return EDLA_ERR_OPERAND;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    if (in->dtype != EDLA_INT8 || out->dtype != EDLA_INT8 || out->location != EDLA_LOC_SCRATCH) {
        return EDLA_ERR_OPERAND;
    }
    if (!is_4d(in) || !is_4d(out) || in->dims[0] != out->dims[0] || in->dims[3] != out->dims[3]) {
        return EDLA_ERR_PARAM;
    }
    const int32_t *p = op->p;
    if (!axis_ok(p[POOL_P_STRIDE_H], p[POOL_P_FILTER_H], p[POOL_P_PAD_TOP], out->dims[1]) ||
        !axis_ok(p[POOL_P_STRIDE_W], p[POOL_P_FILTER_W], p[POOL_P_PAD_LEFT], out->dims[2]) ||
        p[POOL_P_ACT_MIN] < -128 || p[POOL_P_ACT_MAX] > 127 ||
        p[POOL_P_ACT_MIN] > p[POOL_P_ACT_MAX]) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

static void geometry(const edla_model *model, const edla_op *op, pool_geometry *g) {
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    const int32_t *p = op->p;
    g->batches = (int)in->dims[0];
    g->in_h = (int)in->dims[1];
    g->in_w = (int)in->dims[2];
    g->channels = (int)in->dims[3];
    g->out_h = (int)out->dims[1];
    g->out_w = (int)out->dims[2];
    g->stride_h = (int)p[POOL_P_STRIDE_H];
    g->stride_w = (int)p[POOL_P_STRIDE_W];
    g->filter_h = (int)p[POOL_P_FILTER_H];
    g->filter_w = (int)p[POOL_P_FILTER_W];
    g->pad_top = (int)p[POOL_P_PAD_TOP];
    g->pad_left = (int)p[POOL_P_PAD_LEFT];
    g->act_min = p[POOL_P_ACT_MIN];
    g->act_max = p[POOL_P_ACT_MAX];
}

/* Window taps [*begin, *end) of one axis clamped to the input, as TFLM does. */
static void window(int origin, int filter, int size, int *begin, int *end) {
    const int b = origin < 0 ? -origin : 0;
    const int e = size - origin < filter ? size - origin : filter;
    *begin = b;
    *end = e > b ? e : b;
}

static int32_t clamp(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
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

void edla_eval_average_pool_2d(const edla_model *model, const edla_op *op, uint8_t *scratch,
                               edla_counters *counters) {
    (void)counters; /* pooling performs no MACs */
    pool_geometry g;
    geometry(model, op, &g);
    const int8_t *input = (const int8_t *)edla_in_data(model, op, scratch, 0);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const size_t row_stride = (size_t)g.in_w * (size_t)g.channels;
    const size_t batch_stride = (size_t)g.in_h * row_stride;

    for (int b = 0; b < g.batches; ++b) {
        const int8_t *in_b = input + (size_t)b * batch_stride;
        for (int oy = 0; oy < g.out_h; ++oy) {
            const int in_y0 = oy * g.stride_h - g.pad_top;
            int fy_begin, fy_end;
            window(in_y0, g.filter_h, g.in_h, &fy_begin, &fy_end);
            for (int ox = 0; ox < g.out_w; ++ox) {
                const int in_x0 = ox * g.stride_w - g.pad_left;
                int fx_begin, fx_end;
                window(in_x0, g.filter_w, g.in_w, &fx_begin, &fx_end);
                /* check guarantees count >= 1 */
                const int32_t count = (int32_t)((fy_end - fy_begin) * (fx_end - fx_begin));
                const int taps_x = fx_end - fx_begin;
                const int8_t *in_px = in_b + (size_t)(in_x0 + fx_begin) * (size_t)g.channels;
                for (int c = 0; c < g.channels; ++c) {
                    int32_t acc = 0;
                    for (int fy = fy_begin; fy < fy_end; ++fy) {
                        const int8_t *tap = in_px + (size_t)(in_y0 + fy) * row_stride + (size_t)c;
                        for (int i = 0; i < taps_x; ++i) {
                            acc += tap[(size_t)i * (size_t)g.channels];
                        }
                    }
                    /* round half away from zero; C division truncates like C++ */
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    *out++ = (int8_t)clamp(acc, g.act_min, g.act_max);
                }
            }
        }
    }
}

edla_status edla_check_max_pool_2d(const edla_model *model, const edla_op *op) {
    return check_pool(model, op);
}

void edla_eval_max_pool_2d(const edla_model *model, const edla_op *op, uint8_t *scratch,
                           edla_counters *counters) {
    (void)counters; /* pooling performs no MACs */
    pool_geometry g;
    geometry(model, op, &g);
    const int8_t *input = (const int8_t *)edla_in_data(model, op, scratch, 0);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const size_t row_stride = (size_t)g.in_w * (size_t)g.channels;
    const size_t batch_stride = (size_t)g.in_h * row_stride;

    for (int b = 0; b < g.batches; ++b) {
        const int8_t *in_b = input + (size_t)b * batch_stride;
        for (int oy = 0; oy < g.out_h; ++oy) {
            const int in_y0 = oy * g.stride_h - g.pad_top;
            int fy_begin, fy_end;
            window(in_y0, g.filter_h, g.in_h, &fy_begin, &fy_end);
            for (int ox = 0; ox < g.out_w; ++ox) {
                const int in_x0 = ox * g.stride_w - g.pad_left;
                int fx_begin, fx_end;
                window(in_x0, g.filter_w, g.in_w, &fx_begin, &fx_end);
                const int taps_x = fx_end - fx_begin;
                /* an empty window (possible only for max pool) must not form a wild pointer */
                const int8_t *in_px =
                    taps_x > 0 ? in_b + (size_t)(in_x0 + fx_begin) * (size_t)g.channels : in_b;
                for (int c = 0; c < g.channels; ++c) {
                    int32_t max = -128;
                    for (int fy = fy_begin; fy < fy_end; ++fy) {
                        const int8_t *tap = in_px + (size_t)(in_y0 + fy) * row_stride + (size_t)c;
                        for (int i = 0; i < taps_x; ++i) {
                            const int32_t v = tap[(size_t)i * (size_t)g.channels];
                            max = v > max ? v : max;
                        }
                    }
                    *out++ = (int8_t)clamp(max, g.act_min, g.act_max);
                }
            }
        }
    }
}
