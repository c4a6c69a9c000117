"""Every host instruction-set path (portable C, AVX2, AVX-512 VNNI: those this
CPU has) against the golden outputs and the op oracles, and against each other.

The default run uses the best path; EDLA_FORCE_PORTABLE=1 the portable one.
Here each test of test_golden and test_ops_oracle runs once per path.
"""
import numpy as np
import pytest

import edge_dla
from conftest import RUNNABLE, model_bytes
from edge_dla import _native
from edge_dla.oracle import random_inputs

_default = _native.set_isa(None)
LEVELS = sorted({_native.set_isa(level) for level in (0, 1, 2)})
_native.set_isa(_default)

from test_golden import test_golden  # noqa: E402,F401  (re-run under every path)
from test_ops_oracle import (  # noqa: E402,F401
    test_conv2d, test_conv2d_activations, test_conv2d_sweep, test_depthwise,
    test_depthwise_activations, test_depthwise_sweep, test_fully_connected,
    test_fully_connected_activations, test_add, test_add_activations_zero_points,
    test_add_output_scale_extremes, test_add_sweep)


@pytest.fixture(autouse=True, params=LEVELS, ids=[_native.ISA_NAMES[x] for x in LEVELS])
def isa(request):
    previous = _native._isa_level
    assert _native.set_isa(request.param) == request.param
    yield request.param
    _native.set_isa(previous)


@pytest.mark.parametrize("name", RUNNABLE)
def test_paths_agree(name, isa, models_dir):
    """Random inputs (not only the golden ones): this path == portable C."""
    blob = edge_dla.convert(model_bytes(name))
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    rng = np.random.default_rng(7)
    for _ in range(4):
        inputs = random_inputs(it.get_input_details(), rng)
        for d, x in zip(it.get_input_details(), inputs):
            it.set_tensor(d["index"], x)
        _native.set_isa(0)
        it.invoke()
        want = [it.get_tensor(d["index"]) for d in it.get_output_details()]
        _native.set_isa(isa)
        it.invoke()
        for d, w in zip(it.get_output_details(), want):
            np.testing.assert_array_equal(it.get_tensor(d["index"]), w)


def test_force_portable_env(tmp_path):
    """EDLA_FORCE_PORTABLE=1 is read at import and selects the portable path."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, EDLA_FORCE_PORTABLE="1")
    out = subprocess.run([sys.executable, "-c", "from edge_dla import _native; print(_native.isa())"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == "portable"
