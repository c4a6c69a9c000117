/*
 * mve.c - Cortex-M55 MVE (Helium) fast paths of conv, depthwise conv, fully
 * connected, ADD, pooling, activation-sparsity counting and sparse 1x1 conv
 * (see host_fast.h).
 * Compiled in when the firmware is built with MVE (make -C firmware, MVE=1:
 * -DEDLA_USE_MVE on an MVE target); with MVE=0 or on any other target this
 * file is empty and the portable loops run.
 *
 * Exactness (the portable kernels' acc = sum over in-bounds taps of
 * w * (x + input_offset) modulo 2^32, then TFLM's requantization):
 *  - conv and FC: a pixel's K = Kh * Kw * Cin inputs are read in place (1x1),
 *    gathered by byte offsets (interior pixels of windows spanning <= 256
 *    bytes) or copied into a patch, padding taps holding x = -input_offset
 *    (the zero point), whose term w * (x + input_offset) is 0; then
 *    sum w * (x + off) = sum w * x + off * sum w over all K taps, an identity
 *    modulo 2^32, with sum w per channel computed once per eval. VMLADAVA
 *    accumulates int8 products into a 32-bit register, wrapping like uint32;
 *  - depthwise: the same identity per channel, channels across lanes, padding
 *    taps read from a row of zero points; int8 x int8 products are exact in
 *    int16 lanes, summed in int32 lanes;
 *  - requantization: VQRDMULH is gemmlowp's SaturatingRoundingDoublingHighMul
 *    bit for bit (both are floor((2ab + 2^31) / 2^32), INT32_MIN^2 saturating),
 *    and RoundingDivideByPOT is VRSHL after subtracting 1 from negative values
 *    when the shift is non-zero (ties away from zero, as CMSIS-NN does).
 * Shapes beyond the stack buffers fall back to the portable loops (return 0).
 * Instruction counts per layer: make -C firmware PROFILE=1, tests/profile.py.
 */
#include "host_fast.h"

#if EDLA_MVE_FAST

#include <arm_mve.h>

/* GCC 12's scheduling before register allocation hoists vector loads far
 * ahead of their use and runs out of the eight Q registers: spills. */
#pragma GCC optimize("no-schedule-insns")

#define MVE_MAX_K 2048 /* patch bytes (one pixel's K) */
#define MVE_GROUP 256  /* output channels per pass (per-channel tables on the stack) */

/* Output offset and clamp of one op, hoisted out of the loops (stores to int8
 * outputs could alias the op data as far as the compiler knows). */
typedef struct {
    int32_t output_offset, act_min, act_max;
} mve_out;

/* TFLM requantize_to_int8 of 4 lanes, before narrowing; lshift = max(shift, 0),
 * rshift = min(shift, 0) (minus the right shift). */
/* The rounding right shift, offset and clamp after the doubling high multiply. */
static inline int32x4_t requant4_tail(int32x4_t v, int32x4_t rshift, mve_out o) {
    /* ties away from zero: -1 for negative v when there is a right shift */
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(v, rshift), 31);
    v = vrshlq_s32(vqaddq_s32(v, fixup), rshift);
    v = vaddq_n_s32(v, o.output_offset);
    v = vmaxq_s32(v, vdupq_n_s32(o.act_min));
    return vminq_s32(v, vdupq_n_s32(o.act_max));
}

static inline int32x4_t requant4_lr(int32x4_t acc, int32x4_t mult, int32x4_t lshift,
                                    int32x4_t rshift, mve_out o) {
    return requant4_tail(vqrdmulhq_s32(vshlq_s32(acc, lshift), mult), rshift, o);
}

/* requant4_lr when no channel shifts left (multipliers below one: the usual case). */
static inline int32x4_t requant4_r(int32x4_t acc, int32x4_t mult, int32x4_t rshift, mve_out o) {
    return requant4_tail(vqrdmulhq_s32(acc, mult), rshift, o);
}

static inline int32x4_t requant4(int32x4_t acc, int32x4_t mult, int32x4_t shift, mve_out o) {
    const int32x4_t zero = vdupq_n_s32(0);
    return requant4_lr(acc, mult, vmaxq_s32(shift, zero), vminq_s32(shift, zero), o);
}

/* requant4 of channels with tables at mult/shift, stored to out[0 .. n), n <= 4. */
static inline void requant4_store(int32x4_t acc, const int32_t *mult, const int32_t *shift,
                                  mve_out o, int8_t *out, int n) {
    const mve_pred16_t live = vctp32q((uint32_t)n);
    vstrbq_p_s32(out, requant4(acc, vldrwq_z_s32(mult, live), vldrwq_z_s32(shift, live), o), live);
}

static inline mve_out out_params(const ku_channel_op_data *d) {
    const mve_out o = {d->output_offset, d->act_min, d->act_max};
    return o;
}

/* Per-channel tables of one pass: corr = bias + offset * sum w, mult, shift. */
typedef struct {
    int32_t corr[MVE_GROUP + 4], mult[MVE_GROUP + 4], lshift[MVE_GROUP + 4], rshift[MVE_GROUP + 4];
    int no_lshift; /* every lshift is 0 */
} mve_tables;

/* Channels [c0, c0 + n) of the chunk; filter row of chunk channel c at
 * filter + c * k (k contiguous bytes). */
static void tables_init(mve_tables *t, const ku_channel_op_data *d, const int8_t *filter, size_t k,
                        int c0, int n, int32_t offset) {
    for (int i = 0; i < n; ++i) {
        const int oc = d->c_begin + c0 + i;
        const int8_t *w = filter + (size_t)(c0 + i) * k;
        int32_t s = 0; /* |sum| <= 128 * k: fits */
        size_t j = 0;
        for (; j + 16 <= k; j += 16) {
            s = vaddvaq_s8(s, vldrbq_s8(w + j));
        }
        if (j < k) {
            s = vaddvaq_p_s8(s, vldrbq_z_s8(w + j, vctp8q((uint32_t)(k - j))), vctp8q((uint32_t)(k - j)));
        }
        uint32_t c = d->bias != 0 ? (uint32_t)d->bias[oc] : 0u;
        c += (uint32_t)s * (uint32_t)offset;
        t->corr[i] = u32_to_i32(c);
        t->mult[i] = d->mult[oc];
        t->lshift[i] = d->shift[oc] > 0 ? d->shift[oc] : 0;
        t->rshift[i] = d->shift[oc] > 0 ? 0 : d->shift[oc]; /* -right shift */
    }
    t->no_lshift = 1;
    for (int i = 0; i < n; ++i) {
        t->no_lshift &= t->lshift[i] == 0;
    }
    for (int i = n; i < n + 4; ++i) {
        t->corr[i] = t->mult[i] = t->lshift[i] = t->rshift[i] = 0;
    }
}

/* Four dots of x (blocks * 16 + tail bytes) with filter rows w0..w3 into
 * acc[0..3], sharing each x load. */
static inline __attribute__((always_inline)) int32x4_t
dot4(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3,
     size_t blocks, size_t tail, const int32_t *corr) {
    int32_t a0 = corr[0], a1 = corr[1], a2 = corr[2], a3 = corr[3];
    for (size_t j = blocks; j > 0; --j) {
        const int8x16_t xv = vldrbq_s8(x);
        x += 16;
        a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0));
        w0 += 16;
        a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1));
        w1 += 16;
        a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2));
        w2 += 16;
        a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3));
        w3 += 16;
    }
    if (tail != 0) {
        const mve_pred16_t pt = vctp8q((uint32_t)tail);
        const int8x16_t xv = vldrbq_z_s8(x, pt);
        a0 = vmladavaq_p_s8(a0, xv, vldrbq_z_s8(w0, pt), pt);
        a1 = vmladavaq_p_s8(a1, xv, vldrbq_z_s8(w1, pt), pt);
        a2 = vmladavaq_p_s8(a2, xv, vldrbq_z_s8(w2, pt), pt);
        a3 = vmladavaq_p_s8(a3, xv, vldrbq_z_s8(w3, pt), pt);
    }
    int32x4_t acc = vdupq_n_s32(a0);
    acc = vsetq_lane_s32(a1, acc, 1);
    acc = vsetq_lane_s32(a2, acc, 2);
    return vsetq_lane_s32(a3, acc, 3);
}

static inline int32x4_t requant_tables(int32x4_t acc, const mve_tables *t, int i, mve_out o) {
    return t->no_lshift ? requant4_r(acc, vldrwq_s32(t->mult + i), vldrwq_s32(t->rshift + i), o)
                        : requant4_lr(acc, vldrwq_s32(t->mult + i), vldrwq_s32(t->lshift + i),
                                      vldrwq_s32(t->rshift + i), o);
}

/* Short rows (k <= 64): x stays in nb = ceil(k / 16) registers for all the
 * channels, its lanes past k zero, so a channel costs nb filter loads and nb
 * VMLADAVA. The last filter block is loaded predicated unless k % 16 == 0
 * (full), so no read passes a row's end. nb and full are constants after
 * inlining. */
static inline __attribute__((always_inline)) int8x16_t short_load(const int8_t *p, int last,
                                                                  int full, mve_pred16_t pt) {
    return last && !full ? vldrbq_z_s8(p, pt) : vldrbq_s8(p);
}

/* The dot of x (x0..x3: its blocks, those from nb on unused) with the row at
 * *w, advancing *w to the next row (k bytes on) by post-incremented loads.
 * Written out, as GCC keeps neither a loop over the blocks unrolled nor an
 * array of them in registers. */
static inline __attribute__((always_inline)) int32_t
short_dot(const int8_t **w, size_t k, int nb, int full, mve_pred16_t pt, int8x16_t x0,
          int8x16_t x1, int8x16_t x2, int8x16_t x3) {
    const int8_t *p = *w;
    int32_t s = vmladavq_s8(x0, short_load(p, nb == 1, full, pt));
    p += 16;
    if (nb > 1) {
        s = vmladavaq_s8(s, x1, short_load(p, nb == 2, full, pt));
        p += 16;
    }
    if (nb > 2) {
        s = vmladavaq_s8(s, x2, short_load(p, nb == 3, full, pt));
        p += 16;
    }
    if (nb > 3) {
        s = vmladavaq_s8(s, x3, short_load(p, 1, full, pt));
        p += 16;
    }
    *w = full ? p : p - (16u * (size_t)nb - k);
    return s;
}

static inline __attribute__((always_inline)) void
dot_short_v(int8x16_t x0, int8x16_t x1, int8x16_t x2, int8x16_t x3, size_t k, int nb, int full,
            const int8_t *w, const mve_tables *t, int n, mve_out o, int8_t *out) {
    const mve_pred16_t pt = vctp8q((uint32_t)(k - 16u * (size_t)(nb - 1)));
    /* all the dots first, then bias and offset terms and the requantization,
     * 4 channels at a time */
    int32_t acc[MVE_GROUP] __attribute__((aligned(16)));
    int c = 0;
    for (; c + 2 <= n; c += 2) {
        acc[c] = short_dot(&w, k, nb, full, pt, x0, x1, x2, x3);
        acc[c + 1] = short_dot(&w, k, nb, full, pt, x0, x1, x2, x3);
    }
    if (c < n) {
        acc[c] = short_dot(&w, k, nb, full, pt, x0, x1, x2, x3);
    }
    int i = 0;
    if (t->no_lshift) {
        for (; i + 4 <= n; i += 4) {
            const int32x4_t a = vaddq_s32(vldrwq_s32(acc + i), vldrwq_s32(t->corr + i));
            vstrbq_s32(out + i, requant4_r(a, vldrwq_s32(t->mult + i), vldrwq_s32(t->rshift + i), o));
        }
    } else {
        for (; i + 4 <= n; i += 4) {
            const int32x4_t a = vaddq_s32(vldrwq_s32(acc + i), vldrwq_s32(t->corr + i));
            vstrbq_s32(out + i, requant_tables(a, t, i, o));
        }
    }
    if (i < n) {
        const mve_pred16_t live = vctp32q((uint32_t)(n - i));
        const int32x4_t a = vaddq_s32(vldrwq_z_s32(acc + i, live), vldrwq_s32(t->corr + i));
        vstrbq_p_s32(out + i, requant_tables(a, t, i, o), live);
    }
}

/* x0..x3 from x (zero past k; blocks from nb on are never used). */
static inline __attribute__((always_inline)) void
dot_short(const int8_t *x, size_t k, int nb, int full, const int8_t *w, const mve_tables *t,
          int n, mve_out o, int8_t *out) {
    const mve_pred16_t pt = vctp8q((uint32_t)(k - 16u * (size_t)(nb - 1)));
    const int8x16_t x0 = short_load(x, nb == 1, full, pt);
    const int8x16_t x1 = nb > 1 ? short_load(x + 16, nb == 2, full, pt) : x0;
    const int8x16_t x2 = nb > 2 ? short_load(x + 32, nb == 3, full, pt) : x0;
    const int8x16_t x3 = nb > 3 ? short_load(x + 48, 1, full, pt) : x0;
    dot_short_v(x0, x1, x2, x3, k, nb, full, w, t, n, o, out);
}

/* out[0 .. n) for channels [c0, c0 + n): dots of x (k bytes) with the filter
 * rows, 4 channels at a time; tables t hold the pass's channels from 0. */
