/*
 * mve.c - Cortex-M55 MVE (Helium) fast paths of conv, depthwise conv and fully
 * connected (see host_fast.h). Compiled in when the firmware is built with MVE
 * (make -C firmware, MVE=1: -DEDLA_USE_MVE on an MVE target); with MVE=0 or on
 * any other target this file is empty and the portable loops run.
 *
 * Exactness (the portable kernels' acc = sum over in-bounds taps of
 * w * (x + input_offset) modulo 2^32, then TFLM's requantization):
 *  - conv and FC: each pixel's K = Kh * Kw * Cin inputs are gathered into a
 *    patch on the stack, padding taps holding x = -input_offset (the zero
 *    point), whose term w * (x + input_offset) is 0; then
 *    sum w * (x + off) = sum w * x + off * sum w over all K taps, an identity
 *    modulo 2^32, with sum w per channel computed once per eval. VMLADAVA
 *    accumulates int8 products into a 32-bit register, wrapping like uint32;
 *  - depthwise: channels across int32 lanes, (x + off) * w per lane (VMLA);
 *  - requantization: VQRDMULH is gemmlowp's SaturatingRoundingDoublingHighMul
 *    bit for bit (both are floor((2ab + 2^31) / 2^32), INT32_MIN^2 saturating),
 *    and RoundingDivideByPOT is VRSHL after subtracting 1 from negative values
 *    when the shift is non-zero (ties away from zero, as CMSIS-NN does).
 * Shapes beyond the stack buffers fall back to the portable loops (return 0).
 */
#include "host_fast.h"

#if EDLA_MVE_FAST

#include <arm_mve.h>

#define MVE_MAX_K 2048 /* patch bytes (one pixel's K) */
#define MVE_GROUP 256  /* output channels per pass (per-channel tables on the stack) */

/* Output offset and clamp of one op, hoisted out of the loops (stores to int8
 * outputs could alias the op data as far as the compiler knows). */
typedef struct {
    int32_t output_offset, act_min, act_max;
} mve_out;

/* TFLM requantize_to_int8 of 4 lanes, before narrowing; lshift = max(shift, 0),
 * rshift = min(shift, 0) (minus the right shift). */
static inline int32x4_t requant4_lr(int32x4_t acc, int32x4_t mult, int32x4_t lshift,
                                    int32x4_t rshift, mve_out o) {
    int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, lshift), mult);
    /* ties away from zero: -1 for negative v when there is a right shift */
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(v, rshift), 31);
    v = vrshlq_s32(vqaddq_s32(v, fixup), rshift);
    v = vaddq_n_s32(v, o.output_offset);
    v = vmaxq_s32(v, vdupq_n_s32(o.act_min));
    return vminq_s32(v, vdupq_n_s32(o.act_max));
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
    for (int i = n; i < n + 4; ++i) {
        t->corr[i] = t->mult[i] = t->lshift[i] = t->rshift[i] = 0;
    }
}

/* out[0 .. n) for channels [c0, c0 + n): dots of x (k bytes) with the filter
 * rows, 4 channels at a time sharing each x load. */
