/*
 * act_sparse.c - the counting passes of activation sparsity (act_sparse.h).
 *
 * They read only the input, never the weights, so one pass serves every loop
 * that computes a flagged dense layer (portable, AVX2/VNNI, MVE). Their cost
 * is one compare per input element (window_zeros), against in_c x Co MACs
 * per tap.
 */
#include "act_sparse.h"
#include "host_fast.h"
#if EDLA_MVE_FAST
#include <arm_mve.h>
#endif

/* MACs in the all-zero blocks of n activations x[0], x[step], ... */
static uint64_t zero_block_macs(const int8_t *x, size_t step, size_t n, int8_t zp, uint32_t block) {
    uint64_t zeros = 0;
    if (block == 1 && step == 1) { /* a count of equal bytes: MVE on the M55, else 8 per step */
        uint32_t z = 0;
#if EDLA_MVE_FAST
        for (size_t i = 0; i < n; i += 16) { /* 16 compares per step, the tail predicated */
            const mve_pred16_t live = vctp8q((uint32_t)(n - i));
            z = vaddvaq_p_u8(z, vdupq_n_u8(1), vcmpeqq_m_n_s8(vldrbq_z_s8(x + i, live), zp, live));
        }
#else
#if EDLA_HOST_FAST
        if (edla_fast_count_eq(x, n, zp, &z)) { /* 64 per step (host_x86.c) */
            return z;
        }
#endif
        const uint64_t rep = 0x0101010101010101ull * (uint8_t)zp, low7 = 0x7F7F7F7F7F7F7F7Full;
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, x + i, 8);
            w ^= rep; /* equal bytes are 0 */
            /* high bit of each byte set iff the byte is not 0 (exact: no carry leaves a byte) */
            const uint64_t nonzero = (((w & low7) + low7) | w) & ~low7;
            z += 8u - (uint32_t)(((nonzero >> 7) * 0x0101010101010101ull) >> 56);
        }
        for (; i < n; ++i) {
            z += x[i] == zp;
        }
#endif
        return z;
    }
    for (size_t b0 = 0; b0 < n; b0 += block) {
        const size_t len = n - b0 < block ? n - b0 : block;
        if (edla_act_all_zero(x + b0 * step, step, len, zp)) {
            zeros += len;
        }
    }
    return zeros;
}

/* How many (output index, tap) pairs of one window axis read input index i:
 * i = o * stride - pad + f * dilation with 0 <= o < out, 0 <= f < taps. */
static uint64_t axis_reads(int i, int pad, int stride, int dilation, int taps, int out) {
    uint64_t n = 0;
    for (int f = 0; f < taps; ++f) {
        const int o = i + pad - f * dilation; /* |.| < 2^30 + 2^30: checked coordinates */
        n += stride == 1 ? o >= 0 && o < out : o >= 0 && o % stride == 0 && o / stride < out;
    }
    return n;
}

#define ACT_COLS 256 /* column multiplicities kept on the stack for inputs this wide */

/* The count of a window op whose skipped MACs per in-bounds (output pixel, tap)
 * pair depend only on the input pixel read (zeros_at), plus `pad_macs` per
 * padding tap. Each input pixel is read by rows(iy) * cols(ix) pairs (the axes
 * are independent), so one pass over the input replaces one per tap; the pairs
 * not in bounds are the padding taps. */
typedef uint64_t (*zeros_at_fn)(const int8_t *pixel, const void *arg);

