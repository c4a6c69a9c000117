"""The firmware on the emulated board (QEMU mps3-an547), driven through edge_dla.board.

These tests need qemu-system-arm and firmware/build/edla_fw.elf (tools/setup.sh
builds it); without them they fail, they are not skipped. One QEMU serves the
module; tests that need a lossy line put a FaultProxy in front of it.
"""

import contextlib
import os
import statistics
import struct
import time
import zlib

import numpy as np
import pytest

import edge_dla
from conftest import MODELS, RUNNABLE, model_bytes
from edge_dla import blob as fmt
from edge_dla.board import Board, protocol as p
from edge_dla.board.faultproxy import DOWN, UP, FaultProxy
from edge_dla.errors import BlobError, BoardError
from edge_dla.testing.tflite_builder import run_tflm
from test_ops_elementwise import board_cases
from test_ops_movement import board_cases as movement_board_cases

pytestmark = pytest.mark.board
_blobs = {}


def blob_of(name):
    if name not in _blobs:
        _blobs[name] = edge_dla.convert(model_bytes(name))
    return _blobs[name]


def golden(name):
    return np.load(MODELS / "golden" / f"{name}.npz")


@contextlib.contextmanager
def through_proxy(board, timeout=0.25, retries=10, **faults):
    """A second Board on the same QEMU, through a FaultProxy; the module's board
    reconnects afterwards (QEMU's serial takes one client at a time)."""
    board.disconnect()
    proxy = FaultProxy(board.qemu.port, **faults)
    try:
        with Board.connect(proxy.url, timeout=timeout, retries=retries) as lossy:
            yield lossy, proxy
    finally:
        proxy.close()
        board.reconnect()


def assert_runs(board, name, k=0):
    """The board's committed model is `name` and answers golden case k."""
    blob, g = blob_of(name), golden(name)
    info = board.info()
    assert info["model_loaded"] and info["model_crc"] == zlib.crc32(blob), f"{name} not active"
    board.load(blob)  # nothing sent: the board runs it already; sets the I/O shapes
    (y,) = board.invoke([g[f"input_{k}"]])
    np.testing.assert_array_equal(y, g[f"output_{k}"])


def test_hello_and_info(board):
    assert board.hello()["protocol_version"] == p.PROTOCOL_VERSION
    info = board.info()
    assert info["protocol_version"] == p.PROTOCOL_VERSION
    assert info["max_payload"] == p.MAX_PAYLOAD
    assert info["scratchpad_capacity"] == info["npu"]["scratchpad_capacity"] > 0
    assert info["max_blob_bytes"] > 0


@pytest.mark.parametrize("name", RUNNABLE)
def test_golden_on_board(board, name):
    """Board == golden (TFLM) == host core for every case, and the same counters."""
    blob, g = blob_of(name), golden(name)
    info = board.info()
    header = edge_dla.blob.read_header(blob)
    if len(blob) > info["max_blob_bytes"] or header.scratchpad_required > info["scratchpad_capacity"]:
        with pytest.raises(BlobError):  # too big for this board: refused before the upload
            board.load(blob)
        return
    board.load(blob, progress=False)
    host = edge_dla.Interpreter(model_content=blob)
    host.allocate_tensors()
    index = host.get_input_details()[0]["index"]
    cases = sorted(int(k.split("_")[1]) for k in g if k.startswith("input_"))
    assert len(cases) == 6
    for k in cases:
        (y,) = board.invoke([g[f"input_{k}"]])
        np.testing.assert_array_equal(y, g[f"output_{k}"], err_msg=f"{name} case {k}")
        host.set_tensor(index, g[f"input_{k}"])
        host.invoke()
        np.testing.assert_array_equal(y, host.get_tensor(host.get_output_details()[0]["index"]))
        host_counters = [{c: row[c] for c in p.COUNTER_FIELDS} for row in host.profile()["layers"]]
        assert board.last_counters == host_counters, f"{name} case {k}: counters differ"
    instructions = board.last_instructions
    board.invoke([g[f"input_{cases[-1]}"]])
    assert board.last_instructions == instructions  # -icount makes the count deterministic


