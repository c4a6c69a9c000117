"""SOFTMAX, int8 -> int8 with TFLM's fixed-point parameters."""
from .. import quant
from ..check import require
from ..layers import Layer, lowering


@lowering("SOFTMAX")
def lower_softmax(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    require(y.zero_point == -128 and abs(float(y.scale) - 1 / 256) < 1e-8,
            f"int8 softmax output must have scale 1/256 and zero point -128 (TFLM requires it), "
            f"got {float(y.scale)} and {y.zero_point}", op)
    require(x.shape == y.shape, f"input shape {list(x.shape)} != output shape {list(y.shape)}", op)
    multiplier, left_shift, diff_min = quant.softmax_params(op.options.get("beta", 1.0), x.scale, op.describe())
    return Layer("SOFTMAX", [low.activation(x.index)], [low.activation(y.index)],
                 [multiplier, left_shift, diff_min], op.index)
