"""Scratchpad and cycles of edge_dla beside Vela and TFLM, in one run.

    .venv/bin/python tools/bench_memory.py

Per shared model: the default plan's peak against Vela's SRAM and TFLM's
arena (figures from ../shared/ANCHORS.md), then the tiled plan at the target
(half of Vela's default SRAM, and no more than Vela's --optimise Size figure)
with its cycle cost, checked bit-exact on the golden cases.
"""
import os

import numpy as np

import edge_dla

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "shared", "models")
# ../shared/ANCHORS.md: Vela 5.2.0 ethos-u55-128 SRAM (default, --optimise Size), TFLM planned activations.
ANCHORS = {
    "hello_world_int8": (None, None, 32),
    "micro_speech_quantized": (5968, 5968, 5968),
    "kws_ref_model": (22192, 16000, 16000),
    "vww_96_int8": (74480, 49152, 73728),
    "pretrainedResnet_quant": (51840, 35840, 49152),
    "ad01_int8": (768, 768, 768),
    "person_detect": (74480, 30720, 55296),
}
TILED = ("kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "person_detect")


def run_golden(blob, name):
    golden = np.load(os.path.join(MODELS, "golden", f"{name}.npz"))
    it = edge_dla.Interpreter(model_content=blob)
    d, o = it.get_input_details()[0], it.get_output_details()[0]
    exact = True
    for k in range(6):
        it.set_tensor(d["index"], golden[f"input_{k}"].reshape(d["shape"]))
        it.invoke()
        exact &= np.array_equal(it.get_tensor(o["index"]).reshape(-1), golden[f"output_{k}"].reshape(-1))
    return exact, it.profile()["total"]


def main():
    print(f"{'model':<24}{'default':>9}{'Vela':>8}{'TFLM':>8} | {'target':>7}{'tiled':>8}"
          f"{'cycles dense':>14}{'cycles tiled':>14}{'MACs x':>8}  bit-exact")
    for name, (vela, vela_size, tflm) in ANCHORS.items():
        tflite = open(os.path.join(MODELS, f"{name}.tflite"), "rb").read()
        blob = edge_dla.convert(tflite)
        exact, dense = run_golden(blob, name)
        peak = edge_dla.inspect(blob)["scratchpad_bytes"]
        line = f"{name:<24}{peak:>9,}{(f'{vela:,}' if vela else '-'):>8}{tflm:>8,} | "
        if name in TILED:
            target = min(vela // 2, vela_size)
            tiled_blob = edge_dla.convert(tflite, scratchpad_bytes=target)
            tiled_exact, tiled = run_golden(tiled_blob, name)
            line += (f"{target:>7,}{edge_dla.inspect(tiled_blob)['scratchpad_bytes']:>8,}{dense['cycles']:>14,}"
                     f"{tiled['cycles']:>14,}{tiled['macs'] / dense['macs']:>8.2f}  {exact and tiled_exact}")
        else:
            line += f"{'':>7}{'':>8}{dense['cycles']:>14,}{'':>14}{'':>8}  {exact}"
        print(line)


if __name__ == "__main__":
    main()
