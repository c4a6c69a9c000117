/*
 * kernel_util.h - internal helpers shared by the op kernels (conv_2d.c,
 * depthwise_conv_2d.c, fully_connected.c, pool.c, add.c, softmax.c, and the
 * data-movement ops: pad.c, strided_slice.c, transpose.c, resize_*.c,
 * gather.c, concatenation.c; transpose_conv.c).
 *
 * Everything is static inline, allocation-free and C99: check-time shape and
 * parameter validation, eval-time geometry, tap ranges and dot products.
 */
#ifndef EDLA_KERNEL_UTIL_H
#define EDLA_KERNEL_UTIL_H

#include <string.h>

#include "kernels.h"
#include "requant.h"

/* Bound for coordinate arithmetic, so that origin + tap * dilation never overflows an int. */
#define KU_COORD_LIMIT ((int64_t)1 << 30)

/* Operand layout shared by CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (bias optional). */
enum { KU_IN_INPUT, KU_IN_FILTER, KU_IN_BIAS, KU_IN_MULTIPLIER, KU_IN_SHIFT, KU_CHANNEL_OP_INPUTS };

/* ---- check time ----------------------------------------------------------- */

/* Element count for checks, in int64 so that any dims fit without overflow concerns. */
static inline int64_t ku_elements(const edla_tensor *t) {
    int64_t n = 1;
    for (unsigned i = 0; i < t->rank; ++i) {
        n *= t->dims[i];
    }
    return n;
}

/* Element count for eval (fits: the loader checked the tensor's byte size). */
static inline size_t ku_element_count(const edla_tensor *t) {
    size_t n = 1;
    for (unsigned i = 0; i < t->rank; ++i) {
        n *= (size_t)t->dims[i];
    }
    return n;
}

/* NHWC tensor with all dims in [1, KU_COORD_LIMIT]: eval's int coordinates cannot overflow. */
static inline int ku_is_4d(const edla_tensor *t) {
    if (t->rank != 4) {
        return 0;
    }
    for (unsigned i = 0; i < 4; ++i) {
        if (t->dims[i] < 1 || t->dims[i] > KU_COORD_LIMIT) {
            return 0;
        }
    }
    return 1;
}

/* Every kernel first checks its operand count (EDLA_ERR_OP), then that all
 * inputs not flagged in the optional bit mask and the single output are present. */
static inline edla_status ku_check_operands(const edla_op *op, unsigned n_in, unsigned optional) {
    if (op->n_in != n_in || op->n_out != 1) {
        return EDLA_ERR_OP;
    }
    for (unsigned i = 0; i < n_in; ++i) {
        if (op->in[i] == EDLA_NO_TENSOR && ((optional >> i) & 1u) == 0) {
            return EDLA_ERR_OPERAND;
        }
    }
    return op->out[0] == EDLA_NO_TENSOR ? EDLA_ERR_OPERAND : EDLA_OK;
}

/* All kernels read an int8 input and write an int8 output planned in scratch. */
static inline int ku_int8_io_ok(const edla_tensor *in, const edla_tensor *out) {
    return in->dtype == EDLA_INT8 && out->dtype == EDLA_INT8 && out->location == EDLA_LOC_SCRATCH;
}

/* Operand checks of the ops with n_in required inputs whose data input (0) and
 * output are int8; the op checks its other inputs' kinds itself. */
static inline edla_status ku_check_int8_operands(const edla_model *model, const edla_op *op,
                                                 unsigned n_in) {
    const edla_status st = ku_check_operands(op, n_in, 0);
    if (st != EDLA_OK) {
        return st;
    }
    return ku_int8_io_ok(edla_in(model, op, 0), edla_out(model, op, 0)) ? EDLA_OK
                                                                        : EDLA_ERR_OPERAND;
}

/* Operand checks of the single-input ops (pooling, softmax, pad, slice, ...): one int8 input, one int8 output. */
static inline edla_status ku_check_unary_operands(const edla_model *model, const edla_op *op) {
    return ku_check_int8_operands(model, op, 1);
}

