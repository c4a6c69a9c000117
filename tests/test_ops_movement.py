"""Data movement and structural ops against TFLM, bit for bit.

PAD/PADV2, CONCATENATION, PACK/UNPACK, EXPAND_DIMS/SQUEEZE, TRANSPOSE,
STRIDED_SLICE/SLICE, SPLIT/SPLIT_V, GATHER, RESIZE_*, TRANSPOSE_CONV,
BATCH_MATMUL and constant folding (the Keras Flatten chain). Every case builds
one small model from a fixed seed and runs it on the four input patterns.
"""

import zlib

import numpy as np
import pytest

import edge_dla
from edge_dla.errors import ModelError, UnsupportedError
from edge_dla.testing import tflite_builder as tb
from edge_dla.testing.tflite_builder import ModelBuilder
from edge_dla.testing.zoo import conv1d_kws_net, densenet_concat_net, unet_small
from conftest import assert_cycles_vs_estimate
from oracle import PATTERNS, assert_bit_exact, make_inputs, run_edge_dla

pytestmark = pytest.mark.oracle


def rng_for(case_id: str):
    return np.random.default_rng(zlib.crc32(case_id.encode()))


def check_all_patterns(model: bytes, rng, reference: bytes = None) -> None:
    """edge_dla on `model` against TFLM on `reference` (default: the same model)."""
    for pattern in PATTERNS:
        inputs = make_inputs(model, rng, pattern)
        if reference is None:
            assert_bit_exact(model, inputs)
        else:
            expected = tb.run_tflm(reference, inputs)
            actual = run_edge_dla(model, inputs)
            assert len(actual) == len(expected)
            for a, e in zip(actual, expected):
                np.testing.assert_array_equal(a, e)


def quant(rng):
    return float(tb.log_uniform(rng, 0.01, 0.1)), int(rng.integers(-128, 128))


def single_op(op, rng, in_shapes, out_shapes, params=(), same_quant=True, input_quant=None,
              output_quant=None, **options):
    """A model of one op: activations in_shapes, constant int operands `params`
    [(position, array)], outputs out_shapes (one or more)."""
    b = ModelBuilder(op.lower())
    q = input_quant or quant(rng)
    xs = [b.input(f"x{i}", s, *(q if same_quant else quant(rng))) for i, s in enumerate(in_shapes)]
    ins = list(xs)
    for pos, arr in params:
        ins.insert(pos, b.const(f"p{pos}", np.asarray(arr)))
    oq = output_quant or q
    ys = [b.tensor(f"y{i}", s, *oq) for i, s in enumerate(out_shapes)]
    b.op(op, ins, ys, **options)
    b.output(*ys)
    return b.build()


def layer_ops(model):
    """The op of every layer edge_dla makes of a model."""
    return [layer["op"] for layer in edge_dla.inspect(edge_dla.convert(model))["layers"]]


def cases(**named):
    return [pytest.param(kw, id=k) for k, kw in named.items()]


# ---- PAD / PADV2 --------------------------------------------------------------------------------
PAD_CASES = cases(
    nhwc_spatial=dict(shape=[1, 5, 7, 3], pads=[[0, 0], [1, 2], [2, 1], [0, 0]]),
    all_axes=dict(shape=[2, 3, 4, 5], pads=[[1, 0], [0, 1], [2, 2], [1, 3]]),
    rank2=dict(shape=[3, 5], pads=[[2, 1], [0, 3]]),
    rank1=dict(shape=[7], pads=[[3, 4]]),
    rank3_channels=dict(shape=[4, 6, 3], pads=[[0, 0], [1, 1], [0, 5]]),
    no_padding=dict(shape=[1, 3, 3, 2], pads=[[0, 0]] * 4),
    output_quant_differs=dict(shape=[1, 3, 4, 2], pads=[[0, 0], [1, 1], [1, 1], [0, 0]],
                              output_quant=(0.2, -7)),
)


@pytest.mark.parametrize("kw", PAD_CASES)
def test_pad(kw, request):
    rng = rng_for(request.node.callspec.id)
    pads = np.array(kw["pads"], kw.get("dtype", np.int32))
    out = [n + a + b for n, (a, b) in zip(kw["shape"], kw["pads"])]
    model = single_op("PAD", rng, [kw["shape"]], [out], [(1, pads)], output_quant=kw.get("output_quant"))
    check_all_patterns(model, rng)


@pytest.mark.parametrize("value", [-128, 0, 37, 127])
def test_padv2_constant_values(value, request):
    rng = rng_for(request.node.name)
    s, zp = quant(rng)
    b = ModelBuilder("padv2")
    x = b.input("x", [1, 4, 5, 3], s, zp)
    p = b.const("pads", np.array([[0, 0], [2, 1], [1, 3], [0, 1]], np.int32))
    c = b.const("value", np.array([value], np.int8), s, zp)
    y = b.tensor("y", [1, 7, 9, 4], s, zp)
    b.op("PADV2", [x, p, c], [y])
    b.output(y)
    check_all_patterns(b.build(), rng)


@pytest.mark.parametrize("op,params,out", [
    ("PAD", [(1, np.array([[0, 0], [1, 1]], np.int64))], [2, 5]),  # TFLM reads int32
    ("TRANSPOSE", [(1, np.array([1, 0], np.int64))], [3, 2]),
    ("GATHER", [(1, np.array([1], np.int64))], [1, 3]),
    ("EXPAND_DIMS", [(1, np.array([0], np.int64))], [1, 2, 3]),
])
def test_int64_parameters_tflm_misreads_are_refused(op, params, out):
    model = single_op(op, np.random.default_rng(0), [[2, 3]], [out], params)
    with pytest.raises(UnsupportedError, match="must be int32"):
        edge_dla.convert(model)


def test_padv2_constant_quantized_differently_is_refused():
    b = ModelBuilder("padv2")
    x = b.input("x", [1, 2, 2, 1], 0.1, 0)
    p = b.const("pads", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32))
    c = b.const("value", np.array([5], np.int8), 0.1, 3)
    y = b.tensor("y", [1, 4, 4, 1], 0.1, 0)
    b.op("PADV2", [x, p, c], [y])
    b.output(y)
    with pytest.raises(ModelError, match="pad constant"):
        edge_dla.convert(b.build())


