"""Every host instruction-set path (portable C, AVX2, AVX-512 VNNI: those this
CPU has) against the golden outputs and the op oracles, and against each other.

The default run uses the best path; EDLA_FORCE_PORTABLE=1 the portable one.
Here each test of test_golden and test_ops_oracle runs once per path.
"""
import numpy as np
import pytest

import edge_dla
from conftest import RUNNABLE, model_bytes
from edge_dla import _native
from edge_dla.oracle import random_inputs

LEVELS = _native.isa_levels()

from test_golden import test_golden  # noqa: E402,F401  (re-run under every path)
from test_ops_oracle import (  # noqa: E402,F401
    test_conv2d, test_conv2d_activations, test_conv2d_sweep, test_depthwise,
    test_depthwise_activations, test_depthwise_sweep, test_fully_connected,
    test_fully_connected_activations, test_add, test_add_activations_zero_points,
    test_add_output_scale_extremes, test_add_sweep, test_pool, test_pool_activations,
    test_pool_sweep)


@pytest.fixture(autouse=True, params=LEVELS, ids=[_native.ISA_NAMES[x] for x in LEVELS])
def isa(request):
    previous = _native._isa_level
    assert _native.set_isa(request.param) == request.param
    yield request.param
    _native.set_isa(previous)


@pytest.mark.parametrize("name", RUNNABLE)
def test_paths_agree(name, isa, models_dir):
    """Random inputs (not only the golden ones): this path == portable C, outputs
    and every counter (activation-sparsity counts included)."""
    blob = edge_dla.convert(model_bytes(name))
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    rng = np.random.default_rng(7)
    for _ in range(4):
        inputs = random_inputs(it.get_input_details(), rng)
        for d, x in zip(it.get_input_details(), inputs):
            it.set_tensor(d["index"], x)
        _native.set_isa(0)
        it.invoke()
        want = [it.get_tensor(d["index"]) for d in it.get_output_details()]
        want_profile = it.profile()
        _native.set_isa(isa)
        it.invoke()
        for d, w in zip(it.get_output_details(), want):
            np.testing.assert_array_equal(it.get_tensor(d["index"]), w)
        assert it.profile() == want_profile


