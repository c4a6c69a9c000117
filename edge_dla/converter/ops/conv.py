"""CONV_2D and DEPTHWISE_CONV_2D: per-channel requantization, TFLite padding."""

from .. import quant
from ..check import require
from ..layers import Layer, bias_operand, lowering, requant_tables


def _conv_like(low, op, depthwise):
    g = low.graph
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    o = op.options
    require(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4,
            f"expects 4-D input, filter and output, got {list(x.shape)}, {list(w.shape)}, {list(y.shape)}", op)
    sh, sw = o.get("stride_h", 0), o.get("stride_w", 0)
    dh, dw = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
    require(sh >= 1 and sw >= 1, f"stride ({sh}, {sw}) must be >= 1", op)
    require(dh >= 1 and dw >= 1, f"dilation ({dh}, {dw}) must be >= 1", op)
    require(o.get("padding", 0) in quant.PADDINGS, f"unknown padding code {o.get('padding')}", op)
    n, ih, iw, ic = x.shape
    if depthwise:
        _, kh, kw, oc = w.shape
        mult = o.get("depth_multiplier", 1) or 1
        require(w.shape[0] == 1, f"depthwise filter must be [1,H,W,C], got {list(w.shape)}", op)
        require(oc == ic * mult, f"filter has {oc} channels, input {ic} x depth multiplier {mult}", op)
    else:
        oc, kh, kw, wc = w.shape
        mult = 1
        require(wc == ic, f"filter depth {wc} != input channels {ic} (grouped conv is not supported)", op)
    oh = quant.out_size(o["padding"], ih, kh, sh, dh)
    ow = quant.out_size(o["padding"], iw, kw, sw, dw)
    require(y.shape == (n, oh, ow, oc), f"output shape {list(y.shape)} != computed {[n, oh, ow, oc]}", op)
    pad_t = quant.padding_before(sh, dh, ih, kh, oh)
    pad_l = quant.padding_before(sw, dw, iw, kw, ow)
    multipliers, shifts = quant.conv_channel_multipliers(x.scale, w.scales, y.scale, oc)
    act_min, act_max = quant.activation_range(o.get("fused_activation_function", 0), y.scale, y.zero_point)
    bias = bias_operand(low, op)
    require(bias is None or bias.shape == (oc,), f"bias shape {bias and list(bias.shape)} != [{oc}]", op)
    kind = "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"
    params = [sh, sw, dh, dw, pad_t, pad_l, -x.zero_point, y.zero_point, act_min, act_max, mult, 0, oc]
    macs = n * oh * ow * oc * kh * kw * (1 if depthwise else ic)
    inputs = [low.activation(x.index), low.constant(w.name, low.const_data(w.index)), bias,
              *requant_tables(low, y.name, multipliers, shifts)]
    return Layer(kind, inputs, [low.activation(y.index)], params, op.index, macs,
                 {"kernel": [kh, kw], "stride": [sh, sw], "dilation": [dh, dw],
                  "padding": quant.PADDINGS[o["padding"]]})


@lowering("CONV_2D")
def lower_conv_2d(low, op):
    return _conv_like(low, op, depthwise=False)


@lowering("DEPTHWISE_CONV_2D")
def lower_depthwise_conv_2d(low, op):
    return _conv_like(low, op, depthwise=True)
