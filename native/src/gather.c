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
#include "kernel_util.h"

enum { IN_INPUT, IN_INDICES, N_INPUTS };

edla_status edla_check_gather(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_int8_operands(model, op, N_INPUTS);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, IN_INPUT);
    const edla_tensor *idx = edla_in(model, op, IN_INDICES);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_is_i32_const(idx)) {
        return EDLA_ERR_OPERAND;
    }
    if (!ku_is_rank4(in) || !ku_is_rank4(out) || idx->rank != 2 || idx->dims[0] != in->dims[0] ||
        out->dims[0] != in->dims[0] || out->dims[1] != in->dims[1] ||
        out->dims[2] != idx->dims[1] || out->dims[3] != in->dims[3]) {
        return EDLA_ERR_PARAM;
    }
    return ku_indices_ok(ku_i32_const(model, idx), ku_element_count(idx), in->dims[2])
               ? EDLA_OK
               : EDLA_ERR_PARAM;
}

void edla_eval_gather(const edla_model *model, const edla_op *op, uint8_t *scratch,
                      edla_counters *counters) {
    (void)counters; /* data movement: no MACs */
    ku_io io;
    ku_io_get(model, op, scratch, &io);
    const int32_t *indices = (const int32_t *)edla_in_data(model, op, scratch, IN_INDICES);
    size_t s[4]; /* input strides: per batch, per outer index, per axis entry (= inner) */
    ku_strides4(io.in_t, s);
    const size_t outer = (size_t)io.in_t->dims[1], count = (size_t)io.out_t->dims[2];
    int8_t *out = io.out;
    for (size_t b = 0; b < (size_t)io.in_t->dims[0]; ++b) {
        const int32_t *idx_b = indices + b * count;
        for (size_t o = 0; o < outer; ++o) {
            out = ku_gather_runs(out, io.in + b * s[0] + o * s[1], idx_b, count, s[2]);
        }
    }
}
