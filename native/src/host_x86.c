/*
 * host_x86.c - x86-64 fast paths of conv, depthwise conv and fully connected
 * (see host_fast.h). Host-only: everything below is compiled out of other
 * targets, so the firmware build never sees it.
 *
 * Exactness: the portable kernels compute acc = sum over in-bounds taps of
 * w * (x + input_offset) modulo 2^32, then the TFLM requantization. Here:
 *  - padding taps are given the input value x = -input_offset (the zero point),
 *    whose term w * (x + input_offset) is 0, so every pixel sums all K taps;
 *  - AVX2: x + input_offset in [-255, 255] and w in [-128, 127] are int16;
 *    vpmaddwd adds two products (|sum| <= 65280, exact) into int32 lanes that
 *    wrap like the portable uint32 accumulator;
 *  - AVX-512 VNNI: vpdpbusd multiplies u8 (x + 128) by s8 w, so
 *    sum w * (x + off) = sum w * (x + 128) + (off - 128) * sum w, an identity
 *    that holds modulo 2^32; the per-channel sum w (over all K taps, padding
 *    taps included since they hold the zero point) is computed per eval;
 *  - requantization is TFLM's double rounding, vectorised: with multiplier
 *    >= 0 (checked) SaturatingRoundingDoublingHighMul never saturates and
 *    equals floor((x * m + 2^30) / 2^31); RoundingDivideByPOT as in requant.h.
 * Weights are re-packed per eval into the broadcast layout (blocks of output
 * channels, 4 bytes of K per lane) on the stack; shapes beyond the stack
 * buffers fall back to the portable path (return 0).
 */
#include "act_sparse.h"
#include "host_fast.h"

#if EDLA_HOST_FAST

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/* ---- instruction-set selection (host-only state) -------------------------- */

static int isa_cap = -1; /* edla_set_isa(): -1 = the best the CPU has */
static int isa_cpu = -1; /* detected level, -1 until first use */

static int cpu_level(void) {
    if (isa_cpu < 0) {
        int level = EDLA_ISA_PORTABLE;
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2")) {
            level = EDLA_ISA_AVX2;
            if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni")) {
                level = __builtin_cpu_supports("avx512vbmi") ? EDLA_ISA_AVX512_VBMI : EDLA_ISA_AVX512_VNNI;
            }
        }
        isa_cpu = level;
    }
    return isa_cpu;
}

static int isa_level(void) {
    const int cpu = cpu_level();
    return isa_cap < 0 || isa_cap > cpu ? cpu : isa_cap;
}

/* AVX-512 VBMI (vpermi2b), for the ADD input tables: a level of its own, so
 * the VNNI level runs (and tests) ADD without it. */
static int cpu_vbmi(void) {
    return isa_level() >= EDLA_ISA_AVX512_VBMI;
}

int edla_set_isa(int level) {
    isa_cap = level < 0 ? -1 : level;
    return isa_level();
}

/* ---- limits of the stack buffers ------------------------------------------ */

#define PIX 8                    /* output pixels per register block: 8 independent
                                    accumulator chains hide the multiply-add latency */
#define MAX_C 2048               /* output channels of a chunk */
#define MAX_K 8192               /* bytes of one pixel's patch (K, padded) */
#define MAX_PACK (128 * 1024)    /* bytes of packed weights per pass */

/* Per-output-channel epilogue tables, indexed by oc - c_begin, padded to 16. */
typedef struct {
    int32_t corr[MAX_C + 16]; /* added to the raw dot: bias (+ VNNI offset term) */
    int32_t mult[MAX_C + 16];
    int32_t lshift[MAX_C + 16];
    int32_t rshift[MAX_C + 16];
} ep_tables;

/* Fills mult/shift tables and corr = bias + corr_scale * sum_w[oc] (wrapping). */
static void ep_init(ep_tables *t, const ku_channel_op_data *d, const int8_t *filter, size_t k,
                    size_t oc_stride, size_t k_stride, int32_t corr_scale) {
    const int n = d->c_end - d->c_begin;
    for (int i = 0; i < n + 16; ++i) {
        const int oc = d->c_begin + i;
        if (i < n) {
            uint32_t c = d->bias != 0 ? (uint32_t)d->bias[oc] : 0u;
            if (corr_scale != 0) {
                const int8_t *w = filter + (size_t)i * oc_stride;
                int32_t s = 0; /* |sum| <= 128 * k: fits */
                for (size_t j = 0; j < k; ++j) {
                    s += w[j * k_stride];
                }
                c += (uint32_t)s * (uint32_t)corr_scale;
            }
            t->corr[i] = u32_to_i32(c);
            t->mult[i] = d->mult[oc];
            t->lshift[i] = d->shift[oc] > 0 ? d->shift[oc] : 0;
            t->rshift[i] = d->shift[oc] > 0 ? 0 : -d->shift[oc];
        } else {
            t->corr[i] = t->mult[i] = t->lshift[i] = t->rshift[i] = 0;
        }
    }
}

/* ---- AVX2 helpers ---------------------------------------------------------- */

#define AVX2 __attribute__((target("avx2")))

/* requantize_to_int8 of 8 lanes (channels i..i+7 of the tables) -> out[0..n). */
AVX2 static inline __attribute__((always_inline)) void requant8_store(
    __m256i acc, const ep_tables *t, int i, const ku_channel_op_data *d, int8_t *out, int n) {
    const __m256i m = _mm256_loadu_si256((const __m256i *)(t->mult + i));
    const __m256i ls = _mm256_loadu_si256((const __m256i *)(t->lshift + i));
    const __m256i rs = _mm256_loadu_si256((const __m256i *)(t->rshift + i));
    const __m256i x = _mm256_sllv_epi32(acc, ls);
    const __m256i half = _mm256_set1_epi64x((int64_t)1 << 30);
    const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, m), half), 31);
    const __m256i odd = _mm256_slli_epi64(
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), half),
        1);
    const __m256i h = _mm256_blend_epi32(even, odd, 0xAA);
    const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), rs),
                                          _mm256_set1_epi32(1));
    const __m256i rem = _mm256_and_si256(h, mask);
    const __m256i thr = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), _mm256_srai_epi32(h, 31));
    __m256i v = _mm256_sub_epi32(_mm256_srav_epi32(h, rs), _mm256_cmpgt_epi32(rem, thr));
    v = _mm256_add_epi32(v, _mm256_set1_epi32(d->output_offset));
    v = _mm256_max_epi32(v, _mm256_set1_epi32(d->act_min));
    v = _mm256_min_epi32(v, _mm256_set1_epi32(d->act_max));
    /* in [-128, 127] now: the saturating packs are plain narrowing */
    const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i w8 = _mm_packs_epi16(w16, w16);
    if (n == 8) {
        _mm_storel_epi64((__m128i *)out, w8);
    } else {
        int8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, w8);
        memcpy(out, tmp, (size_t)n);
    }
}

/* ---- conv patches ----------------------------------------------------------- */

/* Output pixel i of a window op: input batch, origin and in-bounds taps. */
static void pixel_at(const ku_window *g, const int8_t *input, size_t i, ku_pixel *px) {
    px->ox = (int)(i % (size_t)g->out_w);
    i /= (size_t)g->out_w;
    px->oy = (int)(i % (size_t)g->out_h);
    px->b = (int)(i / (size_t)g->out_h);
    px->in_b = input + (size_t)px->b * g->batch_stride;
    ku_pixel_row(g, px);
    ku_pixel_col(g, px);
}

/* The K = k_h * k_w * in_c input values of pixel px in filter order, as u8
 * x + 128 (xor_mask 0x80, bytes) or int16 x + offset (bytes 0): padding taps
 * hold the zero point; then zeros up to k_pad. */
static void build_patch_u8(const ku_window *g, const ku_pixel *px, int32_t offset, uint8_t *dst,
                           size_t k_pad) {
    const size_t in_c = (size_t)g->in_c, row = (size_t)g->k_w * in_c;
    const uint8_t pad = (uint8_t)(128 - offset);
    const size_t lo = (size_t)px->fx_begin * in_c, hi = (size_t)px->fx_end * in_c;
    for (int fy = 0; fy < g->k_h; ++fy, dst += row) {
        if (fy < px->fy_begin || fy >= px->fy_end || lo >= hi) {
            for (size_t j = 0; j < row; ++j) {
                dst[j] = pad;
            }
            continue;
        }
        const int8_t *in_row = px->in_b + (size_t)(px->y0 + fy * g->dil_h) * g->row_stride;
        for (size_t j = 0; j < lo; ++j) {
            dst[j] = pad;
        }
        if (g->dil_w == 1) { /* the in-bounds taps of a row are one run */
            const int8_t *src = in_row + (size_t)(px->x0 + px->fx_begin) * in_c;
            for (size_t j = 0; j < hi - lo; ++j) {
                dst[lo + j] = (uint8_t)((uint8_t)src[j] ^ 0x80u);
            }
        } else {
            for (int fx = px->fx_begin; fx < px->fx_end; ++fx) {
                const int8_t *src = in_row + (size_t)(px->x0 + fx * g->dil_w) * in_c;
                uint8_t *o = dst + (size_t)fx * in_c;
                for (size_t j = 0; j < in_c; ++j) {
                    o[j] = (uint8_t)((uint8_t)src[j] ^ 0x80u);
                }
            }
        }
        for (size_t j = hi; j < row; ++j) {
            dst[j] = pad;
        }
    }
    const size_t k = (size_t)g->k_h * row;
    for (size_t j = k; j < k_pad; ++j) {
        dst[j - k] = 0;
    }
}

static void build_patch_i16(const ku_window *g, const ku_pixel *px, int32_t offset, int16_t *dst,
                            size_t k_pad) {
    const size_t in_c = (size_t)g->in_c, row = (size_t)g->k_w * in_c;
    for (int fy = 0; fy < g->k_h; ++fy, dst += row) {
        if (fy < px->fy_begin || fy >= px->fy_end || px->fx_begin >= px->fx_end) {
            memset(dst, 0, row * sizeof *dst);
            continue;
        }
        const int8_t *in_row = px->in_b + (size_t)(px->y0 + fy * g->dil_h) * g->row_stride;
        memset(dst, 0, (size_t)px->fx_begin * in_c * sizeof *dst);
        for (int fx = px->fx_begin; fx < px->fx_end;) {
            const int8_t *src = in_row + (size_t)(px->x0 + fx * g->dil_w) * in_c;
            const int run = g->dil_w == 1 ? px->fx_end - fx : 1;
            const size_t n = (size_t)run * in_c;
            int16_t *o = dst + (size_t)fx * in_c;
            for (size_t j = 0; j < n; ++j) {
                o[j] = (int16_t)(src[j] + offset);
            }
            fx += run;
        }
        memset(dst + (size_t)px->fx_end * in_c, 0,
               (size_t)(g->k_w - px->fx_end) * in_c * sizeof *dst);
    }
    const size_t k = (size_t)g->k_h * row;
    memset(dst, 0, (k_pad - k) * sizeof *dst);
}

/* ---- conv, AVX-512 VNNI ------------------------------------------------------ */

#define VNNI __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni")))

/* requantize_to_int8 of 16 lanes -> out[0..n). */
VNNI static void requant16_store(__m512i acc, const ep_tables *t, int i,
                                 const ku_channel_op_data *d, int8_t *out, int n) {
    const __m512i m = _mm512_loadu_si512((const void *)(t->mult + i));
    const __m512i ls = _mm512_loadu_si512((const void *)(t->lshift + i));
    const __m512i rs = _mm512_loadu_si512((const void *)(t->rshift + i));
    const __m512i x = _mm512_sllv_epi32(acc, ls);
    const __m512i half = _mm512_set1_epi64((int64_t)1 << 30);
    const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, m), half), 31);
    const __m512i odd = _mm512_slli_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32)), half),
        1);
    const __m512i h = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, odd);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, rs), one);
    const __m512i rem = _mm512_and_si512(h, mask);
    const __m512i thr = _mm512_sub_epi32(_mm512_srai_epi32(mask, 1), _mm512_srai_epi32(h, 31));
    __m512i v = _mm512_mask_add_epi32(_mm512_srav_epi32(h, rs), _mm512_cmpgt_epi32_mask(rem, thr),
                                      _mm512_srav_epi32(h, rs), one);
    v = _mm512_add_epi32(v, _mm512_set1_epi32(d->output_offset));
    v = _mm512_max_epi32(v, _mm512_set1_epi32(d->act_min));
    v = _mm512_min_epi32(v, _mm512_set1_epi32(d->act_max));
    _mm_mask_storeu_epi8(out, (__mmask16)((1u << n) - 1u), _mm512_cvtepi32_epi8(v));
}

/* Packs channels [b * 16, b * 16 + 16) of filter (n channels of k bytes) as
 * [k / 4][16][4] bytes, zeros past k and past n. */
static void pack_vnni(int8_t *dst, const int8_t *filter, size_t oc_stride, size_t k_stride, int n,
                      size_t k, size_t k4, int b) {
    for (int j = 0; j < 16; ++j) {
        const int oc = b * 16 + j;
        const int8_t *w = filter + (size_t)oc * oc_stride;
        for (size_t q = 0; q < k4; ++q) {
            for (int e = 0; e < 4; ++e) {
                const size_t kk = q * 4 + (size_t)e;
                dst[(q * 16 + (size_t)j) * 4 + (size_t)e] = oc < n && kk < k ? w[kk * k_stride] : 0;
            }
        }
    }
}

VNNI static int conv_vnni(const ku_channel_op_data *d, const ku_window *g, size_t oc_stride,
                          size_t k_stride) {
    const int n = d->c_end - d->c_begin;
    const size_t k = (size_t)g->k_h * (size_t)g->k_w * (size_t)g->in_c;
    const size_t k4 = (k + 3) / 4, k_pad = k4 * 4;
    const size_t block_bytes = k4 * 64;
    if (n > MAX_C || k_pad > MAX_K || block_bytes > MAX_PACK) {
        return 0;
    }
    ep_tables t;
    ep_init(&t, d, d->filter, k, oc_stride, k_stride, d->input_offset - 128);
    int8_t packed[MAX_PACK] __attribute__((aligned(64)));
    int32_t patch[PIX][MAX_K / 4] __attribute__((aligned(64)));
    const int blocks = (n + 15) / 16;
    const int per_pass = (int)(MAX_PACK / block_bytes);
    const size_t pixels = (size_t)g->batches * (size_t)g->out_h * (size_t)g->out_w;
    const size_t out_c = (size_t)g->out_c;
    for (int b0 = 0; b0 < blocks; b0 += per_pass) {
        const int b1 = b0 + per_pass < blocks ? b0 + per_pass : blocks;
        for (int b = b0; b < b1; ++b) {
            pack_vnni(packed + (size_t)(b - b0) * block_bytes, d->filter, oc_stride, k_stride, n, k,
                      k4, b);
        }
        for (size_t p0 = 0; p0 < pixels; p0 += PIX) {
            const int np = pixels - p0 < PIX ? (int)(pixels - p0) : PIX;
            for (int i = 0; i < np; ++i) {
                ku_pixel px;
                pixel_at(g, d->input, p0 + (size_t)i, &px);
                build_patch_u8(g, &px, d->input_offset, (uint8_t *)patch[i], k_pad);
            }
            for (int i = np; i < PIX; ++i) { /* lanes of no pixel: defined values */
                memset(patch[i], 0, sizeof patch[i]);
            }
            for (int b = b0; b < b1; ++b) {
                const int8_t *w = packed + (size_t)(b - b0) * block_bytes;
                const __m512i c = _mm512_loadu_si512((const void *)(t.corr + b * 16));
                __m512i acc[PIX];
#pragma GCC unroll 8
                for (int i = 0; i < PIX; ++i) {
                    acc[i] = c;
                }
                for (size_t q = 0; q < k4; ++q) {
                    const __m512i wv = _mm512_load_si512((const void *)(w + q * 64));
#pragma GCC unroll 8
                    for (int i = 0; i < PIX; ++i) {
                        acc[i] = _mm512_dpbusd_epi32(acc[i], _mm512_set1_epi32(patch[i][q]), wv);
                    }
                }
                const int nc = n - b * 16 < 16 ? n - b * 16 : 16;
                int8_t *o = d->out + p0 * out_c + (size_t)d->c_begin + (size_t)b * 16;
                for (int i = 0; i < np; ++i) {
                    requant16_store(acc[i], &t, b * 16, d, o + (size_t)i * out_c, nc);
                }
            }
        }
    }
    return 1;
}

/* ---- conv, AVX2 ---------------------------------------------------------------- */

/* Packs channels [b * 8, b * 8 + 8) as int16 [k / 2][8][2], zeros past k and n. */
static void pack_avx2(int16_t *dst, const int8_t *filter, size_t oc_stride, size_t k_stride, int n,
                      size_t k, size_t k2, int b) {
    for (int j = 0; j < 8; ++j) {
        const int oc = b * 8 + j;
        const int8_t *w = filter + (size_t)oc * oc_stride;
        for (size_t q = 0; q < k2; ++q) {
            for (int e = 0; e < 2; ++e) {
                const size_t kk = q * 2 + (size_t)e;
                dst[(q * 8 + (size_t)j) * 2 + (size_t)e] = oc < n && kk < k ? w[kk * k_stride] : 0;
            }
        }
    }
}

