#!/usr/bin/env python3
"""Write the known-bad .tflite corpus (issue 8, item 1) next to this script.

Every file is a small valid model built with edge_dla.testing.tflite_builder,
then broken in exactly one way: by editing the builder's records before
build() (bad indices, shapes, scales, options, op codes) or by patching the
serialised bytes (truncation, root offset, misaligned vector, an unsigned
buffer index of 0xFFFFFFFF), which the builder cannot express.

CASES is also the test table: tests/test_bad_corpus.py imports it and checks
that each file raises exactly `error` (an edge_dla.errors class, not a
subclass or a superclass) with a message matching `match`, which names the
location (op, tensor or flatbuffer field). Regenerate with

    .venv/bin/python tests/corpus/make_corpus.py          # rewrite the files
    .venv/bin/python tests/corpus/make_corpus.py --check  # exit 1 if they differ
"""
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import tflite

from edge_dla.testing.tflite_builder import ModelBuilder

HERE = Path(__file__).resolve().parent


@dataclass
class Case:
    name: str           # file stem; also the bad-input class
    error: str          # exact class name in edge_dla.errors
    match: str          # regex the message must match (names the location)
    make: Callable[[], bytes]
    doc: str = ""


# ---- valid base models, each broken below ---------------------------------------

def conv_model():
    """input [1,5,5,2] -> CONV_2D 3x3 SAME (per-channel weights [3,3,3,2], bias) -> [1,5,5,3]."""
    b = ModelBuilder("corpus conv")
    x = b.input("x", [1, 5, 5, 2], 0.1, 0)
    w = b.const("w", np.ones((3, 3, 3, 2), np.int8), [0.05, 0.04, 0.03], 0, quantized_dimension=0)
    bias = b.const("b", np.zeros(3, np.int32), [0.005, 0.004, 0.003], 0)
    y = b.tensor("y", [1, 5, 5, 3], 0.2, -5)
    b.op("CONV_2D", [x, w, bias], [y], padding="SAME", stride=(1, 1))
    b.output(y)
    return b


def depthwise_model():
    """input [1,6,6,2] -> DEPTHWISE_CONV_2D 3x3 VALID (multiplier 1) -> [1,4,4,2]."""
    b = ModelBuilder("corpus depthwise")
    x = b.input("x", [1, 6, 6, 2], 0.1, 0)
    w = b.const("w", np.ones((1, 3, 3, 2), np.int8), [0.05, 0.04], 0, quantized_dimension=3)
    bias = b.const("b", np.zeros(2, np.int32), [0.005, 0.004], 0)
    y = b.tensor("y", [1, 4, 4, 2], 0.2, 0)
    b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], padding="VALID", stride=(1, 1),
         dilation=(1, 1), depth_multiplier=1)
    b.output(y)
    return b


def pool_model():
    """input [1,4,4,2] -> MAX_POOL_2D 2x2 stride 2 -> [1,2,2,2]."""
    b = ModelBuilder("corpus pool")
    x = b.input("x", [1, 4, 4, 2], 0.1, 3)
    y = b.tensor("y", [1, 2, 2, 2], 0.1, 3)
    b.op("MAX_POOL_2D", [x], [y], padding="VALID", stride=(2, 2), filter=(2, 2))
    b.output(y)
    return b


def fc_model():
    """input [1,4] -> FULLY_CONNECTED (weights [3,4], bias) -> [1,3] -> SOFTMAX -> [1,3]."""
    b = ModelBuilder("corpus fc")
    x = b.input("x", [1, 4], 0.1, 0)
    w = b.const("w", np.arange(12, dtype=np.int8).reshape(3, 4), 0.05, 0)
    bias = b.const("b", np.zeros(3, np.int32), 0.005, 0)
    y = b.tensor("y", [1, 3], 0.2, -5)
    b.op("FULLY_CONNECTED", [x, w, bias], [y])
    p = b.tensor("p", [1, 3], 1 / 256, -128)
    b.op("SOFTMAX", [y], [p], beta=1.0)
    b.output(p)
    return b


def add_chain():
    """x -> ADD(x, x) -> t1 -> ADD(t1, x) -> t2 (two ops to build cycles with)."""
    b = ModelBuilder("corpus add chain")
    x = b.input("x", [1, 4], 0.1, 0)
    t1 = b.tensor("t1", [1, 4], 0.2, 0)
    t2 = b.tensor("t2", [1, 4], 0.3, 0)
    b.op("ADD", [x, x], [t1])
    b.op("ADD", [t1, x], [t2])
    b.output(t2)
    return b


