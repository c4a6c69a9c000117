"""Host latency of edge_dla beside its peers, measured in one process run.

Per model: median latency of edge_dla's invoke, LiteRT with XNNPACK (1 thread),
LiteRT's reference kernels and TFLM, and the ratios. Machines are noisy:
compare the ratios of one run, not absolute times across runs.

With batch > 1 (throughput mode) each runtime runs a batch of distinct
inputs its fastest way, and the table shows the time per inference of the
whole batch (median of repeats): edge_dla in one call (Interpreter.invoke_batch),
LiteRT on its input resized to the batch where the model allows it (else one
set_tensor/invoke/get_tensor per input, marked "*"), TFLM (fixed shapes) one
input at a time.

Used by `edge-dla bench` and tools/bench.py.
"""
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

PEERS = ["edge_dla", "LiteRT XNNPACK", "LiteRT ref", "TFLM"]
MLPERF_TINY = ("kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8")  # issue 7's geomean
# The models of ../shared/models that edge_dla runs (the audio preprocessor needs custom ops).
DEFAULT_NAMES = ["hello_world_int8", "micro_speech_quantized", "kws_ref_model", "vww_96_int8",
                 "pretrainedResnet_quant", "ad01_int8", "person_detect"]


def default_models():
    root = Path(os.environ.get("EDLA_MODELS", Path(__file__).resolve().parents[2] / "shared" / "models"))
    return [str(root / f"{n}.tflite") for n in DEFAULT_NAMES if (root / f"{n}.tflite").is_file()]


def median_seconds(fn, min_time=0.3, min_runs=10):
    """Median wall time of fn() after one warm-up call, over >= min_runs and >= min_time."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _runner(set_input, invoke, get_output, batch):
    """A callable running every input set of the batch once (set, invoke, read)."""
    if len(batch) == 1:
        for i, x in enumerate(batch[0]):
            set_input(i, x)
        return invoke

    def run():
        for inputs in batch:
            for i, x in enumerate(inputs):
                set_input(i, x)
            invoke()
            get_output()
    return run


def _stacked(batch):
    """Per input, the batch's values stacked along a new (or the unit batch) axis."""
    return [np.concatenate([inputs[i] if inputs[i].shape[:1] == (1,) else inputs[i][None] for inputs in batch])
            for i in range(len(batch[0]))]


def _litert_batched(lite, batch):
    """LiteRT running the whole batch in one invoke, its inputs resized from batch 1
    to N, or None where the model's shapes do not allow it."""
    details = lite.get_input_details()
    if any(tuple(d["shape"][:1]) != (1,) for d in details):
        return None
    stacked = _stacked(batch)
    try:
        for d, x in zip(details, stacked):
            lite.resize_tensor_input(d["index"], list(x.shape))
        lite.allocate_tensors()
        out = lite.get_output_details()[0]
        if out["shape"][0] != len(batch):
            return None
    except Exception:  # noqa: BLE001 - a fixed-shape op refuses the resize
        return None

    def run():
        for d, x in zip(details, stacked):
            lite.set_tensor(d["index"], x)
        lite.invoke()
        lite.get_tensor(out["index"])
    return run


def bench_model(path, batch=1, peers=True, min_time=0.3, weight_format="auto"):
    """{runtime: seconds per inference or None (refused / not installed), 'macs', 'isa'}."""
    import edge_dla
    from edge_dla import _native
    from edge_dla.oracle import litert_interpreter, random_inputs, tflm_interpreter
    with open(path, "rb") as f:
        tflite = f.read()
    blob = edge_dla.convert(tflite, weight_format=weight_format)
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    details = it.get_input_details()
    rng = np.random.default_rng(0)
    inputs = [random_inputs(details, rng) for _ in range(max(batch, 1))]
    per = len(inputs)
    row = {"macs": edge_dla.inspect(blob)["macs"], "isa": _native.isa(), "batch": per}
    if per > 1:
        stacked = _stacked(inputs)
        fn = lambda: it.invoke_batch(*stacked)  # noqa: E731
    else:
        fn = _runner(lambda i, x: it.set_tensor(details[i]["index"], x), it.invoke, None, inputs)
    row["edge_dla"] = median_seconds(fn, min_time) / per
    if not peers:
        return row
    try:
        tflm = tflm_interpreter(tflite)
    except Exception:  # not installed or refuses the model
        tflm = None
    if tflm is not None:
        fn = _runner(lambda i, x: tflm.set_input(x, i), tflm.invoke, lambda: tflm.get_output(0), inputs)
        row["TFLM"] = median_seconds(fn, min_time) / per
    else:
        row["TFLM"] = None
    for label, xnnpack in (("LiteRT XNNPACK", True), ("LiteRT ref", False)):
        lite = litert_interpreter(tflite, xnnpack=xnnpack)
        if lite is None:
            row[label] = None
            continue
        fn = _litert_batched(lite, inputs) if per > 1 else None
        if fn is None and per > 1:
            row.setdefault("looped", []).append(label)
            lite = litert_interpreter(tflite, xnnpack=xnnpack)  # a refused resize may leave it unusable
        if fn is None:
            ld = lite.get_input_details()
            out_index = lite.get_output_details()[0]["index"]
            fn = _runner(lambda i, x: lite.set_tensor(ld[i]["index"], x), lite.invoke,
                         lambda: lite.get_tensor(out_index), inputs)
        row[label] = median_seconds(fn, min_time) / per
    return row


