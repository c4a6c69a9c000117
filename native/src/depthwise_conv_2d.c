/*
 * depthwise_conv_2d.c - int8 DEPTHWISE_CONV_2D, bit-exact with TFLM
 * reference_integer_ops::DepthwiseConvPerChannel.
 *
 * Output channel oc = ic * depth_multiplier + m reads input channel ic and
 * filter channel oc (filter [1, Kh, Kw, Co]). Per output channel: sum over
 * in-bounds taps of filter * (input + input_offset), + bias, requantize,
 * + output_offset, clamp. Padding taps are skipped; the int32 accumulator wraps
 * like TFLM's (kept in uint32 to stay defined).
 */
#include "kernels.h"
#include "requant.h"

enum { IN_INPUT, IN_FILTER, IN_BIAS, IN_MULTIPLIER, IN_SHIFT, N_INPUTS };

/* Bound for coordinate arithmetic, so that origin + tap * dilation never overflows an int. */
#define COORD_LIMIT ((int64_t)1 << 30)

static int64_t elements(const edla_tensor *t) {
    int64_t n = 1;
    for (unsigned i = 0; i < t->rank; ++i) {
        n *= t->dims[i];
    }
    return n;
}

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

/* A 4-byte aligned int32 constant table of n entries (operand kind, then length). */
static edla_status check_i32_table(const edla_tensor *t, int64_t n) {
    if (t->dtype != EDLA_INT32 || t->location != EDLA_LOC_CONST || (t->offset & 3u) != 0) {
        return EDLA_ERR_OPERAND;
    }
    return elements(t) == n ? EDLA_OK : EDLA_ERR_PARAM;
}

/* stride, dilation, pad of one spatial axis: the pad must stay below the dilated
 * filter extent (as TFLite's SAME/VALID padding always does) and every
 * coordinate eval computes must fit an int. */
static int axis_ok(int32_t stride, int32_t dilation, int32_t pad, int32_t taps, int32_t out) {
    if (stride < 1 || dilation < 1) {
        return 0;
    }
    const int64_t extent = (int64_t)(taps - 1) * dilation + 1;
    return pad >= 0 && pad < extent && (int64_t)(out - 1) * stride + extent < COORD_LIMIT;
}

/* Filter taps k in [*begin, *end) are those with 0 <= origin + k * dilation < size. */
static void tap_range(int origin, int dilation, int taps, int size, int *begin, int *end) {
    int b = origin < 0 ? (-origin + dilation - 1) / dilation : 0;
    int e = origin < size ? (size - 1 - origin) / dilation + 1 : 0;
    e = e < taps ? e : taps;
    *begin = b < e ? b : e;
    *end = e;
}

static void add_macs(edla_counters *counters, uint64_t macs) {
    if (counters != 0) {
        const uint64_t sum = counters->macs + macs;
        counters->macs = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
    }
}