# ---- CONCATENATION / PACK -----------------------------------------------------------------------
def concat_models(rng, shapes, axis, out_quant, in_quants):
    """(edge_dla model, TFLM reference): the reference requantizes every input whose
    quantization differs from the output's with an explicit QUANTIZE op (what the TFLite
    converter emits and what TFLM requires)."""
    out_shape = list(shapes[0])
    out_shape[axis] = sum(s[axis] for s in shapes)
    models = []
    for explicit in (False, True):
        b = ModelBuilder("concat")
        xs = [b.input(f"x{i}", s, *q) for i, (s, q) in enumerate(zip(shapes, in_quants))]
        ins = []
        for i, (x, q) in enumerate(zip(xs, in_quants)):
            if explicit and tuple(q) != tuple(out_quant):
                r = b.tensor(f"x{i}/requantized", shapes[i], *out_quant)
                b.op("QUANTIZE", [x], [r])
                x = r
            ins.append(x)
        while explicit and len(ins) > 10:  # TFLM takes at most 10 inputs: join the first 9
            part_shape = list(out_shape)
            part_shape[axis] = sum(b.tensors[t].shape[axis] for t in ins[:9])
            part = b.tensor("part", part_shape, *out_quant)
            b.op("CONCATENATION", ins[:9], [part], axis=axis)
            ins = [part] + ins[9:]
        y = b.tensor("y", out_shape, *out_quant)
        b.op("CONCATENATION", ins, [y], axis=axis)
        b.output(y)
        models.append(b.build())
    return models


CONCAT_SHAPES = {
    0: [[1, 2, 3, 4], [2, 2, 3, 4], [3, 2, 3, 4]],
    1: [[2, 1, 3, 4], [2, 3, 3, 4]],
    2: [[2, 3, 2, 5], [2, 3, 1, 5], [2, 3, 4, 5]],
    3: [[1, 4, 4, 3], [1, 4, 4, 5], [1, 4, 4, 1]],
}


@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1, -3])
@pytest.mark.parametrize("scales", ["same", "different"])
def test_concatenation_axes(axis, scales, request):
    rng = rng_for(request.node.name)
    shapes = CONCAT_SHAPES[axis % 4]
    out_q = quant(rng)
    in_q = [out_q if scales == "same" else quant(rng) for _ in shapes]
    if scales == "different":
        in_q[0] = out_q  # a mix of copied and requantized inputs
    model, reference = concat_models(rng, shapes, axis % 4, out_q, in_q)
    if axis < 0:  # same model with a negative axis
        model = concat_models(rng, shapes, axis, out_q, in_q)[0]
    check_all_patterns(model, rng, reference)


@pytest.mark.parametrize("shapes,axis", [([[5], [3], [1]], 0), ([[2, 3], [2, 1]], 1),
                                          ([[2, 3, 1], [1, 3, 1]], 0)])
def test_concatenation_low_rank(shapes, axis, request):
    rng = rng_for(request.node.name)
    out_q = quant(rng)
    in_q = [quant(rng) for _ in shapes]
    check_all_patterns(*concat_models(rng, shapes, axis, out_q, in_q)[:1], rng,
                       concat_models(rng, shapes, axis, out_q, in_q)[1])


@pytest.mark.parametrize("n_inputs", [6, 7, 13])
@pytest.mark.parametrize("scales", ["same", "different"])
def test_concatenation_many_inputs(n_inputs, scales, request):
    """More than 6 inputs (or 5 requantized ones) become a chain of layers."""
    rng = rng_for(request.node.name)
    shapes = [[1, 3, 2, int(rng.integers(1, 4))] for _ in range(n_inputs)]
    out_q = quant(rng)
    in_q = [out_q if scales == "same" else quant(rng) for _ in shapes]
    model, reference = concat_models(rng, shapes, 3, out_q, in_q)
    check_all_patterns(model, rng, reference)
    layers = layer_ops(model)
    assert set(layers) == {"CONCATENATION"}
    assert (len(layers) > 1) == (n_inputs > 6 or scales == "different")


def test_concatenation_extreme_scale_ratios(request):
    rng = rng_for(request.node.name)
    shapes = [[1, 2, 2, 3]] * 4
    out_q = (0.05, 3)
    in_q = [(0.05 * 1000, -128), (0.05 / 1000, 127), (0.05 * 1.0000001, 3), (0.05, 4)]
    check_all_patterns(*concat_models(rng, shapes, 3, out_q, in_q)[:1], rng,
                       concat_models(rng, shapes, 3, out_q, in_q)[1])


def test_concatenation_with_constant_input(request):
    rng = rng_for(request.node.name)
    s, zp = quant(rng)
    b = ModelBuilder("concat_const")
    x = b.input("x", [1, 3, 3, 2], s, zp)
    c = b.const("c", rng.integers(-128, 128, (1, 3, 3, 1)).astype(np.int8), s, zp)
    y = b.tensor("y", [1, 3, 3, 3], s, zp)
    b.op("CONCATENATION", [c, x], [y], axis=3)
    b.output(y)
    check_all_patterns(b.build(), rng)


@pytest.mark.parametrize("shape,axis,n", [([3, 4], 0, 3), ([3, 4], 1, 2), ([3, 4], 2, 4), ([2, 3, 2], -1, 3),
                                          ([5], 0, 2), ([2, 2, 3], 1, 2), ([2, 3], 0, 8)])
def test_pack(shape, axis, n, request):
    rng = rng_for(request.node.name)
    out = list(shape)
    out.insert(axis % (len(shape) + 1), n)
    model = single_op("PACK", rng, [shape] * n, [out], same_quant=False, values_count=n, axis=axis)
    check_all_patterns(model, rng)  # TFLM's PACK moves values unchanged whatever the scales


@pytest.mark.parametrize("shape,axis", [([3, 4], 0), ([3, 4], 1), ([2, 3, 4], -1), ([2, 3, 4, 2], 2),
                                        ([1, 5, 2], 1)])
def test_unpack(shape, axis, request):
    rng = rng_for(request.node.name)
    outs = [s for d, s in enumerate(shape) if d != axis % len(shape)]
    model = single_op("UNPACK", rng, [shape], [outs] * shape[axis], num=shape[axis], axis=axis)
    check_all_patterns(model, rng)


