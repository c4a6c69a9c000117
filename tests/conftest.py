"""Shared fixtures. Models are read from ../shared/models (never copied into the repo)."""
import os
from pathlib import Path

import pytest

MODELS = Path(os.environ.get("EDLA_MODELS", Path(__file__).resolve().parents[1].parent / "shared" / "models"))
RUNNABLE = ["hello_world_int8", "micro_speech_quantized", "kws_ref_model", "vww_96_int8",
            "pretrainedResnet_quant", "ad01_int8", "person_detect"]


@pytest.fixture(scope="session")
def models_dir():
    assert MODELS.is_dir(), f"shared models not found at {MODELS} (set EDLA_MODELS)"
    return MODELS


def model_bytes(name):
    return (MODELS / f"{name}.tflite").read_bytes()


def run_blob(blob, inputs):
    """(outputs, profile) of one host invoke of blob on inputs (in input order)."""
    import numpy as np

    import edge_dla
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    return [np.array(it.get_tensor(d["index"])) for d in it.get_output_details()], it.profile()


@pytest.fixture(scope="module")
def board():
    """One emulated board (QEMU) per test module; fails, never skips, without QEMU or firmware."""
    from edge_dla.board import Board
    from edge_dla.errors import BoardError
    try:
        b = Board.launch(timeout=5.0)
    except BoardError as e:
        pytest.fail(f"emulated board unavailable ({e}); tools/setup.sh installs QEMU and "
                    "builds the firmware")
    with b:
        yield b


def assert_cycles_vs_estimate(profile, info):
    """The converter's cycle estimate assumes no zero activations: with activation
    sparsity off it is exactly what the core measures; on, the layers flagged to skip
    zero-point activations measure at most their estimate, every other layer but a
    weight transfer measures exactly it, and the total is an upper bound (a transfer
    hidden behind a flagged layer may show what that layer no longer hides)."""
    estimate = info["plan"]["cycles_estimate"]
    if not info["npu"].get("activation_sparsity"):
        assert profile["total"]["cycles"] == estimate
        assert profile["total"]["macs_skipped_act"] == 0
        return
    assert profile["total"]["cycles"] <= estimate
    for row, layer in zip(profile["layers"], info["layers"]):
        if layer.get("act_sparse"):
            assert row["cycles"] <= layer["cycles"]
        else:
            assert row["macs_skipped_act"] == 0
            if layer["op"] not in ("DMA", "DMA_DECODE"):
                assert row["cycles"] == layer["cycles"]