static void dot_channels(const int8_t *x, size_t k, const int8_t *filter, const mve_tables *t,
                         int c0, int n, mve_out o, int8_t *out) {
    const size_t tail = k & 15u, blocks = k >> 4;
    const mve_pred16_t pt = vctp8q((uint32_t)tail);
    for (int i = 0; i < n; i += 4) {
        const int live = n - i < 4 ? n - i : 4;
        /* rows past the chunk read row 0 again: computed, never stored */
        const int8_t *w0 = filter + (size_t)(c0 + i) * k;
        const int8_t *w1 = live > 1 ? w0 + k : w0;
        const int8_t *w2 = live > 2 ? w0 + 2 * k : w0;
        const int8_t *w3 = live > 3 ? w0 + 3 * k : w0;
        const int8_t *xp = x;
        int32_t a0 = t->corr[i], a1 = t->corr[i + 1], a2 = t->corr[i + 2], a3 = t->corr[i + 3];
        for (size_t j = blocks; j > 0; --j) {
            const int8x16_t xv = vldrbq_s8(xp);
            xp += 16;
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
            const int8x16_t xv = vldrbq_z_s8(xp, pt);
            a0 = vmladavaq_p_s8(a0, xv, vldrbq_z_s8(w0, pt), pt);
            a1 = vmladavaq_p_s8(a1, xv, vldrbq_z_s8(w1, pt), pt);
            a2 = vmladavaq_p_s8(a2, xv, vldrbq_z_s8(w2, pt), pt);
            a3 = vmladavaq_p_s8(a3, xv, vldrbq_z_s8(w3, pt), pt);
        }
        int32x4_t acc = vdupq_n_s32(a0);
        acc = vsetq_lane_s32(a1, acc, 1);
        acc = vsetq_lane_s32(a2, acc, 2);
        acc = vsetq_lane_s32(a3, acc, 3);
        const int32x4_t r = requant4_lr(acc, vldrwq_s32(t->mult + i), vldrwq_s32(t->lshift + i),
                                        vldrwq_s32(t->rshift + i), o);
        if (live == 4) {
            vstrbq_s32(out + i, r);
        } else {
            vstrbq_p_s32(out + i, r, vctp32q((uint32_t)live));
        }
    }
}

