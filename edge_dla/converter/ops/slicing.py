"""STRIDED_SLICE, SLICE, SPLIT, SPLIT_V, UNPACK: one box of the input per output.

Every output is a box (start, count, step per axis) of its input. A box whose
bytes are contiguous in the input (all axes before the first partial one have
one element, all axes after it are whole) is a view: no copy, no op. Other
boxes become STRIDED_SLICE layers (a strided 4-D copy). int8 values are moved
unchanged, as TFLM does even when the output's quantization differs.
"""
import numpy as np

from ..check import require
from ..layers import Layer, lowering
from .shapes import operand, rank4

INT_MAX = 2**31 - 1


def _clamp(v, lo, hi):
    return hi if v > hi else lo if v < lo else v


def strided_slice_ranges(shape, begin, end, strides, options):
    """[(start, stop, stride)] per axis and the set of shrunk axes, as TFLM evaluates
    STRIDED_SLICE (strided_slice_logic.h); ellipsis/new-axis masks and `offset`
    are not implemented by TFLM and are refused. Raises ValueError."""
    for flag in ("ellipsis_mask", "new_axis_mask"):
        if options.get(flag, 0):
            raise ValueError(f"{flag} is not supported (TFLM ignores it)")
    if options.get("offset", False):
        raise ValueError("offset=True is not supported (TFLM ignores it)")
    rank = len(shape)
    if not len(begin) == len(end) == len(strides) == rank:
        raise ValueError(f"begin/end/strides have {len(begin)}/{len(end)}/{len(strides)} entries "
                         f"for a rank-{rank} input")
    begin_mask, end_mask = options.get("begin_mask", 0), options.get("end_mask", 0)
    shrink_mask = options.get("shrink_axis_mask", 0)
    ranges, shrink = [], set()
    for d, size in enumerate(shape):
        stride = strides[d]
        if stride == 0:
            raise ValueError(f"stride of axis {d} is 0")
        start = begin[d] + size if begin[d] < 0 else begin[d]
        start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
        if begin_mask >> d & 1:
            start = 0 if stride > 0 else size - 1
        if shrink_mask >> d & 1:
            if stride < 0:  # TFLM's loop then runs zero times: the output is never written
                raise ValueError(f"shrinking axis {d} with a negative stride is not supported "
                                 "(TFLM leaves the output unwritten)")
            if not 0 <= start < size:
                raise ValueError(f"shrunk axis {d} index {begin[d]} is out of range for size {size}")
            ranges.append((start, start + 1, 1))
            shrink.add(d)
            continue
        stop = end[d] + size if end[d] < 0 else end[d]
        stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
        if end_mask >> d & 1:
            stop = size if stride > 0 else -1
        ranges.append((start, stop, stride))
    return ranges, shrink


def slice_for(start, stop, stride):
    """The Python slice of TFLM's (start, stop, stride) loop (stop -1 means 'past index 0')."""
    return slice(start, None if stop < 0 else stop, stride)