AVX2 static int conv_avx2(const ku_channel_op_data *d, const ku_window *g, size_t oc_stride,
                          size_t k_stride) {
    const int n = d->c_end - d->c_begin;
    const size_t k = (size_t)g->k_h * (size_t)g->k_w * (size_t)g->in_c;
    const size_t k2 = (k + 1) / 2, k_pad = k2 * 2;
    const size_t block_elems = k2 * 16; /* int16 per block of 8 channels */
    if (n > MAX_C || k_pad * 2 > MAX_K || block_elems * 2 > MAX_PACK) {
        return 0;
    }
    ep_tables t;
    ep_init(&t, d, d->filter, k, oc_stride, k_stride, 0);
    int16_t packed[MAX_PACK / 2] __attribute__((aligned(32)));
    int32_t patch[PIX][MAX_K / 4] __attribute__((aligned(32)));
    const int blocks = (n + 7) / 8;
    const int per_pass = (int)(MAX_PACK / 2 / block_elems);
    const size_t pixels = (size_t)g->batches * (size_t)g->out_h * (size_t)g->out_w;
    const size_t out_c = (size_t)g->out_c;
    for (int b0 = 0; b0 < blocks; b0 += per_pass) {
        const int b1 = b0 + per_pass < blocks ? b0 + per_pass : blocks;
        for (int b = b0; b < b1; ++b) {
            pack_avx2(packed + (size_t)(b - b0) * block_elems, d->filter, oc_stride, k_stride, n, k, k2,
                      b);
        }
        for (size_t p0 = 0; p0 < pixels; p0 += PIX) {
            const int np = pixels - p0 < PIX ? (int)(pixels - p0) : PIX;
            for (int i = 0; i < np; ++i) {
                ku_pixel px;
                pixel_at(g, d->input, p0 + (size_t)i, &px);
                build_patch_i16(g, &px, d->input_offset, (int16_t *)patch[i], k_pad);
            }
            for (int i = np; i < PIX; ++i) { /* lanes of no pixel: defined values */
                memset(patch[i], 0, sizeof patch[i]);
            }
            for (int b = b0; b < b1; ++b) {
                const int16_t *w = packed + (size_t)(b - b0) * block_elems;
                const __m256i c = _mm256_loadu_si256((const __m256i *)(t.corr + b * 8));
                __m256i acc[PIX];
#pragma GCC unroll 8
                for (int i = 0; i < PIX; ++i) {
                    acc[i] = c;
                }
                for (size_t q = 0; q < k2; ++q) {
                    const __m256i wv = _mm256_load_si256((const __m256i *)(w + q * 16));
#pragma GCC unroll 8
                    for (int i = 0; i < PIX; ++i) {
                        acc[i] = _mm256_add_epi32(
                            acc[i], _mm256_madd_epi16(_mm256_set1_epi32(patch[i][q]), wv));
                    }
                }
                const int nc = n - b * 8 < 8 ? n - b * 8 : 8;
                int8_t *o = d->out + p0 * out_c + (size_t)d->c_begin + (size_t)b * 8;
                for (int i = 0; i < np; ++i) {
                    requant8_store(acc[i], &t, b * 8, d, o + (size_t)i * out_c, nc);
                }
            }
        }
    }
    return 1;
}

VNNI static int conv_vnni_rows(const ku_channel_op_data *d, const ku_window *g, size_t k);

#define FEW_PIXELS 32 /* below this, weight packing costs more than it saves */

/* Filter element (oc, kk) at filter[oc * oc_stride + kk * k_stride]. */
static int conv_any(const ku_channel_op_data *d, const ku_window *g, size_t oc_stride,
                    size_t k_stride) {
    switch (isa_level()) {
    case EDLA_ISA_AVX512_VBMI:
    case EDLA_ISA_AVX512_VNNI:
        if (k_stride == 1 && oc_stride == (size_t)g->k_h * (size_t)g->k_w * (size_t)g->in_c &&
            ku_window_pixels(g) < FEW_PIXELS && conv_vnni_rows(d, g, oc_stride)) {
            return 1; /* contiguous filter rows of K = oc_stride */
        }
        return conv_vnni(d, g, oc_stride, k_stride);
    case EDLA_ISA_AVX2:
        return conv_avx2(d, g, oc_stride, k_stride);
    default:
        return 0;
    }
}

int edla_fast_conv_2d(const ku_channel_op_data *d, const ku_window *g) {
    return conv_any(d, g, (size_t)g->k_h * (size_t)g->k_w * (size_t)g->in_c, 1);
}

/* ---- depthwise conv (depth multiplier 1), AVX2 ----------------------------------- */

/* Channels go across the lanes: per tap (x + offset) * w is exact in int16
 * (|.| <= 255 * 128), widened to int32 lanes that wrap like the portable sum. */
AVX2 static int depthwise_avx2(const ku_channel_op_data *d, const ku_window *g) {
    const int n = d->c_end - d->c_begin;
    if (n > MAX_C) {
        return 0;
    }
    ep_tables t;
    ep_init(&t, d, d->filter, 0, 0, 0, 0);
    const size_t in_c = (size_t)g->in_c, chunk = (size_t)n;
    const __m256i off = _mm256_set1_epi16((int16_t)d->input_offset);
    const __m128i off8 = _mm_set1_epi16((int16_t)d->input_offset);
    int8_t *out = d->out;
    ku_pixel px;
    ku_pixel_start(g, d->input, &px);
    do {
        for (int c = 0; c < n;) {
            const int nc = n - c >= 16 ? 16 : n - c >= 8 ? 8 : n - c;
            __m256i lo = _mm256_loadu_si256((const __m256i *)(t.corr + c));
            __m256i hi = _mm256_loadu_si256((const __m256i *)(t.corr + c + 8));
            for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
                const int8_t *in_row = px.in_b + (size_t)(px.y0 + fy * g->dil_h) * g->row_stride +
                                       (size_t)d->c_begin + (size_t)c;
                const int8_t *f_row = d->filter + (size_t)fy * (size_t)g->k_w * chunk + (size_t)c;
                for (int fx = px.fx_begin; fx < px.fx_end; ++fx) {
                    const int8_t *xs = in_row + (size_t)(px.x0 + fx * g->dil_w) * in_c;
                    const int8_t *ws = f_row + (size_t)fx * chunk;
                    if (nc == 16) {
                        const __m256i p = _mm256_mullo_epi16(
                            _mm256_add_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)xs)), off),
                            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)ws)));
                        lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(p)));
                        hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(p, 1)));
                    } else {
                        __m128i xv, wv;
                        if (nc == 8) {
                            xv = _mm_loadl_epi64((const __m128i *)xs);
                            wv = _mm_loadl_epi64((const __m128i *)ws);
                        } else {
                            int8_t xb[16] = {0}, wb[16] = {0};
                            memcpy(xb, xs, (size_t)nc);
                            memcpy(wb, ws, (size_t)nc);
                            xv = _mm_loadu_si128((const __m128i *)xb);
                            wv = _mm_loadu_si128((const __m128i *)wb);
                        }
                        const __m128i p = _mm_mullo_epi16(_mm_add_epi16(_mm_cvtepi8_epi16(xv), off8),
                                                          _mm_cvtepi8_epi16(wv));
                        lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(p));
                    }
                }
            }
            int8_t *o = out + d->c_begin + c;
            requant8_store(lo, &t, c, d, o, nc < 8 ? nc : 8);
            if (nc > 8) {
                requant8_store(hi, &t, c + 8, d, o + 8, nc - 8);
            }
            c += nc;
        }
        out += g->out_c;
    } while (ku_pixel_next(g, &px));
    return 1;
}

/* The same with 32 channels per AVX-512 register. */
VNNI static int depthwise_avx512(const ku_channel_op_data *d, const ku_window *g) {
    const int n = d->c_end - d->c_begin;
    if (n > MAX_C) {
        return 0;
    }
    ep_tables t;
    ep_init(&t, d, d->filter, 0, 0, 0, 0);
    const size_t in_c = (size_t)g->in_c, chunk = (size_t)n;
    const __m512i off = _mm512_set1_epi16((int16_t)d->input_offset);
    int8_t *out = d->out;
    ku_pixel px;
    ku_pixel_start(g, d->input, &px);
    do {
        for (int c = 0; c < n; c += 32) {
            const int nc = n - c < 32 ? n - c : 32;
            const __mmask32 live = nc == 32 ? ~(__mmask32)0 : (((__mmask32)1 << nc) - 1);
            __m512i lo = _mm512_loadu_si512((const void *)(t.corr + c));
            __m512i hi = _mm512_loadu_si512((const void *)(t.corr + c + 16));
            for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
                const int8_t *in_row = px.in_b + (size_t)(px.y0 + fy * g->dil_h) * g->row_stride +
                                       (size_t)d->c_begin + (size_t)c;
                const int8_t *f_row = d->filter + (size_t)fy * (size_t)g->k_w * chunk + (size_t)c;
                for (int fx = px.fx_begin; fx < px.fx_end; ++fx) {
                    const int8_t *xs = in_row + (size_t)(px.x0 + fx * g->dil_w) * in_c;
                    const int8_t *ws = f_row + (size_t)fx * chunk;
                    const __m512i p = _mm512_mullo_epi16(
                        _mm512_add_epi16(_mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(live, xs)), off),
                        _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(live, ws)));
                    lo = _mm512_add_epi32(lo, _mm512_cvtepi16_epi32(_mm512_castsi512_si256(p)));
                    hi = _mm512_add_epi32(hi, _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(p, 1)));
                }
            }
            int8_t *o = out + d->c_begin + c;
            requant16_store(lo, &t, c, d, o, nc < 16 ? nc : 16);
            if (nc > 16) {
                requant16_store(hi, &t, c + 16, d, o + 16, nc - 16);
            }
        }
        out += g->out_c;
    } while (ku_pixel_next(g, &px));
    return 1;
}

int edla_fast_depthwise_conv_2d(const ku_channel_op_data *d, const ku_window *g,
                                int depth_multiplier) {
    if (isa_level() < EDLA_ISA_AVX2) {
        return 0;
    }
    if (g->in_c == 1) {
        /* one input channel: a conv whose filter [1, Kh, Kw, chunk] holds
         * output channel oc at stride 1 and tap kk at stride chunk */
        return conv_any(d, g, 1, (size_t)(d->c_end - d->c_begin));
    }
    if (depth_multiplier != 1) {
        return 0;
    }
    return isa_level() >= EDLA_ISA_AVX512_VNNI ? depthwise_avx512(d, g) : depthwise_avx2(d, g);
}

/* ---- fully connected ------------------------------------------------------------- */

/* Horizontal sums of 8 int32 vectors -> one vector of 8 sums (wrapping). */
AVX2 static __m256i hsum8(const __m256i v[8]) {
    const __m256i s01 = _mm256_hadd_epi32(v[0], v[1]), s23 = _mm256_hadd_epi32(v[2], v[3]);
    const __m256i s45 = _mm256_hadd_epi32(v[4], v[5]), s67 = _mm256_hadd_epi32(v[6], v[7]);
    const __m256i s0123 = _mm256_hadd_epi32(s01, s23), s4567 = _mm256_hadd_epi32(s45, s67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(s0123, s4567, 0x20),
                            _mm256_permute2x128_si256(s0123, s4567, 0x31));
}

/* One input row against 8 channels at a time: x + offset as int16 on the
 * stack, weights widened on the fly, vpmaddwd (exact, see top). */
AVX2 static int fc_avx2(const ku_channel_op_data *d, size_t rows, size_t out_c, int depth) {
    const int n = d->c_end - d->c_begin;
    const size_t k = (size_t)depth, k16 = (k + 15) / 16 * 16;
    if (n > MAX_C || k16 > MAX_K) {
        return 0;
    }
    ep_tables t;
    ep_init(&t, d, d->filter, 0, 0, 0, 0);
    int16_t xs[MAX_K] __attribute__((aligned(32)));
    for (size_t r = 0; r < rows; ++r) {
        const int8_t *x = d->input + r * k;
        for (size_t j = 0; j < k16; ++j) {
            xs[j] = j < k ? (int16_t)(x[j] + d->input_offset) : 0;
        }
        int8_t *out = d->out + r * out_c + d->c_begin;
        for (int c0 = 0; c0 < n; c0 += 8) {
            __m256i acc[8];
            for (int j = 0; j < 8; ++j) {
                acc[j] = _mm256_setzero_si256();
                if (c0 + j >= n) {
                    continue;
                }
                const int8_t *w = d->filter + (size_t)(c0 + j) * k;
                size_t q = 0;
                for (; q + 16 <= k; q += 16) {
                    const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + q)));
                    acc[j] = _mm256_add_epi32(
                        acc[j], _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(xs + q)), wv));
                }
                if (q < k) {
                    int8_t wb[16] = {0};
                    memcpy(wb, w + q, k - q);
                    const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)wb));
                    acc[j] = _mm256_add_epi32(
                        acc[j], _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(xs + q)), wv));
                }
            }
            const __m256i s = _mm256_add_epi32(
                hsum8(acc), _mm256_loadu_si256((const __m256i *)(t.corr + c0)));
            requant8_store(s, &t, c0, d, out + c0, n - c0 < 8 ? n - c0 : 8);
        }
    }
    return 1;
}

/* VNNI: u8 (x + 128) against s8 weights, with the (offset - 128) * sum w
 * term accumulated alongside (vpdpbusd of a ones vector). */
VNNI static int fc_vnni(const ku_channel_op_data *d, size_t rows, size_t out_c, int depth) {
    const int n = d->c_end - d->c_begin;
    const size_t k = (size_t)depth, k64 = (k + 63) / 64 * 64;
    if (n > MAX_C || k64 > MAX_K) {
        return 0;
    }
    ep_tables t;
    ep_init(&t, d, d->filter, 0, 0, 0, 0);
    uint8_t xs[MAX_K] __attribute__((aligned(64)));
    const __m512i ones = _mm512_set1_epi8(1);
    const __m256i scale = _mm256_set1_epi32(d->input_offset - 128);
    const __mmask64 tail = (k & 63) ? (((__mmask64)1 << (k & 63)) - 1) : ~(__mmask64)0;
    const size_t last = k64 - 64;
    for (size_t r = 0; r < rows; ++r) {
        const int8_t *x = d->input + r * k;
        for (size_t j = 0; j < k64; ++j) {
            xs[j] = j < k ? (uint8_t)((uint8_t)x[j] ^ 0x80u) : 0;
        }
        int8_t *out = d->out + r * out_c + d->c_begin;
        for (int c0 = 0; c0 < n; c0 += 8) {
            __m256i acc[8], sw[8];
            for (int j = 0; j < 8; ++j) {
                __m512i a = _mm512_setzero_si512(), s = _mm512_setzero_si512();
                if (c0 + j < n) {
                    const int8_t *w = d->filter + (size_t)(c0 + j) * k;
                    for (size_t q = 0; q < k64; q += 64) {
                        const __m512i wv = q == last ? _mm512_maskz_loadu_epi8(tail, w + q)
                                                     : _mm512_loadu_si512((const void *)(w + q));
                        a = _mm512_dpbusd_epi32(a, _mm512_load_si512((const void *)(xs + q)), wv);
                        s = _mm512_dpbusd_epi32(s, ones, wv);
                    }
                }
                acc[j] = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
                sw[j] = _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
            }
            const __m256i v = _mm256_add_epi32(
                _mm256_add_epi32(hsum8(acc), _mm256_mullo_epi32(hsum8(sw), scale)),
                _mm256_loadu_si256((const __m256i *)(t.corr + c0)));
            requant8_store(v, &t, c0, d, out + c0, n - c0 < 8 ? n - c0 : 8);
        }
    }
    return 1;
}

/* Few output pixels: packing the weights would cost more than it saves, so
 * each pixel's patch is dotted with the filter rows as they are (8 channels
 * at a time, horizontal sums), the (offset - 128) * sum w term in t.corr. */
VNNI static int conv_vnni_rows(const ku_channel_op_data *d, const ku_window *g, size_t k) {
    const int n = d->c_end - d->c_begin;
    const size_t k64 = (k + 63) / 64 * 64;
    if (n > MAX_C || k64 > MAX_K) {
        return 0;
    }
    ep_tables t;
    ep_init(&t, d, d->filter, k, k, 1, d->input_offset - 128);
    uint8_t xs[MAX_K] __attribute__((aligned(64)));
    const __mmask64 tail = (k & 63) ? (((__mmask64)1 << (k & 63)) - 1) : ~(__mmask64)0;
    const size_t last = k64 - 64;
    int8_t *out = d->out + d->c_begin;
    ku_pixel px;
    ku_pixel_start(g, d->input, &px);
    do {
        build_patch_u8(g, &px, d->input_offset, xs, k64);
        for (int c0 = 0; c0 < n; c0 += 8) {
            __m256i acc[8];
            for (int j = 0; j < 8; ++j) {
                __m512i a = _mm512_setzero_si512();
                if (c0 + j < n) {
                    const int8_t *w = d->filter + (size_t)(c0 + j) * k;
                    for (size_t q = 0; q < k64; q += 64) {
                        const __m512i wv = q == last ? _mm512_maskz_loadu_epi8(tail, w + q)
                                                     : _mm512_loadu_si512((const void *)(w + q));
                        a = _mm512_dpbusd_epi32(a, _mm512_load_si512((const void *)(xs + q)), wv);
                    }
                }
                acc[j] = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
            }
            const __m256i v = _mm256_add_epi32(hsum8(acc), _mm256_loadu_si256((const __m256i *)(t.corr + c0)));
            requant8_store(v, &t, c0, d, out + c0, n - c0 < 8 ? n - c0 : 8);
        }
        out += g->out_c;
    } while (ku_pixel_next(g, &px));
    return 1;
}

int edla_fast_fully_connected(const ku_channel_op_data *d, size_t rows, size_t out_c, int depth,
                              int32_t filter_offset) {
    if (filter_offset != 0) {
        return 0;
    }
    switch (isa_level()) {
    case EDLA_ISA_AVX512_VBMI:
    case EDLA_ISA_AVX512_VNNI:
        return fc_vnni(d, rows, out_c, depth);
    case EDLA_ISA_AVX2:
        return fc_avx2(d, rows, out_c, depth);
    default:
        return 0;
    }
}

/* ---- ADD, AVX2 ------------------------------------------------------------------- */

/* multiply_by_quantized_multiplier_smaller_than_one of 8 lanes: multiplier
 * >= 0 (checked), so SRDHM = floor((x * m + 2^30) / 2^31); then
 * RoundingDivideByPOT(-shift), shift in [-31, 0]. */
AVX2 static inline __attribute__((always_inline)) __m256i mbqm8(__m256i x, __m256i m, __m256i rs,
                                                                __m256i mask, __m256i thr_base) {
    const __m256i half = _mm256_set1_epi64x((int64_t)1 << 30);
    const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, m), half), 31);
    const __m256i odd = _mm256_slli_epi64(
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), m), half), 1);
    const __m256i h = _mm256_blend_epi32(even, odd, 0xAA);
    const __m256i thr = _mm256_sub_epi32(thr_base, _mm256_srai_epi32(h, 31));
    return _mm256_sub_epi32(_mm256_srav_epi32(h, rs),
                            _mm256_cmpgt_epi32(_mm256_and_si256(h, mask), thr));
}

/* The three rescalings of ADD (input 1, input 2, output) as the vector loops
 * want them: multiplier, right shift in [0, 31], its remainder mask and half. */
typedef struct {
    int32_t mult, rshift, mask, half_mask;
} add_stage;

static void add_stages(const int32_t *p, add_stage st[3]) {
    const int idx[3][2] = {{ADD_P_INPUT1_MULTIPLIER, ADD_P_INPUT1_SHIFT},
                           {ADD_P_INPUT2_MULTIPLIER, ADD_P_INPUT2_SHIFT},
                           {ADD_P_OUTPUT_MULTIPLIER, ADD_P_OUTPUT_SHIFT}};
    for (int i = 0; i < 3; ++i) {
        const int32_t r = -p[idx[i][1]];
        st[i].mult = p[idx[i][0]];
        st[i].rshift = r;
        st[i].mask = (int32_t)(((int64_t)1 << r) - 1);
        st[i].half_mask = st[i].mask >> 1;
    }
}