# ---- EXPAND_DIMS / SQUEEZE / TRANSPOSE ------------------------------------------------------------
@pytest.mark.parametrize("shape,axis", [([3, 4], 0), ([3, 4], -1), ([2, 3, 4], 1), ([6], 1)])
def test_expand_dims_is_a_view(shape, axis, request):
    rng = rng_for(request.node.name)
    out = list(shape)
    out.insert(axis % (len(shape) + 1), 1)
    model = single_op("EXPAND_DIMS", rng, [shape], [out], [(1, np.array([axis], np.int32))])
    check_all_patterns(model, rng)


@pytest.mark.parametrize("shape,dims", [([1, 3, 1, 4], [0, 2]), ([1, 3, 1, 4], []), ([2, 1, 3], [-2]),
                                        ([1, 1, 1, 5], [1])])
def test_squeeze(shape, dims, request):
    rng = rng_for(request.node.name)
    out = [s for d, s in enumerate(shape) if not (s == 1 and (not dims or d in [x % len(shape) for x in dims]))]
    model = single_op("SQUEEZE", rng, [shape], [out], squeeze_dims=dims)
    check_all_patterns(model, rng)


def test_views_make_no_layers(request):
    """EXPAND_DIMS -> SQUEEZE -> RESHAPE around a conv: only the conv is a layer."""
    rng = rng_for(request.node.name)
    b = ModelBuilder("views")
    s, zp = quant(rng)
    x = b.input("x", [8, 3], s, zp)
    e = b.tensor("e", [1, 8, 3], s, zp)
    b.op("EXPAND_DIMS", [x, b.const("axis", np.array([0], np.int32))], [e])
    e2 = b.tensor("e2", [1, 1, 8, 3], s, zp)
    b.op("EXPAND_DIMS", [e, b.const("axis2", np.array([1], np.int32))], [e2])
    w = b.const("w", rng.integers(-127, 128, (4, 1, 3, 3)).astype(np.int8), [0.01] * 4, 0, quantized_dimension=0)
    c = b.tensor("c", [1, 1, 8, 4], 0.05, 0)
    b.op("CONV_2D", [e2, w], [c], padding="SAME", stride=(1, 1))
    sq = b.tensor("sq", [8, 4], 0.05, 0)
    b.op("SQUEEZE", [c], [sq], squeeze_dims=[0, 1])
    b.output(sq)
    model = b.build()
    check_all_patterns(model, rng)
    assert layer_ops(model) == ["CONV_2D"]


@pytest.mark.parametrize("shape,perm", [([1, 2, 3, 4], [0, 3, 1, 2]), ([1, 2, 3, 4], [0, 2, 3, 1]),
                                        ([2, 3, 4, 5], [3, 2, 1, 0]), ([3, 5], [1, 0]), ([2, 3, 4], [2, 0, 1]),
                                        ([4, 1, 3], [1, 0, 2]), ([1, 6, 1, 2], [2, 0, 1, 3]),
                                        ([2, 3, 4], [-1, 0, 1])])
def test_transpose(shape, perm, request):
    rng = rng_for(request.node.name)
    out = [shape[p] for p in perm]
    models = [single_op("TRANSPOSE", np.random.default_rng(1), [shape], [out], [(1, np.array(p, np.int32))],
                        output_quant=(0.3, 5))  # TFLM moves values unchanged
              for p in (perm, [p % len(shape) for p in perm])]
    check_all_patterns(models[0], rng, models[1])  # TFLM has no negative perms: compare with positive


# ---- STRIDED_SLICE / SLICE / SPLIT / SPLIT_V ------------------------------------------------------
def tf_strided_slice_shape(shape, begin, end, strides, begin_mask=0, end_mask=0, shrink_axis_mask=0):
    """Output shape by numpy slicing (TensorFlow semantics for these masks)."""
    index = []
    for d in range(len(shape)):
        if shrink_axis_mask >> d & 1:
            index.append(begin[d])
            continue
        index.append(slice(None if begin_mask >> d & 1 else begin[d], None if end_mask >> d & 1 else end[d],
                           strides[d]))
    return list(np.empty(shape)[tuple(index)].shape)


SS_CASES = cases(
    basic=dict(shape=[1, 6, 7, 4], begin=[0, 1, 2, 0], end=[1, 5, 6, 4], strides=[1, 1, 1, 1]),
    strided=dict(shape=[1, 8, 9, 3], begin=[0, 1, 0, 0], end=[1, 8, 9, 3], strides=[1, 2, 3, 1]),
    negative_indices=dict(shape=[2, 7, 5], begin=[-2, -6, -4], end=[-1, -1, 5], strides=[1, 2, 1]),
    negative_strides=dict(shape=[3, 6, 4], begin=[2, 5, 3], end=[-4, 0, -5], strides=[-1, -2, -1]),
    masks=dict(shape=[2, 6, 5, 3], begin=[1, 4, 9, 1], end=[0, 1, 4, 0], strides=[1, -1, 1, 1],
               begin_mask=0b0101, end_mask=0b1001),
    shrink=dict(shape=[2, 4, 5, 3], begin=[1, 0, 2, 0], end=[2, 4, 3, 3], strides=[1, 1, 1, 1],
                shrink_axis_mask=0b0101),
    shrink_negative=dict(shape=[4, 5], begin=[-1, 0], end=[0, 5], strides=[1, 1], shrink_axis_mask=1),
    clamped_ends=dict(shape=[5, 6], begin=[-100, 2], end=[100, 100], strides=[2, 1]),
    last_axis_step=dict(shape=[1, 3, 10], begin=[0, 0, 9], end=[1, 3, 0], strides=[1, 1, -3]),
    contiguous_rows=dict(shape=[1, 8, 4, 3], begin=[0, 2, 0, 0], end=[1, 6, 4, 3], strides=[1, 1, 1, 1]),
    single_element=dict(shape=[3, 4, 5], begin=[1, 2, 3], end=[2, 3, 4], strides=[1, 1, 1]),
)


@pytest.mark.parametrize("kw", SS_CASES)
def test_strided_slice(kw, request):
    rng = rng_for(request.node.callspec.id)
    masks = {k: kw[k] for k in ("begin_mask", "end_mask", "shrink_axis_mask") if k in kw}
    out = tf_strided_slice_shape(kw["shape"], kw["begin"], kw["end"], kw["strides"], **masks)
    params = [(i + 1, np.array(kw[k], np.int32)) for i, k in enumerate(("begin", "end", "strides"))]
    model = single_op("STRIDED_SLICE", rng, [kw["shape"]], [out], params, **masks)
    check_all_patterns(model, rng)


