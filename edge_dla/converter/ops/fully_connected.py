"""FULLY_CONNECTED: rows x depth times [units, depth] weights, any input rank."""
import numpy as np

from .. import quant
from ..check import require
from ..layers import Layer, bias_operand, lowering, requant_tables


@lowering("FULLY_CONNECTED")
def lower_fully_connected(low, op):
    g = low.graph
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    require(len(w.shape) == 2, f"weights must be 2-D, got {list(w.shape)}", op)
    require(op.options.get("weights_format", 0) == 0, "shuffled weights format is not supported", op)
    units, depth = w.shape
    require(x.size % depth == 0, f"input size {x.size} is not a multiple of the weights' depth {depth}", op)
    rows = x.size // depth
    require(y.size == rows * units, f"output shape {list(y.shape)} does not hold {rows} x {units}", op)
    if len(w.scales) > 1:
        multipliers, shifts = quant.conv_channel_multipliers(x.scale, w.scales, y.scale, units)
    else:
        m, s = quant.fc_multiplier(x.scale, w.scale, y.scale)
        multipliers, shifts = np.full(units, m, np.int32), np.full(units, s, np.int32)
    act_min, act_max = quant.activation_range(op.options.get("fused_activation_function", 0),
                                              y.scale, y.zero_point)
    bias = bias_operand(low, op)
    require(bias is None or bias.shape == (units,), f"bias shape {bias and list(bias.shape)} != [{units}]", op)
    params = [-x.zero_point, -int(w.zero_points[0]), y.zero_point, act_min, act_max, 0, units]
    inputs = [low.activation(x.index), low.constant(w.name, low.const_data(w.index)), bias,
              *requant_tables(low, y.name, multipliers, shifts)]
    return Layer("FULLY_CONNECTED", inputs, [low.activation(y.index)], params, op.index, rows * units * depth)
