/*
 * gather.c - int8 GATHER with constant indices, bit-exact with TFLM
 * reference_ops::Gather (batch_dims included).
 *
 * The converter folds the shapes to input [B, O, A, I], indices int32 [B, N]
 * and output [B, O, N, I] (B: batch dims, O: dims before the axis, A: the
 * axis, I: dims after it, N: index count per batch):
 *   out[b][o][n][:] = in[b][o][indices[b][n]][:]
 * Every index is checked once at load (TFLM fails at run time instead).
 */
#include <string.h>

#include "kernel_util.h"

enum { IN_INPUT, IN_INDICES, N_INPUTS };

edla_status edla_check_gather(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_operands(op, N_INPUTS, 0);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, IN_INPUT);
    const edla_tensor *idx = edla_in(model, op, IN_INDICES);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_int8_io_ok(in, out) || idx->dtype != EDLA_INT32 || idx->location != EDLA_LOC_CONST ||
        (idx->offset & 3u) != 0) {
        return EDLA_ERR_OPERAND;
    }
    if (in->rank != 4 || out->rank != 4 || idx->rank != 2 || idx->dims[0] != in->dims[0] ||
        out->dims[0] != in->dims[0] || out->dims[1] != in->dims[1] ||
        out->dims[2] != idx->dims[1] || out->dims[3] != in->dims[3]) {
        return EDLA_ERR_PARAM;
    }
    const int32_t *indices = (const int32_t *)(const void *)(model->consts + idx->offset);
    const size_t n = ku_element_count(idx);
    for (size_t i = 0; i < n; ++i) {
        if (indices[i] < 0 || indices[i] >= in->dims[2]) {
            return EDLA_ERR_PARAM;
        }
    }
    return EDLA_OK;
}

void edla_eval_gather(const edla_model *model, const edla_op *op, uint8_t *scratch,
                      edla_counters *counters) {
    (void)counters; /* data movement: no MACs */
    const edla_tensor *in_t = edla_in(model, op, IN_INPUT);
    const edla_tensor *out_t = edla_out(model, op, 0);
    const int8_t *in = (const int8_t *)edla_in_data(model, op, scratch, IN_INPUT);
    const int32_t *indices = (const int32_t *)edla_in_data(model, op, scratch, IN_INDICES);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const size_t outer = (size_t)in_t->dims[1], axis = (size_t)in_t->dims[2];
    const size_t inner = (size_t)in_t->dims[3], count = (size_t)out_t->dims[2];
    for (size_t b = 0; b < (size_t)in_t->dims[0]; ++b) {
        const int32_t *idx_b = indices + b * count;
        for (size_t o = 0; o < outer; ++o) {
            const int8_t *src = in + (b * outer + o) * axis * inner;
            for (size_t k = 0; k < count; ++k) {
                memmove(out, src + (size_t)idx_b[k] * inner, inner); /* may overlap if hostile */
                out += inner;
            }
        }
    }
}
