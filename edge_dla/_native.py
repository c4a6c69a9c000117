"""The only module that touches the cffi extension: status codes become
exceptions, numpy arrays become buffers."""
import functools
import os

import numpy as np

from .errors import BlobError

try:
    from ._edla_native import ffi, lib
except ImportError as exc:  # pragma: no cover - a broken install, not a user error
    raise ImportError("edge_dla's native core is not built: run `pip install -e .` in the repository") from exc

STATUS_MESSAGES = {
    "NULL": "internal error: null pointer",
    "ALIGN": "blob or scratchpad is not 16-byte aligned",
    "TRUNCATED": "blob is truncated",
    "MAGIC": "not an edge_dla blob (bad magic)",
    "VERSION": "blob format version not supported by this core",
    "CRC": "blob is corrupted (CRC32 mismatch)",
    "SECTION": "blob section table is invalid (bounds, alignment or missing section)",
    "TENSOR": "blob tensor record is invalid (type, shape, size or location)",
    "OP": "blob op record is invalid (unknown op code or operand count)",
    "OPERAND": "blob op refers to an invalid tensor",
    "PARAM": "blob op has invalid parameters or shapes",
    "SCRATCH": "blob plan does not fit the scratchpad",
    "CONFIG": "blob was built for an NPU configuration this core cannot honour",
    "IO": "blob input/output table is invalid",
    "MEMORY": "internal error: too little memory given for the blob's records",
}

COUNTER_DTYPE = np.dtype([("macs", "<u4"), ("macs_skipped", "<u4"), ("dma_bytes", "<u4"), ("cycles", "<u4"),
                          ("macs_skipped_act", "<u4")])
assert COUNTER_DTYPE.itemsize == ffi.sizeof("edla_counters")


ISA_NAMES = {0: "portable", 1: "avx2", 2: "avx512_vnni", 3: "avx512_vbmi"}
_isa_level = 0


def set_isa(level):
    """Caps the host kernels' instruction set (0 portable C, 1 AVX2, 2 AVX-512
    VNNI, 3 AVX-512 VNNI + VBMI; None: the best this CPU has). Returns the level
    now in effect."""
    global _isa_level
    _isa_level = lib.edla_set_isa(-1 if level is None else int(level))
    return _isa_level


def isa():
    """Name of the instruction set the host kernels use."""
    return ISA_NAMES.get(_isa_level, str(_isa_level))


def isa_levels():
    """The host kernel levels this CPU has (each a path tests compare), the level in
    effect left as it was."""
    previous = _isa_level
    levels = sorted({set_isa(level) for level in ISA_NAMES})
    set_isa(previous)
    return levels


# EDLA_FORCE_PORTABLE=1 runs the portable C kernels only (read once, at import).
set_isa(0 if os.environ.get("EDLA_FORCE_PORTABLE", "") not in ("", "0") else None)


def status_name(status):
    return ffi.string(lib.edla_status_name(status)).decode()


def _check(status, what):
    if status != lib.EDLA_OK:
        name = status_name(status)
        raise BlobError(f"{what}: {STATUS_MESSAGES.get(name, name)} [{name}]", name)


def _aligned(nbytes):
    """A zeroed, 16-byte-aligned cffi buffer of nbytes (and the owner keeping it alive)."""
    owner = ffi.new("uint8_t[]", nbytes + 16)
    pad = -int(ffi.cast("uintptr_t", owner)) % 16
    return owner, owner + pad