def _ratio(row, peer, width, inverse=False):
    if row.get(peer):
        ratio = row[peer] / row["edge_dla"] if inverse else row["edge_dla"] / row[peer]
        return f"{ratio:>{width - 1}.{1 if inverse else 2}f}x"
    return f"{'-':>{width}}"


def format_table(results, batch=1):
    """results: [(name, row)] -> the printed table (text): per model the latencies,
    edge_dla / XNNPACK (below 1: edge_dla is faster) and TFLM / edge_dla (edge_dla's
    speed-up over TFLM)."""
    mode = "median of >= 10 invokes after warm-up" if batch <= 1 else \
        f"throughput: batches of {batch} inputs, each runtime its fastest way, median per inference"
    isa = results[0][1].get("isa", "?") if results else "?"
    lines = [f"CPU: {cpu_name()}; one thread; edge_dla kernels: {isa}; {mode}"]
    lines.append(f"{'model':<24}{'MACs':>12}" + "".join(f"{c + ' ms':>19}" for c in PEERS) +
                 f"{'vs XNNPACK':>12}{'TFLM/ours':>11}")
    ratios = {"LiteRT XNNPACK": [], "TFLM": []}
    looped = False
    for name, row in results:
        cells = ""
        for c in PEERS:
            mark = "*" if c in row.get("looped", ()) else ""
            looped |= bool(mark)
            cells += f"{row[c] * 1e3:>18.4f}{mark or ' '}" if row.get(c) is not None else f"{'-':>18} "
        lines.append(f"{name:<24}{row['macs']:>12,}" + cells + _ratio(row, "LiteRT XNNPACK", 12) +
                     _ratio(row, "TFLM", 11, inverse=True))
        for peer in ratios:
            if row.get(peer) and row["macs"] > 0:
                ratios[peer].append(row["edge_dla"] / row[peer])
    geo = {p: float(np.exp(np.mean(np.log(r)))) for p, r in ratios.items() if r}
    if geo:
        parts = [f"edge_dla / XNNPACK {geo['LiteRT XNNPACK']:.2f}x"] if "LiteRT XNNPACK" in geo else []
        parts += [f"TFLM / edge_dla {1 / geo['TFLM']:.1f}x"] if "TFLM" in geo else []
        lines.append("geometric mean (models with MACs): " + ", ".join(parts))
    tiny = [row["edge_dla"] / row["LiteRT XNNPACK"] for name, row in results
            if name in MLPERF_TINY and row.get("LiteRT XNNPACK")]
    if len(tiny) == len(MLPERF_TINY):
        lines.append(f"MLPerf Tiny ({', '.join(MLPERF_TINY)}): edge_dla / XNNPACK geometric mean "
                     f"{float(np.exp(np.mean(np.log(tiny)))):.2f}x, worst {max(tiny):.2f}x")
    if looped:
        lines.append("* one input per invoke: the model does not take a resized batch")
    return "\n".join(lines)


def run(paths=None, batch=1, peers=True, min_time=0.3, out=print, weight_format="auto"):
    """Benchmarks each .tflite (default: the shared models) and prints the table."""
    paths = paths or default_models()
    results = []
    for path in paths:
        name = os.path.basename(path).replace(".tflite", "")
        results.append((name, bench_model(path, batch=batch, peers=peers, min_time=min_time,
                                          weight_format=weight_format)))
    out(format_table(results, batch))
    return results
