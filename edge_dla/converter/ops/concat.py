"""CONCATENATION and PACK: inputs joined along one axis of the output.

TFLM's int8 CONCATENATION only accepts inputs quantized like the output (the
TFLite converter inserts a QUANTIZE op before any other input). edge_dla
accepts differing scales and zero points and requantizes those inputs inside
the concat layer exactly as that QUANTIZE op would (TFLM Requantize with
QuantizeMultiplier(input_scale / output_scale) in double). PACK moves values
unchanged, as TFLM's PACK does whatever the quantization.

A layer takes at most 6 inputs, of which the first 5 may requantize; longer
lists are joined by a chain of layers through intermediates.
"""
import numpy as np

from .. import quant
from ..check import require
from ..layers import Buffer, Layer, View, lowering
from .shapes import operand, rank4

MAX_INPUTS = 6
MAX_REQUANT = 5  # CONCAT_MAX_REQUANT: parameter slots for per-input requantization


def requant_params(x, y, op):
    """(input offset, multiplier, shift) of TFLM's int8 -> int8 QUANTIZE from x to y."""
    real = float(np.float32(x.scale)) / float(np.float32(y.scale))
    multiplier, shift = quant.quantize_multiplier(real)
    require(-31 <= shift <= 31, f"scale ratio {real!r} of {x.describe()} to the output is out of range", op)
    return [-x.zero_point, multiplier, shift]


def _chunk(needs):
    """How many of the pending inputs (their requant flags) one layer takes."""
    n = 0
    while n < len(needs) and n < MAX_INPUTS and not (needs[n] and n >= MAX_REQUANT):
        n += 1
    return n


def join(low, op, parts, y, axis4, name):
    """Layers concatenating parts [(view4, requant triple or None)] into tensor y along axis4."""
    out_shape = rank4(y.shape)
    layers = []
    while True:
        n = _chunk([r is not None for _, r in parts])
        group, rest = parts[:n], parts[n:]
        if rest:
            shape = list(out_shape)
            shape[axis4] = sum(v.shape[axis4] for v, _ in group)
            nbytes = int(np.prod(shape))
            tmp = View(f"{name}/part{len(layers)}", tuple(shape), "int8", y.zero_point,
                       Buffer(f"{name}/part{len(layers)}", nbytes))
        else:
            tmp = low.activation(y.index, out_shape)
        mask = sum(1 << i for i, (_, r) in enumerate(group) if r is not None)
        params = [axis4, y.zero_point, mask]
        for _, r in group[:MAX_REQUANT]:
            params += r if r is not None else [0, 0, 0]
        layers.append(Layer("CONCATENATION", [v for v, _ in group], [tmp], params, op.index, 0,
                            {"requantized_inputs": bin(mask).count("1")}, cpu=True))
        if not rest:
            return layers
        parts = [(tmp, None)] + rest


def _output_axis(op, y):
    """(rank, axis) of output y, the op's axis option normalised, both checked."""
    rank = len(y.shape)
    require(1 <= rank <= 4, f"output rank {rank} is not supported (1 to 4)", op)
    axis = op.options.get("axis", 0)
    require(-rank <= axis < rank, f"axis {axis} out of range for output rank {rank}", op)
    return rank, axis % rank


@lowering("CONCATENATION")
def lower_concatenation(low, op):
    g = low.graph
    y = g.tensors[op.outputs[0]]
    require(op.options.get("fused_activation_function", 0) == 0,
            "a fused activation is not supported (TFLM refuses it)", op)
    rank, axis = _output_axis(op, y)
    parts = []
    for idx in op.inputs:
        x = g.tensors[idx]
        require(len(x.shape) == rank and all(x.shape[d] == y.shape[d] for d in range(rank) if d != axis),
                f"input {list(x.shape)} does not fit output {list(y.shape)} on axis {axis}", op)
        same = x.scale == y.scale and x.zero_point == y.zero_point
        parts.append((operand(low, idx, rank4(x.shape)), None if same else requant_params(x, y, op)))
    require(sum(g.tensors[i].shape[axis] for i in op.inputs) == y.shape[axis],
            f"inputs do not add up to the output's axis {axis} size {y.shape[axis]}", op)
    return join(low, op, parts, y, axis + 4 - rank, y.name)


@lowering("PACK")
def lower_pack(low, op):
    g = low.graph
    y = g.tensors[op.outputs[0]]
    rank, axis = _output_axis(op, y)
    parts = []
    for idx in op.inputs:
        x = g.tensors[idx]
        shape = list(x.shape)
        shape.insert(axis, 1)
        require(tuple(shape[:axis] + shape[axis + 1:]) == tuple(y.shape[:axis] + y.shape[axis + 1:]),
                f"input {list(x.shape)} does not fit output {list(y.shape)}", op)
        parts.append((operand(low, idx, rank4(shape)), None))
    require(len(op.inputs) == y.shape[axis], f"{len(op.inputs)} inputs for axis size {y.shape[axis]}", op)
    return join(low, op, parts, y, axis + 4 - rank, y.name)


def fuse_requantize_into_concat(graph):
    """Graph rewrite: an int8 -> int8 QUANTIZE whose only reader is a CONCATENATION
    quantized like its output (the TFLite converter's way to give concat inputs one
    scale) is dropped and the concat requantizes that input itself, with the same
    TFLM arithmetic, saving a layer and a buffer."""
    producers, consumers = graph.producers(), graph.consumers()
    for op in graph.operators:
        if op.kind != "CONCATENATION":
            continue
        y = graph.tensors[op.outputs[0]]
        for pos, t in enumerate(op.inputs):
            q_index = producers.get(t)
            if q_index is None or consumers.get(t) != [op.index] or t in graph.outputs:
                continue
            q = graph.operators[q_index]
            src, mid = graph.tensors[q.inputs[0]], graph.tensors[t]
            if q.kind != "QUANTIZE" or src.dtype != "int8" or mid.dtype != "int8" or \
                    src.scales is None or mid.scales is None or len(src.scales) != 1 or \
                    (mid.scale, mid.zero_point) != (y.scale, y.zero_point):
                continue
            op.inputs[pos] = src.index
            graph.operators = [o for o in graph.operators if o is not q]
            for i, o in enumerate(graph.operators):
                o.index = i
            return True
    return False