AVX2 static int add_avx2(const int8_t *a, const int8_t *b, int8_t *out, size_t n, const int32_t *p) {
    const __m256i ls = _mm256_set1_epi32(p[ADD_P_LEFT_SHIFT]);
    const __m256i off1 = _mm256_set1_epi32(p[ADD_P_INPUT1_OFFSET]);
    const __m256i off2 = _mm256_set1_epi32(p[ADD_P_INPUT2_OFFSET]);
    __m256i m[3], rs[3], mask[3], thr[3];
    add_stage st[3];
    add_stages(p, st);
    for (int i = 0; i < 3; ++i) {
        m[i] = _mm256_set1_epi32(st[i].mult);
        rs[i] = _mm256_set1_epi32(st[i].rshift);
        mask[i] = _mm256_set1_epi32(st[i].mask);
        thr[i] = _mm256_set1_epi32(st[i].half_mask);
    }
    const __m256i oo = _mm256_set1_epi32(p[ADD_P_OUTPUT_OFFSET]);
    const __m256i lo = _mm256_set1_epi32(p[ADD_P_ACT_MIN]), hi = _mm256_set1_epi32(p[ADD_P_ACT_MAX]);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i xa = _mm256_sllv_epi32(
            _mm256_add_epi32(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(a + i))), off1), ls);
        const __m256i xb = _mm256_sllv_epi32(
            _mm256_add_epi32(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b + i))), off2), ls);
        /* both scaled inputs and their sum stay inside int32 (left_shift <= 22, checked) */
        const __m256i sum = _mm256_add_epi32(mbqm8(xa, m[0], rs[0], mask[0], thr[0]),
                                             mbqm8(xb, m[1], rs[1], mask[1], thr[1]));
        __m256i v = _mm256_add_epi32(mbqm8(sum, m[2], rs[2], mask[2], thr[2]), oo);
        v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
        const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storel_epi64((__m128i *)(out + i), _mm_packs_epi16(w16, w16));
    }
    for (; i < n; ++i) { /* the tail, as add.c computes it */
        const int32_t scale = (int32_t)1 << p[ADD_P_LEFT_SHIFT];
        const int32_t sum = ku_scaled_input(a[i], p[ADD_P_INPUT1_OFFSET], scale,
                                            p[ADD_P_INPUT1_MULTIPLIER], p[ADD_P_INPUT1_SHIFT]) +
                            ku_scaled_input(b[i], p[ADD_P_INPUT2_OFFSET], scale,
                                            p[ADD_P_INPUT2_MULTIPLIER], p[ADD_P_INPUT2_SHIFT]);
        const int32_t v = multiply_by_quantized_multiplier_smaller_than_one(
                              sum, p[ADD_P_OUTPUT_MULTIPLIER], p[ADD_P_OUTPUT_SHIFT]) +
                          p[ADD_P_OUTPUT_OFFSET];
        out[i] = (int8_t)ku_clamp(v, p[ADD_P_ACT_MIN], p[ADD_P_ACT_MAX]);
    }
    return 1;
}

/* RoundingDivideByPOT of 16 lanes by rs, with its remainder mask and half.
 * ROUND (|h| + 2^(rs-1) < 2^31, the caller's proof): half away from zero as
 * one floor, (h + 2^(rs-1) - [h < 0]) >> rs for rs >= 1, h itself for rs = 0:
 * nudge = 2^(rs-1) or 0, sign = -1 or 0. */
VNNI static inline __attribute__((always_inline)) __m512i rdbp16(__m512i h, __m512i rs, __m512i mask,
                                                                 __m512i thr_base, __m512i nudge,
                                                                 __m512i sign, const int ROUND) {
    if (ROUND) {
        const __m512i below = _mm512_and_si512(_mm512_srai_epi32(h, 31), sign);
        return _mm512_srav_epi32(_mm512_add_epi32(_mm512_add_epi32(h, nudge), below), rs);
    }
    const __m512i thr = _mm512_sub_epi32(thr_base, _mm512_srai_epi32(h, 31));
    const __m512i q = _mm512_srav_epi32(h, rs);
    return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(_mm512_and_si512(h, mask), thr), q,
                                 _mm512_set1_epi32(1));
}

/* One rescaling's constants in 16 lanes: multiplier, right shift, RoundingDivideByPOT's terms. */
typedef struct {
    __m512i m, rs, mask, thr, nudge, sign;
} add_scale16;

VNNI static void add_scale_init(add_scale16 *k, const add_stage *st) {
    k->m = _mm512_set1_epi32(st->mult);
    k->rs = _mm512_set1_epi32(st->rshift);
    k->mask = _mm512_set1_epi32(st->mask);
    k->thr = _mm512_set1_epi32(st->half_mask);
    k->nudge = _mm512_set1_epi32(st->rshift ? st->half_mask + 1 : 0);
    k->sign = _mm512_set1_epi32(st->rshift ? -1 : 0);
}

/* mbqm8 on 16 lanes: SRDHM's odd lanes are the high dword of p + p + 2^31
 * (floor((p + 2^30) / 2^31), |p| < 2^62), where the blend wants them. */
VNNI static inline __attribute__((always_inline)) __m512i mbqm16(__m512i x, const add_scale16 *k,
                                                                 const int ROUND) {
    const __m512i even = _mm512_srli_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(x, k->m), _mm512_set1_epi64((int64_t)1 << 30)), 31);
    const __m512i po = _mm512_mul_epi32(_mm512_shuffle_epi32(x, _MM_PERM_DDBB), k->m);
    const __m512i odd = _mm512_add_epi64(_mm512_add_epi64(po, po), _mm512_set1_epi64((int64_t)1 << 31));
    return rdbp16(_mm512_mask_blend_epi32((__mmask16)0xAAAA, even, odd), k->rs, k->mask, k->thr, k->nudge,
                  k->sign, ROUND);
}

/* One ADD input's rescaling, MultiplyByQuantizedMultiplierSmallerThanOneExp(
 * v << ls, m, -rs), in 32-bit lanes where |v| <= 255 and ADD_FAST_LS_MIN <= ls
 * <= 22: with m = mh * 2^(31 - ls) + ml, SRDHM = floor((v * 2^ls * m + 2^30) /
 * 2^31) = v * mh + floor((v * ml + 2^(30 - ls)) / 2^(31 - ls)), each term inside
 * int32 (|v * mh| < 2^30, |v * ml| < 2^31): no 64-bit products. */
#define ADD_FAST_LS_MIN 8
typedef struct {
    __m512i mh, ml, nudge;
    add_scale16 k;
    __m128i down; /* 31 - ls */
} add_input16;

VNNI static void add_input_init(add_input16 *a, const add_stage *st, int32_t ls) {
    a->mh = _mm512_set1_epi32(st->mult >> (31 - ls));
    a->ml = _mm512_set1_epi32(st->mult & (int32_t)((1u << (31 - ls)) - 1u));
    a->nudge = _mm512_set1_epi32((int32_t)1 << (30 - ls));
    a->down = _mm_cvtsi32_si128(31 - ls);
    add_scale_init(&a->k, st);
}

VNNI static inline __attribute__((always_inline)) __m512i add_input(const add_input16 *a, __m512i v,
                                                                    const int ROUND) {
    const __m512i h = _mm512_add_epi32(_mm512_mullo_epi32(v, a->mh),
                                       _mm512_sra_epi32(_mm512_add_epi32(_mm512_mullo_epi32(v, a->ml), a->nudge), a->down));
    return rdbp16(h, a->k.rs, a->k.mask, a->k.thr, a->k.nudge, a->k.sign, ROUND);
}

/* Everything add_avx512's loop holds in registers. */
typedef struct {
    add_input16 in1, in2;
    add_scale16 out;
    __m512i off1, off2, oo, lo, hi;
} add_consts;

/* add_avx2 on 16 lanes, the tail masked instead of scalar. ROUND: every
 * RoundingDivideByPOT as one floor (add_round_ok); FULL: the clamp is
 * [-128, 127], done by the saturating narrowing. */
VNNI static inline __attribute__((always_inline)) void add_loop(const add_consts *c, const int8_t *a,
                                                                const int8_t *b, int8_t *out, size_t n,
                                                                const int ROUND, const int FULL) {
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 live = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        const __m512i xa = _mm512_add_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(live, a + i)), c->off1);
        const __m512i xb = _mm512_add_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(live, b + i)), c->off2);
        /* both scaled inputs and their sum stay inside int32 (left_shift <= 22, checked) */
        const __m512i sum = _mm512_add_epi32(add_input(&c->in1, xa, ROUND), add_input(&c->in2, xb, ROUND));
        __m512i v = _mm512_add_epi32(mbqm16(sum, &c->out, ROUND), c->oo);
        if (!FULL) {
            v = _mm512_min_epi32(_mm512_max_epi32(v, c->lo), c->hi);
        }
        _mm_mask_storeu_epi8(out + i, live, _mm512_cvtsepi32_epi8(v));
    }
}

/* ---- ADD inputs by table (AVX-512 VBMI) ---- */
/* An int8 input's rescaling takes 256 values: add_input fills a table of
 * them per call, kept as 4 byte planes of 256 bytes, and 64 inputs at a time
 * look up each plane with two vpermi2b (128 entries each, index bit 7 picks
 * the half); unpacks join the planes into int32 lanes in an order that the
 * output's two packs undo. Per input: 8 lookups, 4 blends and 8 unpacks per
 * 64 elements instead of 2 vpmulld and the rounding per 16. */
#define ADD_LUT_MIN 256 /* elements that pay for the tables */
#define VBMI __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi")))

typedef struct {
    __m512i plane[2][4][4]; /* [input][byte][64 entries u = x + 128, from u = 64 * i] */
} add_lut;

VNNI static inline __attribute__((always_inline)) void hp_dw_interleave(const __m512i x[4], __m512i v[4]);

/* The byte planes of add_input over x = -128..127 for both inputs. */
VBMI static inline __attribute__((always_inline)) void add_lut_fill(add_lut *t, const add_consts *c,
                                                                   const int ROUND) {
    const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (int k = 0; k < 2; ++k) {
        const add_input16 *in = k ? &c->in2 : &c->in1;
        const __m512i off = k ? c->off2 : c->off1;
        for (int u = 0; u < 256; u += 16) {
            const __m512i x = _mm512_add_epi32(iota, _mm512_set1_epi32(u - 128));
            const __m512i v = add_input(in, _mm512_add_epi32(x, off), ROUND);
            for (int byte = 0; byte < 4; ++byte) {
                _mm_storeu_si128((__m128i *)(void *)((uint8_t *)&t->plane[k][byte][u / 64] + u % 64),
                                 _mm512_cvtepi32_epi8(_mm512_srli_epi32(v, 8 * byte)));
            }
        }
    }
}

/* Table k's values of 64 int8 inputs x, as int32 lanes d[0..3]: lane group L of
 * d[j] holds elements 16L + 4j .. 16L + 4j + 3. */
VBMI static inline __attribute__((always_inline)) void add_lut_get(const add_lut *t, int k, __m512i x, __m512i *d) {
    const __m512i u = _mm512_xor_si512(x, _mm512_set1_epi8((char)0x80));
    const __mmask64 upper = _mm512_movepi8_mask(u);
    __m512i p[4];
    for (int byte = 0; byte < 4; ++byte) {
        const __m512i *pl = t->plane[k][byte];
        p[byte] = _mm512_mask_blend_epi8(upper, _mm512_permutex2var_epi8(pl[0], u, pl[1]),
                                         _mm512_permutex2var_epi8(pl[2], u, pl[3]));
    }
    hp_dw_interleave(p, d); /* byte b of element 16 L + 4 j + i from plane b to d[j] */
}

/* add_loop over whole 64-element steps with the inputs by table; returns the elements done. */
VBMI static inline __attribute__((always_inline)) size_t add_lut_loop(const add_consts *c, const int8_t *a,
                                                                      const int8_t *b, int8_t *out, size_t n,
                                                                      const int ROUND, const int FULL) {
    add_lut t;
    add_lut_fill(&t, c, ROUND);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i da[4], db[4], r[4];
        add_lut_get(&t, 0, _mm512_loadu_si512((const void *)(a + i)), da);
        add_lut_get(&t, 1, _mm512_loadu_si512((const void *)(b + i)), db);
        for (int j = 0; j < 4; ++j) {
            r[j] = _mm512_add_epi32(mbqm16(_mm512_add_epi32(da[j], db[j]), &c->out, ROUND), c->oo);
            if (!FULL) {
                r[j] = _mm512_min_epi32(_mm512_max_epi32(r[j], c->lo), c->hi);
            }
        }
        /* per lane group: elements 0..7 then 8..15, saturating (the [-128, 127] clamp) */
        _mm512_storeu_si512((void *)(out + i), _mm512_packs_epi16(_mm512_packs_epi32(r[0], r[1]),
                                                                  _mm512_packs_epi32(r[2], r[3])));
    }
    return i;
}

VBMI static size_t add_lut_run(const add_consts *c, const int8_t *a, const int8_t *b, int8_t *out, size_t n,
                               int round, int full) {
    if (!round) {
        return add_lut_loop(c, a, b, out, n, 0, 0);
    }
    return full ? add_lut_loop(c, a, b, out, n, 1, 1) : add_lut_loop(c, a, b, out, n, 1, 0);
}

/* Whether add_loop's ROUND is exact: the inputs' |SRDHM| <= 255 << ls < 2^30
 * (+ 2^(rs-1) <= 2^30), and the output's |SRDHM| <= |sum| <= the two scaled
 * inputs' bounds, with its 2^(rs-1), below 2^31. */
static int add_round_ok(const add_stage st[3], int32_t ls) {
    int64_t sum = 0;
    for (int i = 0; i < 2; ++i) {
        sum += ((((int64_t)255 << ls) * st[i].mult) >> 31 >> st[i].rshift) + 1;
    }
    return sum + (((int64_t)1 << st[2].rshift) >> 1) < ((int64_t)1 << 31);
}

/* add_loop for the left shifts TFLite uses (inputs rescaled in 32-bit lanes, add_input). */
VNNI static int add_avx512(const int8_t *a, const int8_t *b, int8_t *out, size_t n, const int32_t *p) {
    const int32_t left = p[ADD_P_LEFT_SHIFT];
    if (left < ADD_FAST_LS_MIN) {
        return 0;
    }
    add_stage st[3];
    add_stages(p, st);
    add_consts c;
    add_input_init(&c.in1, &st[0], left);
    add_input_init(&c.in2, &st[1], left);
    add_scale_init(&c.out, &st[2]);
    c.off1 = _mm512_set1_epi32(p[ADD_P_INPUT1_OFFSET]);
    c.off2 = _mm512_set1_epi32(p[ADD_P_INPUT2_OFFSET]);
    c.oo = _mm512_set1_epi32(p[ADD_P_OUTPUT_OFFSET]);
    c.lo = _mm512_set1_epi32(p[ADD_P_ACT_MIN]);
    c.hi = _mm512_set1_epi32(p[ADD_P_ACT_MAX]);
    const int full = p[ADD_P_ACT_MIN] == -128 && p[ADD_P_ACT_MAX] == 127, round = add_round_ok(st, left);
    if (n >= ADD_LUT_MIN && cpu_vbmi()) { /* the rest (under 64) as below */
        const size_t done = add_lut_run(&c, a, b, out, n, round, full);
        a += done;
        b += done;
        out += done;
        n -= done;
    }
    if (!round) {
        add_loop(&c, a, b, out, n, 0, 0);
    } else if (full) {
        add_loop(&c, a, b, out, n, 1, 1);
    } else {
        add_loop(&c, a, b, out, n, 1, 0);
    }
    return 1;
}

int edla_fast_add(const int8_t *a, const int8_t *b, int8_t *out, size_t n, const int32_t *p) {
    switch (isa_level()) {
    case EDLA_ISA_AVX512_VBMI:
    case EDLA_ISA_AVX512_VNNI:
        if (add_avx512(a, b, out, n, p)) {
            return 1;
        }
        return add_avx2(a, b, out, n, p);
    case EDLA_ISA_AVX2:
        return add_avx2(a, b, out, n, p);
    default:
        return 0;
    }
}

/* ---- prepared layers (host_plan.c), AVX-512 VNNI ------------------------------- */

int edla_host_vnni(void) {
    return cpu_level() >= EDLA_ISA_AVX512_VNNI;
}

void *edla_host_alloc64(size_t n, void **raw) {
    *raw = calloc(1, n + 64);
    if (!*raw) {
        return (void *)0;
    }
    return (uint8_t *)*raw + (64 - (uintptr_t)*raw % 64);
}

#define HP_BLOCK_ROUND 4
#define HP_MAX_WORK ((uint64_t)1 << 28) /* bytes of a padded input copy worth making */ /* packed blocks and tables padded to whole 4-block tiles */

void edla_host_unpack(hp_op *e) {
    free(e->owned);
    free(e->owned_cols);
    e->owned = e->owned_cols = (void *)0;
    e->packed = e->cols = (int8_t *)0;
}

/* The one-row FC's weights by input column for hp_run_fc_sparse: column i
 * holds channel 64 h + 16 k + m at byte 64 h + 16 (m / 4) + 4 k + m % 4, where
 * the 4-column byte interleave (hp_sparse_blocks) leaves it: lane m of block
 * 4 h + k. Channels past n are zero weights. */
static int pack_columns(hp_op *e, size_t k) {
    const ku_channel_op_data *d = &e->d;
    const size_t n = (size_t)(d->c_end - d->c_begin);
    const size_t cs = (n + 63) / 64 * 64;
    uint8_t *mem = (uint8_t *)edla_host_alloc64(k * cs + cs * sizeof(int32_t), &e->owned_cols);
    if (!mem) {
        return -1;
    }
    e->cols = (int8_t *)mem;
    e->col_bias = (int32_t *)(void *)(mem + k * cs);
    e->cols_stride = cs;
    for (size_t c = 0; c < n; ++c) {
        const size_t h = c / 64, blk = c % 64 / 16, m = c % 16;
        const size_t at = 64 * h + 16 * (m / 4) + 4 * blk + m % 4;
        for (size_t i = 0; i < k; ++i) {
            e->cols[i * cs + at] = d->filter[c * k + i];
        }
        e->col_bias[c] = d->bias ? d->bias[(size_t)d->c_begin + c] : 0;
    }
    /* the walk's index and value lists beside the dense path's row copy */
    const size_t lists = (k + 16) * (sizeof(uint32_t) + 1) + 64;
    e->work_bytes = e->work_bytes > lists ? e->work_bytes : lists;
    return 1;
}

