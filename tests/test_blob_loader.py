"""The C loader refuses every malformed blob with a status, and anything it
accepts runs without touching memory outside the blob and scratchpad."""
import struct

import numpy as np
import pytest

import edge_dla
from conftest import model_bytes
from edge_dla import blob as fmt
from edge_dla._native import NativeModel
from edge_dla.errors import BlobError

CAPACITY = 1 << 20


def _recrc(blob):
    blob = bytearray(blob)
    struct.pack_into("<I", blob, 12, fmt.crc32(bytes(blob[16:])))
    return bytes(blob)


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


def test_every_truncation_is_refused(small_blob):
    for cut in range(0, len(small_blob) - 1, 7):
        with pytest.raises(BlobError):
            NativeModel(small_blob[:cut], CAPACITY)


def test_every_bit_flip_in_the_header_and_tables_is_refused(small_blob):
    sections = fmt.read_sections(small_blob, fmt.read_header(small_blob))
    const_start = sections[fmt.SEC_CONST][0]
    for pos in range(const_start):
        if pos in (6, 7):  # version_minor: a v1 reader accepts any minor version by design
            continue
        for bit in range(8):
            blob = bytearray(small_blob)
            blob[pos] ^= 1 << bit
            with pytest.raises(BlobError):
                NativeModel(bytes(blob), CAPACITY)


def test_structural_mutations_with_valid_crc(small_blob):
    """Every 32-bit word of header and tables set to hostile values, CRC fixed up."""
    sections = fmt.read_sections(small_blob, fmt.read_header(small_blob))
    end = sections[fmt.SEC_CONST][0]
    size = len(small_blob)
    values = [0, 1, size - 1, size + 1, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFF, 0x10000]
    accepted = refused = 0
    for pos in range(16, end, 4):
        for value in values:
            blob = bytearray(small_blob)
            struct.pack_into("<I", blob, pos, value)
            if _load_and_run(_recrc(blob)):
                accepted += 1
            else:
                refused += 1
    assert refused > accepted  # most hostile values must be caught; the rest ran safely


def test_scratchpad_capacity_is_enforced(small_blob):
    need = fmt.read_header(small_blob).npu["scratchpad_capacity"]
    with pytest.raises(BlobError, match="CONFIG"):
        NativeModel(small_blob, need - 1)


def test_bad_magic_and_version(small_blob):
    blob = bytearray(small_blob)
    blob[0:4] = b"XDLA"
    with pytest.raises(BlobError, match="MAGIC"):
        NativeModel(bytes(blob), CAPACITY)
    blob = bytearray(small_blob)
    struct.pack_into("<H", blob, 4, 2)
    with pytest.raises(BlobError, match="VERSION"):
        NativeModel(bytes(blob), CAPACITY)
