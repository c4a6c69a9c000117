"""edge-dla: the command line. main(argv) -> exit code; errors print one line."""
import argparse
import json
import os
import re
import sys
import time

import numpy as np

from . import __version__
from .errors import EdgeDlaError, InputError

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(|B|K|KB|KIB|M|MB|MIB)\s*$", re.I)
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1000, "KIB": 1024, "M": 1 << 20, "MB": 1000 ** 2, "MIB": 1 << 20}


def parse_size(text):
    """'32KiB' -> 32768, '256k' -> 262144, '1000' -> 1000."""
    m = _SIZE.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 65536, 64KiB, 1MiB)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def _npu_options(args):
    names = {"scratchpad": "scratchpad_bytes", "macs_per_cycle": "macs_per_cycle",
             "flash_bytes_per_cycle": "flash_bytes_per_cycle", "clock_mhz": "clock_mhz",
             "weight_buffer": "weight_buffer_bytes"}
    return {key: getattr(args, arg) for arg, key in names.items() if getattr(args, arg, None) is not None}


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None


def _write(path, data):
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None


# ---- commands ---------------------------------------------------------------------

def cmd_convert(args):
    from .converter import convert
    from .inspect import inspect
    blob = convert(args.model, optimise=args.optimise, sparsity_block=args.sparsity_block,
                   weight_format=args.weight_format, activation_sparsity=args.activation_sparsity,
                   **_npu_options(args))
    out = args.output or re.sub(r"\.tflite$", "", args.model) + ".edla"
    _write(out, blob)
    info = inspect(blob)
    print(f"wrote {out}: {info['blob_bytes']:,} bytes, {len(info['layers'])} layers, "
          f"{info['macs']:,} MACs, scratchpad {info['scratchpad_bytes']:,} bytes, "
          f"weight buffer {info['weight_buffer_bytes']:,} bytes")
    return 0


def cmd_prune(args):
    from .prune import prune
    if not 0.0 <= args.sparsity <= 1.0:
        raise InputError(f"--sparsity must be in [0, 1], got {args.sparsity}")
    report = prune(args.model, args.output, args.sparsity, n_inputs=args.n, seed=args.seed)
    for row in report["layers"]:
        print(f"buffer {row['buffer']:>4}  {'x'.join(map(str, row['shape'])):<16} zeros "
              f"{row['zeros_before']:6.1%} -> {row['zeros_after']:6.1%}")
    d = report["drift"]
    print(f"wrote {args.output}: outputs vs the original over {d['cases']} random inputs (TFLM): "
          f"max |diff| {d['max_abs_diff']:g}, mean |diff| {d['mean_abs_diff']:.3f}, "
          f"{d['changed_fraction']:.1%} of values changed, top-1 agreement {d['top1_agreement']:.0%}")
    return 0


def _op_name(layer):
    """The blob op, with the TFLite op it implements when that differs (LUT(LOGISTIC))."""
    tflite_op = layer.get("tflite_op")
    return f"{layer['op']}({tflite_op})" if tflite_op and tflite_op != layer["op"] else layer["op"]


def _io_quant_text(d):
    q = d["quantization"]
    if not q["scales"]:
        return "unquantized"
    return f"scale {q['scales'][0]:.6g} zero point {q['zero_points'][0]}"


