"""Per-layer firmware instruction counts, from a PROFILE=1 build.

    make -C firmware PROFILE=1 BUILD=build/profile        (MVE=0 for the scalar kernels)
    .venv/bin/python firmware/tests/profile.py [--format dense|sparse|auto] MODEL ...

Boots build/profile/edla_fw.elf (EDLA_FW_ELF picks another), runs one INVOKE
of each model (the shared model NAME or a .tflite path) on a fixed random
input and prints, per layer, the op, its MACs and its instructions (from
src/profile.c's lines in the QEMU log), heaviest first.
"""
import argparse
import os
import sys
from pathlib import Path

import numpy as np

FW = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(FW.parent))

import edge_dla  # noqa: E402
from edge_dla.board import Board  # noqa: E402
from edge_dla.oracle import random_inputs  # noqa: E402

SHARED = Path(os.environ.get("EDLA_MODELS", FW.parent.parent / "shared" / "models"))


def profile_lines(log, n_ops):
    """The last INVOKE's (per-op instructions, gaps) from the QEMU log text."""
    rows = [line.split() for line in log.splitlines() if line.startswith("edla-profile ")]
    last = rows[-(n_ops + 1):]
    assert len(last) == n_ops + 1 and last[-1][1] == "gaps", "no profile in the QEMU log: PROFILE=1 build?"
    return [int(r[3]) for r in last[:-1]], int(last[-1][2])


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--format", default="auto", choices=["auto", "dense", "sparse"])
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    elf = os.environ.get("EDLA_FW_ELF", FW / "build" / "profile" / "edla_fw.elf")
    with Board.launch(elf, timeout=30.0) as board:
        for name in args.models:
            path = Path(name) if name.endswith(".tflite") else SHARED / f"{name}.tflite"
            blob = edge_dla.convert(path.read_bytes(), weight_format=args.format)
            layers = edge_dla.inspect(blob)["layers"]
            board.load(blob, progress=False)
            it = edge_dla.Interpreter(model_content=blob)
            x = random_inputs(it.get_input_details(), np.random.default_rng(0))
            board.invoke(x)
            per_op, gaps = profile_lines(board.qemu.log(), len(layers))
            total = board.last_instructions
            macs = sum(c["macs"] for c in board.last_counters)
            print(f"{path.stem}: {total:,} instructions, {macs:,} MACs executed, "
                  f"{total / max(macs, 1):.3f} per MAC; outside the kernels {gaps:,}")
            order = sorted(range(len(layers)), key=lambda i: -per_op[i])[:args.top]
            for i in order:
                layer, c = layers[i], board.last_counters[i]
                shape = "x".join(map(str, layer["output"]))
                extra = layer.get("weights", {}).get("format", "")
                kernel = "x".join(map(str, layer.get("kernel", []))) or "-"
                print(f"  {i:>3} {layer['op']:<28} k{kernel:<5} out {shape:<14} {extra:<13}"
                      f"{c['macs']:>10,} MACs {per_op[i]:>11,} instr "
                      f"{per_op[i] / c['macs'] if c['macs'] else 0:>7.3f}/MAC")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