static void dot_channels(const int8_t *x, size_t k, const int8_t *filter, const mve_tables *t,
                         int c0, int n, mve_out o, int8_t *out) {
    const int8_t *w = filter + (size_t)c0 * k;
    const size_t tail = k & 15u, blocks = k >> 4;
    int i = 0;
    for (; i + 4 <= n; i += 4, w += 4 * k) {
        const int32x4_t acc = dot4(x, w, w + k, w + 2 * k, w + 3 * k, blocks, tail, t->corr + i);
        vstrbq_s32(out + i, requant_tables(acc, t, i, o));
    }
    if (i < n) { /* 1 to 3 channels: rows past the chunk read row i again, never stored */
        const int live = n - i;
        const int8_t *w1 = live > 1 ? w + k : w, *w2 = live > 2 ? w + 2 * k : w;
        const int32x4_t acc = dot4(x, w, w1, w2, w, blocks, tail, t->corr + i);
        vstrbq_p_s32(out + i, requant_tables(acc, t, i, o), vctp32q((uint32_t)live));
    }
}

/* dst[0 .. n) = src[0 .. n), 16 bytes per step, the tail predicated. */
static inline void copy_bytes(int8_t *dst, const int8_t *src, size_t n) {
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        vstrbq_s8(dst + j, vldrbq_s8(src + j));
    }
    if (j < n) {
        const mve_pred16_t p = vctp8q((uint32_t)(n - j));
        vstrbq_p_s8(dst + j, vldrbq_z_s8(src + j, p), p);
    }
}

/* One pixel's K inputs in filter order (fy, fx, c); padding taps = zero point
 * (dst holds K rounded up to 16 bytes). */
static void build_patch(const ku_window *g, const ku_pixel *px, int8_t zero_point, int8_t *dst) {
    const size_t in_c = (size_t)g->in_c, row = (size_t)g->k_w * in_c;
    if (px->fy_begin != 0 || px->fy_end != g->k_h || px->fx_begin != 0 || px->fx_end != g->k_w) {
        const int8x16_t zp = vdupq_n_s8(zero_point);
        for (size_t j = 0; j < (size_t)g->k_h * row; j += 16) {
            vstrbq_s8(dst + j, zp);
        }
    }
    for (int fy = px->fy_begin; fy < px->fy_end && px->fx_begin < px->fx_end; ++fy) {
        const int8_t *in_row = px->in_b + (size_t)(px->y0 + fy * g->dil_h) * g->row_stride;
        int8_t *o = dst + (size_t)fy * row;
        if (g->dil_w == 1) { /* the in-bounds columns are one run */
            copy_bytes(o + (size_t)px->fx_begin * in_c,
                       in_row + (size_t)(px->x0 + px->fx_begin) * in_c,
                       (size_t)(px->fx_end - px->fx_begin) * in_c);
            continue;
        }
        for (int fx = px->fx_begin; fx < px->fx_end; ++fx) {
            copy_bytes(o + (size_t)fx * in_c, in_row + (size_t)(px->x0 + fx * g->dil_w) * in_c, in_c);
        }
    }
}

/* 16 bytes at base + off[even lanes 0..7, odd lanes 8..15] (u16 offsets), in lane order. */
static inline __attribute__((always_inline)) int8x16_t gather16_block(const int8_t *base, const uint16_t *off) {
    const int16x8_t even = vldrbq_gather_offset_s16(base, vldrhq_u16(off));
    const int16x8_t odd = vldrbq_gather_offset_s16(base, vldrhq_u16(off + 8));
    return vmovntq_s16(vmovnbq_s16(vdupq_n_s8(0), even), odd);
}

/* One pass (channels [c0, c0 + n) of the chunk) of a conv over every pixel:
 * a 1x1 stride-1 conv (direct) reads each pixel's K inputs in place, any
 * other gathers them into patch first. nb > 0: the short-row dots with
 * constants nb and full (k <= 64), else the general ones. */
static inline __attribute__((always_inline)) void
conv_pass(const ku_channel_op_data *d, const ku_window *g, const mve_tables *t, int c0, int n,
          int8_t *patch, int nb, int full) {
    const size_t k = (size_t)g->k_h * (size_t)g->k_w * (size_t)g->in_c;
    const int direct = g->k_h == 1 && g->k_w == 1; /* pad < extent 1: no padding */
    const int8_t zero_point = (int8_t)(-d->input_offset); /* in [-128, 127]: checked offset */
    const mve_out o = out_params(d);
    const int8_t *w = d->filter + (size_t)c0 * k;
    int8_t *out = d->out + d->c_begin + c0;
    if (direct && g->stride_h == 1 && g->stride_w == 1) { /* pixel p's inputs at p * in_c */
        const size_t pixels = (size_t)g->batches * (size_t)g->out_h * (size_t)g->out_w;
        const int8_t *x = d->input;
        for (size_t p = 0; p < pixels; ++p, x += g->in_c, out += g->out_c) {
            if (nb > 0) {
                dot_short(x, k, nb, full, w, t, n, o, out);
            } else {
                dot_channels(x, k, d->filter, t, c0, n, o, out);
            }
        }
        return;
    }
    /* k <= 64 and every tap within 256 bytes of tap (0, 0): an interior
     * pixel's x is up to four byte gathers, no patch */
    uint8_t offsets[64] __attribute__((aligned(16)));
    const size_t span = (size_t)(g->k_h - 1) * (size_t)g->dil_h * g->row_stride +
                        (size_t)(g->k_w - 1) * (size_t)g->dil_w * (size_t)g->in_c + (size_t)g->in_c;
    const int gather = nb > 0 && !direct && span <= 256;
    /* wider windows (span < 2^16: vww's first layer, 585 bytes): each block
     * as two 8-lane gathers with u16 offsets (even lanes, odd lanes),
     * narrowed into one int8 vector; lanes past k read offset 0 (their
     * filter lanes are zero) */
    uint16_t offsets16[64] __attribute__((aligned(16)));
    const int gather16 = nb > 0 && !direct && !gather && span <= 65535;
    for (size_t j = 0; (gather || gather16) && j < 16u * (size_t)nb; ++j) {
        const size_t c = j % (size_t)g->in_c, tap = j / (size_t)g->in_c;
        const size_t at = j < k ? (tap / (size_t)g->k_w) * (size_t)g->dil_h * g->row_stride +
                                      (tap % (size_t)g->k_w) * (size_t)g->dil_w * (size_t)g->in_c + c
                                : 0;
        if (gather) {
            offsets[j] = (uint8_t)at;
        } else {
            offsets16[(j & ~15u) + ((j & 1u) << 3) + ((j & 15u) >> 1)] = (uint16_t)at;
        }
    }
    ku_pixel px;
    ku_pixel_start(g, d->input, &px);
    do {
        if (gather && px.fy_begin == 0 && px.fy_end == g->k_h && px.fx_begin == 0 &&
            px.fx_end == g->k_w) {
            const int8_t *base = px.in_b + (size_t)px.y0 * g->row_stride + (size_t)px.x0 * (size_t)g->in_c;
            const mve_pred16_t pt = vctp8q((uint32_t)(k - 16u * (size_t)(nb - 1)));
            const int8x16_t x0 = nb == 1 && !full ? vldrbq_gather_offset_z_s8(base, vldrbq_u8(offsets), pt)
                                                  : vldrbq_gather_offset_s8(base, vldrbq_u8(offsets));
            const int8x16_t x1 = nb < 2 ? x0 : nb == 2 && !full
                                     ? vldrbq_gather_offset_z_s8(base, vldrbq_u8(offsets + 16), pt)
                                     : vldrbq_gather_offset_s8(base, vldrbq_u8(offsets + 16));
            const int8x16_t x2 = nb < 3 ? x0 : nb == 3 && !full
                                     ? vldrbq_gather_offset_z_s8(base, vldrbq_u8(offsets + 32), pt)
                                     : vldrbq_gather_offset_s8(base, vldrbq_u8(offsets + 32));
            const int8x16_t x3 = nb < 4 ? x0 : !full
                                     ? vldrbq_gather_offset_z_s8(base, vldrbq_u8(offsets + 48), pt)
                                     : vldrbq_gather_offset_s8(base, vldrbq_u8(offsets + 48));
            dot_short_v(x0, x1, x2, x3, k, nb, full, w, t, n, o, out);
            out += g->out_c;
            continue;
        }
        if (gather16 && px.fy_begin == 0 && px.fy_end == g->k_h && px.fx_begin == 0 &&
            px.fx_end == g->k_w) {
            const int8_t *base = px.in_b + (size_t)px.y0 * g->row_stride + (size_t)px.x0 * (size_t)g->in_c;
            const int8x16_t x0 = gather16_block(base, offsets16);
            const int8x16_t x1 = nb < 2 ? x0 : gather16_block(base, offsets16 + 16);
            const int8x16_t x2 = nb < 3 ? x0 : gather16_block(base, offsets16 + 32);
            const int8x16_t x3 = nb < 4 ? x0 : gather16_block(base, offsets16 + 48);
            dot_short_v(x0, x1, x2, x3, k, nb, full, w, t, n, o, out);
            out += g->out_c;
            continue;
        }
        const int8_t *x = patch;
        if (direct) {
            x = px.in_b + (size_t)px.y0 * g->row_stride + (size_t)px.x0 * (size_t)g->in_c;
        } else {
            build_patch(g, &px, zero_point, patch);
        }
        if (nb > 0) {
            dot_short(x, k, nb, full, w, t, n, o, out);
        } else {
            dot_channels(x, k, d->filter, t, c0, n, o, out);
        }
        out += g->out_c;
    } while (ku_pixel_next(g, &px));
}

/* One function per (nb, full), each keeping its x registers to itself. */
#define CONV_PASS(nb, full)                                                                   \
    static __attribute__((noinline)) void conv_pass_##nb##_##full(                            \
        const ku_channel_op_data *d, const ku_window *g, const mve_tables *t, int c0, int n,  \
        int8_t *patch) {                                                                       \
        conv_pass(d, g, t, c0, n, patch, nb, full);                                           \
    }
CONV_PASS(0, 0)
CONV_PASS(1, 0)
CONV_PASS(1, 1)
CONV_PASS(2, 0)
CONV_PASS(2, 1)
CONV_PASS(3, 0)
CONV_PASS(3, 1)
CONV_PASS(4, 0)
CONV_PASS(4, 1)

/* ---- 1x1 stride-1 conv, two pixels at a time ----------------------------------
 * Pixels p and p + 1 (inputs at x and x + k) against four output channels
 * whose filter rows are repacked block by block into pw_w (16 bytes of each
 * of the four rows in turn), so each weight load serves both pixels and all
 * loads walk forward: per 16-byte block of 2 pixels x 4 channels, 2 x and 4 w
 * loads and 8 VMLADAVA; the two pixels share the requantization tables.
 * k % 16 == 0, or k == 8 (half): one x load holds both pixels, and each
 * channel has its row once in lanes 0..7 and once in lanes 8..15 (zeros in
 * the others). An odd last pixel goes through dot_channels. */
#define PW_BYTES (64u * 1024u)
static int8_t pw_w[PW_BYTES] __attribute__((section(".dw_pad"), aligned(16)));

/* 0: the pass's filter does not fit pw_w. */
static int pw_pack(const int8_t *filter, size_t k, int c0, int n) {
    const int half = k == 8;
    const size_t blocks = half ? 2 : k / 16;
    if ((size_t)n * blocks * 16u > PW_BYTES) {
        return 0;
    }
    int8_t *dst = pw_w;
    const mve_pred16_t p8 = vctp8q(8);
    for (int i = 0; i < n; i += 4) {
        for (size_t b = 0; b < blocks; ++b) {
            for (int j = 0; j < 4; ++j, dst += 16) {
                const int8_t *row = filter + (size_t)(c0 + i + j) * k;
                if (!half) {
                    vstrbq_s8(dst, vldrbq_s8(row + b * 16));
                    continue;
                }
                const int8x16_t v = vldrbq_z_s8(row, p8); /* lanes 8..15 zero */
                vstrbq_s8(dst, b == 0 ? v : vdupq_n_s8(0));
                if (b == 1) {
                    vstrbq_p_s8(dst + 8, v, p8);
                }
            }
        }
    }
    return 1;
}

/* The vector of four scalars, two lanes per VMOV (GCC's lane inserts take one each). */
static inline __attribute__((always_inline)) int32x4_t pw_vec(int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
    int32x4_t v;
    __asm__("vmov %q[v][2], %q[v][0], %[a0], %[a2]\n\tvmov %q[v][3], %q[v][1], %[a1], %[a3]"
            : [v] "=w"(v)
            : [a0] "r"(a0), [a1] "r"(a1), [a2] "r"(a2), [a3] "r"(a3));
    return v;
}

/* What pw_body runs over: pixels of k bytes from x (pixel p at x + p * k), outputs
 * from out (pixel p at out + p * out_c), an odd last pixel dotted with the rows
 * from c0 of filter (k bytes each). */
typedef struct {
    const int8_t *x, *filter;
    int8_t *out;
    size_t pixels, k, out_c;
    int c0;
} pw_job;

