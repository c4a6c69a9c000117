#!/usr/bin/env python3
"""Write the fuzzers' seed corpora (build/fuzz/seeds by default; `make fuzz-seeds`).

    tflite/  the shared models (../shared/models/*.tflite), the known-bad corpus
             (tests/corpus/*.tflite), the corpus' valid base models and the small nets of
             edge_dla.testing.zoo (every op family): for fuzz_convert.py
    blob_small/  blobs of at most 20 KiB converted from the shared models and the base models
                 (default and all-sparse formats: the latter put every layer through the weight decoder)
    blob/        the larger blobs (kws, micro_speech, vww...): for fuzz_blob_loader, the
                 short run uses blob_small only
    frame/   wire streams for fuzz_frame: byte 0 picks the decoder capacity (0xFF: the
             firmware's), then frames of every type and size class, escapes in payload,
             length and CRC, garbage between frames, a truncated and an oversized frame

Usage: make_seeds.py [OUT_DIR]   (EDLA_MODELS overrides ../shared/models)

Converting needs the native module (weight encoding): `make fuzz-seeds` runs this
with the freshly built sanitized package, so it never depends on the in-tree build.
"""
import importlib.util
import os
import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = Path(os.environ.get("EDLA_MODELS", ROOT.parent / "shared" / "models"))


ZOO = ("ds_cnn_kws", "mobilenet_v3_block_net", "mlp_tanh_sigmoid", "densenet_concat_net",
       "conv1d_kws_net", "unet_small")


def _make_corpus():
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "tests" / "corpus" / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tflite_seeds(out):
    mc = _make_corpus()
    for path in sorted(MODELS.glob("*.tflite")) + sorted((ROOT / "tests" / "corpus").glob("*.tflite")):
        shutil.copyfile(path, out / path.name)
    bases = {"base_" + f.__name__: f for f in (mc.conv_model, mc.depthwise_model, mc.pool_model,
                                               mc.fc_model, mc.add_chain)}
    for name, make in bases.items():
        (out / f"{name}.tflite").write_bytes(make().build())
    (out / "base_all_ops.tflite").write_bytes(mc.all_ops_model())
    (out / "base_movement_ops.tflite").write_bytes(mc.movement_ops_model())
    # the zoo's small nets: element-wise, activation, reduction and data movement ops
    from edge_dla.testing import zoo
    for name in ZOO:
        make = getattr(zoo, name, None)
        if make is not None:
            (out / f"zoo_{name}.tflite").write_bytes(make())


SMALL_BLOB = 20 * 1024


def blob_seeds(small, large, tflite_dir):
    import edge_dla
    from edge_dla.errors import EdgeDlaError
    written = 0
    for path in sorted(tflite_dir.glob("*.tflite")):
        for suffix, fmt in (("", "auto"), (".sparse", "sparse")):  # sparse: every layer a weight stream
            try:
                blob = edge_dla.convert(path.read_bytes(), weight_format=fmt)
            except EdgeDlaError:
                break  # the bad corpus and unsupported models
            ((small if len(blob) <= SMALL_BLOB else large) / f"{path.stem}{suffix}.edla").write_bytes(blob)
            written += 1
    return written


def frame_seeds(out):
    from edge_dla.board.protocol import encode_frame
    frames = [encode_frame(t, s, p) for t, s, p in [
        (0x01, 0, b""), (0x02, 1, b"\x7e\x7d\x7e\x7d"), (0x03, 0x7e7d, bytes(range(256))),
        (0x04, 0xFFFF, b"\x00" * 1024), (0x7E, 0x7D, b"\x7d\x5e\x7d\x5d"), (0x10, 42, b"x" * 200),
    ]]
    streams = {
        "one_frame": b"\xff" + frames[0],
        "escapes": b"\xff" + frames[1] + frames[4],
        "all_frames": b"\xff" + b"".join(frames),
        "garbage_between": b"\xff" + b"noise\x7d\x7e" + frames[2] + b"\x00\x7e\x7e" + frames[3],
        "truncated": b"\xff" + frames[2][:len(frames[2]) // 2] + frames[0],
        "small_cap": b"\x10" + frames[0] + frames[5] + frames[1],
        "exact_cap": bytes([200]) + frames[5] + frames[0],
        # a header claiming a 4 GiB payload, then a good frame
        "oversized_length": b"\xff\x7e" + bytes([1, 0, 1, 0]) + struct.pack("<I", 0xFFFFFFF0) + b"\x00" * 8
                            + frames[0],
        "bad_escape": b"\xff\x7e\x01\x7d\x01\x7e" + frames[0],
    }
    for name, data in streams.items():
        (out / f"{name}.bin").write_bytes(data)
    return len(streams)


def main(argv):
    out = Path(argv[0]) if argv else ROOT / "build" / "fuzz" / "seeds"
    dirs = {k: out / k for k in ("tflite", "blob_small", "blob", "frame")}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    tflite_seeds(dirs["tflite"])
    n_blob = blob_seeds(dirs["blob_small"], dirs["blob"], dirs["tflite"])
    n_frame = frame_seeds(dirs["frame"])
    n_tflite = len(list(dirs["tflite"].iterdir()))
    print(f"seeds in {out}: {n_tflite} tflite, {n_blob} blob, {n_frame} frame")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
