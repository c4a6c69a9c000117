"""The NPU weight buffer: weights staged from flash (DMA, DMA_DECODE) live in the MAC
array's own buffer, planned apart from the scratchpad.

The C loader refuses hostile weight-buffer tensors and headers; the planner keeps the
scratchpad peak and the modelled cycles of the plan without a weight buffer while the
blob shrinks; runs are bit-exact with the weight buffer as without it."""
import struct
import zlib

import numpy as np
import pytest

import edge_dla
from conftest import model_bytes
from edge_dla import blob as fmt
from edge_dla._native import NativeModel, ffi, lib
from edge_dla.errors import BlobError

CAPACITY = 1 << 20
OFF_WBUF_CAPACITY, OFF_WBUF_REQUIRED, OFF_RESERVED = 64, 68, 72  # edla_header


def _recrc(blob):
    blob = bytearray(blob)
    struct.pack_into("<I", blob, 12, zlib.crc32(bytes(blob[16:])) & 0xFFFFFFFF)
    return bytes(blob)


@pytest.fixture(scope="module")
def blob():
    return edge_dla.convert(model_bytes("micro_speech_quantized"))


def _wbuf_tensor(blob):
    """The index of a weight-buffer tensor, and every tensor record."""
    tensors, _ = fmt.unpack_records(blob)
    return next(i for i, t in enumerate(tensors) if t[1] == fmt.LOC_WBUF), tensors


def _refused(blob, status):
    with pytest.raises(BlobError, match=status):
        NativeModel(_recrc(blob), CAPACITY)


def test_blob_uses_the_weight_buffer(blob):
    header = fmt.read_header(blob)
    assert 0 < header.weight_buffer_required <= header.npu["weight_buffer_capacity"] == 16 * 1024
    _wbuf_tensor(blob)  # at least one tensor lives there
    model = NativeModel(blob, CAPACITY)
    model.invoke()


def test_required_beyond_capacity_is_refused(blob):
    b = bytearray(blob)
    struct.pack_into("<I", b, OFF_WBUF_REQUIRED, fmt.read_header(blob).npu["weight_buffer_capacity"] + 16)
    _refused(b, "SCRATCH")


def test_reserved_header_words_must_be_zero(blob):
    b = bytearray(blob)
    struct.pack_into("<I", b, OFF_RESERVED + 4, 1)
    _refused(b, "CONFIG")


@pytest.mark.parametrize("offset,size", [("required", 16), (0xFFFFFFF0, 16), (0, "required+16")])
def test_tensor_beyond_the_buffer_is_refused(blob, offset, size):
    index, tensors = _wbuf_tensor(blob)
    required = fmt.read_header(blob).weight_buffer_required
    offset = required if offset == "required" else offset
    size = required + 16 if size == "required+16" else size
    rec = list(tensors[index])
    rec[2], rec[4:8], rec[8], rec[9] = 1, [size, 1, 1, 1], offset, size  # int8 [size]
    tensors[index] = tuple(rec)
    _refused(fmt.with_records(blob, tensors=tensors), "SCRATCH")


def test_weight_buffer_as_a_wrong_operand_is_refused(blob):
    """Only operand 1 of a weighted layer may read the weight buffer, only a DMA or
    DMA_DECODE from flash may write it."""
    wbuf, _ = _wbuf_tensor(blob)
    ops = fmt.unpack_records(blob)[1]
    weighted = next(k for k, op in enumerate(ops) if op[4] == wbuf and op[0] != 67)  # reads it as in[1]
    producer = next(k for k, op in enumerate(ops) if op[9] == wbuf)  # the DMA / DMA_DECODE filling it
    as_input = list(ops[weighted])
    as_input[3], as_input[4] = wbuf, as_input[3]  # the weight buffer as the activation input
    as_output = list(ops[weighted])
    as_output[9] = wbuf  # a conv writing the weight buffer
    from_scratch = list(ops[producer])
    from_scratch[3] = ops[weighted][3]  # filled from the scratchpad, not flash
    for k, rec, status in [(weighted, as_input, "OPERAND"), (weighted, as_output, "OPERAND"),
                           (producer, from_scratch, "OPERAND")]:
        _refused(fmt.with_records(blob, ops=ops[:k] + [tuple(rec)] + ops[k + 1:]), status)


