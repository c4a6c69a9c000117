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