edla_status edla_check_depthwise_conv_2d(const edla_model *model, const edla_op *op) {
    if (op->n_in != N_INPUTS || op->n_out != 1) {
        return EDLA_ERR_OP;
    }
    if (op->in[IN_INPUT] == EDLA_NO_TENSOR || op->in[IN_FILTER] == EDLA_NO_TENSOR ||
        op->in[IN_MULTIPLIER] == EDLA_NO_TENSOR || op->in[IN_SHIFT] == EDLA_NO_TENSOR ||
        op->out[0] == EDLA_NO_TENSOR) {
        return EDLA_ERR_OPERAND;
    }
    const edla_tensor *in = edla_in(model, op, IN_INPUT);
    const edla_tensor *filter = edla_in(model, op, IN_FILTER);
    const edla_tensor *bias = edla_in(model, op, IN_BIAS);
    const edla_tensor *out = edla_out(model, op, 0);
    if (in->dtype != EDLA_INT8 || out->dtype != EDLA_INT8 || out->location != EDLA_LOC_SCRATCH ||
        filter->dtype != EDLA_INT8 || filter->location != EDLA_LOC_CONST) {
        return EDLA_ERR_OPERAND;
    }
    if (!is_4d(in) || !is_4d(filter) || !is_4d(out)) {
        return EDLA_ERR_PARAM;
    }
    const int32_t *p = op->p;
    const int32_t depth_multiplier = p[CONV_P_DEPTH_MULTIPLIER];
    const int32_t out_c = out->dims[3];
    if (depth_multiplier < 1 || (int64_t)in->dims[3] * depth_multiplier != out_c ||
        in->dims[0] != out->dims[0] || filter->dims[0] != 1 || filter->dims[3] != out_c) {
        return EDLA_ERR_PARAM;
    }
    edla_status st;
    if (bias != 0 && (st = check_i32_table(bias, out_c)) != EDLA_OK) {
        return st;
    }
    const edla_tensor *mult = edla_in(model, op, IN_MULTIPLIER);
    const edla_tensor *shift = edla_in(model, op, IN_SHIFT);
    if ((st = check_i32_table(mult, out_c)) != EDLA_OK ||
        (st = check_i32_table(shift, out_c)) != EDLA_OK) {
        return st;
    }
    if (!axis_ok(p[CONV_P_STRIDE_H], p[CONV_P_DILATION_H], p[CONV_P_PAD_TOP], filter->dims[1],
                 out->dims[1]) ||
        !axis_ok(p[CONV_P_STRIDE_W], p[CONV_P_DILATION_W], p[CONV_P_PAD_LEFT], filter->dims[2],
                 out->dims[2])) {
        return EDLA_ERR_PARAM;
    }
    /* offsets are negated / plain int8 zero points; they bound every product */
    if (p[CONV_P_INPUT_OFFSET] < -127 || p[CONV_P_INPUT_OFFSET] > 128 ||
        p[CONV_P_OUTPUT_OFFSET] < -128 || p[CONV_P_OUTPUT_OFFSET] > 127 ||
        p[CONV_P_ACT_MIN] < -128 || p[CONV_P_ACT_MAX] > 127 ||
        p[CONV_P_ACT_MIN] > p[CONV_P_ACT_MAX]) {
        return EDLA_ERR_PARAM;
    }
    if (!requant_table_ok((const int32_t *)(const void *)(model->consts + mult->offset),
                          (const int32_t *)(const void *)(model->consts + shift->offset), out_c)) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

void edla_eval_depthwise_conv_2d(const edla_model *model, const edla_op *op, uint8_t *scratch,
                                 edla_counters *counters) {
    const edla_tensor *in_t = edla_in(model, op, IN_INPUT);
    const edla_tensor *filter_t = edla_in(model, op, IN_FILTER);
    const edla_tensor *out_t = edla_out(model, op, 0);
    const int8_t *input = (const int8_t *)edla_in_data(model, op, scratch, IN_INPUT);
    const int8_t *filter = (const int8_t *)edla_in_data(model, op, scratch, IN_FILTER);
    const int32_t *bias = (const int32_t *)edla_in_data(model, op, scratch, IN_BIAS);
    const int32_t *mult = (const int32_t *)edla_in_data(model, op, scratch, IN_MULTIPLIER);
    const int32_t *shift = (const int32_t *)edla_in_data(model, op, scratch, IN_SHIFT);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);

    const int batches = (int)in_t->dims[0];
    const int in_h = (int)in_t->dims[1], in_w = (int)in_t->dims[2], in_c = (int)in_t->dims[3];
    const int k_h = (int)filter_t->dims[1], k_w = (int)filter_t->dims[2];
    const int out_h = (int)out_t->dims[1], out_w = (int)out_t->dims[2];
    const int out_c = (int)out_t->dims[3];
    const int32_t *p = op->p;
    const int stride_h = (int)p[CONV_P_STRIDE_H], stride_w = (int)p[CONV_P_STRIDE_W];
    const int dil_h = (int)p[CONV_P_DILATION_H], dil_w = (int)p[CONV_P_DILATION_W];
    const int pad_top = (int)p[CONV_P_PAD_TOP], pad_left = (int)p[CONV_P_PAD_LEFT];
    const int depth_multiplier = (int)p[CONV_P_DEPTH_MULTIPLIER];
    const int32_t input_offset = p[CONV_P_INPUT_OFFSET];
    const int32_t output_offset = p[CONV_P_OUTPUT_OFFSET];
    const int32_t act_min = p[CONV_P_ACT_MIN], act_max = p[CONV_P_ACT_MAX];

    const size_t in_row_stride = (size_t)in_w * (size_t)in_c;
    const size_t in_batch_stride = (size_t)in_h * in_row_stride;
    const size_t filter_row_stride = (size_t)k_w * (size_t)out_c;

    for (int b = 0; b < batches; ++b) {
        const int8_t *in_b = input + (size_t)b * in_batch_stride;
        for (int oy = 0; oy < out_h; ++oy) {
            const int in_y0 = oy * stride_h - pad_top;
            int fy_begin, fy_end;
            tap_range(in_y0, dil_h, k_h, in_h, &fy_begin, &fy_end);
            for (int ox = 0; ox < out_w; ++ox) {
                const int in_x0 = ox * stride_w - pad_left;
                int fx_begin, fx_end;
                tap_range(in_x0, dil_w, k_w, in_w, &fx_begin, &fx_end);
                for (int ic = 0; ic < in_c; ++ic) {
                    for (int m = 0; m < depth_multiplier; ++m) {
                        const int oc = ic * depth_multiplier + m;
                        uint32_t acc = 0;
                        for (int fy = fy_begin; fy < fy_end; ++fy) {
                            const int8_t *in_row =
                                in_b + (size_t)(in_y0 + fy * dil_h) * in_row_stride + (size_t)ic;
                            const int8_t *f_row = filter + (size_t)fy * filter_row_stride + (size_t)oc;
                            for (int fx = fx_begin; fx < fx_end; ++fx) {
                                const int32_t x = in_row[(size_t)(in_x0 + fx * dil_w) * (size_t)in_c];
                                const int32_t w = f_row[(size_t)fx * (size_t)out_c];
                                acc += (uint32_t)(w * (x + input_offset));
                            }
                        }
                        if (bias != 0) {
                            acc += (uint32_t)bias[oc];
                        }
                        *out++ = requantize_to_int8(acc, mult[oc], shift[oc], output_offset,
                                                    act_min, act_max);
                    }
                }
            }
        }
    }
    add_macs(counters, (uint64_t)batches * (uint64_t)out_h * (uint64_t)out_w * (uint64_t)out_c *
                           (uint64_t)k_h * (uint64_t)k_w);
}