static inline __attribute__((always_inline)) void pw_body(const ku_channel_op_data *d, const mve_tables *t,
                                                         int n, const pw_job *job, int half, int no_lshift,
                                                         int sat) {
    const size_t k = job->k, out_c = job->out_c, blocks = k / 16, pixels = job->pixels;
    const mve_out o = out_params(d);
    const int16_t off = (int16_t)d->output_offset;
    const int16x8_t lo = vdupq_n_s16((int16_t)d->act_min), hi = vdupq_n_s16((int16_t)d->act_max);
    /* lane 2j: channel j of the first pixel, 2j + 1: of the second (out_c < 65532: checked) */
    const uint16x8_t offs = vaddq_u16(vshrq_n_u16(vidupq_n_u16(0, 1), 1),
                                      vmulq_n_u16(vandq_u16(vidupq_n_u16(0, 1), vdupq_n_u16(1)), (uint16_t)out_c));
    const int8_t *x = job->x;
    int8_t *out = job->out;
    size_t p = 0;
    for (; p + 2 <= pixels; p += 2, x += 2 * k, out += 2 * out_c) {
        const int8_t *w = pw_w;
        for (int i = 0; i < n; i += 4) {
            /* VMLADAVA accumulates in even registers only: the eight sums are
             * pinned to the eight even ones (GCC spills when it picks) */
            register int32_t a0 __asm__("r0"), a1 __asm__("r2"), a2 __asm__("r4"), a3 __asm__("r6");
            register int32_t b0 __asm__("r8"), b1 __asm__("r10"), b2 __asm__("r12"), b3 __asm__("lr");
            if (half) {
                __asm__ volatile("vldrb.8 q0, [%[x]]\n\t"
                                 "vldrb.8 q1, [%[w]], #16\n\tvmladav.s8 %[a0], q0, q1\n\t"
                                 "vldrb.8 q1, [%[w]], #16\n\tvmladav.s8 %[a1], q0, q1\n\t"
                                 "vldrb.8 q1, [%[w]], #16\n\tvmladav.s8 %[a2], q0, q1\n\t"
                                 "vldrb.8 q1, [%[w]], #16\n\tvmladav.s8 %[a3], q0, q1\n\t"
                                 "vldrb.8 q1, [%[w]], #16\n\tvmladav.s8 %[b0], q0, q1\n\t"
                                 "vldrb.8 q1, [%[w]], #16\n\tvmladav.s8 %[b1], q0, q1\n\t"
                                 "vldrb.8 q1, [%[w]], #16\n\tvmladav.s8 %[b2], q0, q1\n\t"
                                 "vldrb.8 q1, [%[w]], #16\n\tvmladav.s8 %[b3], q0, q1"
                                 : [a0] "=r"(a0), [a1] "=r"(a1), [a2] "=r"(a2), [a3] "=r"(a3),
                                   [b0] "=r"(b0), [b1] "=r"(b1), [b2] "=r"(b2), [b3] "=r"(b3), [w] "+r"(w)
                                 : [x] "r"(x)
                                 : "q0", "q1", "memory");
            } else {
                const int8_t *xa = x, *xb = x + k;
                size_t j = blocks;
                /* per block: x of both pixels, then each channel's 16 weights for both */
                __asm__ volatile("movs %[a0], #0\n\tmovs %[a1], #0\n\tmovs %[a2], #0\n\tmovs %[a3], #0\n\t"
                                 "movs %[b0], #0\n\tmovs %[b1], #0\n\tmovs %[b2], #0\n\tmovs %[b3], #0\n"
                                 "1:\n\t"
                                 "vldrb.8 q0, [%[xa]], #16\n\tvldrb.8 q1, [%[xb]], #16\n\t"
                                 "vldrb.8 q2, [%[w]], #16\n\t"
                                 "vmladava.s8 %[a0], q0, q2\n\tvmladava.s8 %[b0], q1, q2\n\t"
                                 "vldrb.8 q2, [%[w]], #16\n\t"
                                 "vmladava.s8 %[a1], q0, q2\n\tvmladava.s8 %[b1], q1, q2\n\t"
                                 "vldrb.8 q2, [%[w]], #16\n\t"
                                 "vmladava.s8 %[a2], q0, q2\n\tvmladava.s8 %[b2], q1, q2\n\t"
                                 "vldrb.8 q2, [%[w]], #16\n\t"
                                 "vmladava.s8 %[a3], q0, q2\n\tvmladava.s8 %[b3], q1, q2\n\t"
                                 "subs %[j], #1\n\t"
                                 "bne 1b"
                                 : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3),
                                   [b0] "=&r"(b0), [b1] "=&r"(b1), [b2] "=&r"(b2), [b3] "=&r"(b3),
                                   [w] "+r"(w), [xa] "+r"(xa), [xb] "+r"(xb), [j] "+r"(j)
                                 :
                                 : "q0", "q1", "q2", "memory", "cc");
            }
            const int32x4_t corr = vldrwq_s32(t->corr + i), mult = vldrwq_s32(t->mult + i);
            const int32x4_t rshift = vldrwq_s32(t->rshift + i);
            const int32x4_t va = vaddq_s32(pw_vec(a0, a1, a2, a3), corr);
            const int32x4_t vb = vaddq_s32(pw_vec(b0, b1, b2, b3), corr);
            if (sat) { /* every shift a right shift: narrow with saturation, both pixels at once */
                int32x4_t ra = vqrdmulhq_s32(va, mult), rb = vqrdmulhq_s32(vb, mult);
                ra = vrshlq_s32(vqaddq_s32(ra, vshrq_n_s32(ra, 31)), rshift);
                rb = vrshlq_s32(vqaddq_s32(rb, vshrq_n_s32(rb, 31)), rshift);
                int16x8_t v = vqmovntq_s32(vqmovnbq_s32(vdupq_n_s16(0), ra), rb); /* a0 b0 a1 b1 .. */
                v = vminq_s16(vmaxq_s16(vqaddq_n_s16(v, off), lo), hi);
                vstrbq_scatter_offset_s16(out + i, offs, v);
            } else if (no_lshift) {
                vstrbq_s32(out + i, requant4_r(va, mult, rshift, o));
                vstrbq_s32(out + out_c + i, requant4_r(vb, mult, rshift, o));
            } else {
                const int32x4_t lshift = vldrwq_s32(t->lshift + i);
                vstrbq_s32(out + i, requant4_lr(va, mult, lshift, rshift, o));
                vstrbq_s32(out + out_c + i, requant4_lr(vb, mult, lshift, rshift, o));
            }
        }
    }
    if (p < pixels) {
        dot_channels(x, k, job->filter, t, job->c0, n, o, out);
    }
}

/* mode 0: some shift left; 1: none; 2: every shift a right shift */
#define PW_VARIANT(half, mode)                                                                     \
    static __attribute__((noinline)) void pw_##half##mode(const ku_channel_op_data *d, const mve_tables *t, \
                                                         int n, const pw_job *job) {               \
        pw_body(d, t, n, job, half, mode > 0, mode == 2);                                          \
    }
PW_VARIANT(0, 0)
PW_VARIANT(0, 1)
PW_VARIANT(0, 2)
PW_VARIANT(1, 0)
PW_VARIANT(1, 1)
PW_VARIANT(1, 2)

static void pw_dispatch(const ku_channel_op_data *d, const mve_tables *t, int n, const pw_job *job) {
    int right = job->out_c < 65532;
    for (int i = 0; i < n; ++i) {
        right &= t->rshift[i] < 0;
    }
    const int mode = right ? 2 : t->no_lshift;
    if (job->k == 8) {
        mode == 2 ? pw_12(d, t, n, job) : mode ? pw_11(d, t, n, job) : pw_10(d, t, n, job);
    } else {
        mode == 2 ? pw_02(d, t, n, job) : mode ? pw_01(d, t, n, job) : pw_00(d, t, n, job);
    }
}

/* 1: ran the pass as pw_body. */
static int pw_run(const ku_channel_op_data *d, const ku_window *g, const mve_tables *t, int c0, int n) {
    const size_t k = (size_t)g->in_c;
    if (g->k_h != 1 || g->k_w != 1 || g->stride_h != 1 || g->stride_w != 1 || n % 4 != 0 ||
        (k % 16 != 0 && k != 8) || !pw_pack(d->filter, k, c0, n)) {
        return 0;
    }
    const pw_job job = {d->input, d->filter, d->out + d->c_begin + c0,
                        (size_t)g->batches * (size_t)g->out_h * (size_t)g->out_w, k, (size_t)g->out_c, c0};
    pw_dispatch(d, t, n, &job);
    return 1;
}

static int cv_run(const ku_channel_op_data *d, const ku_window *g, const mve_tables *t, int c0, int n);

/* Filter element (oc, kk) at filter[oc * k + kk] (conv) only: contiguous rows. */
int edla_fast_conv_2d(const ku_channel_op_data *d, const ku_window *g) {
    const size_t k = (size_t)g->k_h * (size_t)g->k_w * (size_t)g->in_c;
    if (k > MVE_MAX_K) {
        return 0;
    }
#ifdef EDLA_MVE_NO_CONV
    return 0;
#endif
    int8_t patch[MVE_MAX_K] __attribute__((aligned(16)));
    mve_tables t;
    const int chunk = d->c_end - d->c_begin;
    for (int c0 = 0; c0 < chunk; c0 += MVE_GROUP) {
        const int n = chunk - c0 < MVE_GROUP ? chunk - c0 : MVE_GROUP;
        tables_init(&t, d, d->filter, k, c0, n, d->input_offset);
        if (pw_run(d, g, &t, c0, n) || cv_run(d, g, &t, c0, n)) {
            continue;
        }
        switch (k <= 64 ? (int)((k + 15u) / 16u) * 2 + (k % 16u == 0) : 0) {
        case 2: conv_pass_1_0(d, g, &t, c0, n, patch); break;
        case 3: conv_pass_1_1(d, g, &t, c0, n, patch); break;
        case 4: conv_pass_2_0(d, g, &t, c0, n, patch); break;
        case 5: conv_pass_2_1(d, g, &t, c0, n, patch); break;
        case 6: conv_pass_3_0(d, g, &t, c0, n, patch); break;
        case 7: conv_pass_3_1(d, g, &t, c0, n, patch); break;
        case 8: conv_pass_4_0(d, g, &t, c0, n, patch); break;
        case 9: conv_pass_4_1(d, g, &t, c0, n, patch); break;
        default: conv_pass_0_0(d, g, &t, c0, n, patch); break;
        }
    }
    return 1;
}

int edla_fast_fully_connected(const ku_channel_op_data *d, size_t rows, size_t out_c, int depth,
                              int32_t filter_offset) {
    if (filter_offset != 0) {
        return 0;
    }
    mve_tables t;
    const mve_out o = out_params(d);
    const size_t k = (size_t)depth;
    const int chunk = d->c_end - d->c_begin;
    for (int c0 = 0; c0 < chunk; c0 += MVE_GROUP) {
        const int n = chunk - c0 < MVE_GROUP ? chunk - c0 : MVE_GROUP;
        tables_init(&t, d, d->filter, k, c0, n, d->input_offset);
        for (size_t r = 0; r < rows; ++r) {
            dot_channels(d->input + r * k, k, d->filter, &t, c0, n, o,
                         d->out + r * out_c + (size_t)d->c_begin + (size_t)c0);
        }
    }
    return 1;
}

/* Depthwise tables of a block of channels, per accumulator vector h (lane i
 * holds channel groups * i + h of the block): the accumulator start
 * (bias + offset * sum over all taps of w) and the requantization. */
typedef struct {
    int32x4_t corr, mult, lshift, rshift;
} dw_lanes;

#define DW_PASS 128 /* channels per pass (tables on the stack) */
#define DW_MAX_TAPS 128 /* tap tables on the stack (micro_speech: 80) */

/* Tables of channels [c, c + 4 * groups) of the chunk; channels from `live`
 * on get zeros (their filter lanes are loaded as 0 too). */
static void dw_tables(const ku_channel_op_data *d, int taps, size_t chunk, int c, int live,
                      int groups, dw_lanes *out) {
    int32_t tab[4][4][4];
    for (int j = 0; j < 4 * groups; ++j) {
        const int h = j % groups, i = j / groups, oc = d->c_begin + c + j;
        const int in = j < live;
        int32_t sum = 0; /* |sum| <= 128 * taps: fits */
        for (int t = 0; in && t < taps; ++t) {
            sum += d->filter[(size_t)t * chunk + (size_t)(c + j)];
        }
        const int32_t bias = in && d->bias != 0 ? d->bias[oc] : 0;
        const int32_t shift = in ? d->shift[oc] : 0;
        tab[0][h][i] = u32_to_i32((uint32_t)bias + (uint32_t)sum * (uint32_t)d->input_offset);
        tab[1][h][i] = in ? d->mult[oc] : 0;
        tab[2][h][i] = shift > 0 ? shift : 0;
        tab[3][h][i] = shift > 0 ? 0 : shift; /* -right shift */
    }
    for (int h = 0; h < groups; ++h) {
        out[h].corr = vldrwq_s32(tab[0][h]);
        out[h].mult = vldrwq_s32(tab[1][h]);
        out[h].lshift = vldrwq_s32(tab[2][h]);
        out[h].rshift = vldrwq_s32(tab[3][h]);
    }
}