@pytest.mark.parametrize("flag", ["ellipsis_mask", "new_axis_mask", "offset"])
def test_strided_slice_unsupported_masks_are_reported(flag):
    rng = np.random.default_rng(0)
    params = [(1, np.array([0, 0], np.int32)), (2, np.array([1, 2], np.int32)), (3, np.array([1, 1], np.int32))]
    model = single_op("STRIDED_SLICE", rng, [[2, 3]], [[1, 2]], params, **{flag: 1 if flag != "offset" else True})
    with pytest.raises(UnsupportedError, match=flag):
        edge_dla.convert(model)


SLICE_CASES = cases(
    inner=dict(shape=[1, 6, 7, 4], begin=[0, 1, 2, 1], size=[1, 3, 4, 2]),
    to_end=dict(shape=[2, 5, 3], begin=[1, 2, 0], size=[-1, -1, 2]),
    rows=dict(shape=[6, 4], begin=[2, 0], size=[3, 4]),
    rank1=dict(shape=[9], begin=[4], size=[3]),
)


@pytest.mark.parametrize("kw", SLICE_CASES)
@pytest.mark.parametrize("index_type", [np.int32, np.int64])
def test_slice(kw, index_type, request):
    rng = rng_for(request.node.name)
    out = [n - b if s == -1 else s for n, b, s in zip(kw["shape"], kw["begin"], kw["size"])]
    params = [(1, np.array(kw["begin"], index_type)), (2, np.array(kw["size"], index_type))]
    check_all_patterns(single_op("SLICE", rng, [kw["shape"]], [out], params), rng)


@pytest.mark.parametrize("shape,axis,n", [([1, 6, 4, 3], 1, 3), ([1, 4, 4, 6], 3, 2), ([1, 4, 4, 6], -1, 3),
                                          ([6, 2], 0, 2), ([2, 6], 1, 6), ([1, 1, 4, 2], 2, 4)])
def test_split(shape, axis, n, request):
    rng = rng_for(request.node.name)
    out = list(shape)
    out[axis] //= n
    model = single_op("SPLIT", rng, [shape], [out] * n, [(0, np.array([axis], np.int32))], num_splits=n)
    check_all_patterns(model, rng)


@pytest.mark.parametrize("shape,axis,sizes", [([1, 7, 4, 3], 1, [2, 4, 1]), ([1, 4, 4, 7], 3, [3, -1, 1]),
                                              ([5, 3], 0, [1, 4]), ([2, 9], -1, [-1, 2, 2])])
def test_split_v(shape, axis, sizes, request):
    rng = rng_for(request.node.name)
    real = list(sizes)
    if -1 in real:
        real[real.index(-1)] = shape[axis] - (sum(real) + 1)
    outs = [[s if d != axis % len(shape) else r for d, s in enumerate(shape)] for r in real]
    params = [(1, np.array(sizes, np.int32)), (2, np.array([axis], np.int32))]
    model = single_op("SPLIT_V", rng, [shape], outs, params, num_splits=len(sizes))
    check_all_patterns(model, rng)


def test_outer_axis_split_is_zero_copy(request):
    """A split along the outermost non-1 axis is a view: no layer at all."""
    rng = rng_for(request.node.name)
    model = single_op("SPLIT", rng, [[1, 6, 4, 3]], [[1, 2, 4, 3]] * 3, [(0, np.array([1], np.int32))],
                      num_splits=3)
    assert layer_ops(model) == []
    check_all_patterns(model, rng)


# ---- GATHER ------------------------------------------------------------------------------------
GATHER_CASES = cases(
    axis0=dict(shape=[5, 3], indices=[4, 0, 2, 2], axis=0),
    axis1=dict(shape=[2, 6, 3], indices=[5, 1], axis=1),
    last_axis=dict(shape=[2, 3, 7], indices=[[0, 6], [3, 3]], axis=-1),
    indices_2d=dict(shape=[6, 4], indices=[[1, 2, 3], [5, 0, 4]], axis=0),
    contiguous_run=dict(shape=[8, 3], indices=[2, 3, 4], axis=0),
    scalar_index=dict(shape=[4, 5], indices=3, axis=1),
    batch_dims=dict(shape=[2, 5, 3], indices=[[4, 0], [1, 1]], axis=1, batch_dims=1),
)


@pytest.mark.parametrize("kw", GATHER_CASES)
def test_gather(kw, request):
    rng = rng_for(request.node.callspec.id)
    indices = np.array(kw["indices"], kw.get("dtype", np.int32))
    axis, bd = kw["axis"] % len(kw["shape"]), kw.get("batch_dims", 0)
    shape = kw["shape"]
    out = shape[:axis] + list(indices.shape[bd:]) + shape[axis + 1:]
    options = {"axis": kw["axis"]} | ({"batch_dims": bd} if bd else {})
    model = single_op("GATHER", rng, [shape], [out or [1]], [(1, indices)], **options)
    check_all_patterns(model, rng)


def test_gather_out_of_range_index_is_refused():
    rng = np.random.default_rng(0)
    model = single_op("GATHER", rng, [[4, 2]], [[2, 2]], [(1, np.array([1, 4], np.int32))], axis=0)
    with pytest.raises(ModelError, match="indices outside"):
        edge_dla.convert(model)


# ---- RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR --------------------------------------------------------
RESIZE_SIZES = [((3, 4), (6, 8)), ((4, 6), (7, 5)), ((5, 5), (2, 3)), ((1, 3), (4, 1)), ((6, 4), (6, 4)),
                ((2, 2), (9, 11))]
FLAGS = [dict(), dict(align_corners=True), dict(half_pixel_centers=True)]


@pytest.mark.parametrize("kind", ["RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"])
@pytest.mark.parametrize("sizes", RESIZE_SIZES, ids=lambda s: f"{s[0][0]}x{s[0][1]}-{s[1][0]}x{s[1][1]}")
@pytest.mark.parametrize("flags", FLAGS, ids=["default", "align_corners", "half_pixel"])
def test_resize(kind, sizes, flags, request):
    rng = rng_for(request.node.name)
    (h, w), (oh, ow) = sizes
    model = single_op(kind, rng, [[2, h, w, 3]], [[2, oh, ow, 3]], [(1, np.array([oh, ow], np.int32))], **flags)
    check_all_patterns(model, rng)


