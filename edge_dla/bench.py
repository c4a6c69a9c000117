"""Host latency of edge_dla beside its peers, measured in one process run.

Per model: median latency of edge_dla's invoke, LiteRT with XNNPACK (1 thread),
LiteRT's reference kernels and TFLM, and the ratios. Machines are noisy:
compare the ratios of one run, not absolute times across runs.

With batch > 1 (throughput mode) each runtime runs a batch of distinct
inputs back to back, each with set_tensor, invoke and reading the output, and
the table shows the time per inference of the whole batch (median of repeats).

Used by `edge-dla bench` and tools/bench.py.
"""
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

PEERS = ["edge_dla", "LiteRT XNNPACK", "LiteRT ref", "TFLM"]
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
    details, outs = it.get_input_details(), it.get_output_details()
    rng = np.random.default_rng(0)
    inputs = [random_inputs(details, rng) for _ in range(max(batch, 1))]
    per = len(inputs)
    row = {"macs": edge_dla.inspect(blob)["macs"], "isa": _native.isa(), "batch": per}
    fn = _runner(lambda i, x: it.set_tensor(details[i]["index"], x), it.invoke,
                 lambda: it.get_tensor(outs[0]["index"]), inputs)
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
        ld = lite.get_input_details()
        out_index = lite.get_output_details()[0]["index"]
        fn = _runner(lambda i, x: lite.set_tensor(ld[i]["index"], x), lite.invoke,
                     lambda: lite.get_tensor(out_index), inputs)
        row[label] = median_seconds(fn, min_time) / per
    return row


def _ratio(row, peer, width):
    if row.get(peer):
        return f"{row['edge_dla'] / row[peer]:>{width - 1}.2f}x"
    return f"{'-':>{width}}"


def format_table(results, batch=1):
    """results: [(name, row)] -> the printed table (text)."""
    mode = "median of >= 10 invokes after warm-up" if batch <= 1 else \
        f"throughput: batches of {batch} inputs (set, invoke, read), median per inference"
    isa = results[0][1].get("isa", "?") if results else "?"
    lines = [f"CPU: {cpu_name()}; one thread; edge_dla kernels: {isa}; {mode}"]
    lines.append(f"{'model':<24}{'MACs':>12}" + "".join(f"{c + ' ms':>19}" for c in PEERS) +
                 f"{'vs XNNPACK':>12}{'vs TFLM':>10}")
    ratios = {"LiteRT XNNPACK": [], "TFLM": []}
    for name, row in results:
        cells = "".join(f"{row[c] * 1e3:>19.4f}" if row.get(c) is not None else f"{'-':>19}" for c in PEERS)
        lines.append(f"{name:<24}{row['macs']:>12,}" + cells + _ratio(row, "LiteRT XNNPACK", 12) +
                     _ratio(row, "TFLM", 10))
        for peer in ratios:
            if row.get(peer) and row["macs"] > 0:
                ratios[peer].append(row["edge_dla"] / row[peer])
    geo = {p: float(np.exp(np.mean(np.log(r)))) for p, r in ratios.items() if r}
    if geo:
        lines.append("geometric mean of ratios (models with MACs): " +
                     ", ".join(f"vs {p} {v:.2f}x" for p, v in geo.items()))
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
