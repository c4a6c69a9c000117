/*
 * host_io.c - whole inferences in one call for the host's Python binding: the
 * inputs copied into the scratchpad, the model run (edla_invoke_cached), the
 * outputs copied out, for one inference or a batch. Each separate step from
 * Python costs about as much as a small model's whole inference.
 */
#include <string.h>

#include "edla.h"

edla_status edla_invoke_batch(const edla_model *model, uint8_t *scratchpad, uint8_t *external,
                              const uint8_t *cache, edla_counters *counters, uint32_t n,
                              const void *const *inputs, void *const *outputs) {
    if (!model || !model->header || !scratchpad || !inputs || !outputs) return EDLA_ERR_NULL;
    const uint32_t n_in = model->header->n_inputs, n_out = model->header->n_outputs;
    for (uint32_t i = 0; i < n_in; i++)
        if (!inputs[i]) return EDLA_ERR_NULL;
    for (uint32_t k = 0; k < n; k++) {
        for (uint32_t i = 0; i < n_in; i++) { /* scratch tensors inside the plan (loader) */
            const edla_tensor *t = &model->tensors[model->io[i]];
            memcpy(scratchpad + t->offset, (const uint8_t *)inputs[i] + (size_t)k * t->bytes, t->bytes);
        }
        const edla_status st = edla_invoke_cached(model, scratchpad, external, cache, counters);
        if (st != EDLA_OK) return st;
        for (uint32_t j = 0; j < n_out; j++) {
            const edla_tensor *t = &model->tensors[model->io[n_in + j]];
            if (outputs[j]) memcpy((uint8_t *)outputs[j] + (size_t)k * t->bytes, scratchpad + t->offset, t->bytes);
        }
    }
    return EDLA_OK;
}

edla_status edla_invoke_io(const edla_model *model, uint8_t *scratchpad, uint8_t *external,
                           const uint8_t *cache, edla_counters *counters, const void *const *inputs,
                           void *const *outputs) {
    return edla_invoke_batch(model, scratchpad, external, cache, counters, 1, inputs, outputs);
}
