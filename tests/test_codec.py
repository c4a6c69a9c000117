"""The weight-stream coder (native/src/codec.c): lossless round trips on
generated patterns and on every shared model's layers, bounded decoding of
truncated and corrupted streams, and its compression on the shared models."""
import zlib

import numpy as np
import pytest

from conftest import model_bytes
from edge_dla.converter import lower, weights
from edge_dla.converter.tflite_reader import read_tflite

GEOMETRIES = {"none": (0, 0, 0), "fc": (1, 64, 1), "conv3x3": (9, 16, 3), "depthwise3x3": (9, 1, 3),
              "dense_depthwise": (9, 256, 3), "kw_not_dividing": (10, 4, 3), "past_ring": (9, 512, 3)}
EXTREME_TABLES = np.array([[0, -1, 1, 2**31 - 1, -2**31, 123456, -654321, 7],
                           [2**30, 2**31 - 1, 2**30 + 1, 0x595756E6, 0x40000000, 1, 0, 0x7FFFFF80],
                           [-31, 31, 0, -1, 1, -7, -12, 5]], "<i4")


def _rng(case):
    return np.random.default_rng(zlib.crc32(case.encode()))


def _patterns(n, rng):
    w = rng.integers(-128, 128, n).astype(np.int8)
    edges = w.copy()
    edges[: n // 4] = 0
    edges[-(n // 4):] = 0
    single = np.zeros(n, np.int8)
    single[rng.integers(0, n)] = -128
    smooth = np.clip(np.cumsum(rng.integers(-6, 7, n)), -128, 127).astype(np.int8)
    return {
        "all_zero": np.zeros(n, np.int8),
        "no_zero": np.where(w == 0, 1, w).astype(np.int8),
        "single_nonzero": single,
        "zero_blocks_at_edges": edges,
        "extremes": np.where(rng.random(n) < 0.5, -128, 127).astype(np.int8),
        "uniform": w,
        "laplace": np.clip(np.round(rng.laplace(0, 20, n)), -128, 127).astype(np.int8),
        "pruned_80": np.where(rng.random(n) < 0.8, 0, w).astype(np.int8),
        "smooth": smooth,
    }


def _round_trip(tables, w, geometry):
    stream = weights.encode(tables, w, geometry)
    n_tables, table_len = tables.shape if tables.size else (0, 0)
    got_tables, got_w = weights.decode(stream, n_tables, table_len, w.size)
    np.testing.assert_array_equal(got_w, w)
    np.testing.assert_array_equal(got_tables, tables.reshape(n_tables, table_len))
    return stream


@pytest.mark.parametrize("geometry", sorted(GEOMETRIES))
@pytest.mark.parametrize("n", [0, 1, 2, 143, 4608, 70000])
def test_round_trip_patterns(geometry, n):
    rng = _rng(f"{geometry}/{n}")
    for name, w in (_patterns(n, rng) if n >= 4 else {"tiny": rng.integers(-128, 128, n).astype(np.int8)}).items():
        for tables in (np.zeros((0, 0), "<i4"), EXTREME_TABLES, EXTREME_TABLES[1:]):
            _round_trip(tables, w, GEOMETRIES[geometry])


def test_round_trip_random_geometries():
    rng = _rng("geometries")
    for _ in range(200):
        kw = int(rng.integers(1, 6))
        taps, inner = kw * int(rng.integers(1, 6)), int(rng.integers(1, 300))
        rows = int(rng.integers(1, 6))
        w = rng.integers(-128, 128, rows * taps * inner + int(rng.integers(0, 3))).astype(np.int8)
        w[rng.random(w.size) < rng.random()] = 0
        tables = rng.integers(-2**31, 2**31, (int(rng.integers(0, 4)), rows), dtype=np.int64).astype("<i4")
        _round_trip(tables, w, (taps, inner, kw))


def _model_layers(name):
    """SparseWeights of every weighted layer, as the converter lowers them."""
    graph = read_tflite(model_bytes(name))
    lower.apply_rewrites(graph)
    layers, _, _ = lower.lower(graph)
    return [weights._layer_weights(layer, 1)[0] for layer in layers if layer.kind in weights.SPARSE_KINDS]


# Packed-dense streams of all weighted layers (tables and weights; tools/codec_sizes.py):
# the format-1 coder gave 14,152 / 26,240 / 74,975 / 174,294 / 215,828 / 58,514 bytes.
CODED_MAX = {"micro_speech_quantized": 13905, "kws_ref_model": 24771, "pretrainedResnet_quant": 71473,
             "ad01_int8": 169769, "person_detect": 210289, "vww_96_int8": 55322}


def test_model_layers_round_trip_and_size(models_dir):
    for name in CODED_MAX:
        total = 0
        for sw in _model_layers(name):
            tables = np.stack([t for t in (sw.bias, sw.mult, sw.shift) if t is not None])
            total += len(_round_trip(tables, sw.w.reshape(-1), sw.geometry()))
            _round_trip(np.zeros((0, 0), "<i4"), sw.w.reshape(-1), sw.geometry())
        assert total <= CODED_MAX[name], (name, total)


def test_truncated_and_corrupt_streams_stay_bounded():
    rng = _rng("corrupt")
    w = _patterns(3000, rng)["laplace"]
    stream = weights.encode(EXTREME_TABLES, w, (9, 16, 3))
    for cut in range(0, len(stream), 7):  # every prefix decodes to something, inside its bytes
        weights.decode(stream[:cut], 3, EXTREME_TABLES.shape[1], w.size)
    for _ in range(300):
        bad = bytearray(stream)
        for i in rng.integers(0, len(bad), int(rng.integers(1, 8))):
            bad[i] ^= 1 << int(rng.integers(0, 8))
        weights.decode(bytes(bad), 3, EXTREME_TABLES.shape[1], w.size)
    # header fields past 32 bits or absurd geometries decode without neighbours
    for header in (b"\xff\xff\xff\xff\xff\x01\x01", b"\x80" * 20, b"\x09\x80\x80\x80\x80\x10\x03"):
        weights.decode(header + stream[3:], 3, EXTREME_TABLES.shape[1], w.size)
    for rates in (0x00, 0xFF, 0x0F, 0xF0, 0x11):  # clamped: every probability stays inside (0, 1)
        weights.decode(stream[:3] + bytes([rates]) + stream[4:], 3, EXTREME_TABLES.shape[1], w.size)
    for prior in (b"\x00\x00\x00", b"\x01\x01\x01", b"\xff\xff\xff", b"\x00\x80\x02"):  # any prior decodes
        weights.decode(stream[:4] + prior + stream[7:], 3, EXTREME_TABLES.shape[1], w.size)


def test_repeated_tables_cost_little():
    # per-tensor quantization: one multiplier and shift for every channel
    tables = np.stack([np.arange(64, dtype="<i4") * 1000 - 30000, np.full(64, 0x5A0E7788, "<i4"),
                       np.full(64, -7, "<i4")])
    same = len(_round_trip(tables, np.zeros(0, np.int8), (0, 0, 0)))
    varied = tables.copy()
    varied[1] = 0x40000000 + np.arange(64) * 0x00F0F0F1
    assert same + 200 < len(_round_trip(varied, np.zeros(0, np.int8), (0, 0, 0)))


def test_stream_header_and_no_stored_zero_tail():
    w = _patterns(500, _rng("header"))["laplace"]
    stream = weights.encode(EXTREME_TABLES[1:], w, (9, 4, 3))
    assert stream[:3] == bytes([9, 4, 3]) and stream[3] in (0x74, 0xA5, 0xA6)
    assert stream[-1] != 0  # the decoder reads zeros past the end
    long = weights.encode(np.zeros((0, 0), "<i4"), w, (300, 1, 1))  # taps 300: two-byte varint
    assert long[:2] == bytes([300 & 0x7F | 0x80, 300 >> 7])
