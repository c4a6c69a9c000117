"""Element-wise, activation and reduction ops against TFLM, bit for bit.

Binary ops (MUL, SUB, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU) run on
broadcast shapes, differing scales, saturating scales and extreme zero
points; the int8 -> int8 functions (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU,
RELU*, QUANTIZE) on all 256 input values per quantization; reductions over
spatial and other axes; float32 model edges through QUANTIZE / DEQUANTIZE.
TFLM has no RELU_N1_TO_1 kernel: that op is checked against LiteRT's
reference kernels instead. Everything is seeded by the case id.
"""
import functools
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edge_dla
from edge_dla.converter import convert
from edge_dla.converter.check import support_report
from edge_dla.converter.lower import SUPPORTED_OPS
from edge_dla.converter.tflite_reader import read_tflite
from edge_dla.errors import ModelError, UnsupportedError
from edge_dla.testing.tflite_builder import ModelBuilder, run_tflm
from edge_dla.testing.zoo import mlp_tanh_sigmoid, mobilenet_v3_block_net
from conftest import assert_cycles_vs_estimate
from oracle import PATTERNS, assert_bit_exact, make_inputs, run_edge_dla

pytestmark = pytest.mark.oracle

ALL_INT8 = np.arange(-128, 128, dtype=np.int8)


def rng_for(case_id):
    return np.random.default_rng(zlib.crc32(case_id.encode()))


def cases(**named):
    return [pytest.param(kw, id=k) for k, kw in named.items()]


def check_patterns(model, rng, patterns=PATTERNS):
    for pattern in patterns:
        assert_bit_exact(model, make_inputs(model, rng, pattern))


def out_shape(*shapes):
    return list(np.broadcast_shapes(*map(tuple, shapes)))


def binary_model(op, shape_a, shape_b, qa, qb, qy, const_b=None, **options):
    """One two-input op; input b is a constant when const_b (int8 data) is given."""
    b = ModelBuilder(op.lower())
    a = b.input("a", shape_a, *qa)
    if const_b is None:
        c = b.input("b", shape_b, *qb)
    else:
        c = b.const("b", np.asarray(const_b, np.int8).reshape(shape_b), qb[0], qb[1])
    y = b.tensor("y", out_shape(shape_a, shape_b), *qy)
    b.op(op, [a, c], [y], **options)
    b.output(y)
    return b.build()


def unary_model(op, shape, qx, qy, **options):
    b = ModelBuilder(op.lower())
    x = b.input("x", shape, *qx)
    y = b.tensor("y", shape, *qy)
    b.op(op, [x], [y], **options)
    b.output(y)
    return b.build()


def every_value(shape, rng):
    """All 256 int8 values (shuffled) tiled over shape: a LUT op sees its whole domain."""
    n = int(np.prod(shape))
    return [np.resize(rng.permutation(ALL_INT8), n).reshape(shape)]


# ---- MUL / SUB / SQUARED_DIFFERENCE / MAXIMUM / MINIMUM -------------------------------------

BINARY_CASES = cases(
    same_shape=dict(shape_a=[1, 4, 5, 6], shape_b=[1, 4, 5, 6]),
    squeeze_excite=dict(shape_a=[1, 4, 4, 8], shape_b=[1, 1, 1, 8]),
    first_broadcasts=dict(shape_a=[1, 1, 1, 8], shape_b=[2, 3, 4, 8]),
    both_broadcast=dict(shape_a=[2, 1, 5], shape_b=[1, 3, 1]),
    scalar=dict(shape_a=[3, 7], shape_b=[1]),
    rank1=dict(shape_a=[16], shape_b=[16]),
    ranks_differ=dict(shape_a=[2, 3, 4, 5], shape_b=[4, 5]),
    inner_broadcast=dict(shape_a=[1, 3, 4, 2], shape_b=[1, 3, 1, 2]),
)

# (scale, zero point) triples for a, b, output
QUANTS = {
    "typical": ((0.05, 3), (0.02, -7), (0.04, 10)),
    "equal_scales": ((0.03, 0), (0.03, 0), (0.03, 0)),
    "zero_points_min": ((0.05, -128), (0.02, -128), (0.04, -128)),
    "zero_points_max": ((0.05, 127), (0.02, 127), (0.04, 127)),
    "saturating": ((0.5, 0), (0.7, 5), (0.001, 0)),
    "scales_far_apart": ((2.0 ** -12, -20), (1.5, 40), (0.3, -1)),
}