static inline __attribute__((always_inline)) uint64_t window_zeros(const ku_window *g, const int8_t *input,
                                                                   uint64_t pad_macs, zeros_at_fn zeros_at,
                                                                   const void *arg, uint64_t flat, int8_t zp) {
    uint64_t zeros = 0, rows_total = 0, cols_total = 0;
    uint16_t cols_of[ACT_COLS]; /* k_w <= 4096 reads per column at most */
    for (int ix = 0; ix < g->in_w; ++ix) {
        const uint64_t cols = axis_reads(ix, g->pad_left, g->stride_w, g->dil_w, g->k_w, g->out_w);
        cols_total += cols;
        if (ix < ACT_COLS) cols_of[ix] = (uint16_t)cols;
    }
    for (int b = 0; b < g->batches; ++b) {
        for (int iy = 0; iy < g->in_h; ++iy) {
            const uint64_t rows = axis_reads(iy, g->pad_top, g->stride_h, g->dil_h, g->k_h, g->out_h);
            rows_total += b == 0 ? rows : 0;
            if (rows == 0) {
                continue;
            }
            const int8_t *row = input + (size_t)b * g->batch_stride + (size_t)iy * g->row_stride;
            if (flat && g->in_w <= ACT_COLS) {
                /* every byte of a pixel is one block: a run of columns read equally often
                 * is one stretch of the row (NHWC), counted at once */
                for (int x0 = 0, x1; x0 < g->in_w; x0 = x1) {
                    for (x1 = x0 + 1; x1 < g->in_w && cols_of[x1] == cols_of[x0]; ++x1) {
                    }
                    if (cols_of[x0] != 0) {
                        zeros += rows * cols_of[x0] * flat *
                                 zero_block_macs(row + (size_t)x0 * (size_t)g->in_c, 1,
                                                 (size_t)(x1 - x0) * (size_t)g->in_c, zp, 1);
                    }
                }
                continue;
            }
            for (int ix = 0; ix < g->in_w; ++ix) {
                const uint64_t cols = ix < ACT_COLS ? cols_of[ix]
                                                    : axis_reads(ix, g->pad_left, g->stride_w, g->dil_w, g->k_w, g->out_w);
                if (cols != 0) {
                    zeros += rows * cols * zeros_at(row + (size_t)ix * (size_t)g->in_c, arg);
                }
            }
        }
    }
    const uint64_t pairs = ku_window_pixels(g) * (uint64_t)g->k_h * (uint64_t)g->k_w;
    return zeros + (pairs - (uint64_t)g->batches * rows_total * cols_total) * pad_macs;
}

typedef struct {
    size_t n, begin;
    int dm;
    int8_t zp;
    uint32_t block;
} zero_args;

static uint64_t conv_zeros_at(const int8_t *x, const void *arg) {
    const zero_args *a = (const zero_args *)arg;
    return zero_block_macs(x, 1, a->n, a->zp, a->block);
}

/* Depthwise: chunk channel c reads x[(begin + c) / dm]. */
static uint64_t depthwise_zeros_at(const int8_t *x, const void *arg) {
    const zero_args *a = (const zero_args *)arg;
    if (a->dm == 1) {
        return zero_block_macs(x + a->begin, 1, a->n, a->zp, a->block);
    }
    uint64_t zeros = 0;
    for (size_t c0 = 0; c0 < a->n; c0 += a->block) {
        const size_t c1 = a->n - c0 < a->block ? a->n : c0 + a->block;
        size_t c = c0;
        while (c < c1 && x[(a->begin + c) / (size_t)a->dm] == a->zp) {
            ++c;
        }
        zeros += c == c1 ? c1 - c0 : 0;
    }
    return zeros;
}

uint64_t edla_act_zero_conv(const ku_channel_op_data *d, const ku_window *g, uint32_t block) {
    const zero_args a = {(size_t)g->in_c, 0, 1, (int8_t)(-d->input_offset), block}; /* offset in [-127, 128] */
#if EDLA_FAST_KERNELS
    uint64_t zeros; /* mve.c: a summed-area table; host_x86.c: weighted rows */
    if (block == 1 && edla_fast_act_zero(g, d->input, 0, (size_t)g->in_c, a.zp, &zeros)) {
        return zeros;
    }
#endif
    return window_zeros(g, d->input, (uint64_t)g->in_c, conv_zeros_at, &a, block == 1, a.zp); /* padding: in_c */
}

uint64_t edla_act_zero_depthwise(const ku_channel_op_data *d, const ku_window *g, int dm,
                                 uint32_t block) {
    const size_t co = (size_t)(d->c_end - d->c_begin);
    const zero_args a = {co, (size_t)d->c_begin, dm, (int8_t)(-d->input_offset), block};
#if EDLA_FAST_KERNELS
    uint64_t zeros;
    if (dm == 1 && block == 1 && edla_fast_act_zero(g, d->input, (size_t)d->c_begin, co, a.zp, &zeros)) {
        return zeros;
    }
#endif
    /* every input channel feeding the chunk, each to dm channels: dm per zero byte */
    const int flat = block == 1 && d->c_begin == 0 && co == (size_t)g->in_c * (size_t)dm;
    return window_zeros(g, d->input, (uint64_t)co, depthwise_zeros_at, &a, flat ? (uint64_t)dm : 0, a.zp);
}

uint64_t edla_act_zero_fc(const int8_t *input, size_t rows, size_t depth, int32_t input_offset,
                          uint32_t block) {
    uint64_t zeros = 0;
    for (size_t r = 0; r < rows; ++r) {
        zeros += zero_block_macs(input + r * depth, 1, depth, (int8_t)(-input_offset), block);
    }
    return zeros;
}
