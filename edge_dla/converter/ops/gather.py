"""GATHER with constant indices (any axis, batch_dims)."""
import numpy as np

from ..check import require
from ..layers import Layer, lowering
from .shapes import operand


def _prod(dims):
    return int(np.prod(dims, dtype=np.int64)) if len(dims) else 1


@lowering("GATHER")
def lower_gather(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    require(low.is_const(op.inputs[1]), "indices must be constant", op)
    indices = np.asarray(low.const_data(op.inputs[1])).astype(np.int64)
    rank = len(x.shape)
    axis, batch_dims = op.options.get("axis", 0), op.options.get("batch_dims", 0)
    axis += rank if axis < 0 else 0
    batch_dims += indices.ndim if batch_dims < 0 else 0
    require(0 <= batch_dims <= axis < rank and batch_dims <= indices.ndim,
            f"axis {axis} / batch_dims {batch_dims} out of range", op)
    require(x.shape[:batch_dims] == indices.shape[:batch_dims],
            f"batch dims of input {list(x.shape)} and indices {list(indices.shape)} differ", op)
    size = x.shape[axis]
    require(((indices >= 0) & (indices < size)).all(),
            f"indices outside [0, {size}) (TFLM fails on them at run time)", op)
    want = tuple(x.shape[:axis]) + tuple(indices.shape[batch_dims:]) + tuple(x.shape[axis + 1:])
    require(want == tuple(y.shape), f"output shape {list(y.shape)} != gathered {list(want)}", op)
    b, o, i = _prod(x.shape[:batch_dims]), _prod(x.shape[batch_dims:axis]), _prod(x.shape[axis + 1:])
    flat = indices.reshape(b, -1)
    n = flat.shape[1]
    if b * o == 1 and (np.diff(flat[0]) == 1).all():
        low.alias(y.index, x.index, byte_offset=int(flat[0, 0]) * i)  # a contiguous run: a view
        return None
    return Layer("GATHER", [operand(low, x.index, (b, o, size, i)),
                            low.constant(g.tensors[op.inputs[1]].name, flat.astype(np.int32))],
                 [low.activation(y.index, (b, o, n, i))], [], op.index, 0, cpu=True)