static size_t gcd(size_t a, size_t b) {
    while (b) {
        const size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* A prepared depthwise layer's epilogue tables per channel phase, 64 lanes
 * each in the unpacks' order (hp_ep_lanes reads mult, lshift, rshift). */
enum { DW_CORR, DW_MULT, DW_LSHIFT, DW_RSHIFT, DW_K_EVEN, DW_K_ODD, DW_S_EVEN, DW_S_ODD, DW_TABLES };
/* DW_K_*, DW_S_*: int64 per channel of the even / odd lanes (hp_dw_round64) */

/* Row pairs (row_pairs): output rows oy and oy + 1 read input rows r0..r3 (r
 * = oy * stride_h + k * dil_h); per tap column fx the 4 rows' runs interleave
 * once (hp_dw_interleave) and feed both rows, row oy through weights
 * [w0, w1, w2, 0] (w_fy of column fx), row oy + 1 through [0, w0, w1, w2].
 * Channel c of phase ph at vector i, lane of the unpacks' order. */
static void pack_dw_pair(hp_op *e, size_t ph, size_t c, size_t i, size_t lane) {
    const size_t C = (size_t)e->g.in_c, kw = (size_t)e->g.k_w, kh = (size_t)e->g.k_h;
    int8_t *pair = e->packed + (size_t)e->chan_phases * e->groups * 256;
    for (size_t fx = 0; fx < kw; ++fx) {
        for (size_t fy = 0; fy < kh; ++fy) {
            const int8_t w = e->d.filter[(fy * kw + fx) * C + c];
            pair[(((ph * kw + fx) * 2 + 0) * 4 + i) * 64 + lane * 4 + fy] = w;
            pair[(((ph * kw + fx) * 2 + 1) * 4 + i) * 64 + lane * 4 + fy + 1] = w;
        }
    }
}

/* Depthwise, depth multiplier 1 over all channels C: an output row is one flat
 * run of out_w * C bytes, and so is what each tap reads from the input copy
 * (columns split by stride phase). 64 outputs at a time, 4 taps per
 * vpdpbusd: the 4 tap vectors are byte-interleaved by unpacks, which puts
 * position 16 L + 4 i + j of the run (L a 128-bit lane) in vector i, dword
 * 4 L + j; weights and tables are stored in that order and the epilogue's
 * packs restore it. A run starting at 64 k begins at channel 64 k mod C:
 * C / gcd(C, 64) channel phases, each with its own weights and tables. */
static int pack_depthwise(hp_op *e) {
    const ku_window *g = &e->g;
    const ku_channel_op_data *d = &e->d;
    const size_t C = (size_t)g->in_c, taps = (size_t)g->k_h * (size_t)g->k_w;
    if (e->depth_multiplier != 1 || d->c_begin != 0 || d->c_end != g->out_c || e->chunk_begin != 0) {
        return 1; /* a chunk of the channels: the per-invoke kernel */
    }
    const size_t phases = C / gcd(C, 64), groups = (taps + 3) / 4;
    const size_t s = (size_t)g->stride_w;
    const size_t need_h = (size_t)(g->out_h - 1) * (size_t)g->stride_h + (size_t)(g->k_h - 1) * (size_t)g->dil_h + 1u;
    const size_t need_w = (size_t)(g->out_w - 1) * s + (size_t)(g->k_w - 1) * (size_t)g->dil_w + 1u;
    size_t hp = (size_t)g->in_h + (size_t)g->pad_top, wp = (size_t)g->in_w + (size_t)g->pad_left;
    hp = need_h > hp ? need_h : hp;
    wp = need_w > wp ? need_w : wp;
    const size_t wq = (wp + s - 1) / s;
    const uint64_t work = (uint64_t)g->batches * hp * s * wq * C;
    if (phases > 64 || hp > HP_MAX_WORK || wq > HP_MAX_WORK || s > HP_MAX_WORK || work > HP_MAX_WORK) {
        return 1;
    }
    e->hp = hp;
    e->wp = wp;
    e->wq = wq;
    e->col_phases = (int)s;
    e->chan_phases = (int)phases;
    e->groups = groups;
    e->lshifts = 0;
    e->work_bytes = (size_t)work + 128; /* a run's last 64 outputs may read past the row */
    e->row_pairs = g->k_h <= 3 && g->stride_h == g->dil_h;
    const size_t w_bytes = phases * groups * 256, t_bytes = phases * DW_TABLES * 64 * sizeof(int32_t);
    const size_t p_bytes = e->row_pairs ? phases * (size_t)g->k_w * 2 * 256 : 0;
    uint8_t *mem = (uint8_t *)edla_host_alloc64(w_bytes + p_bytes + t_bytes + taps * sizeof(size_t), &e->owned);
    if (!mem) {
        return -1;
    }
    e->packed = (int8_t *)mem;
    e->corr = (int32_t *)(void *)(mem + w_bytes + p_bytes);
    e->tap_off = (size_t *)(void *)(mem + w_bytes + p_bytes + t_bytes);
    for (size_t t = 0; t < taps; ++t) {
        const size_t fy = t / (size_t)g->k_w, fx = t % (size_t)g->k_w, col = fx * (size_t)g->dil_w;
        e->tap_off[t] = ((fy * (size_t)g->dil_h * s + col % s) * wq + col / s) * C;
    }
    int round64 = 1;
    for (size_t ph = 0; ph < phases; ++ph) {
        int32_t *tab = e->corr + ph * DW_TABLES * 64; /* [DW_*][vector i][16] */
        for (size_t p = 0; p < 64; ++p) {
            const size_t c = (ph * 64 + p) % C;
            const size_t i = (p % 16) / 4, lane = (p / 16) * 4 + p % 4; /* the unpacks' order */
            int32_t sum = 0;
            for (size_t t = 0; t < taps; ++t) {
                const int8_t w = d->filter[t * C + c];
                e->packed[((ph * groups + t / 4) * 4 + i) * 64 + lane * 4 + t % 4] = w;
                sum += w;
            }
            const uint32_t bias = d->bias ? (uint32_t)d->bias[c] : 0u;
            if (e->row_pairs) {
                pack_dw_pair(e, ph, c, i, lane);
            }
            int32_t *at = tab + i * 16 + lane;
            at[DW_CORR * 64] = u32_to_i32(bias + (uint32_t)sum * (uint32_t)(d->input_offset - 128));
            at[DW_MULT * 64] = d->mult[c];
            at[DW_LSHIFT * 64] = d->shift[c] > 0 ? d->shift[c] : 0;
            e->lshifts |= d->shift[c] > 0;
            at[DW_RSHIFT * 64] = d->shift[c] > 0 ? 0 : -d->shift[c];
            const int32_t rs = -d->shift[c];
            round64 &= rs >= 1 && rs <= 23 && d->mult[c] >= 0;
            if (round64) { /* 2^30 + (2^(rs - 1) + output_offset 2^rs) 2^31: |.| < 2^61 */
                int64_t *k = (int64_t *)(void *)(tab + (lane % 2 ? DW_K_ODD : DW_K_EVEN) * 64 + i * 16) + lane / 2;
                int64_t *sh = (int64_t *)(void *)(tab + (lane % 2 ? DW_S_ODD : DW_S_EVEN) * 64 + i * 16) + lane / 2;
                *k = ((int64_t)1 << 30) + (((int64_t)1 << (rs - 1)) + (int64_t)d->output_offset * ((int64_t)1 << rs)) *
                                              ((int64_t)1 << 31);
                *sh = 31 + rs;
            }
        }
    }
    e->round64 = round64;
    return 1;
}

/* Group 0 of block b: tiles of tile_blocks blocks (4 for FC, 1 for conv)
 * follow each other, and inside a tile group q of every block comes before
 * group q + 1 of any. */
static inline const int8_t *hp_block(const hp_op *e, size_t b) {
    return e->packed + (b / e->tile_blocks) * e->tile_blocks * e->groups * 64 + (b % e->tile_blocks) * 64;
}

/* Whether hp_round32 is exact for a channel: a zero multiplier (h = 0 for
 * every accumulator), or right shift rs >= 1, multiplier m >= 0 and |h| +
 * 2^(rs-1) < 2^31 for every h = SRDHM(acc, m) it can meet: |acc| <= bound =
 * |bias| + 255 * sum |w| (x + input_offset lies in [-255, 255]), so |h| <=
 * floor((bound * m + 2^30) / 2^31) + 1. */
static int ep_round_ok(int32_t bias, int64_t abs_w, int32_t mult, int32_t shift) {
    if (mult == 0) {
        return 1;
    }
    if (shift > -1 || shift < -31 || mult < 0) {
        return 0;
    }
    const int64_t bound = (bias < 0 ? -(int64_t)bias : (int64_t)bias) + 255 * abs_w;
    if (bound >= ((int64_t)1 << 32)) {
        return 0;
    }
    const int64_t h = ((bound * mult + ((int64_t)1 << 30)) >> 31) + 1; /* bound * mult < 2^63 */
    return h + ((int64_t)1 << (-shift - 1)) < ((int64_t)1 << 31);
}

/* Packs the filter (channel i, byte j of filter row fy at
 * d.filter[i * K + fy * row + j]) as [block][fy][q][16][4], a row padded to
 * whole groups with zero weights, and the epilogue tables with
 * corr = bias + (input_offset - 128) * sum w (the u8 identity at the top). */
int edla_host_pack(hp_op *e) {
    const ku_channel_op_data *d = &e->d;
    size_t row;
    if (e->kind == HP_FC) {
        e->kh = 1;
        row = e->depth;
        e->work_bytes = e->rows * e->depth + 64; /* groups read past a row's end: zero weights */
    } else if (e->kind == HP_CONV && e->g.dil_w == 1) {
        const ku_window *g = &e->g;
        e->kh = g->k_h;
        row = (size_t)g->k_w * (size_t)g->in_c;
        const size_t need_h = (size_t)(g->out_h - 1) * (size_t)g->stride_h +
                              (size_t)(g->k_h - 1) * (size_t)g->dil_h + 1u;
        const size_t need_w = (size_t)(g->out_w - 1) * (size_t)g->stride_w + (size_t)g->k_w;
        e->hp = (size_t)g->in_h + (size_t)g->pad_top;
        e->hp = need_h > e->hp ? need_h : e->hp;
        e->wp = (size_t)g->in_w + (size_t)g->pad_left;
        e->wp = need_w > e->wp ? need_w : e->wp;
        const uint64_t work = (uint64_t)g->batches * e->hp * e->wp * (uint64_t)g->in_c;
        if (e->hp > HP_MAX_WORK || e->wp > HP_MAX_WORK || work > HP_MAX_WORK) {
            return 0; /* strides far beyond the input (a blob no converter writes): not worth it */
        }
        e->work_bytes = (size_t)work + 64;
        e->col_phases = 1;
        e->wq = e->wp;
    } else if (e->kind == HP_DEPTHWISE) {
        return pack_depthwise(e);
    } else {
        return 1; /* depthwise, dilated conv: the per-invoke kernels over d */
    }
    const int n = d->c_end - d->c_begin;
    const size_t blocks = ((size_t)(n + 15) / 16 + HP_BLOCK_ROUND - 1) / HP_BLOCK_ROUND * HP_BLOCK_ROUND;
    e->row_groups = (row + 3) / 4;
    e->groups = e->row_groups * (size_t)e->kh;
    const size_t packed_bytes = blocks * e->groups * 64, lanes = blocks * 16;
    uint8_t *mem = (uint8_t *)edla_host_alloc64(packed_bytes + 4 * lanes * sizeof(int32_t), &e->owned);
    if (!mem) {
        return -1;
    }
    e->packed = (int8_t *)mem;
    e->lshifts = 0;
    e->ep_round = 1;
    e->corr = (int32_t *)(void *)(mem + packed_bytes);
    e->mult = e->corr + lanes;
    e->lshift = e->mult + lanes;
    e->rshift = e->lshift + lanes;
    const size_t k = row * (size_t)e->kh;
    e->tile_blocks = e->kind == HP_FC ? HP_BLOCK_ROUND : 1;
    e->grp_stride = 64 * e->tile_blocks;
    e->blk_stride = e->kind == HP_FC ? 64 : e->groups * 64;
    for (int i = 0; i < n; ++i) {
        const int8_t *w = d->filter + (size_t)i * k;
        int8_t *dst = (int8_t *)hp_block(e, (size_t)(i / 16)) + (size_t)(i % 16) * 4;
        int32_t sum = 0; /* |sum| <= 128 * k: fits */
        int64_t abs_sum = 0;
        for (int fy = 0; fy < e->kh; ++fy) {
            for (size_t j = 0; j < row; ++j) {
                const int8_t v = w[(size_t)fy * row + j];
                dst[((size_t)fy * e->row_groups + j / 4) * e->grp_stride + j % 4] = v;
                sum += v;
                abs_sum += v < 0 ? -v : v;
            }
        }
        const int oc = d->c_begin + i;
        const uint32_t bias = d->bias ? (uint32_t)d->bias[oc] : 0u;
        e->ep_round &= ep_round_ok(d->bias ? d->bias[oc] : 0, abs_sum, d->mult[oc], d->shift[oc]);
        e->corr[i] = u32_to_i32(bias + (uint32_t)sum * (uint32_t)(d->input_offset - 128));
        e->mult[i] = d->mult[oc];
        e->lshift[i] = d->shift[oc] > 0 ? d->shift[oc] : 0;
        e->rshift[i] = d->shift[oc] > 0 ? 0 : -d->shift[oc];
        e->lshifts |= d->shift[oc] > 0;
    }
    return e->kind == HP_FC && e->act_input && e->rows == 1 ? pack_columns(e, k) : 1;
}

/* dst[i] = src[i] ^ 0x80 (int8 x as u8 x + 128), 64 bytes at a time. */
VNNI static void xor80_copy(uint8_t *dst, const int8_t *src, size_t n) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        _mm512_storeu_si512((void *)(dst + i),
                            _mm512_xor_si512(_mm512_loadu_si512((const void *)(src + i)), flip));
    }
    if (i < n) {
        const __mmask64 tail = ((__mmask64)1 << (n - i)) - 1;
        _mm512_mask_storeu_epi8(dst + i, tail, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail, src + i), flip));
    }
}

/* n bytes of padv at dst: inline stores, as the pads of a row are short and a
 * memset call costs more than the bytes. */
VNNI static inline __attribute__((always_inline)) void pad_bytes(uint8_t *dst, size_t n, __m512i padv) {
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        _mm512_storeu_si512((void *)(dst + i), padv);
    }
    if (i < n) {
        _mm512_mask_storeu_epi8(dst + i, ((__mmask64)1 << (n - i)) - 1, padv);
    }
}

/* fill_phases at stride 2 for pixels of 8, 16 or 32 bytes, in one pass:
 * input pixel ix lies at padded column ix + pad_left, so the even input
 * pixels fill one phase and the odd ones the other, each from slot (ix +
 * pad_left) / 2 on. 128 input bytes give each phase 64 / in_c slots, picked
 * by two two-source qword permutes (not one masked move per pixel). */
VNNI static void fill_phases2(const hp_op *e, const int8_t *src, uint8_t *dst, uint8_t pad) {
    const ku_window *g = &e->g;
    const long in_c = g->in_c, in_w = g->in_w, wq = (long)e->wq, per = 64 / in_c, left = g->pad_left;
    const __m512i flip = _mm512_set1_epi8((char)0x80), padv = _mm512_set1_epi8((char)pad);
    /* slot j takes input pixel 2 j (even) or 2 j + 1 (odd): in_c / 8 qwords each */
    const __m512i even = in_c == 8    ? _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0)
                         : in_c == 16 ? _mm512_set_epi64(13, 12, 9, 8, 5, 4, 1, 0)
                                      : _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
    const __m512i odd = _mm512_add_epi64(even, _mm512_set1_epi64(in_c / 8));
    /* phase and first slot of the even input pixels, then of the odd ones; slots
     * past the row's last pixel (or the phase's end) are padding */
    uint8_t *const row_e = dst + (left % 2) * wq * in_c, *const row_o = dst + ((left + 1) % 2) * wq * in_c;
    const long s_e = left / 2, s_o = (left + 1) / 2;
    const long n_e = (in_w + 1) / 2, n_o = in_w / 2; /* even / odd input pixels */
    const long end_e = s_e + n_e < wq ? s_e + n_e : wq, end_o = s_o + n_o < wq ? s_o + n_o : wq;
    long j = 0; /* input pixel pairs (2 j, 2 j + 1) done */
    for (; 2 * (j + per) <= in_w && s_e + j + per <= end_e && s_o + j + per <= end_o; j += per) {
        const int8_t *at = src + 2 * j * in_c;
        const __m512i a = _mm512_loadu_si512((const void *)at), b = _mm512_loadu_si512((const void *)(at + 64));
        _mm512_storeu_si512((void *)(row_e + (s_e + j) * in_c), _mm512_xor_si512(_mm512_permutex2var_epi64(a, even, b), flip));
        _mm512_storeu_si512((void *)(row_o + (s_o + j) * in_c), _mm512_xor_si512(_mm512_permutex2var_epi64(a, odd, b), flip));
    }
    for (; s_e + j < end_e || s_o + j < end_o; j += per) { /* the row's end: masked */
        const long bytes = (in_w - 2 * j) * in_c; /* the row's bytes from pixel 2 j on */
        const __mmask64 m0 = bytes >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << bytes) - 1;
        const __mmask64 m1 = bytes >= 128 ? ~(__mmask64)0 : bytes <= 64 ? 0 : ((__mmask64)1 << (bytes - 64)) - 1;
        const __m512i a = _mm512_maskz_loadu_epi8(m0, src + 2 * j * in_c);
        const __m512i b = _mm512_maskz_loadu_epi8(m1, src + 2 * j * in_c + 64);
        const long ne = end_e - (s_e + j) < per ? end_e - (s_e + j) : per, no = end_o - (s_o + j) < per ? end_o - (s_o + j) : per;
        if (ne > 0) {
            _mm512_mask_storeu_epi8(row_e + (s_e + j) * in_c, ne == per ? ~(__mmask64)0 : ((__mmask64)1 << (ne * in_c)) - 1,
                                    _mm512_xor_si512(_mm512_permutex2var_epi64(a, even, b), flip));
        }
        if (no > 0) {
            _mm512_mask_storeu_epi8(row_o + (s_o + j) * in_c, no == per ? ~(__mmask64)0 : ((__mmask64)1 << (no * in_c)) - 1,
                                    _mm512_xor_si512(_mm512_permutex2var_epi64(a, odd, b), flip));
        }
    }
    pad_bytes(row_e, (size_t)((s_e < wq ? s_e : wq) * in_c), padv);
    pad_bytes(row_e + end_e * in_c, (size_t)((wq - end_e) * in_c), padv);
    pad_bytes(row_o, (size_t)((s_o < wq ? s_o : wq) * in_c), padv);
    pad_bytes(row_o + end_o * in_c, (size_t)((wq - end_o) * in_c), padv);
}

