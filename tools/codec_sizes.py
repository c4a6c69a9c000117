#!/usr/bin/env python3
"""Weight-coder figures per model: every weighted layer coded whole as the
packed-dense stream (bias, multiplier and shift tables, then the [Co][taps][inner]
weights), as the converter feeds the coder; raw and coded bytes, and the host
decode throughput (DMA_DECODE of those streams, decoded bytes per second).

    tools/codec_sizes.py [MODEL.tflite ...]     (default: the shared dense models and vww)
"""
import os
import sys
import time

import numpy as np

from edge_dla.converter import lower, weights
from edge_dla.converter.driver import check_health
from edge_dla.converter.tflite_reader import read_tflite

MODELS = os.environ.get("EDLA_MODELS", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "models"))


def layer_streams(path):
    graph = read_tflite(open(path, "rb").read())
    check_health(graph)
    lower.apply_rewrites(graph)
    layers, _, _ = lower.lower(graph)
    for layer in layers:
        if layer.kind in weights.SPARSE_KINDS:
            sw, _ = weights._layer_weights(layer, 1)
            if sw is not None:
                if not hasattr(sw, "geometry"):
                    sw.geometry = lambda: None
                yield sw


DEFAULT = ["micro_speech_quantized", "kws_ref_model", "pretrainedResnet_quant", "ad01_int8", "person_detect",
           "vww_96_int8"]


def encode(tables, w, geometry):
    try:
        return weights.encode(tables, w, geometry)
    except TypeError:  # a tree from before the geometry (format 1): compare the old coder
        return weights.encode(tables, w)


def main(paths):
    print(f"{'model':34s} {'weights':>8s} {'tables':>7s} {'raw':>8s} {'coded':>8s} {'coded w only':>12s}"
          f" {'decode MB/s':>11s}")
    for path in paths:
        raw = coded = coded_w = n_w = n_t = 0
        seconds = 0.0
        for sw in layer_streams(path):
            tables = np.stack([t for t in (sw.bias, sw.mult, sw.shift) if t is not None])
            stream = encode(tables, sw.w.reshape(-1), sw.geometry())
            coded += len(stream)
            if hasattr(weights, "decode"):
                t0 = time.perf_counter()
                for _ in range(5):
                    weights.decode(stream, tables.shape[0], tables.shape[1], sw.w.size)
                seconds += (time.perf_counter() - t0) / 5
            coded_w += len(encode(np.zeros((0, 0), np.int32), sw.w.reshape(-1), sw.geometry()))
            n_w += sw.w.size
            n_t += 4 * tables.size
        rate = f"{(n_w + n_t) / seconds / 1e6:11.1f}" if seconds else f"{'-':>11s}"
        print(f"{os.path.basename(path):34s} {n_w:8d} {n_t:7d} {n_w + n_t:8d} {coded:8d} {coded_w:12d} {rate}")


if __name__ == "__main__":
    main(sys.argv[1:] or [os.path.join(MODELS, m + ".tflite") for m in DEFAULT])
