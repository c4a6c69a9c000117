"""ADD with TFLite broadcasting (operands padded to rank 4)."""
from .. import quant
from ..check import require
from ..layers import Layer, lowering


def _rank4(shape, op):
    require(len(shape) <= 4, f"rank {len(shape)} > 4 is not supported", op)
    return (1,) * (4 - len(shape)) + tuple(shape)


@lowering("ADD")
def lower_add(low, op):
    g = low.graph
    a, b, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    sa, sb, sy = _rank4(a.shape, op), _rank4(b.shape, op), _rank4(y.shape, op)
    for d in range(4):
        require(sa[d] in (1, sy[d]) and sb[d] in (1, sy[d]) and sy[d] == max(sa[d], sb[d]),
                f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast to {list(y.shape)}", op)
    left_shift, (m1, s1), (m2, s2), (mo, so) = quant.add_params(a.scale, b.scale, y.scale, op.describe())
    act_min, act_max = quant.activation_range(op.options.get("fused_activation_function", 0), y.scale, y.zero_point)
    params = [left_shift, -a.zero_point, m1, s1, -b.zero_point, m2, s2, y.zero_point, mo, so, act_min, act_max]
    operand = [low.constant(t.name, low.const_data(t.index)) if low.is_const(t.index) else
               low.activation(t.index, s) for t, s in ((a, sa), (b, sb))]
    return Layer("ADD", operand, [low.activation(y.index, sy)], params, op.index)
