/*
 * fuzz_blob_loader.c - libFuzzer harness for the C core's blob loader and
 * interpreter: edla_model_load, then (when the blob is accepted) binding an
 * exactly-sized weight buffer, edla_invoke and edla_tensor_data on every tensor.
 *
 * The input is a blob. Before loading, the harness rewrites the CRC field
 * (bytes 12..15) to the CRC of the bytes it covers, so that mutations reach
 * the structural checks instead of stopping at EDLA_ERR_CRC (the CRC check
 * itself is covered exhaustively by tests/test_blob_mutation.py). Blob and
 * scratchpad (and the records the loader unpacks) are exactly-sized, 16-byte-aligned heap blocks, so
 * AddressSanitizer reports an access even one byte past either. An accepted
 * model must also leave the blob unchanged.
 *
 * Build: make fuzz-build (clang -fsanitize=fuzzer,address,undefined).
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edla.h"

#define CAPACITY (1u << 20) /* the scratchpad the fuzzed core owns */

static volatile uint8_t touched; /* reads through it cannot be optimised away */

/* Host builds pick portable C, AVX2 or AVX-512 kernels (native/src/host_fast.h); the
 * input chooses, so every path is fuzzed. Weak: absent on cores without fast paths. */
int edla_set_isa(int level) __attribute__((weak));

static void *exact_alloc(size_t n) {
    void *p = 0;
    if (posix_memalign(&p, EDLA_ALIGN, n ? n : 1) != 0) abort();
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *blob = exact_alloc(size);
    memcpy(blob, data, size);
    if (size >= 16) {
        uint32_t total = (uint32_t)blob[8] | (uint32_t)blob[9] << 8 | (uint32_t)blob[10] << 16 |
                         (uint32_t)blob[11] << 24;
        if (total >= 16 && total <= size) {
            uint32_t crc = edla_crc32(0, blob + 16, total - 16u);
            memcpy(blob + 12, &crc, 4); /* the format is little-endian, as is the host */
        }
    }
    uint8_t *pristine = exact_alloc(size);
    memcpy(pristine, blob, size);

    /* the unpacked records, exactly sized: an overrun of them is reported too */
    const size_t records_size = edla_model_records_bytes(blob, size);
    uint8_t *records = exact_alloc(records_size);
    edla_model model;
    if (edla_model_load(&model, blob, size, CAPACITY, records, records_size) == EDLA_OK) {
        const uint32_t need = model.header->scratchpad_required;
        uint8_t *scratch = exact_alloc(need);
        /* scratchpad contents (inputs, stale activations): the input bytes, repeated */
        for (uint32_t i = 0; i < need; i += (uint32_t)size)
            memcpy(scratch + i, data, need - i < size ? need - i : size);
        const uint32_t wneed = model.header->weight_buffer_required;
        uint8_t *wbuf = wneed ? exact_alloc(wneed) : 0; /* staged weights: written before read */
        if (wbuf && edla_model_bind_weight_buffer(&model, wbuf, wneed) != EDLA_OK) abort();
        edla_counters *counters = calloc(model.n_ops ? model.n_ops : 1, sizeof(edla_counters));
        if (!counters) abort();
        /* the last input byte picks the kernels' instruction set (bits 1-2) and whether
         * to pass counters, which are optional (bit 0) */
        if (edla_set_isa) edla_set_isa((data[size - 1] >> 1) % 3);
        if (edla_invoke(&model, scratch, (data[size - 1] & 1) ? 0 : counters) != EDLA_OK) abort();
        for (uint32_t t = 0; t < model.n_tensors; t++) { /* every tensor's first and last byte */
            const volatile uint8_t *p = edla_tensor_data(&model, scratch, t);
            if (!p || model.tensors[t].bytes == 0) abort();
            touched = p[0];
            touched = p[model.tensors[t].bytes - 1];
        }
        if (edla_tensor_data(&model, scratch, model.n_tensors) != 0) abort();
        if (memcmp(blob, pristine, size) != 0) abort(); /* invoke must not write the blob */
        free(counters);
        free(wbuf);
        free(scratch);
    }
    free(records);
    free(pristine);
    free(blob);
    return 0;
}
