/*
 * concatenation.c - int8 CONCATENATION (also PACK), bit-exact with TFLM.
 *
 * The inputs are joined along axis CONCAT_P_AXIS of their 4-D shapes. TFLM's
 * int8 concat copies bytes and accepts only inputs quantized like the output;
 * the TFLite converter puts a QUANTIZE op before any other input. Such an
 * input (bit i of CONCAT_P_REQUANT_MASK) is requantized here the way that
 * QUANTIZE op does (TFLM reference_ops::Requantize):
 *   out = clamp(MultiplyByQuantizedMultiplier(x + input_offset, m, s) + output_offset)
 * Only inputs 0..CONCAT_MAX_REQUANT-1 have parameter slots; the last possible
 * input (5) is always copied.
 */
#include <string.h>

#include "kernel_util.h"

static const int32_t *requant_params(const edla_op *op, unsigned i) {
    return &op->p[CONCAT_P_INPUT0 + 3u * i]; /* input offset, multiplier, shift */
}

edla_status edla_check_concatenation(const edla_model *model, const edla_op *op) {
    if (op->n_in < 1 || op->n_in > EDLA_MAX_OP_INPUTS) {
        return EDLA_ERR_OP;
    }
    const edla_status st = ku_check_operands(op, op->n_in, 0);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *out = edla_out(model, op, 0);
    const int32_t axis = op->p[CONCAT_P_AXIS];
    const uint32_t mask = (uint32_t)op->p[CONCAT_P_REQUANT_MASK];
    if (!ku_is_rank4(out) || axis < 0 || axis > 3 || op->p[CONCAT_P_REQUANT_MASK] < 0 ||
        (mask >> (op->n_in < CONCAT_MAX_REQUANT ? op->n_in : CONCAT_MAX_REQUANT)) != 0 ||
        !ku_output_offset_ok(op->p[CONCAT_P_OUTPUT_OFFSET])) {
        return EDLA_ERR_PARAM;
    }
    int64_t total = 0;
    for (unsigned i = 0; i < op->n_in; ++i) {
        const edla_tensor *in = edla_in(model, op, i);
        if (!ku_int8_io_ok(in, out)) {
            return EDLA_ERR_OPERAND;
        }
        if (!ku_is_rank4(in)) {
            return EDLA_ERR_PARAM;
        }
        for (int32_t d = 0; d < 4; ++d) {
            if (d != axis && in->dims[d] != out->dims[d]) {
                return EDLA_ERR_PARAM;
            }
        }
        total += in->dims[axis];
        if ((mask >> i) & 1u) {
            const int32_t *r = requant_params(op, i);
            if (!ku_input_offset_ok(r[0]) || !ku_requant_ok(r[1], r[2])) {
                return EDLA_ERR_PARAM;
            }
        }
    }
    return total == out->dims[axis] ? EDLA_OK : EDLA_ERR_PARAM;
}

void edla_eval_concatenation(const edla_model *model, const edla_op *op, uint8_t *scratch,
                             edla_counters *counters) {
    (void)counters; /* data movement: no MACs */
    const edla_tensor *out_t = edla_out(model, op, 0);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const int32_t axis = op->p[CONCAT_P_AXIS];
    const int32_t output_offset = op->p[CONCAT_P_OUTPUT_OFFSET];
    const uint32_t mask = (uint32_t)op->p[CONCAT_P_REQUANT_MASK];
    size_t s[4];
    ku_strides4(out_t, s);
    const size_t inner = s[axis]; /* elements per index of the axis */
    size_t outer = 1;
    for (int32_t d = 0; d < axis; ++d) {
        outer *= (size_t)out_t->dims[d];
    }
    for (size_t k = 0; k < outer; ++k) {
        for (unsigned i = 0; i < op->n_in; ++i) {
            const size_t n = (size_t)edla_in(model, op, i)->dims[axis] * inner;
            const int8_t *src = (const int8_t *)edla_in_data(model, op, scratch, i) + k * n;
            if ((mask >> i) & 1u) {
                const int32_t *r = requant_params(op, i);
                for (size_t j = 0; j < n; ++j) {
                    out[j] = (int8_t)ku_clamp(
                        wrapping_add(requantize(src[j] + r[0], r[1], r[2]), output_offset), -128, 127);
                }
            } else {
                memmove(out, src, n); /* memmove: a hostile blob may overlap them */
            }
            out += n;
        }
    }
}
