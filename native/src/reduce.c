/*
 * reduce.c - int8 REDUCE_SUM (TFLite MEAN and SUM) and REDUCE_MAX over any set
 * of axes, bit-exact with TFLM reference_ops::QuantizedMeanOrSum and
 * ReduceGeneric.
 *
 * The input is right-aligned to 4-D; REDUCE_P_AXIS_MASK names the reduced
 * dims. Each output element (kept dims in row-major order, so keep_dims only
 * changes the output's shape record) reduces the box of reduced dims below it.
 * Sums wrap in int32 like TFLM's accumulator; MEAN's 1/n is folded into the
 * multiplier by the converter exactly as TFLM folds it at eval time.
 */
#include "kernel_util.h"

typedef struct {
    int32_t dims[4];  /* input, right-aligned */
    size_t stride[4]; /* input element strides */
    int32_t keep[4];  /* loop extents over kept dims (1 where reduced) */
    int32_t box[4];   /* loop extents over reduced dims (1 where kept) */
} reduce_geometry;

static void geometry(const edla_tensor *in, int32_t mask, reduce_geometry *g) {
    ku_extended_dims(in, g->dims);
    size_t stride = 1;
    for (int d = 3; d >= 0; --d) {
        const int reduced = (mask >> d) & 1;
        g->stride[d] = stride;
        stride *= (size_t)g->dims[d];
        g->keep[d] = reduced ? 1 : g->dims[d];
        g->box[d] = reduced ? g->dims[d] : 1;
    }
}

static edla_status check_reduce(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_operands(op, 1, 0);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_int8_io_ok(in, out)) {
        return EDLA_ERR_OPERAND;
    }
    const int32_t mask = op->p[REDUCE_P_AXIS_MASK];
    if (in->rank < 1 || in->rank > 4 || mask < 0 || mask > 15) {
        return EDLA_ERR_PARAM;
    }
    reduce_geometry g;
    geometry(in, mask, &g);
    int64_t kept = 1;
    for (int d = 0; d < 4; ++d) {
        kept *= g.keep[d];
    }
    return kept == ku_elements(out) ? EDLA_OK : EDLA_ERR_PARAM;
}

edla_status edla_check_reduce_sum(const edla_model *model, const edla_op *op) {
    const edla_status st = check_reduce(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const int32_t *p = op->p;
    if (!ku_output_offset_ok(p[REDUCE_P_INPUT_ZERO_POINT]) ||
        !ku_output_offset_ok(p[REDUCE_P_OUTPUT_ZERO_POINT]) ||
        !ku_requant_ok(p[REDUCE_P_MULTIPLIER], p[REDUCE_P_SHIFT])) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

edla_status edla_check_reduce_max(const edla_model *model, const edla_op *op) {
    return check_reduce(model, op);
}

/* Sum (modulo 2^32, as TFLM's int32 accumulator) or maximum of one box. */
static uint32_t box_sum(const int8_t *x, const reduce_geometry *g) {
    uint32_t acc = 0;
    for (int32_t i0 = 0; i0 < g->box[0]; ++i0) {
        for (int32_t i1 = 0; i1 < g->box[1]; ++i1) {
            for (int32_t i2 = 0; i2 < g->box[2]; ++i2) {
                const int8_t *row = x + (size_t)i0 * g->stride[0] + (size_t)i1 * g->stride[1] +
                                    (size_t)i2 * g->stride[2];
                for (int32_t i3 = 0; i3 < g->box[3]; ++i3) {
                    acc += (uint32_t)(int32_t)row[(size_t)i3 * g->stride[3]];
                }
            }
        }
    }
    return acc;
}

static int8_t box_max(const int8_t *x, const reduce_geometry *g) {
    int8_t m = -128;
    for (int32_t i0 = 0; i0 < g->box[0]; ++i0) {
        for (int32_t i1 = 0; i1 < g->box[1]; ++i1) {
            for (int32_t i2 = 0; i2 < g->box[2]; ++i2) {
                const int8_t *row = x + (size_t)i0 * g->stride[0] + (size_t)i1 * g->stride[1] +
                                    (size_t)i2 * g->stride[2];
                for (int32_t i3 = 0; i3 < g->box[3]; ++i3) {
                    const int8_t v = row[(size_t)i3 * g->stride[3]];
                    m = v > m ? v : m;
                }
            }
        }
    }
    return m;
}

static void eval_reduce(const edla_model *model, const edla_op *op, uint8_t *scratch, int is_max) {
    const int8_t *in = (const int8_t *)edla_in_data(model, op, scratch, 0);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const int32_t *p = op->p;
    reduce_geometry g;
    geometry(edla_in(model, op, 0), p[REDUCE_P_AXIS_MASK], &g);
    /* TFLM subtracts zero_point * n in int64 and truncates to int32: the same modulo 2^32 */
    const uint32_t n = (uint32_t)(g.box[0] * g.box[1]) * (uint32_t)(g.box[2] * g.box[3]);
    const uint32_t zero_point_sum = (uint32_t)p[REDUCE_P_INPUT_ZERO_POINT] * n;
    for (int32_t o0 = 0; o0 < g.keep[0]; ++o0) {
        for (int32_t o1 = 0; o1 < g.keep[1]; ++o1) {
            for (int32_t o2 = 0; o2 < g.keep[2]; ++o2) {
                for (int32_t o3 = 0; o3 < g.keep[3]; ++o3) {
                    const int8_t *box = in + (size_t)o0 * g.stride[0] + (size_t)o1 * g.stride[1] +
                                        (size_t)o2 * g.stride[2] + (size_t)o3 * g.stride[3];
                    if (is_max) {
                        *out++ = box_max(box, &g);
                    } else {
                        const int32_t sum = u32_to_i32(box_sum(box, &g) - zero_point_sum);
                        const int32_t v = requantize(sum, p[REDUCE_P_MULTIPLIER], p[REDUCE_P_SHIFT]) +
                                          p[REDUCE_P_OUTPUT_ZERO_POINT];
                        *out++ = (int8_t)ku_clamp(v, -128, 127);
                    }
                }
            }
        }
    }
}

void edla_eval_reduce_sum(const edla_model *model, const edla_op *op, uint8_t *scratch,
                          edla_counters *counters) {
    (void)counters;
    eval_reduce(model, op, scratch, 0);
}

void edla_eval_reduce_max(const edla_model *model, const edla_op *op, uint8_t *scratch,
                          edla_counters *counters) {
    (void)counters;
    eval_reduce(model, op, scratch, 1);
}