def test_force_portable_env(tmp_path):
    """EDLA_FORCE_PORTABLE=1 is read at import and selects the portable path."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, EDLA_FORCE_PORTABLE="1")
    out = subprocess.run([sys.executable, "-c", "from edge_dla import _native; print(_native.isa())"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == "portable"


# ---- layers prepared at load (host_plan.c, host_x86.c) --------------------------------------
# Sizes the op oracles do not reach: several 16-channel blocks (whole 4-block tiles
# and a remainder), long K, many pixels and batches, FC rows, depthwise channel
# counts with 1..25 channel phases, strides/dilations that split input columns
# into phases, and saturating requantization.

def _prepared_models():
    from edge_dla.testing import tflite_builder as tb
    rng = np.random.default_rng(11)
    saturating = dict(input_scale=0.5, weight_scale_range=(0.5, 2.0), output_scale=1e-4)
    return {
        "conv_7_blocks": tb.conv2d_model(rng, [1, 9, 11, 20], 100, kernel=3),
        "conv_5_blocks_batch2_stride2": tb.conv2d_model(rng, [2, 10, 9, 7], 72, kernel=(3, 2), stride=2,
                                                        activation="RELU6", input_zero_point=-128),
        "conv_1x1_many_pixels": tb.conv2d_model(rng, [1, 13, 17, 24], 40, kernel=1, padding="VALID"),
        "conv_dilation_w": tb.conv2d_model(rng, [1, 12, 12, 8], 33, kernel=3, dilation=(1, 2)),
        "conv_dilation_h_stride3": tb.conv2d_model(rng, [1, 14, 11, 5], 17, kernel=(3, 4), stride=(3, 2),
                                                   dilation=(2, 1), input_zero_point=127),
        "conv_saturating": tb.conv2d_model(rng, [1, 6, 7, 9], 20, kernel=3, **saturating),
        "conv_wide_scales": tb.conv2d_model(rng, [1, 6, 6, 16], 48, kernel=3,
                                            weight_scale_range=(2**-20, 2**3)),
        "dw_64": tb.depthwise_model(rng, [1, 9, 10, 64], kernel=3),
        "dw_96_stride2": tb.depthwise_model(rng, [1, 11, 12, 96], kernel=3, stride=2, activation="RELU"),
        "dw_100_dilation2": tb.depthwise_model(rng, [1, 10, 13, 100], kernel=3, dilation=2),
        "dw_8_batch2_5x5_stride2x3": tb.depthwise_model(rng, [2, 12, 14, 8], kernel=5, stride=(2, 3)),
        "dw_7_valid": tb.depthwise_model(rng, [1, 8, 9, 7], kernel=(2, 3), padding="VALID",
                                         input_zero_point=-128),
        "dw_saturating": tb.depthwise_model(rng, [1, 5, 6, 24], kernel=3, **saturating),
        "dw_one_channel_multiplier8": tb.depthwise_model(rng, [1, 12, 10, 1], depth_multiplier=8,
                                                         kernel=(4, 3), stride=2),
        "dw_multiplier2": tb.depthwise_model(rng, [1, 6, 7, 5], depth_multiplier=2),
        "fc_gemv": tb.fully_connected_model(rng, [1, 333], 70),
        "fc_gemv_two_blocks": tb.fully_connected_model(rng, [1, 97], 27),
        "fc_gemv_one_block": tb.fully_connected_model(rng, [1, 130], 9),
        "fc_rows": tb.fully_connected_model(rng, [13, 50], 129, per_channel=True),
        "fc_saturating": tb.fully_connected_model(rng, [3, 40], 20, **saturating),
        # no border: 1x1 conv (one flat input copy) and strided depthwise whose column
        # phases fill the row exactly (not flat)
        "conv_1x1_batch2_no_border": tb.conv2d_model(rng, [2, 5, 6, 24], 20, kernel=1, padding="VALID"),
        "dw_stride2_no_border": tb.depthwise_model(rng, [1, 3, 8, 16], kernel=(1, 2), stride=2,
                                                   padding="VALID"),
        # one block of 13..16 channels over 16 input channels at stride 1: pixel quads of one
        # row are one 64-byte load (hp_quads_contiguous), quads split by a row end are not
        "conv_16_in_14_out_rows_of_10": tb.conv2d_model(rng, [1, 7, 10, 16], 14, kernel=3),
        "conv_16_in_16_out_left_shift": tb.conv2d_model(rng, [2, 5, 8, 16], 16, kernel=3, **saturating),
        # two channel blocks (12 x 2 tiles), the second of 12, batches, a clamp
        "conv_2_blocks_batch2_stride2_relu": tb.conv2d_model(rng, [2, 9, 10, 12], 28, kernel=3, stride=2,
                                                              activation="RELU"),
        # a last channel block of 1..12 (host_x86.c hp_tile_quads: 4 pixels x 4 channels a
        # register): 3 channel quads with left shifts, an FC of 11 over several rows, filter
        # rows of 1..3 K groups past whole 16-byte chunks, a clamp
        "conv_quads_12_left_shift": tb.conv2d_model(rng, [1, 7, 9, 10], 28, kernel=3, **saturating),
        "fc_quads_rows7_11": tb.fully_connected_model(rng, [7, 37], 11, per_channel=True),
        "conv_quads_6_rows_5_groups_relu6": tb.conv2d_model(rng, [1, 6, 11, 7], 6, kernel=(2, 3),
                                                            activation="RELU6"),
        # 16 channels at stride 2 (4 pixels a step into each column phase), odd widths
        "dw_16_stride2_same_batch2": tb.depthwise_model(rng, [2, 9, 21, 16], kernel=3, stride=2),
        "dw_16_stride2_valid_5x5": tb.depthwise_model(rng, [1, 11, 19, 16], kernel=5, stride=2, padding="VALID"),
        # stride 2 at 8, 16 and 32 channels: rows split by permutes (whole 128-byte steps, then
        # a masked end), pad_left 0 and 1
        "dw_8_stride2_wide_odd": tb.depthwise_model(rng, [1, 7, 47, 8], kernel=3, stride=2),
        "dw_16_stride2_wide": tb.depthwise_model(rng, [1, 5, 50, 16], kernel=3, stride=2, activation="RELU6"),
        "dw_32_stride2_5x5_pad1": tb.depthwise_model(rng, [1, 9, 20, 32], kernel=5, stride=2),
        # row pairs (k_h <= 3, stride_h == dil_h) at k_h 1 and at stride = dilation 2
        "dw_1x3_pairs": tb.depthwise_model(rng, [1, 7, 9, 24], kernel=(1, 3)),
        "dw_stride2_dilation2": tb.depthwise_model(rng, [1, 13, 12, 16], kernel=3, stride=2, dilation=2),
    }


PREPARED = _prepared_models()


def _run_both(blob, inputs, isa):
    """Outputs and counters at this path and at the portable one (same interpreter)."""
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    got = []
    for level in (0, isa):
        _native.set_isa(level)
        outs = []
        for x in inputs:
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            outs.append((it.get_tensor(it.get_output_details()[0]["index"]), it.profile()))
        got.append(outs)
    return it, got


def _assert_same(want, got):
    for (w, wp), (g, gp) in zip(want, got):
        np.testing.assert_array_equal(g, w)
        assert gp == wp


def _against_portable(model, weight_format, isa, rng):
    """Random and extreme inputs through the model's blob in weight_format (sparse:
    half the weights zeroed first): outputs and every counter equal the portable
    path's. Returns the interpreter."""
    from test_sparse import with_pattern
    from edge_dla.testing import tflite_builder as tb
    if weight_format == "sparse":
        model = with_pattern(model, "random_half", rng)
    blob = edge_dla.convert(model, weight_format=weight_format)
    (shape, dtype), = tb.input_shapes(model)
    inputs = [rng.integers(-128, 128, size=shape).astype(dtype), np.full(shape, -128, dtype),
              np.full(shape, 127, dtype)]
    it, (want, got) = _run_both(blob, inputs, isa)
    _assert_same(want, got)
    return it


