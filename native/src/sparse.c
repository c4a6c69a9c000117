/*
 * sparse.c - sparse weights: the DMA_DECODE command (expands a compressed
 * weight stream from flash into the scratchpad weight buffer, codec.c decodes
 * it) and the zero-skipping CONV_2D_SPARSE, DEPTHWISE_CONV_2D_SPARSE and
 * FULLY_CONNECTED_SPARSE kernels (edla.h describes the packed layout).
 *
 * Bit-exact with TFLM: the dense kernels sum w * (x + input_offset) over the
 * in-bounds taps; a term with w == 0 adds nothing, so visiting only the
 * non-zero weights gives the same int32 sum (mod 2^32, as TFLM's wraps).
 * Layers flagged EDLA_OP_FLAG_ACT_SPARSE also skip, of the executed weight
 * blocks, those whose activations are all the zero point (act_sparse.h).
 */
#include <stdlib.h>
#include <string.h>

#include "act_sparse.h"
#include "codec.h"
#include "host_fast.h"

/* ---- packed sparse layout ----------------------------------------------------- */

static uint64_t sp_fixed_bytes(uint64_t co, uint64_t taps) {
    return EDLA_SPARSE_HEADER + 12u * co + 2u * co * taps;
}

typedef struct {
    uint32_t nnz, exec;
    const int32_t *bias, *mult, *shift;
    const uint16_t *count, *index;
    const int8_t *value;
} sp_layout;

/* Pointers into a packed buffer of `bytes` (>= the fixed part, checked); nnz is
 * clamped to what the buffer holds, so a buffer no decoder wrote stays in bounds. */
static void sp_layout_get(const uint8_t *base, uint32_t bytes, int co, int taps, sp_layout *l) {
    const uint32_t fixed = (uint32_t)sp_fixed_bytes((uint64_t)co, (uint64_t)taps);
    memcpy(&l->nnz, base, 4);
    memcpy(&l->exec, base + 4, 4);
    if (l->nnz > (bytes - fixed) / 3u) {
        l->nnz = (bytes - fixed) / 3u;
    }
    l->bias = (const int32_t *)(const void *)(base + EDLA_SPARSE_HEADER);
    l->mult = l->bias + co;
    l->shift = l->mult + co;
    l->count = (const uint16_t *)(const void *)(l->shift + co);
    l->index = (const uint16_t *)(const void *)(base + fixed);
    l->value = (const int8_t *)(base + fixed + 2u * l->nnz);
}

static inline int8_t sp_output(const sp_layout *l, int c, uint32_t acc, int32_t output_offset,
                        int32_t act_min, int32_t act_max) {
    int32_t mult = l->mult[c], shift = l->shift[c];
    if (mult < 0 || shift < -31 || shift > 31) { /* tables the decoder did not write */
        mult = 0;
        shift = 0;
    }
    return requantize_to_int8(acc + (uint32_t)l->bias[c], mult, shift, output_offset, act_min,
                              act_max);
}

static int sp_packed_ok(const edla_tensor *t, int64_t co, int64_t taps) {
    return t->dtype == EDLA_INT8 && (t->offset & 3u) == 0 &&
           (uint64_t)t->bytes >= sp_fixed_bytes((uint64_t)co, (uint64_t)taps);
}

/* ---- DMA_DECODE --------------------------------------------------------------- */

edla_status edla_check_dma_decode(const edla_model *model, const edla_op *op) {
    if (op->n_in != 1 || op->n_out != 1 || op->in[0] == EDLA_NO_TENSOR) return EDLA_ERR_OP;
    const edla_tensor *src = edla_in(model, op, 0);
    const edla_tensor *dst = edla_out(model, op, 0);
    if (src->location != EDLA_LOC_CONST ||
        (dst->location != EDLA_LOC_SCRATCH && dst->location != EDLA_LOC_WBUF) ||
        src->dtype != EDLA_INT8 || dst->dtype != EDLA_INT8)
        return EDLA_ERR_OPERAND;
    const int32_t *p = op->p;
    if (p[DEC_P_MODE] == DEC_MODE_DENSE) return EDLA_OK;
    if (p[DEC_P_MODE] != DEC_MODE_SPARSE && p[DEC_P_MODE] != DEC_MODE_PACKED_DENSE) return EDLA_ERR_PARAM;
    const int64_t co = p[DEC_P_CO], taps = p[DEC_P_TAPS], inner = p[DEC_P_INNER];
    if (co < 1 || taps < 1 || inner < 1 || inner > 65535 || co * taps > (1 << 24) ||
        co * taps * inner > INT32_MAX || p[DEC_P_NNZ] < 0 || p[DEC_P_NNZ] > co * taps * inner ||
        (p[DEC_P_HAS_BIAS] != 0 && p[DEC_P_HAS_BIAS] != 1) ||
        (p[DEC_P_BLOCK_AXIS] != 0 && (p[DEC_P_BLOCK_AXIS] != 1 || inner != 1)) ||
        (dst->offset & 3u) != 0)
        return EDLA_ERR_PARAM;
    if (p[DEC_P_MODE] == DEC_MODE_PACKED_DENSE)
        return EDLA_SPARSE_HEADER + 12u * (uint64_t)co + (uint64_t)(co * taps * inner) == dst->bytes
                   ? EDLA_OK : EDLA_ERR_PARAM;
    const uint64_t need = sp_fixed_bytes((uint64_t)co, (uint64_t)taps) + 3u * (uint64_t)p[DEC_P_NNZ];
    return need == dst->bytes ? EDLA_OK : EDLA_ERR_PARAM;
}

/* Executed MACs per output pixel at block granularity `block` (entries sorted). */
static uint32_t sp_exec(const uint8_t *base, int co, int taps, int inner, int axis, uint32_t block) {
    sp_layout l;
    uint32_t fixed = (uint32_t)sp_fixed_bytes((uint64_t)co, (uint64_t)taps), e = 0;
    uint64_t exec = 0;
    memcpy(&l.nnz, base, 4);
    l.count = (const uint16_t *)(const void *)(base + EDLA_SPARSE_HEADER + 12u * (uint32_t)co);
    l.index = (const uint16_t *)(const void *)(base + fixed);
    if (axis == 0) {
        for (int c = 0; c < co; ++c) {
            for (int t = 0; t < taps; ++t) {
                uint32_t n = l.count[c * taps + t], last = UINT32_MAX;
                for (uint32_t j = e; j < e + n; ++j) {
                    const uint32_t b = l.index[j] / block;
                    if (b != last) {
                        const uint32_t rest = (uint32_t)inner - b * block;
                        exec += rest < block ? rest : block;
                        last = b;
                    }
                }
                e += n;
            }
        }
    } else { /* depthwise: blocks of channels at one tap */
        for (int t = 0; t < taps; ++t) {
            for (int c0 = 0; c0 < co; c0 += (int)block) {
                const int c1 = c0 + (int)block < co ? c0 + (int)block : co;
                for (int c = c0; c < c1; ++c) {
                    if (l.count[c * taps + t] != 0) {
                        exec += (uint64_t)(c1 - c0);
                        break;
                    }
                }
            }
        }
    }
    return (uint32_t)exec; /* <= co * taps * inner <= INT32_MAX */
}