static inline int32x4_t dw_requant(int32x4_t acc, const dw_lanes *l, int no_lshift, mve_out o) {
    return no_lshift ? requant4_r(acc, l->mult, l->rshift, o)
                     : requant4_lr(acc, l->mult, l->lshift, l->rshift, o);
}

/* Depth multiplier 1 (or one input channel, bcast), channels across lanes,
 * every pixel over all its taps:
 * a tap outside the input reads a row of zero points instead (x = -offset,
 * so w * (x + offset) = 0, as skipping it), and the input offset is
 * offset * sum w, in the tables. Then x and w are raw int8 and w * x is exact
 * in int16. Blocks of 16 channels: one int8 load each of x and w per tap,
 * VMULLB/VMULLT.S8 (even and odd channels), widened into four int32
 * accumulators (channel 4i + h in vector h), narrowed back in channel order.
 * The last < 16 channels: 8 per int16 vector (VMULLB/VMULLT.S16). */
static inline __attribute__((always_inline)) void dw_body(const ku_channel_op_data *d,
                                                         const ku_window *g, int bcast,
                                                         int no_lshift) {
    const int taps = g->k_h * g->k_w;
    const int n = d->c_end - d->c_begin;
    const size_t in_c = (size_t)g->in_c, chunk = (size_t)n;
    const mve_out o = out_params(d);
    dw_lanes wide[DW_PASS / 16][4], narrow[2][2];
    int8_t zero_points[DW_PASS + 16] __attribute__((aligned(16)));
    const int8_t *xp[DW_MAX_TAPS];
    int32_t tap_x[DW_MAX_TAPS];
    memset(zero_points, -d->input_offset, sizeof zero_points); /* in [-128, 127]: checked */
    for (int t = 0; t < taps; ++t) {
        tap_x[t] = (int32_t)((size_t)(t / g->k_w) * (size_t)g->dil_h * g->row_stride +
                             (size_t)(t % g->k_w) * (size_t)g->dil_w * in_c);
    }
    const int k_h = g->k_h, k_w = g->k_w;
    const ptrdiff_t row_stride = (ptrdiff_t)g->row_stride;
    for (int c0 = 0; c0 < n; c0 += DW_PASS) {
        const int gn = n - c0 < DW_PASS ? n - c0 : DW_PASS;
        const int n16 = gn / 16, rest = gn % 16;
        for (int b = 0; b < n16; ++b) {
            dw_tables(d, taps, chunk, c0 + b * 16, 16, 4, wide[b]);
        }
        for (int b = 0; b * 8 < rest; ++b) {
            dw_tables(d, taps, chunk, c0 + n16 * 16 + b * 8, rest - b * 8, 2, narrow[b]);
        }
        int8_t *out = d->out + d->c_begin + c0;
        const int8_t *w_pass = d->filter + (size_t)c0;
        ku_pixel px;
        ku_pixel_start(g, d->input, &px);
        do {
            /* tap t's x for the pass's channel 0; b * 16 further for block b
             * (the zero-point row is as long as a pass) */
            const int8_t *x0 = px.in_b + (bcast ? 0 : (size_t)d->c_begin + (size_t)c0);
            const ptrdiff_t origin = (ptrdiff_t)px.y0 * row_stride + (ptrdiff_t)px.x0 * (ptrdiff_t)in_c;
            if (px.fy_begin == 0 && px.fy_end == k_h && px.fx_begin == 0 && px.fx_end == k_w) {
                for (int t = 0; t < taps; ++t) {
                    xp[t] = x0 + (origin + tap_x[t]);
                }
            } else {
                for (int t = 0; t < taps; ++t) {
                    xp[t] = zero_points;
                }
                for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
                    for (int t = fy * k_w + px.fx_begin; t < fy * k_w + px.fx_end; ++t) {
                        xp[t] = x0 + (origin + tap_x[t]);
                    }
                }
            }
            for (int b = 0; b < n16; ++b) {
                const dw_lanes *l = wide[b];
                int32x4_t a0 = l[0].corr, a1 = l[1].corr, a2 = l[2].corr, a3 = l[3].corr;
                const int8_t *wb = w_pass + b * 16;
                const int bo = b * 16;
                for (int t = 0; t < taps; ++t, wb += chunk) {
                    const int8x16_t xv = bcast ? vdupq_n_s8(*xp[t]) : vldrbq_s8(xp[t] + bo);
                    const int8x16_t wv = vldrbq_s8(wb);
                    const int16x8_t pe = vmullbq_int_s8(xv, wv), po = vmulltq_int_s8(xv, wv);
                    a0 = vaddq_s32(a0, vmovlbq_s16(pe));
                    a2 = vaddq_s32(a2, vmovltq_s16(pe));
                    a1 = vaddq_s32(a1, vmovlbq_s16(po));
                    a3 = vaddq_s32(a3, vmovltq_s16(po));
                }
                const int32x4_t r0 = dw_requant(a0, &l[0], no_lshift, o);
                const int32x4_t r1 = dw_requant(a1, &l[1], no_lshift, o);
                const int32x4_t r2 = dw_requant(a2, &l[2], no_lshift, o);
                const int32x4_t r3 = dw_requant(a3, &l[3], no_lshift, o);
                const int16x8_t even = vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), r0), r2);
                const int16x8_t odd = vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), r1), r3);
                vstrbq_s8(out + bo, vmovntq_s16(vmovnbq_s16(vdupq_n_s8(0), even), odd));
            }
            for (int b = 0; b * 8 < rest; ++b) {
                const int live = rest - b * 8 < 8 ? rest - b * 8 : 8;
                const mve_pred16_t p = vctp16q((uint32_t)live);
                const dw_lanes *l = narrow[b];
                int32x4_t ae = l[0].corr, ao = l[1].corr;
                const int bo = n16 * 16 + b * 8;
                const int8_t *wb = w_pass + bo;
                if (live == 8) {
                    for (int t = 0; t < taps; ++t, wb += chunk) {
                        const int16x8_t xv = bcast ? vdupq_n_s16(*xp[t]) : vldrbq_s16(xp[t] + bo);
                        const int16x8_t wv = vldrbq_s16(wb);
                        ae = vaddq_s32(ae, vmullbq_int_s16(xv, wv));
                        ao = vaddq_s32(ao, vmulltq_int_s16(xv, wv));
                    }
                } else {
                    for (int t = 0; t < taps; ++t, wb += chunk) {
                        /* lanes past the chunk: w = 0, so their product is 0 */
                        const int16x8_t xv =
                            bcast ? vdupq_n_s16(*xp[t]) : vldrbq_z_s16(xp[t] + bo, p);
                        const int16x8_t wv = vldrbq_z_s16(wb, p);
                        ae = vaddq_s32(ae, vmullbq_int_s16(xv, wv));
                        ao = vaddq_s32(ao, vmulltq_int_s16(xv, wv));
                    }
                }
                const int32x4_t re = dw_requant(ae, &l[0], no_lshift, o);
                const int32x4_t ro = dw_requant(ao, &l[1], no_lshift, o);
                vstrbq_p_s16(out + bo, vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), re), ro), p);
            }
            out += g->out_c;
        } while (ku_pixel_next(g, &px));
    }
}

/* One function per (bcast, no_lshift): constants in the loops. */
#define DW_VARIANT(bcast, no_lshift)                                                         \
    static __attribute__((noinline)) void dw_##bcast##_##no_lshift(const ku_channel_op_data *d, \
                                                                  const ku_window *g) {      \
        dw_body(d, g, bcast, no_lshift);                                                    \
    }
DW_VARIANT(0, 0)
DW_VARIANT(0, 1)
DW_VARIANT(1, 0)
DW_VARIANT(1, 1)

/* Depthwise with depth multiplier 1, 16 lanes per step over all taps and
 * pairs of taps summed in int16: |x * w| <= 128 * 127 when no weight is
 * -128, so two products fit (-128 weights: one tap at a time). Lane j holds
 * channel 16 * blk + j (channels a multiple of 16), or, for C = 1, 2, 4 or 8
 * channels, channel j % C of output pixel j / C along the row: interior
 * groups of 16 / C pixels load their x with one gather (a plain load at
 * stride 1); the other pixels go one at a time, C lanes live, padding taps
 * reading a row of zero points (as dw_body). */
#define DWP_MAX_TAPS 25

typedef struct {
    int8_t w[DWP_MAX_TAPS][16] __attribute__((aligned(16))); /* lane weights per tap */
    dw_lanes l[4]; /* lane 4i + h in vector h: as dw_body's accumulators */
    int pair;
} dwp_block;

/* Lane j reads channel c0 + j % per (per: channels per pixel, 16 for blocks). */
static void dwp_tables(const ku_channel_op_data *d, int taps, size_t chunk, int c0, int per, dwp_block *b) {
    int32_t tab[4][4][4];
    b->pair = 1;
    for (int j = 0; j < 16; ++j) {
        const int c = c0 + j % per, oc = d->c_begin + c, h = j % 4, i = j / 4;
        int32_t sum = 0;
        for (int t = 0; t < taps; ++t) {
            const int8_t w = d->filter[(size_t)t * chunk + (size_t)c];
            b->w[t][j] = w;
            sum += w;
            b->pair &= w != -128;
        }
        const int32_t bias = d->bias != 0 ? d->bias[oc] : 0, shift = d->shift[oc];
        tab[0][h][i] = u32_to_i32((uint32_t)bias + (uint32_t)sum * (uint32_t)d->input_offset);
        tab[1][h][i] = d->mult[oc];
        tab[2][h][i] = shift > 0 ? shift : 0;
        tab[3][h][i] = shift > 0 ? 0 : shift;
    }
    for (int h = 0; h < 4; ++h) {
        b->l[h].corr = vldrwq_s32(tab[0][h]);
        b->l[h].mult = vldrwq_s32(tab[1][h]);
        b->l[h].lshift = vldrwq_s32(tab[2][h]);
        b->l[h].rshift = vldrwq_s32(tab[3][h]);
    }
}

/* x of tap t: from xp[t] (border: per-tap pointers), else base + tap_x[t],
 * gathered by offs when gather. */
static inline __attribute__((always_inline)) int8x16_t
dwp_x(const int8_t *base, const int32_t *tap_x, const int8_t *const *xp, int t, int gather,
      uint8x16_t offs, mve_pred16_t live) {
    if (xp) {
        return vldrbq_z_s8(xp[t], live);
    }
    return gather ? vldrbq_gather_offset_s8(base + tap_x[t], offs) : vldrbq_s8(base + tap_x[t]);
}

static inline __attribute__((always_inline)) void
dwp_step(const dwp_block *b, int taps, const int8_t *base, const int32_t *tap_x, const int8_t *const *xp,
         int gather, uint8x16_t offs, mve_pred16_t live, int no_lshift, mve_out o, int8_t *out) {
    int32x4_t a0 = b->l[0].corr, a1 = b->l[1].corr, a2 = b->l[2].corr, a3 = b->l[3].corr;
    int t = 0;
    if (b->pair) {
        for (; t + 2 <= taps; t += 2) {
            const int8x16_t x0 = dwp_x(base, tap_x, xp, t, gather, offs, live);
            const int8x16_t w0 = vldrbq_s8(b->w[t]);
            int16x8_t pe = vmullbq_int_s8(x0, w0), po = vmulltq_int_s8(x0, w0);
            const int8x16_t x1 = dwp_x(base, tap_x, xp, t + 1, gather, offs, live);
            const int8x16_t w1 = vldrbq_s8(b->w[t + 1]);
            pe = vaddq_s16(pe, vmullbq_int_s8(x1, w1));
            po = vaddq_s16(po, vmulltq_int_s8(x1, w1));
            a0 = vaddq_s32(a0, vmovlbq_s16(pe));
            a2 = vaddq_s32(a2, vmovltq_s16(pe));
            a1 = vaddq_s32(a1, vmovlbq_s16(po));
            a3 = vaddq_s32(a3, vmovltq_s16(po));
        }
    }
    for (; t < taps; ++t) {
        const int8x16_t xv = dwp_x(base, tap_x, xp, t, gather, offs, live);
        const int8x16_t wv = vldrbq_s8(b->w[t]);
        const int16x8_t pe = vmullbq_int_s8(xv, wv), po = vmulltq_int_s8(xv, wv);
        a0 = vaddq_s32(a0, vmovlbq_s16(pe));
        a2 = vaddq_s32(a2, vmovltq_s16(pe));
        a1 = vaddq_s32(a1, vmovlbq_s16(po));
        a3 = vaddq_s32(a3, vmovltq_s16(po));
    }
    const int32x4_t r0 = dw_requant(a0, &b->l[0], no_lshift, o);
    const int32x4_t r1 = dw_requant(a1, &b->l[1], no_lshift, o);
    const int32x4_t r2 = dw_requant(a2, &b->l[2], no_lshift, o);
    const int32x4_t r3 = dw_requant(a3, &b->l[3], no_lshift, o);
    const int16x8_t even = vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), r0), r2);
    const int16x8_t odd = vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), r1), r3);
    vstrbq_p_s8(out, vmovntq_s16(vmovnbq_s16(vdupq_n_s8(0), even), odd), live);
}