def format_inspect(info):
    npu = info["npu"]
    lines = [
        f"blob          {info['blob_bytes']:,} bytes (format {info['format_version']}, {info['converter']}, "
        f"from {info['source']})",
        f"weights       {info['const_bytes']:,} bytes in flash (+ records {info['records_bytes']:,}, "
        f"metadata {info['meta_bytes']:,}, header {info['blob_bytes'] - info['const_bytes'] - info['records_bytes'] - info['meta_bytes']:,})",
        f"scratchpad    {info['scratchpad_bytes']:,} bytes planned of {npu['scratchpad_capacity']:,} "
        f"({100 * info['scratchpad_bytes'] / npu['scratchpad_capacity']:.1f}%, plan: {info['plan'].get('strategy')})",
        _weight_buffer_line(info),
        f"NPU           {npu['macs_per_cycle']} MACs/cycle, {npu['flash_bytes_per_cycle_q8'] / 256:g} B/cycle "
        f"flash DMA, {npu['clock_khz'] / 1000:g} MHz",
        f"compute       {info['macs']:,} MACs",
    ]
    flagged = [layer for layer in info["layers"] if layer.get("act_sparse")]
    if npu.get("activation_sparsity"):
        lines.append(f"act sparsity  on: {len(flagged)} layer(s) fed by a ReLU skip zero-point activations "
                     f"(blocks of {npu.get('sparsity_block', 1)}; cycles above assume none)")
    cpu = [layer for layer in info["layers"] if layer.get("unit") == "CPU"]
    if cpu:
        lines.append(f"CPU layers    {len(cpu)} of {len(info['layers'])} run on the CPU (no NPU fit): "
                     + ", ".join(sorted({_op_name(layer) for layer in cpu})))
    for role in ("inputs", "outputs"):
        for d in info[role]:
            lines.append(f"{role[:-1]:<13} [{d['index']}] {d['name']}  {d['dtype']}{d['shape']}  "
                         f"{_io_quant_text(d)}")
    header = (f"{'#':>3}  {'op':<18} {'unit':<4} {'input':<16} {'output':<16} {'MACs':>11} {'weights':>8} "
              f"{'DMA bytes':>9} {'cycles':>8}  scratchpad | weight buffer")
    lines += ["", header, "-" * len(header)]
    for i, layer in enumerate(info["layers"]):
        shape = "x".join(map(str, layer["inputs"][0])) if layer["inputs"] else "-"
        scratch = ", ".join(f"{a}-{b}" for a, b in layer["scratch"])
        if layer.get("weight_buffer"):
            scratch += " | " + ", ".join(f"{a}-{b}" for a, b in layer["weight_buffer"])
        lines.append(f"{i:>3}  {_op_name(layer):<18} {layer.get('unit', 'NPU'):<4} {shape:<16} "
                     f"{'x'.join(map(str, layer['output'])):<16} {layer['macs']:>11,} "
                     f"{layer['weight_bytes']:>8,} {layer.get('dma_bytes', 0):>9,} {layer.get('cycles', 0):>8,}  "
                     f"{scratch}")
    formats = [(i, layer) for i, layer in enumerate(info["layers"]) if layer.get("weights")]
    if formats:
        lines += ["", f"weight formats (MAC-skip granularity: {npu.get('sparsity_block', 1)} weight(s))"]
        for i, layer in formats:
            w = layer["weights"]
            lines.append(f"{i:>3}  {layer['op']:<26} {w['format']:<6} {w['reason']}")
    decodes = [layer for layer in info["layers"] if layer["op"] == "DMA_DECODE"]
    if decodes:
        raw = sum(layer.get("raw_bytes", 0) for layer in decodes)
        packed = sum(layer.get("compressed_bytes", 0) for layer in decodes)
        lines.append(f"compressed    {len(decodes)} weight streams: {raw:,} -> {packed:,} bytes (range coder)")
    return "\n".join(lines)


def _weight_buffer_line(info):
    capacity, used = info.get("weight_buffer_capacity", 0), info.get("weight_buffer_bytes", 0)
    if not capacity:
        return "weight buffer none (weights are streamed from flash or staged in the scratchpad)"
    return (f"weight buffer {used:,} bytes planned of {capacity:,} ({100 * used / capacity:.1f}%): the NPU's own, "
            f"outside the scratchpad; compressed weights are decoded into it")


