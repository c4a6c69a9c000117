"""RESHAPE, EXPAND_DIMS, SQUEEZE: no op at all, the output becomes a view of the input buffer."""
from ..check import require
from ..layers import lowering


@lowering("RESHAPE")
def lower_reshape(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    require(x.size == y.size, f"reshape from {list(x.shape)} to {list(y.shape)} changes the element count", op)
    low.alias(y.index, x.index)
    return None


@lowering("EXPAND_DIMS", "SQUEEZE")
def lower_expand_squeeze(low, op):
    """EXPAND_DIMS and SQUEEZE only add or drop size-1 dims: views like RESHAPE."""
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    require([d for d in x.shape if d != 1] == [d for d in y.shape if d != 1],
            f"{list(x.shape)} -> {list(y.shape)} does more than add or drop size-1 dims", op)
    low.alias(y.index, x.index)
    return None
