"""The native module imports and one call works."""
import zlib

from edge_dla import _native


def test_native_crc_matches_zlib():
    data = bytes(range(256)) * 3
    assert _native.crc32(data) == zlib.crc32(data)