def test_invoke_batch_on_board_equals_host(board):
    """Interpreter(board=...).invoke_batch runs the inferences one by one on the board:
    the same outputs as the host's one-call batch, and the last one's counters."""
    blob, g = blob_of("kws_ref_model"), golden("kws_ref_model")
    xs = np.concatenate([g[f"input_{k}"] for k in range(3)])
    on_board = edge_dla.Interpreter(model_content=blob, board=board)
    on_board.allocate_tensors()
    host = edge_dla.Interpreter(model_content=blob)
    host.allocate_tensors()
    (y_board,), (y_host,) = on_board.invoke_batch(xs), host.invoke_batch(xs)
    np.testing.assert_array_equal(y_board, y_host)
    np.testing.assert_array_equal(y_board, np.concatenate([g[f"output_{k}"] for k in range(3)]))
    assert [{c: r[c] for c in p.COUNTER_FIELDS} for r in on_board.profile()["layers"]] == \
        [{c: r[c] for c in p.COUNTER_FIELDS} for r in host.profile()["layers"]]


@pytest.mark.parametrize("name, scratchpad", [("person_detect", 30720), ("pretrainedResnet_quant", 25920),
                                             ("kws_ref_model", 11096), ("vww_96_int8", 37240),
                                             ("kws_ref_model", 5760)])  # the last spills to DDR
def test_tiled_blob_on_board(board, name, scratchpad):
    """A blob planned for a smaller scratchpad (row stripes, staged weights) runs on
    the board with the host's outputs and counters."""
    blob, g = edge_dla.convert(model_bytes(name), scratchpad_bytes=scratchpad), golden(name)
    board.load(blob, progress=False)
    host = edge_dla.Interpreter(model_content=blob)
    index = host.get_input_details()[0]["index"]
    for k in (0, 3):
        (y,) = board.invoke([g[f"input_{k}"]])
        np.testing.assert_array_equal(y.reshape(-1), g[f"output_{k}"].reshape(-1))
        host.set_tensor(index, g[f"input_{k}"].reshape(host.get_input_details()[0]["shape"]))
        host.invoke()
        assert board.last_counters == [{c: row[c] for c in p.COUNTER_FIELDS} for row in host.profile()["layers"]]


@pytest.mark.parametrize("name", sorted(board_cases()))
def test_elementwise_ops_on_board(board, name):
    """Element-wise, activation and reduction ops (CPU layers) and float32 model edges
    (the core's float code, on the M55's FPU): board == TFLM == host, same counters."""
    model, input_sets = board_cases()[name]
    blob = edge_dla.convert(model)
    board.load(blob, progress=False)
    host = edge_dla.Interpreter(model_content=blob)
    for inputs in input_sets:
        got = board.invoke(inputs)
        want = run_tflm(model, inputs)
        for d, x in zip(host.get_input_details(), inputs):
            host.set_tensor(d["index"], x)
        host.invoke()
        for k, (y, w) in enumerate(zip(got, want)):
            assert y.dtype == w.dtype, f"{name} output {k}"
            np.testing.assert_array_equal(y.view(np.uint8), w.view(np.uint8), err_msg=f"{name} output {k}")
            np.testing.assert_array_equal(y, host.get_tensor(host.get_output_details()[k]["index"]))
        assert board.last_counters == [{c: row[c] for c in p.COUNTER_FIELDS} for row in host.profile()["layers"]]


@pytest.mark.parametrize("name", sorted(movement_board_cases()))
def test_movement_ops_on_board(board, name):
    """Data movement and structural ops (CPU layers), TRANSPOSE_CONV and BATCH_MATMUL
    (NPU layers) and the zoo models that combine them: board == TFLM == host, same counters."""
    model, input_sets = movement_board_cases()[name]
    blob = edge_dla.convert(model)
    board.load(blob, progress=False)
    host = edge_dla.Interpreter(model_content=blob)
    for inputs in input_sets:
        got, want = board.invoke(inputs), run_tflm(model, inputs)
        for d, x in zip(host.get_input_details(), inputs):
            host.set_tensor(d["index"], x)
        host.invoke()
        for k, (y, w) in enumerate(zip(got, want)):
            np.testing.assert_array_equal(y, w, err_msg=f"{name} output {k}")
            np.testing.assert_array_equal(y, host.get_tensor(host.get_output_details()[k]["index"]))
        assert board.last_counters == [{c: row[c] for c in p.COUNTER_FIELDS} for row in host.profile()["layers"]]