/* Header (nnz, every MAC executed), tables, then the dense filter (depthwise: [taps][co]). */
static void decode_packed_dense(codec_dec *d, uint8_t *out, int co, int taps, int inner, int has_bias,
                                int transpose) {
    uint8_t *tables = out + EDLA_SPARSE_HEADER;
    int8_t *w = (int8_t *)(out + EDLA_SPARSE_HEADER + 12u * (uint32_t)co);
    uint32_t nnz = 0;
    const uint32_t total = (uint32_t)co * (uint32_t)taps * (uint32_t)inner;
    memset(out, 0, EDLA_SPARSE_HEADER);
    if (!has_bias) {
        memset(tables, 0, 4u * (uint32_t)co);
    }
    for (int t = has_bias ? 0 : 1; t < 3; ++t) {
        codec_dec_table(d, (unsigned)t, tables + 4u * (uint32_t)co * (uint32_t)t, (size_t)co);
    }
    for (int c = 0; c < co; ++c) {
        for (int t = 0; t < taps; ++t) {
            for (int g = 0; g < inner; ++g) {
                const int8_t v = codec_dec_weight(d);
                nnz += v != 0;
                w[transpose ? (size_t)t * (size_t)co + (size_t)c
                            : ((size_t)c * (size_t)taps + (size_t)t) * (size_t)inner + (size_t)g] = v;
            }
        }
    }
    memcpy(out, &nnz, 4);
    memcpy(out + 4, &total, 4);
}

void edla_eval_dma_decode(const edla_model *model, const edla_op *op, uint8_t *scratch,
                          edla_counters *counters) {
    (void)counters; /* sim.c counts the compressed bytes and models the decode */
    const edla_tensor *src = edla_in(model, op, 0);
    const edla_tensor *dst = edla_out(model, op, 0);
    uint8_t *out = (uint8_t *)edla_out_data(model, op, scratch, 0);
    const int32_t *p = op->p;
    codec_dec d;
    codec_dec_init(&d, (const uint8_t *)edla_in_data(model, op, scratch, 0), src->bytes);
    if (p[DEC_P_MODE] == DEC_MODE_DENSE) {
        for (uint32_t i = 0; i < dst->bytes; ++i) {
            out[i] = (uint8_t)codec_dec_weight(&d);
        }
        return;
    }
    const int co = (int)p[DEC_P_CO], taps = (int)p[DEC_P_TAPS], inner = (int)p[DEC_P_INNER];
    if (p[DEC_P_MODE] == DEC_MODE_PACKED_DENSE) {
        decode_packed_dense(&d, out, co, taps, inner, (int)p[DEC_P_HAS_BIAS], (int)p[DEC_P_BLOCK_AXIS]);
        return;
    }
    const uint32_t nnz = (uint32_t)p[DEC_P_NNZ];
    const uint32_t fixed = (uint32_t)sp_fixed_bytes((uint64_t)co, (uint64_t)taps);
    uint8_t *tables = out + EDLA_SPARSE_HEADER;
    uint16_t *count = (uint16_t *)(void *)(out + EDLA_SPARSE_HEADER + 12u * (uint32_t)co);
    uint16_t *index = (uint16_t *)(void *)(out + fixed);
    int8_t *value = (int8_t *)(out + fixed + 2u * nnz);
    memset(out, 0, EDLA_SPARSE_HEADER);
    if (!p[DEC_P_HAS_BIAS]) {
        memset(tables, 0, 4u * (uint32_t)co);
    }
    for (int t = p[DEC_P_HAS_BIAS] ? 0 : 1; t < 3; ++t) {
        codec_dec_table(&d, (unsigned)t, tables + 4u * (uint32_t)co * (uint32_t)t, (size_t)co);
    }
    uint32_t e = 0;
    for (int c = 0; c < co; ++c) {
        for (int t = 0; t < taps; ++t) {
            uint32_t n = 0;
            for (int g = 0; g < inner; ++g) {
                const int8_t w = codec_dec_weight(&d);
                if (w != 0) {
                    if (e < nnz) {
                        index[e] = (uint16_t)g;
                        value[e] = w;
                    }
                    ++e;
                    ++n;
                }
            }
            count[c * taps + t] = (uint16_t)n; /* n <= inner <= 65535 */
        }
    }
    if (e != nnz) { /* corrupt stream: an empty layout, never a read out of bounds */
        memset(count, 0, 2u * (uint32_t)co * (uint32_t)taps);
        return;
    }
    const uint32_t block = model->header->sparsity_block > 1u ? model->header->sparsity_block : 1u;
    const uint32_t exec = sp_exec(out, co, taps, inner, (int)p[DEC_P_BLOCK_AXIS], block);
    memcpy(out, &nnz, 4);
    memcpy(out + 4, &exec, 4);
}

/* ---- CONV_2D_SPARSE / DEPTHWISE_CONV_2D_SPARSE --------------------------------- */

static edla_status check_conv_sparse(const edla_model *model, const edla_op *op, int depthwise) {
    if (op->n_in != 2 || op->n_out != 1 || op->in[0] == EDLA_NO_TENSOR ||
        op->in[1] == EDLA_NO_TENSOR || op->out[0] == EDLA_NO_TENSOR)
        return EDLA_ERR_OP;
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *packed = edla_in(model, op, 1);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_int8_io_ok(in, out)) return EDLA_ERR_OPERAND;
    if (!ku_is_4d(in) || !ku_is_4d(out) || in->dims[0] != out->dims[0]) return EDLA_ERR_PARAM;
    const int32_t *p = op->p;
    const int32_t kh = p[SPARSE_P_KH], kw = p[SPARSE_P_KW], out_c = out->dims[3];
    const int32_t begin = p[CONV_P_CHANNEL_BEGIN], end = p[CONV_P_CHANNEL_END];
    if (kh < 1 || kw < 1 || kh > 4096 || kw > 4096 || begin < 0 || begin >= end || end > out_c)
        return EDLA_ERR_PARAM;
    const int64_t inner = depthwise ? 1 : in->dims[3];
    if (depthwise) {
        const int32_t dm = p[CONV_P_DEPTH_MULTIPLIER];
        if (dm < 1 || (int64_t)in->dims[3] * dm != out_c || begin % dm != 0 || end % dm != 0)
            return EDLA_ERR_PARAM;
    } else if (inner > 65535) {
        return EDLA_ERR_PARAM;
    }
    if (packed->dtype != EDLA_INT8 || (packed->offset & 3u) != 0) return EDLA_ERR_OPERAND;
    if (p[SPARSE_P_DENSE] == 0 && !sp_packed_ok(packed, end - begin, (int64_t)kh * kw))
        return EDLA_ERR_OPERAND;
    if (p[SPARSE_P_DENSE] != 0 &&
        (p[SPARSE_P_DENSE] != 1 ||
         (uint64_t)packed->bytes < EDLA_SPARSE_HEADER + 12u * (uint64_t)(end - begin) +
                                       (uint64_t)(end - begin) * (uint64_t)kh * (uint64_t)kw * (uint64_t)inner))
        return EDLA_ERR_PARAM;
    if (!ku_axis_ok(p[CONV_P_STRIDE_H], p[CONV_P_DILATION_H], p[CONV_P_PAD_TOP], kh, out->dims[1]) ||
        !ku_axis_ok(p[CONV_P_STRIDE_W], p[CONV_P_DILATION_W], p[CONV_P_PAD_LEFT], kw,
                    out->dims[2]) ||
        !ku_input_offset_ok(p[CONV_P_INPUT_OFFSET]) ||
        !ku_output_offset_ok(p[CONV_P_OUTPUT_OFFSET]) ||
        !ku_act_range_ok(p[CONV_P_ACT_MIN], p[CONV_P_ACT_MAX]))
        return EDLA_ERR_PARAM;
    return EDLA_OK;
}