/* One pixel's K inputs in filter order (fy, fx, c); padding taps = zero point. */
static void build_patch(const ku_window *g, const ku_pixel *px, int8_t zero_point, int8_t *dst) {
    const size_t in_c = (size_t)g->in_c, row = (size_t)g->k_w * in_c;
    const size_t lo = (size_t)px->fx_begin * in_c, hi = (size_t)px->fx_end * in_c;
    for (int fy = 0; fy < g->k_h; ++fy, dst += row) {
        if (fy < px->fy_begin || fy >= px->fy_end || lo >= hi) {
            for (size_t j = 0; j < row; ++j) {
                dst[j] = zero_point;
            }
            continue;
        }
        const int8_t *in_row = px->in_b + (size_t)(px->y0 + fy * g->dil_h) * g->row_stride;
        for (size_t j = 0; j < lo; ++j) {
            dst[j] = zero_point;
        }
        for (int fx = px->fx_begin; fx < px->fx_end;) {
            const int8_t *src = in_row + (size_t)(px->x0 + fx * g->dil_w) * in_c;
            const int run = g->dil_w == 1 ? px->fx_end - fx : 1; /* dilation 1: one run */
            const size_t n = (size_t)run * in_c;
            int8_t *o = dst + (size_t)fx * in_c;
            size_t j = 0;
            for (; j + 16 <= n; j += 16) {
                vstrbq_s8(o + j, vldrbq_s8(src + j));
            }
            if (j < n) {
                const mve_pred16_t p = vctp8q((uint32_t)(n - j));
                vstrbq_p_s8(o + j, vldrbq_z_s8(src + j, p), p);
            }
            fx += run;
        }
        for (size_t j = hi; j < row; ++j) {
            dst[j] = zero_point;
        }
    }
}

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
    const mve_out o = out_params(d);
    const int chunk = d->c_end - d->c_begin;
    const int8_t zero_point = (int8_t)(-d->input_offset); /* in [-128, 127]: checked offset */
    /* 1x1, stride 1 (no padding: pad < extent 1): a pixel's inputs are contiguous */
    const int direct = g->k_h == 1 && g->k_w == 1;
    for (int c0 = 0; c0 < chunk; c0 += MVE_GROUP) {
        const int n = chunk - c0 < MVE_GROUP ? chunk - c0 : MVE_GROUP;
        tables_init(&t, d, d->filter, k, c0, n, d->input_offset);
        int8_t *out = d->out + d->c_begin + c0;
        ku_pixel px;
        ku_pixel_start(g, d->input, &px);
        do {
            const int8_t *x;
            if (direct) {
                x = px.in_b + (size_t)px.y0 * g->row_stride + (size_t)px.x0 * (size_t)g->in_c;
            } else {
                build_patch(g, &px, zero_point, patch);
                x = patch;
            }
            dot_channels(x, k, d->filter, &t, c0, n, o, out);
            out += g->out_c;
        } while (ku_pixel_next(g, &px));
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

/* Per 8 channels of a depthwise pass: the even (channels 0, 2, 4, 6) and odd
 * lanes' requantization tables, and the accumulator start for interior pixels
 * (bias + offset * sum over all taps of w) and for border pixels (bias). */
typedef struct {
    int32x4_t corr[2], bias[2], mult[2], lshift[2], rshift[2];
} dw_block;

#define DW_BLOCKS 32 /* 256 channels per pass */
#define DW_MAX_TAPS 32

/* Depth multiplier 1: 8 channels per int16 vector, w * x exact in int16 x
 * int16 -> int32 multiplies of the even (VMULLB) and odd (VMULLT) lanes,
 * summed wrapping per lane; requantized per lane half and interleaved back by
 * the narrowing moves. Interior pixels take the input offset as
 * offset * sum w (precomputed), border pixels add it to each in-bounds x. */
int edla_fast_depthwise_conv_2d(const ku_channel_op_data *d, const ku_window *g,
                                int depth_multiplier) {
    const int taps = g->k_h * g->k_w;
    if (depth_multiplier != 1 || taps > DW_MAX_TAPS) {
        return 0;
    }
#ifdef EDLA_MVE_NO_DW
    return 0;
#endif
    const int n = d->c_end - d->c_begin;
    const size_t in_c = (size_t)g->in_c, chunk = (size_t)n;
    const size_t x_step = (size_t)g->dil_w * in_c;
    const int16_t offset = (int16_t)d->input_offset;
    const mve_out o = out_params(d);
    dw_block blocks[DW_BLOCKS];
    /* a pixel's in-bounds taps: input offset from its tap (0, 0), filter offset */
    int32_t full_x[DW_MAX_TAPS], full_w[DW_MAX_TAPS], part_x[DW_MAX_TAPS], part_w[DW_MAX_TAPS];
    for (int t = 0; t < taps; ++t) {
        full_x[t] = (int32_t)((size_t)(t / g->k_w) * (size_t)g->dil_h * g->row_stride +
                              (size_t)(t % g->k_w) * x_step);
        full_w[t] = (int32_t)((size_t)t * chunk);
    }
    for (int c0 = 0; c0 < n; c0 += DW_BLOCKS * 8) {
        const int gn = n - c0 < DW_BLOCKS * 8 ? n - c0 : DW_BLOCKS * 8;
        for (int b = 0; b * 8 < gn; ++b) {
            int32_t tab[5][2][4];
            for (int i = 0; i < 8; ++i) {
                const int c = c0 + b * 8 + i, oc = d->c_begin + c;
                const int in = b * 8 + i < gn;
                int32_t sum = 0; /* |sum| <= 128 * taps: fits */
                for (int t = 0; in && t < taps; ++t) {
                    sum += d->filter[(size_t)t * chunk + (size_t)c];
                }
                const int32_t bias = in && d->bias != 0 ? d->bias[oc] : 0;
                const int32_t shift = in ? d->shift[oc] : 0;
                tab[0][i & 1][i >> 1] = u32_to_i32((uint32_t)bias + (uint32_t)sum * (uint32_t)d->input_offset);
                tab[1][i & 1][i >> 1] = bias;
                tab[2][i & 1][i >> 1] = in ? d->mult[oc] : 0;
                tab[3][i & 1][i >> 1] = shift > 0 ? shift : 0;
                tab[4][i & 1][i >> 1] = shift > 0 ? 0 : shift; /* -right shift */
            }
            for (int h = 0; h < 2; ++h) {
                blocks[b].corr[h] = vldrwq_s32(tab[0][h]);
                blocks[b].bias[h] = vldrwq_s32(tab[1][h]);
                blocks[b].mult[h] = vldrwq_s32(tab[2][h]);
                blocks[b].lshift[h] = vldrwq_s32(tab[3][h]);
                blocks[b].rshift[h] = vldrwq_s32(tab[4][h]);
            }
        }
        int8_t *out = d->out + d->c_begin + c0;
        ku_pixel px;
        ku_pixel_start(g, d->input, &px);
        do {
            const int interior = px.fy_begin == 0 && px.fy_end == g->k_h && px.fx_begin == 0 &&
                                 px.fx_end == g->k_w;
            const int32_t *tx = full_x, *tw = full_w;
            int nt = taps;
            if (!interior) { /* only the in-bounds taps, x + offset each */
                nt = 0;
                for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
                    for (int fx = px.fx_begin; fx < px.fx_end; ++fx) {
                        part_x[nt] = full_x[fy * g->k_w + fx];
                        part_w[nt] = full_w[fy * g->k_w + fx];
                        ++nt;
                    }
                }
                tx = part_x;
                tw = part_w;
            }
            /* the pixel's tap (0, 0) may lie outside the input: offsets are
             * added to this integer position, pointers formed only in bounds */
            const ptrdiff_t origin = (ptrdiff_t)px.y0 * (ptrdiff_t)g->row_stride +
                                     (ptrdiff_t)px.x0 * (ptrdiff_t)in_c;
            const int8_t *x_base = px.in_b + (size_t)d->c_begin + (size_t)c0;
            const int8_t *w_base = d->filter + (size_t)c0;
            int b = 0;
            for (; b * 8 + 8 <= gn; ++b) { /* 8 channels per pass over the taps */
                const dw_block *blk = &blocks[b];
                int32x4_t ae, ao;
                const int8_t *xb = x_base + origin + b * 8, *wb = w_base + b * 8;
                if (interior) {
                    ae = blk->corr[0], ao = blk->corr[1];
                    for (int t = 0; t < nt; ++t) {
                        const int16x8_t xv = vldrbq_s16(xb + tx[t]), wv = vldrbq_s16(wb + tw[t]);
                        ae = vaddq_s32(ae, vmullbq_int_s16(xv, wv));
                        ao = vaddq_s32(ao, vmulltq_int_s16(xv, wv));
                    }
                } else {
                    ae = blk->bias[0], ao = blk->bias[1];
                    for (int t = 0; t < nt; ++t) {
                        const int16x8_t xv = vaddq_n_s16(vldrbq_s16(xb + tx[t]), offset);
                        const int16x8_t wv = vldrbq_s16(wb + tw[t]);
                        ae = vaddq_s32(ae, vmullbq_int_s16(xv, wv));
                        ao = vaddq_s32(ao, vmulltq_int_s16(xv, wv));
                    }
                }
                const int32x4_t re = requant4_lr(ae, blk->mult[0], blk->lshift[0], blk->rshift[0], o);
                const int32x4_t ro = requant4_lr(ao, blk->mult[1], blk->lshift[1], blk->rshift[1], o);
                vstrbq_s16(out + b * 8, vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), re), ro));
            }
            for (; b * 8 < gn; ++b) { /* the last 8 or fewer channels */
                const int live = gn - b * 8 < 8 ? gn - b * 8 : 8;
                const mve_pred16_t p = vctp16q((uint32_t)live);
                const dw_block *blk = &blocks[b];
                int32x4_t ae = interior ? blk->corr[0] : blk->bias[0];
                int32x4_t ao = interior ? blk->corr[1] : blk->bias[1];
                const int16_t add = interior ? 0 : offset;
                for (int t = 0; t < nt; ++t) {
                    /* lanes past the chunk: w = 0, so their product is 0 */
                    const int16x8_t xv =
                        vaddq_n_s16(vldrbq_z_s16(x_base + (origin + tx[t]) + b * 8, p), add);
                    const int16x8_t wv = vldrbq_z_s16(w_base + tw[t] + b * 8, p);
                    ae = vaddq_s32(ae, vmullbq_int_s16(xv, wv));
                    ao = vaddq_s32(ao, vmulltq_int_s16(xv, wv));
                }
                const int32x4_t re = requant4_lr(ae, blk->mult[0], blk->lshift[0], blk->rshift[0], o);
                const int32x4_t ro = requant4_lr(ao, blk->mult[1], blk->lshift[1], blk->rshift[1], o);
                vstrbq_p_s16(out + b * 8, vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), re), ro), p);
            }
            out += g->out_c;
        } while (ku_pixel_next(g, &px));
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

#endif /* EDLA_MVE_FAST */
