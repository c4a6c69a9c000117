"""Each shared model on 20 fresh random inputs against the TFLM reference interpreter."""
import numpy as np
import pytest

import edge_dla
from conftest import RUNNABLE, model_bytes
from edge_dla.oracle import random_inputs, run_tflm, tflm_interpreter

pytestmark = pytest.mark.oracle


@pytest.mark.parametrize("name", RUNNABLE)
def test_random_inputs_match_tflm(name, models_dir):
    tflite = model_bytes(name)
    it = edge_dla.Interpreter(model_content=edge_dla.convert(tflite))
    it.allocate_tensors()
    oracle = tflm_interpreter(tflite)
    rng = np.random.default_rng(sum(map(ord, name)))
    for case in range(20):
        inputs = random_inputs(it.get_input_details(), rng)
        want = run_tflm(tflite, inputs, oracle)
        for d, x in zip(it.get_input_details(), inputs):
            it.set_tensor(d["index"], x)
        it.invoke()
        for d, w in zip(it.get_output_details(), want):
            np.testing.assert_array_equal(it.get_tensor(d["index"]), w.reshape(d["shape"]),
                                          err_msg=f"{name} random case {case}")