/* Operand data of a packed-dense layer for the dense loops; 0 if its tables are
 * not ones the decoder writes (a buffer no decoder filled). A channel chunk's
 * tables and filter are chunk-local, so the caller passes input and output
 * already advanced to the chunk's first channel and the loops run [0, co). */
static int packed_dense_data(const uint8_t *base, int co, const int32_t *p, unsigned p_in,
                             unsigned p_out, unsigned p_min, unsigned p_max, const int8_t *input,
                             int8_t *out, ku_channel_op_data *d) {
    d->input = input;
    d->out = out;
    d->bias = (const int32_t *)(const void *)(base + EDLA_SPARSE_HEADER);
    d->mult = d->bias + co;
    d->shift = d->mult + co;
    d->filter = (const int8_t *)(base + EDLA_SPARSE_HEADER + 12u * (uint32_t)co);
    d->input_offset = p[p_in];
    d->output_offset = p[p_out];
    d->act_min = p[p_min];
    d->act_max = p[p_max];
    d->c_begin = 0;
    d->c_end = co;
    return requant_table_ok(d->mult, d->shift, co);
}

static void eval_conv_packed_dense(const ku_channel_op_data *d, const ku_window *g, int depthwise,
                                   int dm, int act) {
#if EDLA_FAST_KERNELS
    if (depthwise ? edla_fast_depthwise_conv_2d(d, g, dm) : edla_fast_conv_2d(d, g)) {
        return; /* dense outputs; the caller counted the skipped activations */
    }
#endif
    const size_t in_c = (size_t)g->in_c, co = (size_t)d->c_end;
    const size_t row = depthwise ? (size_t)g->k_w * co : (size_t)g->k_w * in_c;
    int8_t *out = d->out;
    ku_pixel px;
    ku_pixel_start(g, d->input, &px);
    do {
        for (int oc = 0; oc < d->c_end; ++oc) {
            uint32_t acc = 0;
            for (int fy = px.fy_begin; fy < px.fy_end; ++fy) {
                const int8_t *in_row = px.in_b + (size_t)(px.y0 + fy * g->dil_h) * g->row_stride;
                for (int fx = px.fx_begin; fx < px.fx_end; ++fx) {
                    const int8_t *x = in_row + (size_t)(px.x0 + fx * g->dil_w) * in_c;
                    if (depthwise) {
                        acc += (uint32_t)(d->filter[(size_t)fy * row + (size_t)fx * co + (size_t)oc] *
                                          (x[oc / dm] + d->input_offset));
                    } else {
                        const int8_t *w = d->filter + (size_t)oc * (size_t)g->k_h * row + (size_t)fy * row +
                                          (size_t)fx * in_c;
                        acc += act ? edla_act_dot(x, 1, w, 1, g->in_c, d->input_offset, 0)
                                   : ku_dot(x, 1, w, 1, g->in_c, d->input_offset, 0);
                    }
                }
            }
            out[oc] = ku_channel_output(d, acc, oc);
        }
        out += g->out_c;
    } while (ku_pixel_next(g, &px));
}

/* Entries [e, e + n) of one channel and tap over the activations x (0: a padding
 * tap, all zero point). With acc, adds their products to *acc, skipping (with act)
 * the zero-point activations; returns 0. Without acc (a counting pass), returns
 * the MACs the NPU skips there: the executed blocks of `block` along the inner
 * axis (as sp_exec groups them) whose activations are all the zero point. */
static uint32_t sp_tap(const sp_layout *l, uint32_t e, uint32_t n, const int8_t *x, unsigned inner,
                       int32_t input_offset, int act, uint32_t block, uint32_t *acc) {
    if (acc) {
        for (uint32_t j = e; x && j < e + n; ++j) {
            const unsigned gi = l->index[j];
            if (gi < inner && !(act && x[gi] + input_offset == 0)) {
                *acc += (uint32_t)(l->value[j] * (x[gi] + input_offset));
            }
        }
        return 0;
    }
    const int8_t zp = (int8_t)(-input_offset);
    uint32_t skipped = 0;
    for (uint32_t j = e; j < e + n;) {
        const uint32_t b = l->index[j] / block, start = b * block;
        uint32_t k = j + 1;
        while (k < e + n && l->index[k] / block == b) {
            ++k;
        }
        if (start < inner) { /* else a layout no decoder wrote: nothing executes */
            const uint32_t len = inner - start < block ? inner - start : block;
            skipped += !x || edla_act_all_zero(x + start, 1, len, zp) ? len : 0u;
        }
        j = k;
    }
    return skipped;
}

/* ---- zero-point activations of sparse conv / depthwise, counted by tap ----------
 * The MACs the NPU skips are, per output pixel p, channel c and tap t, those of
 * the executed blocks of (c, t) (a run of entries in one block, as sp_tap walks
 * them; depthwise: a block of channels with a non-zero weight at t, as sp_exec)
 * whose activations at p's tap t are all the zero point, or that fall on a
 * padding tap. Summed per (t, block): (runs of the block at t) x len x (pixels
 * whose tap t reads an all-zero block or padding), so the input is scanned
 * once per tap instead of once per channel and tap. Blocks go 64 at a time
 * (stack tables). */
#define SP_ACT_BLOCKS 64

typedef struct {
    const ku_window *g;
    const int8_t *input;
    int depthwise, dm, begin, co;
    unsigned inner; /* conv: in_c; depthwise: the chunk's channels */
    int8_t zp;
    uint32_t block;
} sp_act;

/* q[i] += 1 if block b0 + i of the activations at x is all the zero point. */
static void sp_block_zeros(const sp_act *a, const int8_t *x, uint32_t b0, uint32_t nb, uint32_t *q) {
    if (a->block == 1 && (!a->depthwise || a->dm == 1)) { /* one activation per block: vectorises */
        const int8_t *xs = x + (a->depthwise ? (size_t)a->begin : 0) + b0;
        for (uint32_t i = 0; i < nb; ++i) {
            q[i] += xs[i] == a->zp;
        }
        return;
    }
    for (uint32_t i = 0; i < nb; ++i) {
        const uint32_t start = (b0 + i) * a->block, len = a->inner - start < a->block ? a->inner - start : a->block;
        uint32_t k = 0;
        if (a->depthwise) {
            while (k < len && x[((size_t)a->begin + start + k) / (size_t)a->dm] == a->zp) ++k;
        } else {
            while (k < len && x[start + k] == a->zp) ++k;
        }
        q[i] += k == len;
    }
}

