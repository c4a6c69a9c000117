"""cffi build script for the edge_dla native core (the only place with a cdef).

Compiles native/src/*.c unchanged into edge_dla._edla_native. Never imports
edge_dla itself.
"""
import os
import sys
from glob import glob

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))

CDEF = """
typedef enum { EDLA_OK, EDLA_ERR_NULL, EDLA_ERR_ALIGN, EDLA_ERR_TRUNCATED, EDLA_ERR_MAGIC,
    EDLA_ERR_VERSION, EDLA_ERR_CRC, EDLA_ERR_SECTION, EDLA_ERR_TENSOR, EDLA_ERR_OP,
    EDLA_ERR_OPERAND, EDLA_ERR_PARAM, EDLA_ERR_SCRATCH, EDLA_ERR_CONFIG, EDLA_ERR_IO, EDLA_ERR_MEMORY, ...
} edla_status;
typedef struct { uint32_t n_tensors; uint32_t n_ops; uint32_t ext_required; ...; } edla_model;
typedef struct {
    uint32_t macs; uint32_t macs_skipped; uint32_t dma_bytes; uint32_t cycles;
    uint32_t macs_skipped_act;
} edla_counters;
uint32_t edla_crc32(uint32_t crc, const void *data, size_t size);
edla_status edla_model_load(edla_model *model, const void *blob, size_t blob_size,
                            uint32_t scratchpad_capacity, void *records, size_t records_size);
size_t edla_model_records_bytes(const void *blob, size_t blob_size);
edla_status edla_model_bind_weight_buffer(edla_model *model, uint8_t *buffer, uint32_t size);
edla_status edla_invoke(const edla_model *model, uint8_t *scratchpad, edla_counters *counters);
edla_status edla_invoke_ext(const edla_model *model, uint8_t *scratchpad, uint8_t *external,
                            edla_counters *counters);
uint32_t edla_decode_cache_bytes(const edla_model *model);
void edla_decode_cache_fill(const edla_model *model, uint8_t *scratchpad, uint8_t *cache);
edla_status edla_invoke_cached(const edla_model *model, uint8_t *scratchpad, uint8_t *external,
                               const uint8_t *cache, edla_counters *counters);
typedef struct {
    const edla_model *model;
    uint8_t *scratchpad;
    uint8_t *external;
    const uint8_t *cache;
    edla_counters *counters;
    const void *const *inputs;
    void *const *outputs;
} edla_io;
edla_status edla_invoke_io(const edla_io *io);
edla_status edla_invoke_batch(const edla_io *io, uint32_t n);
void *edla_tensor_data(const edla_model *model, uint8_t *scratchpad, uint32_t tensor_index);
const char *edla_status_name(edla_status status);
int edla_host_plan_new(edla_model *model, const uint8_t *cache);
void edla_host_plan_free(edla_model *model);
int edla_host_prepared(const edla_model *model, uint32_t op_index);
int edla_host_fused(const edla_model *model, uint32_t op_index);
int32_t edla_requantize(int32_t acc, int32_t multiplier, int32_t shift);
int edla_set_isa(int level);
size_t edla_encode_stream(const int32_t *tables, size_t n_tables, size_t table_len,
                          const int8_t *weights, size_t n, uint32_t taps, uint32_t inner,
                          uint32_t kw, uint8_t *out, size_t cap);
void edla_decode_stream(const uint8_t *stream, size_t size, int32_t *tables, size_t n_tables,
                        size_t table_len, int8_t *weights, size_t n);
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
_sources = sorted(glob(os.path.join(HERE, "src", "*.c")))
_extra = ["-std=c99", "-O3", "-Wall", "-Wextra"]
if os.environ.get("EDLA_SANITIZE"):
    _extra += ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
               "-fno-sanitize-recover=undefined"]
ffibuilder.set_source(
    "edge_dla._edla_native",
    '#include "edla.h"\n#include "host_fast.h"',
    sources=[os.path.relpath(s, os.path.dirname(HERE)) for s in _sources],
    include_dirs=[os.path.join("native", "include"), os.path.join("native", "src")],
    extra_compile_args=_extra,
    extra_link_args=["-fsanitize=address,undefined"] if os.environ.get("EDLA_SANITIZE") else [],
)

if __name__ == "__main__":
    os.chdir(os.path.dirname(HERE))
    sys.exit(ffibuilder.compile(verbose=True) and 0)