class NativeModel:
    """A blob validated by the C loader, with its own scratchpad."""

    def __init__(self, blob, scratchpad_capacity, decode_cache=True):
        blob = bytes(blob)
        self._blob_owner, self._blob = _aligned(len(blob))
        ffi.memmove(self._blob, blob, len(blob))
        self._model = ffi.new("edla_model *")
        # the tensor and op records, unpacked by the loader (0 for a malformed blob: refused below)
        records = lib.edla_model_records_bytes(self._blob, len(blob))
        self._records_owner, self._records = _aligned(max(records, 16))
        _check(lib.edla_model_load(self._model, self._blob, len(blob), scratchpad_capacity, self._records, records),
               "blob refused")
        self.n_ops = self._model.n_ops
        size = max(self._scratch_required(blob), 16)
        self._scratch_owner, self._scratch = _aligned(size)
        self.scratch = np.frombuffer(ffi.buffer(self._scratch, size), dtype=np.uint8)
        self._counters = ffi.new("edla_counters[]", max(self.n_ops, 1))
        self.counters = np.frombuffer(ffi.buffer(self._counters), dtype=COUNTER_DTYPE)[:self.n_ops]
        # External memory (DDR) for plans that spill activations out of the scratchpad.
        self._ext_owner, self._ext = _aligned(self._model.ext_required) if self._model.ext_required \
            else (None, ffi.NULL)
        # The NPU weight buffer that staged (decoded) weights live in, apart from the scratchpad.
        wbuf = self._weight_buffer_required(blob)
        self._wbuf_owner, self._wbuf = _aligned(wbuf) if wbuf else (None, ffi.NULL)
        if wbuf:
            _check(lib.edla_model_bind_weight_buffer(self._model, self._wbuf, wbuf), "blob refused")
        # Compressed weights decode to the same bytes every inference: on the host,
        # decode them once (the counters still model the NPU's decoder).
        cache_bytes = lib.edla_decode_cache_bytes(self._model) if decode_cache else 0
        self._cache_owner, self._cache = (None, ffi.NULL)
        if cache_bytes:
            self._cache_owner, self._cache = _aligned(cache_bytes)
            lib.edla_decode_cache_fill(self._model, self._scratch, self._cache)
        # Host: weights prepared once into the fast kernels' layouts (the model
        # keeps a pointer to them; freed with the model).
        if lib.edla_host_plan_new(self._model, self._cache) != 0:
            raise MemoryError("edge_dla: no memory to prepare the model's layers")
        self._free_plan = lib.edla_host_plan_free

    def __del__(self):
        model = getattr(self, "_model", None)
        if model is not None and hasattr(self, "_free_plan"):
            self._free_plan(model)

    def prepared(self):
        """Per op, the kind of host fast layout prepared at load (None: its own eval)."""
        kinds = {1: "conv", 2: "depthwise", 3: "fully_connected"}
        return [kinds.get(lib.edla_host_prepared(self._model, i)) for i in range(self.n_ops)]

    @staticmethod
    def _scratch_required(blob):
        return int.from_bytes(blob[20:24], "little")

    @staticmethod
    def _weight_buffer_required(blob):
        return int.from_bytes(blob[68:72], "little")  # edla_header.weight_buffer_required

    def invoke(self, _invoke=lib.edla_invoke_cached):
        status = _invoke(self._model, self._scratch, self._ext, self._cache, self._counters)
        if status:  # EDLA_OK is 0
            _check(status, "invoke failed")

    def bind_io(self, n_inputs, outputs):
        """One C call per inference (io_invoker): the inputs are read from the arrays
        given to set_input, the outputs written into `outputs` (C-contiguous arrays
        of the model's output sizes, in I/O order)."""
        self._inputs = [None] * n_inputs
        self._in_ptrs = ffi.new("void *[]", max(n_inputs, 1))
        self._outputs = list(outputs)
        self._out_ptrs = ffi.new("void *[]", [ffi.cast("void *", a.ctypes.data) for a in self._outputs] or 1)
        self._io = self._io_struct(self._in_ptrs, self._out_ptrs)

    def _io_struct(self, in_ptrs, out_ptrs):
        return ffi.new("edla_io *", {"model": self._model, "scratchpad": self._scratch, "external": self._ext,
                                     "cache": self._cache, "counters": self._counters,
                                     "inputs": in_ptrs, "outputs": out_ptrs})

    def set_input(self, position, array):
        """array (C-contiguous, the input's size) is read by each inference until replaced."""
        self._inputs[position] = array
        self._in_ptrs[position] = ffi.cast("void *", array.ctypes.data)

    def io_invoker(self):
        """A no-argument callable running one inference with the bound I/O (edla_invoke_io)
        and returning its status: the Python side of a small model's invoke costs about
        what its C side does, so nothing is looked up per call. Raise with check_status."""
        return functools.partial(lib.edla_invoke_io, self._io)

    @staticmethod
    def check_status(status):
        _check(status, "invoke failed")

    def invoke_batch(self, inputs, outputs, _invoke=lib.edla_invoke_batch):
        """n inferences in one call: inputs / outputs are C-contiguous arrays, one per
        I/O entry, each holding n consecutive tensors; counters: the last inference's."""
        n = len(outputs[0]) if outputs else len(inputs[0])
        in_ptrs = ffi.new("void *[]", [ffi.cast("void *", a.ctypes.data) for a in inputs] or 1)
        out_ptrs = ffi.new("void *[]", [ffi.cast("void *", a.ctypes.data) for a in outputs] or 1)
        status = _invoke(self._io_struct(in_ptrs, out_ptrs), n)
        if status:
            _check(status, "invoke failed")


def requantize(acc, multiplier, shift):
    """The core's requantization (TFLM double rounding), for tests."""
    return lib.edla_requantize(acc, multiplier, shift)


def crc32(data):
    return lib.edla_crc32(0, ffi.from_buffer(bytes(data)), len(data))