/* One input row split into its column phases (column x to slot x / s of phase
 * x % s), each pixel u8 x ^ 0x80 or the zero point pad; written in phase order.
 * Pixels of up to 64 channels are one masked move each. */
VNNI static void fill_phases(const hp_op *e, const int8_t *src, uint8_t *dst, uint8_t pad) {
    const ku_window *g = &e->g;
    const size_t in_c = (size_t)g->in_c, s = (size_t)e->col_phases;
    const size_t left = (size_t)g->pad_left, right = left + (size_t)g->in_w;
    const __m512i flip = _mm512_set1_epi8((char)0x80), padv = _mm512_set1_epi8((char)pad);
    const __mmask64 m = in_c >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << in_c) - 1;
    const size_t end = s * e->wq; /* a local: the byte stores below may alias *e */
    if (s == 2 && (in_c == 8 || in_c == 16 || in_c == 32)) {
        fill_phases2(e, src, dst, pad);
        return;
    }
    for (size_t ph = 0; ph < s; ++ph) {
        for (size_t x = ph; x < end; x += s, dst += in_c) {
            const int inside = x >= left && x < right;
            if (in_c > 64) {
                if (inside) {
                    xor80_copy(dst, src + (x - left) * in_c, in_c);
                } else {
                    pad_bytes(dst, in_c, padv);
                }
                continue;
            }
            const __m512i v = inside ? _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + (x - left) * in_c), flip)
                                     : padv;
            _mm512_mask_storeu_epi8(dst, m, v);
        }
    }
}

/* The input as u8 x ^ 0x80 with zero-point borders (u8 128 - input_offset):
 * [batch][hp rows][col_phases][wq columns][in_c], column x at phase x % col_phases,
 * slot x / col_phases. With one phase, every conv output pixel reads k_h rows
 * of k_w * in_c contiguous bytes; with the depthwise stride as phases, every
 * tap reads one contiguous run for a whole output row. */
VNNI static void fill_padded(const hp_op *e, const int8_t *input, uint8_t *work) {
    const ku_window *g = &e->g;
    const size_t in_c = (size_t)g->in_c, s = (size_t)e->col_phases;
    const size_t row_bytes = s * e->wq * in_c;
    const size_t left = (size_t)g->pad_left, run = (size_t)g->in_w * in_c;
    const uint8_t pad = (uint8_t)(128 - e->d.input_offset);
    const __m512i padv = _mm512_set1_epi8((char)pad);
    if (s == 1 && row_bytes == run && e->hp == (size_t)g->in_h && g->pad_top == 0 && g->row_stride == run &&
        g->batch_stride == (size_t)g->in_h * run) { /* no border (1x1 windows): one flat copy */
        xor80_copy(work, input, (size_t)g->batches * g->batch_stride);
        return;
    }
    for (int b = 0; b < g->batches; ++b) {
        for (size_t y = 0; y < e->hp; ++y, work += row_bytes) {
            const long iy = (long)y - g->pad_top;
            if (iy < 0 || iy >= g->in_h) {
                pad_bytes(work, row_bytes, padv);
                continue;
            }
            const int8_t *src = input + (size_t)b * g->batch_stride + (size_t)iy * g->row_stride;
            if (s == 1) {
                pad_bytes(work, left * in_c, padv);
                xor80_copy(work + left * in_c, src, run);
                pad_bytes(work + left * in_c + run, row_bytes - left * in_c - run, padv);
                continue;
            }
            fill_phases(e, src, work, pad);
        }
    }
}

/* The epilogue constants of 16 lanes, held in registers while the pixels of a
 * tile are stored: the output stores (int8) may alias anything, so the compiler
 * would reload and re-broadcast them after each one. */
typedef struct {
    __m512i m, m_odd, ls, rs, mask, half, off, lo, hi;
} hp_ep;

/* The output offset and clamp of an entry's epilogue. */
VNNI static inline __attribute__((always_inline)) void hp_ep_clamp(const hp_op *e, hp_ep *t) {
    t->off = _mm512_set1_epi32(e->d.output_offset);
    t->lo = _mm512_set1_epi32(e->d.act_min);
    t->hi = _mm512_set1_epi32(e->d.act_max);
}

/* The per-lane part of the epilogue, tables at mult (lshift, rshift `stride` entries further). */
VNNI static inline __attribute__((always_inline)) void hp_ep_lanes(const int32_t *mult, size_t stride, hp_ep *t) {
    const __m512i one = _mm512_set1_epi32(1);
    t->m = _mm512_load_si512((const void *)mult);
    t->m_odd = _mm512_srli_epi64(t->m, 32);
    t->ls = _mm512_load_si512((const void *)(mult + stride));
    t->rs = _mm512_load_si512((const void *)(mult + 2 * stride));
    t->mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, t->rs), one);
    t->half = _mm512_srai_epi32(t->mask, 1);
}

/* TFLM's requantize of 16 lanes, before the output offset and clamp. LS 0:
 * no lane shifts left (the entry's lshifts is 0). */
VNNI static inline __attribute__((always_inline)) __m512i hp_requant_core(const hp_ep *t, __m512i acc, const int LS) {
    const __m512i x = LS ? _mm512_sllv_epi32(acc, t->ls) : acc;
    const __m512i half = _mm512_set1_epi64((int64_t)1 << 30);
    const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, t->m), half), 31);
    const __m512i odd = /* vpmuldq reads the low dword: the odd one moved there by a shuffle */
        _mm512_slli_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_shuffle_epi32(x, _MM_PERM_DDBB), t->m_odd), half), 1);
    const __m512i h = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, odd);
    const __m512i rem = _mm512_and_si512(h, t->mask);
    const __m512i thr = _mm512_sub_epi32(t->half, _mm512_srai_epi32(h, 31));
    const __m512i q = _mm512_srav_epi32(h, t->rs);
    return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, thr), q, _mm512_set1_epi32(1));
}

/* requantize_to_int8 of 16 lanes: int32 lanes in [act_min, act_max]. */
VNNI static inline __attribute__((always_inline)) __m512i hp_requant_ls(const hp_ep *t, __m512i acc, const int LS) {
    __m512i v = _mm512_add_epi32(hp_requant_core(t, acc, LS), t->off);
    v = _mm512_max_epi32(v, t->lo);
    return _mm512_min_epi32(v, t->hi);
}

/* requantize_to_int8 of 16 lanes for entries with ep_round (no left shifts).
 * SRDHM's odd lanes: floor((p + 2^30) / 2^31) is the high dword of p + p + 2^31
 * (|p| < 2^62), where the blend wants it. With rs >= 1,
 * RoundingDivideByPOT(h, rs) (half away from zero) is one floor,
 * (h + 2^(rs-1) - [h < 0]) >> rs, and ep_round_ok keeps that sum inside int32
 * (|h| <= |acc| as 0 <= multiplier < 2^31). FULL: the clamp is [-128, 127],
 * left to the caller's saturating narrowing. */
VNNI static inline __attribute__((always_inline)) __m512i hp_round32(const hp_ep *t, __m512i acc, const int FULL) {
    const __m512i half = _mm512_set1_epi64((int64_t)1 << 30), half2 = _mm512_set1_epi64((int64_t)1 << 31);
    const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(acc, t->m), half), 31);
    const __m512i po = _mm512_mul_epi32(_mm512_shuffle_epi32(acc, _MM_PERM_DDBB), t->m_odd);
    const __m512i odd = _mm512_add_epi64(_mm512_add_epi64(po, po), half2);
    const __m512i h = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, odd);
    const __m512i nudge = _mm512_sub_epi32(t->mask, t->half); /* 2^(rs-1) */
    __m512i v = _mm512_srav_epi32(_mm512_add_epi32(_mm512_add_epi32(h, nudge), _mm512_srai_epi32(h, 31)), t->rs);
    v = _mm512_add_epi32(v, t->off);
    if (!FULL) {
        v = _mm512_min_epi32(_mm512_max_epi32(v, t->lo), t->hi);
    }
    return v;
}

/* hp_round32 as int8 lanes. */
VNNI static inline __attribute__((always_inline)) __m128i hp_requant_round(const hp_ep *t, __m512i acc,
                                                                           const int FULL) {
    return _mm512_cvtsepi32_epi8(hp_round32(t, acc, FULL));
}

/* The epilogue of channels c..c+15 of a conv / FC entry. */
VNNI static inline __attribute__((always_inline)) void hp_ep_channels(const hp_op *e, size_t c, hp_ep *t) {
    hp_ep_clamp(e, t);
    hp_ep_lanes(e->mult + c, (size_t)(e->lshift - e->mult), t);
}

/* requantize_to_int8 of 16 lanes -> out[0..nc). */
VNNI static inline __attribute__((always_inline)) void hp_store16(const hp_ep *t, __m512i acc, int8_t *out,
                                                                  int nc, const int LS) {
    _mm_mask_storeu_epi8(out, (__mmask16)((1u << nc) - 1u), _mm512_cvtepi32_epi8(hp_requant_ls(t, acc, LS)));
}

/* hp_requant_round of one block's accumulators for np pixels (P at most) -> out[i] + c. */
VNNI static inline __attribute__((always_inline)) void hp_store_round(const hp_ep *t, const __m512i *acc,
                                                                      size_t acc_step, int8_t *const *out,
                                                                      int np, int c, int nc, const int P,
                                                                      const int FULL) {
    const __mmask16 live = (__mmask16)((1u << nc) - 1u);
#pragma GCC unroll 16
    for (int i = 0; i < P; ++i) {
        if (i < np) {
            _mm_mask_storeu_epi8(out[i] + c, live, hp_requant_round(t, acc[(size_t)i * acc_step], FULL));
        }
    }
}

/* hp_store16 of one block's accumulators for np pixels (P at most): the left
 * shift only in the entry that has one; hp_store_round where ep_round holds. */
VNNI static inline __attribute__((always_inline)) void hp_store_block(const hp_op *e, const __m512i *acc,
                                                                      size_t acc_step, int8_t *const *out,
                                                                      int np, int c, int nc, const int P) {
    hp_ep t;
    hp_ep_channels(e, (size_t)c, &t);
    if (e->ep_round) {
        if (e->d.act_min == -128 && e->d.act_max == 127) {
            hp_store_round(&t, acc, acc_step, out, np, c, nc, P, 1);
        } else {
            hp_store_round(&t, acc, acc_step, out, np, c, nc, P, 0);
        }
        return;
    }
    if (e->lshifts) {
#pragma GCC unroll 16
        for (int i = 0; i < P; ++i) {
            if (i < np) {
                hp_store16(&t, acc[(size_t)i * acc_step], out[i] + c, nc, 1);
            }
        }
        return;
    }
#pragma GCC unroll 16
    for (int i = 0; i < P; ++i) {
        if (i < np) {
            hp_store16(&t, acc[(size_t)i * acc_step], out[i] + c, nc, 0);
        }
    }
}


/* P pixels (input windows at base[i], output at out[i]) x NB blocks of 16
 * channels from block blk: P * NB accumulators stay in registers while the K
 * groups stream (one weight load per block, one broadcast per pixel). */
VNNI static inline __attribute__((always_inline)) void hp_tile(const hp_op *e, const uint8_t *const *base,
                                                               int8_t *const *out, int np, size_t blk,
                                                               size_t fy_step, const int P, const int NB) {
    __m512i acc[16][4];
    const size_t bb = e->blk_stride, gs = e->grp_stride;
    const int8_t *w = hp_block(e, blk);
    const int n = e->d.c_end - e->d.c_begin;
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
        const __m512i c = _mm512_load_si512((const void *)(e->corr + (blk + (size_t)j) * 16));
#pragma GCC unroll 16
        for (int i = 0; i < P; ++i) {
            acc[i][j] = c;
        }
    }
    for (int fy = 0; fy < e->kh; ++fy) {
        const size_t ro = (size_t)fy * fy_step;
        const int8_t *wf = w + (size_t)fy * e->row_groups * gs;
        for (size_t q = 0; q < e->row_groups; ++q) {
            __m512i wv[4];
#pragma GCC unroll 4
            for (int j = 0; j < NB; ++j) {
                wv[j] = _mm512_load_si512((const void *)(wf + (size_t)j * bb + q * gs));
            }
#pragma GCC unroll 16
            for (int i = 0; i < P; ++i) {
                int32_t x4;
                memcpy(&x4, base[i] + ro + q * 4, 4);
                const __m512i x = _mm512_set1_epi32(x4);
#pragma GCC unroll 4
                for (int j = 0; j < NB; ++j) {
                    acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], x, wv[j]);
                }
            }
        }
    }
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
        const int c = (int)(blk + (size_t)j) * 16;
        const int nc = n - c < 16 ? n - c : 16;
        if (nc <= 0) {
            break;
        }
        hp_store_block(e, &acc[0][j], 4, out, np, c, nc, P);
    }
}

VNNI static void hp_tile_6x4(const hp_op *e, const uint8_t *const *b, int8_t *const *o, int np, size_t blk, size_t s) {
    hp_tile(e, b, o, np, blk, s, 6, 4);
}
VNNI static void hp_tile_12x1(const hp_op *e, const uint8_t *const *b, int8_t *const *o, int np, size_t blk, size_t s) {
    hp_tile(e, b, o, np, blk, s, 12, 1);
}
VNNI static void hp_tile_12x2(const hp_op *e, const uint8_t *const *b, int8_t *const *o, int np, size_t blk, size_t s) {
    hp_tile(e, b, o, np, blk, s, 12, 2);
}
#define HP_PIX 12 /* output pixels per block: two 6 x 4 tiles, one 12 x 1 or 3 x 4 pixel quads */

/* ---- 4 pixels x 4 channels per register: the last block of 1..12 channels ------------- */
/* A 12 x 1 tile over a block of 8 channels leaves half of every vpdpbusd and
 * of every epilogue vector idle. Here the 128-bit lane group p of a register
 * holds 16 K bytes of pixel p, vpshufd spreads K group k of them over its 4
 * lanes, and the weights of channels 4j..4j+3 at that group (lane group j of
 * the packed block vector) are broadcast to every lane group: accumulator
 * (i, j) is pixels 4i..4i+3 x channels 4j..4j+3, and only the NQ channel
 * quads the block has are computed and requantized. */
#define HP_QUADS (HP_PIX / 4)

/* K bytes [off, off + 16) of pixels base[0..3], one per 128-bit lane group. Bytes
 * past a pixel's filter row meet zero weights (or groups not run); the input copy
 * has 64 bytes of slack after its last row. */
VNNI static inline __attribute__((always_inline)) __m512i hp_quad_load(const uint8_t *const *base, size_t off) {
    __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(const void *)(base[0] + off)));
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(const void *)(base[1] + off)), 1);
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(const void *)(base[2] + off)), 2);
    return _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(const void *)(base[3] + off)), 3);
}

/* Lanes 4j..4j+3 of a 16-lane table (or block vector), in every lane group. */
VNNI static inline __attribute__((always_inline)) __m512i hp_quad_bcast(const void *p) {
    return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)p));
}

/* Dword k of every lane group in all 4 of its lanes (k a constant). */
VNNI static inline __attribute__((always_inline)) __m512i hp_quad_spread(__m512i x, const int k) {
    switch (k) {
    case 0:
        return _mm512_shuffle_epi32(x, _MM_PERM_AAAA);
    case 1:
        return _mm512_shuffle_epi32(x, _MM_PERM_BBBB);
    case 2:
        return _mm512_shuffle_epi32(x, _MM_PERM_CCCC);
    default:
        return _mm512_shuffle_epi32(x, _MM_PERM_DDDD);
    }
}

/* NK (1..4) K groups from offset off of every pixel's row, weights from wq (group
 * stride gs), into the NQ channel quads: straight-line code, so the accumulators
 * stay in their registers. */
VNNI static inline __attribute__((always_inline)) void hp_quad_chunk(__m512i (*acc)[4], const uint8_t *const *base,
                                                                     size_t off, const int8_t *wq, size_t gs,
                                                                     const int NK, const int NQ, const int CONTIG) {
    __m512i x[HP_QUADS];
#pragma GCC unroll 4
    for (int i = 0; i < HP_QUADS; ++i) {
        x[i] = CONTIG ? _mm512_loadu_si512((const void *)(base[4 * i] + off)) : hp_quad_load(base + 4 * i, off);
    }
#pragma GCC unroll 4
    for (int k = 0; k < NK; ++k) {
        __m512i wv[4], xs[HP_QUADS];
#pragma GCC unroll 4
        for (int j = 0; j < NQ; ++j) {
            wv[j] = hp_quad_bcast(wq + (size_t)k * gs + (size_t)j * 16);
        }
#pragma GCC unroll 4
        for (int i = 0; i < HP_QUADS; ++i) {
            xs[i] = hp_quad_spread(x[i], k);
        }
#pragma GCC unroll 4
        for (int i = 0; i < HP_QUADS; ++i) {
#pragma GCC unroll 4
            for (int j = 0; j < NQ; ++j) {
                acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], xs[i], wv[j]);
            }
        }
    }
}

/* The epilogue of channel quad j (channels c + 4j..) in every lane group. */
VNNI static inline __attribute__((always_inline)) void hp_ep_quad(const hp_op *e, size_t c, hp_ep *t) {
    const __m512i one = _mm512_set1_epi32(1);
    const size_t stride = (size_t)(e->lshift - e->mult);
    t->m = hp_quad_bcast(e->mult + c);
    t->m_odd = _mm512_srli_epi64(t->m, 32);
    t->ls = hp_quad_bcast(e->mult + c + stride);
    t->rs = hp_quad_bcast(e->mult + c + 2 * stride);
    t->mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, t->rs), one);
    t->half = _mm512_srai_epi32(t->mask, 1);
}

/* The epilogue of one accumulator, by the entry's kind (hp_tile_quads' MODE):
 * 0 / 1 hp_requant_ls without / with left shifts, 2 / 3 hp_round32 with its
 * clamp / the [-128, 127] one left to the packs. */
VNNI static inline __attribute__((always_inline)) __m512i hp_quad_requant(const hp_ep *t, __m512i acc,
                                                                          const int MODE) {
    return MODE >= 2 ? hp_round32(t, acc, MODE == 3) : hp_requant_ls(t, acc, MODE);
}

/* Requantizes the NQ channel quads and stores pixel 4i + p's nc channels from
 * lane group p: two packs put each pixel's channel quads in order (they work
 * per lane group, saturating: the [-128, 127] clamp). */
