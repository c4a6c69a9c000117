"""TRANSPOSE_CONV: per-channel int8 transposed convolution (an NPU op, counts MACs)."""
import numpy as np

from .. import quant
from ..check import require
from ..layers import Layer, lowering, requant_tables


def _pairs(in_size, out_size, taps, stride, pad):
    """(input, tap) pairs that land inside the output along one axis."""
    return sum(1 for i in range(in_size) for f in range(taps) if 0 <= i * stride - pad + f < out_size)


@lowering("TRANSPOSE_CONV")
def lower_transpose_conv(low, op):
    g = low.graph
    w, x, y = (g.tensors[i] for i in (op.inputs[1], op.inputs[2], op.outputs[0]))
    o = op.options
    require(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4,
            f"expects 4-D input, filter and output, got {list(x.shape)}, {list(w.shape)}, {list(y.shape)}", op)
    sh, sw = o.get("stride_h", 0), o.get("stride_w", 0)
    require(sh >= 1 and sw >= 1, f"stride ({sh}, {sw}) must be >= 1", op)
    require(o.get("padding", 0) in quant.PADDINGS, f"unknown padding code {o.get('padding')}", op)
    n, ih, iw, ic = x.shape
    oc, kh, kw, wc = w.shape
    require(wc == ic, f"filter depth {wc} != input channels {ic}", op)
    require(y.shape[0] == n and y.shape[3] == oc, f"output shape {list(y.shape)} does not match "
                                                   f"batch {n} and {oc} filters", op)
    if low.is_const(op.inputs[0]):
        shape = [int(v) for v in np.asarray(low.const_data(op.inputs[0])).reshape(-1)]
        require(shape == list(y.shape), f"output_shape {shape} != output tensor {list(y.shape)}", op)
    oh, ow = y.shape[1:3]
    # TFLM pads as a conv from the output's size to ComputeOutSize of it would
    pad_t = quant.padding_before(sh, 1, oh, kh, quant.out_size(o["padding"], oh, kh, sh))
    pad_l = quant.padding_before(sw, 1, ow, kw, quant.out_size(o["padding"], ow, kw, sw))
    multipliers, shifts = quant.conv_channel_multipliers(x.scale, w.scales, y.scale, oc)
    act_min, act_max = quant.activation_range(o.get("fused_activation_function", 0), y.scale, y.zero_point)
    bias = None
    if len(op.inputs) > 3 and op.inputs[3] >= 0:
        bias = low.constant(g.tensors[op.inputs[3]].name, low.const_data(op.inputs[3]).astype(np.int32))
        require(bias.shape == (oc,), f"bias shape {list(bias.shape)} != [{oc}]", op)
    macs = n * _pairs(ih, oh, kh, sh, pad_t) * _pairs(iw, ow, kw, sw, pad_l) * ic * oc
    params = [sh, sw, pad_t, pad_l, -x.zero_point, y.zero_point, act_min, act_max, 0, oc]
    inputs = [low.activation(x.index), low.constant(w.name, low.const_data(w.index)), bias,
              *requant_tables(low, y.name, multipliers, shifts)]
    return Layer("TRANSPOSE_CONV", inputs, [low.activation(y.index)], params, op.index, macs,
                 {"kernel": [kh, kw], "stride": [sh, sw], "padding": quant.PADDINGS[o["padding"]]})
