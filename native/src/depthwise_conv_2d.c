/*
 * depthwise_conv_2d.c - int8 DEPTHWISE_CONV_2D, bit-exact with TFLM
 * reference_integer_ops::DepthwiseConvPerChannel.
 *
 * Output channel oc = ic * depth_multiplier + m reads input channel ic and
 * filter channel oc (filter [1, Kh, Kw, Co]). Per output channel: sum over
 * in-bounds taps of filter * (input + input_offset), + bias, requantize,
 * + output_offset, clamp. Padding taps are skipped; the int32 accumulator wraps
 * like TFLM's (kept in uint32 to stay defined). Layers flagged
 * EDLA_OP_FLAG_ACT_SPARSE skip zero-point activations (act_sparse.h).
 */
#include "act_sparse.h"
#include "host_fast.h"

edla_status edla_check_depthwise_conv_2d(const edla_model *model, const edla_op *op) {
    return ku_check_conv(model, op, 1);
}

void edla_eval_depthwise_conv_2d(const edla_model *model, const edla_op *op, uint8_t *scratch,
                                 edla_counters *counters) {
    ku_channel_op_data d;
    ku_window g;
    ku_conv_setup(model, op, scratch, &d, &g);
    const int depth_multiplier = (int)op->p[CONV_P_DEPTH_MULTIPLIER];
    const size_t in_c = (size_t)g.in_c;
    const size_t chunk_c = (size_t)(d.c_end - d.c_begin); /* channels in the (chunk) filter */
    const size_t filter_row_stride = (size_t)g.k_w * chunk_c;
    const size_t x_step = (size_t)g.dil_w * in_c; /* input elements between filter columns */
    int8_t *out = d.out;
    const int act = edla_act_flagged(op);
#if EDLA_MVE_FAST
    { /* counts the zero points on its padded copy: blocks of 1 only */
        uint64_t zeros = 0;
        if ((!act || edla_act_block(model) == 1) &&
            edla_mve_depthwise_3x3(&d, &g, depth_multiplier, act ? &zeros : 0)) {
            edla_act_count(counters, ku_window_pixels(&g) * (uint64_t)chunk_c * (uint64_t)g.k_h * (uint64_t)g.k_w,
                           zeros);
            return;
        }
    }
#endif
    edla_act_count(counters, ku_window_pixels(&g) * (uint64_t)chunk_c * (uint64_t)g.k_h * (uint64_t)g.k_w,
                   act ? edla_act_zero_depthwise(&d, &g, depth_multiplier, edla_act_block(model)) : 0);
#if EDLA_HOST_FAST
    if (edla_host_run(model, op, d.input, d.out)) { /* prepared at load; counted above */
        return;
    }
#endif
#if EDLA_FAST_KERNELS
    if (edla_fast_depthwise_conv_2d(&d, &g, depth_multiplier)) {
        return;
    }
#endif

    ku_pixel px;
    ku_pixel_start(&g, d.input, &px);
    do {
        const int taps_x = px.fx_end - px.fx_begin;
        /* an empty column range must not form a wild pointer */
        const size_t x_first = taps_x > 0 ? (size_t)(px.x0 + px.fx_begin * g.dil_w) * in_c : 0;
        const size_t f_first = (size_t)px.fx_begin * chunk_c;
        for (int ic = d.c_begin / depth_multiplier; ic < d.c_end / depth_multiplier; ++ic) {
            for (int m = 0; m < depth_multiplier; ++m) {
                const int oc = ic * depth_multiplier + m;
                uint32_t acc = 0;
                for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
                    const int8_t *in_row = px.in_b + (size_t)(px.y0 + fy * g.dil_h) * g.row_stride;
                    const int8_t *f_row = d.filter + (size_t)fy * filter_row_stride;
                    const int8_t *x = in_row + x_first + (size_t)ic;
                    const int8_t *w = f_row + f_first + (size_t)(oc - d.c_begin);
                    acc += act ? edla_act_dot(x, x_step, w, chunk_c, taps_x, d.input_offset, 0)
                               : ku_dot(x, x_step, w, chunk_c, taps_x, d.input_offset, 0);
                }
                out[oc] = ku_channel_output(&d, acc, oc);
            }
        }
        out += g.out_c;
    } while (ku_pixel_next(&g, &px));
}
