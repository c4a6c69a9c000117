"""Bad input gets a typed edge_dla error naming what is wrong and where, never a crash."""
import math

import numpy as np
import pytest

import edge_dla
from conftest import model_bytes
from edge_dla.errors import (BlobError, GraphError, InputError, ModelError, QuantizationError,
                             UnsupportedError)
from edge_dla.testing.tflite_builder import ModelBuilder


def fc_builder(conv=False):
    """A valid one-layer int8 model, to be broken by each test."""
    b = ModelBuilder()
    if conv:
        x = b.input("x", [1, 5, 5, 2], 0.1, 0)
        w = b.const("w", np.ones((3, 3, 3, 2), np.int8), [0.05, 0.04, 0.03], 0, quantized_dimension=0)
        bias = b.const("b", np.zeros(3, np.int32), [0.005, 0.004, 0.003], 0)
        y = b.tensor("y", [1, 5, 5, 3], 0.2, -5)
        b.op("CONV_2D", [x, w, bias], [y], padding="SAME", stride=(1, 1))
    else:
        x = b.input("x", [1, 4], 0.1, 0)
        w = b.const("w", np.ones((3, 4), np.int8), 0.05, 0)
        bias = b.const("b", np.zeros(3, np.int32), 0.005, 0)
        y = b.tensor("y", [1, 3], 0.2, -5)
        b.op("FULLY_CONNECTED", [x, w, bias], [y])
    b.output(y)
    return b


def test_the_unbroken_models_convert():
    edge_dla.convert(fc_builder().build())
    edge_dla.convert(fc_builder(conv=True).build())


def test_not_a_flatbuffer():
    with pytest.raises(ModelError, match="not a TFLite model"):
        edge_dla.convert(b"GIF89a this is a picture, not a model")


