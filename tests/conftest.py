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