VNNI static inline __attribute__((always_inline)) void hp_quad_store(const hp_op *e, __m512i (*acc)[4],
                                                                     int8_t *const *out, int np, int c,
                                                                     const int NQ, const int MODE) {
    const int n = e->d.c_end - e->d.c_begin, nc = n - c < 16 ? n - c : 16;
    const __mmask16 live = (__mmask16)((1u << nc) - 1u);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
        if (j >= NQ) {
#pragma GCC unroll 4
            for (int i = 0; i < HP_QUADS; ++i) {
                acc[i][j] = _mm512_setzero_si512();
            }
            continue;
        }
        hp_ep t;
        hp_ep_clamp(e, &t);
        hp_ep_quad(e, (size_t)c + (size_t)j * 4, &t);
#pragma GCC unroll 4
        for (int i = 0; i < HP_QUADS; ++i) {
            acc[i][j] = hp_quad_requant(&t, acc[i][j], MODE);
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < HP_QUADS; ++i) {
        const __m512i v = _mm512_packs_epi16(_mm512_packs_epi32(acc[i][0], acc[i][1]),
                                             _mm512_packs_epi32(acc[i][2], acc[i][3]));
        const int p = 4 * i;
        if (p < np) {
            _mm_mask_storeu_epi8(out[p] + c, live, _mm512_castsi512_si128(v));
        }
        if (p + 1 < np) {
            _mm_mask_storeu_epi8(out[p + 1] + c, live, _mm512_extracti32x4_epi32(v, 1));
        }
        if (p + 2 < np) {
            _mm_mask_storeu_epi8(out[p + 2] + c, live, _mm512_extracti32x4_epi32(v, 2));
        }
        if (p + 3 < np) {
            _mm_mask_storeu_epi8(out[p + 3] + c, live, _mm512_extracti32x4_epi32(v, 3));
        }
    }
}

/* Whether each pixel quad's windows lie 16 bytes apart (16 input channels at
 * stride 1 in one row, or a flat 1x1 copy): its K bytes are one 64-byte load. */
VNNI static inline int hp_quads_contiguous(const uint8_t *const *base) {
    int ok = 1;
    for (int i = 0; i < HP_PIX; i += 4) {
        ok &= base[i + 1] == base[i] + 16 && base[i + 3] == base[i] + 48;
    }
    return ok;
}

/* HP_PIX pixels (np stored) x the NQ channel quads of block blk; CONTIG:
 * hp_quads_contiguous holds. */
VNNI static inline __attribute__((always_inline)) void hp_tile_quads(const hp_op *e, const uint8_t *const *base,
                                                                     int8_t *const *out, int np, size_t blk,
                                                                     size_t fy_step, const int NQ, const int CONTIG) {
    __m512i acc[HP_QUADS][4];
    const size_t gs = e->grp_stride, rg = e->row_groups;
#pragma GCC unroll 4
    for (int j = 0; j < NQ; ++j) {
        const __m512i c = hp_quad_bcast(e->corr + blk * 16 + (size_t)j * 4);
#pragma GCC unroll 4
        for (int i = 0; i < HP_QUADS; ++i) {
            acc[i][j] = c;
        }
    }
    for (int fy = 0; fy < e->kh; ++fy) {
        const size_t ro = (size_t)fy * fy_step;
        const int8_t *wf = hp_block(e, blk) + (size_t)fy * rg * gs;
        size_t q = 0;
        for (; q + 4 <= rg; q += 4) {
            hp_quad_chunk(acc, base, ro + q * 4, wf + q * gs, gs, 4, NQ, CONTIG);
        }
        switch (rg - q) { /* the row's last groups */
        case 3:
            hp_quad_chunk(acc, base, ro + q * 4, wf + q * gs, gs, 3, NQ, CONTIG);
            break;
        case 2:
            hp_quad_chunk(acc, base, ro + q * 4, wf + q * gs, gs, 2, NQ, CONTIG);
            break;
        case 1:
            hp_quad_chunk(acc, base, ro + q * 4, wf + q * gs, gs, 1, NQ, CONTIG);
            break;
        default:
            break;
        }
    }
    const int c = (int)blk * 16;
    if (e->ep_round && e->d.act_min == -128 && e->d.act_max == 127) {
        hp_quad_store(e, acc, out, np, c, NQ, 3);
    } else if (e->ep_round) {
        hp_quad_store(e, acc, out, np, c, NQ, 2);
    } else if (e->lshifts) {
        hp_quad_store(e, acc, out, np, c, NQ, 1);
    } else {
        hp_quad_store(e, acc, out, np, c, NQ, 0);
    }
}

VNNI static void hp_tile_quads1(const hp_op *e, const uint8_t *const *b, int8_t *const *o, int np, size_t blk,
                                size_t s) {
    hp_tile_quads(e, b, o, np, blk, s, 1, 0);
}
VNNI static void hp_tile_quads2(const hp_op *e, const uint8_t *const *b, int8_t *const *o, int np, size_t blk,
                                size_t s) {
    hp_tile_quads(e, b, o, np, blk, s, 2, 0);
}
VNNI static void hp_tile_quads3(const hp_op *e, const uint8_t *const *b, int8_t *const *o, int np, size_t blk,
                                size_t s) {
    hp_tile_quads(e, b, o, np, blk, s, 3, 0);
}
VNNI static void hp_tile_quads4c(const hp_op *e, const uint8_t *const *b, int8_t *const *o, int np, size_t blk,
                                 size_t s) {
    hp_tile_quads(e, b, o, np, blk, s, 4, 1);
}

/* One pixel x nb blocks (GEMV): even and odd K groups in separate accumulators,
 * 2 * nb independent chains, as one pixel has no others to interleave; one
 * broadcast feeds every block. nb is a constant of each caller (always_inline). */
VNNI static inline __attribute__((always_inline)) void hp_gemv(const hp_op *e, const uint8_t *const *base,
                                                               int8_t *const *out, size_t blk, size_t fy_step,
                                                               const int nb) {
    const size_t bb = e->blk_stride, gs = e->grp_stride, rg = e->row_groups;
    const int n = e->d.c_end - e->d.c_begin;
    __m512i a[4], b[4];
    for (int j = 0; j < nb; ++j) {
        a[j] = _mm512_load_si512((const void *)(e->corr + (blk + (size_t)j) * 16));
        b[j] = _mm512_setzero_si512();
    }
    for (int fy = 0; fy < e->kh; ++fy) {
        const uint8_t *x = base[0] + (size_t)fy * fy_step;
        const int8_t *w = hp_block(e, blk) + (size_t)fy * rg * gs;
        size_t q = 0;
        for (; q + 2 <= rg; q += 2) {
            int32_t x0, x1;
            memcpy(&x0, x + q * 4, 4);
            memcpy(&x1, x + q * 4 + 4, 4);
            const __m512i v0 = _mm512_set1_epi32(x0), v1 = _mm512_set1_epi32(x1);
            for (int j = 0; j < nb; ++j) {
                a[j] = _mm512_dpbusd_epi32(a[j], v0, _mm512_load_si512((const void *)(w + (size_t)j * bb + q * gs)));
                b[j] = _mm512_dpbusd_epi32(b[j], v1, _mm512_load_si512((const void *)(w + (size_t)j * bb + q * gs + gs)));
            }
        }
        if (q < rg) {
            int32_t x0;
            memcpy(&x0, x + q * 4, 4);
            const __m512i v0 = _mm512_set1_epi32(x0);
            for (int j = 0; j < nb; ++j) {
                a[j] = _mm512_dpbusd_epi32(a[j], v0, _mm512_load_si512((const void *)(w + (size_t)j * bb + q * gs)));
            }
        }
    }
    for (int j = 0; j < nb; ++j) {
        const int c = (int)(blk + (size_t)j) * 16;
        const int nc = n - c < 16 ? n - c : 16;
        if (nc <= 0) {
            break;
        }
        const __m512i sum = _mm512_add_epi32(a[j], b[j]);
        hp_store_block(e, &sum, 1, out, 1, c, nc, 1);
    }
}

VNNI static void hp_tile_1x4(const hp_op *e, const uint8_t *const *base, int8_t *const *out, size_t blk,
                             size_t fy_step) {
    hp_gemv(e, base, out, blk, fy_step, 4);
}
VNNI static void hp_tile_1x2(const hp_op *e, const uint8_t *const *base, int8_t *const *out, size_t blk,
                             size_t fy_step) {
    hp_gemv(e, base, out, blk, fy_step, 2);
}

/* One pixel x 1 block: 4 accumulators over K groups q % 4 (4 chains, not 1). */
VNNI static void hp_tile_1x1(const hp_op *e, const uint8_t *const *base, int8_t *const *out, int np,
                             size_t blk, size_t fy_step) {
    (void)np;
    const size_t rg = e->row_groups, gs = e->grp_stride;
    const int n = e->d.c_end - e->d.c_begin, c = (int)blk * 16, nc = n - c < 16 ? n - c : 16;
    __m512i a[4] = {_mm512_load_si512((const void *)(e->corr + blk * 16)), _mm512_setzero_si512(),
                    _mm512_setzero_si512(), _mm512_setzero_si512()};
    for (int fy = 0; fy < e->kh; ++fy) {
        const uint8_t *x = base[0] + (size_t)fy * fy_step;
        const int8_t *w = hp_block(e, blk) + (size_t)fy * rg * gs;
        size_t q = 0;
        for (; q + 4 <= rg; q += 4) {
            for (int j = 0; j < 4; ++j) {
                int32_t x4;
                memcpy(&x4, x + (q + (size_t)j) * 4, 4);
                a[j] = _mm512_dpbusd_epi32(a[j], _mm512_set1_epi32(x4),
                                           _mm512_load_si512((const void *)(w + (q + (size_t)j) * gs)));
            }
        }
        for (; q < rg; ++q) {
            int32_t x4;
            memcpy(&x4, x + q * 4, 4);
            a[0] = _mm512_dpbusd_epi32(a[0], _mm512_set1_epi32(x4), _mm512_load_si512((const void *)(w + q * gs)));
        }
    }
    const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(a[0], a[1]), _mm512_add_epi32(a[2], a[3]));
    hp_store_block(e, &sum, 1, out, 1, c, nc, 1);
}

/* One block of up to HP_PIX pixels against every channel block. */
VNNI static void hp_pixels(const hp_op *e, const uint8_t *const *base, int8_t *const *out, int np,
                           size_t fy_step) {
    const size_t blocks = (size_t)(e->d.c_end - e->d.c_begin + 15) / 16;
    if (np <= 2) { /* GEMV-like: one pixel at a time, the weights stream */
        for (int i = 0; i < np; ++i) {
            size_t b = 0;
            for (; b + 4 <= blocks || (blocks - b) == 3; b += 4) {
                hp_tile_1x4(e, base + i, out + i, b, fy_step);
            }
            if (blocks - b == 2) {
                hp_tile_1x2(e, base + i, out + i, b, fy_step);
                b += 2;
            }
            for (; b < blocks; ++b) {
                hp_tile_1x1(e, base + i, out + i, 1, b, fy_step);
            }
        }
        return;
    }
    size_t b = 0;
    for (; b + 4 <= blocks || (blocks - b) == 3; b += 4) {
        hp_tile_6x4(e, base, out, np < 6 ? np : 6, b, fy_step);
        if (np > 6) {
            hp_tile_6x4(e, base + 6, out + 6, np - 6, b, fy_step);
        }
    }
    if (blocks - b == 2) { /* two blocks: one broadcast feeds both */
        hp_tile_12x2(e, base, out, np, b, fy_step);
        b += 2;
    }
    for (; b < blocks; ++b) {
        const int nc = e->d.c_end - e->d.c_begin - (int)b * 16; /* a block of 12 or fewer: quads */
        if (nc <= 4) {
            hp_tile_quads1(e, base, out, np, b, fy_step);
        } else if (nc <= 8) {
            hp_tile_quads2(e, base, out, np, b, fy_step);
        } else if (nc <= 12) {
            hp_tile_quads3(e, base, out, np, b, fy_step);
        } else if (e->groups >= 16 && hp_quads_contiguous(base)) {
            hp_tile_quads4c(e, base, out, np, b, fy_step);
        } else {
            hp_tile_12x1(e, base, out, np, b, fy_step);
        }
    }
}

VNNI static void hp_run_conv(const hp_op *e, const int8_t *input, int8_t *out, uint8_t *work) {
    const ku_window *g = &e->g;
    fill_padded(e, input, work);
    const size_t in_c = (size_t)g->in_c, pixels = (size_t)ku_window_pixels(g);
    const size_t fy_step = (size_t)g->dil_h * e->wp * in_c;
    out += e->chunk_begin + e->d.c_begin;
    const size_t x_step = (size_t)g->stride_w * in_c, y_step = (size_t)g->stride_h * e->wp * in_c;
    const uint8_t *row = work, *at = work; /* window of pixel (b, oy, ox), walked in order */
    size_t b = 0;
    int ox = 0, oy = 0;
    for (size_t p0 = 0; p0 < pixels; p0 += HP_PIX) {
        const int np = pixels - p0 < HP_PIX ? (int)(pixels - p0) : HP_PIX;
        const uint8_t *base[HP_PIX];
        int8_t *o[HP_PIX];
        for (int i = 0; i < np; ++i) {
            base[i] = at;
            o[i] = out + (p0 + (size_t)i) * (size_t)g->out_c;
            at += x_step;
            if (++ox == g->out_w) {
                ox = 0;
                row += y_step;
                if (++oy == g->out_h) { /* next batch (past the last one: not read) */
                    oy = 0;
                    row = ++b < (size_t)g->batches ? work + b * e->hp * e->wp * in_c : work;
                }
                at = row;
            }
        }
        for (int i = np; i < HP_PIX; ++i) { /* lanes past the end: a real window, not stored */
            base[i] = base[0];
            o[i] = o[0];
        }
        hp_pixels(e, base, o, np, fy_step);
    }
}

/* An FC row's activations a = x + input_offset, the nonzero ones compacted:
 * their indices and values, zero entries after them up to a whole group of 4.
 * Returns how many entries, or -1 if some a lies outside [0, 255] (not a
 * ReLU's output: no u8 operand) or too few are zero for the walk to pay. */
VNNI static long hp_compact(const int8_t *x, size_t n, int32_t input_offset, uint32_t *idx, uint8_t *val) {
    const __m512i offset = _mm512_set1_epi32(input_offset), top = _mm512_set1_epi32(255);
    __m512i at = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    size_t count = 0;
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 live = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        const __m512i a = _mm512_add_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(live, x + i)), offset);
        if (_mm512_mask_cmpgt_epu32_mask(live, a, top)) { /* unsigned: a negative a is above too */
            return -1;
        }
        const __mmask16 nonzero = _mm512_mask_test_epi32_mask(live, a, a);
        _mm512_storeu_si512((void *)(idx + count), _mm512_maskz_compress_epi32(nonzero, at));
        _mm_storeu_si128((__m128i *)(void *)(val + count), _mm512_cvtepi32_epi8(_mm512_maskz_compress_epi32(nonzero, a)));
        count += (size_t)__builtin_popcount(nonzero);
        at = _mm512_add_epi32(at, _mm512_set1_epi32(16));
    }
    if (count * 8 > n * 7) {
        return -1; /* the dense GEMV streams the weights faster than the walk gathers them */
    }
    for (; count % 4; ++count) {
        idx[count] = 0;
        val[count] = 0;
    }
    return (long)count;
}

/* Channels of NB blocks from block blk (NB a multiple of 4) of a one-row FC
 * over the compacted activations: per group of 4, their 4 weight columns
 * interleaved into the [16][4] quads vpdpbusd takes (two unpack rounds; the
 * column order of pack_columns makes the blocks come out in channel order). */
VNNI static inline __attribute__((always_inline)) void hp_sparse_blocks(const hp_op *e, const uint32_t *idx,
                                                                        const uint8_t *val, size_t count,
                                                                        size_t blk, int8_t *out, const int NB) {
    const size_t cs = e->cols_stride;
    const int n = e->d.c_end - e->d.c_begin;
    const int8_t *base = e->cols + blk * 16;
    __m512i acc[8];
    for (int k = 0; k < NB; ++k) {
        acc[k] = _mm512_load_si512((const void *)(e->col_bias + (blk + (size_t)k) * 16));
    }
    for (size_t g = 0; g < count; g += 4) {
        int32_t a4;
        memcpy(&a4, val + g, 4);
        const __m512i a = _mm512_set1_epi32(a4);
        const int8_t *c0 = base + idx[g] * cs, *c1 = base + idx[g + 1] * cs;
        const int8_t *c2 = base + idx[g + 2] * cs, *c3 = base + idx[g + 3] * cs;
        for (int h = 0; h < NB / 4; ++h) {
            const __m512i w0 = _mm512_load_si512((const void *)(c0 + 64 * h));
            const __m512i w1 = _mm512_load_si512((const void *)(c1 + 64 * h));
            const __m512i w2 = _mm512_load_si512((const void *)(c2 + 64 * h));
            const __m512i w3 = _mm512_load_si512((const void *)(c3 + 64 * h));
            const __m512i lo01 = _mm512_unpacklo_epi8(w0, w1), hi01 = _mm512_unpackhi_epi8(w0, w1);
            const __m512i lo23 = _mm512_unpacklo_epi8(w2, w3), hi23 = _mm512_unpackhi_epi8(w2, w3);
            acc[4 * h] = _mm512_dpbusd_epi32(acc[4 * h], a, _mm512_unpacklo_epi16(lo01, lo23));
            acc[4 * h + 1] = _mm512_dpbusd_epi32(acc[4 * h + 1], a, _mm512_unpackhi_epi16(lo01, lo23));
            acc[4 * h + 2] = _mm512_dpbusd_epi32(acc[4 * h + 2], a, _mm512_unpacklo_epi16(hi01, hi23));
            acc[4 * h + 3] = _mm512_dpbusd_epi32(acc[4 * h + 3], a, _mm512_unpackhi_epi16(hi01, hi23));
        }
    }
    for (int k = 0; k < NB; ++k) {
        const int c = (int)(blk + (size_t)k) * 16;
        const int nc = n - c < 16 ? n - c : 16;
        if (nc <= 0) {
            break;
        }
        hp_store_block(e, &acc[k], 1, &out, 1, c, nc, 1);
    }
}

/* A one-row FC over a ReLU's output, walking only its nonzero activations (a
 * zero one adds nothing: the sum is the dense one); 0: the dense GEMV runs. */
