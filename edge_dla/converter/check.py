"""Support check: is a parsed model something edge_dla can run?

`check_model` walks the whole graph and collects every problem before raising,
so a user sees all unsupported ops, types and parameters at once (with their
indices), like Vela's supported-ops report. `support_report` returns the same
findings per op for `edge-dla check`.
"""
import math

import numpy as np

from ..errors import ModelError, QuantizationError, UnsupportedError
from .quant import ACTIVATIONS

# Highest TFLite op version whose semantics we implement (newer versions add
# types or options we have not verified against TFLM).
MAX_VERSIONS = {
    "CONV_2D": 8, "DEPTHWISE_CONV_2D": 7, "FULLY_CONNECTED": 13, "AVERAGE_POOL_2D": 3,
    "MAX_POOL_2D": 3, "ADD": 5, "SOFTMAX": 3, "RESHAPE": 2,
    "RELU": 3, "RELU6": 3, "RELU_N1_TO_1": 2,
    # element-wise, activation and reduction ops (int8 versions; int16 ones come later)
    "MUL": 3, "SUB": 3, "SQUARED_DIFFERENCE": 2, "MAXIMUM": 3, "MINIMUM": 3, "PRELU": 1,
    "LOGISTIC": 2, "TANH": 2, "HARD_SWISH": 1, "LEAKY_RELU": 1, "QUANTIZE": 1, "DEQUANTIZE": 2,
    "MEAN": 2, "SUM": 2, "REDUCE_MAX": 2,
    # data movement: newer versions only add types (checked below) or >4-D shapes (refused)
    "PAD": 4, "PADV2": 4, "CONCATENATION": 4, "PACK": 4, "UNPACK": 4, "EXPAND_DIMS": 3, "SQUEEZE": 2,
    "TRANSPOSE": 6, "STRIDED_SLICE": 8, "SLICE": 6, "SPLIT": 4, "SPLIT_V": 3, "GATHER": 7,
    "RESIZE_NEAREST_NEIGHBOR": 4, "RESIZE_BILINEAR": 4, "TRANSPOSE_CONV": 5, "BATCH_MATMUL": 4,
}
# Operand slots that hold int32 parameters (shapes, axes), not int8 data.
PARAM_OPERANDS = {"RESHAPE": {1}, "MEAN": {1}, "SUM": {1}, "REDUCE_MAX": {1}}
PARAM_OPERANDS.update({
    "PAD": {1}, "PADV2": {1}, "EXPAND_DIMS": {1}, "TRANSPOSE": {1}, "STRIDED_SLICE": {1, 2, 3},
    "SLICE": {1, 2}, "SPLIT": {0}, "SPLIT_V": {1, 2}, "GATHER": {1}, "RESIZE_NEAREST_NEIGHBOR": {1},
    "RESIZE_BILINEAR": {1}, "TRANSPOSE_CONV": {0},
})
# Parameter operands must be integer constants once constant folding is done, except
# RESHAPE's shape: only a hint (the output tensor's shape is used).
HINT_OPERANDS = {("RESHAPE", 1)}
# TFLM reads these as int32 whatever their type (int64 gives garbage or a refusal).
INT32_ONLY_PARAMS = {("PAD", 1), ("PADV2", 1), ("EXPAND_DIMS", 1), ("TRANSPOSE", 1), ("STRIDED_SLICE", 1),
                     ("STRIDED_SLICE", 2), ("STRIDED_SLICE", 3), ("SPLIT", 0), ("GATHER", 1),
                     ("RESIZE_NEAREST_NEIGHBOR", 1), ("RESIZE_BILINEAR", 1)}