/* per: channels per pixel in the lanes (C, or 16 for 16-channel blocks). */
static inline __attribute__((always_inline)) void dwp_body(const ku_channel_op_data *d, const ku_window *g,
                                                          int per, int gather, int no_lshift) {
    const int taps = g->k_h * g->k_w, k_w = g->k_w, n = d->c_end - d->c_begin;
    const int group = 16 / per; /* output pixels per step */
    const size_t in_c = (size_t)g->in_c, out_c = (size_t)g->out_c;
    const mve_out o = out_params(d);
    const mve_pred16_t live = vctp8q((uint32_t)per);
    int8_t zero_points[16] __attribute__((aligned(16)));
    int32_t tap_x[DWP_MAX_TAPS];
    const int8_t *xp[DWP_MAX_TAPS];
    uint8_t offs_b[16] __attribute__((aligned(16)));
    memset(zero_points, -d->input_offset, sizeof zero_points); /* in [-128, 127]: checked */
    for (int t = 0; t < taps; ++t) {
        tap_x[t] = (int32_t)((size_t)(t / k_w) * (size_t)g->dil_h * g->row_stride +
                             (size_t)(t % k_w) * (size_t)g->dil_w * in_c);
    }
    for (int j = 0; j < 16; ++j) { /* <= 15 * stride * C + C - 1 < 256: checked */
        offs_b[j] = (uint8_t)((j / per) * g->stride_w * per + j % per);
    }
    const uint8x16_t offs = vldrbq_u8(offs_b);
    /* interior columns: [ox_lo, ox_hi) */
    int ox_lo = g->out_w, ox_hi = 0;
    for (int ox = 0; ox < g->out_w; ++ox) {
        const int x0 = ox * g->stride_w - g->pad_left;
        if (x0 >= 0 && x0 + (k_w - 1) * g->dil_w < g->in_w) {
            ox_lo = ox < ox_lo ? ox : ox_lo;
            ox_hi = ox + 1;
        }
    }
    dwp_block blk;
    for (int c0 = 0; c0 < n; c0 += 16) {
        dwp_tables(d, taps, (size_t)n, c0, per, &blk);
        for (int b = 0; b < g->batches; ++b) {
            const int8_t *in_b = d->input + (size_t)b * g->batch_stride + (size_t)d->c_begin + (size_t)c0;
            int8_t *out_b = d->out + (size_t)b * (size_t)g->out_h * (size_t)g->out_w * out_c +
                            (size_t)d->c_begin + (size_t)c0;
            for (int oy = 0; oy < g->out_h; ++oy) {
                const int y0 = oy * g->stride_h - g->pad_top;
                int fy0, fy1;
                ku_tap_range(y0, g->dil_h, g->k_h, g->in_h, &fy0, &fy1);
                const int row_in = fy0 == 0 && fy1 == g->k_h;
                int8_t *out_row = out_b + (size_t)oy * (size_t)g->out_w * out_c;
                for (int ox = 0; ox < g->out_w;) {
                    const int x0 = ox * g->stride_w - g->pad_left;
                    if (row_in && ox >= ox_lo && ox + group <= ox_hi) {
                        const int8_t *base = in_b + (ptrdiff_t)y0 * (ptrdiff_t)g->row_stride +
                                             (ptrdiff_t)x0 * (ptrdiff_t)in_c;
                        dwp_step(&blk, taps, base, tap_x, 0, gather, offs, vctp8q(16), no_lshift, o,
                                 out_row + (size_t)ox * out_c);
                        ox += group;
                        continue;
                    }
                    int fx0, fx1;
                    ku_tap_range(x0, g->dil_w, k_w, g->in_w, &fx0, &fx1);
                    for (int t = 0; t < taps; ++t) {
                        xp[t] = zero_points;
                    }
                    for (int fy = fy0; fy < fy1; ++fy) {
                        for (int fx = fx0; fx < fx1; ++fx) {
                            xp[fy * k_w + fx] = in_b + (ptrdiff_t)(y0 + fy * g->dil_h) * (ptrdiff_t)g->row_stride +
                                                (ptrdiff_t)(x0 + fx * g->dil_w) * (ptrdiff_t)in_c;
                        }
                    }
                    dwp_step(&blk, taps, 0, 0, xp, 0, offs, live, no_lshift, o, out_row + (size_t)ox * out_c);
                    ++ox;
                }
            }
        }
    }
}

#define DWP_VARIANT(name, per, gather, no_lshift)                                               \
    static __attribute__((noinline)) void dwp_##name##_##no_lshift(const ku_channel_op_data *d, \
                                                                    const ku_window *g, int p) { \
        (void)p;                                                                                \
        dwp_body(d, g, per, gather, no_lshift);                                                \
    }
DWP_VARIANT(load, p, 0, 0)
DWP_VARIANT(load, p, 0, 1)
DWP_VARIANT(gather, p, 1, 0)
DWP_VARIANT(gather, p, 1, 1)

/* 1: ran the pixel-packed kernel. */
static int dwp_run(const ku_channel_op_data *d, const ku_window *g, int no_lshift) {
    const int n = d->c_end - d->c_begin, taps = g->k_h * g->k_w;
    if (taps > DWP_MAX_TAPS) {
        return 0;
    }
    if ((n != 1 && n != 2 && n != 4 && n != 8) || n != g->in_c || n != g->out_c || g->stride_w > 16) {
        return 0;
    }
    if (g->stride_w == 1) { /* the group's x are contiguous */
        no_lshift ? dwp_load_1(d, g, n) : dwp_load_0(d, g, n);
    } else {
        no_lshift ? dwp_gather_1(d, g, n) : dwp_gather_0(d, g, n);
    }
    return 1;
}

/* ---- depthwise 3x3 over a padded copy of the input ---------------------------
 * Depth multiplier 1, every channel's shift a right shift. The input is first
 * copied into dwr_pad with borders of zero points (x = -offset: w * (x + offset)
 * = 0, as skipping the tap; the offset is offset * sum w in the tables), so
 * every output pixel is interior: its taps are three rows of three at fixed
 * strides, no per-pixel bounds. Lanes as dwp_step (channel j % per of output
 * pixel j / per): per = 16 (blocks of 16 channels, any stride) or C = 1, 2, 4,
 * 8 at stride 1 (16 / C adjacent pixels: contiguous x). Requantization narrows
 * with saturation, so only the activation clamp is left (|requantized| <= 2^30
 * with a right shift: adding the output offset cannot wrap). The zero points
 * the taps read (activation-sparsity counts) are counted on the padded copy:
 * padded pixel p is read by m_y(row) x m_x(column) (output pixel, tap) pairs. */
#define DWR_PAD_BYTES (256u * 1024u)
#define DWR_MAX_ROW 16384u /* bytes of a padded row (the counting weights) */
static int8_t dwr_pad[DWR_PAD_BYTES] __attribute__((section(".dw_pad"), aligned(16)));
static uint8_t dwr_mw[DWR_MAX_ROW] __attribute__((section(".dw_pad"), aligned(16)));

/* A block's weights and lane tables, at the offsets dwr_step's loads use. */
typedef struct {
    int8_t w[9][16];
    int32x4_t corr[4], mult[4], rshift[4]; /* lane i of vector h: lane 4i + h */
    int8x16_t lo, hi;                      /* the activation clamp */
    int pair;
} dwr_block;
_Static_assert(offsetof(dwr_block, corr) == 144 && offsetof(dwr_block, mult) == 208 &&
                   offsetof(dwr_block, rshift) == 272 && offsetof(dwr_block, lo) == 336 &&
                   offsetof(dwr_block, hi) == 352,
               "dwr_step's load offsets");

typedef struct {
    int top, left, right, rows, cols; /* padded image: rows x cols pixels */
    size_t prow;                      /* bytes per padded row */
} dwr_geom;

/* copy_bytes for long runs (rows of an image): the pointers step, so the loads
 * and stores post-increment (3 instructions per 16 bytes instead of 7). */
static void copy_run(int8_t *dst, const int8_t *src, size_t n) {
    for (; n >= 16; n -= 16, src += 16, dst += 16) {
        vstrbq_s8(dst, vldrbq_s8(src));
    }
    if (n != 0) {
        const mve_pred16_t p = vctp8q((uint32_t)n);
        vstrbq_p_s8(dst, vldrbq_z_s8(src, p), p);
    }
}

static void fill_bytes(int8_t *dst, int8_t v, size_t n) {
    const int8x16_t vv = vdupq_n_s8(v);
    for (; n >= 16; n -= 16, dst += 16) {
        vstrbq_s8(dst, vv);
    }
    if (n != 0) {
        vstrbq_p_s8(dst, vv, vctp8q((uint32_t)n));
    }
}

/* 0 when the padded image does not fit dwr_pad (or the padding is negative). */
static int dwr_geometry(const ku_window *g, dwr_geom *q) {
    if (g->pad_top < 0 || g->pad_left < 0) {
        return 0;
    }
    const int64_t last_y = (int64_t)(g->out_h - 1) * g->stride_h - g->pad_top + (int64_t)(g->k_h - 1) * g->dil_h;
    const int64_t last_x = (int64_t)(g->out_w - 1) * g->stride_w - g->pad_left + (int64_t)(g->k_w - 1) * g->dil_w;
    const int64_t bottom = last_y >= g->in_h ? last_y - g->in_h + 1 : 0;
    const int64_t right = last_x >= g->in_w ? last_x - g->in_w + 1 : 0;
    const int64_t rows = g->pad_top + g->in_h + bottom, cols = g->pad_left + g->in_w + right;
    if ((uint64_t)rows * (uint64_t)cols * (uint64_t)g->in_c > DWR_PAD_BYTES ||
        (uint64_t)cols * (uint64_t)g->in_c > DWR_MAX_ROW) {
        return 0;
    }
    q->top = g->pad_top;
    q->left = g->pad_left;
    q->right = (int)right;
    q->rows = (int)rows;
    q->cols = (int)cols;
    q->prow = (size_t)cols * (size_t)g->in_c;
    return 1;
}

/* dwr_pad = batch `in` (in_h x in_w x C) with zero-point borders. */
static void dwr_fill(const ku_window *g, const dwr_geom *q, const int8_t *in, int8_t zp) {
    const size_t c = (size_t)g->in_c, run = (size_t)g->in_w * c;
    for (int py = 0; py < q->rows; ++py) {
        int8_t *dst = dwr_pad + (size_t)py * q->prow;
        const int iy = py - q->top;
        if (iy < 0 || iy >= g->in_h) {
            fill_bytes(dst, zp, q->prow);
            continue;
        }
        fill_bytes(dst, zp, (size_t)q->left * c);
        copy_run(dst + (size_t)q->left * c, in + (size_t)iy * g->row_stride, run);
        fill_bytes(dst + (size_t)q->left * c + run, zp, (size_t)q->right * c);
    }
}

/* (output pixel, tap) pairs reading padded coordinate p along one axis. */
static unsigned dwr_reads(int p, int out, int stride, int dil) {
    unsigned m = 0;
    for (int f = 0; f < 3; ++f) {
        const int o = p - f * dil;
        m += o >= 0 && o % stride == 0 && o / stride < out;
    }
    return m;
}

/* Zero points read by all taps of all output pixels, over dwr_pad. */
static uint64_t dwr_zeros(const ku_window *g, const dwr_geom *q, int8_t zp) {
    const size_t c = (size_t)g->in_c;
    for (int px = 0; px < q->cols; ++px) { /* weight of each byte of a row */
        memset(dwr_mw + (size_t)px * c, (int)dwr_reads(px, g->out_w, g->stride_w, g->dil_w), c);
    }
    const uint8x16_t ones = vdupq_n_u8(1);
    const int8x16_t z = vdupq_n_s8(zp);
    uint64_t zeros = 0;
    for (int py = 0; py < q->rows; ++py) {
        const unsigned my = dwr_reads(py, g->out_h, g->stride_h, g->dil_h);
        if (my == 0) {
            continue;
        }
        const int8_t *row = dwr_pad + (size_t)py * q->prow;
        const uint8_t *mw = dwr_mw;
        uint32_t n = 0; /* <= 3 * 16384 */
        size_t left = q->prow;
        for (; left >= 16; left -= 16, row += 16, mw += 16) {
            const uint8x16_t eq = vqsubq_u8(ones, vreinterpretq_u8_s8(vabdq_s8(vldrbq_s8(row), z)));
            n = vmladavaq_u8(n, eq, vldrbq_u8(mw));
        }
        if (left != 0) {
            const mve_pred16_t p = vctp8q((uint32_t)left);
            const uint8x16_t eq = vqsubq_u8(ones, vreinterpretq_u8_s8(vabdq_s8(vldrbq_z_s8(row, p), z)));
            n = vmladavaq_p_u8(n, eq, vldrbq_z_u8(mw, p), p);
        }
        zeros += (uint64_t)my * n;
    }
    return zeros;
}