VNNI static int hp_run_fc_sparse(const hp_op *e, const int8_t *input, int8_t *out, uint8_t *work) {
    uint32_t *idx = (uint32_t *)(void *)work;
    uint8_t *val = work + (e->depth + 16) * sizeof *idx;
    const long count = hp_compact(input, e->depth, e->d.input_offset, idx, val);
    if (count < 0) {
        return 0;
    }
    const size_t blocks = (size_t)(e->d.c_end - e->d.c_begin + 15) / 16;
    size_t b = 0;
    for (; b < blocks && (b + 8 <= blocks || blocks - b > 4); b += 8) {
        hp_sparse_blocks(e, idx, val, (size_t)count, b, out, 8);
    }
    if (b < blocks) {
        hp_sparse_blocks(e, idx, val, (size_t)count, b, out, 4);
    }
    return 1;
}

VNNI static void hp_run_fc(const hp_op *e, const int8_t *input, int8_t *out, uint8_t *work) {
    if (e->cols && hp_run_fc_sparse(e, input, out + e->chunk_begin + e->d.c_begin, work)) {
        return;
    }
    const size_t k = e->depth;
    xor80_copy(work, input, e->rows * k);
    memset(work + e->rows * k, 0, 64); /* read by the last row's last group, times zero weights */
    out += e->chunk_begin + e->d.c_begin;
    for (size_t r0 = 0; r0 < e->rows; r0 += HP_PIX) {
        const int np = e->rows - r0 < HP_PIX ? (int)(e->rows - r0) : HP_PIX;
        const uint8_t *base[HP_PIX];
        int8_t *o[HP_PIX];
        for (int i = 0; i < HP_PIX; ++i) {
            const size_t r = r0 + (size_t)(i < np ? i : 0);
            base[i] = work + r * k;
            o[i] = out + r * e->out_c;
        }
        hp_pixels(e, base, o, np, 0);
    }
}

/* 4 taps' 64-byte runs byte-interleaved by unpacks (vpdpbusd's 4 bytes a
 * lane): position 16 L + 4 i + j of the runs (L a 128-bit lane) to vector
 * i, dword 4 L + j. */
VNNI static inline __attribute__((always_inline)) void hp_dw_interleave(const __m512i x[4], __m512i v[4]) {
    const __m512i a = _mm512_unpacklo_epi8(x[0], x[1]), b = _mm512_unpackhi_epi8(x[0], x[1]);
    const __m512i c = _mm512_unpacklo_epi8(x[2], x[3]), d = _mm512_unpackhi_epi8(x[2], x[3]);
    v[0] = _mm512_unpacklo_epi16(a, c);
    v[1] = _mm512_unpackhi_epi16(a, c);
    v[2] = _mm512_unpacklo_epi16(b, d);
    v[3] = _mm512_unpackhi_epi16(b, d);
}

/* Taps [t0, t0 + n) of R output rows (row r at row + r * row_step), n <= 4:
 * each group's weights are loaded once for the R rows; taps past n read
 * nothing (zero weights: any bytes). */
VNNI static inline __attribute__((always_inline)) void hp_dw_taps(const uint8_t *row, size_t row_step,
                                                                 const size_t *off, size_t n, const int8_t *w,
                                                                 __m512i acc[][4], const int R) {
    __m512i wv[4];
    for (int i = 0; i < 4; ++i) {
        wv[i] = _mm512_load_si512((const void *)(w + i * 64));
    }
    for (int r = 0; r < R; ++r) {
        __m512i x[4], v[4];
        for (size_t t = 0; t < 4; ++t) {
            x[t] = t < n ? _mm512_loadu_si512((const void *)(row + (size_t)r * row_step + off[t]))
                         : _mm512_setzero_si512();
        }
        hp_dw_interleave(x, v);
        for (int i = 0; i < 4; ++i) {
            acc[r][i] = _mm512_dpbusd_epi32(acc[r][i], v[i], wv[i]);
        }
    }
}

/* requantize + output_offset of 16 lanes (int32, wrapping as TFLM) when
 * every lane shifts right by rs in 1..23 and m >= 0: TFLM's two roundings,
 * h = floor((x m + 2^30) / 2^31) then floor((h + 2^(rs-1) - [h < 0]) / 2^rs),
 * are one: floor((x m + K - [x m < 0] 2^31) / 2^(31 + rs)), K = 2^30 +
 * (2^(rs-1) + offset 2^rs) 2^31 (the offset adds exactly: a multiple of the
 * divisor; no int64 wraps). [x m < 0] differs from [h < 0] only where h = 0,
 * which rounds to 0 either way. Even and odd lanes in int64 halves. */
VNNI static inline __attribute__((always_inline)) __m512i hp_dw_round64(const int32_t *lane, __m512i m_odd,
                                                                        __m512i acc) {
    const __m512i c31 = _mm512_set1_epi64((int64_t)1 << 31);
    const __m512i pe = _mm512_mul_epi32(acc, _mm512_load_si512((const void *)(lane + DW_MULT * 64)));
    const __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), m_odd);
    __m512i ye = _mm512_add_epi64(pe, _mm512_load_si512((const void *)(lane + DW_K_EVEN * 64)));
    __m512i yo = _mm512_add_epi64(po, _mm512_load_si512((const void *)(lane + DW_K_ODD * 64)));
    ye = _mm512_mask_sub_epi64(ye, _mm512_cmplt_epi64_mask(pe, _mm512_setzero_si512()), ye, c31);
    yo = _mm512_mask_sub_epi64(yo, _mm512_cmplt_epi64_mask(po, _mm512_setzero_si512()), yo, c31);
    ye = _mm512_srav_epi64(ye, _mm512_load_si512((const void *)(lane + DW_S_EVEN * 64)));
    yo = _mm512_srav_epi64(yo, _mm512_load_si512((const void *)(lane + DW_S_ODD * 64)));
    return _mm512_mask_shuffle_epi32(ye, (__mmask16)0xAAAA, yo, (_MM_PERM_ENUM)0xA0); /* odd: dword 2j -> 2j + 1 */
}

/* The epilogue of R rows' 64 accumulators at j0 into out + r * run + j0 (the
 * first `left` bytes): the per-lane terms are derived once for the R rows. */
VNNI static inline __attribute__((always_inline)) void hp_dw_store(const int32_t *tab, const hp_ep *clamp,
                                                                  __m512i acc[][4], int8_t *out, size_t run,
                                                                  size_t j0, size_t left, const int R,
                                                                  const int LS) {
    __m512i v[2][4];
    for (int i = 0; i < 4; ++i) {
        if (LS == 2) {
            const __m512i m_odd = _mm512_srli_epi64(_mm512_load_si512((const void *)(tab + DW_MULT * 64 + i * 16)), 32);
            for (int r = 0; r < R; ++r) {
                v[r][i] = hp_dw_round64(tab + i * 16, m_odd, acc[r][i]);
            }
            continue;
        }
        hp_ep t = *clamp;
        hp_ep_lanes(tab + DW_MULT * 64 + i * 16, (DW_LSHIFT - DW_MULT) * 64, &t);
        for (int r = 0; r < R; ++r) {
            v[r][i] = _mm512_add_epi32(hp_requant_core(&t, acc[r][i], LS), clamp->off); /* wraps, as TFLM */
        }
    }
    const __mmask64 live = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
    for (int r = 0; r < R; ++r) {
        /* the saturating packs clamp to [-128, 127] (which holds [act_min, act_max]) and
         * undo the interleave's order; then the activation clamp, 64 bytes at once */
        __m512i b = _mm512_packs_epi16(_mm512_packs_epi32(v[r][0], v[r][1]), _mm512_packs_epi32(v[r][2], v[r][3]));
        b = _mm512_min_epi8(_mm512_max_epi8(b, clamp->lo), clamp->hi);
        _mm512_mask_storeu_epi8(out + (size_t)r * run + j0, live, b);
    }
}

/* 64 outputs at j0 of R flat output rows (row r's taps at row + r * row_step
 * + tap_off[t] + j0) into out + r * run + j0 (the first `left` bytes). The
 * weights and the epilogue's per-lane terms serve all R rows. */
VNNI static inline __attribute__((always_inline)) void hp_dw64(const hp_op *e, const uint8_t *row,
                                                              size_t row_step, size_t j0, const int8_t *w,
                                                              const int32_t *tab, const hp_ep *clamp,
                                                              int8_t *out, size_t run, size_t left,
                                                              const int R, const int LS) {
    const size_t taps = (size_t)e->g.k_h * (size_t)e->g.k_w;
    __m512i acc[2][4];
    for (int i = 0; i < 4; ++i) {
        acc[0][i] = acc[1][i] = _mm512_load_si512((const void *)(tab + DW_CORR * 64 + i * 16));
    }
    row += j0;
    size_t t0 = 0;
    for (; t0 + 4 <= taps; t0 += 4, w += 256) {
        hp_dw_taps(row, row_step, e->tap_off + t0, 4, w, acc, R);
    }
    if (t0 < taps) {
        hp_dw_taps(row, row_step, e->tap_off + t0, taps - t0, w, acc, R);
    }
    hp_dw_store(tab, clamp, acc, out, run, j0, left, R, LS);
}

/* 64 outputs at j0 of output rows oy and oy + 1 (row_pairs; row: oy's first
 * input row, row_step: between input rows r_k), w: the phase's pair weights. */
VNNI static inline __attribute__((always_inline)) void hp_dw64_pair(const hp_op *e, const uint8_t *row,
                                                                   size_t row_step, size_t j0, const int8_t *w,
                                                                   const int32_t *tab, const hp_ep *clamp,
                                                                   int8_t *out, size_t run, size_t left,
                                                                   const int LS) {
    const size_t kw = (size_t)e->g.k_w, kh = (size_t)e->g.k_h;
    __m512i acc[2][4];
    for (int i = 0; i < 4; ++i) {
        acc[0][i] = acc[1][i] = _mm512_load_si512((const void *)(tab + DW_CORR * 64 + i * 16));
    }
    for (size_t fx = 0; fx < kw; ++fx, w += 512) {
        const uint8_t *at = row + e->tap_off[fx] + j0; /* tap (0, fx) */
        __m512i x[4], v[4];
        for (size_t k = 0; k < 4; ++k) { /* rows past kh + 1 meet zero weights only */
            x[k] = k <= kh ? _mm512_loadu_si512((const void *)(at + k * row_step)) : _mm512_setzero_si512();
        }
        hp_dw_interleave(x, v);
        for (int i = 0; i < 4; ++i) {
            acc[0][i] = _mm512_dpbusd_epi32(acc[0][i], v[i], _mm512_load_si512((const void *)(w + i * 64)));
            acc[1][i] = _mm512_dpbusd_epi32(acc[1][i], v[i], _mm512_load_si512((const void *)(w + 256 + i * 64)));
        }
    }
    hp_dw_store(tab, clamp, acc, out, run, j0, left, 2, LS);
}

/* The output rows of a prepared depthwise layer, two at a time; LS as
 * hp_requant_ls. The channel phase of each 64-output run advances by one,
 * wrapping. */
VNNI static inline __attribute__((always_inline)) void hp_depthwise_rows(const hp_op *e, const uint8_t *work,
                                                                        int8_t *out, const int LS) {
    const ku_window *g = &e->g;
    const size_t C = (size_t)g->in_c;
    const size_t run = (size_t)g->out_w * C, phases = (size_t)e->chan_phases;
    const size_t row_step = (size_t)g->stride_h * (size_t)e->col_phases * e->wq * C;
    hp_ep clamp; /* off: int32 lanes; lo, hi: int8 */
    clamp.off = _mm512_set1_epi32(e->d.output_offset);
    clamp.lo = _mm512_set1_epi8((char)e->d.act_min);
    clamp.hi = _mm512_set1_epi8((char)e->d.act_max);
    for (int b = 0; b < g->batches; ++b) {
        const uint8_t *row = work + (size_t)b * e->hp * (size_t)e->col_phases * e->wq * C;
        for (int oy = 0; oy < g->out_h; oy += 2, row += 2 * row_step, out += 2 * run) {
            const int pair = oy + 1 < g->out_h;
            size_t ph = 0;
            for (size_t j0 = 0; j0 < run; j0 += 64) {
                const int8_t *w = e->packed + ph * e->groups * 256;
                const int32_t *tab = e->corr + ph * DW_TABLES * 64;
                if (pair && e->row_pairs) {
                    const int8_t *wp = e->packed + (phases * e->groups + ph * (size_t)g->k_w * 2) * 256;
                    hp_dw64_pair(e, row, row_step, j0, wp, tab, &clamp, out, run, run - j0, LS);
                } else if (pair) {
                    hp_dw64(e, row, row_step, j0, w, tab, &clamp, out, run, run - j0, 2, LS);
                } else {
                    hp_dw64(e, row, row_step, j0, w, tab, &clamp, out, run, run - j0, 1, LS);
                }
                ph = ph + 1 == phases ? 0 : ph + 1;
            }
        }
        out -= (size_t)(g->out_h % 2) * run; /* an odd last row advanced out by two */
    }
}

VNNI static void hp_run_depthwise(const hp_op *e, const int8_t *input, int8_t *out, uint8_t *work) {
    fill_padded(e, input, work);
    if (e->lshifts) {
        hp_depthwise_rows(e, work, out, 1);
    } else if (e->round64) {
        hp_depthwise_rows(e, work, out, 2);
    } else {
        hp_depthwise_rows(e, work, out, 0);
    }
}

/* 64 compares per step, the tail masked. */
VNNI static uint32_t count_eq_avx512(const int8_t *x, size_t n, int8_t zp) {
    const __m512i z = _mm512_set1_epi8(zp);
    uint32_t count = 0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        count += (uint32_t)__builtin_popcountll(_mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)(x + i)), z));
    }
    if (i < n) {
        const __mmask64 tail = ((__mmask64)1 << (n - i)) - 1;
        count += (uint32_t)__builtin_popcountll(_mm512_mask_cmpeq_epi8_mask(tail, _mm512_maskz_loadu_epi8(tail, x + i), z));
    }
    return count;
}

/* ---- pooling (pool.c), AVX-512 -------------------------------------------------------- */

#define POOL_MAX_TAPS 255 /* average: int16 sums of |x| <= 128 stay exact */

/* Channels [c, c + 32) of one window's average (taps at first + y * row_stride
 * + x * channels): int16 sums, then TFLM's rounding division, half away from
 * zero, in float: |sum +- count / 2| < 2^15 and count <= 255, so a quotient
 * that is not an integer is >= 1 / count > 2^-9 (float's error) from one, and
 * truncating the float quotient truncates the exact one. */
VNNI static void pool_avg32(const int8_t *first, size_t row_stride, size_t channels, int rows, int taps_x,
                            __mmask32 live, int32_t act_min, int32_t act_max, int8_t *out) {
    __m512i sum = _mm512_setzero_si512();
    for (int y = 0; y < rows; ++y, first += row_stride) {
        for (int x = 0; x < taps_x; ++x) {
            sum = _mm512_add_epi16(sum, _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(live, first + (size_t)x * channels)));
        }
    }
    const int32_t count = rows * taps_x;
    const __m512 n = _mm512_set1_ps((float)count);
    const __m512i half = _mm512_set1_epi32(count / 2), lo = _mm512_set1_epi32(act_min), hi = _mm512_set1_epi32(act_max);
    for (int h = 0; h < 2; ++h) {
        const __m512i acc = _mm512_cvtepi16_epi32(h ? _mm512_extracti64x4_epi64(sum, 1) : _mm512_castsi512_si256(sum));
        const __m512i num = _mm512_mask_add_epi32(_mm512_sub_epi32(acc, half),
                                                  _mm512_cmpgt_epi32_mask(acc, _mm512_setzero_si512()), acc, half);
        __m512i q = _mm512_cvttps_epi32(_mm512_div_ps(_mm512_cvtepi32_ps(num), n));
        q = _mm512_min_epi32(_mm512_max_epi32(q, lo), hi);
        _mm_mask_storeu_epi8(out + 16 * h, (__mmask16)(live >> (16 * h)), _mm512_cvtepi32_epi8(q));
    }
}

/* Channels [c, c + 64) of one window's maximum (-128 for an empty window), clamped. */
VNNI static void pool_max64(const int8_t *first, size_t row_stride, size_t channels, int rows, int taps_x,
                            __mmask64 live, int32_t act_min, int32_t act_max, int8_t *out) {
    __m512i m = _mm512_set1_epi8(-128);
    for (int y = 0; y < rows; ++y, first += row_stride) {
        for (int x = 0; x < taps_x; ++x) {
            m = _mm512_max_epi8(m, _mm512_maskz_loadu_epi8(live, first + (size_t)x * channels));
        }
    }
    m = _mm512_min_epi8(_mm512_max_epi8(m, _mm512_set1_epi8((char)act_min)), _mm512_set1_epi8((char)act_max));
    _mm512_mask_storeu_epi8(out, live, m);
}

VNNI static void pool_avx512(const ku_window *g, const int8_t *input, int8_t *out, int max_pool,
                             int32_t act_min, int32_t act_max) {
    const size_t channels = (size_t)g->in_c, step = max_pool ? 64 : 32;
    ku_pixel px;
    ku_pixel_start(g, input, &px);
    do {
        const int taps_x = px.fx_end - px.fx_begin, rows = px.fy_end - px.fy_begin;
        /* an empty window (max pool only) must not form a wild pointer */
        const int8_t *first = taps_x > 0 && rows > 0 ? px.in_b + (size_t)(px.y0 + px.fy_begin) * g->row_stride +
                                                           (size_t)(px.x0 + px.fx_begin) * channels
                                                     : px.in_b;
        for (size_t c = 0; c < channels; c += step) {
            const size_t n = channels - c < step ? channels - c : step;
            const __mmask64 live = n == 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
            if (max_pool) {
                pool_max64(first + c, g->row_stride, channels, rows, taps_x, live, act_min, act_max, out + c);
            } else {
                pool_avg32(first + c, g->row_stride, channels, rows, taps_x, (__mmask32)live, act_min, act_max,
                           out + c);
            }
        }
        out += channels;
    } while (ku_pixel_next(g, &px));
}

int edla_fast_pool(const ku_window *g, const int8_t *input, int8_t *out, int max_pool, int32_t act_min,
                   int32_t act_max) {
    if (isa_level() < EDLA_ISA_AVX512_VNNI || (!max_pool && (int64_t)g->k_h * g->k_w > POOL_MAX_TAPS)) {
        return 0;
    }
    pool_avx512(g, input, out, max_pool, act_min, act_max);
    return 1;
}

/* ---- activation-sparsity counting of windows (act_sparse.c) ------------------------ */

#define ACT_ROW_MAX 32768 /* bytes of one input row's per-byte read counts (stack) */
#define ACT_AXIS_MAX 4096 /* input rows / columns with their own read counts (stack) */