/* An int32 constant that check time reads in place, so it must be 4-byte aligned. */
static inline int ku_is_i32_const(const edla_tensor *t) {
    return t->dtype == EDLA_INT32 && t->location == EDLA_LOC_CONST && (t->offset & 3u) == 0;
}

/* Check-time view of a ku_is_i32_const tensor's entries (eval uses edla_in_data). */
static inline const int32_t *ku_i32_const(const edla_model *model, const edla_tensor *t) {
    return (const int32_t *)(const void *)(model->consts + t->offset);
}

/* Index tables (gather indices, resize maps) are checked once at load: every
 * entry in [0, limit), so eval can index with them unchecked. */
static inline int ku_indices_ok(const int32_t *idx, size_t n, int32_t limit) {
    for (size_t i = 0; i < n; ++i) {
        if (idx[i] < 0 || idx[i] >= limit) {
            return 0;
        }
    }
    return 1;
}

/* A 4-byte aligned int32 constant table of n entries (operand kind, then length). */
static inline edla_status ku_check_i32_table(const edla_tensor *t, int64_t n) {
    if (!ku_is_i32_const(t)) {
        return EDLA_ERR_OPERAND;
    }
    return ku_elements(t) == n ? EDLA_OK : EDLA_ERR_PARAM;
}

/* Operand count/presence and kinds shared by conv, depthwise conv and fully
 * connected: int8 input/output and an int8 constant filter. */
static inline edla_status ku_check_channel_op_operands(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_operands(op, KU_CHANNEL_OP_INPUTS, 1u << KU_IN_BIAS);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *filter = edla_in(model, op, KU_IN_FILTER);
    if (!ku_int8_io_ok(edla_in(model, op, KU_IN_INPUT), edla_out(model, op, 0)) ||
        filter->dtype != EDLA_INT8) { /* in flash, or staged into the scratchpad by DMA */
        return EDLA_ERR_OPERAND;
    }
    return EDLA_OK;
}

/* An output-channel chunk [begin, end) of n channels, aligned to `step`
 * (the depth multiplier for depthwise, else 1), holding `filter_channels`. */
static inline int ku_channel_range_ok(int32_t begin, int32_t end, int32_t n, int32_t step,
                                      int32_t filter_channels) {
    return begin >= 0 && begin < end && end <= n && begin % step == 0 && end % step == 0 &&
           end - begin == filter_channels;
}

/* The per-output-channel tables of conv/depthwise/FC (optional bias, requant
 * multiplier and shift), each n int32 entries, with a requant-safe content. */
