/*
 * act_sparse.c - the counting passes of activation sparsity (act_sparse.h).
 *
 * They read only the input, never the weights, so one pass serves every loop
 * that computes a flagged dense layer (portable, AVX2/VNNI, MVE). Their cost
 * is one compare per input element and tap, against in_c x Co MACs.
 */
#include "act_sparse.h"

/* MACs in the all-zero blocks of n activations x[0], x[step], ... */
static uint64_t zero_block_macs(const int8_t *x, size_t step, size_t n, int8_t zp, uint32_t block) {
    uint64_t zeros = 0;
    for (size_t b0 = 0; b0 < n; b0 += block) {
        const size_t len = n - b0 < block ? n - b0 : block;
        if (edla_act_all_zero(x + b0 * step, step, len, zp)) {
            zeros += len;
        }
    }
    return zeros;
}

uint64_t edla_act_zero_conv(const ku_channel_op_data *d, const ku_window *g, uint32_t block) {
    const int8_t zp = (int8_t)(-d->input_offset); /* input_offset in [-127, 128] */
    const size_t in_c = (size_t)g->in_c;
    const uint64_t taps = (uint64_t)g->k_h * (uint64_t)g->k_w;
    uint64_t zeros = 0;
    ku_pixel px;
    ku_pixel_start(g, d->input, &px);
    do {
        const uint64_t inside = (uint64_t)(px.fy_end - px.fy_begin) * (uint64_t)(px.fx_end - px.fx_begin);
        zeros += (taps - inside) * in_c; /* padding taps read the zero point */
        for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
            const int8_t *row = px.in_b + (size_t)(px.y0 + fy * g->dil_h) * g->row_stride;
            for (int fx = px.fx_begin; fx < px.fx_end; ++fx) {
                zeros += zero_block_macs(row + (size_t)(px.x0 + fx * g->dil_w) * in_c, 1, in_c, zp, block);
            }
        }
    } while (ku_pixel_next(g, &px));
    return zeros;
}

uint64_t edla_act_zero_depthwise(const ku_channel_op_data *d, const ku_window *g, int dm,
                                 uint32_t block) {
    const int8_t zp = (int8_t)(-d->input_offset);
    const size_t co = (size_t)(d->c_end - d->c_begin), in_c = (size_t)g->in_c;
    const uint64_t taps = (uint64_t)g->k_h * (uint64_t)g->k_w;
    uint64_t zeros = 0;
    ku_pixel px;
    ku_pixel_start(g, d->input, &px);
    do {
        const uint64_t inside = (uint64_t)(px.fy_end - px.fy_begin) * (uint64_t)(px.fx_end - px.fx_begin);
        zeros += (taps - inside) * co;
        for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
            const int8_t *row = px.in_b + (size_t)(px.y0 + fy * g->dil_h) * g->row_stride;
            for (int fx = px.fx_begin; fx < px.fx_end; ++fx) {
                const int8_t *x = row + (size_t)(px.x0 + fx * g->dil_w) * in_c;
                if (dm == 1) {
                    zeros += zero_block_macs(x + d->c_begin, 1, co, zp, block);
                    continue;
                }
                for (size_t c0 = 0; c0 < co; c0 += block) { /* channel c reads x[(begin + c) / dm] */
                    const size_t c1 = co - c0 < block ? co : c0 + block;
                    size_t c = c0;
                    while (c < c1 && x[((size_t)d->c_begin + c) / (size_t)dm] == zp) {
                        ++c;
                    }
                    zeros += c == c1 ? c1 - c0 : 0;
                }
            }
        }
    } while (ku_pixel_next(g, &px));
    return zeros;
}

uint64_t edla_act_zero_fc(const int8_t *input, size_t rows, size_t depth, int32_t input_offset,
                          uint32_t block) {
    uint64_t zeros = 0;
    for (size_t r = 0; r < rows; ++r) {
        zeros += zero_block_macs(input + r * depth, 1, depth, (int8_t)(-input_offset), block);
    }
    return zeros;
}