def all_ops_model():
    """A small valid int8 model over the NPU layer kinds (for blob mutation and fuzz seeds):
    CONV_2D, DEPTHWISE_CONV_2D (multiplier 2, stride 2), MAX_POOL_2D, AVERAGE_POOL_2D, ADD,
    RESHAPE (folded), FULLY_CONNECTED, SOFTMAX."""
    rng = np.random.default_rng(8)
    w = lambda *shape: rng.integers(-127, 128, shape, dtype=np.int8)  # noqa: E731
    b = ModelBuilder("mutation all ops")
    x = b.input("x", [1, 8, 8, 3], 0.05, -3)
    cw = b.const("conv/w", w(4, 3, 3, 3), [0.01, 0.02, 0.015, 0.03], 0, quantized_dimension=0)
    cb = b.const("conv/b", rng.integers(-500, 500, 4, dtype=np.int32), [5e-4, 1e-3, 7.5e-4, 1.5e-3], 0)
    c1 = b.tensor("conv", [1, 8, 8, 4], 0.1, -128)
    b.op("CONV_2D", [x, cw, cb], [c1], padding="SAME", stride=(1, 1), activation="RELU")
    dw = b.const("dw/w", w(1, 3, 3, 8), 0.02, 0)
    d1 = b.tensor("dw", [1, 4, 4, 8], 0.2, 5)
    b.op("DEPTHWISE_CONV_2D", [c1, dw], [d1], padding="SAME", stride=(2, 2), depth_multiplier=2)
    mp = b.tensor("max", [1, 3, 3, 8], 0.2, 5)
    b.op("MAX_POOL_2D", [d1], [mp], padding="VALID", stride=(1, 1), filter=(2, 2))
    ap = b.tensor("avg", [1, 3, 3, 8], 0.2, 5)
    b.op("AVERAGE_POOL_2D", [mp], [ap], padding="SAME", stride=(1, 1), filter=(2, 2), activation="RELU6")
    s = b.tensor("sum", [1, 3, 3, 8], 0.3, -2)
    b.op("ADD", [mp, ap], [s])
    flat = b.tensor("flat", [1, 72], 0.3, -2)
    b.op("RESHAPE", [s, b.const("shape", np.array([1, 72], np.int32))], [flat])
    fw = b.const("fc/w", w(5, 72), 0.01, 0)
    fb = b.const("fc/b", rng.integers(-100, 100, 5, dtype=np.int32), 0.003, 0)
    logits = b.tensor("logits", [1, 5], 0.5, 10)
    b.op("FULLY_CONNECTED", [flat, fw, fb], [logits])
    prob = b.tensor("prob", [1, 5], 1 / 256, -128)
    b.op("SOFTMAX", [logits], [prob], beta=1.0)
    b.output(prob)
    return b.build()


def movement_ops_model():
    """A small valid int8 model over the CPU-side ops (for blob mutation and fuzz seeds): PAD,
    TRANSPOSE, STRIDED_SLICE, CONCATENATION, RESIZE_NEAREST_NEIGHBOR, MUL, LOGISTIC (a LUT),
    MEAN (a REDUCE_SUM) and GATHER; bit-exact with TFLM."""
    b = ModelBuilder("mutation movement ops")
    x = b.input("x", [1, 4, 4, 2], 0.05, 3)
    p = b.tensor("pad", [1, 6, 6, 2], 0.05, 3)
    b.op("PAD", [x, b.const("paddings", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32))], [p])
    t = b.tensor("transpose", [1, 6, 6, 2], 0.05, 3)
    b.op("TRANSPOSE", [p, b.const("perm", np.array([0, 2, 1, 3], np.int32))], [t])
    s = b.tensor("slice", [1, 4, 4, 2], 0.05, 3)
    b.op("STRIDED_SLICE", [t, b.const("begin", np.array([0, 1, 1, 0], np.int32)),
                           b.const("end", np.array([1, 5, 5, 2], np.int32)),
                           b.const("strides", np.array([1, 1, 1, 1], np.int32))], [s])
    c = b.tensor("concat", [1, 4, 4, 4], 0.05, 3)
    b.op("CONCATENATION", [x, s], [c], axis=3)
    r = b.tensor("resize", [1, 8, 8, 4], 0.05, 3)
    b.op("RESIZE_NEAREST_NEIGHBOR", [c, b.const("size", np.array([8, 8], np.int32))], [r])
    m = b.tensor("mul", [1, 8, 8, 4], 0.1, -10)
    b.op("MUL", [r, r], [m])
    sig = b.tensor("logistic", [1, 8, 8, 4], 1 / 256, -128)
    b.op("LOGISTIC", [m], [sig])
    mean = b.tensor("mean", [1, 4], 1 / 256, -128)
    b.op("MEAN", [sig, b.const("axes", np.array([1, 2], np.int32))], [mean], keep_dims=False)
    g = b.tensor("gather", [1, 2], 1 / 256, -128)
    b.op("GATHER", [mean, b.const("indices", np.array([3, 0], np.int32))], [g], axis=1)
    b.output(g)
    return b.build()