/* q[i]: output pixels whose tap (fy, fx) is padding or reads an all-zero block b0 + i. */
static void sp_tap_zeros(const sp_act *a, int fy, int fx, uint32_t b0, uint32_t nb, uint32_t *q) {
    const ku_window *g = a->g;
    uint32_t padding = 0;
    for (int b = 0; b < g->batches; ++b) {
        for (int oy = 0; oy < g->out_h; ++oy) {
            const int iy = oy * g->stride_h - g->pad_top + fy * g->dil_h;
            if (iy < 0 || iy >= g->in_h) {
                padding += (uint32_t)g->out_w;
                continue;
            }
            const int8_t *row = a->input + (size_t)b * g->batch_stride + (size_t)iy * g->row_stride;
            for (int ox = 0; ox < g->out_w; ++ox) {
                const int ix = ox * g->stride_w - g->pad_left + fx * g->dil_w;
                if (ix < 0 || ix >= g->in_w) {
                    ++padding;
                    continue;
                }
                sp_block_zeros(a, row + (size_t)ix * (size_t)g->in_c, b0, nb, q);
            }
        }
    }
    for (uint32_t i = 0; i < nb; ++i) {
        q[i] += padding;
    }
}

/* runs[i]: executed occurrences of block b0 + i at tap t over the chunk's channels. */
static void sp_tap_runs(const sp_layout *l, const sp_act *a, int taps, int t, uint32_t b0, uint32_t nb,
                        uint32_t *runs) {
    if (a->depthwise) { /* a block of channels executes if one of them has a weight at t */
        for (uint32_t i = 0; i < nb; ++i) {
            const int c0 = (int)((b0 + i) * a->block), c1 = a->co - c0 < (int)a->block ? a->co : c0 + (int)a->block;
            for (int c = c0; c < c1; ++c) {
                if (l->count[c * taps + t] != 0) {
                    runs[i] = 1;
                    break;
                }
            }
        }
        return;
    }
    uint32_t e = 0;
    for (int c = 0; c < a->co; ++c) {
        for (int tt = 0; tt < taps; ++tt) {
            uint32_t n = l->count[c * taps + tt];
            n = n < l->nnz - e ? n : l->nnz - e;
            if (tt == t && a->block == 1) { /* a run: entries with one index, side by side */
                for (uint32_t j = e; j < e + n; ++j) {
                    const uint32_t blk = l->index[j];
                    if ((j == e || l->index[j - 1] != blk) && blk < a->inner && blk - b0 < nb) ++runs[blk - b0];
                }
            }
            for (uint32_t j = e; tt == t && a->block > 1 && j < e + n;) { /* sp_tap's runs of one block */
                const uint32_t blk = l->index[j] / a->block;
                uint32_t k = j + 1;
                while (k < e + n && l->index[k] / a->block == blk) ++k;
                if (blk * a->block < a->inner && blk >= b0 && blk < b0 + nb) ++runs[blk - b0];
                j = k;
            }
            e += n;
        }
    }
}

#if EDLA_HOST_FAST
/* sp_act_zero with skip blocks of 1 by edla_fast_sparse_act_zero, the runs kept
 * (cached) or found here; 0: not taken. */
static int sp_act_zero_fast(const sp_layout *l, const sp_act *a, const uint32_t *cached, uint64_t *skipped) {
    const int taps = a->g->k_h * a->g->k_w;
    const uint32_t blocks = a->inner;
    uint32_t *found = (uint32_t *)0;
    if (!edla_fast_sparse_act_zero_fits(a->g)) {
        return 0; /* before finding runs the per-tap count below finds again */
    }
    if (!cached) {
        const size_t entries = (size_t)taps * blocks;
        found = (uint32_t *)calloc(entries > 0 ? entries : 1u, sizeof *found);
        if (!found) return 0;
        for (int t = 0; t < taps; ++t) {
            for (uint32_t b0 = 0; b0 < blocks; b0 += SP_ACT_BLOCKS) {
                const uint32_t nb = blocks - b0 < SP_ACT_BLOCKS ? blocks - b0 : SP_ACT_BLOCKS;
                sp_tap_runs(l, a, taps, t, b0, nb, found + (size_t)t * blocks + b0);
            }
        }
        cached = found;
    }
    uint64_t sum = 0, part;
    uint32_t b0 = 0;
    for (; b0 < blocks; b0 += SP_ACT_BLOCKS, sum += part) {
        const uint32_t nb = blocks - b0 < SP_ACT_BLOCKS ? blocks - b0 : SP_ACT_BLOCKS;
        if (!edla_fast_sparse_act_zero(a->g, a->input, (a->depthwise ? (size_t)a->begin : 0) + b0, nb, a->zp,
                                       cached + b0, blocks, &part)) {
            break;
        }
    }
    free(found);
    *skipped = sum;
    return b0 >= blocks;
}
#endif

/* cached: the runs of every (tap, block) as sp_tap_runs finds them (they are
 * the weights' alone; the host keeps them for the layers it prepared), or 0. */
static uint64_t sp_act_zero(const sp_layout *l, const sp_act *a, const uint32_t *cached) {
    const ku_window *g = a->g;
    const int taps = g->k_h * g->k_w;
    const uint32_t blocks = (a->inner + a->block - 1) / a->block;
    uint64_t skipped = 0;
#if EDLA_HOST_FAST
    if (a->block == 1 && (!a->depthwise || a->dm == 1) && sp_act_zero_fast(l, a, cached, &skipped)) {
        return skipped; /* every tap in one pass (host_x86.c) */
    }
#endif
    for (int t = 0; t < taps; ++t) {
        for (uint32_t b0 = 0; b0 < blocks; b0 += SP_ACT_BLOCKS) {
            const uint32_t nb = blocks - b0 < SP_ACT_BLOCKS ? blocks - b0 : SP_ACT_BLOCKS;
            uint32_t runs[SP_ACT_BLOCKS] = {0}, q[SP_ACT_BLOCKS] = {0}, any = 0;
            if (cached) {
                memcpy(runs, cached + (size_t)t * blocks + b0, nb * sizeof *runs);
            } else {
                sp_tap_runs(l, a, taps, t, b0, nb, runs);
            }
            for (uint32_t i = 0; i < nb; ++i) any |= runs[i];
            if (!any) continue;
            sp_tap_zeros(a, t / g->k_w, t % g->k_w, b0, nb, q);
            for (uint32_t i = 0; i < nb; ++i) {
                const uint32_t start = (b0 + i) * a->block;
                const uint32_t len = a->inner - start < a->block ? a->inner - start : a->block;
                skipped += (uint64_t)runs[i] * len * q[i];
            }
        }
    }
    return skipped;
}

#if EDLA_HOST_FAST
static const uint32_t *sp_cached_runs(const edla_model *model, const edla_op *op) {
    return edla_host_act_runs(model, op);
}

/* The layout's executed MACs as the host kept them, when its counts need
 * nothing else from the layout (the runs kept too, if act); 0: read it. */
static int sp_kept_exec(const edla_model *model, const edla_op *op, int act, const uint32_t *runs,
                        uint32_t *exec) {
    return (!act || runs) && edla_host_sparse_exec(model, op, exec);
}

