"""PAD and PADV2: the input inside a box filled with one int8 value."""
import numpy as np

from ..check import require
from ..layers import Layer, lowering
from .shapes import operand, rank4


@lowering("PAD", "PADV2")
def lower_pad(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    rank = len(x.shape)
    require(rank <= 4, f"rank {rank} > 4 is not supported", op)
    pads = np.asarray(low.const_data(op.inputs[1])).astype(np.int64)
    require(pads.shape == (rank, 2), f"paddings have shape {list(pads.shape)}, expected [{rank}, 2]", op)
    require((pads >= 0).all(), f"negative paddings {pads.tolist()} are not supported", op)
    want = tuple(int(n + b + a) for n, (b, a) in zip(x.shape, pads))
    require(want == tuple(y.shape), f"output shape {list(y.shape)} != padded {list(want)}", op)
    if op.kind == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        c = g.tensors[op.inputs[2]]
        require(c.size == 1, f"constant_values has {c.size} elements, expected 1", op)
        # TFLM requires the pad constant to be quantized like the output
        require(c.scales is not None and c.zero_point == y.zero_point and c.scale == y.scale,
                "the pad constant must have the output's scale and zero point (TFLM requires it)", op)
        value = int(np.asarray(low.const_data(c.index)).reshape(-1)[0])
    else:
        value = y.zero_point  # TFLM pads with the output zero point (real 0)
    before = [0] * (4 - rank) + [int(b) for b, _ in pads]
    return Layer("PAD", [operand(low, x.index, rank4(x.shape))], [low.activation(y.index, rank4(y.shape))],
                 before + [value], op.index, 0, cpu=True)
