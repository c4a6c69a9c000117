"""The scratchpad-versus-cycles trade-off of one model: convert it for a range of
scratchpad sizes and report what each costs (modelled cycles, MACs with
recomputed halos, DMA bytes)."""
from .converter import convert
from .errors import AllocationError
from .inspect import inspect


def _point(model, **options):
    info = inspect(convert(model, **options))
    plan = info["plan"]
    return {"scratchpad_bytes": info["scratchpad_bytes"], "cycles": plan["cycles_estimate"],
            "macs": sum(layer["macs"] for layer in info["layers"]),
            "segments": len(plan["segments"]), "weight_chunk": plan["weight_chunk"]}


def sweep(model, points=8, **npu):
    """Points from the fastest plan down to the smallest scratchpad, sorted by size."""
    if not isinstance(model, (bytes, bytearray)):
        with open(model, "rb") as f:
            model = f.read()
    fastest = _point(model, optimise="performance", **npu)
    smallest = _point(model, optimise="size", **npu)
    results = {fastest["scratchpad_bytes"]: fastest, smallest["scratchpad_bytes"]: smallest}
    lo, hi = smallest["scratchpad_bytes"], fastest["scratchpad_bytes"]
    for k in range(1, points - 1):
        capacity = hi - (hi - lo) * k // (points - 1)
        try:
            p = _point(model, optimise="performance", **{**npu, "scratchpad_bytes": capacity})
        except AllocationError:
            continue
        results.setdefault(p["scratchpad_bytes"], p)
    return sorted(results.values(), key=lambda p: -p["scratchpad_bytes"])