# ---- TRANSPOSE_CONV -------------------------------------------------------------------------------
def tconv_out(size, k, stride, padding):
    return size * stride if padding == "SAME" else (size - 1) * stride + k


def transpose_conv_model(rng, in_shape, out_channels, kernel, stride, padding, bias=True, per_channel=True,
                         activation="NONE", out_hw=None, output_zero_point=None):
    n, h, w, c = in_shape
    kh, kw = kernel
    oh, ow = out_hw or (tconv_out(h, kh, stride[0], padding), tconv_out(w, kw, stride[1], padding))
    wq, ws = tb.symmetric_weights(rng, (out_channels, kh, kw, c), 0 if per_channel else None, (0.005, 0.05))
    s_in, zp_in = quant(rng)
    acc_std = float(np.median(ws)) * s_in * 74 * np.sqrt(kh * kw * c / (stride[0] * stride[1])) * 60
    s_out = acc_std / 127
    zp_out = int(rng.integers(-40, 40)) if output_zero_point is None else output_zero_point
    b = ModelBuilder("transpose_conv")
    x = b.input("x", in_shape, s_in, zp_in)
    ins = [b.const("output_shape", np.array([n, oh, ow, out_channels], np.int32)),
           b.const("w", wq, ws, 0, quantized_dimension=0), x]
    if bias:
        bs = (np.float32(s_in) * ws.astype(np.float64)).astype(np.float32)
        ins.append(b.const("bias", tb.random_bias(rng, out_channels, acc_std, np.resize(bs, out_channels)), bs, 0))
    y = b.tensor("y", [n, oh, ow, out_channels], s_out, zp_out)
    b.op("TRANSPOSE_CONV", ins, [y], padding=padding, stride_h=stride[0], stride_w=stride[1],
         fused_activation_function=activation)
    b.output(y)
    return b.build()


TCONV_CASES = cases(
    same_stride2=dict(in_shape=[1, 4, 5, 3], out_channels=4, kernel=(3, 3), stride=(2, 2), padding="SAME"),
    valid_stride2=dict(in_shape=[1, 4, 5, 3], out_channels=4, kernel=(3, 3), stride=(2, 2), padding="VALID"),
    same_stride2_even_kernel=dict(in_shape=[1, 3, 3, 2], out_channels=3, kernel=(4, 4), stride=(2, 2),
                                  padding="SAME"),
    valid_k2_s2=dict(in_shape=[1, 5, 4, 6], out_channels=5, kernel=(2, 2), stride=(2, 2), padding="VALID"),
    same_stride1=dict(in_shape=[1, 5, 5, 3], out_channels=2, kernel=(3, 3), stride=(1, 1), padding="SAME"),
    stride3_rect=dict(in_shape=[2, 3, 4, 2], out_channels=3, kernel=(2, 5), stride=(3, 2), padding="SAME"),
    no_bias=dict(in_shape=[1, 4, 4, 3], out_channels=4, kernel=(3, 3), stride=(2, 2), padding="SAME", bias=False),
    per_tensor=dict(in_shape=[1, 4, 4, 3], out_channels=4, kernel=(3, 3), stride=(2, 2), padding="VALID",
                    per_channel=False),
    relu=dict(in_shape=[1, 4, 4, 3], out_channels=4, kernel=(3, 3), stride=(2, 2), padding="SAME",
              activation="RELU"),
    relu6=dict(in_shape=[1, 4, 4, 3], out_channels=4, kernel=(3, 3), stride=(2, 2), padding="VALID",
               activation="RELU6", output_zero_point=-128),
    kernel_larger_than_stride_valid=dict(in_shape=[1, 3, 3, 4], out_channels=2, kernel=(5, 5), stride=(2, 2),
                                         padding="VALID"),
    output_padding=dict(in_shape=[1, 3, 3, 2], out_channels=3, kernel=(3, 3), stride=(2, 2), padding="VALID",
                        out_hw=(8, 8)),
)


@pytest.mark.parametrize("kw", TCONV_CASES)
def test_transpose_conv(kw, request):
    rng = rng_for(request.node.callspec.id)
    check_all_patterns(transpose_conv_model(rng, **kw), rng)


def test_transpose_conv_is_an_npu_op_counting_macs(request):
    rng = rng_for(request.node.name)
    model = transpose_conv_model(rng, [1, 4, 4, 3], 4, (3, 3), (2, 2), "SAME")
    blob = edge_dla.convert(model)
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], np.zeros([1, 4, 4, 3], np.int8))
    it.invoke()
    row = it.profile()["layers"][0]
    # SAME, stride 2, 3x3 into 8x8 (pad 0 before): along each axis the 4 inputs meet
    # 3 taps, except the last input whose third tap falls outside: 11 pairs
    assert row["unit"] == "NPU" and row["macs"] == 11 * 11 * 3 * 4
    assert edge_dla.inspect(blob)["layers"][0]["macs"] == row["macs"]


def test_data_movement_layers_are_cpu_ops(request):
    rng = rng_for(request.node.name)
    model = single_op("TRANSPOSE", rng, [[1, 2, 3, 4]], [[1, 4, 2, 3]], [(1, np.array([0, 3, 1, 2], np.int32))])
    it = edge_dla.Interpreter(model_content=edge_dla.convert(model))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], np.zeros([1, 2, 3, 4], np.int8))
    it.invoke()
    profile = it.profile()
    assert [r["unit"] for r in profile["layers"]] == ["CPU"] and profile["npu"]["layers"] == 0


