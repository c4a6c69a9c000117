"""TRANSPOSE: a 4-D permutation copy, or a view when only size-1 axes move."""
import numpy as np

from ..check import require
from ..layers import Layer, lowering
from .shapes import operand, rank4


@lowering("TRANSPOSE")
def lower_transpose(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    rank = len(x.shape)
    require(rank <= 4, f"rank {rank} > 4 is not supported", op)
    perm = [int(p) for p in np.asarray(low.const_data(op.inputs[1])).reshape(-1)]
    perm = [p + rank if p < 0 else p for p in perm]
    require(sorted(perm) == list(range(rank)), f"perm {perm} is not a permutation of {rank} axes", op)
    want = tuple(x.shape[p] for p in perm)
    require(want == tuple(y.shape), f"output shape {list(y.shape)} != permuted {list(want)}", op)
    if [p for p in perm if x.shape[p] != 1] == [d for d in range(rank) if x.shape[d] != 1]:
        low.alias(y.index, x.index)  # the data order does not change: a reshape
        return None
    lead = 4 - rank
    perm4 = list(range(lead)) + [p + lead for p in perm]
    return Layer("TRANSPOSE", [operand(low, x.index, rank4(x.shape))], [low.activation(y.index, rank4(y.shape))],
                 perm4, op.index, 0, cpu=True)