/* The (output index o, tap f) pairs of one axis reading input index i at
 * dilation 1 and stride 2^SH: o 2^SH + f = at (= i + pad) with o <= out - 1
 * and f < taps, i.e. the f in [max(0, at - (out - 1) 2^SH), min(taps - 1,
 * at)] with f = at mod 2^SH; branch-free (arithmetic shifts floor), so the
 * loop over i vectorizes. */
static inline __attribute__((always_inline)) int axis_reads_dil1(int at, int last, int taps, const int SH) {
    const int lo = at - last > 0 ? at - last : 0, hi = at < taps - 1 ? at : taps - 1;
    const int first = lo + ((at - lo) & ((1 << SH) - 1));
    const int n = ((hi - first) >> SH) + 1;
    return n > 0 ? n : 0;
}

/* reads[i]: the (output index, tap) pairs of one window axis that read input
 * index i (i < size); returns how many pairs are in bounds. One output index
 * reads an input index through at most one tap, so reads[i] <= taps. At
 * dilation 1 and stride 1 or 2 each count is closed-form (axis_reads_dil1):
 * no increments in memory, whose store-to-load chains cost more than the
 * count. */
static uint64_t axis_read_counts(int out, int stride, int pad, int dil, int taps, int size, uint32_t *reads) {
    uint64_t inside = 0;
    if (dil == 1 && (stride == 1 || stride == 2)) { /* |at|, |last| < 2^31: checked geometry */
        const int last = (out - 1) * stride;
        if (stride == 1) {
            for (int i = 0; i < size; ++i) {
                reads[i] = (uint32_t)axis_reads_dil1(i + pad, last, taps, 0);
            }
        } else {
            for (int i = 0; i < size; ++i) {
                reads[i] = (uint32_t)axis_reads_dil1(i + pad, last, taps, 1);
            }
        }
        for (int i = 0; i < size; ++i) {
            inside += reads[i];
        }
        return inside;
    }
    memset(reads, 0, (size_t)size * sizeof *reads);
    for (int o = 0; o < out; ++o) {
        int b, e;
        ku_tap_range(o * stride - pad, dil, taps, size, &b, &e);
        for (int f = b; f < e; ++f) {
            ++reads[o * stride - pad + f * dil];
        }
        inside += (uint64_t)(e - b);
    }
    return inside;
}

/* sum over i < n of w[i] where x[i] == zp, in 8 64-bit lanes: 64 compares,
 * one masked sum of absolute differences (8 bytes into each lane) per step.
 * A lane sums at most 255 (n / 64 + 1) x 8: below 2^32 for n <= 2^20. */
VNNI static inline __attribute__((always_inline)) __m512i weighted_zeros_lanes(const int8_t *x, const uint8_t *w,
                                                                               size_t n, int8_t zp) {
    const __m512i z = _mm512_set1_epi8(zp), zero = _mm512_setzero_si512();
    __m512i acc = zero;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __mmask64 eq = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)(x + i)), z);
        acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(eq, w + i), zero));
    }
    if (i < n) {
        const __mmask64 tail = ((__mmask64)1 << (n - i)) - 1;
        const __mmask64 eq = _mm512_mask_cmpeq_epi8_mask(tail, _mm512_maskz_loadu_epi8(tail, x + i), z);
        acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(eq, w + i), zero));
    }
    return acc;
}

VNNI static uint64_t weighted_zeros(const int8_t *x, const uint8_t *w, size_t n, int8_t zp) {
    return (uint64_t)_mm512_reduce_add_epi64(weighted_zeros_lanes(x, w, n, zp));
}

/* The window count is separable: input pixel (iy, ix) is read by rows[iy] *
 * cols[ix] (output pixel, tap) pairs. So each input row is one weighted count
 * of its zero-point bytes, the weight of a byte its column's reads (0 outside
 * the channels counted), and the pairs not in bounds are padding taps. */
VNNI static uint64_t window_zeros_avx512(const ku_window *g, const int8_t *input, size_t c_first,
                                         size_t c_count, int8_t zp, uint8_t *w, uint32_t *rows,
                                         uint32_t *cols) {
    const size_t in_c = (size_t)g->in_c, n = (size_t)g->in_w * in_c;
    const uint64_t inside_y = axis_read_counts(g->out_h, g->stride_h, g->pad_top, g->dil_h, g->k_h, g->in_h, rows);
    const uint64_t inside_x = axis_read_counts(g->out_w, g->stride_w, g->pad_left, g->dil_w, g->k_w, g->in_w, cols);
    if (c_first == 0 && c_count == in_c && in_c <= 64) { /* a pixel's weights: one masked store */
        const __mmask64 px = in_c == 64 ? ~(__mmask64)0 : ((__mmask64)1 << in_c) - 1;
        for (size_t ix = 0; ix < (size_t)g->in_w; ++ix) {
            _mm512_mask_storeu_epi8(w + ix * in_c, px, _mm512_set1_epi8((char)cols[ix]));
        }
    } else {
        memset(w, 0, n);
        for (size_t ix = 0; ix < (size_t)g->in_w; ++ix) {
            memset(w + ix * in_c + c_first, (int)cols[ix], c_count);
        }
    }
    __m512i lanes = _mm512_setzero_si512(); /* rows weighted in the lanes (vpmuludq: lanes < 2^32), summed once */
    for (int b = 0; b < g->batches; ++b) {
        for (int iy = 0; iy < g->in_h; ++iy) {
            if (rows[iy] != 0) {
                const int8_t *row = input + (size_t)b * g->batch_stride + (size_t)iy * g->row_stride;
                lanes = _mm512_add_epi64(lanes, _mm512_mul_epu32(weighted_zeros_lanes(row, w, n, zp),
                                                                 _mm512_set1_epi64((int64_t)rows[iy])));
            }
        }
    }
    const uint64_t zeros = (uint64_t)_mm512_reduce_add_epi64(lanes);
    const uint64_t pairs = ku_window_pixels(g) * (uint64_t)g->k_h * (uint64_t)g->k_w;
    return zeros + (pairs - (uint64_t)g->batches * inside_y * inside_x) * c_count;
}

int edla_fast_act_zero(const ku_window *g, const int8_t *input, size_t c_first, size_t c_count,
                       int8_t zp, uint64_t *zeros) {
    if (isa_level() < EDLA_ISA_AVX512_VNNI || (size_t)g->in_w * (size_t)g->in_c > ACT_ROW_MAX ||
        g->in_h > ACT_AXIS_MAX || g->in_w > ACT_AXIS_MAX || g->k_w > 255) {
        return 0; /* a byte holds a column's reads (<= k_w) */
    }
    if (g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && c_first == 0 &&
        c_count == (size_t)g->in_c && g->row_stride == (size_t)g->in_w * c_count) {
        /* a pointwise window reads every input element once (no padding: pad < extent 1) */
        *zeros = 0;
        for (int b = 0; b < g->batches; ++b) {
            *zeros += count_eq_avx512(input + (size_t)b * g->batch_stride, (size_t)g->in_h * g->row_stride, zp);
        }
        return 1;
    }
    uint8_t w[ACT_ROW_MAX];
    uint32_t rows[ACT_AXIS_MAX], cols[ACT_AXIS_MAX];
    *zeros = window_zeros_avx512(g, input, c_first, c_count, zp, w, rows, cols);
    return 1;
}

/* The outputs [lo, hi) of one window axis whose tap at filter offset f reads
 * inside the input (index o * stride - pad + f * dil in [0, size)). */
static void tap_outputs(int out, int stride, int pad, int dil, int f, int size, int *lo, int *hi) {
    const int c = f * dil - pad; /* input index of output 0 */
    *lo = c >= 0 ? 0 : (-c + stride - 1) / stride;
    *hi = size - 1 - c < 0 ? 0 : (size - 1 - c) / stride + 1;
    *hi = *hi < out ? *hi : out;
    *lo = *lo < *hi ? *lo : *hi;
}

/* sparse_act_zero's per-row step: pre[ph * phase_len + k] = per channel (a
 * byte lane; in_w < 256) the zero points among the first k columns of column
 * phase ph (columns ph, ph + sw, ...). */
VNNI static void phase_prefix(const int8_t *row, size_t in_c, int in_w, int sw, size_t c_first, __mmask64 live,
                              int8_t zp, size_t phase_len, __m512i *pre) {
    const __m512i z = _mm512_set1_epi8(zp), one = _mm512_set1_epi8(1);
    for (int ph = 0; ph < sw; ++ph) {
        __m512i *p = pre + (size_t)ph * phase_len, run = _mm512_setzero_si512();
        *p = run;
        for (int ix = ph; ix < in_w; ix += sw) {
            const __mmask64 eq = _mm512_mask_cmpeq_epi8_mask(
                live, _mm512_maskz_loadu_epi8(live, row + (size_t)ix * in_c + c_first), z);
            *++p = run = _mm512_mask_add_epi8(run, eq, run, one);
        }
    }
}

/* sparse.c sp_act_zero with skip blocks of 1 over channels [c_first, c_first + n):
 * the sum over taps t and i < n of runs[t * stride + i] x (the output pixels
 * whose tap t is padding or reads zp at channel c_first + i). A tap's in-bounds
 * outputs read a lattice of input rows and columns (steps stride_h, stride_w),
 * so one pass over the rows does: per row, running counts per column phase
 * and channel (phase_prefix), then each tap reading the row adds the count
 * over its columns (two lookups) into 16-bit sums, which the window's size
 * keeps exact (edla_fast_sparse_act_zero_fits). 0: no memory. */
#define SAZ_LOCAL_VECTORS 256 /* 16 KiB */

VNNI static int sparse_act_zero_avx512(const ku_window *g, const int8_t *input, size_t c_first, size_t n,
                                       int8_t zp, const uint32_t *runs, size_t stride, uint64_t *skipped) {
    const int taps = g->k_h * g->k_w, sw = g->stride_w;
    const size_t phase_len = (size_t)(g->in_w + sw - 1) / (size_t)sw + 1;
    /* phase tables, then per tap two vectors of 16-bit sums (channels 0-31, 32-63), then the
     * axes: on the stack when they fit (most layers), else allocated */
    __m512i local[SAZ_LOCAL_VECTORS];
    void *raw = (void *)0;
    const size_t vectors = (size_t)sw * phase_len + 2 * (size_t)taps +
                           ((size_t)g->k_h * 4 + (size_t)g->k_w * 3) * sizeof(int) / 64 + 1;
    __m512i *pre = vectors <= SAZ_LOCAL_VECTORS ? local : (__m512i *)edla_host_alloc64(vectors * 64, &raw);
    if (!pre) {
        return 0;
    }
    __m512i *q = pre + (size_t)sw * phase_len;
    int *ylo = (int *)(void *)(q + 2 * (size_t)taps), *yhi = ylo + g->k_h;
    int *ynext = yhi + g->k_h, *ylast = ynext + g->k_h;
    int *xn = ylast + g->k_h, *xat = xn + g->k_w, *xlo = xat + g->k_w;
    /* per filter row / column: its in-bounds outputs; per column also where its
     * first read lies in the phase tables */
    for (int fy = 0; fy < g->k_h; ++fy) {
        tap_outputs(g->out_h, g->stride_h, g->pad_top, g->dil_h, fy, g->in_h, &ylo[fy], &yhi[fy]);
    }
    for (int fx = 0; fx < g->k_w; ++fx) {
        int hi;
        tap_outputs(g->out_w, sw, g->pad_left, g->dil_w, fx, g->in_w, &xlo[fx], &hi);
        const int ix0 = xlo[fx] * sw + fx * g->dil_w - g->pad_left;
        xn[fx] = hi - xlo[fx];
        xat[fx] = xn[fx] > 0 ? (ix0 % sw) * (int)phase_len + ix0 / sw : 0;
    }
    for (int t = 0; t < 2 * taps; ++t) {
        q[t] = _mm512_setzero_si512();
    }
    const __mmask64 live = n == 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
    for (int b = 0; b < g->batches; ++b) {
        for (int fy = 0; fy < g->k_h; ++fy) { /* the next input row filter row fy reads */
            ynext[fy] = ylo[fy] < yhi[fy] ? ylo[fy] * g->stride_h + fy * g->dil_h - g->pad_top : g->in_h;
            ylast[fy] = (yhi[fy] - 1) * g->stride_h + fy * g->dil_h - g->pad_top;
        }
        for (int iy = 0; iy < g->in_h; ++iy) {
            int built = 0;
            for (int fy = 0; fy < g->k_h; ++fy) {
                if (iy != ynext[fy] || iy > ylast[fy]) {
                    continue;
                }
                ynext[fy] += g->stride_h;
                if (!built) {
                    phase_prefix(input + (size_t)b * g->batch_stride + (size_t)iy * g->row_stride, (size_t)g->in_c,
                                 g->in_w, sw, c_first, live, zp, phase_len, pre);
                    built = 1;
                }
                for (int fx = 0; fx < g->k_w; ++fx) {
                    const __m512i d = _mm512_sub_epi8(pre[xat[fx] + xn[fx]], pre[xat[fx]]); /* no wrap: counts */
                    __m512i *qt = q + 2 * (fy * g->k_w + fx);
                    qt[0] = _mm512_add_epi16(qt[0], _mm512_cvtepu8_epi16(_mm512_castsi512_si256(d)));
                    qt[1] = _mm512_add_epi16(qt[1], _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(d, 1)));
                }
            }
        }
    }
    uint64_t sum = 0;
    for (int fy = 0, t = 0; fy < g->k_h; ++fy) {
        for (int fx = 0; fx < g->k_w; ++fx, ++t) {
            const uint64_t inside = (uint64_t)(yhi[fy] - ylo[fy]) * (uint64_t)xn[fx];
            const uint64_t padding = (uint64_t)g->batches * ((uint64_t)g->out_h * (uint64_t)g->out_w - inside);
            uint16_t zeros[64];
            memcpy(zeros, &q[2 * t], sizeof zeros);
            for (size_t i = 0; i < n; ++i) {
                sum += (uint64_t)runs[(size_t)t * stride + i] * (padding + zeros[i]);
            }
        }
    }
    free(raw);
    *skipped = sum;
    return 1;
}

int edla_fast_sparse_act_zero_fits(const ku_window *g) {
    return isa_level() >= EDLA_ISA_AVX512_VNNI && g->in_w < 256 &&
           (uint64_t)g->batches * (uint64_t)g->in_h * (uint64_t)g->in_w <= 65535u;
}

int edla_fast_sparse_act_zero(const ku_window *g, const int8_t *input, size_t c_first, size_t n, int8_t zp,
                              const uint32_t *runs, size_t stride, uint64_t *skipped) {
    if (!edla_fast_sparse_act_zero_fits(g) || n > 64 || n == 0) {
        return 0;
    }
    return sparse_act_zero_avx512(g, input, c_first, n, zp, runs, stride, skipped);
}

int edla_fast_count_eq(const int8_t *x, size_t n, int8_t zp, uint32_t *count) {
    if (isa_level() < EDLA_ISA_AVX512_VNNI) {
        return 0;
    }
    *count = count_eq_avx512(x, n, zp);
    return 1;
}

int edla_host_eval(const edla_model *model, uint32_t i, uint8_t *scratch, edla_counters *counters) {
    const struct edla_host_plan *plan = model->host_plan;
    if (!plan || isa_level() < EDLA_ISA_AVX512_VNNI || !plan->ops[i].counts) {
        return 0;
    }
    const hp_op *e = &plan->ops[i];
    const edla_op *op = &model->ops[i];
    const int8_t *x = (const int8_t *)edla_in_data(model, op, scratch, 0);
    uint64_t skipped = 0;
    if (e->zero_runs) {
        for (size_t r = 0; r < e->rows; ++r) {
            skipped += weighted_zeros(x + r * e->depth, e->zero_runs, e->depth, e->zp);
        }
    } else if (e->zero_macs) {
        skipped = (uint64_t)e->zero_macs * count_eq_avx512(x, e->rows * e->depth, e->zp);
    }
    edla_exec_count(counters, e->rows, e->unit_macs, e->unit_exec, skipped);
    if (e->fused != HP_FUSED_TAIL) { /* a tail's channels: computed by its run's first chunk */
        hp_run_fc(e, x, (int8_t *)edla_out_data(model, op, scratch, 0), plan->work);
    }
    return 1;
}

int edla_host_sparse_exec(const edla_model *model, const edla_op *op, uint32_t *exec) {
    const struct edla_host_plan *plan = model->host_plan;
    if (!plan || isa_level() < EDLA_ISA_AVX512_VNNI) {
        return 0;
    }
    const hp_op *e = &plan->ops[op - model->ops];
    if (e->kind == HP_NONE || !e->has_exec) {
        return 0;
    }
    *exec = e->exec;
    return 1;
}

int edla_host_skips_copy(const edla_model *model, uint32_t i) {
    const struct edla_host_plan *plan = model->host_plan;
    return plan && plan->skip_copy[i] && isa_level() >= EDLA_ISA_AVX512_VNNI;
}

const uint32_t *edla_host_act_runs(const edla_model *model, const edla_op *op) {
    const struct edla_host_plan *plan = model->host_plan;
    if (!plan || isa_level() < EDLA_ISA_AVX512_VNNI) {
        return (const uint32_t *)0; /* the portable path counts from the layout: tests compare */
    }
    const hp_op *e = &plan->ops[op - model->ops];
    return e->kind != HP_NONE ? e->act_runs : (const uint32_t *)0;
}

int edla_host_run(const edla_model *model, const edla_op *op, const int8_t *input, int8_t *out) {
    const struct edla_host_plan *plan = model->host_plan;
    if (!plan || isa_level() < EDLA_ISA_AVX512_VNNI) {
        return 0;
    }
    const hp_op *e = &plan->ops[op - model->ops];
    if (e->kind == HP_NONE) {
        return 0;
    }
    if (e->fused == HP_FUSED_TAIL) {
        return 1; /* the run's first chunk computed these channels */
    }
    if (e->packed) {
        if (e->kind == HP_FC) {
            hp_run_fc(e, input, out, plan->work);
        } else if (e->kind == HP_DEPTHWISE) {
            hp_run_depthwise(e, input, out, plan->work);
        } else {
            hp_run_conv(e, input, out, plan->work);
        }
        return 1;
    }
    ku_channel_op_data d = e->d; /* the per-invoke kernels over the prepared filter and tables */
    d.input = input + (e->kind == HP_DEPTHWISE && e->g.in_c > 1 ? e->chunk_begin : 0);
    d.out = out + e->chunk_begin;
    if (e->kind == HP_DEPTHWISE) {
        return edla_fast_depthwise_conv_2d(&d, &e->g, e->depth_multiplier);
    }
    return edla_fast_conv_2d(&d, &e->g);
}

#else /* not an x86-64 host: no fast paths */

int edla_set_isa(int level) {
    (void)level;
    return EDLA_ISA_PORTABLE;
}

#endif
