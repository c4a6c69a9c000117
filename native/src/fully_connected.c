/*
 * fully_connected.c - int8 FULLY_CONNECTED, bit-exact with TFLM
 * reference_integer_ops::FullyConnected (per-tensor, filter_offset = -filter
 * zero point) and FullyConnectedPerChannel (filter_offset 0).
 *
 * out[r][oc] = clamp(requant(sum_d (f[oc][d] + filter_offset) *
 *                            (x[r][d] + input_offset) + bias[oc]) + output_offset)
 * with rows = input elements / depth. The int32 accumulator wraps like TFLM's
 * (kept in uint32 to stay defined).
 */
#include "kernels.h"
#include "requant.h"

enum { IN_INPUT, IN_FILTER, IN_BIAS, IN_MULTIPLIER, IN_SHIFT, N_INPUTS };

/* Element count for eval (fits: the loader checked the tensor's byte size). */
static size_t element_count(const edla_tensor *t) {
    size_t n = 1;
    for (unsigned i = 0; i < t->rank; ++i) {
        n *= (size_t)t->dims[i];
    }
    return n;
}

static int64_t elements(const edla_tensor *t) {
    int64_t n = 1;
    for (unsigned i = 0; i < t->rank; ++i) {
        n *= t->dims[i];
    }
    return n;
}

static int dims_positive(const edla_tensor *t) {
    for (unsigned i = 0; i < t->rank; ++i) {
        if (t->dims[i] < 1) {
            return 0;
        }
    }
    return t->rank >= 1;
}

/* A 4-byte aligned int32 constant table of n entries (operand kind, then length). */
static edla_status check_i32_table(const edla_tensor *t, int64_t n) {
    if (t->dtype != EDLA_INT32 || t->location != EDLA_LOC_CONST || (t->offset & 3u) != 0) {
        return EDLA_ERR_OPERAND;
    }
    return elements(t) == n ? EDLA_OK : EDLA_ERR_PARAM;
}

/* sum of (w[i] + w_offset) * (x[i] + x_offset), modulo 2^32 like TFLM's int32 accumulator. */
static inline uint32_t dot_with_offsets(const int8_t *x, const int8_t *w, int n, int32_t x_offset,
                                        int32_t w_offset) {
    uint32_t acc = 0;
    for (int i = 0; i < n; ++i) {
        acc += (uint32_t)((w[i] + w_offset) * (x[i] + x_offset));
    }
    return acc;
}

static void add_macs(edla_counters *counters, uint64_t macs) {
    if (counters != 0) {
        const uint64_t sum = counters->macs + macs;
        counters->macs = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
    }
}

edla_status edla_check_fully_connected(const edla_model *model, const edla_op *op) {
    if (op->n_in != N_INPUTS || op->n_out != 1) {
        return EDLA_ERR_OP;
    }
    if (op->in[IN_INPUT] == EDLA_NO_TENSOR || op->in[IN_FILTER] == EDLA_NO_TENSOR ||
        op->in[IN_MULTIPLIER] == EDLA_NO_TENSOR || op->in[IN_SHIFT] == EDLA_NO_TENSOR ||
        op->out[0] == EDLA_NO_TENSOR) {
        return EDLA_ERR_OPERAND;
    }
    const edla_tensor *in = edla_in(model, op, IN_INPUT);
    const edla_tensor *filter = edla_in(model, op, IN_FILTER);
    const edla_tensor *bias = edla_in(model, op, IN_BIAS);
    const edla_tensor *out = edla_out(model, op, 0);
    if (in->dtype != EDLA_INT8 || out->dtype != EDLA_INT8 || out->location != EDLA_LOC_SCRATCH ||
        filter->dtype != EDLA_INT8 || filter->location != EDLA_LOC_CONST) {
        return EDLA_ERR_OPERAND;
    }
    if (filter->rank != 2 || !dims_positive(filter) || !dims_positive(in) ||
        !dims_positive(out)) {
        return EDLA_ERR_PARAM;
    }
    const int32_t out_c = filter->dims[0];
    const int32_t depth = filter->dims[1];
    const int64_t in_elems = elements(in);
    if (in_elems % depth != 0 || elements(out) != (in_elems / depth) * out_c) {
        return EDLA_ERR_PARAM;
    }
    edla_status st;
    if (bias != 0 && (st = check_i32_table(bias, out_c)) != EDLA_OK) {
        return st;
    }
    const edla_tensor *mult = edla_in(model, op, IN_MULTIPLIER);
    const edla_tensor *shift = edla_in(model, op, IN_SHIFT);
    if ((st = check_i32_table(mult, out_c)) != EDLA_OK ||
        (st = check_i32_table(shift, out_c)) != EDLA_OK) {
        return st;
    }
    /* offsets are negated / plain int8 zero points; they bound every product */
    const int32_t *p = op->p;
    if (p[FC_P_INPUT_OFFSET] < -127 || p[FC_P_INPUT_OFFSET] > 128 ||
        p[FC_P_FILTER_OFFSET] < -127 || p[FC_P_FILTER_OFFSET] > 128 ||
        p[FC_P_OUTPUT_OFFSET] < -128 || p[FC_P_OUTPUT_OFFSET] > 127 ||
        p[FC_P_ACT_MIN] < -128 || p[FC_P_ACT_MAX] > 127 || p[FC_P_ACT_MIN] > p[FC_P_ACT_MAX]) {
        return EDLA_ERR_PARAM;
    }
    if (!requant_table_ok((const int32_t *)(const void *)(model->consts + mult->offset),
                          (const int32_t *)(const void *)(model->consts + shift->offset), out_c)) {
        return EDLA_ERR_PARAM;
    }
    return EDLA_OK;
}

void edla_eval_fully_connected(const edla_model *model, const edla_op *op, uint8_t *scratch,
                               edla_counters *counters) {
    const edla_tensor *filter_t = edla_in(model, op, IN_FILTER);
    const int8_t *input = (const int8_t *)edla_in_data(model, op, scratch, IN_INPUT);
    const int8_t *filter = (const int8_t *)edla_in_data(model, op, scratch, IN_FILTER);
    const int32_t *bias = (const int32_t *)edla_in_data(model, op, scratch, IN_BIAS);
    const int32_t *mult = (const int32_t *)edla_in_data(model, op, scratch, IN_MULTIPLIER);
    const int32_t *shift = (const int32_t *)edla_in_data(model, op, scratch, IN_SHIFT);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);

    const int out_c = (int)filter_t->dims[0];
    const int depth = (int)filter_t->dims[1];
    const size_t rows = element_count(edla_in(model, op, IN_INPUT)) / (size_t)depth;
    const int32_t *p = op->p;
    const int32_t input_offset = p[FC_P_INPUT_OFFSET];
    const int32_t filter_offset = p[FC_P_FILTER_OFFSET];
    const int32_t output_offset = p[FC_P_OUTPUT_OFFSET];
    const int32_t act_min = p[FC_P_ACT_MIN], act_max = p[FC_P_ACT_MAX];

    for (size_t r = 0; r < rows; ++r) {
        const int8_t *x = input + r * (size_t)depth;
        for (int oc = 0; oc < out_c; ++oc) {
            uint32_t acc =
                dot_with_offsets(x, filter + (size_t)oc * (size_t)depth, depth, input_offset,
                                 filter_offset);
            if (bias != 0) {
                acc += (uint32_t)bias[oc];
            }
            *out++ = requantize_to_int8(acc, mult[oc], shift[oc], output_offset, act_min, act_max);
        }
    }
    add_macs(counters, (uint64_t)rows * (uint64_t)out_c * (uint64_t)depth);
}
