"""edge_dla demo: convert an int8 model, run it on the host core and on the
emulated Cortex-M55 board, and compare both with TFLite Micro, bit for bit.

    python examples/demo.py                 # a DS-CNN keyword-spotting net built here
    python examples/demo.py MODEL.tflite    # your own int8 model
"""
import sys
import time

import numpy as np

import edge_dla
from edge_dla.cli import format_inspect, format_profile
from edge_dla.oracle import random_inputs, run_tflm


def banner(text):
    print(f"\n== {text} " + "=" * max(0, 70 - len(text)))


def main(argv):
    if argv:
        with open(argv[0], "rb") as f:
            tflite, name = f.read(), argv[0]
    else:
        from edge_dla.testing.zoo import ds_cnn_kws
        tflite, name = ds_cnn_kws(seed=0), "DS-CNN keyword spotter (built by edge_dla.testing.zoo)"
    banner(f"convert {name}")
    start = time.perf_counter()
    blob = edge_dla.convert(tflite)
    print(f".tflite {len(tflite):,} bytes -> blob {len(blob):,} bytes in {(time.perf_counter() - start) * 1e3:.0f} ms")
    print(format_inspect(edge_dla.inspect(blob)))

    host = edge_dla.Interpreter(model_content=blob)
    host.allocate_tensors()
    inputs = random_inputs(host.get_input_details(), np.random.default_rng(0))
    for d, x in zip(host.get_input_details(), inputs):
        host.set_tensor(d["index"], x)
    host.invoke()
    host_out = [host.get_tensor(d["index"]) for d in host.get_output_details()]
    tflm_out = run_tflm(tflite, inputs)
    banner("host core (C, via cffi)")
    print(format_profile(host.profile()))

    banner("emulated board: QEMU mps3-an547, Cortex-M55")
    from edge_dla.board import Board
    with Board.launch() as board:
        info = board.info()
        print(f"firmware {info['firmware_version_str']}, scratchpad {info['scratchpad_capacity']:,} bytes, "
              f"max blob {info['max_blob_bytes']:,} bytes")
        on_board = edge_dla.Interpreter(model_content=blob, board=board)
        start = time.perf_counter()
        on_board.allocate_tensors()  # uploads the blob, chunk by chunk, and commits it
        upload = time.perf_counter() - start
        print(f"upload: {len(blob):,} bytes in {upload:.2f} s ({len(blob) / upload / 1e3:.1f} KB/s)")
        for d, x in zip(on_board.get_input_details(), inputs):
            on_board.set_tensor(d["index"], x)
        on_board.invoke()
        board_out = [on_board.get_tensor(d["index"]) for d in on_board.get_output_details()]
        print(f"instructions per inference: {board.last_instructions:,}")

    banner("outputs")
    same = True
    for k, d in enumerate(host.get_output_details()):
        want = tflm_out[k].reshape(d["shape"])
        for label, got in (("TFLM ", want), ("host ", host_out[k]), ("board", board_out[k])):
            print(f"{label} {np.array2string(got.reshape(-1)[:12], separator=' ')}")
        same &= np.array_equal(host_out[k], want) and np.array_equal(board_out[k], want)
    print("host == board == TFLM: bit-exact" if same else "MISMATCH")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
