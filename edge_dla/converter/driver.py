"""convert(): the converter as one linear recipe, a health check between stages."""
import os

from .. import __version__
from ..errors import ModelError
from . import act_sparsity, blob_writer, lower, tiling, weights
from .check import check_model
from .graph import check_health
from .tflite_reader import read_tflite

# An Ethos-U55-128-class NPU (Arm's published figures: 128 int8 MACs/cycle,
# 500 MHz in Corstone-300). DMA rates are bytes per cycle.
DEFAULT_NPU = {
    "scratchpad_bytes": 256 * 1024,
    "macs_per_cycle": 128,
    "flash_bytes_per_cycle": 4.0,
    "ext_bytes_per_cycle": 8.0,
    "clock_mhz": 500.0,
    "op_overhead_cycles": 64,
    # The MAC array's own weight buffer, which the weight decoder fills from flash
    # (docs/cycle-model.md): 16 KiB, two 8 KiB chunks in flight.
    "weight_buffer_bytes": 16 * 1024,
}


def _npu_record(options):
    unknown = set(options) - set(DEFAULT_NPU)
    if unknown:
        raise TypeError(f"unknown conversion option(s): {', '.join(sorted(unknown))}")
    cfg = {**DEFAULT_NPU, **options}
    for key, value in cfg.items():
        if not (value >= 0 if key == "weight_buffer_bytes" else value > 0):  # 0: no weight buffer
            raise ValueError(f"{key} must be {'>= 0' if key == 'weight_buffer_bytes' else 'positive'}, got {value!r}")
    return cfg, {
        "scratchpad_capacity": int(cfg["scratchpad_bytes"]),
        "macs_per_cycle": int(cfg["macs_per_cycle"]),
        "flash_bytes_per_cycle_q8": max(1, round(cfg["flash_bytes_per_cycle"] * 256)),
        "ext_bytes_per_cycle_q8": max(1, round(cfg["ext_bytes_per_cycle"] * 256)),
        "clock_khz": int(cfg["clock_mhz"] * 1000),
        "op_overhead_cycles": int(cfg["op_overhead_cycles"]),
        "weight_buffer_capacity": int(cfg["weight_buffer_bytes"]),
    }


def _load_bytes(model):
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), "<bytes>"
    path = os.fspath(model)
    try:
        with open(path, "rb") as f:
            return f.read(), os.path.basename(path)
    except OSError as exc:
        raise ModelError(f"cannot read model: {exc.strerror}", where=path) from None


def _io_meta(views, first_index):
    return [{"name": v.name, "index": first_index + i, "shape": list(v.shape), "dtype": v.dtype,
             "quantization": v.quantization} for i, v in enumerate(views)]


def convert(model, optimise="balanced", sparsity_block=1, weight_format="auto", activation_sparsity=True,
            **options):
    """Convert a .tflite int8 model (path or bytes) into an edge_dla blob (bytes).

    Options (all optional) describe the target NPU: scratchpad_bytes,
    macs_per_cycle, flash_bytes_per_cycle, ext_bytes_per_cycle, clock_mhz,
    op_overhead_cycles, weight_buffer_bytes (the MAC array's weight buffer that
    compressed weights are decoded into; 0: none); sparsity_block: the MAC array skips zero weights in
    blocks of this many (1: every zero weight; recorded in the blob header);
    weight_format: "auto" (sparse where it is faster), "dense" or "sparse"
    (converter/weights.py); activation_sparsity: the MAC array also skips
    zero-point activations, in the layers fed by a ReLU (converter/act_sparsity.py;
    outputs are the same, only the measured MACs and cycles drop). `optimise` picks among plans that fit the scratchpad:
    "balanced" (smallest without recomputation), "performance" (fewest
    cycles) or "size" (smallest scratchpad, tiling as far as it goes).
    """
    cfg, npu = _npu_record(options)
    if not (isinstance(sparsity_block, int) and 1 <= sparsity_block <= 4096):
        raise ValueError(f"sparsity_block must be an integer in [1, 4096], got {sparsity_block!r}")
    npu["sparsity_block"] = cfg["sparsity_block"] = sparsity_block
    if not isinstance(activation_sparsity, bool):
        raise ValueError(f"activation_sparsity must be True or False, got {activation_sparsity!r}")
    npu["activation_sparsity"] = cfg["activation_sparsity"] = activation_sparsity
    data, source = _load_bytes(model)
    graph = read_tflite(data)
    check_health(graph)
    lower.apply_rewrites(graph)
    check_health(graph)
    check_model(graph, lower.SUPPORTED_OPS)
    layers, inputs, outputs = lower.lower(graph)
    if activation_sparsity:
        layers = act_sparsity.flag_layers(layers)
    layers = weights.choose_formats(layers, sparsity_block, weight_format, optimise)
    layers, plan = tiling.fit_to_scratchpad(layers, inputs, outputs, npu, npu["scratchpad_capacity"],
                                            optimise)
    layers, plan = weights.pack_for_flash(layers, inputs, outputs, npu, plan, sparsity_block, weight_format,
                                          optimise)
    meta = {
        "converter": f"edge_dla {__version__}",
        "source": source,
        "npu": cfg,
        "plan": plan,
        "layers": [{
            # shapes, constant bytes and memory ranges are in the records: inspect() derives them
            "op": layer.kind, "unit": "CPU" if layer.cpu else "NPU", "tflite_index": layer.source,
            "macs": layer.macs, "cycles": cycles, "dma_bytes": moved,
            **layer.info,
        } for layer, cycles, moved in zip(layers, *tiling.layer_costs(layers, npu))],
    }
    # The writer gives the I/O views the first tensor records, in this order.
    meta["inputs"] = _io_meta(inputs, 0)
    meta["outputs"] = _io_meta(outputs, len(inputs))
    return blob_writer.write_blob(layers, inputs, outputs, plan["peak"], npu, meta,
                                  plan.get("weight_buffer_peak", 0))
