"""The test-model factory itself: builder models must be valid TFLite that TFLM runs."""

import math

import numpy as np
import pytest
import tflite

from edge_dla.testing import tflite_builder as tb
from edge_dla.testing.zoo import KWS_LABELS, ds_cnn_kws


def tensor_by_name(model, name):
    sg = model.Subgraphs(0)
    for i in range(sg.TensorsLength()):
        if sg.Tensors(i).Name().decode() == name:
            return sg.Tensors(i)
    raise KeyError(name)


def quant(t):
    q = t.Quantization()
    return list(q.ScaleAsNumpy()), list(q.ZeroPointAsNumpy()), q.QuantizedDimension()


def const_data(model, t, dtype):
    return np.frombuffer(model.Buffers(t.Buffer()).DataAsNumpy().tobytes(), dtype)


def options(model, op_index, cls):
    op = model.Subgraphs(0).Operators(op_index)
    opts = cls()
    opts.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
    return opts


GENERATORS = {
    "conv": lambda r: tb.conv2d_model(r, [1, 7, 9, 3], 5, kernel=3, stride=2, activation="RELU"),
    "conv_dilated_per_tensor": lambda r: tb.conv2d_model(r, [1, 9, 9, 4], 3, dilation=2,
                                                         per_channel=False),
    "depthwise_m2": lambda r: tb.depthwise_model(r, [1, 7, 9, 3], depth_multiplier=2, stride=2),
    "depthwise_no_bias": lambda r: tb.depthwise_model(r, [1, 6, 6, 4], bias=False),
    "fc_keep_dims": lambda r: tb.fully_connected_model(r, [1, 4, 8], 6, keep_num_dims=True),
    "fc_no_bias": lambda r: tb.fully_connected_model(r, [2, 16], 6, bias=False),
    "avg_pool": lambda r: tb.pool_model(r, [1, 7, 9, 3], "AVERAGE", 3, 2, "SAME"),
    "max_pool": lambda r: tb.pool_model(r, [1, 7, 9, 3], "MAX", 3, 2, "SAME"),
    "add_broadcast": lambda r: tb.add_model(r, [1, 5, 7, 3], [1, 1, 1, 3], activation="RELU6"),
    "softmax": lambda r: tb.softmax_model(r, [1, 10], beta=0.5, input_scale=0.05),
    "reshape_tensor": lambda r: tb.reshape_model(r, [1, 2, 3, 4], [1, 24],
                                                 new_shape_option=False),
    "reshape_option": lambda r: tb.reshape_model(r, [1, 2, 3, 4], [6, 4], shape_input=False),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_generated_layer_runs_in_tflm(name):
    """Every generator's model loads in TFLM and gives a non-constant output of the declared shape."""
    rng = np.random.default_rng(7)
    data = GENERATORS[name](rng)
    model = tb.read_model(data)
    sg = model.Subgraphs(0)
    declared = list(sg.Tensors(sg.Outputs(0)).ShapeAsNumpy())
    inputs = [rng.integers(-128, 128, size=s, dtype=np.int8) for s, _ in tb.input_shapes(data)]
    out = tb.run_tflm(data, inputs)[0]
    assert out.dtype == np.int8 and list(out.shape) == declared
    assert np.unique(out).size > 1


def test_model_header_and_buffers():
    """Schema version 3, TFL3 identifier, empty buffer 0 and 16-byte aligned constant data."""
    data = tb.conv2d_model(np.random.default_rng(0), [1, 5, 5, 3], 4)
    assert data[4:8] == b"TFL3"
    model = tb.read_model(data)
    assert model.Version() == 3
    assert model.Buffers(0).DataLength() == 0
    for i in range(1, model.BuffersLength()):
        buf = model.Buffers(i)
        start = buf._tab.Vector(buf._tab.Offset(4))
        assert buf.DataLength() > 0 and start % 16 == 0


def test_per_channel_quantization_round_trips():
    """Scales, zero points, quantized_dimension and weight bytes come back exactly as written."""
    rng = np.random.default_rng(1)
    w = rng.integers(-127, 128, (4, 3, 3, 2), dtype=np.int8)
    ws = np.array([2**-20, 0.01, 0.5, 2**3], np.float32)
    dw = rng.integers(-127, 128, (1, 3, 3, 6), dtype=np.int8)
    dws = np.linspace(0.001, 0.06, 6).astype(np.float32)

    b = tb.ModelBuilder()
    x = b.input("x", [1, 5, 5, 2], 0.05, -3)
    wt = b.const("w", w, ws, 0, quantized_dimension=0)
    bt = b.const("b", np.arange(4, dtype=np.int32), 0.05 * ws, 0)
    y = b.tensor("y", [1, 5, 5, 4], 0.2, 7)
    b.op("CONV_2D", [x, wt, bt], [y], padding="SAME", stride=1, dilation=1)
    dwt = b.const("dw", dw, dws, 0, quantized_dimension=3)
    z = b.tensor("z", [1, 5, 5, 12], 0.3, -128)
    b.op("DEPTHWISE_CONV_2D", [y, dwt], [z], padding="SAME", stride=1, dilation=1,
         depth_multiplier=3)
    b.output(z)
    data = b.build()
    model = tb.read_model(data)

    assert quant(tensor_by_name(model, "w")) == (list(ws), [0] * 4, 0)
    assert quant(tensor_by_name(model, "dw")) == (list(dws), [0] * 6, 3)
    assert quant(tensor_by_name(model, "b"))[0] == list((0.05 * ws).astype(np.float32))
    assert quant(tensor_by_name(model, "x")) == ([np.float32(0.05)], [-3], 0)
    np.testing.assert_array_equal(const_data(model, tensor_by_name(model, "w"), np.int8),
                                  w.ravel())
    np.testing.assert_array_equal(const_data(model, tensor_by_name(model, "dw"), np.int8),
                                  dw.ravel())
    assert tensor_by_name(model, "w").Type() == tflite.TensorType.INT8
    assert tensor_by_name(model, "b").Type() == tflite.TensorType.INT32
    tb.run_tflm(data, [np.zeros((1, 5, 5, 2), np.int8)])


@pytest.mark.parametrize("kind", ["conv", "depthwise", "fc"])
def test_generated_bias_scale_is_input_times_weight_scale(kind):
    """Generated layers follow the TFLite int8 spec: symmetric weights, bias scale = s_in * s_w."""
    rng = np.random.default_rng(2)
    data = {"conv": lambda: tb.conv2d_model(rng, [1, 5, 5, 3], 6),
            "depthwise": lambda: tb.depthwise_model(rng, [1, 5, 5, 3], depth_multiplier=2),
            "fc": lambda: tb.fully_connected_model(rng, [1, 8], 5, per_channel=True)}[kind]()
    model = tb.read_model(data)
    sg = model.Subgraphs(0)
    x, w, b = (sg.Tensors(sg.Operators(0).Inputs(i)) for i in range(3))
    ws, wz, qdim = quant(w)
    assert len(ws) == w.ShapeAsNumpy()[qdim] and set(wz) == {0}
    assert qdim == (3 if kind == "depthwise" else 0)
    weights = const_data(model, w, np.int8)
    assert weights.min() >= -127
    bs, bz, _ = quant(b)
    np.testing.assert_array_equal(np.float32(bs), (np.float64(quant(x)[0][0]) *
                                                   np.float64(ws)).astype(np.float32))
    assert set(bz) == {0}


def test_builtin_options_round_trip():
    """Friendly option keywords land in the right schema fields."""
    b = tb.ModelBuilder()
    x = b.input("x", [1, 9, 9, 2], 0.1, 0)
    w = b.const("w", np.ones((3, 3, 2, 2), np.int8), [0.1] * 3, 0)
    y = b.tensor("y", [1, 4, 3, 3], 0.1, 0)
    b.op("CONV_2D", [x, w, -1], [y], padding="VALID", stride=(2, 3), dilation=(1, 2),
         activation="RELU6")
    p = b.tensor("p", [1, 2, 2, 3], 0.1, 0)
    b.op("AVERAGE_POOL_2D", [y], [p], padding="SAME", stride=2, filter=(3, 1),
         activation="RELU_N1_TO_1")
    f = b.tensor("f", [1, 12], 0.1, 0)
    b.op("RESHAPE", [p], [f], new_shape=[1, 12])
    s = b.tensor("s", [1, 12], 1 / 256, -128)
    b.op("SOFTMAX", [f], [s], beta=0.25)
    b.output(s)
    model = tb.read_model(b.build())

    conv = options(model, 0, tflite.Conv2DOptions)
    assert (conv.Padding(), conv.StrideH(), conv.StrideW()) == (tflite.Padding.VALID, 2, 3)
    assert (conv.DilationHFactor(), conv.DilationWFactor()) == (1, 2)
    assert conv.FusedActivationFunction() == tflite.ActivationFunctionType.RELU6
    pool = options(model, 1, tflite.Pool2DOptions)
    assert (pool.FilterHeight(), pool.FilterWidth(), pool.StrideH()) == (3, 1, 2)
    assert pool.FusedActivationFunction() == tflite.ActivationFunctionType.RELU_N1_TO_1
    assert list(options(model, 2, tflite.ReshapeOptions).NewShapeAsNumpy()) == [1, 12]
    assert options(model, 3, tflite.SoftmaxOptions).Beta() == 0.25
    assert list(model.Subgraphs(0).Operators(0).InputsAsNumpy()) == [0, 1, -1]

    data = tb.depthwise_model(np.random.default_rng(0), [1, 4, 4, 2], depth_multiplier=3)
    assert options(tb.read_model(data), 0, tflite.DepthwiseConv2DOptions).DepthMultiplier() == 3
    data = tb.fully_connected_model(np.random.default_rng(0), [1, 3, 4], 2, keep_num_dims=True)
    assert options(tb.read_model(data), 0, tflite.FullyConnectedOptions).KeepNumDims()


def test_generic_builtin_op_with_raw_options():
    """Any builtin with its options table: CONCATENATION(axis=3) runs and concatenates."""
    b = tb.ModelBuilder()
    x = b.input("x", [1, 2, 2, 3], 0.1, 4)
    c = b.const("c", np.arange(8, dtype=np.int8).reshape(1, 2, 2, 2), 0.1, 4)
    y = b.tensor("y", [1, 2, 2, 5], 0.1, 4)
    b.op("CONCATENATION", [x, c], [y], axis=3, activation="NONE")
    b.output(y)
    data = b.build()
    xin = np.arange(12, dtype=np.int8).reshape(1, 2, 2, 3)
    np.testing.assert_array_equal(tb.run_tflm(data, [xin])[0],
                                  np.concatenate([xin, np.arange(8, dtype=np.int8)
                                                  .reshape(1, 2, 2, 2)], axis=3))
    assert options(tb.read_model(data), 0, tflite.ConcatenationOptions).Axis() == 3

    b = tb.ModelBuilder()  # codes above 127 go in builtin_code, with the placeholder in the old field
    x = b.input("x", [1, 4], 0.1, 0)
    y = b.tensor("y", [1, 4], 0.1, 0)
    b.op("GELU", [x], [y], approximate=True)
    b.output(y)
    code = tb.read_model(b.build()).OperatorCodes(0)
    assert code.BuiltinCode() == tflite.BuiltinOperator.GELU
    assert code.DeprecatedBuiltinCode() == tflite.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES


def test_valid_models_edge_dla_does_not_support_still_run_in_tflm():
    """Float32 and int16 models are valid TFLite (so rejecting them is edge_dla's choice)."""
    b = tb.ModelBuilder()
    x = b.input("x", [1, 4, 4, 2], dtype="float32")
    w = b.const("w", np.ones((3, 3, 3, 2), np.float32))
    y = b.tensor("y", [1, 4, 4, 3], dtype="float32")
    b.op("CONV_2D", [x, w, b.const("b", np.zeros(3, np.float32))], [y], padding="SAME",
         stride=1, dilation=1)
    b.output(y)
    out = tb.run_tflm(b.build(), [np.ones((1, 4, 4, 2), np.float32)])[0]
    assert out[0, 1, 1, 0] == 18.0 and out[0, 0, 0, 0] == 8.0

    b = tb.ModelBuilder()
    x = b.input("x", [1, 8], 4 / 32768, 0, dtype="int16")
    y = b.tensor("y", [1, 8], 1 / 32768, 0, dtype="int16")
    b.op("TANH", [x], [y])
    b.output(y)
    assert tb.run_tflm(b.build(), [np.arange(8, dtype=np.int16).reshape(1, 8)])[0].dtype == np.int16


def _conv_builder():
    b = tb.ModelBuilder()
    x = b.input("x", [1, 5, 5, 2], 0.05, 0)
    w = b.const("w", np.ones((3, 3, 3, 2), np.int8), [0.01, 0.02, 0.03], 0)
    bias = b.const("bias", np.zeros(3, np.int32), [0.0005, 0.001, 0.0015], 0)
    y = b.tensor("y", [1, 5, 5, 3], 0.1, 0)
    b.op("CONV_2D", [x, w, bias], [y], padding="SAME", stride=1, dilation=1)
    b.output(y)
    return b, x, w, bias, y


def _break(defect):
    """Apply one named defect to a valid conv model; return (bytes, parsed model)."""
    b, x, w, bias, y = _conv_builder()
    if defect == "custom_op":
        z = b.tensor("z", [1, 5, 5, 3], 0.1, 0)
        b.custom_op("MyCustom", [y], [z], b"\x00\x01")
        b.outputs = [z]
    elif defect == "tensor_index_out_of_range":
        b.ops[0].inputs[1] = 99
    elif defect == "buffer_index_out_of_range":
        b.tensors[w].buffer = 42
    elif defect == "zero_dim":
        b.tensors[x].shape = [1, 0, 5, 2]
    elif defect == "negative_dim":
        b.tensors[y].shape = [1, -5, 5, 3]
    elif defect == "zero_stride":
        b.ops[0].options["stride_h"] = 0
    elif defect in ("zero_scale", "negative_scale", "nan_scale"):
        b.tensors[y].scales = [{"zero_scale": 0.0, "negative_scale": -0.1,
                                "nan_scale": math.nan}[defect]]
    elif defect == "zero_point_out_of_range":
        b.tensors[x].zero_points = [200]
    elif defect == "per_channel_count_mismatch":
        b.tensors[w].scales = [0.01, 0.02]
        b.tensors[w].zero_points = [0, 0]
    elif defect == "unknown_builtin_code":
        b.opcodes[0] = tb.OpcodeSpec(9999)
    data = b.build()
    return data, tb.read_model(data)


DEFECTS = ["custom_op", "tensor_index_out_of_range", "buffer_index_out_of_range", "zero_dim",
           "negative_dim", "zero_stride", "zero_scale", "negative_scale", "nan_scale",
           "zero_point_out_of_range", "per_channel_count_mismatch", "unknown_builtin_code"]


@pytest.mark.parametrize("defect", DEFECTS)
def test_malformed_models_serialise_the_defect(defect):
    """Negative-test models parse as flatbuffers and carry exactly the intended defect."""
    data, model = _break(defect)
    sg = model.Subgraphs(0)
    conv = sg.Operators(0)
    check = {
        "custom_op": lambda: model.OperatorCodes(sg.Operators(1).OpcodeIndex()).CustomCode()
        == b"MyCustom" and list(sg.Operators(1).CustomOptionsAsNumpy()) == [0, 1],
        "tensor_index_out_of_range": lambda: conv.Inputs(1) == 99,
        "buffer_index_out_of_range": lambda: sg.Tensors(1).Buffer() == 42
        and model.BuffersLength() == 3,
        "zero_dim": lambda: list(sg.Tensors(0).ShapeAsNumpy()) == [1, 0, 5, 2],
        "negative_dim": lambda: list(sg.Tensors(3).ShapeAsNumpy()) == [1, -5, 5, 3],
        "zero_stride": lambda: options(model, 0, tflite.Conv2DOptions).StrideH() == 0,
        "zero_scale": lambda: quant(sg.Tensors(3))[0] == [0.0],
        "negative_scale": lambda: quant(sg.Tensors(3))[0] == [np.float32(-0.1)],
        "nan_scale": lambda: math.isnan(quant(sg.Tensors(3))[0][0]),
        "zero_point_out_of_range": lambda: quant(sg.Tensors(0))[1] == [200],
        "per_channel_count_mismatch": lambda: len(quant(sg.Tensors(1))[0]) == 2
        and sg.Tensors(1).ShapeAsNumpy()[0] == 3,
        "unknown_builtin_code": lambda: model.OperatorCodes(0).BuiltinCode() == 9999,
    }[defect]
    assert check()


def test_tflm_rejects_unregistered_custom_op():
    data, _ = _break("custom_op")
    with pytest.raises(RuntimeError):
        tb.run_tflm(data, [np.zeros((1, 5, 5, 2), np.int8)])


# ---- zoo --------------------------------------------------------------------------------
def test_ds_cnn_kws_is_small_deterministic_and_valid():
    data = ds_cnn_kws()
    assert len(data) < 50_000
    assert data == ds_cnn_kws(seed=0) and data != ds_cnn_kws(seed=1)
    model = tb.read_model(data)
    sg = model.Subgraphs(0)
    assert list(sg.Tensors(sg.Inputs(0)).ShapeAsNumpy()) == [1, 49, 10, 1]
    ops = [tflite.utils.BUILTIN_OPCODE2NAME[model.OperatorCodes(sg.Operators(i).OpcodeIndex())
                                            .BuiltinCode()] for i in range(sg.OperatorsLength())]
    assert ops[0] == "CONV_2D" and ops[-4:] == ["AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED",
                                                "SOFTMAX"]
    assert "DEPTHWISE_CONV_2D" in ops


def test_ds_cnn_kws_outputs_are_not_degenerate():
    """Outputs vary within one inference and across inputs, and dequantize to a distribution."""
    data = ds_cnn_kws()
    rng = np.random.default_rng(0)
    outs = []
    for _ in range(4):
        x = rng.integers(-128, 128, (1, 49, 10, 1), dtype=np.int8)
        out = tb.run_tflm(data, [x])[0]
        assert out.shape == (1, len(KWS_LABELS)) and np.unique(out).size > 3
        assert abs(float(np.sum((out.astype(np.int32) + 128) / 256.0)) - 1.0) < 0.1
        outs.append(out)
    assert len({o.tobytes() for o in outs}) == len(outs)
    silence = tb.run_tflm(data, [np.zeros((1, 49, 10, 1), np.int8)])[0]
    assert np.unique(silence).size > 3
