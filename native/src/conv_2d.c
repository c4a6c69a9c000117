/*
 * conv_2d.c - int8 CONV_2D, bit-exact with TFLM reference_integer_ops::ConvPerChannel.
 *
 * acc = sum over in-bounds taps of filter * (input + input_offset), + bias,
 * requantized per output channel, + output_offset, clamped. Taps outside the
 * input (padding) are skipped, not added. The int32 accumulator wraps like
 * TFLM's does in practice (it is kept in uint32 to stay defined). Layers
 * flagged EDLA_OP_FLAG_ACT_SPARSE skip zero-point activations (act_sparse.h).
 */
#include "act_sparse.h"
#include "host_fast.h"

edla_status edla_check_conv_2d(const edla_model *model, const edla_op *op) {
    return ku_check_conv(model, op, 0);
}

void edla_eval_conv_2d(const edla_model *model, const edla_op *op, uint8_t *scratch,
                       edla_counters *counters) {
    ku_channel_op_data d;
    ku_window g;
    ku_conv_setup(model, op, scratch, &d, &g);
    const int act = edla_act_flagged(op);
    const uint64_t dense = ku_window_pixels(&g) * (uint64_t)(d.c_end - d.c_begin) * (uint64_t)g.k_h *
                           (uint64_t)g.k_w * (uint64_t)g.in_c;
    edla_act_count(counters, dense,
                   act ? (uint64_t)(d.c_end - d.c_begin) * edla_act_zero_conv(&d, &g, edla_act_block(model)) : 0);
#if EDLA_HOST_FAST
    if (edla_host_run(model, op, d.input, d.out)) { /* prepared at load; counted above */
        return;
    }
#endif
#if EDLA_FAST_KERNELS
    if (edla_fast_conv_2d(&d, &g)) {
        return;
    }
#endif
    const size_t in_c = (size_t)g.in_c;
    const size_t filter_row_stride = (size_t)g.k_w * in_c;
    const size_t filter_oc_stride = (size_t)g.k_h * filter_row_stride;
    int8_t *out = d.out;

    ku_pixel px;
    ku_pixel_start(&g, d.input, &px);
    do {
        for (int oc = d.c_begin; oc < d.c_end; ++oc) {
            const int8_t *f_oc = d.filter + (size_t)(oc - d.c_begin) * filter_oc_stride;
            uint32_t acc = 0;
            for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
                const int8_t *in_row = px.in_b + (size_t)(px.y0 + fy * g.dil_h) * g.row_stride;
                const int8_t *f_row = f_oc + (size_t)fy * filter_row_stride;
                for (int fx = px.fx_begin; fx < px.fx_end; ++fx) {
                    const int8_t *x = in_row + (size_t)(px.x0 + fx * g.dil_w) * in_c;
                    acc += act ? edla_act_dot(x, 1, f_row + (size_t)fx * in_c, 1, g.in_c, d.input_offset, 0)
                               : ku_dot(x, 1, f_row + (size_t)fx * in_c, 1, g.in_c, d.input_offset, 0);
                }
            }
            out[oc] = ku_channel_output(&d, acc, oc);
        }
        out += g.out_c;
    } while (ku_pixel_next(&g, &px));
}
