"""inspect(blob) -> dict: what a blob holds and what it costs, without running it."""
from . import blob as fmt


def inspect(blob):
    blob = bytes(blob)
    info = fmt.read_blob(blob)
    header, meta = info["header"], info["meta"]
    layers = meta.get("layers", [])
    const_size = info["sections"].get(fmt.SEC_CONST, (0, 0, 0))[1]
    return {
        "format_version": "%d.%d" % header.version,
        "converter": meta.get("converter"),
        "source": meta.get("source"),
        "blob_bytes": len(blob),
        "const_bytes": const_size,
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