def test_truncated_file():
    data = model_bytes("kws_ref_model")
    for cut in (4, 100, 1000, len(data) // 2, len(data) - 10):
        with pytest.raises(ModelError):
            edge_dla.convert(data[:cut])


def test_wrong_schema_version():
    b = fc_builder()
    b.version = 2
    with pytest.raises(ModelError, match="schema version 2"):
        edge_dla.convert(b.build())


def test_float_model():
    b = ModelBuilder()
    x = b.input("x", [1, 4], dtype="float32")
    w = b.const("w", np.ones((3, 4), np.float32))
    y = b.tensor("y", [1, 3], dtype="float32")
    b.op("FULLY_CONNECTED", [x, w], [y])
    b.output(y)
    with pytest.raises(UnsupportedError, match="float model"):
        edge_dla.convert(b.build())


def test_hybrid_model():
    b = ModelBuilder()
    x = b.input("x", [1, 4], dtype="float32")
    w = b.const("w", np.ones((3, 4), np.int8), 0.05, 0)
    y = b.tensor("y", [1, 3], dtype="float32")
    b.op("FULLY_CONNECTED", [x, w], [y])
    b.output(y)
    with pytest.raises(UnsupportedError, match="float32"):
        edge_dla.convert(b.build())


def test_unsupported_ops_are_all_named_with_indices():
    with pytest.raises(UnsupportedError) as err:
        edge_dla.convert(model_bytes("audio_preprocessor_int8"))
    text = str(err.value)
    for expected in ("op 0 (CUSTOM:SignalWindow)", "op 5 (CAST)", "op 15 (MUL)", "op 17 (DIV)",
                     "op 19 (MINIMUM)", "op 20 (MAXIMUM)"):
        assert expected in text
    assert len(err.value.problems) >= 20


def test_custom_op():
    b = fc_builder()
    z = b.tensor("z", [1, 3], 0.2, -5)
    b.custom_op("MyFancyOp", [b.outputs[0]], [z])
    b.outputs = [z]
    with pytest.raises(UnsupportedError, match="custom op 'MyFancyOp'"):
        edge_dla.convert(b.build())


@pytest.mark.parametrize("scale", [0.0, -0.5, math.nan, math.inf])
def test_bad_scale(scale):
    b = fc_builder()
    b.tensors[0].scales = [scale]
    with pytest.raises(QuantizationError, match="tensor 0 'x'.*scale"):
        edge_dla.convert(b.build())


@pytest.mark.parametrize("zero_point", [-129, 128, 1000])
def test_zero_point_out_of_range(zero_point):
    b = fc_builder()
    b.tensors[3].zero_points = [zero_point]
    with pytest.raises(QuantizationError, match=f"tensor 3 'y'.*zero point {zero_point}"):
        edge_dla.convert(b.build())


def test_per_channel_count_mismatch():
    b = fc_builder(conv=True)
    b.tensors[1].scales = [0.05, 0.04]
    b.tensors[1].zero_points = [0, 0]
    with pytest.raises(QuantizationError, match="2 per-channel scales but dimension 0 has 3"):
        edge_dla.convert(b.build())


def test_quantized_dimension_out_of_range():
    b = fc_builder(conv=True)
    b.tensors[1].quantized_dimension = 7
    with pytest.raises(QuantizationError, match="quantized_dimension 7"):
        edge_dla.convert(b.build())


def test_missing_quantization():
    b = fc_builder()
    b.tensors[3].scales = None
    with pytest.raises(QuantizationError, match="no quantization"):
        edge_dla.convert(b.build())


@pytest.mark.parametrize("index", [99, -7])
def test_tensor_index_out_of_range(index):
    b = fc_builder()
    b.ops[0].inputs[0] = index
    with pytest.raises(GraphError, match=f"tensor index {index} out of range"):
        edge_dla.convert(b.build())


def test_buffer_index_out_of_range():
    b = fc_builder()
    b.tensors[1].buffer = 42
    with pytest.raises(ModelError, match="tensor 1 'w'.*buffer index 42 out of range"):
        edge_dla.convert(b.build())


def test_buffer_size_mismatch():
    b = fc_builder()
    b.tensors[1].shape = [3, 5]
    with pytest.raises(ModelError, match="holds 12 bytes but shape"):
        edge_dla.convert(b.build())


@pytest.mark.parametrize("dim", [0, -3])
def test_zero_or_negative_dimension(dim):
    b = fc_builder()
    b.tensors[3].shape = [1, dim]
    with pytest.raises(ModelError, match="dimension <= 0"):
        edge_dla.convert(b.build())


def test_zero_stride():
    b = fc_builder(conv=True)
    b.ops[0].options["stride_h"] = 0
    with pytest.raises(ModelError, match=r"op 0 \(CONV_2D\).*stride \(0, 1\)"):
        edge_dla.convert(b.build())


def test_tensor_both_input_and_output_of_an_op():
    b = fc_builder()
    b.ops[0].outputs = [0]
    with pytest.raises(GraphError, match="both input and output"):
        edge_dla.convert(b.build())


def test_graph_cycle():
    b = ModelBuilder()
    x = b.input("x", [1, 4], 0.1, 0)
    t1 = b.tensor("t1", [1, 4], 0.1, 0)
    t2 = b.tensor("t2", [1, 4], 0.1, 0)
    b.op("ADD", [x, t2], [t1])
    b.op("ADD", [t1, x], [t2])
    b.output(t2)
    with pytest.raises(GraphError, match="cycle"):
        edge_dla.convert(b.build())


def test_corrupted_blob():
    blob = bytearray(edge_dla.convert(fc_builder().build()))
    blob[len(blob) // 2] ^= 0x40
    with pytest.raises(BlobError, match="CRC"):
        edge_dla.Interpreter(model_content=bytes(blob))


def test_wrong_input_array():
    it = edge_dla.Interpreter(model_content=edge_dla.convert(fc_builder().build()))
    idx = it.get_input_details()[0]["index"]
    with pytest.raises(InputError, match="wants int8"):
        it.set_tensor(idx, np.zeros((1, 4), np.float32))
    with pytest.raises(InputError, match=r"wants shape \[1, 4\]"):
        it.set_tensor(idx, np.zeros((1, 5), np.int8))
    with pytest.raises(InputError, match="not a model input"):
        it.set_tensor(77, np.zeros((1, 4), np.int8))
    with pytest.raises(InputError, match="set_tensor was not called"):
        it.invoke()
