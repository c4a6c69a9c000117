"""Bit-exactness oracle: run a .tflite model in TFLM and in edge_dla and compare every output."""

from __future__ import annotations

import numpy as np

from edge_dla.testing.tflite_builder import input_shapes, run_tflm

# Input patterns each op case is run with: typical data plus both saturation ends.
PATTERNS = ("random", "min", "max", "extremes")


def make_inputs(tflite_bytes: bytes, rng, pattern: str = "random") -> list[np.ndarray]:
    """One int8 array per model input: uniform, all -128, all 127, or a random mix of both ends."""
    arrays = []
    for shape, dtype in input_shapes(tflite_bytes):
        info = np.iinfo(dtype)
        if pattern == "random":
            a = rng.integers(info.min, info.max + 1, size=shape)
        elif pattern == "min":
            a = np.full(shape, info.min)
        elif pattern == "max":
            a = np.full(shape, info.max)
        elif pattern == "extremes":
            a = rng.choice([info.min, info.max], size=shape)
        else:
            raise ValueError(pattern)
        arrays.append(np.asarray(a, dtype))
    return arrays


def run_edge_dla(tflite_bytes: bytes, inputs) -> list[np.ndarray]:
    """Convert with edge_dla and run once through its Interpreter; return all outputs."""
    import edge_dla

    blob = edge_dla.convert(tflite_bytes)
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    for detail, x in zip(it.get_input_details(), inputs):
        it.set_tensor(detail["index"], x)
    it.invoke()
    return [np.array(it.get_tensor(d["index"])) for d in it.get_output_details()]


def assert_bit_exact(tflite_bytes: bytes, inputs) -> list[np.ndarray]:
    """Fail unless edge_dla's outputs equal TFLM's exactly (shape, dtype and every value)."""
    inputs = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
    expected = run_tflm(tflite_bytes, inputs)
    actual = run_edge_dla(tflite_bytes, inputs)
    assert len(actual) == len(expected), f"{len(actual)} outputs, TFLM has {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.dtype == e.dtype, f"output {i}: dtype {a.dtype}, TFLM {e.dtype}"
        assert a.shape == e.shape, f"output {i}: shape {a.shape}, TFLM {e.shape}"
        diff = np.abs(a.astype(np.int64) - e.astype(np.int64))
        if diff.any():
            first = tuple(int(j) for j in np.argwhere(diff)[0])
            msg = (f"output {i}: max |diff| {diff.max()}, {np.count_nonzero(diff)}/{diff.size} "
                   f"values differ, first at {first}: edge_dla {a[first]} vs TFLM {e[first]}")
            print(msg)
            np.testing.assert_array_equal(a, e, err_msg=msg)
    return expected
