"""Magnitude pruning of an int8 .tflite model (`edge-dla prune`).

Per layer (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV), the
fraction `sparsity` of the int8 weights with the smallest magnitude is set to
zero. The output is a copy of the input file with only those weight bytes
rewritten in place (same flatbuffer, same quantization), so it stays a valid
model for TFLM, LiteRT and edge-dla convert. No fine-tuning is done: the report
says how far the outputs moved against the original (TFLM on random or given
inputs).
"""
import numpy as np

from .errors import ModelError

PRUNABLE = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "TRANSPOSE_CONV": 1}


def _buffer_span(model, buffer_index):
    """(start, length) of a buffer's data vector inside the file."""
    buf = model.Buffers(buffer_index)
    n = buf.DataLength()
    if n == 0:
        return None
    o = buf._tab.Offset(4)  # Buffer.data
    return buf._tab.Vector(o), n


def weight_buffers(data):
    """{buffer index: (start, length, shape)} of the int8 weights of prunable ops."""
    import tflite

    from .converter.tflite_reader import read_tflite
    graph = read_tflite(data)
    model = tflite.Model.GetRootAs(data, 0)
    sub = model.Subgraphs(0)
    found = {}
    for op in graph.operators:
        slot = PRUNABLE.get(op.kind)
        if slot is None or len(op.inputs) <= slot or op.inputs[slot] < 0:
            continue
        t = graph.tensors[op.inputs[slot]]
        if not t.is_const or t.dtype != "int8":
            continue
        b = sub.Tensors(op.inputs[slot]).Buffer()
        span = _buffer_span(model, b)
        if span is not None and span[1] == int(np.prod(t.shape)):
            found[b] = (span[0], span[1], tuple(t.shape))
    return found


def rewrite_weights(data, new_weights):
    """A copy of the model with buffer b's bytes replaced by new_weights[b] (int8, same size)."""
    out = bytearray(data)
    spans = weight_buffers(bytes(data))
    for b, array in new_weights.items():
        start, n, _ = spans[b]
        raw = np.ascontiguousarray(array, np.int8).tobytes()
        if len(raw) != n:
            raise ValueError(f"buffer {b}: {len(raw)} bytes for a {n}-byte buffer")
        out[start:start + n] = raw
    return bytes(out)


def prune_bytes(data, sparsity):
    """(pruned model bytes, per-layer report rows)."""
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    data = bytes(data)
    new, rows = {}, []
    for b, (start, n, shape) in sorted(weight_buffers(data).items(), key=lambda kv: kv[1][0]):
        w = np.frombuffer(data, np.int8, n, start).copy()
        k = int(round(sparsity * n))
        before = float(np.mean(w == 0))
        if k > 0:
            order = np.argsort(np.abs(w.astype(np.int16)), kind="stable")
            w[order[:k]] = 0
        new[b] = w
        rows.append({"buffer": b, "shape": list(shape), "zeros_before": before, "zeros_after": float(np.mean(w == 0))})
    return rewrite_weights(data, new), rows


def output_drift(original, pruned, n_inputs=8, seed=0, inputs=None):
    """How far the pruned model's outputs moved from the original's, in TFLM."""
    from .oracle import run_tflm, tflm_interpreter
    from .testing.tflite_builder import input_shapes
    rng = np.random.default_rng(seed)
    if inputs is None:
        inputs = []
        for _ in range(n_inputs):
            case = []
            for shape, dtype in input_shapes(original):
                if np.dtype(dtype) == np.float32:
                    case.append(rng.standard_normal(shape).astype(np.float32))
                else:
                    info = np.iinfo(dtype)
                    case.append(rng.integers(info.min, info.max + 1, size=shape).astype(dtype))
            inputs.append(case)
    a_it, b_it = tflm_interpreter(original), tflm_interpreter(pruned)
    max_diff, sum_diff, count, changed, top1 = 0.0, 0.0, 0, 0, 0
    for case in inputs:
        for a, b in zip(run_tflm(original, case, a_it), run_tflm(pruned, case, b_it)):
            d = np.abs(a.astype(np.float64) - b.astype(np.float64))
            max_diff = max(max_diff, float(d.max()) if d.size else 0.0)
            sum_diff += float(d.sum())
            count += d.size
            changed += int(np.count_nonzero(d))
            top1 += int(np.argmax(a) == np.argmax(b))
    outputs = max(1, len(inputs) * max(1, len(run_tflm(original, inputs[0], a_it))) if inputs else 1)
    return {"cases": len(inputs), "max_abs_diff": max_diff, "mean_abs_diff": sum_diff / max(1, count),
            "changed_fraction": changed / max(1, count), "top1_agreement": top1 / outputs}


def prune(path_in, path_out, sparsity, n_inputs=8, seed=0):
    """Prune a model file; returns the report dict."""
    try:
        with open(path_in, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ModelError(f"cannot read model: {exc.strerror}", where=str(path_in)) from None
    pruned, rows = prune_bytes(data, sparsity)
    with open(path_out, "wb") as f:
        f.write(pruned)
    return {"layers": rows, "drift": output_drift(data, pruned, n_inputs, seed)}