/* Block tables for channels [c0, c0 + 16) (per 16) or lane j = channel j % per. */
static void dwr_tables(const ku_channel_op_data *d, int n, int c0, int per, dwr_block *b) {
    if (per < 16) {
        dwp_block t;
        dwp_tables(d, 9, (size_t)n, c0, per, &t);
        memcpy(b->w, t.w, sizeof b->w);
        for (int h = 0; h < 4; ++h) {
            b->corr[h] = t.l[h].corr;
            b->mult[h] = t.l[h].mult;
            b->rshift[h] = t.l[h].rshift;
        }
        b->pair = t.pair;
    } else {
        /* sums in int16 (|sum| <= 9 * 128), even and odd channels */
        int16x8_t se = vdupq_n_s16(0), so = vdupq_n_s16(0);
        int8x16_t mn = vdupq_n_s8(127);
        for (int t = 0; t < 9; ++t) {
            const int8x16_t wv = vldrbq_s8(d->filter + (size_t)t * (size_t)n + (size_t)c0);
            vstrbq_s8(b->w[t], wv);
            se = vaddq_s16(se, vmovlbq_s8(wv));
            so = vaddq_s16(so, vmovltq_s8(wv));
            mn = vminq_s8(mn, wv);
        }
        b->pair = vminvq_s8(127, mn) != -128;
        const int32x4_t sum[4] = {vmovlbq_s16(se), vmovlbq_s16(so), vmovltq_s16(se), vmovltq_s16(so)};
        const uint32x4_t lane = vmulq_n_u32(vidupq_n_u32(0, 1), 4); /* 0, 4, 8, 12 */
        const int oc = d->c_begin + c0;
        for (int h = 0; h < 4; ++h) {
            const uint32x4_t idx = vaddq_n_u32(lane, (uint32_t)h);
            const int32x4_t bias = d->bias != 0 ? vldrwq_gather_shifted_offset_s32(d->bias + oc, idx)
                                                : vdupq_n_s32(0);
            b->corr[h] = vmlaq_n_s32(bias, sum[h], d->input_offset); /* wraps as uint32 */
            b->mult[h] = vldrwq_gather_shifted_offset_s32(d->mult + oc, idx);
            b->rshift[h] = vldrwq_gather_shifted_offset_s32(d->shift + oc, idx);
        }
    }
    b->lo = vdupq_n_s8((int8_t)d->act_min);
    b->hi = vdupq_n_s8((int8_t)d->act_max);
}

/* One step, 16 lanes, hand-scheduled in the eight Q registers (GCC spills
 * here): q0-q3 the accumulators, q4-q7 temporaries. Taps at p0 + row * dy +
 * col * dx; weights and tables at b (offsets of dwr_block). A pair of taps
 * sums in int16 (pe/po: q6/q7), reloading w instead of spilling. */
#define DWR_WIDEN                                                                                  \
    "vmovlb.s16 q4, q6\n\tvadd.i32 q0, q0, q4\n\t"                                                 \
    "vmovlt.s16 q4, q6\n\tvadd.i32 q2, q2, q4\n\t"                                                 \
    "vmovlb.s16 q4, q7\n\tvadd.i32 q1, q1, q4\n\t"                                                 \
    "vmovlt.s16 q4, q7\n\tvadd.i32 q3, q3, q4\n\t"
#define DWR_ONE(x, t)                                                                              \
    "vldrb.8 q4, [" x "]\n\tvldrw.32 q5, [%[b], #" #t " * 16]\n\t"                                 \
    "vmullb.s8 q6, q4, q5\n\tvmullt.s8 q7, q4, q5\n\t" DWR_WIDEN
#define DWR_TWO(x0, t0, adv, x1, t1)                                                               \
    "vldrb.8 q4, [" x0 "]\n\tvldrw.32 q5, [%[b], #" #t0 " * 16]\n\t"                               \
    "vmullb.s8 q6, q4, q5\n\tvmullt.s8 q7, q4, q5\n\t" adv                                         \
    "vldrb.8 q4, [" x1 "]\n\tvldrw.32 q5, [%[b], #" #t1 " * 16]\n\t"                               \
    "vmullb.s8 q5, q4, q5\n\tvadd.i16 q6, q6, q5\n\t"                                              \
    "vldrw.32 q5, [%[b], #" #t1 " * 16]\n\t"                                                       \
    "vmullt.s8 q4, q4, q5\n\tvadd.i16 q7, q7, q4\n\t" DWR_WIDEN
#define DWR_ADD(r, a, b) "add " r ", " a ", " b "\n\t"
#define DWR_REQ(acc, h)                                                                            \
    "vldrw.32 q4, [%[b], #208 + " #h " * 16]\n\tvqrdmulh.s32 " acc ", " acc ", q4\n\t"             \
    "vshr.s32 q4, " acc ", #31\n\tvqadd.s32 " acc ", " acc ", q4\n\t"                              \
    "vldrw.32 q4, [%[b], #272 + " #h " * 16]\n\tvrshl.s32 " acc ", " acc ", q4\n\t"
#define DWR_TAPS_PAIR                                                                              \
    DWR_TWO("%[p0]", 0, DWR_ADD("%[t]", "%[p0]", "%[dx]"), "%[t]", 1)                              \
    DWR_ADD("%[t]", "%[t]", "%[dx]")                                                               \
    DWR_TWO("%[t]", 2, DWR_ADD("%[r]", "%[p0]", "%[dy]"), "%[r]", 3)                               \
    DWR_ADD("%[t]", "%[r]", "%[dx]")                                                               \
    DWR_TWO("%[t]", 4, DWR_ADD("%[t]", "%[t]", "%[dx]"), "%[t]", 5)                                \
    DWR_ADD("%[r]", "%[r]", "%[dy]")                                                               \
    DWR_TWO("%[r]", 6, DWR_ADD("%[t]", "%[r]", "%[dx]"), "%[t]", 7)                                \
    DWR_ADD("%[t]", "%[t]", "%[dx]") DWR_ONE("%[t]", 8)
#define DWR_TAPS_ONE                                                                               \
    DWR_ONE("%[p0]", 0) DWR_ADD("%[t]", "%[p0]", "%[dx]") DWR_ONE("%[t]", 1)                       \
    DWR_ADD("%[t]", "%[t]", "%[dx]") DWR_ONE("%[t]", 2)                                            \
    DWR_ADD("%[r]", "%[p0]", "%[dy]") DWR_ONE("%[r]", 3)                                           \
    DWR_ADD("%[t]", "%[r]", "%[dx]") DWR_ONE("%[t]", 4)                                            \
    DWR_ADD("%[t]", "%[t]", "%[dx]") DWR_ONE("%[t]", 5)                                            \
    DWR_ADD("%[r]", "%[r]", "%[dy]") DWR_ONE("%[r]", 6)                                            \
    DWR_ADD("%[t]", "%[r]", "%[dx]") DWR_ONE("%[t]", 7)                                            \
    DWR_ADD("%[t]", "%[t]", "%[dx]") DWR_ONE("%[t]", 8)
#define DWR_START                                                                                  \
    "vldrw.32 q0, [%[b], #144]\n\tvldrw.32 q1, [%[b], #160]\n\t"                                   \
    "vldrw.32 q2, [%[b], #176]\n\tvldrw.32 q3, [%[b], #192]\n\t"
#define DWR_END                                                                                    \
    DWR_REQ("q0", 0) DWR_REQ("q1", 1) DWR_REQ("q2", 2) DWR_REQ("q3", 3)                            \
    "vqmovnb.s32 q4, q0\n\tvqmovnt.s32 q4, q2\n\t"                                                 \
    "vqmovnb.s32 q5, q1\n\tvqmovnt.s32 q5, q3\n\t"                                                 \
    "vqadd.s16 q4, q4, %[off]\n\tvqadd.s16 q5, q5, %[off]\n\t"                                     \
    "vqmovnb.s16 q6, q4\n\tvqmovnt.s16 q6, q5\n\t"
#define DWR_CLAMP "vldrw.32 q4, [%[b], #336]\n\tvmax.s8 q6, q6, q4\n\t"                            \
    "vldrw.32 q4, [%[b], #352]\n\tvmin.s8 q6, q6, q4\n\t"
#define DWR_ASM(body)                                                                              \
    __asm__ volatile(body "vstrb.8 q6, [%[out]]"                                                   \
                     : [t] "=&r"(t_), [r] "=&r"(r_)                                                \
                     : [p0] "r"(p0), [dx] "r"(dx), [dy] "r"(dy), [b] "r"(b), [out] "r"(out),       \
                       [off] "r"(off)                                                              \
                     : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "memory")

static inline __attribute__((always_inline)) void dwr_step(const dwr_block *b, const int8_t *p0, size_t dx,
                                                          size_t dy, int32_t off, int pair, int clamp,
                                                          int8_t *out) {
    const int8_t *t_, *r_;
    if (pair && clamp) {
        DWR_ASM(DWR_START DWR_TAPS_PAIR DWR_END DWR_CLAMP);
    } else if (pair) {
        DWR_ASM(DWR_START DWR_TAPS_PAIR DWR_END);
    } else if (clamp) {
        DWR_ASM(DWR_START DWR_TAPS_ONE DWR_END DWR_CLAMP);
    } else {
        DWR_ASM(DWR_START DWR_TAPS_ONE DWR_END);
    }
    (void)t_;
    (void)r_;
}

/* The last < 16 / per pixels of a row: the step through a 16-byte buffer. */
static void dwr_tail(const dwr_block *b, const int8_t *p0, size_t dx, size_t dy, int32_t off, int pair,
                     int clamp, int8_t *out, size_t bytes) {
    int8_t rows[3][3][16] __attribute__((aligned(16))), res[16] __attribute__((aligned(16)));
    const mve_pred16_t live = vctp8q((uint32_t)bytes);
    for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) {
            vstrbq_s8(rows[r][c], vldrbq_z_s8(p0 + (size_t)r * dy + (size_t)c * dx, live));
        }
    }
    /* the step reads row r, column c at rows[0][0] + r * 48 + c * 16 */
    if (pair) {
        clamp ? dwr_step(b, rows[0][0], 16, 48, off, 1, 1, res) : dwr_step(b, rows[0][0], 16, 48, off, 1, 0, res);
    } else {
        clamp ? dwr_step(b, rows[0][0], 16, 48, off, 0, 1, res) : dwr_step(b, rows[0][0], 16, 48, off, 0, 0, res);
    }
    vstrbq_p_s8(out, vldrbq_s8(res), live);
}

static inline __attribute__((always_inline)) void dwr_body(const ku_window *g, const dwr_geom *q, int per,
                                                          int pair, int clamp, const dwr_block *b,
                                                          int32_t off, int8_t *out, int c0) {
    const int group = 16 / per;
    const size_t in_c = (size_t)g->in_c, out_c = (size_t)g->out_c;
    const size_t dx = (size_t)g->dil_w * in_c, dy = (size_t)g->dil_h * q->prow;
    const size_t sx = (size_t)g->stride_w * in_c * (size_t)group, sy = (size_t)g->stride_h * q->prow;
    const size_t so = out_c * (size_t)group;
    const int full = g->out_w / group, rest = g->out_w % group;
    const int8_t *row = dwr_pad + (size_t)c0;
    out += c0;
    for (int oy = 0; oy < g->out_h; ++oy, row += sy) {
        const int8_t *p0 = row;
        for (int i = full; i > 0; --i, p0 += sx, out += so) {
            dwr_step(b, p0, dx, dy, off, pair, clamp, out);
        }
        if (rest) {
            dwr_tail(b, p0, dx, dy, off, pair, clamp, out, (size_t)(rest * per));
            out += out_c * (size_t)rest;
        }
    }
}

#define DWR_VARIANT(name, per, pair, clamp)                                                        \
    static __attribute__((noinline)) void dwr_##name##_##pair##clamp(                              \
        const ku_window *g, const dwr_geom *q, int p, const dwr_block *b, int32_t off, int8_t *out, \
        int c0) {                                                                                  \
        (void)p;                                                                                   \
        dwr_body(g, q, per, pair, clamp, b, off, out, c0);                                         \
    }
DWR_VARIANT(blk, 16, 0, 0)
DWR_VARIANT(blk, 16, 0, 1)
DWR_VARIANT(blk, 16, 1, 0)
DWR_VARIANT(blk, 16, 1, 1)
DWR_VARIANT(px, p, 0, 0)
DWR_VARIANT(px, p, 0, 1)
DWR_VARIANT(px, p, 1, 0)
DWR_VARIANT(px, p, 1, 1)

