"""edge-dla bench / tools/bench.py: the table, the throughput mode and the invoke fast path."""
import numpy as np
import pytest

import edge_dla
from conftest import MODELS, model_bytes
from edge_dla import bench
from edge_dla.cli import main


def test_bench_cli_table(capsys, models_dir):
    assert main(["bench", "--no-peers", "--weight-format", "dense", str(MODELS / "hello_world_int8.tflite")]) == 0
    out = capsys.readouterr().out
    assert "CPU:" in out and "hello_world_int8" in out and "edge_dla ms" in out


def test_bench_batch_with_peers(models_dir):
    lines = []
    rows = bench.run([str(MODELS / "hello_world_int8.tflite")], batch=3, min_time=0.01, out=lines.append)
    (name, row), = rows
    assert name == "hello_world_int8" and row["batch"] == 3 and row["edge_dla"] > 0
    assert row["TFLM"] is None or row["TFLM"] > 0
    assert "throughput" in lines[0] and "vs XNNPACK" in lines[0]


def test_bench_missing_model_is_one_line_error(capsys, tmp_path):
    assert main(["bench", str(tmp_path / "nope.tflite")]) == 1
    assert "nope.tflite" in capsys.readouterr().err


def test_invoke_reuses_views_and_copies_outputs(models_dir):
    """The precomputed scratchpad views: outputs are copies, new inputs are picked up."""
    it = edge_dla.Interpreter(model_content=edge_dla.convert(model_bytes("kws_ref_model")))
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    rng = np.random.default_rng(3)
    xs = [rng.integers(-128, 128, inp["shape"], dtype=np.int8) for _ in range(2)]
    ys = []
    for x in xs:
        it.set_tensor(inp["index"], x)
        it.invoke()
        ys.append(it.get_tensor(out["index"]))
    fresh = edge_dla.Interpreter(model_content=edge_dla.convert(model_bytes("kws_ref_model")))
    fresh.allocate_tensors()
    fresh.set_tensor(inp["index"], xs[1])
    fresh.invoke()
    np.testing.assert_array_equal(ys[1], fresh.get_tensor(out["index"]))
    it.set_tensor(inp["index"], xs[0])
    it.invoke()
    np.testing.assert_array_equal(ys[0], it.get_tensor(out["index"]))


@pytest.mark.board
def test_bench_firmware_scalar_vs_mve(capsys, models_dir):
    """edge-dla bench --firmware: both firmware builds on the emulated board, counts
    from the firmware's own SysTick under -icount (repeatable: measure() checks)."""
    assert main(["bench", "--no-peers", "--firmware", str(MODELS / "kws_ref_model.tflite")]) == 0
    out = capsys.readouterr().out
    assert "scalar instr" in out and "MVE instr" in out
    row = next(line for line in out.splitlines()[::-1] if line.startswith("kws_ref_model"))
    cells = row.split()
    macs, scalar, mve = (int(cells[i].replace(",", "")) for i in (1, 3, 5))
    assert macs == 2_656_768  # kws as if dense, whatever its weights and activations skip
    assert scalar > 4 * mve > 0  # the Helium kernels run kws' convolutions


def test_invoke_batch_equals_one_by_one(models_dir):
    """invoke_batch: N inferences in one call give the outputs and last counters of N invokes."""
    it = edge_dla.Interpreter(model_content=edge_dla.convert(model_bytes("kws_ref_model")))
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    xs = np.random.default_rng(5).integers(-128, 128, (4, *inp["shape"][1:]), dtype=np.int8)
    ys, = it.invoke_batch(xs)
    batch_profile = it.profile()
    assert ys.shape == (4, *out["shape"][1:]) and ys.dtype == out["dtype"]
    np.testing.assert_array_equal(it.get_tensor(out["index"]), ys[-1][None])
    for x, y in zip(xs, ys):
        it.set_tensor(inp["index"], x[None])
        it.invoke()
        np.testing.assert_array_equal(it.get_tensor(out["index"])[0], y)
    assert it.profile() == batch_profile


@pytest.mark.parametrize("bad, message", [
    (lambda x: x[:, :-1], "wants a int8 batch of shape"),
    (lambda x: x.astype(np.int16), "wants a int8 batch"),
    (lambda x: x[:0], "at least one input set"),
])
def test_invoke_batch_refuses_bad_arrays(models_dir, bad, message):
    it = edge_dla.Interpreter(model_content=edge_dla.convert(model_bytes("hello_world_int8")))
    it.allocate_tensors()
    x = np.zeros((3, *it.get_input_details()[0]["shape"][1:]), np.int8)
    with pytest.raises(edge_dla.InputError, match=message):
        it.invoke_batch(bad(x))
    with pytest.raises(edge_dla.InputError, match="input array"):
        it.invoke_batch(x, x)
