/*
 * host_io.c - whole inferences in one call for the host's Python binding: the
 * inputs copied into the scratchpad, the model run (edla_invoke_cached), the
 * outputs copied out, for one inference or a batch. Each separate step from
 * Python costs about as much as a small model's whole inference.
 */
#include <string.h>

#include "edla.h"

edla_status edla_invoke_batch(const edla_io *io, uint32_t n) {
    if (!io || !io->model || !io->model->header || !io->scratchpad || !io->inputs || !io->outputs)
        return EDLA_ERR_NULL;
    const edla_model *model = io->model;
    const uint32_t n_in = model->header->n_inputs, n_out = model->header->n_outputs;
    for (uint32_t i = 0; i < n_in; i++)
        if (!io->inputs[i]) return EDLA_ERR_NULL;
    for (uint32_t k = 0; k < n; k++) {
        for (uint32_t i = 0; i < n_in; i++) { /* scratch tensors inside the plan (loader) */
            const edla_tensor *t = &model->tensors[model->io[i]];
            memcpy(io->scratchpad + t->offset, (const uint8_t *)io->inputs[i] + (size_t)k * t->bytes, t->bytes);
        }
        const edla_status st = edla_invoke_cached(model, io->scratchpad, io->external, io->cache, io->counters);
        if (st != EDLA_OK) return st;
        for (uint32_t j = 0; j < n_out; j++) {
            const edla_tensor *t = &model->tensors[model->io[n_in + j]];
            if (io->outputs[j])
                memcpy((uint8_t *)io->outputs[j] + (size_t)k * t->bytes, io->scratchpad + t->offset, t->bytes);
        }
    }
    return EDLA_OK;
}

edla_status edla_invoke_io(const edla_io *io) {
    return edla_invoke_batch(io, 1);
}
