"""Sparse, packed-dense and compressed weights on the emulated board: decode and
skip logic on generated patterns, board == TFLM == host, same counters."""
import zlib

import numpy as np
import pytest

import edge_dla
from edge_dla.board import protocol as p
from edge_dla.testing import tflite_builder as tb
from test_sparse import _convert_forced, _models, packed_stage, with_pattern

pytestmark = pytest.mark.board


def _packed(model, chunked=False):
    return _convert_forced(model, packed_stage(chunked))[0]


def _on_board_and_host(board, blob):
    """The blob loaded on the board, and a host interpreter of it."""
    board.load(blob, progress=False)
    host = edge_dla.Interpreter(model_content=blob)
    host.allocate_tensors()
    return host


def _agree(board, host, model, inputs):
    """One inference: board == TFLM == host, outputs and every counter; the board's counters."""
    got, want = board.invoke(inputs), tb.run_tflm(model, inputs)
    for d, x in zip(host.get_input_details(), inputs):
        host.set_tensor(d["index"], x)
    host.invoke()
    for k, (y, w) in enumerate(zip(got, want)):
        np.testing.assert_array_equal(y.reshape(w.shape), w)
        np.testing.assert_array_equal(y.reshape(w.shape),
                                      host.get_tensor(host.get_output_details()[k]["index"]).reshape(w.shape))
    assert board.last_counters == [{c: row[c] for c in p.COUNTER_FIELDS} for row in host.profile()["layers"]]
    return board.last_counters


def _check(board, model, blob, rng):
    host = _on_board_and_host(board, blob)
    for _ in range(2):
        _agree(board, host, model, [np.asarray(rng.integers(-128, 128, size=s), d) for s, d in tb.input_shapes(model)])


@pytest.mark.parametrize("form", ["sparse1", "sparse4", "packed", "packed_chunks"])
@pytest.mark.parametrize("pattern", ["all_zero", "single", "edge_blocks", "random_half"])
@pytest.mark.parametrize("kind", ["conv_strided", "depthwise", "fc"])
def test_sparse_weights_on_board(board, kind, pattern, form):
    rng = np.random.default_rng(zlib.crc32(f"board/{kind}/{pattern}/{form}".encode()))
    model = with_pattern(_models(rng)[kind], pattern, rng)
    if form.startswith("packed"):
        blob = _packed(model, chunked=form == "packed_chunks")
    else:
        blob = edge_dla.convert(model, weight_format="sparse", sparsity_block=int(form[-1]))
    _check(board, model, blob, rng)


@pytest.mark.parametrize("form", ["dense", "sparse1", "sparse4", "packed"])
@pytest.mark.parametrize("kind", ["conv_strided", "depthwise", "fc"])
def test_activation_sparsity_on_board(board, kind, form):
    """Zero-point activations skipped (every MAC layer flagged): board == TFLM == host, and
    the same counters, macs_skipped_act included, on inputs full of zero points."""
    from test_act_sparsity import _pattern, flag_mac_ops
    rng = np.random.default_rng(zlib.crc32(f"board-act/{kind}/{form}".encode()))
    zp = -128
    model = tb.conv2d_model(rng, [1, 9, 8, 12], 5, kernel=(3, 2), stride=(2, 2), padding="SAME",
                            input_zero_point=zp) if kind == "conv_strided" else \
        tb.depthwise_model(rng, [1, 8, 7, 6], depth_multiplier=2, input_zero_point=zp) if kind == "depthwise" else \
        tb.fully_connected_model(rng, [2, 24], 10, input_zero_point=zp)
    model = with_pattern(model, "random_half", rng)
    if form == "packed":
        blob = _packed(model)
    elif form == "dense":
        blob = edge_dla.convert(model, weight_format="dense")
    else:
        blob = edge_dla.convert(model, weight_format="sparse", sparsity_block=int(form[-1]))
    host = _on_board_and_host(board, flag_mac_ops(blob))
    (shape, _), = tb.input_shapes(model)
    skipped = 0
    for pattern in ("relu_like", "all_zero", "single", "edge_rows", "none"):
        counters = _agree(board, host, model, [_pattern(shape, zp, pattern, rng)])
        skipped += sum(c["macs_skipped_act"] for c in counters)
    assert skipped > 0


@pytest.mark.parametrize("act", [False, True])
@pytest.mark.parametrize("pattern", ["random_half", "single", "sparse_3pct", "edge_blocks"])
def test_sparse_pointwise_on_board(board, pattern, act):
    """1x1 stride-1 sparse conv, the MVE paths: expanded to dense (4 % of the weights
    or more, or any density with whole 16-channel blocks and >= 32 pixels: 7x5) or
    gathered dots (fewer, all-zero channels: 5x5 pixels), with the activation zeros
    counted per input channel (32 inputs: two 16-channel blocks) or, with 24, the
    portable way; board == TFLM == host, the same counters."""
    from edge_dla.prune import rewrite_weights, weight_buffers
    from test_act_sparsity import _pattern, flag_mac_ops
    rng = np.random.default_rng(zlib.crc32(f"board-pointwise/{pattern}/{act}".encode()))
    zp = -128
    for cin, h in ((32, 7), (32, 5), (24, 7)):
        model = tb.conv2d_model(rng, [1, h, 5, cin], 40, kernel=1, activation="RELU", input_zero_point=zp)
        if pattern == "sparse_3pct":  # below the dense threshold, a few channels all zero
            (b, (_, _, shape)), = weight_buffers(model).items()
            w = rng.integers(-127, 128, size=shape).astype(np.int8)
            w[w == 0] = 1
            w[rng.random(shape) < 0.97] = 0
            w[:3] = 0
            model = rewrite_weights(model, {b: w})
        else:
            model = with_pattern(model, pattern, rng)
        blob = edge_dla.convert(model, weight_format="sparse", sparsity_block=1)
        assert [lay["op"] for lay in edge_dla.inspect(blob)["layers"]].count("CONV_2D_SPARSE") == 1
        host = _on_board_and_host(board, flag_mac_ops(blob) if act else blob)
        (shape, _), = tb.input_shapes(model)
        for x_pattern in ("relu_like", "all_zero", "none"):
            _agree(board, host, model, [_pattern(shape, zp, x_pattern, rng)])


@pytest.mark.parametrize("act", [False, True])
@pytest.mark.parametrize("shape,stride", [([1, 8, 7, 32], 1), ([1, 9, 8, 16], 2), ([1, 6, 9, 8], 1)])
def test_packed_depthwise_3x3_on_board(board, shape, stride, act):
    """Packed-dense 3x3 depthwise (the default format of vww's depthwise layers): the MVE
    kernel over a zero-point-padded copy, counting zero points there when flagged;
    board == TFLM == host, the same counters."""
    from test_act_sparsity import _pattern, flag_mac_ops
    rng = np.random.default_rng(zlib.crc32(f"board-packed-dw/{shape}/{stride}/{act}".encode()))
    zp = -128
    model = tb.depthwise_model(rng, shape, kernel=3, stride=stride, activation="RELU", input_zero_point=zp)
    blob = _packed(model)
    host = _on_board_and_host(board, flag_mac_ops(blob) if act else blob)
    for x_pattern in ("relu_like", "all_zero", "edge_rows", "none"):
        _agree(board, host, model, [_pattern(shape, zp, x_pattern, rng)])
