/*
 * transpose_conv.c - int8 TRANSPOSE_CONV, bit-exact with TFLM
 * reference_integer_ops::TransposeConv (per-channel, optional bias).
 *
 * TFLM scatters every input pixel times the filter into an int32 buffer of
 * the output's size, then adds the bias and requantizes per channel. Here
 * each output pixel gathers its contributions instead: input (iy, ix) and tap
 * (fy, fx) reach output (iy * stride - pad + fy, ...). Both sum the same
 * int32 products modulo 2^32, so the accumulators (and outputs) are equal,
 * without TFLM's output-sized scratch buffer. Operands as CONV_2D's, including
 * output-channel chunks [TCONV_P_CHANNEL_BEGIN, TCONV_P_CHANNEL_END).
 */
#include "kernel_util.h"

/* Input index of output o through tap f, or -1 when no input pixel lands there. */
static inline int source_index(int o, int f, int stride, int pad, int size) {
    const int t = o + pad - f;
    if (t < 0 || t % stride != 0 || t / stride >= size) {
        return -1;
    }
    return t / stride;
}

edla_status edla_check_transpose_conv(const edla_model *model, const edla_op *op) {
    edla_status st = ku_check_channel_op_operands(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, KU_IN_INPUT);
    const edla_tensor *filter = edla_in(model, op, KU_IN_FILTER);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_is_4d(in) || !ku_is_4d(filter) || !ku_is_4d(out) || in->dims[0] != out->dims[0] ||
        in->dims[3] != filter->dims[3]) {
        return EDLA_ERR_PARAM;
    }
    if (!ku_channel_range_ok(op->p[TCONV_P_CHANNEL_BEGIN], op->p[TCONV_P_CHANNEL_END], out->dims[3],
                             1, filter->dims[0])) {
        return EDLA_ERR_PARAM;
    }
    if ((st = ku_check_channel_tables(model, op, out->dims[3])) != EDLA_OK) {
        return st;
    }
    const int32_t *p = op->p;
    /* dims and pads below 2^30: o + pad - f cannot overflow an int */
    if (p[TCONV_P_STRIDE_H] < 1 || p[TCONV_P_STRIDE_W] < 1 || p[TCONV_P_PAD_TOP] < 0 ||
        p[TCONV_P_PAD_LEFT] < 0 || p[TCONV_P_PAD_TOP] >= KU_COORD_LIMIT ||
        p[TCONV_P_PAD_LEFT] >= KU_COORD_LIMIT ||
        !ku_quant_params_ok(p[TCONV_P_INPUT_OFFSET], p[TCONV_P_OUTPUT_OFFSET], p[TCONV_P_ACT_MIN],
                            p[TCONV_P_ACT_MAX])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

void edla_eval_transpose_conv(const edla_model *model, const edla_op *op, uint8_t *scratch,
                              edla_counters *counters) {
    ku_channel_op_data d;
    ku_channel_op_data_get(model, op, scratch, TCONV_P_INPUT_OFFSET, TCONV_P_OUTPUT_OFFSET,
                           TCONV_P_ACT_MIN, TCONV_P_ACT_MAX, TCONV_P_CHANNEL_BEGIN, &d);
    const edla_tensor *in_t = edla_in(model, op, KU_IN_INPUT);
    const edla_tensor *f_t = edla_in(model, op, KU_IN_FILTER);
    const edla_tensor *out_t = edla_out(model, op, 0);
    const int in_h = (int)in_t->dims[1], in_w = (int)in_t->dims[2], in_c = (int)in_t->dims[3];
    const int k_h = (int)f_t->dims[1], k_w = (int)f_t->dims[2];
    const int out_h = (int)out_t->dims[1], out_w = (int)out_t->dims[2];
    const int stride_h = (int)op->p[TCONV_P_STRIDE_H], stride_w = (int)op->p[TCONV_P_STRIDE_W];
    const int pad_top = (int)op->p[TCONV_P_PAD_TOP], pad_left = (int)op->p[TCONV_P_PAD_LEFT];
    size_t is[4], fs[4], os[4]; /* strides of input, filter (as [oc][fy][fx][ic]) and output */
    ku_strides4(in_t, is);
    ku_strides4(f_t, fs);
    ku_strides4(out_t, os);
    uint64_t taps_total = 0;

    for (int b = 0; b < (int)in_t->dims[0]; ++b) {
        const int8_t *in_b = d.input + (size_t)b * is[0];
        for (int oy = 0; oy < out_h; ++oy) {
            for (int ox = 0; ox < out_w; ++ox) {
                int8_t *out = d.out + ku_offset3(os, (size_t)b, (size_t)oy, (size_t)ox);
                for (int oc = d.c_begin; oc < d.c_end; ++oc) {
                    const int8_t *f = d.filter + (size_t)(oc - d.c_begin) * fs[0];
                    uint32_t acc = 0;
                    for (int fy = 0; fy < k_h; ++fy) {
                        const int iy = source_index(oy, fy, stride_h, pad_top, in_h);
                        if (iy < 0) {
                            continue;
                        }
                        for (int fx = 0; fx < k_w; ++fx) {
                            const int ix = source_index(ox, fx, stride_w, pad_left, in_w);
                            if (ix < 0) {
                                continue;
                            }
                            acc += ku_dot(in_b + (size_t)iy * is[1] + (size_t)ix * is[2], 1,
                                          f + (size_t)fy * fs[1] + (size_t)fx * fs[2], 1, in_c,
                                          d.input_offset, 0);
                            ++taps_total;
                        }
                    }
                    out[oc] = ku_channel_output(&d, acc, oc);
                }
            }
        }
    }
    ku_add_macs(counters, taps_total * (uint64_t)in_c);
}
