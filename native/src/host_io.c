/*
 * host_io.c - one call per inference for the host's Python binding: the inputs
 * copied into the scratchpad, the model run (edla_invoke_cached), the outputs
 * copied out. Each separate step from Python costs about as much as a small
 * model's whole inference.
 */
#include <string.h>

#include "edla.h"

edla_status edla_invoke_io(const edla_model *model, uint8_t *scratchpad, uint8_t *external,
                           const uint8_t *cache, edla_counters *counters, const void *const *inputs,
                           void *const *outputs) {
    if (!model || !model->header || !scratchpad || !inputs || !outputs) return EDLA_ERR_NULL;
    const uint32_t n_in = model->header->n_inputs, n_out = model->header->n_outputs;
    for (uint32_t i = 0; i < n_in; i++)
        if (!inputs[i]) return EDLA_ERR_NULL;
    for (uint32_t i = 0; i < n_in; i++) { /* scratch tensors inside the plan (loader) */
        const edla_tensor *t = &model->tensors[model->io[i]];
        memcpy(scratchpad + t->offset, inputs[i], t->bytes);
    }
    const edla_status st = edla_invoke_cached(model, scratchpad, external, cache, counters);
    if (st != EDLA_OK) return st;
    for (uint32_t i = 0; i < n_out; i++) {
        const edla_tensor *t = &model->tensors[model->io[n_in + i]];
        if (outputs[i]) memcpy(outputs[i], scratchpad + t->offset, t->bytes);
    }
    return EDLA_OK;
}