# ---- BATCH_MATMUL --------------------------------------------------------------------------------
def batch_matmul_model(rng, lhs_shape, rhs_shape, adj_x=False, adj_y=False, rhs_zero_point=0):
    b = ModelBuilder("batch_matmul")
    s_in, zp_in = quant(rng)
    x = b.input("lhs", lhs_shape, s_in, zp_in)
    s_w = float(tb.log_uniform(rng, 0.002, 0.02))
    w = b.const("rhs", rng.integers(-127, 128, rhs_shape).astype(np.int8), s_w, rhs_zero_point)
    rank = max(len(lhs_shape), len(rhs_shape))
    la = [1] * (rank - len(lhs_shape)) + list(lhs_shape)
    lb = [1] * (rank - len(rhs_shape)) + list(rhs_shape)
    m = la[-1] if adj_x else la[-2]
    n = lb[-2] if adj_y else lb[-1]
    k = la[-2] if adj_x else la[-1]
    batch = [max(p, q) for p, q in zip(la[:-2], lb[:-2])]
    y = b.tensor("y", batch + [m, n], s_in * s_w * 74 * np.sqrt(k) * 3 / 127, int(rng.integers(-20, 20)))
    b.op("BATCH_MATMUL", [x, w], [y], options_type="BatchMatMulOptions", adj_x=adj_x, adj_y=adj_y)
    b.output(y)
    return b.build()


BMM_CASES = cases(
    rank2=dict(lhs_shape=[4, 6], rhs_shape=[6, 5]),
    batched_lhs=dict(lhs_shape=[2, 3, 4, 8], rhs_shape=[8, 3]),
    adj_y=dict(lhs_shape=[3, 7], rhs_shape=[5, 7], adj_y=True),
    adj_x=dict(lhs_shape=[2, 7, 3], rhs_shape=[7, 4], adj_x=True),
    batched_rhs=dict(lhs_shape=[3, 2, 6], rhs_shape=[3, 6, 4]),
    broadcast_lhs=dict(lhs_shape=[1, 2, 6], rhs_shape=[3, 6, 4]),
    broadcast_both=dict(lhs_shape=[2, 1, 3, 5], rhs_shape=[1, 3, 5, 2], adj_x=False),
    rhs_zero_point=dict(lhs_shape=[2, 4, 6], rhs_shape=[6, 3], rhs_zero_point=9),
    attention_like=dict(lhs_shape=[1, 2, 8, 4], rhs_shape=[1, 2, 8, 4], adj_y=True),
)


@pytest.mark.parametrize("kw", BMM_CASES)
def test_batch_matmul(kw, request):
    rng = rng_for(request.node.callspec.id)
    check_all_patterns(batch_matmul_model(rng, **kw), rng)


# ---- constant folding ---------------------------------------------------------------------------
def keras_flatten(b, x_t, shape, s, zp):
    """SHAPE -> STRIDED_SLICE (batch, shrink) -> PACK with -1 -> RESHAPE, as Keras' Flatten."""
    shp = b.tensor("flatten/shape", [len(shape)], dtype="int32")
    b.op("SHAPE", [x_t], [shp], out_type=2)
    batch = b.tensor("flatten/batch", [], dtype="int32")
    b.op("STRIDED_SLICE", [shp, b.const("flatten/b", np.array([0], np.int32)),
                           b.const("flatten/e", np.array([1], np.int32)),
                           b.const("flatten/s", np.array([1], np.int32))], [batch], shrink_axis_mask=1)
    target = b.tensor("flatten/target", [2], dtype="int32")
    b.op("PACK", [batch, b.const("flatten/minus1", np.array(-1, np.int32))], [target], values_count=2, axis=0)
    flat = b.tensor("flatten", [shape[0], int(np.prod(shape[1:]))], s, zp)
    b.op("RESHAPE", [x_t, target], [flat])
    return flat


def test_keras_flatten_chain_folds_to_a_view(request):
    rng = rng_for(request.node.name)
    b = ModelBuilder("flatten")
    s, zp = quant(rng)
    x = b.input("x", [1, 3, 4, 2], s, zp)
    flat = keras_flatten(b, x, [1, 3, 4, 2], s, zp)
    w, ws = tb.symmetric_weights(rng, (5, 24))
    y = b.tensor("y", [1, 5], 0.5, 0)
    b.op("FULLY_CONNECTED", [flat, b.const("w", w, ws, 0)], [y])
    b.output(y)
    model = b.build()
    check_all_patterns(model, rng)
    from edge_dla.converter import lower
    from edge_dla.converter.tflite_reader import read_tflite
    graph = lower.apply_rewrites(read_tflite(model))
    assert [op.kind for op in graph.operators] == ["RESHAPE", "FULLY_CONNECTED"]
    assert graph.tensors[graph.operators[0].inputs[1]].data.tolist() == [1, -1]


def test_folding_int32_arithmetic_and_movement(request):
    """Shape arithmetic of any depth folds away (SHAPE, GATHER, STRIDED_SLICE, REDUCE_PROD, MUL,
    SLICE, CAST, CONCATENATION, some of which TFLM lacks); the result is checked against TFLM on
    the plain RESHAPE it folds to."""
    rng = rng_for(request.node.name)
    s, zp = quant(rng)
    b = ModelBuilder("fold")
    x = b.input("x", [2, 3, 4], s, zp)
    shp = b.tensor("shape", [3], dtype="int64")
    b.op("SHAPE", [x], [shp], out_type=4)
    tail = b.tensor("tail", [2], dtype="int64")
    b.op("GATHER", [shp, b.const("i", np.array([1, 2], np.int32))], [tail], axis=0)
    prod = b.tensor("prod", [1], dtype="int64")
    b.op("REDUCE_PROD", [tail, b.const("ax", np.array([0], np.int32))], [prod], keep_dims=True)
    head = b.tensor("head", [1], dtype="int64")
    b.op("SLICE", [shp, b.const("b0", np.array([0], np.int32)), b.const("s1", np.array([1], np.int32))], [head])
    one = b.tensor("one", [1], dtype="int64")
    b.op("STRIDED_SLICE", [tail, b.const("b", np.array([0], np.int32)), b.const("e", np.array([1], np.int32)),
                           b.const("st", np.array([1], np.int32))], [one])
    same = b.tensor("same", [1], dtype="int64")
    b.op("MUL", [prod, b.const("k", np.array([1], np.int64))], [same])
    target64 = b.tensor("target64", [2], dtype="int64")
    b.op("CONCATENATION", [head, same], [target64], axis=0)
    target = b.tensor("target", [2], dtype="int32")
    b.op("CAST", [target64], [target])
    y = b.tensor("y", [2, 12], s, zp)
    b.op("RESHAPE", [x, target], [y])
    b.output(y)
    model = b.build()

    from edge_dla.converter import lower
    from edge_dla.converter.tflite_reader import read_tflite
    graph = lower.apply_rewrites(read_tflite(model))
    assert [op.kind for op in graph.operators] == ["RESHAPE"]
    assert graph.tensors[graph.operators[0].inputs[1]].data.tolist() == [2, 12]
    r = ModelBuilder("folded")
    rx = r.input("x", [2, 3, 4], s, zp)
    ry = r.tensor("y", [2, 12], s, zp)
    r.op("RESHAPE", [rx, r.const("shape", np.array([2, 12], np.int32))], [ry])
    r.output(ry)
    check_all_patterns(model, rng, r.build())