void edla_sparse_act_runs(const edla_model *model, const edla_op *op, const uint8_t *packed,
                          uint32_t bytes, uint32_t *runs) {
    const int32_t *p = op->p;
    const int depthwise = op->opcode == EDLA_OP_DEPTHWISE_CONV_2D_SPARSE;
    const int fc = op->opcode == EDLA_OP_FULLY_CONNECTED_SPARSE;
    const int co = fc ? (int)(p[FC_P_CHANNEL_END] - p[FC_P_CHANNEL_BEGIN])
                      : (int)(p[CONV_P_CHANNEL_END] - p[CONV_P_CHANNEL_BEGIN]);
    const int taps = fc ? 1 : (int)(p[SPARSE_P_KH] * p[SPARSE_P_KW]);
    const unsigned inner = fc ? (unsigned)p[SPFC_P_DEPTH]
                              : depthwise ? (unsigned)co : (unsigned)edla_in(model, op, 0)->dims[3];
    const sp_act a = {0, 0, depthwise, 1, 0, co, inner, 0, edla_act_block(model)};
    const uint32_t blocks = (a.inner + a.block - 1) / a.block;
    sp_layout l;
    sp_layout_get(packed, bytes, co, taps, &l);
    memset(runs, 0, (size_t)taps * blocks * sizeof *runs);
    for (int t = 0; t < taps; ++t) {
        for (uint32_t b0 = 0; b0 < blocks; b0 += SP_ACT_BLOCKS) {
            const uint32_t nb = blocks - b0 < SP_ACT_BLOCKS ? blocks - b0 : SP_ACT_BLOCKS;
            sp_tap_runs(&l, &a, taps, t, b0, nb, runs + (size_t)t * blocks + b0);
        }
    }
}
#else
static const uint32_t *sp_cached_runs(const edla_model *model, const edla_op *op) {
    (void)model;
    (void)op;
    return (const uint32_t *)0;
}

static int sp_kept_exec(const edla_model *model, const edla_op *op, int act, const uint32_t *runs,
                        uint32_t *exec) {
    (void)model;
    (void)op;
    (void)act;
    (void)runs;
    (void)exec;
    return 0;
}
#endif

/* The op's packed layout (operand 1) as it lies in the scratchpad or weight buffer. */
static void sp_op_layout(const edla_model *model, const edla_op *op, uint8_t *scratch, int co, int taps,
                         sp_layout *l) {
    sp_layout_get((const uint8_t *)edla_in_data(model, op, scratch, 1), edla_in(model, op, 1)->bytes, co, taps,
                  l);
}

/* The layer's executed MACs per unit into *exec: kept from load when the host
 * has them (returns 1: *l left unread), else read from the layout (returns 0). */
static int sp_exec_per_unit(const edla_model *model, const edla_op *op, uint8_t *scratch, int act,
                            const uint32_t *runs, int co, int taps, sp_layout *l, uint32_t *exec) {
    if (sp_kept_exec(model, op, act, runs, exec)) {
        return 1;
    }
    sp_op_layout(model, op, scratch, co, taps, l);
    *exec = l->exec;
    return 0;
}

/* One sparse conv/depthwise layer over its packed layout: the outputs, skipping
 * zero-point activations if act (sp_act_zero counts them). */
static void conv_sparse_walk(const sp_layout *l, const ku_window *g, const int8_t *input, int begin,
                             int co, int depthwise, int dm, const int32_t *p, int act, uint32_t block,
                             int8_t *out) {
    const int taps = g->k_h * g->k_w;
    const unsigned inner = depthwise ? 1u : (unsigned)g->in_c;
    const int32_t input_offset = p[CONV_P_INPUT_OFFSET];
    ku_pixel px;
    ku_pixel_start(g, input, &px);
    do {
        uint32_t e = 0;
        for (int c = 0; c < co; ++c) {
            const int oc = begin + c;
            const size_t chan = depthwise ? (size_t)(oc / dm) : 0;
            const uint16_t *count = l->count + (size_t)c * (size_t)taps;
            uint32_t acc = 0;
            for (int fy = 0; fy < g->k_h; ++fy) {
                const int row_in = fy >= px.fy_begin && fy < px.fy_end;
                const int8_t *in_row = row_in ? px.in_b + (size_t)(px.y0 + fy * g->dil_h) * g->row_stride : 0;
                for (int fx = 0; fx < g->k_w; ++fx) {
                    uint32_t n = count[fy * g->k_w + fx];
                    n = n < l->nnz - e ? n : l->nnz - e;
                    const int8_t *x = row_in && fx >= px.fx_begin && fx < px.fx_end
                                          ? in_row + (size_t)(px.x0 + fx * g->dil_w) * (size_t)g->in_c + chan
                                          : 0;
                    sp_tap(l, e, n, x, inner, input_offset, act, block, &acc);
                    e += n;
                }
            }
            out[oc] = sp_output(l, c, acc, p[CONV_P_OUTPUT_OFFSET], p[CONV_P_ACT_MIN], p[CONV_P_ACT_MAX]);
        }
        out += g->out_c;
    } while (ku_pixel_next(g, &px));
}

#if EDLA_MVE_FAST
#define SP_FAST_INNER 512 /* input channels of the MVE 1x1 path (its tables on the stack) */
#define SP_FAST_CO 512

/* A 1x1 sparse conv on the M55 (mve.c): per pixel, the dots over gathered
 * activations, then the requantization 4 channels at a time when the tables
 * are ones sp_output takes as they are. The same sums and outputs as
 * conv_sparse_walk. */
static void conv_sparse_1x1_mve(const sp_layout *l, const ku_window *g, const int8_t *input, int begin,
                                int co, const int32_t *p, int8_t *out) {
    const unsigned inner = (unsigned)g->in_c;
    const int tables_ok = requant_table_ok(l->mult, l->shift, co);
    uint32_t acc[SP_FAST_CO];
    ku_pixel px;
    ku_pixel_start(g, input, &px);
    do { /* 1x1: pad < extent 1, every pixel's one tap in bounds */
        const int8_t *x = px.in_b + (size_t)px.y0 * g->row_stride + (size_t)px.x0 * (size_t)g->in_c;
        edla_fast_sparse_dots(l->count, l->index, l->value, l->nnz, co, inner, x, p[CONV_P_INPUT_OFFSET], acc);
        if (tables_ok) {
            edla_fast_requant_out(acc, l->bias, l->mult, l->shift, co, p[CONV_P_OUTPUT_OFFSET],
                                  p[CONV_P_ACT_MIN], p[CONV_P_ACT_MAX], out + begin);
        } else {
            for (int c = 0; c < co; ++c) {
                out[begin + c] = sp_output(l, c, acc[c], p[CONV_P_OUTPUT_OFFSET], p[CONV_P_ACT_MIN],
                                           p[CONV_P_ACT_MAX]);
            }
        }
        out += g->out_c;
    } while (ku_pixel_next(g, &px));
}

/* A 1x1 stride-1 sparse conv on the M55. At densities of 4 % and more the
 * dense MVE conv over the layout expanded (edla_fast_sparse_expand) costs
 * fewer instructions than gathering the non-zero weights (vww, 6x6x128:
 * about equal at 3 %, 1.5x fewer at 10 %): the same sums (each entry's product once, the other
 * terms w = 0) and, with tables requant_table_ok passes, the same outputs
 * as conv_sparse_walk. Sparser layers take conv_sparse_1x1_mve. Either way
 * the activation zeros (blocks of 1) are counted from per-input-channel
 * runs and zero points (edla_fast_sparse_act_1x1), as sp_act_zero counts
 * them. Returns 0, having counted nothing, for a layer it does not take. */