int edla_mve_depthwise_3x3(const ku_channel_op_data *d, const ku_window *g, int depth_multiplier,
                           uint64_t *zeros) {
    const int n = d->c_end - d->c_begin;
    if (depth_multiplier != 1 || g->k_h != 3 || g->k_w != 3 || n != g->in_c || n != g->out_c) {
        return 0;
    }
    const int blocks = n % 16 == 0;
    if (!blocks && !((n == 1 || n == 2 || n == 4 || n == 8) && g->stride_w == 1)) {
        return 0;
    }
    for (int c = d->c_begin; c < d->c_end; ++c) {
        if (d->shift[c] > -1) {
            return 0;
        }
    }
    dwr_geom q;
    if (!dwr_geometry(g, &q)) {
        return 0;
    }
    const int per = blocks ? 16 : n;
    const int clamp = d->act_min > -128 || d->act_max < 127;
    const int8_t zp = (int8_t)-d->input_offset; /* in [-128, 127]: checked */
    dwr_block blk __attribute__((aligned(16)));
    if (zeros != 0) {
        *zeros = 0;
    }
    for (int bt = 0; bt < g->batches; ++bt) {
        dwr_fill(g, &q, d->input + (size_t)bt * g->batch_stride, zp);
        if (zeros != 0) {
            *zeros += dwr_zeros(g, &q, zp); /* every channel of the padded image */
        }
        int8_t *out = d->out + (size_t)bt * (size_t)g->out_h * (size_t)g->out_w * (size_t)g->out_c;
        for (int c0 = 0; c0 < n; c0 += 16) {
            dwr_tables(d, n, c0, per, &blk);
            if (blocks) {
                if (blk.pair) {
                    clamp ? dwr_blk_11(g, &q, per, &blk, d->output_offset, out, c0)
                          : dwr_blk_10(g, &q, per, &blk, d->output_offset, out, c0);
                } else {
                    clamp ? dwr_blk_01(g, &q, per, &blk, d->output_offset, out, c0)
                          : dwr_blk_00(g, &q, per, &blk, d->output_offset, out, c0);
                }
            } else if (blk.pair) {
                clamp ? dwr_px_11(g, &q, per, &blk, d->output_offset, out, c0)
                      : dwr_px_10(g, &q, per, &blk, d->output_offset, out, c0);
            } else {
                clamp ? dwr_px_01(g, &q, per, &blk, d->output_offset, out, c0)
                      : dwr_px_00(g, &q, per, &blk, d->output_offset, out, c0);
            }
        }
    }
    return 1;
}

/* ---- small-K conv (K <= 64, not 1x1) as a 1x1 over an im2col copy -------------
 * (vww's first layer 530K -> 294K instructions; kws's 10x4 one is ahead of
 * conv_pass's byte gathers too.) The input padded with zero points (dwr_pad,
 * as for the depthwise kernel: no border pixels), each output pixel's K inputs
 * gathered into kp = K rounded up to 16 bytes of cv_patch (lanes past K read
 * byte 0 of the window: their weights are zero in cv_filter, the rows padded
 * to kp), then the two-pixel 1x1 kernel over those kp bytes per pixel, a band
 * of output rows at a time. */
#define CV_PATCH_BYTES (96u * 1024u)
static int8_t cv_patch[CV_PATCH_BYTES] __attribute__((section(".dw_pad"), aligned(16)));
static int8_t cv_filter[MVE_GROUP * 64] __attribute__((section(".dw_pad"), aligned(16)));

static int cv_run(const ku_channel_op_data *d, const ku_window *g, const mve_tables *t, int c0, int n) {
    const size_t in_c = (size_t)g->in_c, k = (size_t)g->k_h * (size_t)g->k_w * in_c, kp = (k + 15u) & ~(size_t)15u;
    const size_t out_c = (size_t)g->out_c, row_bytes = (size_t)g->out_w * kp;
    dwr_geom q;
    if ((g->k_h == 1 && g->k_w == 1) || k > 64 || n % 4 != 0 || n > MVE_GROUP || 2u * row_bytes > CV_PATCH_BYTES ||
        !dwr_geometry(g, &q) ||
        (size_t)(g->k_h - 1) * (size_t)g->dil_h * q.prow + (size_t)(g->k_w - 1) * (size_t)g->dil_w * in_c + in_c > 65535u) {
        return 0;
    }
    uint16_t offsets16[64] __attribute__((aligned(16))); /* gather16_block's lane order */
    for (size_t j = 0; j < kp; ++j) {
        const size_t c = j % in_c, tap = j / in_c;
        const size_t at = j < k ? (tap / (size_t)g->k_w) * (size_t)g->dil_h * q.prow +
                                      (tap % (size_t)g->k_w) * (size_t)g->dil_w * in_c + c
                                : 0;
        offsets16[(j & ~(size_t)15u) + ((j & 1u) << 3) + ((j & 15u) >> 1)] = (uint16_t)at;
    }
    for (int i = 0; i < n; ++i) {
        const int8_t *row = d->filter + (size_t)(c0 + i) * k;
        for (size_t j = 0; j < kp; j += 16) { /* k - j > 0: lanes from k - j on zero */
            vstrbq_s8(cv_filter + (size_t)i * kp + j, vldrbq_z_s8(row + j, vctp8q((uint32_t)(k - j))));
        }
    }
    if (!pw_pack(cv_filter, kp, 0, n)) {
        return 0;
    }
    int band = (int)(CV_PATCH_BYTES / row_bytes);
    band = band > g->out_h ? g->out_h : band;
    band -= band > 1 && (band * g->out_w) % 2 != 0; /* pairs of pixels within a band */
    const int8_t zp = (int8_t)-d->input_offset; /* in [-128, 127]: checked */
    const size_t sx = (size_t)g->stride_w * in_c, sy = (size_t)g->stride_h * q.prow;
    for (int bt = 0; bt < g->batches; ++bt) {
        dwr_fill(g, &q, d->input + (size_t)bt * g->batch_stride, zp);
        int8_t *out_b = d->out + (size_t)bt * (size_t)g->out_h * (size_t)g->out_w * out_c + (size_t)d->c_begin +
                        (size_t)c0;
        for (int oy0 = 0; oy0 < g->out_h; oy0 += band) {
            const int rows = g->out_h - oy0 < band ? g->out_h - oy0 : band;
            int8_t *dst = cv_patch;
            for (int oy = oy0; oy < oy0 + rows; ++oy) {
                const int8_t *b = dwr_pad + (size_t)oy * sy;
                for (int ox = 0; ox < g->out_w; ++ox, b += sx) {
                    for (size_t j = 0; j < kp; j += 16, dst += 16) {
                        vstrbq_s8(dst, gather16_block(b, offsets16 + j));
                    }
                }
            }
            const pw_job job = {cv_patch, cv_filter, out_b + (size_t)oy0 * (size_t)g->out_w * out_c,
                                (size_t)rows * (size_t)g->out_w, kp, out_c, 0};
            pw_dispatch(d, t, n, &job);
        }
    }
    return 1;
}

int edla_fast_depthwise_conv_2d(const ku_channel_op_data *d, const ku_window *g,
                                int depth_multiplier) {
    /* a multiplier above 1 only with one input channel (every output channel
     * reads it: a broadcast x), as in a first layer written as depthwise */
    if ((depth_multiplier != 1 && g->in_c != 1) || g->k_h * g->k_w > DW_MAX_TAPS) {
        return 0;
    }
#ifdef EDLA_MVE_NO_DW
    return 0;
#endif
    int no_lshift = 1; /* no channel shifts left: the usual case */
    for (int c = d->c_begin; c < d->c_end; ++c) {
        no_lshift &= d->shift[c] <= 0;
    }
    if (depth_multiplier == 1) {
        if (dwp_run(d, g, no_lshift)) {
            return 1;
        }
        no_lshift ? dw_0_1(d, g) : dw_0_0(d, g);
    } else {
        no_lshift ? dw_1_1(d, g) : dw_1_0(d, g);
    }
    return 1;
}

/* ADD of unbroadcast inputs, 4 lanes at a time: (x + offset) << left_shift,
 * then multiply_by_quantized_multiplier_smaller_than_one per input (VQRDMULH
 * and the rounding right shift, as in requant4_lr), sum (inside int32: left
 * shift <= 22, checked), the same for the output, offset and clamp. */
static inline int32x4_t mbqm4(int32x4_t x, int32_t mult, int32x4_t rshift) {
    const int32x4_t v = vqrdmulhq_n_s32(x, mult);
    return vrshlq_s32(vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, rshift), 31)), rshift);
}

int edla_fast_add(const int8_t *a, const int8_t *b, int8_t *out, size_t n, const int32_t *p) {
    const int32x4_t ls = vdupq_n_s32(p[ADD_P_LEFT_SHIFT]);
    const int32x4_t rs1 = vdupq_n_s32(p[ADD_P_INPUT1_SHIFT]); /* shifts are <= 0 */
    const int32x4_t rs2 = vdupq_n_s32(p[ADD_P_INPUT2_SHIFT]);
    const int32x4_t rso = vdupq_n_s32(p[ADD_P_OUTPUT_SHIFT]);
    const int32_t off1 = p[ADD_P_INPUT1_OFFSET], off2 = p[ADD_P_INPUT2_OFFSET];
    const int32_t m1 = p[ADD_P_INPUT1_MULTIPLIER], m2 = p[ADD_P_INPUT2_MULTIPLIER];
    const int32_t mo = p[ADD_P_OUTPUT_MULTIPLIER], oo = p[ADD_P_OUTPUT_OFFSET];
    const int32x4_t lo = vdupq_n_s32(p[ADD_P_ACT_MIN]), hi = vdupq_n_s32(p[ADD_P_ACT_MAX]);
    for (size_t i = 0; i < n; i += 4) {
        const mve_pred16_t live = vctp32q((uint32_t)(n - i < 4 ? n - i : 4));
        const int32x4_t xa = vshlq_s32(vaddq_n_s32(vldrbq_z_s32(a + i, live), off1), ls);
        const int32x4_t xb = vshlq_s32(vaddq_n_s32(vldrbq_z_s32(b + i, live), off2), ls);
        const int32x4_t sum = vaddq_s32(mbqm4(xa, m1, rs1), mbqm4(xb, m2, rs2));
        int32x4_t v = vaddq_n_s32(mbqm4(sum, mo, rso), oo);
        v = vminq_s32(vmaxq_s32(v, lo), hi);
        vstrbq_p_s32(out + i, v, live);
    }
    return 1;
}

/* Pools, channels across lanes over each window's in-bounds taps. Max: int8
 * lanes. Average: int16 sums (exact for at most 255 taps of |x| <= 128; larger
 * windows take the portable loop), then the rounding division per channel in
 * scalar code (MVE has no vector integer division). */
#define POOL_MAX_C 512 /* channels per pass of the average's sums */

int edla_fast_pool(const ku_window *g, const int8_t *input, int8_t *out, int max_pool,
                   int32_t act_min, int32_t act_max) {
    if (!max_pool && g->k_h * g->k_w > 255) {
        return 0;
    }
    const size_t channels = (size_t)g->in_c, row_stride = g->row_stride;
    int16_t sums[POOL_MAX_C] __attribute__((aligned(16)));
    ku_pixel px;
    ku_pixel_start(g, input, &px);
    do {
        const int taps_x = px.fx_end - px.fx_begin, rows = px.fy_end - px.fy_begin;
        /* an empty window (max pool only) must not form a wild pointer */
        const int8_t *first = taps_x > 0 && rows > 0
                                  ? px.in_b + (size_t)(px.y0 + px.fy_begin) * row_stride +
                                        (size_t)(px.x0 + px.fx_begin) * channels
                                  : px.in_b;
        if (max_pool) {
            for (size_t c = 0; c < channels; c += 16) {
                const mve_pred16_t p = vctp8q((uint32_t)(channels - c < 16 ? channels - c : 16));
                int8x16_t m = vdupq_n_s8(-128);
                const int8_t *col = first + c;
                for (int y = 0; y < rows; ++y, col += row_stride) {
                    for (int x = 0; x < taps_x; ++x) {
                        m = vmaxq_s8(m, vldrbq_z_s8(col + (size_t)x * channels, p));
                    }
                }
                m = vminq_s8(vmaxq_s8(m, vdupq_n_s8((int8_t)act_min)), vdupq_n_s8((int8_t)act_max));
                vstrbq_p_s8(out + c, m, p);
            }
        } else {
            const int32_t count = rows * taps_x; /* > 0: checked */
            for (size_t c0 = 0; c0 < channels; c0 += POOL_MAX_C) {
                const size_t cn = channels - c0 < POOL_MAX_C ? channels - c0 : POOL_MAX_C;
                for (size_t c = 0; c < cn; c += 16) {
                    const size_t live = cn - c < 16 ? cn - c : 16;
                    const mve_pred16_t lo = vctp16q((uint32_t)(live < 8 ? live : 8));
                    const mve_pred16_t hi = vctp16q((uint32_t)(live > 8 ? live - 8 : 0));
                    int16x8_t s0 = vdupq_n_s16(0), s1 = vdupq_n_s16(0);
                    const int8_t *col = first + c0 + c;
                    for (int y = 0; y < rows; ++y, col += row_stride) {
                        for (int x = 0; x < taps_x; ++x) {
                            const int8_t *t = col + (size_t)x * channels;
                            s0 = vaddq_s16(s0, vldrbq_z_s16(t, lo));
                            s1 = vaddq_s16(s1, vldrbq_z_s16(t + 8, hi));
                        }
                    }
                    vstrhq_p_s16(sums + c, s0, lo);
                    vstrhq_p_s16(sums + c + 8, s1, hi);
                }
                for (size_t c = 0; c < cn; ++c) {
                    const int32_t acc = sums[c];
                    /* round half away from zero, as pool.c */
                    const int32_t q = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    out[c0 + c] = (int8_t)ku_clamp(q, act_min, act_max);
                }
            }
        }
        out += channels;
    } while (ku_pixel_next(g, &px));
    return 1;
}

