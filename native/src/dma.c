/*
 * dma.c - the NPU's DMA command. Three directions: flash -> scratchpad or
 * the NPU weight buffer (weights), scratchpad -> external memory (spilling
 * an activation the scratchpad cannot hold for its whole life) and back.
 * sim.c runs it (it alone knows where external memory is), counts the bytes
 * and models the transfer as overlapping the previous layer.
 */
#include <string.h>

#include "kernels.h"

edla_status edla_check_dma(const edla_model *model, const edla_op *op) {
    if (op->n_in != 1 || op->n_out != 1 || op->in[0] == EDLA_NO_TENSOR) return EDLA_ERR_OP;
    const edla_tensor *src = edla_in(model, op, 0);
    const edla_tensor *dst = edla_out(model, op, 0);
    const int from_flash = src->location == EDLA_LOC_CONST &&
                           (dst->location == EDLA_LOC_SCRATCH || dst->location == EDLA_LOC_WBUF);
    const int spill = src->location == EDLA_LOC_SCRATCH && dst->location == EDLA_LOC_EXT;
    const int reload = src->location == EDLA_LOC_EXT && dst->location == EDLA_LOC_SCRATCH;
    if (!from_flash && !spill && !reload) return EDLA_ERR_OPERAND;
    return src->bytes == dst->bytes ? EDLA_OK : EDLA_ERR_PARAM;
}

static uint8_t *location(const edla_model *model, uint32_t index, uint8_t *scratch, uint8_t *ext) {
    const edla_tensor *t = &model->tensors[index];
    return t->location == EDLA_LOC_EXT ? ext + t->offset : (uint8_t *)edla_tensor_data(model, scratch, index);
}

void edla_dma_copy(const edla_model *model, const edla_op *op, uint8_t *scratch, uint8_t *ext) {
    memcpy(location(model, op->out[0], scratch, ext), location(model, op->in[0], scratch, ext),
           edla_in(model, op, 0)->bytes);
}
