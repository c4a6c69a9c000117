"""ADD with TFLite broadcasting (operands padded to rank 4)."""
from .. import quant
from ..layers import Layer, lowering
from .elementwise import broadcast_operands


@lowering("ADD")
def lower_add(low, op):
    (a, b, y), views = broadcast_operands(low, op)
    left_shift, (m1, s1), (m2, s2), (mo, so) = quant.add_params(a.scale, b.scale, y.scale, op.describe())
    act_min, act_max = quant.activation_range(op.options.get("fused_activation_function", 0), y.scale, y.zero_point)
    params = [left_shift, -a.zero_point, m1, s1, -b.zero_point, m2, s2, y.zero_point, mo, so, act_min, act_max]
    return Layer("ADD", views[:2], views[2:], params, op.index)