/* ---- activation-sparsity counting (act_sparse.c), skip blocks of 1 -------- */

/* Elements of x[0 .. n) equal to zp: 1 - |x - zp| saturating at 0 is 1 for
 * them and 0 otherwise (no predicate, which GCC moves through a core register
 * on every use). */
static uint32_t count_zp(const int8_t *x, size_t n, int8_t zp) {
    const uint8x16_t ones = vdupq_n_u8(1);
    const int8x16_t z = vdupq_n_s8(zp);
    uint32_t count = 0;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        const uint8x16_t d = vreinterpretq_u8_s8(vabdq_s8(vldrbq_s8(x + j), z));
        count = vaddvaq_u8(count, vqsubq_u8(ones, d));
    }
    if (j < n) { /* lanes past n load as 0, count as 0 */
        const mve_pred16_t p = vctp8q((uint32_t)(n - j));
        const uint8x16_t d = vreinterpretq_u8_s8(vabdq_s8(vldrbq_z_s8(x + j, p), z));
        count = vaddvaq_p_u8(count, vqsubq_u8(ones, d), p);
    }
    return count;
}

/* The zero points of each input pixel, counted once (not once per tap that
 * reads it) into a summed-area table S (S[y][x]: pixels above and left of
 * (y, x)), so an undilated window's in-bounds taps sum in four reads; a 1x1
 * stride-1 window reads every element once. Static, not on the 16 KiB stack;
 * larger inputs and dilated windows count the portable way. */
#define ACT_SAT_MAX 16384
#define ACT_MAX_OUT_W 1024
static uint32_t act_sat[ACT_SAT_MAX];

static void act_sat_fill(const ku_window *g, const int8_t *x, size_t c_count, int8_t zp) {
    const size_t w1 = (size_t)g->in_w + 1;
    for (size_t i = 0; i < w1; ++i) {
        act_sat[i] = 0;
    }
    for (int y = 0; y < g->in_h; ++y) {
        uint32_t row = 0, *s = act_sat + (size_t)(y + 1) * w1;
        s[0] = 0;
        for (int i = 0; i < g->in_w; ++i, x += g->in_c) {
            row += count_zp(x, c_count, zp);
            s[i + 1] = s[(ptrdiff_t)i + 1 - (ptrdiff_t)w1] + row;
        }
    }
}

/* In-bounds taps [*t0, *t1) of output coordinate o along one axis, as
 * ku_tap_range, and their input range [*i0, *i1) (undilated). */
static void act_axis(int o, int stride, int pad, int taps, int size, int *i0, int *i1, int *n) {
    int b, e;
    ku_tap_range(o * stride - pad, 1, taps, size, &b, &e);
    *i0 = o * stride - pad + b;
    *i1 = o * stride - pad + e;
    *n = e - b;
}

int edla_fast_act_zero(const ku_window *g, const int8_t *input, size_t c_first, size_t c_count,
                       int8_t zp, uint64_t *zeros) {
    const size_t w1 = (size_t)g->in_w + 1;
    if (g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && c_count == (size_t)g->in_c) {
        /* every input element read once (no padding: pad < extent 1) */
        *zeros = count_zp(input, (size_t)g->batches * (size_t)g->in_h * (size_t)g->in_w * c_count, zp);
        return 1;
    }
    if ((size_t)(g->in_h + 1) * w1 > ACT_SAT_MAX || c_count > 0xFFFFu || g->dil_h != 1 ||
        g->dil_w != 1 || g->out_w > ACT_MAX_OUT_W) {
        return 0; /* counts <= 16384 * 65535: a uint32 table holds them */
    }
    static int col0[ACT_MAX_OUT_W], col1[ACT_MAX_OUT_W], ncol[ACT_MAX_OUT_W];
    for (int ox = 0; ox < g->out_w; ++ox) {
        act_axis(ox, g->stride_w, g->pad_left, g->k_w, g->in_w, &col0[ox], &col1[ox], &ncol[ox]);
    }
    const uint64_t taps = (uint64_t)g->k_h * (uint64_t)g->k_w;
    uint64_t sum = 0, inside = 0;
    for (int b = 0; b < g->batches; ++b) {
        act_sat_fill(g, input + (size_t)b * g->batch_stride + c_first, c_count, zp);
        for (int oy = 0; oy < g->out_h; ++oy) {
            int r0, r1, nrow;
            act_axis(oy, g->stride_h, g->pad_top, g->k_h, g->in_h, &r0, &r1, &nrow);
            const uint32_t *s0 = act_sat + (size_t)r0 * w1, *s1 = act_sat + (size_t)r1 * w1;
            for (int ox = 0; ox < g->out_w; ++ox) {
                sum += s1[col1[ox]] - s0[col1[ox]] - s1[col0[ox]] + s0[col0[ox]];
                inside += (uint64_t)nrow * (uint64_t)ncol[ox];
            }
        }
    }
    /* padding taps read the zero point */
    *zeros = sum + (taps * (uint64_t)g->batches * (uint64_t)g->out_h * (uint64_t)g->out_w - inside) * c_count;
    return 1;
}

/* ---- sparse 1x1 conv (sparse.c) --------------------------------------------- */

/* Eight entries at a time: indices gathered as int16 activations (lanes with
 * an index past inner, which no decoder writes, stay out), (x + offset) * w
 * exact in int16 x int16 -> int32, summed wrapping. */
void edla_fast_sparse_dots(const uint16_t *count, const uint16_t *index, const int8_t *value,
                           uint32_t nnz, int co, unsigned inner, const int8_t *x,
                           int32_t input_offset, uint32_t *acc) {
    const uint16x8_t limit = vdupq_n_u16((uint16_t)inner); /* inner <= 65535 */
    const int16_t offset = (int16_t)input_offset;
    uint32_t e = 0;
    for (int c = 0; c < co; ++c) {
        uint32_t n = count[c];
        n = n < nnz - e ? n : nnz - e;
        int32_t s = 0;
        for (uint32_t j = 0; j < n; j += 8) {
            const mve_pred16_t live = vctp16q(n - j);
            const uint16x8_t idx = vldrhq_z_u16(index + e + j, live);
            const mve_pred16_t ok = vcmphiq_m_u16(limit, idx, live);
            const int16x8_t xv = vaddq_n_s16(vldrbq_gather_offset_z_s16(x, idx, ok), offset);
            s = vmladavaq_p_s16(s, xv, vldrbq_z_s16(value + e + j, ok), ok);
        }
        acc[c] = (uint32_t)s;
        e += n;
    }
}

/* The dense [co][inner] filter of a 1x1 sparse layout: zeros, then each
 * entry's value scattered to its index, 8 entries per step. Refuses (0) an
 * entry whose index is >= inner or not above its channel's previous one, or
 * whose value is 0: then the dense sum would differ or the counts would (a
 * zero entry executes). A full step checks with reductions: every index and
 * every step from the previous entry (u16: a decrease wraps past inner) below
 * inner, no step and no |value| below 1. runs (if not 0; inner a multiple of
 * 16): per input channel, the entries reading it, counted from the dense rows. */
int edla_fast_sparse_expand(const uint16_t *count, const uint16_t *index, const int8_t *value,
                            uint32_t nnz, int co, unsigned inner, int8_t *dense, uint16_t *runs) {
    const size_t total = (size_t)co * inner;
    for (size_t j = 0; j < total; j += 16) {
        vstrbq_p_s8(dense + j, vdupq_n_s8(0), vctp8q((uint32_t)(total - j < 16 ? total - j : 16)));
    }
    uint32_t e = 0;
    for (int c = 0; c < co; ++c) {
        uint32_t n = count[c];
        n = n < nnz - e ? n : nnz - e;
        int8_t *row = dense + (size_t)c * inner;
        const uint16_t *ix = index + e;
        const int8_t *v = value + e;
        uint32_t j = 0;
        for (; j + 8 <= n; j += 8) {
            const uint16x8_t idx = vldrhq_u16(ix + j);
            const int16x8_t val = vldrbq_s16(v + j);
            uint16x8_t step;
            if (j == 0) { /* lane 0: the channel's first entry, no previous */
                step = vsubq_u16(idx, vshlcq_u16(idx, &(uint32_t){0}, 16));
                step = vsetq_lane_u16(1, step, 0);
            } else {
                step = vsubq_u16(idx, vldrhq_u16(ix + j - 1));
            }
            const uint16_t top = vmaxvq_u16(0, vmaxq_u16(idx, step));
            const uint16_t low = vminvq_u16(0xFFFFu, vminq_u16(step, vreinterpretq_u16_s16(vabsq_s16(val))));
            if (top >= inner || low == 0) {
                return 0;
            }
            vstrbq_scatter_offset_s16(row, idx, val);
        }
        if (j < n) {
            const mve_pred16_t live = vctp16q(n - j);
            const uint16x8_t idx = vldrhq_z_u16(ix + j, live);
            const int16x8_t val = vldrbq_z_s16(v + j, live);
            /* entry k - 1 beside entry k (lane 0 of a first step not read) */
            const mve_pred16_t has_prev = j == 0 ? (mve_pred16_t)(live & 0xFFFCu) : live;
            const uint16x8_t prev = vldrhq_z_u16(
                (const uint16_t *)(uintptr_t)((uintptr_t)(ix + j) - sizeof *index), has_prev);
            const mve_pred16_t bad = vcmpcsq_m_n_u16(idx, (uint16_t)inner, live) |
                                     vcmpeqq_m_n_s16(val, 0, live) | vcmpcsq_m_u16(prev, idx, has_prev);
            if (bad != 0) {
                return 0;
            }
            vstrbq_scatter_offset_p_s16(row, idx, val, live);
        }
        e += n;
    }
    /* (w != 0) = min(|w| as u8, 1), |-128| being 128; u8 sums of <= 255 rows,
     * widened into even and odd u16 lanes, stored in column order */
    for (unsigned i = 0; runs && i < inner; i += 16) {
        uint16x8_t even = vdupq_n_u16(0), odd = vdupq_n_u16(0);
        const int8_t *col = dense + i;
        for (int c0 = 0; c0 < co; c0 += 255) {
            const int rows = co - c0 < 255 ? co - c0 : 255;
            uint8x16_t r = vdupq_n_u8(0);
            for (int c = 0; c < rows; ++c, col += inner) {
                r = vaddq_u8(r, vminq_u8(vreinterpretq_u8_s8(vabsq_s8(vldrbq_s8(col))), vdupq_n_u8(1)));
            }
            even = vaddq_u16(even, vmovlbq_u8(r));
            odd = vaddq_u16(odd, vmovltq_u8(r));
        }
        vstrhq_u16(runs + i, even);
        vstrhq_u16(runs + i + 8, odd);
    }
    return 1;
}

/* Zero-point activations a 1x1 stride-1 layer skips with blocks of 1: per
 * input channel i (inner a multiple of 16), (entries reading i, runs as
 * edla_fast_sparse_expand lays them out) x (pixels whose channel i is zp,
 * counted as count_zp does, in the same even/odd u16 lanes). */
uint64_t edla_fast_sparse_act_1x1(const int8_t *x, size_t pixels, unsigned inner, int8_t zp,
                                  const uint16_t *runs) {
    const uint8x16_t ones = vdupq_n_u8(1);
    const int8x16_t z = vdupq_n_s8(zp);
    uint64_t skipped = 0;
    for (unsigned i = 0; i < inner; i += 16) {
        uint16x8_t even = vdupq_n_u16(0), odd = vdupq_n_u16(0); /* pixels <= 65535: checked */
        const int8_t *col = x + i;
        for (size_t p0 = 0; p0 < pixels; p0 += 255) {
            const size_t n = pixels - p0 < 255 ? pixels - p0 : 255;
            uint8x16_t q = vdupq_n_u8(0);
            for (size_t p = 0; p < n; ++p, col += inner) {
                q = vaddq_u8(q, vqsubq_u8(ones, vreinterpretq_u8_s8(vabdq_s8(vldrbq_s8(col), z))));
            }
            even = vaddq_u16(even, vmovlbq_u8(q));
            odd = vaddq_u16(odd, vmovltq_u8(q));
        }
        skipped = vmlaldavaq_u16(skipped, even, vldrhq_u16(runs + i));
        skipped = vmlaldavaq_u16(skipped, odd, vldrhq_u16(runs + i + 8));
    }
    return skipped;
}

void edla_fast_requant_out(const uint32_t *acc, const int32_t *bias, const int32_t *mult,
                           const int32_t *shift, int n, int32_t output_offset, int32_t act_min,
                           int32_t act_max, int8_t *out) {
    const mve_out o = {output_offset, act_min, act_max};
    for (int i = 0; i < n; i += 4) {
        const mve_pred16_t p = vctp32q((uint32_t)(n - i));
        const int32x4_t a = vaddq_s32(vldrwq_z_s32((const int32_t *)(const void *)(acc + i), p),
                                      vldrwq_z_s32(bias + i, p));
        vstrbq_p_s32(out + i, requant4(a, vldrwq_z_s32(mult + i, p), vldrwq_z_s32(shift + i, p), o), p);
    }
}

#endif /* EDLA_MVE_FAST */