static inline edla_status ku_check_channel_tables(const edla_model *model, const edla_op *op,
                                                  int32_t n) {
    const edla_tensor *bias = edla_in(model, op, KU_IN_BIAS);
    const edla_tensor *mult = edla_in(model, op, KU_IN_MULTIPLIER);
    const edla_tensor *shift = edla_in(model, op, KU_IN_SHIFT);
    edla_status st;
    if ((bias != 0 && (st = ku_check_i32_table(bias, n)) != EDLA_OK) ||
        (st = ku_check_i32_table(mult, n)) != EDLA_OK ||
        (st = ku_check_i32_table(shift, n)) != EDLA_OK) {
        return st;
    }
    if (!requant_table_ok(ku_i32_const(model, mult), ku_i32_const(model, shift), n)) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

/* Input offsets are negated int8 zero points; this range bounds every product. */
static inline int ku_input_offset_ok(int32_t offset) {
    return offset >= -127 && offset <= 128;
}

/* A value in int8 range: zero points, and constants written to an int8 output (PAD). */
static inline int ku_is_int8(int32_t v) {
    return v >= -128 && v <= 127;
}

/* Output offsets are plain int8 zero points. */
static inline int ku_output_offset_ok(int32_t offset) {
    return ku_is_int8(offset);
}

/* A non-empty int8 activation clamp range. */
static inline int ku_act_range_ok(int32_t act_min, int32_t act_max) {
    return act_min >= -128 && act_max <= 127 && act_min <= act_max;
}

/* Input/output offsets and clamp range of the requantizing conv-like ops
 * (conv, depthwise, transpose conv), checked alike. */
static inline int ku_quant_params_ok(int32_t input_offset, int32_t output_offset, int32_t act_min,
                                     int32_t act_max) {
    return ku_input_offset_ok(input_offset) && ku_output_offset_ok(output_offset) &&
           ku_act_range_ok(act_min, act_max);
}

/* stride, dilation, pad of one spatial axis of a conv or pool window: the pad
 * must stay below the dilated filter extent (as TFLite's SAME/VALID padding
 * always does) and every coordinate eval computes must fit an int. */
static inline int ku_axis_ok(int32_t stride, int32_t dilation, int32_t pad, int32_t taps,
                             int32_t out) {
    if (stride < 1 || dilation < 1 || taps < 1) {
        return 0;
    }
    const int64_t extent = ((int64_t)taps - 1) * dilation + 1;
    return pad >= 0 && pad < extent && ((int64_t)out - 1) * stride + extent < KU_COORD_LIMIT;
}

/* ---- eval time ------------------------------------------------------------ */

/* Clamp to [lo, hi]: the activation / int8 saturation step of several kernels. */
static inline int32_t ku_clamp(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* Counters saturate instead of wrapping. */
static inline void ku_count(uint32_t *counter, uint64_t n) {
    const uint64_t sum = *counter + n;
    *counter = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/* Counters are optional. */
static inline void ku_add_macs(edla_counters *counters, uint64_t macs) {
    if (counters != 0) {
        ku_count(&counters->macs, macs);
    }
}

/* sum of (w[i*w_step] + w_offset) * (x[i*x_step] + x_offset) for i < n, modulo
 * 2^32 like TFLM's int32 accumulator (kept in uint32 to stay defined). */
static inline uint32_t ku_dot(const int8_t *x, size_t x_step, const int8_t *w, size_t w_step,
                              int n, int32_t x_offset, int32_t w_offset) {
    uint32_t acc = 0;
    for (int i = 0; i < n; ++i) {
        acc += (uint32_t)((w[(size_t)i * w_step] + w_offset) * (x[(size_t)i * x_step] + x_offset));
    }
    return acc;
}

/* Filter taps k in [*begin, *end) are those with 0 <= origin + k * dilation < size. */
static inline void ku_tap_range(int origin, int dilation, int taps, int size, int *begin,
                                int *end) {
    const int b = origin < 0 ? (-origin + dilation - 1) / dilation : 0;
    int e = origin < size ? (size - 1 - origin) / dilation + 1 : 0;
    e = e < taps ? e : taps;
    *begin = b < e ? b : e;
    *end = e;
}

/* Sliding-window geometry (NHWC), shared by conv, depthwise conv and pooling. */
typedef struct {
    int batches, in_h, in_w, in_c, out_h, out_w, out_c;
    int k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
    size_t row_stride, batch_stride; /* input elements per row / per batch */
} ku_window;

/* Fills a ku_window from the checked input/output tensors and the window params. */
static inline void ku_window_init(ku_window *g, const edla_tensor *in, const edla_tensor *out,
                                  const int32_t k[2], const int32_t stride[2],
                                  const int32_t dilation[2], const int32_t pad[2]) {
    g->batches = (int)in->dims[0];
    g->in_h = (int)in->dims[1];
    g->in_w = (int)in->dims[2];
    g->in_c = (int)in->dims[3];
    g->out_h = (int)out->dims[1];
    g->out_w = (int)out->dims[2];
    g->out_c = (int)out->dims[3];
    g->k_h = (int)k[0];
    g->k_w = (int)k[1];
    g->stride_h = (int)stride[0];
    g->stride_w = (int)stride[1];
    g->dil_h = (int)dilation[0];
    g->dil_w = (int)dilation[1];
    g->pad_top = (int)pad[0];
    g->pad_left = (int)pad[1];
    g->row_stride = (size_t)g->in_w * (size_t)g->in_c;
    g->batch_stride = (size_t)g->in_h * g->row_stride;
}

/* Walk over the output pixels in NHWC order with each pixel's in-bounds taps,
 * so the window kernels share one loop nest: start, then do { } while (next). */
typedef struct {
    int b, oy, ox;
    int y0, x0;                 /* input coordinates of filter tap (0, 0) */
    int fy_begin, fy_end;       /* in-bounds filter rows */
    int fx_begin, fx_end;       /* in-bounds filter columns */
    const int8_t *in_b;         /* input batch b */
} ku_pixel;

/* Recomputes the row taps of px->oy (once per output row, as the loop nest did). */
static inline void ku_pixel_row(const ku_window *g, ku_pixel *px) {
    px->y0 = px->oy * g->stride_h - g->pad_top;
    ku_tap_range(px->y0, g->dil_h, g->k_h, g->in_h, &px->fy_begin, &px->fy_end);
}

/* Recomputes the column taps of px->ox. */
static inline void ku_pixel_col(const ku_window *g, ku_pixel *px) {
    px->x0 = px->ox * g->stride_w - g->pad_left;
    ku_tap_range(px->x0, g->dil_w, g->k_w, g->in_w, &px->fx_begin, &px->fx_end);
}

/* First output pixel (checked dims are >= 1, so there always is one). */
static inline void ku_pixel_start(const ku_window *g, const int8_t *input, ku_pixel *px) {
    px->b = px->oy = px->ox = 0;
    px->in_b = input;
    ku_pixel_row(g, px);
    ku_pixel_col(g, px);
}

/* Advances to the next output pixel; returns 0 after the last one. */
static inline int ku_pixel_next(const ku_window *g, ku_pixel *px) {
    if (++px->ox == g->out_w) {
        px->ox = 0;
        if (++px->oy == g->out_h) {
            px->oy = 0;
            if (++px->b == g->batches) {
                return 0;
            }
            px->in_b += g->batch_stride;
        }
        ku_pixel_row(g, px);
    }
    ku_pixel_col(g, px);
    return 1;
}

/* Output pixels of a window op, for the MAC counters. */
static inline uint64_t ku_window_pixels(const ku_window *g) {
    return (uint64_t)g->batches * (uint64_t)g->out_h * (uint64_t)g->out_w;
}

/* ---- conv / depthwise conv ------------------------------------------------- */

/* The whole check of CONV_2D (depthwise 0) and DEPTHWISE_CONV_2D (depthwise 1),
 * which differ only in how filter and channel counts must agree. */
static inline edla_status ku_check_conv(const edla_model *model, const edla_op *op, int depthwise) {
    const edla_status st = ku_check_channel_op_operands(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, KU_IN_INPUT);
    const edla_tensor *filter = edla_in(model, op, KU_IN_FILTER);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_is_4d(in) || !ku_is_4d(filter) || !ku_is_4d(out) || in->dims[0] != out->dims[0]) {
        return EDLA_ERR_PARAM;
    }
    const int32_t *p = op->p;
    const int32_t out_c = out->dims[3];
    const int32_t begin = p[CONV_P_CHANNEL_BEGIN], end = p[CONV_P_CHANNEL_END];
    if (depthwise) {
        /* output channel ic * depth_multiplier + m reads input channel ic */
        const int32_t depth_multiplier = p[CONV_P_DEPTH_MULTIPLIER];
        if (depth_multiplier < 1 || (int64_t)in->dims[3] * depth_multiplier != out_c ||
            filter->dims[0] != 1 ||
            !ku_channel_range_ok(begin, end, out_c, depth_multiplier, filter->dims[3])) {
            return EDLA_ERR_PARAM;
        }
    } else if (in->dims[3] != filter->dims[3] ||
               !ku_channel_range_ok(begin, end, out_c, 1, filter->dims[0])) {
        return EDLA_ERR_PARAM;
    }
    const edla_status tables = ku_check_channel_tables(model, op, out_c);
    if (tables != EDLA_OK) {
        return tables;
    }
    if (!ku_axis_ok(p[CONV_P_STRIDE_H], p[CONV_P_DILATION_H], p[CONV_P_PAD_TOP], filter->dims[1],
                    out->dims[1]) ||
        !ku_axis_ok(p[CONV_P_STRIDE_W], p[CONV_P_DILATION_W], p[CONV_P_PAD_LEFT], filter->dims[2],
                    out->dims[2]) ||
        !ku_quant_params_ok(p[CONV_P_INPUT_OFFSET], p[CONV_P_OUTPUT_OFFSET], p[CONV_P_ACT_MIN],
                            p[CONV_P_ACT_MAX])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

/* Operand data of conv/depthwise/FC evals (bias may be null). */
typedef struct {
    const int8_t *input, *filter;
    const int32_t *bias, *mult, *shift;
    int8_t *out;
    int32_t input_offset, output_offset, act_min, act_max;
    int c_begin, c_end; /* the output-channel chunk this op computes; filter holds only it */
} ku_channel_op_data;

/* Resolves the operand pointers and quantization params (p[] indices given,
 * as conv and FC number them differently) of a conv/depthwise/FC op for one eval. */
static inline void ku_channel_op_data_get(const edla_model *model, const edla_op *op,
                                          uint8_t *scratch, unsigned p_input_offset,
                                          unsigned p_output_offset, unsigned p_act_min,
                                          unsigned p_act_max, unsigned p_channel_begin,
                                          ku_channel_op_data *d) {
    d->c_begin = (int)op->p[p_channel_begin];
    d->c_end = (int)op->p[p_channel_begin + 1];
    d->input_offset = op->p[p_input_offset];
    d->output_offset = op->p[p_output_offset];
    d->act_min = op->p[p_act_min];
    d->act_max = op->p[p_act_max];
    d->input = (const int8_t *)edla_in_data(model, op, scratch, KU_IN_INPUT);
    d->filter = (const int8_t *)edla_in_data(model, op, scratch, KU_IN_FILTER);
    d->bias = (const int32_t *)edla_in_data(model, op, scratch, KU_IN_BIAS);
    d->mult = (const int32_t *)edla_in_data(model, op, scratch, KU_IN_MULTIPLIER);
    d->shift = (const int32_t *)edla_in_data(model, op, scratch, KU_IN_SHIFT);
    d->out = (int8_t *)edla_out_data(model, op, scratch, 0);
}

/* Eval setup of conv/depthwise: operand data, CONV_P_* quantization params and the window. */
static inline void ku_conv_setup(const edla_model *model, const edla_op *op, uint8_t *scratch,
                                 ku_channel_op_data *d, ku_window *g) {
    ku_channel_op_data_get(model, op, scratch, CONV_P_INPUT_OFFSET, CONV_P_OUTPUT_OFFSET,
                           CONV_P_ACT_MIN, CONV_P_ACT_MAX, CONV_P_CHANNEL_BEGIN, d);
    const edla_tensor *filter = edla_in(model, op, KU_IN_FILTER);
    const int32_t *p = op->p;
    const int32_t stride[2] = {p[CONV_P_STRIDE_H], p[CONV_P_STRIDE_W]};
    const int32_t dilation[2] = {p[CONV_P_DILATION_H], p[CONV_P_DILATION_W]};
    const int32_t pad[2] = {p[CONV_P_PAD_TOP], p[CONV_P_PAD_LEFT]};
    ku_window_init(g, edla_in(model, op, KU_IN_INPUT), edla_out(model, op, 0), &filter->dims[1],
                   stride, dilation, pad);
}

/* Bias, requantization, output offset and clamp of one output channel: the
 * common epilogue of conv/depthwise/FC. */
static inline int8_t ku_channel_output(const ku_channel_op_data *d, uint32_t acc, int oc) {
    if (d->bias != 0) {
        acc += (uint32_t)d->bias[oc];
    }
    return requantize_to_int8(acc, d->mult[oc], d->shift[oc], d->output_offset, d->act_min,
                              d->act_max);
}

/* ---- element-wise ops with TFLite broadcasting (ADD, MUL, SUB, PRELU, ...) ----- */

/* A requantize() multiplier/shift: Q31 multiplier >= 0, shift in [-31, 31]. */
static inline int ku_requant_ok(int32_t multiplier, int32_t shift) {
    return multiplier >= 0 && shift >= -31 && shift <= 31;
}

/* TFLM's "smaller than one" input/output scaling: shift in [-31, 0]. */
static inline int ku_scale_below_one_ok(int32_t multiplier, int32_t shift) {
    return multiplier >= 0 && shift >= -31 && shift <= 0;
}

/* ADD / SUB / SQUARED_DIFFERENCE input scaling: (x + offset) << left_shift,
 * then a multiplier below one (TFLM MultiplyByQuantizedMultiplierSmallerThanOneExp). */
static inline int32_t ku_scaled_input(int8_t x, int32_t offset, int32_t scale, int32_t multiplier,
                                      int32_t shift) {
    return multiply_by_quantized_multiplier_smaller_than_one((x + offset) * scale, multiplier,
                                                             shift);
}

/* The ADD_P_* input side, offsets and clamp range shared by ADD, SUB and
 * SQUARED_DIFFERENCE; max_left_shift keeps (x + offset) << left_shift in int32. */
static inline int ku_add_params_ok(const int32_t *p, int32_t max_left_shift) {
    return p[ADD_P_LEFT_SHIFT] >= 0 && p[ADD_P_LEFT_SHIFT] <= max_left_shift &&
           ku_input_offset_ok(p[ADD_P_INPUT1_OFFSET]) &&
           ku_input_offset_ok(p[ADD_P_INPUT2_OFFSET]) &&
           ku_scale_below_one_ok(p[ADD_P_INPUT1_MULTIPLIER], p[ADD_P_INPUT1_SHIFT]) &&
           ku_scale_below_one_ok(p[ADD_P_INPUT2_MULTIPLIER], p[ADD_P_INPUT2_SHIFT]) &&
           ku_output_offset_ok(p[ADD_P_OUTPUT_OFFSET]) &&
           ku_act_range_ok(p[ADD_P_ACT_MIN], p[ADD_P_ACT_MAX]);
}

/* Dims right-aligned into 4 (leading 1s), as TFLite extends shapes. */
static inline void ku_extended_dims(const edla_tensor *t, int32_t d[4]) {
    const unsigned lead = 4u - t->rank;
    for (unsigned i = 0; i < 4; ++i) {
        d[i] = i < lead ? 1 : t->dims[i - lead];
    }
}

/* Element strides of an operand over the output's 4 dims; 0 where it broadcasts. */
static inline void ku_broadcast_strides(const edla_tensor *t, size_t s[4]) {
    int32_t d[4];
    ku_extended_dims(t, d);
    size_t stride = 1;
    for (int i = 3; i >= 0; --i) {
        s[i] = d[i] == 1 ? 0 : stride;
        stride *= (size_t)d[i];
    }
}

/* Operands of a two-input int8 op: in 0 and in 1 (ranks 1..4) broadcast to
 * out 0, i.e. each right-aligned dim equals the output's or is 1. */
static inline edla_status ku_check_broadcast_op(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_operands(op, 2, 0);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *a = edla_in(model, op, 0);
    const edla_tensor *b = edla_in(model, op, 1);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_int8_io_ok(a, out) || b->dtype != EDLA_INT8) {
        return EDLA_ERR_OPERAND;
    }
    if (a->rank < 1 || a->rank > 4 || b->rank < 1 || b->rank > 4 || out->rank < 1 ||
        out->rank > 4) {
        return EDLA_ERR_PARAM;
    }
    int32_t da[4], db[4], dout[4];
    ku_extended_dims(a, da);
    ku_extended_dims(b, db);
    ku_extended_dims(out, dout);
    for (unsigned i = 0; i < 4; ++i) {
        if ((da[i] != dout[i] && da[i] != 1) || (db[i] != dout[i] && db[i] != 1)) {
            return EDLA_ERR_PARAM;
        }
    }
    return EDLA_OK;
}

/* One innermost run of a broadcasting op: out[i] = f(a[i * a_step], b[i * b_step]), i < n. */
typedef void (*ku_row_fn)(const int8_t *a, size_t a_step, const int8_t *b, size_t b_step,
                          int8_t *out, size_t n, const int32_t *p);

/* Applies row to every element pair of a checked broadcasting op, in output
 * order. Unbroadcast operands and scalars make one run over everything;
 * otherwise one run per innermost row of the right-aligned 4-D output. */
static inline void ku_broadcast_rows(const edla_model *model, const edla_op *op, uint8_t *scratch,
                                     ku_row_fn row) {
    const edla_tensor *ta = edla_in(model, op, 0);
    const edla_tensor *tb = edla_in(model, op, 1);
    const edla_tensor *tout = edla_out(model, op, 0);
    const int8_t *a = (const int8_t *)edla_in_data(model, op, scratch, 0);
    const int8_t *b = (const int8_t *)edla_in_data(model, op, scratch, 1);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const size_t n = ku_element_count(tout), na = ku_element_count(ta), nb = ku_element_count(tb);
    if ((na == n || na == 1) && (nb == n || nb == 1)) {
        row(a, na == 1 ? 0 : 1, b, nb == 1 ? 0 : 1, out, n, op->p);
        return;
    }
    int32_t d[4];
    size_t sa[4], sb[4];
    ku_extended_dims(tout, d);
    ku_broadcast_strides(ta, sa);
    ku_broadcast_strides(tb, sb);
    for (int32_t i0 = 0; i0 < d[0]; ++i0) {
        for (int32_t i1 = 0; i1 < d[1]; ++i1) {
            for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                row(a + (size_t)i0 * sa[0] + (size_t)i1 * sa[1] + (size_t)i2 * sa[2], sa[3],
                    b + (size_t)i0 * sb[0] + (size_t)i1 * sb[1] + (size_t)i2 * sb[2], sb[3], out,
                    (size_t)d[3], op->p);
                out += d[3];
            }
        }
    }
}

/* ---- data movement (pad, slice, transpose, resize, gather, concat) ------- */

/* Exactly rank 4, dims unchecked (unlike ku_is_4d): the converter right-aligns
 * these ops' shapes to 4-D, and the loader sets unused trailing dims to 1. */
static inline int ku_is_rank4(const edla_tensor *t) {
    return t->rank == 4;
}

/* Resize in/out: NHWC (ku_is_4d) with the same batch and depth; only H and W change. */
static inline int ku_resize_shapes_ok(const edla_tensor *in, const edla_tensor *out) {
    return ku_is_4d(in) && ku_is_4d(out) && in->dims[0] == out->dims[0] &&
           in->dims[3] == out->dims[3];
}

/* Row-major element strides of a rank-4 tensor (s[3] = 1); for NHWC: batch, row, pixel. */
static inline void ku_strides4(const edla_tensor *t, size_t s[4]) {
    s[3] = 1;
    for (int d = 2; d >= 0; --d) {
        s[d] = s[d + 1] * (size_t)t->dims[d + 1];
    }
}

/* Element offset of index (i0, i1, i2, 0) under strides s: a row's start in the 4-D walks. */
static inline size_t ku_offset3(const size_t s[4], size_t i0, size_t i1, size_t i2) {
    return i0 * s[0] + i1 * s[1] + i2 * s[2];
}

/* Input 0 and the output of a data-movement op, with their data for one eval. */
typedef struct {
    const edla_tensor *in_t, *out_t;
    const int8_t *in;
    int8_t *out;
} ku_io;

/* Fills a ku_io: the prologue every data-movement eval shares. */
static inline void ku_io_get(const edla_model *model, const edla_op *op, uint8_t *scratch,
                             ku_io *io) {
    io->in_t = edla_in(model, op, 0);
    io->out_t = edla_out(model, op, 0);
    io->in = (const int8_t *)edla_in_data(model, op, scratch, 0);
    io->out = (int8_t *)edla_out_data(model, op, scratch, 0);
}

/* Copies n runs of run bytes, run k from src + idx[k] * run, one after another
 * to out (GATHER rows, RESIZE_NEAREST_NEIGHBOR pixels); memmove since a hostile
 * blob may overlap them. Returns the end of what it wrote. */
static inline int8_t *ku_gather_runs(int8_t *out, const int8_t *src, const int32_t *idx, size_t n,
                                     size_t run) {
    for (size_t k = 0; k < n; ++k) {
        memmove(out, src + (size_t)idx[k] * run, run);
        out += run;
    }
    return out;
}

#endif /* EDLA_KERNEL_UTIL_H */
