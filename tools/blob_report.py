#!/usr/bin/env python3
"""Blob size and memory per model against issue 6's target (<= 0.9x Vela's flash and
<= the .tflite): blob bytes and what they hold (constants, tensor and op records,
metadata), scratchpad and NPU weight-buffer peaks, modelled cycles. Default
conversion, and beside it the same NPU without a weight buffer.

    tools/blob_report.py [MODEL.tflite ...]     (default: the shared dense models and vww)
"""
import os
import sys

import edge_dla
from edge_dla import blob as fmt

MODELS = os.environ.get("EDLA_MODELS", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "models"))
VELA_FLASH = {"micro_speech_quantized": 20272, "kws_ref_model": 31104, "pretrainedResnet_quant": 79248,
              "ad01_int8": 201184, "person_detect": 233744, "vww_96_int8": 76000}  # ../shared/ANCHORS.md


def figures(blob):
    header = fmt.read_header(blob)
    sections = fmt.read_sections(blob, header)
    size = {kind: sections.get(kind, (0, 0, 0))[1] for kind in (fmt.SEC_CONST, fmt.SEC_TENSORS, fmt.SEC_OPS,
                                                                 fmt.SEC_META)}
    return {"bytes": len(blob), "const": size[fmt.SEC_CONST], "tensors": size[fmt.SEC_TENSORS],
            "ops": size[fmt.SEC_OPS], "meta": size[fmt.SEC_META], "scratch": header.scratchpad_required,
            "wbuf": header.weight_buffer_required,
            "cycles": edge_dla.inspect(blob)["plan"]["cycles_estimate"]}


def main(paths):
    print(f"{'model':<24}{'blob':>9}{'target':>9}{'.tflite':>9} {'const':>8}{'tensors':>8}{'ops':>7}{'meta':>6}"
          f"{'scratch':>9}{'wbuf':>7}{'cycles':>9}  | no weight buffer: blob, scratch, cycles")
    for path in paths:
        name = os.path.basename(path)[:-len(".tflite")]
        data = open(path, "rb").read()
        f = figures(edge_dla.convert(data))
        g = figures(edge_dla.convert(data, weight_buffer_bytes=0))
        target = min(int(0.9 * VELA_FLASH[name]), len(data)) if name in VELA_FLASH else len(data)
        if name == "vww_96_int8":
            target = VELA_FLASH[name]  # vww's own target: <= Vela's flash
        mark = "ok" if f["bytes"] <= target else "  "
        print(f"{name:<24}{f['bytes']:>9,}{target:>9,}{len(data):>9,} {f['const']:>8,}{f['tensors']:>8,}"
              f"{f['ops']:>7,}{f['meta']:>6,}{f['scratch']:>9,}{f['wbuf']:>7,}{f['cycles']:>9,} {mark}"
              f"| {g['bytes']:,}, {g['scratch']:,}, {g['cycles']:,}")


if __name__ == "__main__":
    names = ["micro_speech_quantized", "kws_ref_model", "pretrainedResnet_quant", "ad01_int8", "person_detect",
             "vww_96_int8"]
    main(sys.argv[1:] or [os.path.join(MODELS, n + ".tflite") for n in names])
