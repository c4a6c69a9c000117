"""Every shared model, every golden case: edge_dla's host core == TFLM, bit for bit."""
import numpy as np
import pytest

import edge_dla
from conftest import MODELS, RUNNABLE, model_bytes


@pytest.mark.parametrize("name", RUNNABLE)
def test_golden(name, models_dir):
    golden = np.load(MODELS / "golden" / f"{name}.npz")
    it = edge_dla.Interpreter(model_content=edge_dla.convert(model_bytes(name)))
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    cases = sorted(int(k.split("_")[1]) for k in golden if k.startswith("input_"))
    assert len(cases) == 6
    for k in cases:
        it.set_tensor(inp["index"], golden[f"input_{k}"].reshape(inp["shape"]))
        it.invoke()
        got = it.get_tensor(out["index"])
        np.testing.assert_array_equal(got, golden[f"output_{k}"].reshape(got.shape), err_msg=f"{name} case {k}")
