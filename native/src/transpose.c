/*
 * transpose.c - int8 TRANSPOSE, bit-exact with TFLM reference_ops::Transpose.
 *
 * out[i0][i1][i2][i3] = in[...] with out dim d = in dim perm[d]
 * (TRANSPOSE_P_PERM_0..3); shapes are right-aligned to 4-D by the converter.
 * Values are moved unchanged.
 */
#include "kernel_util.h"

edla_status edla_check_transpose(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_unary_operands(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_is_rank4(in) || !ku_is_rank4(out)) {
        return EDLA_ERR_PARAM;
    }
    unsigned seen = 0;
    for (unsigned d = 0; d < 4; ++d) {
        const int32_t p = op->p[TRANSPOSE_P_PERM_0 + d];
        if (p < 0 || p > 3 || (seen >> p) & 1u || out->dims[d] != in->dims[p]) {
            return EDLA_ERR_PARAM;
        }
        seen |= 1u << p;
    }
    return EDLA_OK;
}

void edla_eval_transpose(const edla_model *model, const edla_op *op, uint8_t *scratch,
                         edla_counters *counters) {
    (void)counters; /* data movement: no MACs */
    ku_io io;
    ku_io_get(model, op, scratch, &io);
    size_t in_stride[4], step[4];
    ku_strides4(io.in_t, in_stride);
    for (unsigned d = 0; d < 4; ++d) {
        step[d] = in_stride[op->p[TRANSPOSE_P_PERM_0 + d]]; /* input step of output dim d */
    }
    int8_t *out = io.out;
    const int32_t *od = io.out_t->dims;
    for (int32_t i0 = 0; i0 < od[0]; ++i0) {
        for (int32_t i1 = 0; i1 < od[1]; ++i1) {
            for (int32_t i2 = 0; i2 < od[2]; ++i2) {
                const int8_t *src = io.in + ku_offset3(step, (size_t)i0, (size_t)i1, (size_t)i2);
                for (int32_t i3 = 0; i3 < od[3]; ++i3) {
                    *out++ = src[(size_t)i3 * step[3]];
                }
            }
        }
    }
}
