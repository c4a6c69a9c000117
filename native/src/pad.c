/*
 * pad.c - int8 PAD / PADV2, bit-exact with TFLM reference_ops::Pad.
 *
 * The output is the input placed at offset PAD_P_BEFORE_* in a 4-D box filled
 * with PAD_P_VALUE (TFLM: the output zero point for PAD, the constant for
 * PADV2). Values are moved unchanged; the converter right-aligns shapes to 4-D.
 */
#include <string.h>

#include "kernel_util.h"

/* Dims of a rank <= 4 record as 4-D: the loader sets unused trailing dims to 1,
 * and the converter always writes 4-D records for this op. */
static int is_rank4(const edla_tensor *t) {
    return t->rank == 4;
}

edla_status edla_check_pad(const edla_model *model, const edla_op *op) {
    const edla_status st = ku_check_operands(op, 1, 0);
    if (st != EDLA_OK) {
        return st;
    }
    const edla_tensor *in = edla_in(model, op, 0);
    const edla_tensor *out = edla_out(model, op, 0);
    if (!ku_int8_io_ok(in, out)) {
        return EDLA_ERR_OPERAND;
    }
    if (!is_rank4(in) || !is_rank4(out) || op->p[PAD_P_VALUE] < -128 || op->p[PAD_P_VALUE] > 127) {
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
    const edla_tensor *in_t = edla_in(model, op, 0);
    const edla_tensor *out_t = edla_out(model, op, 0);
    const int8_t *in = (const int8_t *)edla_in_data(model, op, scratch, 0);
    int8_t *out = (int8_t *)edla_out_data(model, op, scratch, 0);
    const int32_t *id = in_t->dims, *od = out_t->dims, *before = &op->p[PAD_P_BEFORE_0];

    memset(out, (int)(int8_t)op->p[PAD_P_VALUE], ku_element_count(out_t));
    /* then every input row (innermost dim) goes to its place in the output */
    const size_t row = (size_t)id[3];
    for (int32_t i0 = 0; i0 < id[0]; ++i0) {
        for (int32_t i1 = 0; i1 < id[1]; ++i1) {
            for (int32_t i2 = 0; i2 < id[2]; ++i2) {
                const size_t o = (((size_t)(i0 + before[0]) * (size_t)od[1] + (size_t)(i1 + before[1])) *
                                      (size_t)od[2] + (size_t)(i2 + before[2])) * (size_t)od[3] +
                                 (size_t)before[3];
                memmove(out + o, in, row); /* memmove: a hostile blob may overlap them */
                in += row;
            }
        }
    }
}
