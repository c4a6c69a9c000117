"""Constant folding: a graph rewrite that evaluates ops on known values.

An op whose inputs are all constants (or SHAPE of a tensor, whose shape is
static in a TFLite flatbuffer) is computed here with numpy and its outputs
become constants; the op disappears. This removes the SHAPE -> STRIDED_SLICE
-> PACK -> RESHAPE chain Keras emits for Flatten, and any other shape
arithmetic, before support checks and lowering see it.

Only exact evaluations are folded: data movement of any type (int8 values are
moved unchanged, as TFLM does) and integer arithmetic on unquantized tensors.
Quantized arithmetic stays in the graph, where the kernels compute it exactly
as TFLM does. An op writing a model output is never folded (outputs must be
computed by the core).
"""
import numpy as np

from ..errors import ModelError
from .ops.slicing import slice_for, strided_slice_ranges


class CannotFold(Exception):
    """A folder declines an op it cannot evaluate exactly; the op then stays in the graph."""


FOLDERS = {}  # TFLite op name -> fn(op, graph, [input arrays or None]) -> [output arrays]


def folder(*names):
    def register(fn):
        for name in names:
            FOLDERS[name] = fn
        return fn
    return register


def _axis(axis, rank):
    return int(axis) + rank if axis < 0 else int(axis)


def _ints(a):
    return [int(v) for v in np.asarray(a).reshape(-1)]


@folder("SHAPE")
def _shape(op, graph, args):
    return [np.array(graph.tensors[op.inputs[0]].shape, np.int64)]


@folder("RESHAPE", "EXPAND_DIMS", "SQUEEZE")
def _reshape(op, graph, args):
    return [args[0].reshape(graph.tensors[op.outputs[0]].shape)]


@folder("TRANSPOSE")
def _transpose(op, graph, args):
    return [np.transpose(args[0], _ints(args[1]))]


@folder("STRIDED_SLICE")
def _strided_slice(op, graph, args):
    ranges, shrink = strided_slice_ranges(args[0].shape, _ints(args[1]), _ints(args[2]),
                                          _ints(args[3]), op.options)
    out = args[0][tuple(slice_for(*r) for r in ranges)]
    return [out.reshape([n for d, n in enumerate(out.shape) if d not in shrink])]


@folder("SLICE")
def _slice(op, graph, args):
    begin, size = _ints(args[1]), _ints(args[2])
    shape = args[0].shape
    index = tuple(slice(b, shape[d] if s == -1 else b + s) for d, (b, s) in enumerate(zip(begin, size)))
    return [args[0][index]]


@folder("PACK")
def _pack(op, graph, args):
    return [np.stack(args, axis=_axis(op.options.get("axis", 0), args[0].ndim + 1))]


@folder("UNPACK")
def _unpack(op, graph, args):
    axis = _axis(op.options.get("axis", 0), args[0].ndim)
    return [np.take(args[0], i, axis=axis) for i in range(args[0].shape[axis])]


@folder("CONCATENATION")
def _concat(op, graph, args):
    return [np.concatenate(args, axis=_axis(op.options.get("axis", 0), args[0].ndim))]


@folder("GATHER")
def _gather(op, graph, args):
    if op.options.get("batch_dims", 0):
        raise CannotFold
    return [np.take(args[0], args[1], axis=_axis(op.options.get("axis", 0), args[0].ndim))]


@folder("FILL")
def _fill(op, graph, args):
    return [np.full(_ints(args[0]), args[1].reshape(-1)[0])]


@folder("CAST")
def _cast(op, graph, args):
    return [args[0]]  # the output dtype is applied below


def _arith(fn):
    def fold(op, graph, args):
        if op.options.get("fused_activation_function", 0):
            raise CannotFold
        return [fn(*args)]
    return fold


FOLDERS.update({
    "ADD": _arith(np.add), "SUB": _arith(np.subtract), "MUL": _arith(np.multiply),
    "FLOOR_DIV": _arith(np.floor_divide), "MAXIMUM": _arith(np.maximum), "MINIMUM": _arith(np.minimum),
})


@folder("REDUCE_PROD", "SUM")
def _reduce(op, graph, args):
    fn = np.prod if op.kind == "REDUCE_PROD" else np.sum
    axes = tuple(_axis(a, args[0].ndim) for a in _ints(args[1]))
    return [fn(args[0], axis=axes, keepdims=bool(op.options.get("keep_dims", False)))]


# Quantized tensors may only be moved (their values are not numbers); these ops
# compute on values, so they fold for plain integer tensors only.
ARITHMETIC = {"ADD", "SUB", "MUL", "FLOOR_DIV", "MAXIMUM", "MINIMUM", "REDUCE_PROD", "SUM", "CAST", "FILL"}
FOLDABLE_DTYPES = {"int8", "int16", "int32", "int64", "uint8", "bool"}


def _quantization(t):
    return None if t.scales is None else (tuple(np.asarray(t.scales).tolist()),
                                          tuple(np.asarray(t.zero_points).tolist()))


def _foldable(graph, op):
    if op.kind not in FOLDERS or any(t in graph.outputs for t in op.outputs):
        return False
    ins = [graph.tensors[i] for i in op.inputs if i >= 0]
    outs = [graph.tensors[i] for i in op.outputs]
    if not ins or any(t.dtype not in FOLDABLE_DTYPES for t in outs):
        return False
    if op.kind == "SHAPE":
        return True
    if not all(t.is_const for t in ins):
        return False
    quantized = [t for t in ins + outs if t.scales is not None and t.dtype in ("int8", "uint8", "int16")]
    if op.kind in ARITHMETIC:
        return not quantized
    # Moving quantized values is exact only if every value keeps its meaning.
    data = [t for t in (ins if op.kind != "GATHER" else ins[:1]) + outs
            if t.dtype in ("int8", "uint8", "int16")]
    return len({_quantization(t) for t in data}) <= 1


def fold_constants(graph):
    """Fold the first foldable op; True if the graph changed (a GRAPH_REWRITES entry)."""
    for op in graph.operators:
        if not _foldable(graph, op):
            continue
        args = [graph.tensors[i].data if i >= 0 else None for i in op.inputs]
        try:
            results = FOLDERS[op.kind](op, graph, args)
        except CannotFold:
            continue
        except (ValueError, IndexError, TypeError) as exc:
            raise ModelError(f"cannot evaluate on its constant inputs: {exc}", where=op.describe()) from None
        if len(results) != len(op.outputs):
            raise ModelError(f"has {len(op.outputs)} outputs, evaluation gives {len(results)}",
                             where=op.describe())
        for idx, value in zip(op.outputs, results):
            t = graph.tensors[idx]
            value = np.asarray(value)
            if tuple(value.shape) != tuple(t.shape) and value.size != t.size:
                raise ModelError(f"evaluates to shape {list(value.shape)} but {t.describe()} has shape "
                                 f"{list(t.shape)}", where=op.describe())
            t.data = value.astype(np.dtype(t.dtype)).reshape(t.shape)
        graph.operators = [o for o in graph.operators if o is not op]
        for i, o in enumerate(graph.operators):
            o.index = i
        return True
    return False