# (required inputs, most inputs) per op; one output (MULTI_OUTPUT ops: one or more). An omitted optional
# operand is -1 (TFLite's convention); a required one may not be.
ARITY = {
    "CONV_2D": (2, 3), "DEPTHWISE_CONV_2D": (2, 3), "FULLY_CONNECTED": (2, 3), "AVERAGE_POOL_2D": (1, 1),
    "MAX_POOL_2D": (1, 1), "ADD": (2, 2), "SOFTMAX": (1, 1), "RESHAPE": (1, 2),
    "RELU": (1, 1), "RELU6": (1, 1), "RELU_N1_TO_1": (1, 1),
}
ARITY.update({
    "PAD": (2, 2), "PADV2": (2, 3), "CONCATENATION": (1, 1 << 16), "PACK": (1, 1 << 16), "UNPACK": (1, 1),
    "EXPAND_DIMS": (2, 2), "SQUEEZE": (1, 1), "TRANSPOSE": (2, 2), "STRIDED_SLICE": (4, 4), "SLICE": (3, 3),
    "SPLIT": (2, 2), "SPLIT_V": (3, 3), "GATHER": (2, 2), "RESIZE_NEAREST_NEIGHBOR": (2, 2),
    "RESIZE_BILINEAR": (2, 2), "TRANSPOSE_CONV": (3, 4), "BATCH_MATMUL": (2, 2),
})
ARITY.update({  # element-wise, activation and reduction ops
    "MUL": (2, 2), "SUB": (2, 2), "SQUARED_DIFFERENCE": (2, 2), "MAXIMUM": (2, 2), "MINIMUM": (2, 2),
    "PRELU": (2, 2), "LOGISTIC": (1, 1), "TANH": (1, 1), "HARD_SWISH": (1, 1), "LEAKY_RELU": (1, 1),
    "QUANTIZE": (1, 1), "DEQUANTIZE": (1, 1), "MEAN": (2, 2), "SUM": (2, 2), "REDUCE_MAX": (2, 2),
})
MULTI_OUTPUT = {"SPLIT", "SPLIT_V", "UNPACK"}  # one or more outputs
FUSABLE_ACTIVATIONS = {"NONE", "RELU", "RELU6", "RELU_N1_TO_1"}
# (constant int8 weights slot, int32 bias slot or None) of the weighted ops.
WEIGHTS = {"CONV_2D": (1, 2), "DEPTHWISE_CONV_2D": (1, 2), "FULLY_CONNECTED": (1, 2),
           "TRANSPOSE_CONV": (1, 3), "BATCH_MATMUL": (1, None)}
WEIGHTED = set(WEIGHTS)
SYMMETRIC_WEIGHTS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV"}
# Ops whose blob records are at most 4-D: every data operand must be too.
RANK4_OPS = {"PAD", "PADV2", "CONCATENATION", "PACK", "UNPACK", "TRANSPOSE", "STRIDED_SLICE", "SLICE",
             "SPLIT", "SPLIT_V", "GATHER", "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR", "TRANSPOSE_CONV",
             "BATCH_MATMUL"}


def check_quantization(tensor):
    """Raise QuantizationError for invalid int8/int32 quantization parameters."""
    where = tensor.describe()
    if tensor.dtype not in ("int8", "int32"):
        return
    if tensor.scales is None or len(tensor.scales) == 0:
        if tensor.dtype == "int8":
            raise QuantizationError("int8 tensor has no quantization parameters", where=where)
        return
    scales, zps = tensor.scales, tensor.zero_points
    bad = [float(s) for s in scales if not (math.isfinite(float(s)) and s > 0)]
    if bad:
        raise QuantizationError(f"scale {bad[0]!r} is not a positive finite number", where=where)
    if len(zps) != len(scales):
        raise QuantizationError(f"{len(scales)} scales but {len(zps)} zero points", where=where)
    if tensor.dtype == "int8" and (zps.min() < -128 or zps.max() > 127):
        raise QuantizationError(f"zero point {int(zps.min() if zps.min() < -128 else zps.max())} "
                                "is outside the int8 range [-128, 127]", where=where)
    rank = len(tensor.shape)
    if tensor.dtype == "int32":  # biases: TFLM reads neither their scales nor their quantized_dimension
        return
    if len(scales) > 1:  # TFLM ignores quantized_dimension for a single scale
        qdim = tensor.quantized_dimension
        if not 0 <= qdim < max(rank, 1):
            raise QuantizationError(f"quantized_dimension {qdim} is out of range for rank {rank}",
                                    where=where)
        if len(scales) > 1 and len(scales) != tensor.shape[qdim]:
            raise QuantizationError(f"{len(scales)} per-channel scales but dimension {qdim} has "
                                    f"{tensor.shape[qdim]} channels", where=where)


