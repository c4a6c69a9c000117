"""Host latency of edge_dla beside its peers, measured in one process run.

    .venv/bin/python tools/bench.py [MODEL.tflite ...] [--batch N]   (default: the shared models)

A thin wrapper of `edge-dla bench` (edge_dla/bench.py): per model, median
latency of edge_dla's invoke, LiteRT with XNNPACK (1 thread), LiteRT's
reference kernels and TFLM, and the ratios.
"""
import sys

from edge_dla.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