@pytest.mark.parametrize("weight_format", ["dense", "sparse"])
@pytest.mark.parametrize("name", list(PREPARED))
def test_prepared_layers(name, weight_format, isa):
    """Dense and sparse blobs equal the portable path (_against_portable); at the
    VNNI level the layer really runs prepared."""
    it = _against_portable(PREPARED[name], weight_format, isa, np.random.default_rng(5))
    if isa >= 2:  # AVX-512 VNNI
        kinds = it._native.prepared()
        weighted = [k for k, layer in zip(kinds, it._layers) if "CONV" in layer["op"] or "FULLY" in layer["op"]]
        assert weighted and all(weighted), kinds


# ---- the epilogue's one-floor rounding (host_x86.c hp_round32, ep_round_ok) ------------------
# A layer whose every channel provably keeps |SRDHM(acc)| + 2^(rs-1) below 2^31 rounds in
# one floor. Accumulators at their bound (one weight sign per channel, inputs at x + offset
# = 255), the bias the largest that passes ep_round_ok (or the int32 edge where every bias
# passes) and, in the "over" models, channel 0 one past it (the layer then runs the general
# epilogue); right shifts 1..31, multiplier 1 - 2^-20 (the largest |SRDHM| for an |acc|).

def _conv_at_bound(rs, over, out_c=70):
    import tflite
    from edge_dla.converter.quant import conv_channel_multipliers
    from edge_dla.prune import _buffer_span, rewrite_weights, weight_buffers
    from edge_dla.testing import tflite_builder as tb
    rng = np.random.default_rng(rs)
    ws, s_out = 2.0 ** -7, 2.0 ** -7 / ((1 - 2.0 ** -20) * 2.0 ** -rs)
    model = tb.conv2d_model(rng, [1, 4, 5, 16], out_c, kernel=3, padding="VALID", per_channel=False,
                            input_scale=1.0, input_zero_point=-128, weight_scale_range=(ws, ws),
                            output_scale=s_out, output_zero_point=0)
    (b, (_, _, shape)), = weight_buffers(model).items()
    w = rng.integers(1, 128, size=shape).astype(np.int8)
    w[1::2] *= -1
    model = rewrite_weights(model, {b: w})
    (mult,), (shift,) = conv_channel_multipliers(1.0, [ws], s_out, 1)
    mult = int(mult)
    assert shift == -rs
    reach = 255 * np.abs(w.astype(np.int64)).reshape(out_c, -1).sum(1)
    # largest bound X with ((X * mult + 2^30) >> 31) + 1 + 2^(rs-1) < 2^31, less the weights' reach
    passing = ((2**31 - 2**(rs - 1) - 1) * 2**31 - 2**30 - 1) // mult - reach
    bias = np.minimum(passing + np.where(np.arange(out_c) == 0, int(over), 0), 2**31 - 1 - reach)
    bias *= np.where(np.arange(out_c) % 2, -1, 1)
    tm = tflite.Model.GetRootAs(model, 0)
    sub = tm.Subgraphs(0)
    start, n = _buffer_span(tm, sub.Tensors(sub.Operators(0).Inputs(2)).Buffer())
    out = bytearray(model)
    out[start:start + n] = bias.astype("<i4").tobytes()
    return bytes(out)