def check_operands(op):
    """Raise ModelError when an op has the wrong operand count or omits a required operand
    (lowering indexes operands by position, and Python would read tensors[-1])."""
    low, high = ARITY.get(op.kind, (0, len(op.inputs)))
    multi = op.kind in MULTI_OUTPUT
    if not low <= len(op.inputs) <= high or not (len(op.outputs) >= 1 if multi else len(op.outputs) == 1):
        raise ModelError(f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs; {op.kind} takes "
                         f"{low} to {high} inputs and {'1 or more outputs' if multi else '1 output'}",
                         where=op.describe())
    for slot in range(low):
        if op.inputs[slot] < 0:
            raise ModelError(f"input {slot} is omitted (-1) but {op.kind} requires it", where=op.describe())


def _float_edge(graph, op, pos, t):
    """A float32 model input quantized by QUANTIZE, or a float32 model output of DEQUANTIZE."""
    if graph.tensors[t].dtype != "float32":
        return False
    return (op.kind == "QUANTIZE" and pos == 0 and t in graph.inputs) or \
        (op.kind == "DEQUANTIZE" and pos is None and t in graph.outputs)


def _float_io_ok(graph, idx):
    """A float32 model input read only by QUANTIZE ops, or a float32 output written by DEQUANTIZE."""
    if graph.tensors[idx].dtype != "float32":
        return False
    readers = [op for op in graph.operators if idx in op.inputs]
    writers = [op for op in graph.operators if idx in op.outputs]
    if idx in graph.inputs:
        return bool(readers) and all(op.kind == "QUANTIZE" for op in readers)
    return bool(writers) and all(op.kind == "DEQUANTIZE" for op in writers)


