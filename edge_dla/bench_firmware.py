"""Firmware instructions per inference and per MAC on the emulated Cortex-M55, scalar vs MVE.

Used by `edge-dla bench --firmware`. Builds the firmware twice from this
checkout (make -C firmware MVE=0 and MVE=1; make redoes only what changed),
boots each build in QEMU under -icount shift=0 (edge_dla.board), loads every
model and runs INVOKE on a fixed random input. The firmware times INVOKE
itself with SysTick, which then counts guest instructions
(firmware/README.md, Timing): the count depends only on the build, the blob
and the input, and the run checks that by invoking twice.

Per MAC means per MAC of the model as if dense (executed + skipped MACs), so
sparse and dense blobs of a model divide by the same number.
"""
import os
import subprocess
from pathlib import Path

import numpy as np

from .errors import BoardError

FIRMWARE_DIR = Path(__file__).resolve().parents[1] / "firmware"
# (label, make variables): the MVE build is the default one the board tests use.
BUILDS = (("scalar", {"MVE": "0", "BUILD": "build/scalar"}), ("MVE", {"MVE": "1", "BUILD": "build"}))


def build_firmware(variables):
    """make -C firmware with variables; returns the ELF's path."""
    if not (FIRMWARE_DIR / "Makefile").is_file():
        raise BoardError(f"firmware sources not found at {FIRMWARE_DIR}: --firmware needs a checkout")
    cmd = ["make", "-C", str(FIRMWARE_DIR), "-j", str(min(os.cpu_count() or 1, 4))]
    cmd += [f"{k}={v}" for k, v in variables.items()]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise BoardError(f"cannot run make to build the firmware: {e}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BoardError(f"firmware build failed ({' '.join(cmd)}): " + " | ".join(tail))
    return FIRMWARE_DIR / variables["BUILD"] / "edla_fw.elf"


def measure(board, blob, inputs):
    """(instructions of one INVOKE, MACs executed, MACs if dense) of blob on board."""
    board.load(blob, progress=False)
    counts = []
    for _ in range(2):
        board.invoke(inputs)
        counts.append(board.last_instructions)
    if counts[0] != counts[1]:
        raise BoardError(f"instruction count not deterministic: {counts[0]:,} then {counts[1]:,} "
                         "(is QEMU running with -icount shift=0?)")
    executed = sum(c["macs"] for c in board.last_counters)
    skipped = sum(c["macs_skipped"] + c["macs_skipped_act"] for c in board.last_counters)
    return counts[0], executed, executed + skipped  # the dense count: zero weights and activations too


def run(paths, weight_format="auto", out=print, builds=BUILDS):
    """Per model {build label: instructions, 'macs', 'executed'}; prints the table."""
    import edge_dla
    from .board import Board
    from .oracle import random_inputs
    models = []
    for path in paths:
        with open(path, "rb") as f:
            blob = edge_dla.convert(f.read(), weight_format=weight_format)
        details = edge_dla.Interpreter(model_content=blob).get_input_details()
        models.append((os.path.basename(path).replace(".tflite", ""), blob,
                       random_inputs(details, np.random.default_rng(0))))
    rows = {name: {} for name, _, _ in models}
    for label, variables in builds:
        elf = build_firmware(variables)
        with Board.launch(elf, timeout=10.0) as board:
            for name, blob, inputs in models:
                instructions, executed, macs = measure(board, blob, inputs)
                rows[name].update({label: instructions, "executed": executed, "macs": macs})
    results = [(name, rows[name]) for name, _, _ in models]
    out(format_table(results, [label for label, _ in builds], weight_format))
    return results


def format_table(results, labels, weight_format="auto"):
    lines = [f"Firmware on the emulated Cortex-M55 (QEMU mps3-an547, -icount shift=0), {weight_format} "
             "blobs: instructions per inference (one INVOKE, fixed random input) and per MAC"]
    lines.append(f"{'model':<24}{'MACs':>12}{'executed':>12}" +
                 "".join(f"{lab + ' instr':>16}{'/MAC':>8}" for lab in labels) +
                 (f"{labels[0] + '/' + labels[-1]:>14}" if len(labels) > 1 else ""))
    for name, row in results:
        line = f"{name:<24}{row['macs']:>12,}{row['executed']:>12,}"
        for lab in labels:
            line += f"{row[lab]:>16,}{row[lab] / max(row['macs'], 1):>8.3f}"
        if len(labels) > 1:
            line += f"{row[labels[0]] / row[labels[-1]]:>13.1f}x"
        lines.append(line)
    return "\n".join(lines)
