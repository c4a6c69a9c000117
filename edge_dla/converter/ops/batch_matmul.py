"""BATCH_MATMUL with constant RHS, lowered to FULLY_CONNECTED layers (exact).

TFLM computes each output as MultiplyByQuantizedMultiplier(sum_k (lhs - lhs_zp)
* (rhs - rhs_zp)) + out_zp with the per-tensor multiplier of
GetQuantizedConvolutionMultipler and no activation: FULLY_CONNECTED's
arithmetic with weights = RHS^T, filter offset = -rhs_zp and no bias. A
constant RHS without batch dims is one FC over all LHS rows; batched RHS gives
one FC per output batch on views of the LHS and output. adj_x needs the LHS
transposed first (a TRANSPOSE layer).
"""
import itertools
from dataclasses import replace

import numpy as np

from .. import quant
from ..check import require
from ..layers import Buffer, Layer, View, lowering, requant_tables


@lowering("BATCH_MATMUL")
def lower_batch_matmul(low, op):
    g = low.graph
    a, b, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    require(low.is_const(b.index), "the RHS must be constant (non-constant RHS is not supported)", op)
    require(not low.is_const(a.index), "a constant LHS is not supported", op)
    require(b.scales is not None and len(b.scales) == 1, "the RHS must be quantized per tensor (TFLM "
                                                          "uses one scale)", op)
    adj_x, adj_y = bool(op.options.get("adj_x", False)), bool(op.options.get("adj_y", False))
    rank = max(len(a.shape), len(b.shape))
    require(2 <= len(a.shape) <= 4 and 2 <= len(b.shape) <= 4, "operands must have rank 2 to 4", op)
    la = (1,) * (rank - len(a.shape)) + tuple(a.shape)
    lb = (1,) * (rank - len(b.shape)) + tuple(b.shape)
    m, k = (la[-1], la[-2]) if adj_x else (la[-2], la[-1])
    kb, n = (lb[-1], lb[-2]) if adj_y else (lb[-2], lb[-1])
    require(k == kb, f"LHS depth {k} != RHS depth {kb}", op)
    batch = []
    for da, db in zip(la[:-2], lb[:-2]):
        require(da == db or da == 1 or db == 1, f"batch dims of {list(a.shape)} and {list(b.shape)} "
                                                f"do not broadcast", op)
        batch.append(max(da, db))
    require(y.size == int(np.prod(batch, dtype=np.int64)) * m * n,
            f"output {list(y.shape)} does not hold {batch} x [{m}, {n}]", op)

    rhs = np.asarray(low.const_data(b.index)).reshape(lb)
    weights = rhs if adj_y else np.swapaxes(rhs, -1, -2)  # [..., n, k]
    mult, shift = quant.fc_multiplier(a.scale, b.scale, y.scale)
    tables = requant_tables(low, y.name, np.full(n, mult, np.int32), np.full(n, shift, np.int32))
    params = [-a.zero_point, -b.zero_point, y.zero_point, -128, 127, 0, n]

    layers = []
    lhs = low.activation(a.index, la)
    if adj_x:  # rows must be contiguous: transpose the last two dims first
        rows = la[:-2] + (m, k)
        t = View(f"{a.name}/adj_x", rows, "int8", a.zero_point, Buffer(f"{a.name}/adj_x", int(np.prod(rows))))
        perm = list(range(rank - 2)) + [rank - 1, rank - 2]
        lead = 4 - rank
        layers.append(Layer("TRANSPOSE", [replace(lhs, shape=(1,) * lead + la)], [replace(t, shape=(1,) * lead + rows)],
                            list(range(lead)) + [p + lead for p in perm], op.index, 0, cpu=True))
        lhs = t
    out = low.activation(y.index)

    def fc(x_view, w, y_view):
        return Layer("FULLY_CONNECTED", [x_view, low.constant(f"{b.name}/T", np.ascontiguousarray(w)), None,
                                         *tables], [y_view], list(params), op.index,
                     int(np.prod(x_view.shape)) * n)

    if all(d == 1 for d in lb[:-2]):  # one weight matrix: all LHS rows in one FC
        rows = int(np.prod(la[:-2], dtype=np.int64)) * m
        layers.append(fc(replace(lhs, shape=(rows, k)), weights.reshape(n, k), replace(out, shape=(rows, n))))
        return layers
    for pos, index in enumerate(itertools.product(*(range(d) for d in batch))):
        ia = int(np.ravel_multi_index([i if d > 1 else 0 for i, d in zip(index, la[:-2])], la[:-2]))
        ib = tuple(i if d > 1 else 0 for i, d in zip(index, lb[:-2]))
        layers.append(fc(replace(lhs, shape=(m, k), byte_offset=lhs.byte_offset + ia * m * k), weights[ib],
                         replace(out, shape=(m, n), byte_offset=out.byte_offset + pos * m * n)))
    return layers
