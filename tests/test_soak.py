"""Serial-link soak: 10,000 inferences over a faulty line, with periodic reloads
(some cut mid-upload, some hit by a board reset), stale and duplicate replies
and oversized length fields injected. Nothing may hang, no wrong result may be
accepted, and neither side may grow its memory (issue 8, item 5)."""
import os
import resource
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

import edge_dla
from conftest import model_bytes
from edge_dla.board import Board, protocol as p
from edge_dla.board.faultproxy import DOWN, UP, FaultProxy
from edge_dla.errors import BoardError

pytestmark = pytest.mark.board
INFERENCES = 10_000
RELOAD_EVERY = 1_000


class ResetDuringUpload(Exception):
    """Raised from the upload's progress callback right after resetting the board."""


def _oversized_frame():
    """A frame whose length field claims 4 GiB: the decoder must drop it, not wait for it."""
    head = struct.pack("<BBHI", p.INVOKE | p.REPLY, 0, 0, 0xFFFFFFFF)
    return b"\x7e" + head + b"\x00" * 8 + b"\x7e"


def _rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_soak_10000_inferences(capsys):
    tflite = model_bytes("hello_world_int8")
    blobs = [edge_dla.convert(tflite), edge_dla.convert(tflite, scratchpad_bytes=64 * 1024)]
    assert blobs[0] != blobs[1]
    host = edge_dla.Interpreter(model_content=blobs[0])
    rng = np.random.default_rng(7)
    inputs = [rng.integers(-128, 128, (1, 1), dtype=np.int8) for _ in range(64)]
    expected = []
    for x in inputs:
        host.set_tensor(0, x)
        host.invoke()
        expected.append(host.get_tensor(1))

    try:
        board = Board.launch(timeout=5.0)
    except BoardError as e:
        pytest.fail(f"emulated board unavailable ({e}); tools/setup.sh installs QEMU and builds the firmware")
    with board:
        board.disconnect()
        proxy = FaultProxy(board.qemu.port, flip=5e-5, drop=2e-5, insert=2e-5, stall=2e-3, stall_s=0.02, seed=3)
        try:
            lossy = Board.connect(proxy.url, timeout=0.25, retries=12)
            lossy.load(blobs[0], force=True, progress=False)
            wrong = reloads = cut_uploads = resets = 0
            tracemalloc.start()
            baseline = rss = None
            for i in range(INFERENCES):
                if i and i % RELOAD_EVERY == 0:
                    blob = blobs[(i // RELOAD_EVERY) % 2]
                    event = (i // RELOAD_EVERY) % 3
                    if event == 1:  # the line drops mid-upload: the old model must keep answering
                        proxy.cut(after=int(rng.integers(100, len(blob))))
                        try:
                            lossy.load(blob, force=True, chunk_size=256, progress=False)
                        except BoardError:
                            cut_uploads += 1
                        lossy.close()
                        lossy = Board.connect(proxy.url, timeout=0.25, retries=12)
                    elif event == 2:  # the board resets at a random point of the upload
                        at = int(rng.integers(256, len(blob)))

                        def reset_at(done, total, at=at):
                            if done >= at:
                                board.qemu.system_reset()
                                raise ResetDuringUpload
                        try:
                            lossy.load(blob, force=True, chunk_size=256, progress=reset_at)
                        except (ResetDuringUpload, BoardError):
                            resets += 1
                        lossy.close()
                        lossy = Board.connect(proxy.url, timeout=0.25, retries=12)
                        info = lossy.info()
                        assert not info["model_loaded"] or info["model_crc"] in {zlib.crc32(b) for b in blobs}
                    lossy.load(blob, progress=False)  # resumes or completes the upload
                    reloads += 1
                if i % 97 == 0:  # a stale reply (old seq, wrong outputs), a duplicate, garbage
                    stale = p.encode_frame(p.INVOKE | p.REPLY, (lossy._seq - 3) & 0xFFFF, os.urandom(40))
                    proxy.inject(DOWN, stale + stale + _oversized_frame())
                    proxy.inject(UP, _oversized_frame() + os.urandom(16))
                k = i % len(inputs)
                (y,) = lossy.invoke([inputs[k]])
                wrong += not np.array_equal(y.reshape(expected[k].shape), expected[k])
                if i == 1_000:
                    baseline, rss = tracemalloc.take_snapshot(), _rss_kib()
            grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(baseline, "filename"))
            tracemalloc.stop()
            board_stats = lossy.stats()
            faults = proxy.totals()
            with capsys.disabled():
                print(f"\n[soak] {INFERENCES} inferences, {wrong} wrong accepted; {reloads} reloads "
                      f"({cut_uploads} cut mid-upload, {resets} board resets mid-upload); injected "
                      f"{faults['flipped']} flips, {faults['dropped']} drops, {faults['inserted']} inserts, "
                      f"{faults['stalls']} stalls in {faults['bytes']} bytes; host {lossy.host_stats}; "
                      f"board {board_stats}; host heap growth {grown} B, max RSS {rss} -> {_rss_kib()} KiB")
            assert wrong == 0
            assert reloads == INFERENCES // RELOAD_EVERY - 1 and resets >= 1
            assert faults["flipped"] + faults["dropped"] + faults["inserted"] > 20
            assert grown < 512 * 1024, f"host Python heap grew by {grown} bytes"
            assert _rss_kib() - rss < 16 * 1024, "host RSS grew by more than 16 MiB"
            lossy.close()
        finally:
            proxy.close()
