"""AVERAGE_POOL_2D and MAX_POOL_2D."""
from .. import quant
from ..check import require
from ..layers import Layer, lowering


def _pool(low, op, kind):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    o = op.options
    require(len(x.shape) == 4 and len(y.shape) == 4, "expects 4-D input and output", op)
    sh, sw, fh, fw = o.get("stride_h", 0), o.get("stride_w", 0), o.get("filter_height", 0), o.get("filter_width", 0)
    require(sh >= 1 and sw >= 1, f"stride ({sh}, {sw}) must be >= 1", op)
    require(fh >= 1 and fw >= 1, f"filter ({fh}, {fw}) must be >= 1", op)
    require(o.get("padding", 0) in quant.PADDINGS, f"unknown padding code {o.get('padding')}", op)
    n, ih, iw, c = x.shape
    oh, ow = quant.out_size(o["padding"], ih, fh, sh), quant.out_size(o["padding"], iw, fw, sw)
    require(y.shape == (n, oh, ow, c), f"output shape {list(y.shape)} != computed {[n, oh, ow, c]}", op)
    act_min, act_max = quant.activation_range(o.get("fused_activation_function", 0), y.scale, y.zero_point)
    params = [sh, sw, fh, fw, quant.padding_before(sh, 1, ih, fh, oh), quant.padding_before(sw, 1, iw, fw, ow),
              act_min, act_max]
    return Layer(kind, [low.activation(x.index)], [low.activation(y.index)], params, op.index, 0,
                 {"kernel": [fh, fw], "stride": [sh, sw], "padding": quant.PADDINGS[o["padding"]]})


@lowering("AVERAGE_POOL_2D")
def lower_average_pool_2d(low, op):
    return _pool(low, op, "AVERAGE_POOL_2D")


@lowering("MAX_POOL_2D")
def lower_max_pool_2d(low, op):
    return _pool(low, op, "MAX_POOL_2D")
