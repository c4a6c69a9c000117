"""Lowering: TFLite graph -> NPU layers with every prepare-time computation done.

First the graph rewrites (plain functions applied in order until nothing
changes), then the registered lowering of each op (`ops/`), which emits NPU
layers whose operands are views onto buffers (`layers.py`). Reshapes become
views onto their input's buffer: no copy, no op.
"""
from . import ops  # noqa: F401  (registers the lowerings)
from ..errors import ModelError
from .fold import fold_constants
from .ops.concat import fuse_requantize_into_concat
from .check import check_quantization
from .layers import LOWERINGS, Lowering


# ---- graph rewrites --------------------------------------------------------

def fuse_standalone_activation(graph):
    """RELU/RELU6/RELU_N1_TO_1 after a layer with no fused activation and the same
    quantization folds into that layer (the standalone op is then an identity
    requantization, so the result is bit-identical)."""
    codes = {"RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
    consumers = graph.consumers()
    producers = graph.producers()
    for op in graph.operators:
        if op.kind not in codes or len(op.inputs) != 1:
            continue
        src, dst = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        prod_index = producers.get(src.index)
        if prod_index is None or len(consumers.get(src.index, [])) != 1 or src.index in graph.outputs:
            continue
        prod = graph.operators[prod_index]
        if prod.kind not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD",
                             "AVERAGE_POOL_2D", "MAX_POOL_2D"):
            continue
        if prod.options.get("fused_activation_function", 0) != 0:
            continue
        if src.scales is None or dst.scales is None or src.scale != dst.scale or \
                src.zero_point != dst.zero_point:
            continue
        prod.options["fused_activation_function"] = codes[op.kind]
        prod.outputs = [dst.index]
        graph.operators = [o for o in graph.operators if o is not op]
        for i, o in enumerate(graph.operators):
            o.index = i
        return True
    return False


# Constant folding first: it removes the shape arithmetic (e.g. Keras' Flatten chain).
GRAPH_REWRITES = [fold_constants, fuse_standalone_activation, fuse_requantize_into_concat]


def apply_rewrites(graph):
    while any(rewrite(graph) for rewrite in GRAPH_REWRITES):
        pass
    return graph


SUPPORTED_OPS = frozenset(LOWERINGS)


def lowering_problems(graph, skip=()):
    """{op index: [message]} for ops whose lowering refuses their parameters (a
    quantization TFLM rejects, an axis out of range, ...). Lowers every op in order
    as lower() does but carries on past refusals, so `edge-dla check` lists them
    all; ops in skip (already refused for their types) are not lowered."""
    low = Lowering(graph)
    found = {}
    for op in graph.operators:
        if op.index in skip or op.kind not in LOWERINGS:
            continue
        try:
            for t in op.inputs + op.outputs:
                if t >= 0:
                    check_quantization(graph.tensors[t])
            result = LOWERINGS[op.kind](low, op)
        except ModelError as exc:
            prefix = f"{op.describe()}: "
            found[op.index] = [str(exc)[len(prefix):] if str(exc).startswith(prefix) else str(exc)]
            continue
        if result is not None:
            low.layers.extend(result if isinstance(result, list) else [result])
    return found


def lower(graph):
    """Lower a checked graph; returns (layers, input views, output views)."""
    low = Lowering(graph)
    for op in graph.operators:
        result = LOWERINGS[op.kind](low, op)
        if result is not None:
            low.layers.extend(result if isinstance(result, list) else [result])
    for idx in graph.inputs + graph.outputs:
        if low.is_const(idx):
            raise ModelError(f"model input/output {graph.tensors[idx].describe()} is a constant")
    inputs = [low.activation(i) for i in graph.inputs]
    outputs = [low.activation(i) for i in graph.outputs]
    return low.layers, inputs, outputs