@pytest.mark.parametrize("over", [False, True], ids=["at_bound", "over"])
@pytest.mark.parametrize("rs", [1, 2, 17, 24, 31])
def test_epilogue_rounding_bound(rs, over, isa):
    _against_portable(_conv_at_bound(rs, over), "dense", isa, np.random.default_rng(rs))


# ---- ADD over 256+ elements: inputs by table (host_x86.c add_lut_*, AVX-512 VBMI) -------------
# The op oracles' ADDs are smaller. Whole 64-element steps and a tail, every int8 value
# of both inputs (random and extreme patterns), scales 1x..100x apart both ways, zero
# points at the ends, clamps (the packs' saturation alone at NONE), saturating output.

ADD_LUT_CASES = {
    "equal_scales_tail": dict(shape=[1, 9, 11, 5], scale_a=0.02, scale_b=0.02),
    "scales_100x": dict(shape=[1, 16, 16, 4], scale_a=0.001, scale_b=0.1),
    "scales_12x_relu_zp_ends": dict(shape=[2, 8, 8, 3], activation="RELU", scale_a=0.05, zero_point_a=-128,
                                    scale_b=0.004, zero_point_b=127, output_zero_point=-128),
    "relu6_zp_out_max": dict(shape=[1, 7, 13, 5], activation="RELU6", scale_a=0.03, zero_point_a=127,
                             scale_b=0.01, zero_point_b=-128, output_zero_point=127),
    "saturating_output": dict(shape=[1, 300], scale_a=0.05, scale_b=0.02, output_scale=1e-3),
}


@pytest.mark.parametrize("name", list(ADD_LUT_CASES))
def test_add_large(name, isa):
    from oracle import PATTERNS, assert_bit_exact, make_inputs
    from edge_dla.testing import tflite_builder as tb
    kw = dict(ADD_LUT_CASES[name])
    shape = kw.pop("shape")
    rng = np.random.default_rng(len(name))
    model = tb.add_model(rng, shape, shape, **kw)
    for pattern in PATTERNS:
        assert_bit_exact(model, make_inputs(model, rng, pattern))


@pytest.mark.parametrize("name", RUNNABLE)
def test_paths_agree_sparse_blobs(name, isa, models_dir):
    """The shared models with every weighted layer sparse (decoded, expanded to dense
    when prepared): this path == portable C, outputs and counters."""
    blob = edge_dla.convert(model_bytes(name), weight_format="sparse")
    rng = np.random.default_rng(3)
    it = edge_dla.Interpreter(model_content=blob)
    inputs = random_inputs(it.get_input_details(), rng)
    if len(inputs) != 1:
        pytest.fail(f"{name}: expected one input")
    _, (want, got) = _run_both(blob, inputs, isa)
    _assert_same(want, got)


# ---- FC layers split into chunk ops, fused at load (host_plan.c) -----------------------------
# The converter splits FC layers whose weights overflow the NPU weight buffer (or the
# scratchpad) into output-channel chunk ops, with weight transfers between them; at
# the VNNI level the first chunk runs the whole layer and the others only count.

def _chunked_fc_models():
    from edge_dla.testing import tflite_builder as tb
    rng = np.random.default_rng(13)
    return {
        "fc_300x150": tb.fully_connected_model(rng, [1, 300], 150, per_channel=True),
        "fc_rows3_257x100": tb.fully_connected_model(rng, [3, 257], 100),
        "fc_saturating_260x90": tb.fully_connected_model(rng, [2, 260], 90, input_scale=0.5,
                                                         weight_scale_range=(0.5, 2.0), output_scale=1e-4),
    }


CHUNKED = _chunked_fc_models()


def _fused(it):
    return [_native.lib.edla_host_fused(it._native._model, i) for i in range(it._native.n_ops)]


@pytest.mark.parametrize("weight_format", ["dense", "sparse", "auto"])
@pytest.mark.parametrize("name", list(CHUNKED))
def test_fused_fc_chunks(name, weight_format, isa):
    """Chunked FC layers (weight buffer or scratchpad staging; dense, packed-dense
    or sparse chunks) equal the portable path, every op's counters too; at the
    VNNI level the chunks run fused (one lead, the rest tails)."""
    it = _against_portable(CHUNKED[name], weight_format, isa, np.random.default_rng(17))
    fused = _fused(it)
    fc_ops = [i for i, layer in enumerate(it._layers) if "FULLY" in layer["op"]]
    assert len(fc_ops) > 2
    if isa >= 2:  # AVX-512 VNNI: every chunk in one run
        assert [fused[i] for i in fc_ops] == [1] + [2] * (len(fc_ops) - 1), fused