@pytest.mark.parametrize("quant", list(QUANTS))
@pytest.mark.parametrize("kw", BINARY_CASES)
@pytest.mark.parametrize("op", ["MUL", "SUB", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM"])
def test_binary(op, kw, quant, request):
    rng = rng_for(request.node.callspec.id)
    qa, qb, qy = QUANTS[quant]
    if op in ("MAXIMUM", "MINIMUM"):
        qb = qy = qa  # TFLite gives all three the same quantization (TFLM compares raw values)
    check_patterns(binary_model(op, kw["shape_a"], kw["shape_b"], qa, qb, qy), rng)


@pytest.mark.parametrize("activation", ["RELU", "RELU6", "RELU_N1_TO_1"])
@pytest.mark.parametrize("op", ["MUL", "SUB"])
def test_binary_fused_activation(op, activation, request):
    rng = rng_for(request.node.callspec.id)
    model = binary_model(op, [1, 3, 4, 5], [1, 1, 4, 5], (0.05, 3), (0.04, -2), (0.03, -20),
                         activation=activation)
    check_patterns(model, rng)


@pytest.mark.parametrize("op", ["MUL", "SUB", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM"])
def test_binary_constant_operand(op, request):
    rng = rng_for(request.node.callspec.id)
    const = rng.integers(-128, 128, 6)
    model = binary_model(op, [1, 2, 3, 6], [1, 1, 1, 6], (0.05, 3), (0.05, 3), (0.05, 3), const_b=const)
    check_patterns(model, rng)


def test_mul_multiplier_above_one(request):
    """MUL version 3: input_scale_a * input_scale_b / output_scale >= 1."""
    rng = rng_for(request.node.name)
    model = binary_model("MUL", [1, 8, 8], [1, 8, 8], (0.5, 0), (0.5, 1), (0.1, 0))
    check_patterns(model, rng)


def test_squared_difference_output_multiplier_above_one(request):
    rng = rng_for(request.node.name)
    model = binary_model("SQUARED_DIFFERENCE", [2, 16], [2, 16], (0.5, 0), (0.4, -3), (2.0 ** -12, -100))
    check_patterns(model, rng)


SWEEP = settings(derandomize=True, max_examples=60, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


@st.composite
def broadcast_case(draw):
    """Two broadcastable shapes of rank 1..4 (each dim shared, or 1 on one side) and quantizations."""
    rank = draw(st.integers(1, 4))
    dims = [draw(st.integers(1, 5)) for _ in range(rank)]
    sides = [draw(st.sampled_from(["both", "a1", "b1"])) for _ in range(rank)]
    shape_a = [1 if s == "a1" else d for d, s in zip(dims, sides)]
    shape_b = [1 if s == "b1" else d for d, s in zip(dims, sides)]
    shape_b = shape_b[draw(st.integers(0, rank - 1)):]  # b may have a lower rank
    quant = lambda: (2.0 ** draw(st.floats(-12, 1)), draw(st.integers(-128, 127)))
    op = draw(st.sampled_from(["MUL", "SUB", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", "PRELU"]))
    return op, shape_a, shape_b or [1], quant(), quant(), quant(), draw(st.integers(0, 2 ** 32 - 1))


@SWEEP
@given(broadcast_case())
def test_binary_sweep(case):
    op, shape_a, shape_b, qa, qb, qy, seed = case
    if op in ("MAXIMUM", "MINIMUM"):
        qb = qy = qa
    if op == "PRELU":  # the alpha broadcasts onto the input: the output has the input's shape
        shape_a = out_shape(shape_a, shape_b)
    rng = np.random.default_rng(seed)
    model = binary_model(op, shape_a, shape_b, qa, qb, qy)
    for pattern in ("random", "extremes"):
        assert_bit_exact(model, make_inputs(model, rng, pattern))


@SWEEP
@given(st.sampled_from(["LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "RELU", "RELU6", "QUANTIZE"]),
       st.floats(-12, 2), st.integers(-128, 127), st.floats(-10, 2), st.integers(-128, 127),
       st.floats(-3, 3), st.integers(0, 2 ** 32 - 1))
def test_lut_sweep(op, log_in, zp_in, log_out, zp_out, alpha, seed):
    qx, qy = (2.0 ** log_in, zp_in), (2.0 ** log_out, zp_out)
    if op == "LOGISTIC":
        qy = (1 / 256, -128)
    if op == "HARD_SWISH":
        qy = (max(qy[0], qx[0] / 100), zp_out)
    options = {"alpha": alpha} if op == "LEAKY_RELU" else {}
    assert_bit_exact(unary_model(op, LUT_SHAPE, qx, qy, **options), every_value(LUT_SHAPE, np.random.default_rng(seed)))


# ---- PRELU ------------------------------------------------------------------------------

PRELU_CASES = cases(
    per_channel_alpha=dict(shape=[1, 4, 5, 6], alpha_shape=[1, 1, 6]),
    per_channel_alpha_1d=dict(shape=[1, 3, 3, 8], alpha_shape=[8]),
    scalar_alpha=dict(shape=[2, 5, 7], alpha_shape=[1]),
    full_alpha=dict(shape=[1, 2, 3, 4], alpha_shape=[1, 2, 3, 4]),
    spatial_alpha=dict(shape=[1, 3, 4, 2], alpha_shape=[3, 4, 1]),
)


@pytest.mark.parametrize("quant", ["typical", "zero_points_min", "zero_points_max", "saturating"])
@pytest.mark.parametrize("kw", PRELU_CASES)
def test_prelu(kw, quant, request):
    rng = rng_for(request.node.callspec.id)
    qx, qa, qy = QUANTS[quant]
    alpha = rng.integers(-128, 128, int(np.prod(kw["alpha_shape"])))  # negative slopes included
    b = ModelBuilder("prelu")
    x = b.input("x", kw["shape"], *qx)
    a = b.const("alpha", np.asarray(alpha, np.int8).reshape(kw["alpha_shape"]), qa[0], qa[1])
    y = b.tensor("y", kw["shape"], *qy)
    b.op("PRELU", [x, a], [y])
    b.output(y)
    check_patterns(b.build(), rng)


def test_prelu_alpha_as_input(request):
    rng = rng_for(request.node.name)
    model = binary_model("PRELU", [1, 3, 4, 5], [1, 1, 5], (0.05, 3), (0.01, -4), (0.04, 2))
    check_patterns(model, rng)


# ---- int8 -> int8 functions (one LUT layer each) ----------------------------------------------

# (input quantization, output quantization): typical, extreme zero points, tiny and large scales
LUT_QUANTS = [((0.05, 3), (0.04, -5)), ((0.1, -128), (0.02, 127)), ((0.004, 127), (0.3, -128)),
              ((2.0 ** -10, 0), (2.0 ** -6, 0)), ((0.6, -40), (0.05, 20))]
LUT_SHAPE = [1, 4, 8, 8]


def check_lut_op(model, rng):
    """Every int8 value (bit-exact over the whole domain) plus the saturating patterns."""
    assert_bit_exact(model, every_value(LUT_SHAPE, rng))
    check_patterns(model, rng, ("min", "max", "extremes"))


@pytest.mark.parametrize("q", range(len(LUT_QUANTS)))
@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_logistic_tanh(op, q, request):
    rng = rng_for(request.node.callspec.id)
    qx = LUT_QUANTS[q][0]
    qy = (1 / 256, -128) if op == "LOGISTIC" else (1 / 128, 0)
    check_lut_op(unary_model(op, LUT_SHAPE, qx, qy), rng)


@pytest.mark.parametrize("q", range(len(LUT_QUANTS)))
def test_hard_swish(q, request):
    rng = rng_for(request.node.callspec.id)
    qx, qy = LUT_QUANTS[q]
    qy = (max(qy[0], qx[0] / 100), qy[1])  # TFLM needs output scale >= input scale / 128
    check_lut_op(unary_model("HARD_SWISH", LUT_SHAPE, qx, qy), rng)


@pytest.mark.parametrize("alpha", [0.2, 0.01, 1.0, 2.5, -0.5])
@pytest.mark.parametrize("q", range(len(LUT_QUANTS)))
def test_leaky_relu(q, alpha, request):
    rng = rng_for(request.node.callspec.id)
    qx, qy = LUT_QUANTS[q]
    check_lut_op(unary_model("LEAKY_RELU", LUT_SHAPE, qx, qy, alpha=alpha), rng)


@pytest.mark.parametrize("same_quant", [True, False])
@pytest.mark.parametrize("q", range(len(LUT_QUANTS)))
@pytest.mark.parametrize("op", ["RELU", "RELU6", "QUANTIZE"])
def test_requantizing_activations(op, q, same_quant, request):
    """Standalone RELU/RELU6 (a model input, so not fused) and int8 QUANTIZE."""
    rng = rng_for(request.node.callspec.id)
    qx, qy = LUT_QUANTS[q]
    check_lut_op(unary_model(op, LUT_SHAPE, qx, qx if same_quant else qy), rng)


def litert_ref(model, inputs):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


@pytest.mark.parametrize("q", range(len(LUT_QUANTS)))
def test_relu_n1_to_1_against_litert(q, request):
    """TFLM has no RELU_N1_TO_1 kernel: LiteRT's reference kernel is the oracle here."""
    rng = rng_for(request.node.callspec.id)
    qx, qy = LUT_QUANTS[q]
    model = unary_model("RELU_N1_TO_1", LUT_SHAPE, qx, qy)
    for inputs in [every_value(LUT_SHAPE, rng)] + [make_inputs(model, rng, p) for p in ("min", "max")]:
        np.testing.assert_array_equal(run_edge_dla(model, inputs)[0], litert_ref(model, inputs)[0])


def test_standalone_relu_after_conv_is_fused():
    """A RELU6 right after a layer with the same quantization folds into it (no LUT layer)."""
    from edge_dla.testing import tflite_builder as tb
    rng = np.random.default_rng(5)
    model = tb.conv2d_model(rng, [1, 6, 6, 3], 4, kernel=3)
    info = edge_dla.inspect(convert(model))
    assert [layer["op"] for layer in info["layers"]] == ["CONV_2D"]


# ---- float32 model edges: QUANTIZE at inputs, DEQUANTIZE at outputs ----------------------------------

def float_edge_model(shape, q_in, q_mid, op="LOGISTIC"):
    """float32 input -> QUANTIZE -> op -> DEQUANTIZE -> float32 output."""
    b = ModelBuilder("float_edges")
    x = b.input("x", shape, dtype="float32")
    xq = b.tensor("x_q", shape, *q_in)
    b.op("QUANTIZE", [x], [xq])
    yq = b.tensor("y_q", shape, *q_mid)
    b.op(op, [xq], [yq])
    y = b.tensor("y", shape, dtype="float32")
    b.op("DEQUANTIZE", [yq], [y])
    b.output(y)
    return b.build()


def float_inputs(shape, scale, rng):
    """Ties (k + 1/2 steps), both saturation sides, random values and exact steps."""
    n = int(np.prod(shape))
    ties = (rng.integers(-140, 140, n) + 0.5) * scale
    wide = rng.uniform(-300, 300, n) * scale
    exact = rng.integers(-200, 200, n) * scale
    pick = rng.integers(0, 3, n)
    return [np.choose(pick, [ties, wide, exact]).astype(np.float32).reshape(shape)]


@pytest.mark.parametrize("q_in", [(0.05, 3), (0.1, -128), (0.0123, 127), (1.0, 0)])
@pytest.mark.parametrize("op,q_mid", [("LOGISTIC", (1 / 256, -128)), ("RELU", (0.07, -100)),
                                      ("QUANTIZE", (0.3, 11))])
def test_float_edges(op, q_in, q_mid, request):
    rng = rng_for(request.node.callspec.id)
    model = float_edge_model([1, 5, 7, 3], q_in, q_mid, op)
    for _ in range(3):
        inputs = float_inputs([1, 5, 7, 3], q_in[0], rng)
        want = run_tflm(model, inputs)
        got = run_edge_dla(model, inputs)
        assert got[0].dtype == np.float32 and want[0].dtype == np.float32
        np.testing.assert_array_equal(got[0].view(np.uint32), want[0].view(np.uint32))


def test_float_edge_details():
    """Float I/O shows as float32 with TFLite's (0.0, 0) quantization, and takes float arrays."""
    model = float_edge_model([1, 8], (0.05, 0), (1 / 256, -128))
    it = edge_dla.Interpreter(model_content=convert(model))
    d_in, d_out = it.get_input_details()[0], it.get_output_details()[0]
    assert d_in["dtype"] == np.float32 and d_out["dtype"] == np.float32
    assert d_in["quantization"] == (0.0, 0)
    with pytest.raises(edge_dla.errors.InputError, match="float32"):
        it.set_tensor(d_in["index"], np.zeros([1, 8], np.int8))
    it.set_tensor(d_in["index"], np.linspace(-5, 5, 8, dtype=np.float32).reshape(1, 8))
    it.invoke()
    out = it.get_tensor(d_out["index"])
    assert out.dtype == np.float32 and 0.0 <= out.min() <= out.max() <= 1.0


# ---- MEAN / SUM / REDUCE_MAX ----------------------------------------------------------------

def reduce_model(op, shape, axes, keep_dims, qx, qy):
    rank = len(shape)
    reduced = {a % rank for a in axes}
    oshape = [1 if i in reduced else d for i, d in enumerate(shape)] if keep_dims else \
        [d for i, d in enumerate(shape) if i not in reduced]
    b = ModelBuilder(op.lower())
    x = b.input("x", shape, *qx)
    ax = b.const("axes", np.array(axes, np.int32))
    y = b.tensor("y", oshape or [1], *qy)
    b.op(op, [x, ax], [y], keep_dims=keep_dims)
    b.output(y)
    return b.build()


REDUCE_CASES = cases(
    spatial_keep=dict(shape=[1, 6, 7, 5], axes=[1, 2], keep_dims=True),
    spatial=dict(shape=[2, 6, 7, 5], axes=[1, 2], keep_dims=False),
    spatial_negative_axes=dict(shape=[1, 5, 9, 4], axes=[-3, -2], keep_dims=True),
    channels=dict(shape=[1, 4, 5, 12], axes=[3], keep_dims=False),
    batch_and_channels=dict(shape=[3, 4, 5, 6], axes=[0, 3], keep_dims=True),
    everything=dict(shape=[2, 3, 4, 5], axes=[0, 1, 2, 3], keep_dims=False),
    repeated_axis=dict(shape=[1, 8, 6, 3], axes=[1, 1, 2], keep_dims=True),
    rank3_middle=dict(shape=[4, 10, 6], axes=[1], keep_dims=False),
    rank2_last=dict(shape=[5, 33], axes=[-1], keep_dims=True),
    large_window=dict(shape=[1, 32, 32, 3], axes=[1, 2], keep_dims=True),
)
REDUCE_QUANTS = {
    "same": ((0.05, 3), (0.05, 3)),
    "requantized": ((0.05, 3), (0.02, -10)),
    "zero_points_extreme": ((0.1, -128), (0.08, 127)),
    "sum_range": ((0.02, 5), (0.5, -3)),
}


@pytest.mark.parametrize("quant", list(REDUCE_QUANTS))
@pytest.mark.parametrize("kw", REDUCE_CASES)
@pytest.mark.parametrize("op", ["MEAN", "SUM"])
def test_mean_sum(op, kw, quant, request):
    rng = rng_for(request.node.callspec.id)
    check_patterns(reduce_model(op, kw["shape"], kw["axes"], kw["keep_dims"], *REDUCE_QUANTS[quant]), rng)


@SWEEP
@given(st.sampled_from(["MEAN", "SUM", "REDUCE_MAX"]), st.lists(st.integers(1, 7), min_size=1, max_size=4),
       st.data(), st.booleans(), st.floats(-10, 1), st.integers(-128, 127), st.floats(-10, 3),
       st.integers(-128, 127), st.integers(0, 2 ** 32 - 1))
def test_reduce_sweep(op, shape, data, keep_dims, log_in, zp_in, log_out, zp_out, seed):
    axes = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=4))
    qx = (2.0 ** log_in, zp_in)
    qy = qx if op == "REDUCE_MAX" else (2.0 ** log_out, zp_out)
    model = reduce_model(op, shape, axes, keep_dims, qx, qy)
    rng = np.random.default_rng(seed)
    for pattern in ("random", "extremes"):
        assert_bit_exact(model, make_inputs(model, rng, pattern))


@pytest.mark.parametrize("kw", REDUCE_CASES)
def test_reduce_max(kw, request):
    rng = rng_for(request.node.callspec.id)
    q = (0.05, -17)
    check_patterns(reduce_model("REDUCE_MAX", kw["shape"], kw["axes"], kw["keep_dims"], q, q), rng)


# ---- combined models ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("factory", [mobilenet_v3_block_net, mlp_tanh_sigmoid])
def test_zoo_models(factory, seed):
    model = factory(seed)
    rng = np.random.default_rng(seed)
    check_patterns(model, rng)
    for _ in range(3):
        assert_bit_exact(model, make_inputs(model, rng, "random"))


# ---- CPU placement, counters and refusals -------------------------------------------------------------

def test_cpu_ops_flagged_and_profiled():
    from edge_dla import blob as fmt
    model = mobilenet_v3_block_net(0)
    blob = convert(model)
    info = edge_dla.inspect(blob)
    units = {layer["op"]: layer["unit"] for layer in info["layers"]}
    assert units["CONV_2D"] == "NPU" and units["MUL"] == "CPU" and units["LUT"] == "CPU"
    flags = [op[11] for op in fmt.unpack_records(blob)[1]]
    assert [bool(f & fmt.OP_FLAG_CPU) for f in flags] == [u == "CPU" for u in
                                                          (layer["unit"] for layer in info["layers"])]
    it = edge_dla.Interpreter(model_content=blob)
    x = make_inputs(model, np.random.default_rng(0), "random")[0]
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    prof = it.profile()
    cpu_rows = [r for r in prof["layers"] if r["unit"] == "CPU"]
    assert cpu_rows and all(r["macs"] == 0 and r["dma_bytes"] == 0 and r["cycles"] > 0 for r in cpu_rows)
    assert prof["cpu"]["layers"] == len(cpu_rows) and prof["npu"]["layers"] == len(prof["layers"]) - len(cpu_rows)
    assert prof["cpu"]["cycles"] + prof["npu"]["cycles"] == prof["total"]["cycles"]
    assert_cycles_vs_estimate(prof, info)  # the converter models CPU ops too
    from edge_dla.cli import format_inspect, format_profile
    assert "CPU (" in format_profile(prof) and "LUT(HARD_SWISH)" in format_inspect(info)


def test_check_reports_unsupported_variants():
    """int16 activations and float tensors inside the graph are refused with reasons, all at once."""
    b = ModelBuilder("bad")
    x = b.input("x", [1, 8], 1 / 32768, 0, dtype="int16")
    y = b.tensor("y", [1, 8], 1 / 32768, 0, dtype="int16")
    b.op("LOGISTIC", [x], [y], version=3)
    f = b.tensor("f", [1, 8], dtype="float32")
    b.op("DEQUANTIZE", [y], [f])
    g = b.tensor("g", [1, 8], 0.1, 0)
    b.op("QUANTIZE", [f], [g])
    b.output(g)
    graph = read_tflite(b.build())
    report = {index: problems for index, _, _, problems in support_report(graph, SUPPORTED_OPS)}
    assert any("int16" in p for p in report[0]) and any("version 3" in p for p in report[0])
    assert any("not inside the graph" in p for p in report[1] + report[2])
    with pytest.raises(UnsupportedError) as err:
        convert(b.build())
    assert len(err.value.problems) >= 3


@pytest.mark.parametrize("build,message", [
    (lambda: unary_model("HARD_SWISH", [1, 8], (0.5, 0), (0.001, 0)), "HARD_SWISH"),
    (lambda: unary_model("LOGISTIC", [1, 8], (0.05, 0), (1 / 256, 0)), "zero point must be -128"),
    (lambda: reduce_model("REDUCE_MAX", [1, 4, 4, 2], [1, 2], True, (0.05, 0), (0.1, 0)),
     "REDUCE_MAX requires"),
])
def test_refused_parameters(build, message):
    with pytest.raises(ModelError, match=message):
        convert(build())


# ---- shared with tests/test_board.py: the same ops on the emulated Cortex-M55 --------------------

@functools.lru_cache(maxsize=1)
def board_cases():
    """name -> (model, list of input sets): every kernel of this family at least once,
    the float edges (the core's only float code, on the M55's FPU) and both zoo models."""
    rng = np.random.default_rng(2024)
    q = QUANTS["typical"]
    models = {
        "mul_broadcast": binary_model("MUL", [1, 4, 4, 8], [1, 1, 1, 8], *q),
        "sub_both_broadcast": binary_model("SUB", [2, 1, 5], [1, 3, 1], *q),
        "squared_difference": binary_model("SQUARED_DIFFERENCE", [2, 16], [2, 16], (0.5, 0), (0.4, -3),
                                           (2.0 ** -12, -100)),
        "maximum_scalar": binary_model("MAXIMUM", [3, 7], [1], q[0], q[0], q[0]),
        "minimum": binary_model("MINIMUM", [1, 3, 4, 2], [1, 3, 1, 2], q[0], q[0], q[0]),
        "prelu": binary_model("PRELU", [1, 3, 4, 5], [1, 1, 5], (0.05, 3), (0.01, -4), (0.04, 2)),
        "lut_hard_swish": unary_model("HARD_SWISH", LUT_SHAPE, (0.05, 3), (0.04, -5)),
        "mean": reduce_model("MEAN", [1, 6, 7, 5], [1, 2], True, (0.05, 3), (0.02, -10)),
        "sum": reduce_model("SUM", [3, 4, 5, 6], [0, 3], True, (0.02, 5), (0.5, -3)),
        "reduce_max": reduce_model("REDUCE_MAX", [2, 3, 4, 5], [0, 1, 2, 3], False, (0.05, 1), (0.05, 1)),
        "mobilenet_v3_block_net": mobilenet_v3_block_net(0),
        "mlp_tanh_sigmoid": mlp_tanh_sigmoid(1),
    }
    cases = {name: (m, [make_inputs(m, rng, p) for p in PATTERNS]) for name, m in models.items()}
    cases["lut_hard_swish"][1].append(every_value(LUT_SHAPE, rng))
    edges = float_edge_model([1, 5, 7, 3], (0.0123, 127), (1 / 256, -128))
    cases["float_edges"] = (edges, [float_inputs([1, 5, 7, 3], 0.0123, rng) for _ in range(3)])
    mlp = mlp_tanh_sigmoid(2, float_io=True)
    cases["mlp_float_io"] = (mlp, [float_inputs([1, 24], 0.04, rng) for _ in range(3)])
    return cases


def test_mlp_float_io(request):
    rng = rng_for(request.node.name)
    model = mlp_tanh_sigmoid(3, float_io=True)
    for _ in range(4):
        inputs = float_inputs([1, 24], 0.04, rng)
        got, want = run_edge_dla(model, inputs)[0], run_tflm(model, inputs)[0]
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_check_command_reports_parameters(tmp_path, capsys):
    """`edge-dla check` lists refused parameters with the op index, beside refused types."""
    from edge_dla.cli import main
    b = ModelBuilder("params")
    x = b.input("x", [1, 8], 0.5, 0)
    h = b.tensor("h", [1, 8], 0.001, 0)
    b.op("HARD_SWISH", [x], [h])                      # 0: output scale below input scale / 128
    s = b.tensor("s", [1, 8], 1 / 256, 0)
    b.op("LOGISTIC", [h], [s])                        # 1: output zero point not -128
    m = b.tensor("m", [1, 1], 0.1, 0)
    b.op("REDUCE_MAX", [s, b.const("axes", np.array([1], np.int32))], [m])  # 2: quantization differs
    w = b.tensor("w", [1, 1], 1 / 32768, 0, dtype="int16")
    b.op("QUANTIZE", [m], [w])                        # 3: int16 output
    b.output(w)
    path = tmp_path / "params.tflite"
    path.write_bytes(b.build())
    assert main(["check", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "HARD_SWISH" in lines[0] and "REFUSED" in lines[0] and "below input scale / 128" in lines[0]
    assert "LOGISTIC" in lines[1] and "zero point must be -128" in lines[1]
    assert "REDUCE_MAX" in lines[2] and "requires the output quantization" in lines[2]
    assert "QUANTIZE" in lines[3] and "int16" in lines[3]
    assert lines[-1].startswith("0 of 4 ops supported")
