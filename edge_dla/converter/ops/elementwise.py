"""Binary element-wise ops with TFLite broadcasting: MUL, SUB, SQUARED_DIFFERENCE,
MAXIMUM, MINIMUM and PRELU. They run on the CPU (no MAC-array fit)."""
from .. import quant
from ..check import require
from ..layers import Layer, lowering


def rank4(shape, op):
    require(len(shape) <= 4, f"rank {len(shape)} > 4 is not supported", op)
    return (1,) * (4 - len(shape)) + tuple(shape)


def broadcast_operands(low, op):
    """(a, b, output) tensors and views of a two-input op, right-aligned to rank 4;
    either input may be a constant."""
    g = low.graph
    a, b, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    sa, sb, sy = rank4(a.shape, op), rank4(b.shape, op), rank4(y.shape, op)
    for d in range(4):
        require(sa[d] in (1, sy[d]) and sb[d] in (1, sy[d]) and sy[d] == max(sa[d], sb[d]),
                f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast to {list(y.shape)}", op)
    views = [low.constant(t.name, low.const_data(t.index).reshape(s)) if low.is_const(t.index) else
             low.activation(t.index, s) for t, s in ((a, sa), (b, sb))]
    return (a, b, y), views + [low.activation(y.index, sy)]


def checked_multiplier(multiplier, shift, op, what="requantization"):
    """A (multiplier, shift) pair the core's requantize() takes: shift in [-31, 31]."""
    require(-31 <= shift <= 31, f"{what} multiplier 2^{shift} is out of range", op)
    return multiplier, shift


def _cpu_layer(kind, views, params, op):
    return Layer(kind, views[:2], [views[2]], params, op.index, cpu=True)


@lowering("MUL")
def lower_mul(low, op):
    (a, b, y), views = broadcast_operands(low, op)
    m, s = checked_multiplier(*quant.product_multiplier([a.scale, b.scale], y.scale), op)
    act_min, act_max = quant.activation_range(op.options.get("fused_activation_function", 0), y.scale,
                                              y.zero_point)
    return _cpu_layer("MUL", views, [-a.zero_point, -b.zero_point, y.zero_point, m, s, act_min, act_max], op)


def _add_like_params(params, a, b, y, act_min, act_max):
    """The ADD_P_* record shared with SUB and SQUARED_DIFFERENCE."""
    left_shift, (m1, s1), (m2, s2), (mo, so) = params
    return [left_shift, -a.zero_point, m1, s1, -b.zero_point, m2, s2, y.zero_point, mo, so,
            act_min, act_max]


@lowering("SUB")
def lower_sub(low, op):
    (a, b, y), views = broadcast_operands(low, op)
    act_min, act_max = quant.activation_range(op.options.get("fused_activation_function", 0), y.scale,
                                              y.zero_point)
    params = quant.add_params(a.scale, b.scale, y.scale, op.describe())  # TFLM's SUB prepares as ADD
    return _cpu_layer("SUB", views, _add_like_params(params, a, b, y, act_min, act_max), op)


@lowering("SQUARED_DIFFERENCE")
def lower_squared_difference(low, op):
    (a, b, y), views = broadcast_operands(low, op)
    params = quant.squared_difference_params(a.scale, b.scale, y.scale, op.describe())
    checked_multiplier(*params[3], op, "output")
    return _cpu_layer("SQUARED_DIFFERENCE", views, _add_like_params(params, a, b, y, -128, 127), op)


@lowering("MAXIMUM", "MINIMUM")
def lower_maximum_minimum(low, op):
    # TFLM compares the raw int8 values whatever the quantization (the TFLite
    # converter gives all three tensors the same one).
    _, views = broadcast_operands(low, op)
    return _cpu_layer(op.kind, views, [], op)


@lowering("PRELU")
def lower_prelu(low, op):
    (x, alpha, y), views = broadcast_operands(low, op)
    require(alpha.scales is not None and len(alpha.scales) == 1,
            "alpha must have one (per-tensor) scale: TFLM reads a single alpha scale", op)
    pos = checked_multiplier(*quant.product_multiplier([x.scale], y.scale), op)
    neg = checked_multiplier(*quant.product_multiplier([x.scale, alpha.scale], y.scale), op)
    return _cpu_layer("PRELU", views, [-x.zero_point, -alpha.zero_point, y.zero_point, *pos, *neg], op)
