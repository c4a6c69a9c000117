/*
 * pad.c - int8 PAD / PADV2, bit-exact with TFLM reference_ops::Pad.
 *
 * The output is the input placed at offset PAD_P_BEFORE_* in a 4-D box filled
 * with PAD_P_VALUE (TFLM: the output zero point for PAD, the constant for
 * PADV2). Values are moved unchanged; the converter right-aligns shapes to 4-D.
 */
#include <string.h>

#include "kernel_util.h"

edla_status edla_check_pad(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_unary_operands(model, op);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_is_rank4(in) || !ku_is_rank4(out) || !ku_is_int8(op->p[PAD_P_VALUE])) {
        return EDLA_ERR_PARAM;
    }
    for (unsigned d = 0; d < 4; ++d) {
        const int32_t before = op->p[PAD_P_BEFORE_0 + d];
        /* the input box [before, before + in) must lie inside the output */
        if (before < 0 || (int64_t)before + in->dims[d] > out->dims[d]) {
            return EDLA_ERR_PARAM;
        }
    }
    return EDLA_OK;
}

void edla_eval_pad(const edla_model *model, const edla_op *op, uint8_t *scratch,
                   edla_counters *counters) {
    (void)counters; /* data movement: no MACs */
    ku_io io;
    ku_io_get(model, op, scratch, &io);
    const int32_t *id = io.in_t->dims, *before = &op->p[PAD_P_BEFORE_0];
    size_t os[4];
    ku_strides4(io.out_t, os);

    memset(io.out, (int)(int8_t)op->p[PAD_P_VALUE], ku_element_count(io.out_t));
    /* then every input row (innermost dim) goes to its place in the output */
    const size_t base =
        ku_offset3(os, (size_t)before[0], (size_t)before[1], (size_t)before[2]) + (size_t)before[3];
    const int8_t *in = io.in;
    const size_t row = (size_t)id[3];
    for (int32_t i0 = 0; i0 < id[0]; ++i0) {
        for (int32_t i1 = 0; i1 < id[1]; ++i1) {
            for (int32_t i2 = 0; i2 < id[2]; ++i2) {
                const size_t o = base + ku_offset3(os, (size_t)i0, (size_t)i1, (size_t)i2);
                memmove(io.out + o, in, row); /* memmove: a hostile blob may overlap them */
                in += row;
            }
        }
    }
}
