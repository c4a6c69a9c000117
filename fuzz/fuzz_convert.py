#!/usr/bin/env python3
"""atheris harness over the converter and the C loader together (issue 8, item 2).

Each input is a .tflite file: edge_dla.convert() it; when that succeeds, load the blob
with edge_dla.Interpreter(model_content=blob) (the C loader behind the cffi module),
set every input and invoke once. An exception that is not an EdgeDlaError is a finding:
atheris stops, prints the traceback and writes the input as crash-<sha1>. A crash or
sanitizer report inside the C core is a finding too when the module is the ASan/UBSan
build (`make fuzz-short` runs this against build/asan/pkg with libasan preloaded).

    make fuzz-seeds                     # build/fuzz/seeds/tflite: shared models + bad corpus
    .venv/bin/python fuzz/fuzz_convert.py build/fuzz/corpus/convert build/fuzz/seeds/tflite \
        -max_total_time=60               # any libFuzzer flag works
    .venv/bin/python fuzz/fuzz_convert.py crash-<sha1>   # replay one input

Python code is instrumented for coverage (atheris.instrument_imports), so mutations
that reach new branches of the reader, checks and lowering are kept.

EDLA_FUZZ_STRICT=1 also stops on a blob the converter wrote but the C loader refuses
(a typed BlobError, so not a crash, but a model the converter should have refused).
"""
import os
import sys

import atheris
import numpy as np

with atheris.instrument_imports(include=["edge_dla"]):
    import edge_dla
    from edge_dla.errors import BlobError, EdgeDlaError

STRICT = os.environ.get("EDLA_FUZZ_STRICT", "") not in ("", "0")

# A converted model may legitimately be too big to run quickly; skip invoking those so
# one input cannot stall the run (the libFuzzer harness runs the C core on its own).
MAX_INVOKE_MACS = 5_000_000


def run_blob(blob):
    it = edge_dla.Interpreter(model_content=blob)
    if sum(layer.get("macs", 0) for layer in edge_dla.inspect(blob)["layers"]) > MAX_INVOKE_MACS:
        return
    it.allocate_tensors()
    rng = np.random.default_rng(len(blob))
    for d in it.get_input_details():
        it.set_tensor(d["index"], rng.integers(-128, 128, d["shape"], dtype=np.int8))
    it.invoke()
    for d in it.get_output_details():
        it.get_tensor(d["index"])


def TestOneInput(data):
    try:
        blob = edge_dla.convert(data)
    except EdgeDlaError:
        return
    try:
        run_blob(blob)
    except BlobError:
        # The C loader refusing what the converter wrote is typed, not a crash, but the
        # converter should have refused the model itself: a finding in strict mode.
        if STRICT:
            raise
    except EdgeDlaError:
        return


def main():
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