#define SP_DENSE_MAX 65536 /* filter bytes (vww: 256 x 256) */
static int8_t sp_dense[SP_DENSE_MAX] __attribute__((aligned(16)));
static uint16_t sp_runs[SP_FAST_INNER];

/* sp_tap_runs of a 1x1 layout, blocks of 1, into sp_runs in the lane order of
 * edla_fast_sparse_expand (column i of a 16-column block: even lanes, then odd). */
static void sp_runs_1x1(const sp_layout *l, int co, unsigned inner) {
    memset(sp_runs, 0, inner * sizeof *sp_runs);
    uint32_t e = 0;
    for (int c = 0; c < co; ++c) {
        uint32_t n = l->count[c];
        n = n < l->nnz - e ? n : l->nnz - e;
        for (uint32_t j = e; j < e + n; ++j) {
            const unsigned i = l->index[j];
            if ((j == e || l->index[j - 1] != i) && i < inner) {
                ++sp_runs[(i & ~15u) + ((i & 1u) << 3) + ((i & 15u) >> 1)];
            }
        }
        e += n;
    }
}

static int conv_sparse_1x1_fast(const sp_layout *l, const ku_window *g, const int8_t *input, int begin,
                                int co, const int32_t *p, int act, const sp_act *act_args, uint32_t exec,
                                edla_counters *counters, int8_t *out) {
    const size_t pixels = (size_t)ku_window_pixels(g), weights = (size_t)co * (size_t)g->in_c;
    if (g->k_h != 1 || g->k_w != 1 || g->stride_h != 1 || g->stride_w != 1 || g->in_h != g->out_h ||
        g->in_w != g->out_w || g->in_c > SP_FAST_INNER || co > SP_FAST_CO) {
        return 0;
    }
    /* up to 128 input channels in whole blocks (two pixels x four channels per step,
     * mve.c pw_*) and enough pixels to repay the expansion: dense at any density
     * (vww, 6x6x128 at 2-3 %: 158-179K -> 155K; at 3x3 the gathered dots stay ahead) */
    const int pw = g->in_c <= 128 && g->in_c % 16 == 0 && co % 4 == 0 && pixels >= 32;
    int dense = weights <= SP_DENSE_MAX && (pw || 25u * (uint64_t)l->nnz >= weights) &&
                requant_table_ok(l->mult, l->shift, co);
    /* runs <= nnz fit in u16 */
    const int fast_act = act && act_args->block == 1 && pixels <= 0xFFFFu && g->in_c % 16 == 0 &&
                         (dense || l->nnz <= 0xFFFFu);
    dense = dense && edla_fast_sparse_expand(l->count, l->index, l->value, l->nnz, co, (unsigned)g->in_c,
                                             sp_dense, fast_act ? sp_runs : 0);
    if (fast_act && !dense) {
        if (l->nnz > 0xFFFFu) {
            return 0;
        }
        sp_runs_1x1(l, co, (unsigned)g->in_c);
    }
    uint64_t skipped = 0;
    if (fast_act) {
        skipped = edla_fast_sparse_act_1x1(input, pixels, (unsigned)g->in_c, act_args->zp, sp_runs);
    } else if (act) {
        skipped = sp_act_zero(l, act_args, 0);
    }
    edla_exec_count(counters, pixels, weights, exec, skipped);
    ku_channel_op_data d;
    d.input = input;
    d.out = out + begin;
    d.filter = sp_dense;
    d.bias = l->bias;
    d.mult = l->mult;
    d.shift = l->shift;
    d.input_offset = p[CONV_P_INPUT_OFFSET];
    d.output_offset = p[CONV_P_OUTPUT_OFFSET];
    d.act_min = p[CONV_P_ACT_MIN];
    d.act_max = p[CONV_P_ACT_MAX];
    d.c_begin = 0;
    d.c_end = co;
    if (!dense || !edla_fast_conv_2d(&d, g)) {
        conv_sparse_1x1_mve(l, g, input, begin, co, p, out);
    }
    return 1;
}
#endif

static void eval_conv_sparse(const edla_model *model, const edla_op *op, uint8_t *scratch,
                             edla_counters *counters, int depthwise) {
    const int32_t *p = op->p;
    const int32_t k[2] = {p[SPARSE_P_KH], p[SPARSE_P_KW]};
    const int32_t stride[2] = {p[CONV_P_STRIDE_H], p[CONV_P_STRIDE_W]};
    const int32_t dilation[2] = {p[CONV_P_DILATION_H], p[CONV_P_DILATION_W]};
    const int32_t pad[2] = {p[CONV_P_PAD_TOP], p[CONV_P_PAD_LEFT]};
    ku_window g;
    ku_window_init(&g, edla_in(model, op, 0), edla_out(model, op, 0), k, stride, dilation, pad);
    const int begin = (int)p[CONV_P_CHANNEL_BEGIN], co = (int)p[CONV_P_CHANNEL_END] - begin;
    const int taps = g.k_h * g.k_w, inner = depthwise ? 1 : g.in_c;
    const int dm = depthwise ? (int)p[CONV_P_DEPTH_MULTIPLIER] : 1;
    const int act = edla_act_flagged(op);
    const uint32_t block = edla_act_block(model);
    const int8_t *input = (const int8_t *)edla_in_data(model, op, scratch, 0);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    if (p[SPARSE_P_DENSE]) {
        ku_channel_op_data d;
        const int ok = packed_dense_data((const uint8_t *)edla_in_data(model, op, scratch, 1), co, p,
                                         CONV_P_INPUT_OFFSET, CONV_P_OUTPUT_OFFSET, CONV_P_ACT_MIN,
                                         CONV_P_ACT_MAX, depthwise ? input + begin / dm : input,
                                         out + begin, &d);
#if EDLA_MVE_FAST
        { /* the 3x3 depthwise over a padded copy counts the zero points on it (blocks of 1) */
            uint64_t zeros = 0;
            if (ok && depthwise && (!act || block == 1) && edla_mve_depthwise_3x3(&d, &g, dm, act ? &zeros : 0)) {
                edla_act_count(counters, ku_window_pixels(&g) * (uint64_t)co * (uint64_t)taps, zeros);
                return;
            }
        }
#endif
        uint64_t skipped = 0;
        if (act) {
            skipped = depthwise ? edla_act_zero_depthwise(&d, &g, dm, block)
                                : (uint64_t)co * edla_act_zero_conv(&d, &g, block);
        }
        edla_act_count(counters, ku_window_pixels(&g) * (uint64_t)co * (uint64_t)taps * (uint64_t)inner,
                       skipped);
#if EDLA_HOST_FAST
        if (edla_host_run(model, op, input, out)) {
            return; /* prepared at load; counted above */
        }
#endif
        if (ok) {
            eval_conv_packed_dense(&d, &g, depthwise, dm, act);
        }
        return;
    }
    sp_layout l = {0}; /* unread when kept (the counts take the kept runs) */
    const uint32_t *runs = sp_cached_runs(model, op);
    uint32_t exec;
    const int kept = sp_exec_per_unit(model, op, scratch, act, runs, co, taps, &l, &exec);
    const sp_act act_args = {&g, input, depthwise, dm, begin, co, depthwise ? (unsigned)co : (unsigned)g.in_c,
                             (int8_t)(-p[CONV_P_INPUT_OFFSET]), block};
#if EDLA_MVE_FAST
    if (!depthwise && conv_sparse_1x1_fast(&l, &g, input, begin, co, p, act, &act_args, exec, counters, out)) {
        return;
    }
#endif
    edla_exec_count(counters, ku_window_pixels(&g), (uint64_t)co * (uint64_t)taps * (uint64_t)inner, exec,
             act ? sp_act_zero(&l, &act_args, runs) : 0);
#if EDLA_MVE_FAST
    if (!depthwise && taps == 1 && g.in_c <= SP_FAST_INNER && co <= SP_FAST_CO) {
        conv_sparse_1x1_mve(&l, &g, input, begin, co, p, out); /* counted above */
        return;
    }
#endif
#if EDLA_HOST_FAST
    if (edla_host_run(model, op, input, out)) {
        return; /* prepared at load (the same sums over the expanded dense filter); counted above */
    }
#endif
    if (kept) { /* a prepared layer the fast loops declined: its copy was made (host_plan.c) */
        sp_op_layout(model, op, scratch, co, taps, &l);
    }
    conv_sparse_walk(&l, &g, input, begin, co, depthwise, dm, p, act, block, out);
}