# ---- several inputs and outputs, any order ----------------------------------------------------------
def multi_io_model(qa, qb, qy, explicit_requantize):
    """Inputs declared in another order than created, outputs in reverse: c and a are
    requantized and concatenated, d joined on rows, split back in three (views) and one
    part transposed. With explicit_requantize the requantizations are QUANTIZE ops (TFLM's form)."""
    b = ModelBuilder("multi_io")
    a = b.input("a", [1, 4, 4, 2], *qa)
    c = b.input("c", [1, 4, 4, 3], *qb)
    d = b.input("d", [1, 2, 4, 5], *qy)
    ins = [c, a]
    if explicit_requantize:
        for i, (t, shape) in enumerate(((c, [1, 4, 4, 3]), (a, [1, 4, 4, 2]))):
            ins[i] = b.tensor(f"{b.tensors[t].name}_q", shape, *qy)
            b.op("QUANTIZE", [t], [ins[i]])
    cat = b.tensor("cat", [1, 4, 4, 5], *qy)
    b.op("CONCATENATION", ins, [cat], axis=3)
    both = b.tensor("both", [1, 6, 4, 5], *qy)
    b.op("CONCATENATION", [d, cat], [both], axis=1)
    parts = [b.tensor(f"part{i}", [1, 2, 4, 5], *qy) for i in range(3)]
    b.op("SPLIT", [b.const("axis", np.array([1], np.int32)), both], parts, num_splits=3)
    t = b.tensor("t", [1, 5, 2, 4], *qy)
    b.op("TRANSPOSE", [parts[1], b.const("perm", np.array([0, 3, 1, 2], np.int32))], [t])
    b.inputs = [d, a, c]
    b.output(t, parts[2], parts[0])
    return b.build()


def test_several_inputs_and_outputs_in_any_order(request):
    rng = rng_for(request.node.name)
    q = (quant(rng), quant(rng), quant(rng))
    model, reference = multi_io_model(*q, False), multi_io_model(*q, True)
    check_all_patterns(model, rng, reference)
    check_all_patterns(reference, rng)
    assert layer_ops(model) == layer_ops(reference) == ["CONCATENATION", "CONCATENATION", "TRANSPOSE"]


# ---- zoo models ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("factory", [densenet_concat_net, unet_small], ids=lambda f: f.__name__)
def test_zoo_concat_models(factory, seed):
    """Bit-exact with TFLM; the variant whose concats requantize their inputs themselves
    gives the same outputs as TFLM on the converter's form with QUANTIZE ops."""
    rng = np.random.default_rng(seed)
    reference = factory(seed)
    check_all_patterns(reference, rng)
    check_all_patterns(factory(seed, explicit_requantize=False), rng, reference)


@pytest.mark.parametrize("seed", [0, 1])
def test_zoo_conv1d_kws(seed):
    model = conv1d_kws_net(seed)
    check_all_patterns(model, np.random.default_rng(seed))
    ops = layer_ops(model)
    convs = ops.count("CONV_2D") + ops.count("CONV_2D_SPARSE")  # dense, or packed with its tables for flash
    assert "PAD" in ops and convs == 3 and "RESHAPE" not in ops  # views are free


def test_zoo_densenet_flatten_chain_is_folded():
    ops = layer_ops(densenet_concat_net(0, explicit_requantize=False))
    assert not {"SHAPE", "PACK", "STRIDED_SLICE", "RESHAPE"} & set(ops)
    assert ops[-2:] == ["FULLY_CONNECTED", "SOFTMAX"] and "CONCATENATION" in ops


# ---- board cases -------------------------------------------------------------------------------
def board_cases():
    """name -> (model, list of input sets) for tests/test_board.py: every kernel of this family
    (requantizing concat included: explicit QUANTIZE ops fuse into it), views, folding and the
    zoo models. Each model runs in TFLM as it is."""
    rng = np.random.default_rng(2025)
    q = (0.05, 3)
    models = {
        "pad": single_op("PAD", rng, [[1, 4, 5, 3]], [[1, 6, 6, 4]],
                         [(1, np.array([[0, 0], [1, 1], [0, 1], [1, 0]], np.int32))]),
        "concat_requantize": concat_models(rng, [[1, 3, 2, 2], [1, 3, 2, 5], [1, 3, 2, 1]], 3, q,
                                           [(0.1, -4), q, (0.02, 9)])[1],
        "concat_many": concat_models(rng, [[1, 2, 3, 2]] * 8, 1, q, [quant(rng) for _ in range(8)])[1],
        "pack_unpack": single_op("PACK", rng, [[3, 4]] * 3, [[3, 3, 4]], values_count=3, axis=1),
        "unpack_inner": single_op("UNPACK", rng, [[2, 3, 4]], [[2, 3]] * 4, num=4, axis=2),
        "transpose": single_op("TRANSPOSE", rng, [[2, 3, 4, 5]], [[5, 3, 2, 4]],
                               [(1, np.array([3, 1, 0, 2], np.int32))]),
        "strided_slice": single_op("STRIDED_SLICE", rng, [[1, 7, 6, 4]], [[1, 3, 2, 4]],
                                   [(1, np.array([0, 6, 5, 0], np.int32)), (2, np.array([1, 0, 0, 4], np.int32)),
                                    (3, np.array([1, -2, -3, 1], np.int32))]),
        "split_channels": single_op("SPLIT", rng, [[1, 3, 3, 6]], [[1, 3, 3, 2]] * 3,
                                    [(0, np.array([3], np.int32))], num_splits=3),
        "gather_batch_dims": single_op("GATHER", rng, [[2, 5, 3]], [[2, 2, 3]],
                                       [(1, np.array([[4, 0], [1, 1]], np.int32))], axis=1, batch_dims=1),
        "resize_nearest": single_op("RESIZE_NEAREST_NEIGHBOR", rng, [[1, 3, 4, 2]], [[1, 7, 9, 2]],
                                    [(1, np.array([7, 9], np.int32))], half_pixel_centers=True),
        "resize_bilinear": single_op("RESIZE_BILINEAR", rng, [[2, 4, 3, 3]], [[2, 7, 8, 3]],
                                     [(1, np.array([7, 8], np.int32))], align_corners=True),
        "transpose_conv": transpose_conv_model(rng, [1, 4, 5, 3], 4, (3, 3), (2, 2), "SAME", activation="RELU"),
        "batch_matmul": batch_matmul_model(rng, [3, 7, 2], [3, 7, 4], adj_x=True),
        "densenet_concat_net": densenet_concat_net(0),
        "unet_small": unet_small(0),
        "conv1d_kws_net": conv1d_kws_net(0),
        "multi_io": multi_io_model(quant(rng), quant(rng), quant(rng), True),
    }
    return {name: (m, [make_inputs(m, rng, p) for p in PATTERNS]) for name, m in models.items()}


