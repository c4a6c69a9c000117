"""Host latency of edge_dla beside its peers, measured in one process run.

    .venv/bin/python tools/bench.py [MODEL.tflite ...]   (default: the shared models)

Per model: median latency of edge_dla's invoke, LiteRT with XNNPACK (1 thread),
LiteRT's reference kernels and TFLM, and the ratios. Machines are noisy:
compare the ratios of one run, not absolute times across runs.
"""
import argparse
import glob
import os
import platform
import statistics
import time

import numpy as np

import edge_dla
from edge_dla.oracle import litert_interpreter, random_inputs, tflm_interpreter

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODELS = os.path.join(HERE, "..", "..", "shared", "models")


def median_seconds(fn, min_time=0.3, min_runs=10):
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_model(path):
    tflite = open(path, "rb").read()
    blob = edge_dla.convert(tflite)
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    inputs = random_inputs(it.get_input_details(), np.random.default_rng(0))
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    row = {"edge_dla": median_seconds(it.invoke)}
    tflm = tflm_interpreter(tflite)
    for i, x in enumerate(inputs):
        tflm.set_input(x, i)
    row["TFLM"] = median_seconds(tflm.invoke)
    for label, xnnpack in (("LiteRT XNNPACK", True), ("LiteRT ref", False)):
        lite = litert_interpreter(tflite, xnnpack=xnnpack)
        if lite is None:
            row[label] = None
            continue
        for d, x in zip(lite.get_input_details(), inputs):
            lite.set_tensor(d["index"], x)
        row[label] = median_seconds(lite.invoke)
    row["scratchpad"] = edge_dla.inspect(blob)["scratchpad_bytes"]
    return row


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*")
    args = parser.parse_args()
    paths = args.models or sorted(p for p in glob.glob(os.path.join(DEFAULT_MODELS, "*.tflite"))
                                  if "audio_preprocessor" not in p)
    print(f"CPU: {cpu_name()}; one thread; median of >= 10 invokes after warm-up")
    cols = ["edge_dla", "LiteRT XNNPACK", "LiteRT ref", "TFLM"]
    print(f"{'model':<24}" + "".join(f"{c + ' ms':>19}" for c in cols) + f"{'vs XNNPACK':>12}{'vs TFLM':>10}")
    for path in paths:
        row = bench_model(path)
        fmt = lambda v: f"{v * 1e3:>19.3f}" if v is not None else f"{'refuses':>19}"
        ratio = lambda peer: (f"{row['edge_dla'] / row[peer]:>{12 if peer != 'TFLM' else 10}.2f}x"
                              if row.get(peer) else f"{'-':>{12 if peer != 'TFLM' else 10}} ")
        name = os.path.basename(path).replace(".tflite", "")
        print(f"{name:<24}" + "".join(fmt(row[c]) for c in cols) + ratio("LiteRT XNNPACK") + ratio("TFLM"))


if __name__ == "__main__":
    main()