edla_status edla_check_conv_2d_sparse(const edla_model *model, const edla_op *op) {
    return check_conv_sparse(model, op, 0);
}

void edla_eval_conv_2d_sparse(const edla_model *model, const edla_op *op, uint8_t *scratch,
                              edla_counters *counters) {
    eval_conv_sparse(model, op, scratch, counters, 0);
}

edla_status edla_check_depthwise_conv_2d_sparse(const edla_model *model, const edla_op *op) {
    return check_conv_sparse(model, op, 1);
}

void edla_eval_depthwise_conv_2d_sparse(const edla_model *model, const edla_op *op,
                                        uint8_t *scratch, edla_counters *counters) {
    eval_conv_sparse(model, op, scratch, counters, 1);
}

/* ---- FULLY_CONNECTED_SPARSE ---------------------------------------------------- */

edla_status edla_check_fully_connected_sparse(const edla_model *model, const edla_op *op) {
    if (op->n_in != 2 || op->n_out != 1 || op->in[0] == EDLA_NO_TENSOR ||
        op->in[1] == EDLA_NO_TENSOR || op->out[0] == EDLA_NO_TENSOR)
        return EDLA_ERR_OP;
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_int8_io_ok(in, out)) return EDLA_ERR_OPERAND;
    const int32_t *p = op->p;
    const int64_t depth = p[SPFC_P_DEPTH], in_elems = ku_elements(in);
    if (depth < 1 || depth > 65535 || in_elems < 1 || in_elems % depth != 0) return EDLA_ERR_PARAM;
    const int64_t rows = in_elems / depth, out_elems = ku_elements(out);
    if (out_elems < 1 || out_elems % rows != 0 || out_elems / rows > INT32_MAX) return EDLA_ERR_PARAM;
    const int64_t out_c = out_elems / rows, begin = p[FC_P_CHANNEL_BEGIN], end = p[FC_P_CHANNEL_END];
    if (begin < 0 || begin >= end || end > out_c) return EDLA_ERR_PARAM;
    if (edla_in(model, op, 1)->dtype != EDLA_INT8 || (edla_in(model, op, 1)->offset & 3u) != 0)
        return EDLA_ERR_OPERAND;
    if (p[SPFC_P_DENSE] == 0 && !sp_packed_ok(edla_in(model, op, 1), end - begin, 1))
        return EDLA_ERR_OPERAND;
    if (p[SPFC_P_DENSE] != 0 &&
        (p[SPFC_P_DENSE] != 1 ||
         (uint64_t)edla_in(model, op, 1)->bytes <
             EDLA_SPARSE_HEADER + 12u * (uint64_t)(end - begin) + (uint64_t)(end - begin) * (uint64_t)depth))
        return EDLA_ERR_PARAM;
    if (!ku_input_offset_ok(p[FC_P_INPUT_OFFSET]) || p[FC_P_FILTER_OFFSET] != 0 ||
        !ku_output_offset_ok(p[FC_P_OUTPUT_OFFSET]) || !ku_act_range_ok(p[FC_P_ACT_MIN], p[FC_P_ACT_MAX]))
        return EDLA_ERR_PARAM;
    return EDLA_OK;
}

/* conv_sparse_walk's FC twin: the outputs (sp_fc_act_zero counts the skip). */
static void fc_sparse_walk(const sp_layout *l, const int8_t *input, size_t rows, size_t depth,
                           size_t out_c, int begin, int co, const int32_t *p, int act, uint32_t block,
                           int8_t *output) {
    for (size_t r = 0; r < rows; ++r) {
        const int8_t *x = input + r * depth;
        uint32_t e = 0;
        for (int c = 0; c < co; ++c) {
            uint32_t n = l->count[c];
            n = n < l->nnz - e ? n : l->nnz - e;
            uint32_t acc = 0;
            sp_tap(l, e, n, x, (unsigned)depth, p[FC_P_INPUT_OFFSET], act, block, &acc);
            e += n;
            output[r * out_c + (size_t)(begin + c)] =
                sp_output(l, c, acc, p[FC_P_OUTPUT_OFFSET], p[FC_P_ACT_MIN], p[FC_P_ACT_MAX]);
        }
    }
}

/* sp_act_zero for FC (one tap; a->input rows of a->inner): per block, the runs of
 * all channels x its length x the rows whose block is all the zero point. */
static uint64_t sp_fc_act_zero(const sp_layout *l, const sp_act *a, size_t rows, const uint32_t *cached) {
    const uint32_t blocks = (a->inner + a->block - 1) / a->block;
    uint64_t skipped = 0;
    if (cached && a->block == 1) { /* one activation per block: the runs of the zero ones */
        for (size_t r = 0; r < rows; ++r) {
            const int8_t *x = a->input + r * a->inner;
            for (uint32_t b = 0; b < blocks; ++b) { /* branch-free: vectorises */
                skipped += cached[b] & (0u - (uint32_t)(x[b] == a->zp));
            }
        }
        return skipped;
    }
    for (uint32_t b0 = 0; b0 < blocks; b0 += SP_ACT_BLOCKS) {
        const uint32_t nb = blocks - b0 < SP_ACT_BLOCKS ? blocks - b0 : SP_ACT_BLOCKS;
        uint32_t runs[SP_ACT_BLOCKS] = {0}, q[SP_ACT_BLOCKS] = {0}, any = 0;
        if (cached) {
            memcpy(runs, cached + b0, nb * sizeof *runs);
        } else {
            sp_tap_runs(l, a, 1, 0, b0, nb, runs);
        }
        for (uint32_t i = 0; i < nb; ++i) any |= runs[i];
        if (!any) continue;
        for (size_t r = 0; r < rows; ++r) {
            sp_block_zeros(a, a->input + r * a->inner, b0, nb, q);
        }
        for (uint32_t i = 0; i < nb; ++i) {
            const uint32_t start = (b0 + i) * a->block;
            const uint32_t len = a->inner - start < a->block ? a->inner - start : a->block;
            skipped += (uint64_t)runs[i] * len * q[i];
        }
    }
    return skipped;
}

