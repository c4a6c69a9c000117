"""The edge-dla command line, as a user runs it."""
import json

import numpy as np
import pytest

from conftest import MODELS
from edge_dla.cli import main


def test_convert_inspect_run_verify(tmp_path, capsys, models_dir):
    blob = tmp_path / "kws.edla"
    assert main(["convert", str(MODELS / "kws_ref_model.tflite"), "-o", str(blob)]) == 0
    assert main(["inspect", str(blob)]) == 0
    table = capsys.readouterr().out
    assert "scratchpad" in table and "DEPTHWISE_CONV_2D" in table and "16,000" in table
    assert main(["inspect", str(blob), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["scratchpad_bytes"] == 16000 and info["blob_bytes"] == blob.stat().st_size
    assert 0 < info["records_bytes"] < 1000 < info["meta_bytes"] < 2000  # packed records, derived metadata
    assert info["const_bytes"] + info["records_bytes"] + info["meta_bytes"] + 256 > info["blob_bytes"]
    x = np.random.default_rng(1).integers(-128, 128, (1, 49, 10, 1), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    assert main(["run", str(blob), "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"),
                 "--profile"]) == 0
    out = capsys.readouterr().out
    total = next(line for line in out.splitlines() if line.split()[:1] == ["total"])
    macs, skipped, skipped_act = (int(v.replace(",", "")) for v in total.split()[1:4])
    assert "act skip" in out and skipped_act > 0 and macs + skipped + skipped_act == 2_656_768
    assert np.load(tmp_path / "y.npy").shape == (1, 12)
    assert main(["verify", str(MODELS / "kws_ref_model.tflite"), "-n", "3"]) == 0
    assert "bit-exact" in capsys.readouterr().out


def test_run_without_input_uses_seeded_random(tmp_path, capsys, models_dir):
    blob = tmp_path / "hw.edla"
    assert main(["convert", str(MODELS / "hello_world_int8.tflite"), "-o", str(blob)]) == 0
    assert main(["run", str(blob), "--seed", "3"]) == 0
    first = capsys.readouterr().out.splitlines()[-1]
    assert main(["run", str(blob), "--seed", "3"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == first


def test_run_batch_saves_stacked_outputs(tmp_path, capsys, models_dir):
    """run --batch: N stacked inputs in, N stacked outputs out, each as a single run gives it."""
    blob = tmp_path / "kws.edla"
    assert main(["convert", str(MODELS / "kws_ref_model.tflite"), "-o", str(blob)]) == 0
    xs = np.random.default_rng(2).integers(-128, 128, (3, 49, 10, 1), dtype=np.int8)
    np.save(tmp_path / "xs.npy", xs)
    assert main(["run", str(blob), "--batch", "--input", str(tmp_path / "xs.npy"),
                 "--output", str(tmp_path / "ys.npy")]) == 0
    assert "ran 3 inferences on host" in capsys.readouterr().out
    ys = np.load(tmp_path / "ys.npy")
    assert ys.shape == (3, 12)
    np.save(tmp_path / "x.npy", xs[1:2])
    assert main(["run", str(blob), "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy")[0], ys[1])
    np.save(tmp_path / "bad.npy", xs[:, :5])
    assert main(["run", str(blob), "--batch", "--input", str(tmp_path / "bad.npy")]) == 1
    assert "batch of shape [N, 49, 10, 1]" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["convert", "/nonexistent.tflite"], "No such file"),
    (["convert", "{audio}"], "unsupported feature"),
    (["inspect", "{garbage}"], "not an edge_dla blob"),
    (["run", "{garbage}"], "not an edge_dla blob"),
])
def test_errors_are_one_line_exit_1(argv, message, tmp_path, capsys, models_dir):
    garbage = tmp_path / "garbage.edla"
    garbage.write_bytes(b"\x00" * 200)
    argv = [a.format(audio=MODELS / "audio_preprocessor_int8.tflite", garbage=garbage) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("edge-dla: error:") and message in err


def test_check_reports_each_op(capsys, models_dir):
    assert main(["check", str(MODELS / "audio_preprocessor_int8.tflite")]) == 1
    out = capsys.readouterr().out
    assert "CUSTOM:SignalWindow" in out and "REFUSED" in out
    assert main(["check", str(MODELS / "vww_96_int8.tflite")]) == 0
