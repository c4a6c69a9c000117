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
