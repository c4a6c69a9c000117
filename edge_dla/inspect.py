"""inspect(blob) -> dict: what a blob holds and what it costs, without running it."""
from . import blob as fmt


def _from_records(tensors, ops):
    """Per op, what its records say: the first input's shape, the output's shape, the
    constant bytes it reads, and the scratchpad and weight-buffer ranges it touches."""
    shape = lambda t: list(tensors[t][4:4 + tensors[t][2]])  # noqa: E731
    span = lambda t: (tensors[t][8], tensors[t][8] + tensors[t][9])  # noqa: E731
    rows = []
    for op in ops:
        ins = [t for t in op[3:3 + op[1]] if t < len(tensors)]
        used = ins + [t for t in op[9:9 + op[2]] if t < len(tensors)]
        first = op[3] if op[1] and op[3] < len(tensors) else None
        rows.append({
            "inputs": [shape(first)] if first is not None else [],
            "output": shape(op[9]) if op[2] and op[9] < len(tensors) else [],
            "weight_bytes": sum(tensors[t][9] for t in ins if tensors[t][1] == fmt.LOC_CONST),
            "scratch": [list(r) for r in sorted({span(t) for t in used if tensors[t][1] == fmt.LOC_SCRATCH})],
            "weight_buffer": [list(r) for r in sorted({span(t) for t in used if tensors[t][1] == fmt.LOC_WBUF})],
        })
    return rows


def inspect(blob):
    blob = bytes(blob)
    info = fmt.read_blob(blob)
    header, meta = info["header"], info["meta"]
    layers = [{**layer, **derived} for layer, derived in zip(meta.get("layers", []),
                                                            _from_records(*info["records"]))]
    size = {kind: info["sections"].get(kind, (0, 0, 0))[1] for kind in (fmt.SEC_CONST, fmt.SEC_TENSORS, fmt.SEC_OPS,
                                                                        fmt.SEC_IO, fmt.SEC_META)}
    return {
        "format_version": "%d.%d" % header.version,
        "converter": meta.get("converter"),
        "source": meta.get("source"),
        "blob_bytes": len(blob),
        "const_bytes": size[fmt.SEC_CONST],       # weights and tables: what is flashed, with:
        "records_bytes": size[fmt.SEC_TENSORS] + size[fmt.SEC_OPS] + size[fmt.SEC_IO],
        "meta_bytes": size[fmt.SEC_META],         # for tools; the core ignores it
        "scratchpad_bytes": header.scratchpad_required,
        # staged (decoded) weights: the NPU's own weight buffer, never the scratchpad
        "weight_buffer_bytes": header.weight_buffer_required,
        "weight_buffer_capacity": header.npu.get("weight_buffer_capacity", 0),
        "npu": header.npu,
        "plan": meta.get("plan", {}),
        "inputs": meta.get("inputs", []),
        "outputs": meta.get("outputs", []),
        "macs": sum(layer["macs"] for layer in layers),
        "layers": layers,
    }
