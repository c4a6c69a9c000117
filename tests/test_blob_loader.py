"""The C loader refuses every malformed blob with a status, and anything it
accepts runs without touching memory outside the blob and scratchpad.

The exhaustive mutations (every bit flip, every truncation, every table field at
hostile values, CRC fixed up) are in tests/test_blob_mutation.py."""
import struct

import numpy as np
import pytest

import edge_dla
from conftest import model_bytes
from edge_dla import blob as fmt
from edge_dla._native import NativeModel
from edge_dla.errors import BlobError

CAPACITY = 1 << 20


def _load_and_run(blob):
    """Load through the C loader; when accepted, run once on random scratch contents."""
    try:
        model = NativeModel(blob, CAPACITY)
    except BlobError:
        return False
    model.scratch[:] = np.random.default_rng(0).integers(0, 256, model.scratch.size, dtype=np.uint8)
    model.invoke()
    return True


@pytest.fixture(scope="module")
def small_blob():
    return edge_dla.convert(model_bytes("micro_speech_quantized"))


def test_valid_blob_loads(small_blob):
    assert _load_and_run(small_blob)


def test_scratchpad_capacity_is_enforced(small_blob):
    need = fmt.read_header(small_blob).npu["scratchpad_capacity"]
    with pytest.raises(BlobError, match="CONFIG"):
        NativeModel(small_blob, need - 1)


def test_bad_magic_and_version(small_blob):
    blob = bytearray(small_blob)
    blob[0:4] = b"XDLA"
    with pytest.raises(BlobError, match="MAGIC"):
        NativeModel(bytes(blob), CAPACITY)
    # format 1 streams were coded by the old weight coder: refused, never misdecoded
    for major in (fmt.VERSION_MAJOR - 1, fmt.VERSION_MAJOR + 1):
        blob = bytearray(small_blob)
        struct.pack_into("<H", blob, 4, major)
        with pytest.raises(BlobError, match="VERSION"):
            NativeModel(bytes(blob), CAPACITY)


# ---- packed records (format 3) -------------------------------------------------------

def test_packed_records_round_trip_and_extremes(small_blob):
    """unpack(pack(records)) is the identity, field extremes included, and the C loader
    reads the same records back (a blob rebuilt from them runs bit-exactly)."""
    tensors, ops = fmt.unpack_records(small_blob)
    assert fmt.with_records(small_blob, tensors=tensors, ops=ops) == small_blob
    op = list(ops[0])
    op[12:30] = [-(1 << 31), (1 << 31) - 1, -1, 0, 1, 127, -128, 1 << 20] + [0] * 10
    t = fmt.unpack_records(fmt.with_records(small_blob, ops=[tuple(op)] + ops[1:]))[1][0]
    assert list(t) == op
    for bad in (1 << 32, -1):
        with pytest.raises(ValueError):
            fmt.pack_tensor(tensors[0][:8] + (bad,) + tensors[0][9:])


@pytest.mark.parametrize("edit", ["cut", "leftover", "long_varint", "wide_varint"])
def test_packed_section_overruns_and_leftovers_are_refused(small_blob, edit):
    """An op section whose last record runs past its end, that leaves bytes over, or whose
    first varint takes more than 5 bytes or more than 32 bits: refused by the C loader."""
    header = fmt.read_header(small_blob)
    entries = [fmt.SECTION.unpack_from(small_blob, header.header_size + i * fmt.SECTION.size)
               for i in range(header.n_sections)]
    first_op = small_blob[[off for kind, off, _, _ in entries if kind == fmt.SEC_OPS][0]]
    assert first_op < 0x80  # a one-byte opcode, replaced below by longer encodings of it
    change = {"cut": lambda d: d[:-1], "leftover": lambda d: d + b"\x00",
              "long_varint": lambda d: bytes([first_op | 0x80]) + b"\x80\x80\x80\x80\x00" + d[1:],
              "wide_varint": lambda d: bytes([first_op | 0x80]) + b"\x80\x80\x80\x10" + d[1:]}[edit]
    sections = [(kind, change(small_blob[off:off + size]) if kind == fmt.SEC_OPS else small_blob[off:off + size],
                 count) for kind, off, size, count in entries]
    bad = fmt.assemble(fmt.HEADER.unpack_from(small_blob), sections)
    with pytest.raises(BlobError, match="OP"):
        NativeModel(bad, CAPACITY)