def quantize_concat():
    """x -> QUANTIZE -> mid -> CONCATENATION(mid, x) -> y: the shape a graph rewrite fuses
    (fuse_requantize_into_concat), so it reads operands and scales before check_model."""
    b = ModelBuilder("corpus quantize concat")
    x = b.input("x", [1, 4], 0.1, 0)
    mid = b.tensor("mid", [1, 4], 0.2, 0)
    b.op("QUANTIZE", [x], [mid])
    y = b.tensor("y", [1, 8], 0.2, 0)
    b.op("CONCATENATION", [mid, x], [y], axis=1)
    b.output(y)
    return b


def edited(base, edit):
    """A model from `base()` after `edit(builder)` changes its records."""
    def make():
        b = base()
        edit(b)
        return b.build()
    return make


def _set(obj, **fields):
    for k, v in fields.items():
        if isinstance(obj, dict):
            obj[k] = v
        else:
            setattr(obj, k, v)


# ---- byte patches: what the builder cannot write ----------------------------------

def _tensor_table(data, index):
    return tflite.Model.GetRootAs(data, 0).Subgraphs(0).Tensors(index)


def _field_pos(table, slot):
    """Absolute position of a table field (slot = 4 + 2 * schema field id)."""
    off = table._tab.Offset(slot)
    assert off, "field is absent (default value): cannot patch it"
    return table._tab.Pos + off