def test_upload_throughput_and_kws_round_trip(board, capsys):
    # The link's ceiling: 16 KiB frames the board must read in full before
    # refusing them. The machine's speed swings within seconds, so a probe runs
    # after every chunk and both rates are taken over the same stretch of time.
    junk = np.random.default_rng(0).integers(0, 256, 16384, dtype=np.uint8).tobytes()
    probes = []

    def probe(done, total):
        start = time.perf_counter()
        with pytest.raises(BoardError, match="BAD_PAYLOAD"):
            board.request(p.HELLO, junk)
        probes.append(time.perf_counter() - start)
    blob = blob_of("kws_ref_model")
    start = time.perf_counter()
    assert board.load(blob, force=True, progress=probe) == len(blob)
    rate = len(blob) / (time.perf_counter() - start - sum(probes))
    ceiling = len(probes) * len(p.encode_frame(p.HELLO, 0, junk)) / sum(probes)
    board.load(blob_of("kws_ref_model"), progress=False)
    x = golden("kws_ref_model")["input_0"]
    times = []
    for _ in range(30):
        start = time.perf_counter()
        board.invoke([x])
        times.append(time.perf_counter() - start)
    with capsys.disabled():
        print(f"\n[board] upload {rate / 1e3:.1f} kB/s = {rate / ceiling:.0%} of the link's "
              f"{ceiling / 1e3:.1f} kB/s; kws round trip median {statistics.median(times) * 1e3:.1f}"
              f" ms, {board.last_instructions:,} instructions")
    assert rate >= 0.75 * ceiling


def test_corrupted_chunks_are_resent(board):
    blob = blob_of("kws_ref_model")
    with through_proxy(board, flip=2e-4, seed=3) as (lossy, proxy):
        bad_before = lossy.stats()["frames_bad"]
        lossy.load(blob, force=True, progress=False, chunk_size=1024)
        stats = lossy.stats()
        assert proxy.counts[UP]["flipped"] > 0 and stats["frames_bad"] > bad_before
        assert lossy.host_stats["resends"] > 0
        assert lossy.info()["model_crc"] == zlib.crc32(blob)
    assert_runs(board, "kws_ref_model")


def test_garbage_between_frames(board):
    board.load(blob_of("kws_ref_model"), progress=False)
    rng = np.random.default_rng(5)
    garbage = [b"\x7e\x7d\x7e", b"\x7d", rng.bytes(300), b"\x7e" + rng.bytes(40) + b"\x7e"]
    bad = board.stats()["frames_bad"]
    for g in garbage:
        board.port.write(g)
        assert_runs(board, "kws_ref_model")
    assert board.stats()["frames_bad"] > bad
    with through_proxy(board) as (lossy, proxy):
        lossy.load(blob_of("kws_ref_model"), progress=False)
        for g in garbage:
            proxy.inject(DOWN, g)
            time.sleep(0.05)  # let it arrive before the request, so it lies between frames
            assert_runs(lossy, "kws_ref_model")
        assert lossy.decoder.dropped > 0  # the host saw the garbage and dropped it


class Interrupt(Exception):
    pass


def test_upload_cut_midway_keeps_old_model_and_resumes(board):
    board.load(blob_of("kws_ref_model"), progress=False)
    new = blob_of("micro_speech_quantized")
    with through_proxy(board) as (lossy, proxy):
        def cut_at_8k(done, total):
            if done >= 8192:
                proxy.cut(after=300)  # the next chunk frame dies mid-frame
        with pytest.raises(BoardError):
            lossy.load(new, chunk_size=1024, progress=cut_at_8k)
    assert_runs(board, "kws_ref_model")  # the old model still answers
    sent = board.load(new, chunk_size=1024, progress=False)
    assert 0 < sent <= len(new) - 8192  # resumed, not restarted
    assert_runs(board, "micro_speech_quantized")


