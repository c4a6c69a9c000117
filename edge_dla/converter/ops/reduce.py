"""MEAN, SUM and REDUCE_MAX over constant axes (any subset of up to 4 dims)."""
import numpy as np

from .. import quant
from ..check import require
from ..layers import Layer, lowering
from .elementwise import checked_multiplier


def _axis_mask(low, op, x):
    """REDUCE_P_AXIS_MASK over the input right-aligned to 4-D, and the reduced count."""
    rank = len(x.shape)
    require(1 <= rank <= 4, f"input rank {rank} is not supported (1 to 4)", op)
    require(low.is_const(op.inputs[1]), "the axis operand must be a constant", op)
    axes = [int(a) for a in np.asarray(low.const_data(op.inputs[1])).reshape(-1)]
    bad = [a for a in axes if not -rank <= a < rank]
    require(not bad, f"axis {bad[0] if bad else 0} is out of range for rank {rank}", op)
    reduced = sorted({a % rank for a in axes})  # negative and repeated axes, as ResolveAxis
    mask = sum(1 << (a + 4 - rank) for a in reduced)
    count = int(np.prod([x.shape[a] for a in reduced], dtype=np.int64))
    kept = int(np.prod([d for a, d in enumerate(x.shape) if a not in reduced], dtype=np.int64))
    return mask, count, kept


@lowering("MEAN", "SUM", "REDUCE_MAX")
def lower_reduce(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    mask, count, kept = _axis_mask(low, op, x)
    require(y.size == kept, f"output shape {list(y.shape)} does not hold the {kept} kept elements", op)
    views = [low.activation(x.index)], [low.activation(y.index)]
    if op.kind == "REDUCE_MAX":
        require(x.scale == y.scale and x.zero_point == y.zero_point,
                "TFLM's int8 REDUCE_MAX requires the output quantization to equal the input's", op)
        return Layer("REDUCE_MAX", *views, [mask], op.index, cpu=True)
    m, s = quant.product_multiplier([x.scale], y.scale)
    if op.kind == "MEAN":
        m, s = quant.mean_multiplier(m, s, count)
    m, s = checked_multiplier(m, s, op)
    return Layer("REDUCE_SUM", *views, [mask, x.zero_point, y.zero_point, m, s], op.index,
                 info={"tflite_op": op.kind}, cpu=True)