def _chunked_conv_models():
    from edge_dla.testing import tflite_builder as tb
    rng = np.random.default_rng(37)
    return {
        "conv_3x3_64x100": tb.conv2d_model(rng, [1, 6, 5, 64], 100, kernel=3, per_channel=True),
        "conv_10x4_s2_1x200_batch2": tb.conv2d_model(rng, [2, 20, 9, 1], 200, kernel=(10, 4), stride=2,
                                                     padding="SAME"),
        "conv_1x1_96x180_valid": tb.conv2d_model(rng, [1, 4, 7, 96], 180, kernel=1, padding="VALID"),
    }


CHUNKED_CONV = _chunked_conv_models()


@pytest.mark.parametrize("name", list(CHUNKED_CONV))
def test_fused_conv_chunks(name, isa):
    """Conv layers split into output-channel chunks (their compressed weights decode
    into the NPU weight buffer, which one chunk's fill) equal the portable path,
    every op's counters too; at the VNNI level the chunks run fused, as FC chunks do."""
    it = _against_portable(CHUNKED_CONV[name], "sparse", isa, np.random.default_rng(41))
    fused = _fused(it)
    conv_ops = [i for i, layer in enumerate(it._layers) if "CONV" in layer["op"]]
    assert len(conv_ops) > 1
    if isa >= 2:  # AVX-512 VNNI
        assert [fused[i] for i in conv_ops] == [1] + [2] * (len(conv_ops) - 1), fused


def test_fused_fc_chunks_ad01(isa, models_dir):
    """ad01's default blob (chunked FC layers staged through the weight buffer, some
    flagged for activation sparsity): outputs and counters equal the portable path's."""
    blob = edge_dla.convert(model_bytes("ad01_int8"))
    rng = np.random.default_rng(19)
    it = edge_dla.Interpreter(model_content=blob)
    inputs = random_inputs(it.get_input_details(), rng) + random_inputs(it.get_input_details(), rng)
    it, (want, got) = _run_both(blob, inputs, isa)
    _assert_same(want, got)
    if isa >= 2:  # AVX-512 VNNI
        assert _fused(it).count(1) >= 8


# ---- one-row FC over a ReLU's output: the walk over its nonzero activations ------------------
# At the VNNI level a flagged one-row FC whose activations x + input_offset all lie in
# [0, 255] and are at least 1/8 zero sums only the nonzero ones (4 weight columns a
# step); else the dense GEMV runs. Channel counts across the 64-channel column groups
# and the 128-channel passes, depths across the 16-lane compaction steps, and inputs
# on both sides of each condition.

def _relu_fed_fc_models():
    from edge_dla.testing import tflite_builder as tb
    rng = np.random.default_rng(29)
    return {
        "fc_7x5_zp_-128": tb.fully_connected_model(rng, [1, 7], 5, input_zero_point=-128),
        "fc_64x21": tb.fully_connected_model(rng, [1, 64], 21, input_zero_point=-100, per_channel=True),
        "fc_333x70": tb.fully_connected_model(rng, [1, 333], 70, input_zero_point=3),
        "fc_128x130_no_bias": tb.fully_connected_model(rng, [1, 128], 130, bias=False, input_zero_point=-128),
        "fc_200x320": tb.fully_connected_model(rng, [1, 200], 320, input_zero_point=-20, per_channel=True),
        "fc_saturating_97x200": tb.fully_connected_model(rng, [1, 97], 200, input_zero_point=-128,
                                                         weight_scale_range=(0.5, 2.0), output_scale=1e-4),
    }


RELU_FED_FC = _relu_fed_fc_models()