void edla_eval_fully_connected_sparse(const edla_model *model, const edla_op *op,
                                      uint8_t *scratch, edla_counters *counters) {
    const int32_t *p = op->p;
    const size_t depth = (size_t)p[SPFC_P_DEPTH];
    const size_t in_elems = ku_element_count(edla_in(model, op, 0)), out_elems = ku_element_count(edla_out(model, op, 0));
    const size_t rows = in_elems == depth ? 1 : in_elems / depth; /* one row: no division per op */
    const size_t out_c = rows == 1 ? out_elems : out_elems / rows;
    const int begin = (int)p[FC_P_CHANNEL_BEGIN], co = (int)p[FC_P_CHANNEL_END] - begin;
    const int32_t input_offset = p[FC_P_INPUT_OFFSET];
    const int act = edla_act_flagged(op);
    const uint32_t block = edla_act_block(model);
    const int8_t *input = (const int8_t *)edla_in_data(model, op, scratch, 0);
    int8_t *output = (int8_t *)edla_out_data(model, op, scratch, 0);
    if (p[SPFC_P_DENSE]) {
        ku_channel_op_data d;
        edla_act_count(counters, (uint64_t)rows * (uint64_t)co * depth,
                       act ? (uint64_t)co * edla_act_zero_fc(input, rows, depth, input_offset, block) : 0);
#if EDLA_HOST_FAST
        if (edla_host_run(model, op, input, output)) {
            return; /* prepared at load; counted above */
        }
#endif
        if (!packed_dense_data((const uint8_t *)edla_in_data(model, op, scratch, 1), co, p,
                               FC_P_INPUT_OFFSET, FC_P_OUTPUT_OFFSET, FC_P_ACT_MIN, FC_P_ACT_MAX, input,
                               output + begin, &d)) {
            return;
        }
#if EDLA_FAST_KERNELS
        if (edla_fast_fully_connected(&d, rows, out_c, (int)depth, 0)) {
            return; /* dense outputs; counted above */
        }
#endif
        for (size_t r = 0; r < rows; ++r) {
            for (int oc = 0; oc < co; ++oc) {
                const int8_t *x = input + r * depth, *w = d.filter + (size_t)oc * depth;
                const uint32_t acc = act ? edla_act_dot(x, 1, w, 1, (int)depth, input_offset, 0)
                                         : ku_dot(x, 1, w, 1, (int)depth, input_offset, 0);
                d.out[r * out_c + (size_t)oc] = ku_channel_output(&d, acc, oc);
            }
        }
        return;
    }
    sp_layout l = {0}; /* unread when kept (the counts take the kept runs) */
    const uint32_t *runs = sp_cached_runs(model, op);
    uint32_t exec;
    const int kept = sp_exec_per_unit(model, op, scratch, act, runs, co, 1, &l, &exec);
    const sp_act act_args = {0, input, 0, 1, 0, co, (unsigned)depth, (int8_t)(-input_offset), block};
    edla_exec_count(counters, rows, (uint64_t)co * depth, exec, act ? sp_fc_act_zero(&l, &act_args, rows, runs) : 0);
#if EDLA_HOST_FAST
    if (edla_host_run(model, op, input, output)) {
        return; /* prepared at load (the same sums over the expanded dense filter); counted above */
    }
#endif
    if (kept) { /* a prepared layer the fast loops declined: its copy was made (host_plan.c) */
        sp_op_layout(model, op, scratch, co, 1, &l);
    }
#if EDLA_MVE_FAST
    if (co <= SP_FAST_CO) { /* the dots of conv_sparse_1x1_mve, row by row (depth <= 65535: checked) */
        const int tables_ok = requant_table_ok(l.mult, l.shift, co);
        uint32_t acc[SP_FAST_CO];
        for (size_t r = 0; r < rows; ++r) {
            int8_t *out = output + r * out_c + (size_t)begin;
            edla_fast_sparse_dots(l.count, l.index, l.value, l.nnz, co, (unsigned)depth, input + r * depth,
                                  input_offset, acc);
            if (tables_ok) {
                edla_fast_requant_out(acc, l.bias, l.mult, l.shift, co, p[FC_P_OUTPUT_OFFSET],
                                      p[FC_P_ACT_MIN], p[FC_P_ACT_MAX], out);
                continue;
            }
            for (int c = 0; c < co; ++c) {
                out[c] = sp_output(&l, c, acc[c], p[FC_P_OUTPUT_OFFSET], p[FC_P_ACT_MIN], p[FC_P_ACT_MAX]);
            }
        }
        return;
    }
#endif
    fc_sparse_walk(&l, input, rows, depth, out_c, begin, co, p, act, block, output);
}

/* ---- host: sparse layers as dense ones (host_plan.c) ------------------------ */

#if EDLA_HOST_FAST
int edla_sparse_dense(const edla_op *op, int depthwise, int inner, const uint8_t *packed,
                      uint32_t bytes, int8_t *filter, int32_t *tables) {
    const int fc = op->opcode == EDLA_OP_FULLY_CONNECTED_SPARSE;
    const int32_t *p = op->p;
    const int co = (int)(p[fc ? FC_P_CHANNEL_END : CONV_P_CHANNEL_END] -
                         p[fc ? FC_P_CHANNEL_BEGIN : CONV_P_CHANNEL_BEGIN]);
    const int taps = fc ? 1 : (int)(p[SPARSE_P_KH] * p[SPARSE_P_KW]);
    const size_t n = (size_t)co * (size_t)taps * (size_t)inner;
    if (p[fc ? SPFC_P_DENSE : SPARSE_P_DENSE]) { /* already the dense layout */
        memcpy(tables, packed + EDLA_SPARSE_HEADER, 12u * (size_t)co);
        memcpy(filter, packed + EDLA_SPARSE_HEADER + 12u * (size_t)co, n);
        return requant_table_ok(tables + co, tables + 2 * co, co);
    }
    sp_layout l;
    sp_layout_get(packed, bytes, co, taps, &l);
    memcpy(tables, l.bias, 12u * (size_t)co); /* bias, mult, shift are contiguous */
    if (!requant_table_ok(tables + co, tables + 2 * co, co)) {
        return 0; /* sp_output's fallback for tables no decoder wrote: the sparse loop keeps it */
    }
    memset(filter, 0, n);
    uint32_t e = 0; /* the walk of eval_conv_sparse / the FC loop, entry by entry */
    for (int c = 0; c < co; ++c) {
        for (int t = 0; t < taps; ++t) {
            uint32_t cnt = l.count[c * taps + t];
            cnt = cnt < l.nnz - e ? cnt : l.nnz - e;
            for (uint32_t j = e; j < e + cnt; ++j) {
                const unsigned gi = l.index[j];
                if (gi >= (unsigned)inner || l.value[j] == 0) continue;
                int8_t *w = depthwise ? &filter[(size_t)t * (size_t)co + (size_t)c]
                                      : &filter[((size_t)c * (size_t)taps + (size_t)t) * (size_t)inner + gi];
                if (*w != 0) {
                    return 0; /* a repeated index sums two weights, maybe past int8 */
                }
                *w = l.value[j];
            }
            e += cnt;
        }
    }
    return 1;
}
#endif
