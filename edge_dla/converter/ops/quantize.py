"""QUANTIZE and DEQUANTIZE: int8 -> int8 requantization (a LUT), and the float32
model edges (float32 -> int8 at inputs, int8 -> float32 at outputs)."""
import struct

import numpy as np

from .. import quant
from ..check import require
from ..layers import Layer, lowering
from .activations import lut_layer, requantize_table
from .elementwise import checked_multiplier


def _scale_bits(scale):
    """QUANT_P_SCALE_BITS: the float32 scale's bit pattern as an int32 parameter."""
    return struct.unpack("<i", struct.pack("<f", np.float32(scale)))[0]


def _one_scale(t, op):
    require(t.scales is not None and len(t.scales) == 1,
            f"{t.describe()} must have one (per-tensor) scale: TFLM's {op.kind} supports no other", op)


@lowering("QUANTIZE")
def lower_quantize(low, op):
    x, y = low.graph.tensors[op.inputs[0]], low.graph.tensors[op.outputs[0]]
    _one_scale(y, op)
    require(x.size == y.size, f"input shape {list(x.shape)} != output shape {list(y.shape)}", op)
    if x.dtype == "float32":  # AffineQuantize at a float model input
        return Layer("QUANTIZE", [low.activation(x.index)], [low.activation(y.index)],
                     [_scale_bits(y.scale), y.zero_point], op.index, cpu=True)
    m, s = checked_multiplier(*quant.product_multiplier([x.scale], y.scale), op)
    return lut_layer(low, op, requantize_table(x.zero_point, y.zero_point, m, s))


@lowering("DEQUANTIZE")
def lower_dequantize(low, op):
    x, y = low.graph.tensors[op.inputs[0]], low.graph.tensors[op.outputs[0]]
    _one_scale(x, op)
    require(x.size == y.size, f"input shape {list(x.shape)} != output shape {list(y.shape)}", op)
    return Layer("DEQUANTIZE", [low.activation(x.index)], [low.activation(y.index)],
                 [_scale_bits(x.scale), x.zero_point], op.index, cpu=True)
