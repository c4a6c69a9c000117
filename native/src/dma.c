/*
 * dma.c - the NPU's DMA command: copy a constant (weights in flash) into the
 * scratchpad, where the MAC array reads it. sim.c counts the bytes and models
 * the transfer as overlapping the previous layer (double-buffered weights).
 */
#include <string.h>

#include "kernels.h"

edla_status edla_check_dma(const edla_model *model, const edla_op *op) {
    if (op->n_in != 1 || op->n_out != 1 || op->in[0] == EDLA_NO_TENSOR) return EDLA_ERR_OP;
    const edla_tensor *src = edla_in(model, op, 0);
    const edla_tensor *dst = edla_out(model, op, 0);
    if (src->location != EDLA_LOC_CONST || dst->location != EDLA_LOC_SCRATCH) return EDLA_ERR_OPERAND;
    return src->bytes == dst->bytes ? EDLA_OK : EDLA_ERR_PARAM;
}

void edla_eval_dma(const edla_model *model, const edla_op *op, uint8_t *scratch,
                   edla_counters *counters) {
    (void)counters; /* sim.c counts the constant operand's bytes for every op */
    memcpy(edla_out_data(model, op, scratch, 0), edla_in_data(model, op, scratch, 0),
           edla_in(model, op, 0)->bytes);
}