def format_timeline(info, width=40):
    """Scratchpad bytes live at each layer, as a bar chart."""
    live = info["plan"].get("live", [])
    peak = max(live, default=0) or 1
    lines = [f"scratchpad timeline (peak {info['scratchpad_bytes']:,} bytes of "
             f"{info['npu']['scratchpad_capacity']:,})"]
    for i, (layer, used) in enumerate(zip(info["layers"], live)):
        bar = "#" * round(width * used / peak)
        lines.append(f"{i:>3}  {_op_name(layer):<18} {used:>9,}  {bar}")
    return "\n".join(lines)


def plot_timeline(info, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install matplotlib") from None
    live = info["plan"].get("live", [])
    fig, ax = plt.subplots(figsize=(max(6, len(live) * 0.25), 3.5))
    ax.bar(range(len(live)), live, color="#4a7ebb")
    ax.axhline(info["npu"]["scratchpad_capacity"], color="#c0392b", linestyle="--", label="capacity")
    ax.set_xticks(range(len(live)), [layer["op"] for layer in info["layers"]], rotation=90, fontsize=6)
    ax.set_ylabel("live scratchpad bytes")
    ax.set_title(f"{info['source']}: peak {info['scratchpad_bytes']:,} bytes")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


def cmd_inspect(args):
    from .inspect import inspect
    data = _read(args.blob)
    if data[4:8] == b"TFL3":
        from .converter import convert
        data = convert(data)
    info = inspect(data)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(format_inspect(info))
    print()
    print(format_timeline(info))
    if args.plot:
        plot_timeline(info, args.plot)
    return 0


def cmd_sweep(args):
    from .sweep import sweep
    model = _read(args.model)
    print(f"{'scratchpad':>11} {'cycles':>10} {'vs fastest':>10} {'MACs':>12} {'striped':>8} {'weight chunk':>13}")
    points = sweep(model, points=args.points, **_npu_options(args))
    fastest = min(p["cycles"] for p in points)
    for p in points:
        chunk = {None: "whole", 0: "streamed"}.get(p["weight_chunk"], f"{p['weight_chunk']:,}")
        print(f"{p['scratchpad_bytes']:>11,} {p['cycles']:>10,} {p['cycles'] / fastest:>9.2f}x "
              f"{p['macs']:>12,} {p['segments']:>8} {chunk:>13}")
    return 0


def _load_npy(path):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npy file ({exc})") from None


def _load_inputs(paths, details, seed):
    if not paths:
        from .oracle import random_inputs
        return random_inputs(details, np.random.default_rng(seed))
    if len(paths) != len(details):
        raise InputError(f"the model has {len(details)} input(s), got {len(paths)} --input file(s)")
    arrays = []
    for path, d in zip(paths, details):
        arr = _load_npy(path)
        if arr.dtype != d["dtype"]:
            raise InputError(f"{path}: input '{d['name']}' must be {np.dtype(d['dtype']).name}, got {arr.dtype}")
        if arr.size == int(np.prod(d["shape"])) and arr.shape != tuple(d["shape"]):
            arr = arr.reshape(d["shape"])
        arrays.append(arr)
    return arrays


def cmd_run(args):
    from .interpreter import Interpreter
    blob = _read(args.blob)
    with _maybe_board(args) as board:
        it = Interpreter(model_content=blob, board=board)
        it.allocate_tensors()
        where = "board" if board is not None else "host"
        if args.batch:
            if not args.input:
                raise InputError("--batch runs the inputs stacked in the --input .npy files: give them")
            inputs = [_load_npy(path) for path in args.input]
            start = time.perf_counter()
            outputs = it.invoke_batch(*inputs)
            elapsed = time.perf_counter() - start
            n = len(outputs[0]) if outputs else 0
            print(f"ran {n} inferences on {where} in {elapsed * 1e3:.3f} ms ({elapsed / max(n, 1) * 1e6:.2f} us each)")
            for d, y in zip(it.get_output_details(), outputs):
                top = np.argmax(y.reshape(n, -1), axis=1)
                print(f"output [{d['index']}] {d['name']} {list(y.shape)}: argmax of the first "
                      f"{min(n, 16)}: {np.array2string(top[:16], separator=' ')}{' ...' if n > 16 else ''}")
        else:
            inputs = _load_inputs(args.input, it.get_input_details(), args.seed)
            for d, x in zip(it.get_input_details(), inputs):
                it.set_tensor(d["index"], x)
            start = time.perf_counter()
            it.invoke()
            elapsed = time.perf_counter() - start
            outputs = [it.get_tensor(d["index"]) for d in it.get_output_details()]
            print(f"ran on {where} in {elapsed * 1e3:.3f} ms")
        if board is not None and getattr(board, "last_instructions", None) is not None:
            print(f"board instructions: {board.last_instructions:,}")
        for d, y in zip(it.get_output_details(), [] if args.batch else outputs):
            flat = y.reshape(-1)
            print(f"output [{d['index']}] {d['name']} {list(y.shape)}: argmax {int(np.argmax(flat))}, "
                  f"values {np.array2string(flat[:16], separator=' ')}{' ...' if flat.size > 16 else ''}")
        if args.output:
            if len(args.output) != len(outputs):
                raise InputError(f"the model has {len(outputs)} output(s), got {len(args.output)} --output path(s)")
            for path, y in zip(args.output, outputs):
                try:
                    np.save(path, y)
                except OSError as exc:
                    raise InputError(f"{path}: {exc.strerror}") from None
        if args.profile:
            print(format_profile(it.profile()))
    return 0


def format_profile(profile):
    """skipped: MACs of zero weights; act skip: MACs of zero-point activations."""
    header = (f"{'#':>3}  {'op':<18} {'unit':<4} {'MACs':>11} {'skipped':>9} {'act skip':>9} {'DMA bytes':>10} "
              f"{'cycles':>9}")
    lines = [header, "-" * len(header)]
    for i, row in enumerate(profile["layers"]):
        lines.append(f"{i:>3}  {_op_name({'op': row.get('op', '?'), **row}):<18} {row.get('unit', 'NPU'):<4} "
                     f"{row['macs']:>11,} {row['macs_skipped']:>9,} {row.get('macs_skipped_act', 0):>9,} "
                     f"{row['dma_bytes']:>10,} {row['cycles']:>9,}")
    lines.append("-" * len(header))
    totals = [("total", "", profile["total"])]
    if profile.get("cpu", {}).get("layers"):  # CPU fallbacks apart from the NPU, as Vela reports them
        totals += [(f"NPU ({profile['npu']['layers']} layers)", "NPU", profile["npu"]),
                   (f"CPU ({profile['cpu']['layers']} layers)", "CPU", profile["cpu"])]
    for name, unit, t in totals:
        lines.append(f"{'':>3}  {name:<18} {unit:<4} {t['macs']:>11,} {t['macs_skipped']:>9,} "
                     f"{t.get('macs_skipped_act', 0):>9,} {t['dma_bytes']:>10,} {t['cycles']:>9,}")
    return "\n".join(lines)


def cmd_verify(args):
    from .converter import convert
    from .interpreter import Interpreter
    from .oracle import random_inputs, run_tflm, tflm_interpreter
    tflite = _read(args.model)
    blob = convert(tflite, **_npu_options(args))
    host = Interpreter(model_content=blob)
    oracle = tflm_interpreter(tflite)
    rng = np.random.default_rng(args.seed)
    with _maybe_board(args) as board:
        targets = [("host", host)]
        if board is not None:
            on_board = Interpreter(model_content=blob, board=board)
            on_board.allocate_tensors()
            targets.append(("board", on_board))
        worst = {}
        for _ in range(args.n):
            inputs = random_inputs(host.get_input_details(), rng)
            want = run_tflm(tflite, inputs, oracle)
            for name, it in targets:
                for d, x in zip(it.get_input_details(), inputs):
                    it.set_tensor(d["index"], x)
                it.invoke()
                for k, d in enumerate(it.get_output_details()):
                    got = it.get_tensor(d["index"])
                    # float64 holds int8 and float32 differences exactly (float outputs: 0 means bit-equal)
                    diff = np.max(np.abs(got.astype(np.float64) - want[k].astype(np.float64)), initial=0)
                    diff = int(diff) if got.dtype.kind == "i" else float(diff)
                    worst[(name, k)] = max(worst.get((name, k), 0), diff)
    ok = all(v == 0 for v in worst.values())
    for (name, k), diff in sorted(worst.items()):
        d = host.get_output_details()[k]
        print(f"{name:<5} output [{d['index']}] {d['name']}: max |diff| vs TFLM = {diff} over {args.n} inputs")
    print("bit-exact" if ok else "MISMATCH: outputs differ from TFLM")
    return 0 if ok else 1


class _NoBoard:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _maybe_board(args):
    url, emulate = getattr(args, "board", None), getattr(args, "emulate", False)
    if not url and not emulate:
        return _NoBoard()
    from .board.cli import open_board
    return open_board(url=url, emulate=emulate)


def cmd_check(args):
    from .converter.check import support_report
    from .converter.lower import SUPPORTED_OPS, apply_rewrites, lowering_problems
    from .converter.tflite_reader import read_tflite
    graph = read_tflite(_read(args.model))
    ops = [(op, op.index) for op in graph.operators]  # indices as in the file
    apply_rewrites(graph)  # what the converter sees: constants folded, activations fused
    problems = {id(op): p for op, (_, _, _, p) in zip(graph.operators, support_report(graph, SUPPORTED_OPS))}
    # parameters (quantizations, axes...) of ops whose types pass: as the lowering refuses them
    refused = lowering_problems(graph, skip={op.index for op in graph.operators if problems[id(op)]})
    for op in graph.operators:
        problems[id(op)] += refused.get(op.index, [])
    bad = 0
    for op, index in ops:
        if id(op) not in problems:
            status = "ok (folded or fused away at conversion)"
        else:
            status = "ok" if not problems[id(op)] else "REFUSED: " + "; ".join(problems[id(op)])
            bad += bool(problems[id(op)])
        print(f"{index:>3}  {op.kind:<24} v{op.version:<3} {status}")
    print(f"{len(ops) - bad} of {len(ops)} ops supported")
    return 0 if bad == 0 else 1


# ---- argument parsing -----------------------------------------------------------

def _add_npu_args(p):
    p.add_argument("--scratchpad", type=parse_size, help="NPU scratchpad SRAM size, e.g. 256KiB")
    p.add_argument("--macs-per-cycle", type=int)
    p.add_argument("--flash-bytes-per-cycle", type=float)
    p.add_argument("--clock-mhz", type=float)
    p.add_argument("--weight-buffer", type=parse_size,
                   help="NPU weight buffer that compressed weights are decoded into, e.g. 16KiB (0: none)")


def _add_board_args(p):
    g = p.add_mutually_exclusive_group()
    g.add_argument("--board", metavar="URL", help="pyserial URL or device of a board (socket://host:port, /dev/ttyACM0)")
    g.add_argument("--emulate", action="store_true", help="launch an emulated board (QEMU) for this run")


def cmd_bench(args):
    from . import bench
    if args.portable:
        from . import _native
        _native.set_isa(0)
    models = args.models or bench.default_models()
    if not models:
        raise InputError("no models given and none found in ../shared/models (set EDLA_MODELS)")
    for m in models:
        _read(m)  # a clear error for a missing file before any timing
    bench.run(models, batch=args.batch, peers=not args.no_peers, weight_format=args.weight_format)
    if args.firmware:
        from . import bench_firmware
        print()
        bench_firmware.run(models, weight_format=args.weight_format)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="edge-dla", description="edge_dla: int8 TFLite models on a microcontroller NPU")
    parser.add_argument("--version", action="version", version=f"edge_dla {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="convert a .tflite int8 model into a blob")
    p.add_argument("model")
    p.add_argument("-o", "--output", help="blob path (default: MODEL.edla)")
    p.add_argument("--optimise", choices=["balanced", "performance", "size"], default="balanced",
                   help="balanced: smallest scratchpad without recomputation (default); "
                        "performance: fewest cycles that fit; size: smallest scratchpad")
    p.add_argument("--sparsity-block", type=int, default=1, metavar="N",
                   help="the MAC array skips zero weights in blocks of N (default 1: every zero weight)")
    p.add_argument("--weight-format", choices=["auto", "dense", "sparse"], default="auto",
                   help="auto: sparse where it is faster, packed where it is smaller (default)")
    p.add_argument("--activation-sparsity", action=argparse.BooleanOptionalAction, default=True,
                   help="the MAC array skips zero-point activations in layers fed by a ReLU "
                        "(default on; --no-activation-sparsity: a NPU without the skip)")
    _add_npu_args(p)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("prune", help="magnitude-prune the weights of an int8 .tflite model")
    p.add_argument("model")
    p.add_argument("--sparsity", type=float, required=True, help="fraction of each layer's weights set to zero")
    p.add_argument("-o", "--output", required=True, help="pruned .tflite path")
    p.add_argument("-n", type=int, default=8, help="random inputs for the drift report (default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_prune)

    p = sub.add_parser("inspect", help="show what a blob holds and whether it fits")
    p.add_argument("blob", help="a .edla blob (or a .tflite, converted with defaults)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", metavar="PNG", help="also draw the scratchpad timeline into a PNG")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("sweep", help="print the scratchpad-size vs cycles trade-off of a model")
    p.add_argument("model")
    p.add_argument("--points", type=int, default=8)
    _add_npu_args(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("run", help="run a blob on the host core or a board")
    p.add_argument("blob")
    p.add_argument("--input", action="append", help=".npy int8 input (repeat per input; default: seeded random)")
    p.add_argument("--output", action="append", help=".npy path for each output")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", action="store_true", help="print per-layer MACs, DMA bytes and cycles")
    p.add_argument("--batch", action="store_true",
                   help="each --input holds N inputs stacked (np.stack): run all N (one C call on the host); "
                        "--output saves the N outputs stacked; --profile shows the last one's counters")
    _add_board_args(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("verify", help="compare edge_dla with TFLM on random inputs (exit 1 on any difference)")
    p.add_argument("model")
    p.add_argument("-n", type=int, default=20, help="number of random inputs (default 20)")
    p.add_argument("--seed", type=int, default=0)
    _add_npu_args(p)
    _add_board_args(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("check", help="report which ops of a .tflite model edge_dla supports")
    p.add_argument("model")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("bench", help="host latency of edge_dla vs LiteRT (XNNPACK, reference) and TFLM; "
                                      "--firmware: instructions on the emulated M55")
    p.add_argument("models", nargs="*", help=".tflite models (default: the shared models)")
    p.add_argument("--batch", type=int, default=1, metavar="N",
                   help="throughput mode: time batches of N inputs (set, invoke, read) per inference")
    p.add_argument("--no-peers", action="store_true", help="time edge_dla only")
    p.add_argument("--portable", action="store_true", help="edge_dla's portable C kernels only")
    p.add_argument("--weight-format", choices=["auto", "dense", "sparse"], default="auto",
                   help="the converter's weight format (default auto)")
    p.add_argument("--firmware", action="store_true",
                   help="also firmware instructions per inference and per MAC on the emulated "
                        "Cortex-M55, scalar vs MVE (builds the firmware, runs QEMU)")
    p.set_defaults(func=cmd_bench)

    try:
        from .board.cli import add_board_commands
    except ImportError:
        pass
    else:
        add_board_commands(sub)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except EdgeDlaError as exc:
        print(f"edge-dla: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("edge-dla: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`edge-dla inspect m.edla | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
