"""Op-level bit-exactness of edge_dla against TFLM over generated int8 layers.

Every case builds one random layer from a fixed seed and runs it on four input
patterns (uniform, all -128, all 127, random mix of both ends), so CI is
deterministic. Hypothesis sweeps run derandomized.
"""

import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_dla.testing import tflite_builder as tb
from edge_dla.testing.zoo import ds_cnn_kws
from oracle import PATTERNS, assert_bit_exact, make_inputs

pytestmark = pytest.mark.oracle

ACTS = list(tb.ACTIVATIONS)
SWEEP = settings(derandomize=True, max_examples=150, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


def rng_for(case_id: str):
    """A generator seeded by the case id, so each case is reproducible on its own."""
    return np.random.default_rng(zlib.crc32(case_id.encode()))


def check_all_patterns(model: bytes, rng) -> None:
    """Compare edge_dla with TFLM on every input pattern."""
    for pattern in PATTERNS:
        assert_bit_exact(model, make_inputs(model, rng, pattern))


def cases(**named):
    """pytest.param list from id -> kwargs."""
    return [pytest.param(kw, id=k) for k, kw in named.items()]


# ---- CONV_2D ------------------------------------------------------------------------------
CONV_CASES = cases(
    odd_same=dict(in_shape=[1, 7, 9, 3], out_channels=5, kernel=3),
    odd_same_stride2=dict(in_shape=[1, 9, 11, 4], out_channels=6, kernel=3, stride=2),
    even_same_stride2=dict(in_shape=[1, 8, 8, 3], out_channels=4, kernel=3, stride=2),
    valid_stride2=dict(in_shape=[1, 10, 7, 3], out_channels=4, kernel=(3, 2), stride=2,
                       padding="VALID"),
    dilation2_same=dict(in_shape=[1, 9, 9, 4], out_channels=3, kernel=3, dilation=2),
    dilation2_valid_stride2=dict(in_shape=[1, 13, 11, 2], out_channels=3, kernel=3, stride=2,
                                 dilation=2, padding="VALID"),
    dilation_hw=dict(in_shape=[1, 11, 10, 2], out_channels=3, kernel=(2, 3),
                     dilation=(3, 2)),
    pointwise=dict(in_shape=[1, 5, 5, 16], out_channels=8, kernel=1),
    kernel_larger_than_input=dict(in_shape=[1, 3, 2, 2], out_channels=3, kernel=5),
    kws_first_layer=dict(in_shape=[1, 49, 10, 1], out_channels=8, kernel=(10, 4), stride=2),
    batch2=dict(in_shape=[2, 5, 6, 3], out_channels=4, kernel=3, stride=(2, 1)),
    per_tensor=dict(in_shape=[1, 6, 7, 5], out_channels=4, kernel=3, per_channel=False),
    no_bias=dict(in_shape=[1, 6, 5, 3], out_channels=4, kernel=3, bias=False),
    wide_channel_scales=dict(in_shape=[1, 6, 6, 4], out_channels=16, kernel=3,
                             weight_scale_range=(2**-20, 2**3)),
    input_zp_min=dict(in_shape=[1, 6, 6, 3], out_channels=4, kernel=3, input_zero_point=-128),
    input_zp_max=dict(in_shape=[1, 6, 6, 3], out_channels=4, kernel=3, input_zero_point=127),
    output_zp_min=dict(in_shape=[1, 6, 6, 3], out_channels=4, kernel=3, output_zero_point=-128),
    output_zp_max=dict(in_shape=[1, 6, 6, 3], out_channels=4, kernel=3, output_zero_point=127),
    large_multiplier=dict(in_shape=[1, 5, 5, 3], out_channels=4, kernel=3, input_scale=0.5,
                          weight_scale_range=(0.5, 2.0), output_scale=1e-4),
    multiplier_above_one=dict(in_shape=[1, 5, 5, 8], out_channels=4, kernel=1, input_scale=0.1,
                              weight_scale_range=(0.1, 0.2), output_scale=0.004),
    tiny_multiplier=dict(in_shape=[1, 5, 5, 3], out_channels=4, kernel=3, input_scale=1e-3,
                         weight_scale_range=(1e-4, 1e-3), output_scale=100.0),
)


@pytest.mark.parametrize("kw", CONV_CASES)
def test_conv2d(kw, request):
    rng = rng_for(request.node.callspec.id)
    check_all_patterns(tb.conv2d_model(rng, **kw), rng)


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("stride", [1, 2])
def test_conv2d_activations(activation, stride, request):
    rng = rng_for(request.node.name)
    model = tb.conv2d_model(rng, [1, 7, 6, 3], 4, kernel=3, stride=stride, activation=activation)
    check_all_patterns(model, rng)


@st.composite
def conv_params(draw, depthwise=False):
    """Random but valid conv geometry and quantization."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    h = draw(st.integers((kh - 1) * dh + 1, 12))
    w = draw(st.integers((kw - 1) * dw + 1, 12))
    params = dict(in_shape=[1, h, w, draw(st.integers(1, 6))], kernel=(kh, kw),
                  stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))), dilation=(dh, dw),
                  padding=padding, activation=draw(st.sampled_from(ACTS)),
                  per_channel=draw(st.booleans()),
                  input_zero_point=draw(st.integers(-128, 127)),
                  output_zero_point=draw(st.integers(-128, 127)),
                  weight_scale_range=(2.0 ** draw(st.integers(-20, -4)),
                                      2.0 ** draw(st.integers(-3, 3))))
    if depthwise:
        params["depth_multiplier"] = draw(st.integers(1, 3))
    else:
        params["out_channels"] = draw(st.integers(1, 8))
    return params, draw(st.integers(0, 2**32 - 1))


@SWEEP
@given(conv_params())
def test_conv2d_sweep(case):
    kw, seed = case
    rng = np.random.default_rng(seed)
    model = tb.conv2d_model(rng, **kw)
    for pattern in ("random", "extremes"):
        assert_bit_exact(model, make_inputs(model, rng, pattern))


# ---- DEPTHWISE_CONV_2D ----------------------------------------------------------------------
DW_CASES = cases(
    odd_same=dict(in_shape=[1, 7, 9, 4], kernel=3),
    odd_same_stride2=dict(in_shape=[1, 9, 11, 3], kernel=3, stride=2),
    valid_stride2=dict(in_shape=[1, 10, 9, 5], kernel=3, stride=2, padding="VALID"),
    dilation2=dict(in_shape=[1, 9, 9, 3], kernel=3, dilation=2),
    dilation2_stride2=dict(in_shape=[1, 11, 12, 2], kernel=3, stride=2, dilation=2),
    multiplier2=dict(in_shape=[1, 6, 7, 3], depth_multiplier=2, kernel=3),
    multiplier3_stride2=dict(in_shape=[1, 7, 7, 2], depth_multiplier=3, kernel=3, stride=2),
    multiplier4_single_channel=dict(in_shape=[1, 8, 6, 1], depth_multiplier=4, kernel=(3, 2)),
    kernel_5x5=dict(in_shape=[1, 9, 8, 4], kernel=5),
    kernel_larger_than_input=dict(in_shape=[1, 2, 3, 3], kernel=4),
    per_tensor=dict(in_shape=[1, 6, 6, 4], kernel=3, per_channel=False),
    no_bias=dict(in_shape=[1, 6, 6, 4], kernel=3, bias=False),
    batch2=dict(in_shape=[2, 5, 5, 3], kernel=3),
    wide_channel_scales=dict(in_shape=[1, 6, 6, 16], kernel=3,
                             weight_scale_range=(2**-20, 2**3)),
    input_zp_min=dict(in_shape=[1, 6, 6, 3], kernel=3, input_zero_point=-128),
    input_zp_max=dict(in_shape=[1, 6, 6, 3], kernel=3, input_zero_point=127),
    output_zp_extremes=dict(in_shape=[1, 6, 6, 3], kernel=3, depth_multiplier=2,
                            output_zero_point=127),
    large_multiplier=dict(in_shape=[1, 5, 5, 4], kernel=3, input_scale=0.5,
                          weight_scale_range=(0.5, 2.0), output_scale=1e-4),
)


@pytest.mark.parametrize("kw", DW_CASES)
def test_depthwise(kw, request):
    rng = rng_for(request.node.callspec.id)
    check_all_patterns(tb.depthwise_model(rng, **kw), rng)


@pytest.mark.parametrize("activation", ACTS)
def test_depthwise_activations(activation, request):
    rng = rng_for(request.node.name)
    model = tb.depthwise_model(rng, [1, 7, 6, 4], depth_multiplier=2, kernel=3,
                               activation=activation)
    check_all_patterns(model, rng)


@SWEEP
@given(conv_params(depthwise=True))
def test_depthwise_sweep(case):
    kw, seed = case
    rng = np.random.default_rng(seed)
    model = tb.depthwise_model(rng, **kw)
    for pattern in ("random", "extremes"):
        assert_bit_exact(model, make_inputs(model, rng, pattern))


# ---- FULLY_CONNECTED --------------------------------------------------------------------
FC_CASES = cases(
    vector=dict(in_shape=[1, 16], units=10),
    rows=dict(in_shape=[3, 20], units=7),
    odd_depth=dict(in_shape=[1, 33], units=5),
    input_3d_flatten=dict(in_shape=[1, 4, 8], units=6),
    input_3d_keep_dims=dict(in_shape=[1, 4, 8], units=6, keep_num_dims=True),
    input_3d_batch_keep_dims=dict(in_shape=[2, 3, 9], units=5, keep_num_dims=True),
    input_4d_flatten=dict(in_shape=[1, 2, 2, 6], units=4),
    per_channel=dict(in_shape=[2, 12], units=6, per_channel=True),
    no_bias=dict(in_shape=[1, 16], units=8, bias=False),
    wide_weight_scales=dict(in_shape=[1, 12], units=12, per_channel=True,
                            weight_scale_range=(2**-20, 2**3)),
    input_zp_min=dict(in_shape=[1, 16], units=4, input_zero_point=-128),
    input_zp_max=dict(in_shape=[1, 16], units=4, input_zero_point=127),
    output_zp_min=dict(in_shape=[1, 16], units=4, output_zero_point=-128),
    output_zp_max=dict(in_shape=[1, 16], units=4, output_zero_point=127),
    large_multiplier=dict(in_shape=[1, 16], units=4, input_scale=0.5,
                          weight_scale_range=(0.5, 1.0), output_scale=1e-4),
    tiny_multiplier=dict(in_shape=[1, 16], units=4, input_scale=1e-3,
                         weight_scale_range=(1e-4, 1e-3), output_scale=100.0),
)


@pytest.mark.parametrize("kw", FC_CASES)
def test_fully_connected(kw, request):
    rng = rng_for(request.node.callspec.id)
    check_all_patterns(tb.fully_connected_model(rng, **kw), rng)


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("keep_num_dims", [False, True])
def test_fully_connected_activations(activation, keep_num_dims, request):
    rng = rng_for(request.node.name)
    model = tb.fully_connected_model(rng, [1, 3, 10], 6, keep_num_dims=keep_num_dims,
                                     activation=activation)
    check_all_patterns(model, rng)


# ---- AVERAGE_POOL_2D / MAX_POOL_2D --------------------------------------------------------
POOL_CASES = cases(
    same_3x3_stride2_odd=dict(in_shape=[1, 7, 9, 3], filter=3, stride=2, padding="SAME"),
    same_2x2_stride2_odd=dict(in_shape=[1, 5, 5, 2], filter=2, stride=2, padding="SAME"),
    same_3x3_stride1=dict(in_shape=[1, 6, 5, 4], filter=3, stride=1, padding="SAME"),
    same_rect=dict(in_shape=[1, 9, 6, 2], filter=(4, 3), stride=(3, 2), padding="SAME"),
    valid_2x2_stride2_odd=dict(in_shape=[1, 7, 7, 3], filter=2, stride=2, padding="VALID"),
    valid_overlapping=dict(in_shape=[1, 8, 7, 2], filter=3, stride=1, padding="VALID"),
    global_pool=dict(in_shape=[1, 7, 5, 8], filter=(7, 5), stride=1, padding="VALID"),
    filter_larger_than_input_same=dict(in_shape=[1, 3, 2, 3], filter=4, stride=1,
                                       padding="SAME"),
    batch2=dict(in_shape=[2, 6, 6, 3], filter=2, stride=2, padding="SAME"),
    zp_min=dict(in_shape=[1, 6, 6, 3], filter=3, stride=2, padding="SAME", zero_point=-128),
    zp_max=dict(in_shape=[1, 6, 6, 3], filter=3, stride=2, padding="SAME", zero_point=127),
)


@pytest.mark.parametrize("kind", ["AVERAGE", "MAX"])
@pytest.mark.parametrize("kw", POOL_CASES)
def test_pool(kind, kw, request):
    rng = rng_for(request.node.callspec.id)
    check_all_patterns(tb.pool_model(rng, kind=kind, **kw), rng)


@pytest.mark.parametrize("kind", ["AVERAGE", "MAX"])
@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("zero_point", [-128, 5, 127])
def test_pool_activations(kind, activation, zero_point, request):
    rng = rng_for(request.node.callspec.id)
    model = tb.pool_model(rng, [1, 7, 7, 3], kind=kind, filter=3, stride=2, padding="SAME",
                          activation=activation, scale=0.04, zero_point=zero_point)
    check_all_patterns(model, rng)


# ---- ADD --------------------------------------------------------------------------------
ADD_SHAPES = cases(
    same_shape=([1, 5, 7, 3], [1, 5, 7, 3]),
    channel_broadcast=([1, 5, 7, 4], [1, 1, 1, 4]),
    channel_broadcast_first=([1, 1, 1, 4], [1, 5, 7, 4]),
    row_col_broadcast=([1, 4, 1, 3], [1, 1, 6, 3]),
    scalar_like=([1, 3, 5, 2], [1, 1, 1, 1]),
    batch2=([2, 3, 4, 3], [2, 3, 4, 3]),
)


@pytest.mark.parametrize("shapes", ADD_SHAPES)
@pytest.mark.parametrize("scales", [(0.02, 0.02), (0.05, 0.004), (0.001, 0.1)],
                         ids=["equal_scales", "scales_12x", "scales_100x"])
def test_add(shapes, scales, request):
    rng = rng_for(request.node.callspec.id)
    model = tb.add_model(rng, *shapes, scale_a=scales[0], scale_b=scales[1])
    check_all_patterns(model, rng)


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("zero_points", [(-128, 127, 0), (127, -128, -128), (0, 0, 127)],
                         ids=["zp_a_min", "zp_a_max", "zp_out_max"])
def test_add_activations_zero_points(activation, zero_points, request):
    rng = rng_for(request.node.callspec.id)
    za, zb, zo = zero_points
    model = tb.add_model(rng, [1, 4, 5, 3], [1, 1, 1, 3], activation=activation, scale_a=0.03,
                         zero_point_a=za, scale_b=0.01, zero_point_b=zb, output_zero_point=zo)
    check_all_patterns(model, rng)


@pytest.mark.parametrize("output_scale", [1e-3, 1.0], ids=["saturating", "coarse"])
def test_add_output_scale_extremes(output_scale, request):
    rng = rng_for(request.node.callspec.id)
    model = tb.add_model(rng, [1, 4, 4, 3], [1, 4, 4, 3], scale_a=0.05, scale_b=0.02,
                         output_scale=output_scale)
    check_all_patterns(model, rng)


# ---- SOFTMAX ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [[1, 10], [1, 12], [3, 5], [1, 3, 3, 7], [1, 1]],
                         ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("input_scale", [0.004, 0.05, 0.5])
def test_softmax(shape, beta, input_scale, request):
    rng = rng_for(request.node.callspec.id)
    model = tb.softmax_model(rng, shape, beta=beta, input_scale=input_scale)
    check_all_patterns(model, rng)


@pytest.mark.parametrize("zero_point", [-128, 127])
def test_softmax_extreme_zero_point(zero_point, request):
    rng = rng_for(request.node.callspec.id)
    model = tb.softmax_model(rng, [2, 9], beta=1.0, input_scale=0.0625,
                             input_zero_point=zero_point)
    check_all_patterns(model, rng)


# ---- sweeps over the simpler ops -----------------------------------------------------------
def _sweep_check(model, seed):
    rng = np.random.default_rng(seed)
    for pattern in ("random", "extremes"):
        assert_bit_exact(model, make_inputs(model, rng, pattern))


@SWEEP
@given(kind=st.sampled_from(["AVERAGE", "MAX"]), fh=st.integers(1, 4), fw=st.integers(1, 4),
       sh=st.integers(1, 3), sw=st.integers(1, 3), padding=st.sampled_from(["SAME", "VALID"]),
       extra_h=st.integers(0, 7), extra_w=st.integers(0, 7), c=st.integers(1, 5),
       activation=st.sampled_from(ACTS), zero_point=st.integers(-128, 127),
       scale_exp=st.integers(-10, 0), seed=st.integers(0, 2**32 - 1))
def test_pool_sweep(kind, fh, fw, sh, sw, padding, extra_h, extra_w, c, activation, zero_point,
                    scale_exp, seed):
    model = tb.pool_model(np.random.default_rng(seed), [1, fh + extra_h, fw + extra_w, c], kind,
                          (fh, fw), (sh, sw), padding, activation, 2.0**scale_exp, zero_point)
    _sweep_check(model, seed)


@SWEEP
@given(h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 5),
       mode=st.sampled_from(["same", "channel", "channel_first", "row_col"]),
       activation=st.sampled_from(ACTS), zps=st.tuples(*[st.integers(-128, 127)] * 3),
       scale_exps=st.tuples(*[st.floats(-10, 0)] * 2), seed=st.integers(0, 2**32 - 1))
def test_add_sweep(h, w, c, mode, activation, zps, scale_exps, seed):
    full = [1, h, w, c]
    a, b = {"same": (full, full), "channel": (full, [1, 1, 1, c]),
            "channel_first": ([1, 1, 1, c], full), "row_col": ([1, h, 1, c], [1, 1, w, c])}[mode]
    model = tb.add_model(np.random.default_rng(seed), a, b, activation,
                         2.0 ** scale_exps[0], zps[0], 2.0 ** scale_exps[1], zps[1],
                         output_zero_point=zps[2])
    _sweep_check(model, seed)


@SWEEP
@given(rows=st.integers(1, 3), depth=st.integers(1, 40), beta=st.floats(0.1, 4.0),
       scale_exp=st.floats(-10, 0), zero_point=st.integers(-128, 127),
       seed=st.integers(0, 2**32 - 1))
def test_softmax_sweep(rows, depth, beta, scale_exp, zero_point, seed):
    model = tb.softmax_model(np.random.default_rng(seed), [rows, depth], beta=beta,
                             input_scale=2.0**scale_exp, input_zero_point=zero_point)
    _sweep_check(model, seed)


@SWEEP
@given(rows=st.integers(1, 4), depth=st.integers(1, 48), units=st.integers(1, 16),
       keep_num_dims=st.booleans(), per_channel=st.booleans(), bias=st.booleans(),
       activation=st.sampled_from(ACTS), zps=st.tuples(st.integers(-128, 127),
                                                       st.integers(-128, 127)),
       seed=st.integers(0, 2**32 - 1))
def test_fully_connected_sweep(rows, depth, units, keep_num_dims, per_channel, bias, activation,
                               zps, seed):
    model = tb.fully_connected_model(np.random.default_rng(seed), [1, rows, depth], units,
                                     keep_num_dims, activation, bias, per_channel,
                                     input_zero_point=zps[0], output_zero_point=zps[1])
    _sweep_check(model, seed)


# ---- whole model ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_ds_cnn_kws(seed):
    """The README demo model: every op chained, with calibrated (non-saturating) activations."""
    check_all_patterns(ds_cnn_kws(seed), np.random.default_rng(seed))