def _op_problems(graph, op, supported):
    """Unsupported features of one op, as readable strings (empty if it runs)."""
    problems = []
    if op.kind.startswith("CUSTOM:"):
        return [f"custom op '{op.kind[7:]}' is not supported"]
    if op.kind not in supported:
        return [f"{op.kind} is not supported"]
    if op.version > MAX_VERSIONS.get(op.kind, 1):
        problems.append(f"{op.kind} version {op.version} is newer than the version "
                        f"{MAX_VERSIONS.get(op.kind, 1)} edge_dla implements")
    act = ACTIVATIONS.get(op.options.get("fused_activation_function", 0), "unknown")
    if act not in FUSABLE_ACTIVATIONS:
        problems.append(f"fused activation {act} is not supported")
    problems += _option_problems(op)
    weights_slot, bias_slot = WEIGHTS.get(op.kind, (None, None))
    operands = [(pos, t) for pos, t in enumerate(op.inputs)] + [(None, t) for t in op.outputs]
    for pos, t in operands:
        if t < 0 or (op.kind, pos) in HINT_OPERANDS:  # omitted, or only a hint
            continue
        tensor = graph.tensors[t]
        if pos in PARAM_OPERANDS.get(op.kind, ()):  # a shape/axis/size operand
            allowed = ("int32",) if (op.kind, pos) in INT32_ONLY_PARAMS else ("int32", "int64")
            if tensor.dtype not in allowed:
                problems.append(f"{tensor.describe()} is {tensor.dtype}; this operand must be "
                                f"{' or '.join(allowed)}")
            elif not tensor.is_const:
                problems.append(f"{tensor.describe()} is computed at run time; edge_dla needs this operand "
                                "constant (or foldable to a constant at conversion)")
            continue
        if op.kind in RANK4_OPS and len(tensor.shape) > 4:
            problems.append(f"{tensor.describe()} has rank {len(tensor.shape)}; edge_dla supports up to 4")
        if _float_edge(graph, op, pos, t):
            continue
        if tensor.dtype == "float32" and not tensor.is_const and op.kind in ("QUANTIZE", "DEQUANTIZE"):
            problems.append(f"{tensor.describe()} is float32: float tensors are supported only as model "
                            "inputs into QUANTIZE and model outputs of DEQUANTIZE, not inside the graph")
            continue
        want = "int32" if pos is not None and pos == bias_slot else "int8"
        if tensor.dtype != want:
            role = "weights" if tensor.is_const else "activations"
            kind = ("float model" if tensor.dtype == "float32" and not tensor.is_const
                    else "hybrid model (float activations, int8 weights)" if tensor.dtype == "float32"
                    else f"{tensor.dtype} {role}")
            problems.append(f"{tensor.describe()} is {tensor.dtype}: {kind} not supported "
                            f"(edge_dla runs int8 activations and weights, int32 biases)")
    if weights_slot is not None and len(op.inputs) > weights_slot and op.inputs[weights_slot] >= 0:
        filt = graph.tensors[op.inputs[weights_slot]]
        if not filt.is_const:
            problems.append(f"{filt.describe()}: non-constant weights are not supported")
        elif op.kind == "BATCH_MATMUL" and filt.scales is not None and len(filt.scales) > 1:
            problems.append(f"{filt.describe()}: a per-channel quantized RHS is not supported (TFLM "
                            "uses one scale)")
        elif op.kind in SYMMETRIC_WEIGHTS and filt.zero_points is not None and np.any(filt.zero_points != 0):
            problems.append(f"{filt.describe()}: asymmetric (non-zero zero point) weights are not supported")
    return problems


def _option_problems(op):
    """Option values that edge_dla, like TFLM, does not implement."""
    o, problems = op.options, []
    if op.kind == "STRIDED_SLICE":
        for flag in ("ellipsis_mask", "new_axis_mask"):
            if o.get(flag, 0):
                problems.append(f"{flag} {o[flag]} is not supported (TFLM ignores it)")
        if o.get("offset", False):
            problems.append("offset=True is not supported (TFLM ignores it)")
    elif op.kind == "CONCATENATION" and o.get("fused_activation_function", 0):
        problems.append("a fused activation on CONCATENATION is not supported (TFLM refuses it)")
    elif op.kind == "RESIZE_BILINEAR" and o.get("align_corners") and o.get("half_pixel_centers"):
        problems.append("align_corners with half_pixel_centers is not supported (TFLM refuses it)")
    return problems


def check_model(graph, supported):
    """Raise UnsupportedError listing every unsupported feature, else QuantizationError
    for the first invalid quantization."""
    problems = []
    for op in graph.operators:
        if op.kind in supported:
            check_operands(op)
        problems += [f"{op.describe()}: {p}" for p in _op_problems(graph, op, supported)]
    for role, idx in [("input", t) for t in graph.inputs] + [("output", t) for t in graph.outputs]:
        tensor = graph.tensors[idx]
        if tensor.dtype != "int8" and not _float_io_ok(graph, idx):
            problems.append(f"model {role} {tensor.describe()} is {tensor.dtype}, not int8"
                            + (" (float32 edges must feed QUANTIZE or come from DEQUANTIZE)"
                               if tensor.dtype == "float32" else ""))
    if problems:
        raise UnsupportedError(problems)
    for tensor in graph.tensors:
        check_quantization(tensor)


def support_report(graph, supported):
    """[(op index, kind, version, [problems])] for every op, for `edge-dla check`."""
    return [(op.index, op.kind, op.version, _op_problems(graph, op, supported)) for op in graph.operators]


def require(condition, message, op):
    if not condition:
        raise ModelError(message, where=op.describe())