def _count(start, stop, stride):
    return max(0, -(-(stop - start) // stride)) if stride > 0 else max(0, -(-(start - stop) // -stride))


def lower_box(low, op, x_idx, y_idx, box, name):
    """Copy box [(start, count, step)] of tensor x into tensor y: a view when the
    bytes are contiguous, else a STRIDED_SLICE layer. Returns a Layer or None."""
    g = low.graph
    x, y = g.tensors[x_idx], g.tensors[y_idx]
    counts = [c for _, c, _ in box]
    require(int(np.prod(counts)) == y.size,
            f"output {list(y.shape)} does not hold the {counts} slice of input {list(x.shape)}", op)
    require(len(box) <= 4, f"rank {len(box)} > 4 is not supported", op)
    shape = list(x.shape) or [1]
    whole = [s == 0 and c == n and (st == 1 or c == 1) for (s, c, st), n in zip(box, shape)]
    last = max((d for d, w in enumerate(whole) if not w), default=-1)
    contiguous = last < 0 or (all(c == 1 for _, c, _ in box[:last]) and
                              (box[last][1] == 1 or box[last][2] == 1))
    if contiguous:
        strides = np.cumprod([1] + shape[:0:-1])[::-1]
        offset = int(sum(s * st for (s, _, _), st in zip(box, strides)))
        low.alias(y_idx, x_idx, byte_offset=offset * np.dtype(x.dtype).itemsize)
        return None
    pad = 4 - len(box)
    box4 = [(0, 1, 1)] * pad + list(box)
    for (s, c, st), n in zip(box4, rank4(shape)):
        require(0 <= s < n and 0 <= s + (c - 1) * st < n, f"slice start {s} step {st} x {c} leaves "
                                                           f"the axis of size {n}", op)
    params = [s for s, _, _ in box4] + [st if c > 1 else 1 for _, c, st in box4]  # a lone index needs no step
    return Layer("STRIDED_SLICE", [operand(low, x_idx, rank4(shape))], [low.activation(y_idx, [c for _, c, _ in box4])],
                 params, op.index, 0, {"slice": name}, cpu=True)


@lowering("STRIDED_SLICE")
def lower_strided_slice(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    args = [[int(v) for v in np.asarray(low.const_data(i)).reshape(-1)] for i in op.inputs[1:4]]
    try:
        ranges, shrink = strided_slice_ranges(x.shape, *args, op.options)
    except ValueError as exc:
        require(False, str(exc), op)
    box = [(start, _count(start, stop, stride), stride) for start, stop, stride in ranges]
    kept = [c for d, (_, c, _) in enumerate(box) if d not in shrink]
    require(tuple(kept) == tuple(y.shape), f"output shape {list(y.shape)} != computed {kept}", op)
    require(all(c > 0 for c in kept), "empty slices are not supported", op)
    return lower_box(low, op, x.index, y.index, box, "strided")


@lowering("SLICE")
def lower_slice(low, op):
    g = low.graph
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    begin, size = ([int(v) for v in np.asarray(low.const_data(i)).reshape(-1)] for i in op.inputs[1:3])
    require(len(begin) == len(size) == len(x.shape), "begin/size length != input rank", op)
    box = []
    for d, n in enumerate(x.shape):
        count = n - begin[d] if size[d] == -1 else size[d]
        require(0 <= begin[d] and count >= 1 and begin[d] + count <= n,
                f"slice [{begin[d]}, +{size[d]}) of axis {d} (size {n}) is out of range", op)
        box.append((begin[d], count, 1))
    require(tuple(c for _, c, _ in box) == tuple(y.shape), f"output shape {list(y.shape)} != "
                                                          f"computed {[c for _, c, _ in box]}", op)
    return lower_box(low, op, x.index, y.index, box, "slice")


def _split_along(low, op, x_idx, axis, sizes, outputs):
    x = low.graph.tensors[x_idx]
    rank = len(x.shape)
    require(-rank <= axis < rank, f"axis {axis} out of range for rank {rank}", op)
    axis %= rank
    require(len(sizes) == len(outputs), f"{len(sizes)} parts but {len(outputs)} outputs", op)
    require(sum(sizes) == x.shape[axis], f"parts {sizes} do not add up to {x.shape[axis]}", op)
    layers, start = [], 0
    for k, (size, y_idx) in enumerate(zip(sizes, outputs)):
        box = [(start if d == axis else 0, size if d == axis else n, 1) for d, n in enumerate(x.shape)]
        layer = lower_box(low, op, x_idx, y_idx, box, f"part {k}")
        if layer is not None:
            layers.append(layer)
        start += size
    return layers


@lowering("SPLIT")
def lower_split(low, op):
    x = low.graph.tensors[op.inputs[1]]
    axis = int(np.asarray(low.const_data(op.inputs[0])).reshape(-1)[0])
    n = len(op.outputs)
    require(n >= 1 and x.shape[axis] % n == 0, f"axis size {x.shape[axis]} does not split into {n}", op)
    return _split_along(low, op, x.index, axis, [x.shape[axis] // n] * n, op.outputs)


@lowering("SPLIT_V")
def lower_split_v(low, op):
    x = low.graph.tensors[op.inputs[0]]
    sizes = [int(v) for v in np.asarray(low.const_data(op.inputs[1])).reshape(-1)]
    axis = int(np.asarray(low.const_data(op.inputs[2])).reshape(-1)[0])
    rank = len(x.shape)
    require(-rank <= axis < rank, f"axis {axis} out of range for rank {rank}", op)
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
    require(all(s >= 1 for s in sizes), f"split sizes {sizes} must be positive", op)
    return _split_along(low, op, x.index, axis, sizes, op.outputs)


@lowering("UNPACK")
def lower_unpack(low, op):
    x = low.graph.tensors[op.inputs[0]]
    axis = op.options.get("axis", 0)
    rank = len(x.shape)
    require(-rank <= axis < rank, f"axis {axis} out of range for rank {rank}", op)
    return _split_along(low, op, x.index, axis, [1] * len(op.outputs), op.outputs)
