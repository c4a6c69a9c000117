"""The known-bad .tflite corpus (tests/corpus/, written by tests/corpus/make_corpus.py):
every file is refused with its own typed error class and a message naming where.

tests/test_bad_input.py covers the same classes through the builder API; this
file pins committed bytes, including the byte-level breakage (truncation, root
offset, misaligned vectors) the builder cannot express, and runs each file
through every entry point a user has: convert(), Interpreter and the CLI.
"""
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import edge_dla
from edge_dla import errors
from edge_dla.cli import main as cli_main

CORPUS = Path(__file__).resolve().parent / "corpus"
_spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)
CASES = {case.name: case for case in make_corpus.CASES}

# The bad-input classes of issue 8 (item 1), each with the corpus files covering it.
ISSUE_CLASSES = {
    "truncated flatbuffer": ["truncated_flatbuffer"],
    "root offset past the end": ["root_offset_past_end"],
    "misaligned vectors": ["misaligned_vector"],
    "tensor index out of range or negative": ["tensor_index_out_of_range", "tensor_index_negative",
                                              "tensor_index_omitted_required",
                                              "subgraph_output_index_out_of_range"],
    "buffer index out of range or negative": ["buffer_index_out_of_range", "buffer_index_negative"],
    "null/empty buffer where data is needed": ["null_buffer_weights", "empty_buffer_weights"],
    "buffer size not matching shape x type": ["buffer_size_mismatch"],
    "product of dimensions overflowing 32 bits": ["dims_overflow_32bit", "dims_overflow_const"],
    "zero/negative dimensions": ["zero_dimension", "negative_dimension"],
    "zero strides or dilations": ["zero_stride_conv", "zero_stride_pool", "zero_dilation"],
    "zero/negative/NaN/inf scales": ["zero_scale", "negative_scale", "nan_scale", "inf_scale",
                                     "per_channel_nan_scale"],
    "zero points out of range": ["zero_point_too_high", "zero_point_too_low", "zero_point_count_mismatch"],
    "per-channel scale count mismatch": ["per_channel_count_mismatch"],
    "quantized_dimension out of range": ["quantized_dimension_too_high", "quantized_dimension_negative"],
    "graph cycle": ["graph_cycle"],
    "tensor that is input and output of one op": ["tensor_input_and_output"],
    "unknown op code": ["unknown_op_code", "opcode_index_out_of_range"],
    "op version beyond what we implement": ["op_version_too_new"],
    # not issue classes: inputs fuzz_convert.py found crashing graph rewrites
    "fuzzing regressions": ["rewrite_unquantized_tensor", "rewrite_omitted_operand",
                            "rewrite_missing_operand"],
}


def _expect(case, call):
    """call() raises exactly case.error (not a sub- or superclass) matching case.match."""
    with pytest.raises(errors.EdgeDlaError) as info:
        call()
    assert type(info.value) is getattr(errors, case.error), f"{case.name}: {type(info.value).__name__}: {info.value}"
    assert re.search(case.match, str(info.value)), f"{case.name}: {info.value}"


def test_every_issue_class_has_corpus_files():
    covered = [name for names in ISSUE_CLASSES.values() for name in names]
    assert sorted(covered) == sorted(CASES), "ISSUE_CLASSES and make_corpus.CASES disagree"
    for name in covered:
        assert (CORPUS / f"{name}.tflite").is_file(), f"run tests/corpus/make_corpus.py: {name} missing"


def test_committed_files_are_what_the_script_writes():
    stale = [name for name, data in make_corpus.build_all().items()
             if (CORPUS / f"{name}.tflite").read_bytes() != data]
    assert not stale, f"regenerate with `python tests/corpus/make_corpus.py`: {stale}"


@pytest.mark.parametrize("base", [make_corpus.conv_model, make_corpus.depthwise_model,
                                  make_corpus.pool_model, make_corpus.fc_model, make_corpus.add_chain,
                                  make_corpus.quantize_concat])
def test_unbroken_base_models_convert_and_run(base):
    """Each corpus file is one of these with exactly one thing broken."""
    it = edge_dla.Interpreter(model_content=edge_dla.convert(base().build()))
    for d in it.get_input_details():
        it.set_tensor(d["index"], np.zeros(d["shape"], np.int8))
    it.invoke()


@pytest.mark.parametrize("name", sorted(CASES))
def test_convert_refuses(name):
    data = (CORPUS / f"{name}.tflite").read_bytes()
    _expect(CASES[name], lambda: edge_dla.convert(data))


@pytest.mark.parametrize("name", sorted(CASES))
def test_interpreter_refuses(name):
    path = CORPUS / f"{name}.tflite"
    _expect(CASES[name], lambda: edge_dla.Interpreter(model_path=str(path)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_prints_one_line(name, tmp_path, capsys):
    out = tmp_path / "out.edla"
    assert cli_main(["convert", str(CORPUS / f"{name}.tflite"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("edge-dla: error: ") and err.count("\n") == 1, err
    assert re.search(CASES[name].match, err), err
    assert not out.exists()