def test_bind_checks_size_and_alignment_and_invoke_needs_it(blob):
    owner = ffi.new("uint8_t[]", len(blob) + 16)
    base = owner + (-int(ffi.cast("uintptr_t", owner)) % 16)
    ffi.memmove(base, blob, len(blob))
    model = ffi.new("edla_model *")
    records_bytes = lib.edla_model_records_bytes(base, len(blob))
    records_owner = ffi.new("uint8_t[]", records_bytes + 16)
    records = records_owner + (-int(ffi.cast("uintptr_t", records_owner)) % 16)
    assert lib.edla_model_load(model, base, len(blob), CAPACITY, records, records_bytes - 1) == lib.EDLA_ERR_MEMORY
    assert lib.edla_model_load(model, base, len(blob), CAPACITY, records + 4, records_bytes) == lib.EDLA_ERR_ALIGN
    assert lib.edla_model_load(model, base, len(blob), CAPACITY, records, records_bytes) == lib.EDLA_OK
    required = fmt.read_header(blob).weight_buffer_required
    wb_owner = ffi.new("uint8_t[]", required + 32)
    wb = wb_owner + (-int(ffi.cast("uintptr_t", wb_owner)) % 16)
    sp_owner = ffi.new("uint8_t[]", fmt.read_header(blob).scratchpad_required + 16)
    sp = sp_owner + (-int(ffi.cast("uintptr_t", sp_owner)) % 16)
    assert lib.edla_invoke(model, sp, ffi.NULL) == lib.EDLA_ERR_NULL  # no weight buffer bound yet
    assert lib.edla_model_bind_weight_buffer(model, wb, required - 1) == lib.EDLA_ERR_CONFIG
    assert lib.edla_model_bind_weight_buffer(model, wb + 1, required) == lib.EDLA_ERR_ALIGN
    assert lib.edla_model_bind_weight_buffer(model, ffi.NULL, required) == lib.EDLA_ERR_NULL
    assert lib.edla_model_bind_weight_buffer(model, wb, required) == lib.EDLA_OK
    assert lib.edla_invoke(model, sp, ffi.NULL) == lib.EDLA_OK


@pytest.mark.parametrize("name", ["micro_speech_quantized", "kws_ref_model", "ad01_int8"])
def test_scratchpad_peak_and_cycles_do_not_grow(name):
    """Staging into the weight buffer leaves the scratchpad plan as it is without one, the
    modelled cycles do not grow, the blob shrinks, and the outputs are the same bits."""
    data = model_bytes(name)
    # without activation skipping the measured cycles do not depend on the data: estimate == measure
    without = edge_dla.convert(data, weight_buffer_bytes=0, activation_sparsity=False)
    with_ = edge_dla.convert(data, activation_sparsity=False)
    h0, h1 = fmt.read_header(without), fmt.read_header(with_)
    assert h1.scratchpad_required <= h0.scratchpad_required
    assert 0 < h1.weight_buffer_required <= h1.npu["weight_buffer_capacity"]
    assert h0.weight_buffer_required == 0 and h0.npu["weight_buffer_capacity"] == 0
    assert len(with_) < len(without)
    outputs, measured = [], []
    for b in (without, with_):
        model = NativeModel(b, CAPACITY)
        info = fmt.read_blob(b)
        rng = np.random.default_rng(1)
        for i in info["inputs"]:
            t = info["tensors"][i]
            model.scratch[t["offset"]:t["offset"] + t["bytes"]] = rng.integers(0, 256, t["bytes"], dtype=np.uint8)
        model.invoke()
        outputs.append([model.scratch[info["tensors"][o]["offset"]:][:info["tensors"][o]["bytes"]].copy()
                        for o in info["outputs"]])
        measured.append(int(model.counters["cycles"].sum()))
        assert measured[-1] == edge_dla.inspect(b)["plan"]["cycles_estimate"]  # the model is the measure
    assert all(np.array_equal(a, b) for a, b in zip(*outputs))
    assert measured[1] <= measured[0]


def test_inspect_shows_the_weight_buffer(blob):
    info = edge_dla.inspect(blob)
    assert info["weight_buffer_bytes"] == fmt.read_header(blob).weight_buffer_required
    assert info["weight_buffer_capacity"] == 16 * 1024
    assert any(layer.get("weight_buffer") for layer in info["layers"])