def test_upload_interrupted_by_reset(board):
    board.load(blob_of("micro_speech_quantized"), progress=False)
    old_crc = zlib.crc32(blob_of("micro_speech_quantized"))

    def reset_at_8k(done, total):
        if done >= 8192:
            board.qemu.system_reset()
            raise Interrupt
    with pytest.raises(Interrupt):
        board.load(blob_of("kws_ref_model"), chunk_size=2048, progress=reset_at_8k)
    info = board.info()
    assert not info["model_loaded"] or info["model_crc"] == old_crc
    board.load(blob_of("kws_ref_model"), progress=False)
    assert_runs(board, "kws_ref_model")


def patched(blob, *fields, fix_crc=True):
    """blob with (offset, struct format, value) fields overwritten."""
    b = bytearray(blob)
    for offset, layout, value in fields:
        struct.pack_into(layout, b, offset, value)
    if fix_crc:
        struct.pack_into("<I", b, 12, zlib.crc32(b[16:]))
    return bytes(b)


def test_refusals_keep_the_previous_model(board):
    board.load(blob_of("kws_ref_model"), progress=False)
    info = board.info()
    small = blob_of("hello_world_int8")
    big = small + bytes(info["max_blob_bytes"] + 16 - len(small))
    cases = {  # expected status: (blob, status the board gives with host checks off)
        "CRC": (patched(small, (200, "<B", small[200] ^ 0x5A), fix_crc=False), "CRC"),
        "MAGIC": (patched(small, (0, "<I", 0x12345678)), "MAGIC"),
        "VERSION": (patched(small, (4, "<H", 1)), "VERSION"),  # format 1: the old weight coder
        "TOO_LARGE": (patched(big, (8, "<I", len(big))), "TOO_LARGE"),
        "SCRATCH": (patched(small, (20, "<I", info["scratchpad_capacity"] + 16)), "SCRATCH"),
        "CONFIG_MISMATCH": (patched(small, (32, "<I", 2 * info["scratchpad_capacity"])),
                            "CONFIG_MISMATCH"),
        # a weight buffer larger than the board's (INFO weight_buffer_capacity, 16 KiB)
        "CONFIG_MISMATCH  ": (patched(small, (64, "<I", info["weight_buffer_capacity"] + 16)),
                              "CONFIG_MISMATCH"),
        # Only the host refuses a different MAC array: the board would run it.
        "CONFIG_MISMATCH ": (patched(small, (36, "<I", info["npu"]["macs_per_cycle"] // 2)), None),
    }
    refused = board.stats()["loads_refused"]
    for status, (blob, board_status) in cases.items():
        with pytest.raises(BlobError) as e:
            board.load(blob, progress=False)
        assert e.value.status == status.strip(), str(e.value)
        if board_status is None:
            continue
        with pytest.raises(BlobError) as e:
            board.load(blob, check=False, progress=False)
        assert e.value.status == board_status, str(e.value)
        refused += 1
        assert board.stats()["loads_refused"] == refused
        assert_runs(board, "kws_ref_model")


def test_records_beyond_the_boards_area_are_refused(board):
    """The board unpacks a blob's records into a fixed area per slot: a valid blob whose
    records need more (here 3,600 extra one-byte tensors) is refused, the old model kept."""
    board.load(blob_of("kws_ref_model"), progress=False)
    small = blob_of("hello_world_int8")
    tensors, _ = fmt.unpack_records(small)
    extra = (fmt.DTYPE_CODES["int8"], fmt.LOC_SCRATCH, 1, 0, 1, 1, 1, 1, 0, 1, 0)
    many = fmt.with_records(small, tensors=tensors + [extra] * 3600)
    edge_dla.Interpreter(model_content=many)  # the host core takes it
    with pytest.raises(BlobError) as e:
        board.load(many, progress=False)
    assert e.value.status == "TOO_LARGE" and "records" in str(e.value), str(e.value)
    assert_runs(board, "kws_ref_model")


def test_decode_cache_belongs_to_the_active_model(board):
    """Compressed weights are decoded once, at LOAD_COMMIT, into the board's DDR; INVOKE
    copies them and reports the counters of the NPU's decoder. A refused upload keeps
    the active model's cache, a committed one replaces it."""
    # Without activation sparsity, whose scalar counting walk of the sparse layers would
    # dominate the count this test bounds.
    vww = edge_dla.convert(model_bytes("vww_96_int8"), activation_sparsity=False)
    resnet = blob_of("pretrainedResnet_quant")
    for blob in (vww, resnet):
        assert any(layer["op"] == "DMA_DECODE" for layer in edge_dla.inspect(blob)["layers"])

    def run(name, blob, k):
        board.load(blob, progress=False)
        (y,) = board.invoke([golden(name)[f"input_{k}"]])
        np.testing.assert_array_equal(y, golden(name)[f"output_{k}"])
        host = edge_dla.Interpreter(model_content=blob)
        host.set_tensor(host.get_input_details()[0]["index"], golden(name)[f"input_{k}"])
        host.invoke()
        assert board.last_counters == [{c: row[c] for c in p.COUNTER_FIELDS} for row in host.profile()["layers"]]
        return board.last_instructions

    first = run("vww_96_int8", vww, 0)
    # Decoding vww's weight streams on every inference took ~16M of 29.9M.
    assert first < 20_000_000
    with pytest.raises(BlobError):
        board.load(patched(resnet, (300, "<B", resnet[300] ^ 1), fix_crc=False), check=False,
                   progress=False)
    assert run("vww_96_int8", vww, 0) == first
    run("pretrainedResnet_quant", resnet, 1)
    assert run("vww_96_int8", vww, 2) > 0
    assert run("vww_96_int8", vww, 0) == first


def test_fault_injection_200_kws_inferences(board, capsys):
    blob, g = blob_of("kws_ref_model"), golden("kws_ref_model")
    # Per-byte rates: 1 flip, 0.5 drop, 0.5 insert per 10 kB, both ways;
    # a kws INVOKE exchange is ~0.8 kB, so about one in six sees a fault.
    with through_proxy(board, flip=1e-4, drop=5e-5, insert=5e-5, seed=11) as (lossy, proxy):
        lossy.load(blob, force=True, progress=False)
        wrong = 0
        for i in range(200):
            k = i % 6
            (y,) = lossy.invoke([g[f"input_{k}"]])
            wrong += not np.array_equal(y, g[f"output_{k}"])
            if i % 50 == 25:
                proxy.inject(DOWN, os.urandom(64))
                proxy.inject(UP, os.urandom(64))
        faults = proxy.totals()
        with capsys.disabled():
            print(f"\n[board] fault proxy, 200 kws inferences: {wrong} wrong accepted; injected "
                  f"{faults['flipped']} flips, {faults['dropped']} drops, {faults['inserted']} "
                  f"inserts in {faults['bytes']} bytes; host {lossy.host_stats['resends']} resends"
                  f" ({lossy.host_stats['timeouts']} after a timeout), bad frames "
                  f"{lossy.decoder.bad}; board {lossy.stats()}")
        assert wrong == 0
        assert faults["flipped"] + faults["dropped"] + faults["inserted"] >= 10
        assert lossy.host_stats["resends"] > 0


def test_cli_deploy_and_status(board, capsys):
    from edge_dla.cli import main
    path = MODELS / "hello_world_int8.tflite"
    board.disconnect()
    try:
        assert main(["deploy", str(path), "--board", board.url]) == 0
        assert main(["board", "status", "--board", board.url]) == 0
    finally:
        board.reconnect()
    out = capsys.readouterr().out
    assert "deployed" in out and f"{zlib.crc32(blob_of('hello_world_int8')):#010x}" in out
    assert_runs(board, "hello_world_int8")


def test_launch_and_close_leave_no_process():
    with Board.launch() as b:
        proc = b.qemu.proc
        assert b.info()["protocol_version"] == p.PROTOCOL_VERSION
    assert proc.returncode is not None and not os.path.exists(f"/proc/{proc.pid}")


def test_missing_firmware_is_a_clear_error(tmp_path):
    with pytest.raises(BoardError, match="make -C firmware"):
        Board.launch(firmware=tmp_path / "nope.elf")