def _relu_inputs(shape, zp, rng):
    """Inputs a ReLU could give (>= zp) with none, some, most and all at zp; the
    largest values; and one below zp (the dense GEMV's case)."""
    n = int(np.prod(shape))
    out = []
    for zero_fraction in (0.0, 0.1, 0.5, 0.9, 1.0):
        x = rng.integers(zp, 128, size=n)
        x[rng.random(n) < zero_fraction] = zp
        out.append(x)
    out.append(np.full(n, 127))
    below = rng.integers(zp, 128, size=n)
    below[rng.random(n) < 0.5] = zp
    below[n // 2] = max(zp - 1, -128)
    out.append(below)
    return [x.reshape(shape).astype(np.int8) for x in out]


@pytest.mark.parametrize("name", list(RELU_FED_FC))
def test_fc_walk_over_nonzero_activations(name, isa):
    """Flagged one-row FC layers (the converter flags those fed by a ReLU): outputs
    equal TFLM's and the portable path's, every counter too."""
    from test_act_sparsity import flag_mac_ops
    from edge_dla.testing import tflite_builder as tb
    model = RELU_FED_FC[name]
    blob = flag_mac_ops(edge_dla.convert(model, weight_format="dense"))
    (shape, _), = tb.input_shapes(model)
    zp = edge_dla.Interpreter(model_content=blob).get_input_details()[0]["quantization"][1]
    inputs = _relu_inputs(shape, int(zp), np.random.default_rng(31))
    _, (want, got) = _run_both(blob, inputs, isa)
    _assert_same(want, got)
    for x, (out, _) in zip(inputs, got):
        np.testing.assert_array_equal(out, tb.run_tflm(model, [x])[0].reshape(out.shape))


# ---- pooling (host_x86.c edla_fast_pool) ----------------------------------------------------
# Channel counts across and past the 32 (average) / 64 (maximum) lanes of a step,
# global windows (kws, resnet), saturating activations, and a window past the
# 255 taps whose int16 sums the fast average keeps exact (the portable loop runs).

def _pool_models():
    from edge_dla.testing import tflite_builder as tb
    rng = np.random.default_rng(23)
    return {
        "global_25x5x64": tb.pool_model(rng, [1, 25, 5, 64], "AVERAGE", (25, 5), 1, "VALID"),
        "avg_3x3_s2_same_70": tb.pool_model(rng, [2, 9, 8, 70], "AVERAGE", 3, 2, "SAME", "RELU6"),
        "avg_2x2_33": tb.pool_model(rng, [1, 6, 7, 33], "AVERAGE", 2, 2, "VALID", zero_point=-128),
        "avg_16x16_256_taps": tb.pool_model(rng, [1, 16, 16, 20], "AVERAGE", 16, 1, "VALID"),
        "max_3x3_s2_same_130": tb.pool_model(rng, [1, 9, 9, 130], "MAX", 3, 2, "SAME", "RELU"),
        "max_2x2_64": tb.pool_model(rng, [2, 6, 6, 64], "MAX", 2, 2, "VALID", zero_point=127),
    }


POOLS = _pool_models()


@pytest.mark.parametrize("name", list(POOLS))
def test_pool_paths(name, isa):
    """Random and extreme inputs: this path's pooling == the portable path's."""
    from edge_dla.testing import tflite_builder as tb
    model = POOLS[name]
    rng = np.random.default_rng(29)
    (shape, dtype), = tb.input_shapes(model)
    inputs = [rng.integers(-128, 128, size=shape).astype(dtype), np.full(shape, -128, dtype),
              np.full(shape, 127, dtype), np.where(rng.random(shape) < 0.5, -128, 127).astype(dtype)]
    _, (want, got) = _run_both(edge_dla.convert(model), inputs, isa)
    _assert_same(want, got)


# ---- prepared depthwise requantization at the extremes ------------------------------------
# Right shifts 1..23 take one int64 rounding step (hp_dw_round64), other shifts the two-step
# one; biases up to 2^30 ("large", inputs at both ends: accumulators near 2^30) and at the
# int32 ends ("extreme": they wrap the accumulator). All must equal the portable path.

BIASES = {"extreme": [2**31 - 1, -2**31, 2**30, -2**30, 0, 1, -1, 2**31 - 2**20],
          "large": [2**30, -2**30, 2**29 + 12345, -2**29 - 777, 0, 3, -5, 2**30 - 1]}


@pytest.mark.parametrize("output_scale", [1e-2, 1.0, 100.0, 1e4])
@pytest.mark.parametrize("bias_kind", ["extreme", "large", "random"])
def test_prepared_depthwise_requant(output_scale, bias_kind, isa, monkeypatch):
    from edge_dla.testing import tflite_builder as tb
    if bias_kind in BIASES:
        ends = np.array(BIASES[bias_kind], np.int64)
        monkeypatch.setattr(tb, "random_bias", lambda rng, n, std, scales, limit=0: np.resize(ends, n).astype(np.int32))
    rng = np.random.default_rng(23)
    model = tb.depthwise_model(rng, [1, 7, 9, 24], kernel=3, input_scale=0.05, output_scale=output_scale,
                               weight_scale_range=(0.005, 0.05))
    _against_portable(model, "dense", isa, rng)