def truncated():
    data = conv_model().build()
    return data[:len(data) // 2]


def root_offset_past_end():
    data = bytearray(conv_model().build())
    struct.pack_into("<I", data, 0, len(data) + 64)
    return bytes(data)


def misaligned_vector():
    """Tensor 0's shape vector copied, intact, to an address that is 2 mod 4 (int32
    vectors must be 4-aligned): the Python accessors would read it happily."""
    data = bytearray(conv_model().build())
    field = _field_pos(_tensor_table(bytes(data), 0), 4)  # Tensor.shape
    old = field + struct.unpack_from("<I", data, field)[0]
    n = struct.unpack_from("<I", data, old)[0]
    data += b"\0" * ((-len(data) % 4) + 2)  # forward of every offset, 2 mod 4
    new = len(data)
    data += data[old:old + 4 + 4 * n]
    struct.pack_into("<I", data, field, new - field)
    return bytes(data)


def buffer_index_negative():
    """Tensor.buffer is a uint32: -1 in a 32-bit field reads back as 0xFFFFFFFF."""
    data = bytearray(conv_model().build())
    struct.pack_into("<i", data, _field_pos(_tensor_table(bytes(data), 1), 8), -1)  # Tensor.buffer
    return bytes(data)


def _empty_weights(b):
    b.tensors[1].buffer = b.add_buffer(b"")  # a buffer entry with no data vector


def _zero_weights(b):
    b.tensors[1].buffer = 0  # the empty sentinel buffer


def _cycle(b):
    b.ops[0].inputs = [b.inputs[0], 2]  # op 0 reads t2, which op 1 writes from op 0's output


CASES = [
    Case("truncated_flatbuffer", "ModelError", r"malformed flatbuffer while reading", truncated,
         "the second half of the file is missing"),
    Case("root_offset_past_end", "ModelError", r"root table offset \d+ points past the end", root_offset_past_end),
    Case("misaligned_vector", "ModelError", r"tensor 0 'x'.*shape vector at byte \d+ is not 4-byte aligned",
         misaligned_vector),
    Case("tensor_index_out_of_range", "GraphError", r"op 0 \(CONV_2D\).*tensor index 99 out of range",
         edited(conv_model, lambda b: b.ops[0].inputs.__setitem__(0, 99))),
    Case("tensor_index_negative", "GraphError", r"op 0 \(CONV_2D\).*tensor index -7 out of range",
         edited(conv_model, lambda b: b.ops[0].inputs.__setitem__(0, -7))),
    Case("tensor_index_omitted_required", "ModelError", r"op 0 \(CONV_2D\).*input 1 .*omitted",
         edited(conv_model, lambda b: b.ops[0].inputs.__setitem__(1, -1)),
         "-1 (an omitted optional operand) in the filter slot"),
    Case("subgraph_output_index_out_of_range", "GraphError", r"subgraph input/output tensor index 17",
         edited(conv_model, lambda b: _set(b, outputs=[17]))),
    Case("buffer_index_out_of_range", "ModelError", r"tensor 1 'w'.*buffer index 42 out of range",
         edited(conv_model, lambda b: _set(b.tensors[1], buffer=42))),
    Case("buffer_index_negative", "ModelError", r"tensor 1 'w'.*buffer index 4294967295 out of range",
         buffer_index_negative),
    Case("null_buffer_weights", "GraphError", r"op 0 \(CONV_2D\).*dangling tensor 1 'w'",
         edited(conv_model, _zero_weights), "weights point at buffer 0, the empty sentinel"),
    Case("empty_buffer_weights", "GraphError", r"op 0 \(CONV_2D\).*dangling tensor 1 'w'",
         edited(conv_model, _empty_weights), "weights point at a buffer with no data"),
    Case("buffer_size_mismatch", "ModelError", r"tensor 1 'w'.*holds 54 bytes but shape \[3, 3, 3, 3\]",
         edited(conv_model, lambda b: _set(b.tensors[1], shape=[3, 3, 3, 3]))),
    Case("dims_overflow_32bit", "ModelError", r"tensor 3 'y'.*shape \[1, 65536, 65536, 3\] has \d+ elements",
         edited(conv_model, lambda b: _set(b.tensors[3], shape=[1, 65536, 65536, 3]))),
    Case("dims_overflow_const", "ModelError", r"tensor 1 'w'.*has \d+ elements",
         edited(conv_model, lambda b: _set(b.tensors[1], shape=[65536, 65536, 65536, 2])),
         "a constant whose element count wraps to a small number in 32 bits"),
    Case("zero_dimension", "ModelError", r"tensor 3 'y'.*dimension <= 0 in shape \[1, 0, 5, 3\]",
         edited(conv_model, lambda b: _set(b.tensors[3], shape=[1, 0, 5, 3]))),
    Case("negative_dimension", "ModelError", r"tensor 0 'x'.*dimension <= 0 in shape \[1, 5, -5, 2\]",
         edited(conv_model, lambda b: _set(b.tensors[0], shape=[1, 5, -5, 2]))),
    Case("zero_stride_conv", "ModelError", r"op 0 \(CONV_2D\).*stride \(0, 1\) must be >= 1",
         edited(conv_model, lambda b: _set(b.ops[0].options, stride_h=0))),
    Case("zero_stride_pool", "ModelError", r"op 0 \(MAX_POOL_2D\).*stride \(2, 0\) must be >= 1",
         edited(pool_model, lambda b: _set(b.ops[0].options, stride_w=0))),
    Case("zero_dilation", "ModelError", r"op 0 \(DEPTHWISE_CONV_2D\).*dilation \(1, 0\) must be >= 1",
         edited(depthwise_model, lambda b: _set(b.ops[0].options, dilation_w_factor=0))),
    Case("zero_scale", "QuantizationError", r"tensor 0 'x'.*scale 0\.0 is not a positive finite number",
         edited(fc_model, lambda b: _set(b.tensors[0], scales=[0.0]))),
    Case("negative_scale", "QuantizationError", r"tensor 3 'y'.*scale -0\.5 is not a positive finite",
         edited(fc_model, lambda b: _set(b.tensors[3], scales=[-0.5]))),
    Case("nan_scale", "QuantizationError", r"tensor 1 'w'.*scale nan is not a positive finite",
         edited(fc_model, lambda b: _set(b.tensors[1], scales=[float("nan")]))),
    Case("inf_scale", "QuantizationError", r"tensor 0 'x'.*scale inf is not a positive finite",
         edited(fc_model, lambda b: _set(b.tensors[0], scales=[float("inf")]))),
    Case("per_channel_nan_scale", "QuantizationError", r"tensor 1 'w'.*scale -inf is not a positive",
         edited(conv_model, lambda b: _set(b.tensors[1], scales=[0.05, float("-inf"), 0.03])),
         "one bad scale among valid per-channel scales"),
    Case("zero_point_too_high", "QuantizationError", r"tensor 3 'y'.*zero point 128 is outside the int8",
         edited(fc_model, lambda b: _set(b.tensors[3], zero_points=[128]))),
    Case("zero_point_too_low", "QuantizationError", r"tensor 0 'x'.*zero point -129 is outside the int8",
         edited(fc_model, lambda b: _set(b.tensors[0], zero_points=[-129]))),
    Case("zero_point_count_mismatch", "QuantizationError", r"tensor 1 'w'.*3 scales but 2 zero points",
         edited(conv_model, lambda b: _set(b.tensors[1], zero_points=[0, 0]))),
    Case("per_channel_count_mismatch", "QuantizationError",
         r"tensor 1 'w'.*2 per-channel scales but dimension 0 has 3 channels",
         edited(conv_model, lambda b: _set(b.tensors[1], scales=[0.05, 0.04], zero_points=[0, 0]))),
    Case("quantized_dimension_too_high", "QuantizationError",
         r"tensor 1 'w'.*quantized_dimension 4 is out of range for rank 4",
         edited(conv_model, lambda b: _set(b.tensors[1], quantized_dimension=4))),
    Case("quantized_dimension_negative", "QuantizationError",
         r"tensor 1 'w'.*quantized_dimension -1 is out of range for rank 4",
         edited(conv_model, lambda b: _set(b.tensors[1], quantized_dimension=-1))),
    Case("graph_cycle", "GraphError", r"op 0 \(ADD\).*reads tensor 2 before op 1 writes it \(a cycle\)",
         edited(add_chain, _cycle)),
    Case("tensor_input_and_output", "GraphError", r"op 1 \(ADD\).*tensor 1 is both input and output",
         edited(add_chain, lambda b: _set(b.ops[1], outputs=[1]))),
    Case("unknown_op_code", "UnsupportedError", r"op 0 \(UNKNOWN_BUILTIN_9999\)",
         edited(pool_model, lambda b: _set(b.ops[0], opcode_index=b.opcode(9999)))),
    Case("opcode_index_out_of_range", "ModelError", r"op 0.*opcode index 5 out of range",
         edited(pool_model, lambda b: _set(b.ops[0], opcode_index=5))),
    # Found by fuzz/fuzz_convert.py: graph rewrites run before check_model, and crashed
    # (TypeError, IndexError) or read tensors[-1] on these.
    Case("rewrite_unquantized_tensor", "QuantizationError", r"tensor 2 'y'.*has no quantization scale",
         edited(quantize_concat, lambda b: _set(b.tensors[2], scales=None, zero_points=None)),
         "a concat output without quantization, read by the QUANTIZE->CONCAT fusion"),
    Case("rewrite_omitted_operand", "ModelError", r"op 0 \(QUANTIZE\).*input 0 is omitted",
         edited(quantize_concat, lambda b: _set(b.ops[0], inputs=[-1]))),
    Case("rewrite_missing_operand", "ModelError", r"op 0 \(QUANTIZE\).*has 0 inputs",
         edited(quantize_concat, lambda b: _set(b.ops[0], inputs=[]))),
    Case("op_version_too_new", "UnsupportedError", r"op 0 \(CONV_2D\).*version 99 is newer",
         edited(conv_model, lambda b: _set(b.ops[0], opcode_index=b.opcode("CONV_2D", version=99)))),
]


def build_all():
    return {case.name: case.make() for case in CASES}


def main(argv):
    check = "--check" in argv
    built = build_all()
    stale = []
    for name, data in built.items():
        path = HERE / f"{name}.tflite"
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path.name)
        else:
            path.write_bytes(data)
    extra = sorted(p.name for p in HERE.glob("*.tflite") if p.stem not in built)
    if check:
        if stale or extra:
            print(f"corpus differs from make_corpus.py: stale {stale}, extra {extra}")
            return 1
        print(f"{len(built)} corpus files up to date")
        return 0
    for name in extra:
        (HERE / name).unlink()
    print(f"wrote {len(built)} files to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