@pytest.mark.parametrize("factory", [densenet_concat_net, unet_small, conv1d_kws_net], ids=lambda f: f.__name__)
def test_zoo_cycle_estimate_matches_the_core(factory):
    """The converter's cycle model knows the CPU cost of every data movement op."""
    blob = edge_dla.convert(factory(0))
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], np.zeros(d["shape"], np.int8))
    it.invoke()
    profile = it.profile()
    assert_cycles_vs_estimate(profile, edge_dla.inspect(blob))
    assert profile["cpu"]["layers"] > 0 and profile["npu"]["layers"] > 0


# ---- derandomized sweeps ------------------------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SWEEP = settings(derandomize=True, max_examples=60, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


@st.composite
def strided_slices(draw):
    rank = draw(st.integers(1, 4))
    shape = [draw(st.integers(1, 6)) for _ in range(rank)]
    begin = [draw(st.integers(-8, 8)) for _ in range(rank)]
    end = [draw(st.integers(-8, 8)) for _ in range(rank)]
    strides = [draw(st.sampled_from([-3, -2, -1, 1, 2, 3])) for _ in range(rank)]
    masks = {k: draw(st.integers(0, (1 << rank) - 1)) for k in ("begin_mask", "end_mask", "shrink_axis_mask")}
    return shape, begin, end, strides, masks, draw(st.integers(0, 2**32 - 1))


@settings(SWEEP, max_examples=200)  # about a third of the draws are empty slices, skipped
@given(strided_slices())
def test_strided_slice_sweep(case):
    shape, begin, end, strides, masks, seed = case
    for d in range(len(shape)):  # TFLM shrinks an axis only at an in-range index
        if masks["shrink_axis_mask"] >> d & 1 and not -shape[d] <= begin[d] < shape[d]:
            masks["shrink_axis_mask"] &= ~(1 << d)
    out = tf_strided_slice_shape(shape, begin, end, strides, **masks)
    if 0 in out or not out:
        return  # empty or scalar outputs are not model tensors edge_dla runs
    rng = np.random.default_rng(seed)
    params = [(1, np.array(begin, np.int32)), (2, np.array(end, np.int32)), (3, np.array(strides, np.int32))]
    model = single_op("STRIDED_SLICE", rng, [shape], [out], params, **masks)
    if any(masks["shrink_axis_mask"] >> d & 1 and strides[d] < 0 for d in range(len(shape))):
        with pytest.raises(ModelError, match="negative stride"):  # TFLM writes nothing: refused
            edge_dla.convert(model)
        return
    assert_bit_exact(model, make_inputs(model, rng, "random"))


@SWEEP
@given(st.sampled_from(["RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"]), st.integers(1, 9), st.integers(1, 9),
       st.integers(1, 13), st.integers(1, 13), st.sampled_from([{}, {"align_corners": True},
                                                                {"half_pixel_centers": True}]),
       st.integers(0, 2**32 - 1))
def test_resize_sweep(kind, h, w, oh, ow, flags, seed):
    rng = np.random.default_rng(seed)
    model = single_op(kind, rng, [[1, h, w, 2]], [[1, oh, ow, 2]], [(1, np.array([oh, ow], np.int32))], **flags)
    for pattern in ("random", "extremes"):
        assert_bit_exact(model, make_inputs(model, rng, pattern))


@SWEEP
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.integers(1, 5),
       st.integers(1, 5), st.integers(1, 3), st.integers(1, 3), st.sampled_from(["SAME", "VALID"]),
       st.booleans(), st.sampled_from(list(tb.ACTIVATIONS)), st.integers(0, 2**32 - 1))
def test_transpose_conv_sweep(h, w, cin, cout, kh, kw, sh, sw, padding, bias, activation, seed):
    rng = np.random.default_rng(seed)
    model = transpose_conv_model(rng, [1, h, w, cin], cout, (kh, kw), (sh, sw), padding, bias=bias,
                                 activation=activation)
    for pattern in ("random", "extremes"):
        assert_bit_exact(model, make_inputs(model, rng, pattern))


@SWEEP
@given(st.integers(1, 7), st.integers(0, 3), st.lists(st.tuples(st.floats(-12, 6), st.integers(-128, 127)),
                                                      min_size=1, max_size=7),
       st.integers(0, 2**32 - 1))
def test_concatenation_requantize_sweep(n_inputs, axis, quants, seed):
    """Requantizing concat inputs of scales 2^-12..2^6 relative to the output's."""
    rng = np.random.default_rng(seed)
    out_q = (0.02, int(rng.integers(-128, 128)))
    in_q = [(float(np.float32(0.02 * 2.0 ** e)), zp) for e, zp in (quants * n_inputs)[:n_inputs]]
    shapes = [[1, 2, 3, 2] for _ in range(n_inputs)]
    for s in shapes:
        s[axis] = int(rng.integers(1, 3))
    model, reference = concat_models(rng, shapes, axis, out_q, in_q)
    for pattern in ("random", "extremes"):
        inputs = make_inputs(model, rng, pattern)
        np.testing.assert_array_equal(run_edge_dla(model, inputs)[0], tb.run_tflm(reference, inputs)[0])
