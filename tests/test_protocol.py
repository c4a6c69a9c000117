"""Board link codec and request engine, without a board: pure Python, fast."""

import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_dla import blob as fmt
from edge_dla.blob import VERSION_MAJOR
from edge_dla.board import protocol as p
from edge_dla.board.client import Board, ModelIO, TensorSpec
from edge_dla.errors import BlobError, BoardError, BoardTimeout, InputError, ProtocolError


def decode_all(data, decoder=None):
    return (decoder or p.FrameDecoder()).feed(data)


def raw_frame(type, seq, payload, length=None, crc=None):
    """An encoded frame with a chosen (possibly wrong) length field or CRC."""
    body = p.HEADER.pack(type, 0, seq, len(payload) if length is None else length) + payload
    body += struct.pack("<I", zlib.crc32(body) if crc is None else crc)
    return b"\x7e" + p.stuff(body) + b"\x7e"


# ---- framing ------------------------------------------------------------

@pytest.mark.parametrize("payload", [b"", b"\x7e", b"\x7d", b"\x7e\x7d" * 100, bytes(range(256)),
                                     bytes(p.MAX_PAYLOAD)])
def test_round_trip(payload):
    frames = decode_all(p.encode_frame(0x20, 0x1234, payload))
    assert frames == [p.Frame(0x20, 0x1234, payload)]


def test_payload_above_max_is_not_encoded():
    with pytest.raises(ValueError):
        p.encode_frame(0x11, 1, bytes(p.MAX_PAYLOAD + 1))


def test_split_at_every_byte_boundary():
    frames = [p.Frame(0x01, 0x7E7D, b""), p.Frame(0x81, 2, b"\x7d\x7eabc"),
              p.Frame(0x20, 0xFFFF, bytes(range(200)))]
    stream = b"".join(p.encode_frame(f.type, f.seq, f.payload) for f in frames)
    for i in range(len(stream) + 1):
        for j in range(i, len(stream) + 1, 7):
            d = p.FrameDecoder()
            assert d.feed(stream[:i]) + d.feed(stream[i:j]) + d.feed(stream[j:]) == frames, (i, j)
    d = p.FrameDecoder()
    assert [f for b in stream for f in d.feed(bytes([b]))] == frames
    assert d.dropped == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=40), st.binary(max_size=300)), max_size=6),
       st.integers(1, 50))
def test_garbage_between_frames_is_dropped(items, cut):
    """Any bytes between frames, 0x7E and 0x7D included, cost no valid frame."""
    frames, stream = [], b""
    for i, (garbage, payload) in enumerate(items):
        frames.append(p.Frame(0x81, i, payload))
        stream += garbage + p.encode_frame(0x81, i, payload)
    d = p.FrameDecoder()
    got = [f for k in range(0, len(stream), cut) for f in d.feed(stream[k:k + cut])]
    assert got == frames


def test_escape_bytes_in_length_seq_and_crc():
    # Lengths 0x7D/0x7E and seq 0x7E7D put special bytes in the header; the
    # searched payload puts both in the CRC.
    def crc_bytes(payload):
        return struct.pack("<I", zlib.crc32(p.HEADER.pack(0x11, 0, 0x7E7D, len(payload)) + payload))
    n = next(n for n in range(1 << 20) if {0x7D, 0x7E} <= set(crc_bytes(n.to_bytes(4, "little"))))
    for payload in (bytes(125), bytes(126), bytes(0x7E7D), n.to_bytes(4, "little")):
        assert decode_all(p.encode_frame(0x11, 0x7E7D, payload)) == [p.Frame(0x11, 0x7E7D, payload)]


def test_bad_frames_are_dropped_and_counted():
    good = p.encode_frame(0x81, 5, b"ok")
    d = p.FrameDecoder()
    stream = (raw_frame(0x81, 1, b"x" * 10, length=p.MAX_PAYLOAD + 1)  # oversized length
              + raw_frame(0x81, 2, b"abc", length=4)  # length disagrees with size
              + raw_frame(0x81, 3, b"abc", crc=0)  # bad CRC
              + b"\x7e\x01\x02\x7e"  # short
              + b"\x7e\x01\x7d\x7e"  # dangling escape
              + good)
    assert d.feed(stream) == [p.Frame(0x81, 5, b"ok")]
    assert d.bad == {"oversized": 1, "length": 1, "crc": 1, "short": 1, "escape": 1}


def test_endless_frame_is_dropped_not_buffered():
    d = p.FrameDecoder()
    d.feed(b"\x7e" + b"\x00" * (p.FrameDecoder.MAX_STUFFED + 1))
    assert d.bad["oversized"] == 1 and len(d._buf) == 0
    assert d.feed(p.encode_frame(0x81, 1, b"x")) == [p.Frame(0x81, 1, b"x")]


def test_no_single_byte_error_yields_a_wrong_frame():
    frame = p.encode_frame(0xA0, 0x0102, bytes(range(64)))
    for i in range(len(frame)):
        for x in (0x01, 0x20, 0x80, 0xFF):
            bad = bytearray(frame)
            bad[i] ^= x
            for f in decode_all(bytes(bad) + frame[-1:]):
                assert f == p.Frame(0xA0, 0x0102, bytes(range(64)))  # only if the flip was a no-op


# ---- payloads -------------------------------------------------------------

def test_info_and_invoke_payloads():
    vals = [1, 0x010203, 512 * 1024, 400_000, 65536, 524288, 64, 256, 128, 500_000, 100, 1, 7, 9,
            2, 1]
    info = p.unpack_info(struct.pack(f"<{len(vals)}I", *vals))
    assert info["firmware_version_str"] == "1.2.3" and info["npu"]["macs_per_cycle"] == 64
    assert info["model_loaded"] and info["n_outputs"] == 1
    reply = struct.pack("<IIQ", 2, 2, 12345) + b"abc" + b"de" + struct.pack("<10I", *range(10))
    outs, counters, instr = p.unpack_invoke(reply, [3, 2])
    assert outs == [b"abc", b"de"] and instr == 12345
    assert counters[1] == {"macs": 5, "macs_skipped": 6, "dma_bytes": 7, "cycles": 8, "macs_skipped_act": 9}
    with pytest.raises(ValueError):
        p.unpack_invoke(reply, [4, 2])
    assert p.unpack_error(struct.pack("<I", 106) + b"bad") == (106, "CRC_MISMATCH", "bad")
    assert p.status_name(12) == "SCRATCH"


# ---- a synthetic blob and an in-memory board --------------------------------

NPU = dict(zip(p.NPU_FIELDS, (256 * 1024, 64, 256, 128, 500_000, 100)))


def make_blob(in_shape=(1, 4), out_shape=(1, 4), out_dtype=1, scratch=64, npu=NPU, pad=0):
    """A blob with a valid header, TENSORS and IO sections and no ops (pad: that many bytes
    more, as constants): the fake board runs it."""
    def tensor(dtype, shape):
        dims = list(shape) + [1] * (4 - len(shape))
        return fmt.pack_tensor((dtype, 0, len(shape), 0, *dims, 0, int(np.prod(shape)) * (4 if dtype == 2 else 1), -3))
    sections = [(fmt.SEC_TENSORS, tensor(1, in_shape) + tensor(out_dtype, out_shape), 2), (fmt.SEC_OPS, b"", 0),
                (fmt.SEC_IO, struct.pack("<2I", 0, 1), 2)] + ([(fmt.SEC_CONST, bytes(pad), 0)] if pad else [])
    return fmt.assemble((b"EDLA", VERSION_MAJOR, fmt.VERSION_MINOR, 0, 0, fmt.HEADER.size, scratch, 1, 1,
                         *npu.values(), 0, 0, 0, 0, 0, 0, 0), sections)  # no NPU weight buffer


class FakeBoard:
    """The board side of docs/protocol.md in Python, with a lossy line.

    INVOKE returns the input bytes plus one (the model is "add 1"). `faults`
    is consumed one entry per reply: "drop", "corrupt", "stale" (a reply with
    an older seq first), "dup" (the reply twice) or None.
    """

    def __init__(self, faults=(), max_blob=4096):
        self.decoder = p.FrameDecoder()
        self.rx = bytearray()
        self.faults = list(faults)
        self.timeout = self.write_timeout = 0
        self.last = None  # (seq, type, encoded reply)
        self.executed = []
        self.max_blob = max_blob
        self.staging = None  # [total, crc, bytearray]
        self.active = None

    # pyserial-like port
    def write(self, data):
        for f in self.decoder.feed(data):
            if self.last and self.last[:2] == (f.seq, f.type):
                reply = self.last[2]
            else:
                reply = self.handle(f)
                self.last = (f.seq, f.type, reply)
            fault = self.faults.pop(0) if self.faults else None
            if fault == "drop":
                continue
            if fault == "corrupt":
                reply = reply[:5] + bytes([reply[5] ^ 0x01]) + reply[6:]
            if fault == "stale":
                self.rx += p.encode_frame(f.type | p.REPLY, (f.seq - 1) & 0xFFFF, b"old")
            self.rx += reply * (2 if fault == "dup" else 1)
        return len(data)

    def read(self, n=1):
        if not self.rx:
            time.sleep(min(self.timeout or 0, 0.002))  # a silent line: let the deadline pass
            return b""
        out = bytes(self.rx[:n])
        del self.rx[:n]
        return out

    def close(self):
        pass

    def handle(self, f):
        self.executed.append(f.type)
        reply = lambda payload=b"": p.encode_frame(f.type | p.REPLY, f.seq, payload)
        error = lambda code, msg: p.encode_frame(p.ERROR, f.seq, struct.pack("<I", code) +
                                                 msg.encode())
        if f.type == p.HELLO:
            return reply(struct.pack("<HH", 1, 0) + b"fake 1.0")
        if f.type == p.INFO:
            active = self.active or b""
            return reply(struct.pack("<16I", 1, 0x10000, NPU["scratchpad_capacity"],
                                     self.max_blob, p.MAX_PAYLOAD, *NPU.values(),
                                     int(bool(active)), zlib.crc32(active), len(active), 1, 1))
        if f.type == p.LOAD_BEGIN:
            total, crc = struct.unpack("<II", f.payload)
            if total > self.max_blob:
                return error(103, f"{total} > {self.max_blob}")
            if not (self.staging and self.staging[:2] == [total, crc]):
                self.staging = [total, crc, bytearray()]
            return reply(struct.pack("<I", len(self.staging[2])))
        if f.type == p.LOAD_CHUNK:
            (offset,) = struct.unpack_from("<I", f.payload)
            if self.staging is None:
                return error(105, "no upload")
            if offset != len(self.staging[2]):
                return error(104, f"expected offset {len(self.staging[2])}")
            self.staging[2] += f.payload[4:]
            return reply(struct.pack("<I", len(self.staging[2])))
        if f.type == p.LOAD_COMMIT:
            total, crc, data = self.staging
            if zlib.crc32(data) != crc:
                return error(106, "crc")
            if data[:4] != b"EDLA":
                return error(4, "bad magic")
            self.active, self.staging = bytes(data), None
            return reply(struct.pack("<I", crc))
        if f.type == p.INVOKE:
            if self.active is None:
                return error(102, "no model")
            out = bytes((b + 1) & 0xFF for b in f.payload)
            return reply(struct.pack("<IIQ", 1, 1, 999) + out + struct.pack("<5I", 1, 2, 3, 4, 5))
        return error(100, "unknown")


def fake_board(**kw):
    port = FakeBoard(**kw)
    return Board(port, timeout=0.05, retries=3), port


# ---- the request engine -----------------------------------------------------

@pytest.mark.parametrize("fault", [None, "drop", "corrupt", "stale", "dup"])
def test_engine_recovers_and_runs_each_request_once(fault):
    board, port = fake_board()
    board.load(make_blob(), progress=False)
    port.faults = [fault, fault]  # the INVOKE's reply, then the reply to its resend
    x = np.arange(4, dtype=np.int8).reshape(1, 4)
    (y,) = board.invoke([x])
    np.testing.assert_array_equal(y, x + 1)
    assert port.executed.count(p.INVOKE) == 1  # a resend is answered from the stored reply
    assert board.host_stats["resends"] == (2 if fault in ("drop", "corrupt") else 0)
    assert board.host_stats["stale_replies"] == (1 if fault == "stale" else 0)
    assert board.last_counters == [{"macs": 1, "macs_skipped": 2, "dma_bytes": 3, "cycles": 4, "macs_skipped_act": 5}]
    assert board.last_instructions == 999
    (y,) = board.invoke([x])  # a late duplicate reply of the last call is not taken for this one
    np.testing.assert_array_equal(y, x + 1)


def test_engine_gives_up_naming_the_command():
    board, _ = fake_board(faults=["drop"] * 10)
    with pytest.raises(BoardTimeout, match="HELLO"):
        board.hello()
    board, _ = fake_board(faults=["corrupt"] * 10)
    with pytest.raises(ProtocolError, match="INFO"):
        board.info()
    assert board.host_stats["resends"] == 3


def test_error_reply_raises_with_status_name():
    board, _ = fake_board()
    board.model_io = ModelIO([TensorSpec((4,), np.dtype(np.int8))], [TensorSpec((4,), np.dtype(np.int8))])
    with pytest.raises(BoardError, match="NO_MODEL") as e:
        board.invoke([np.zeros(4, np.int8)])
    assert e.value.status == "NO_MODEL"


def test_load_resumes_an_interrupted_upload():
    blob = make_blob(pad=3000)
    board, port = fake_board(max_blob=8192)
    seen = []

    class Stop(Exception):
        pass

    def stop_midway(done, total):
        seen.append(done)
        if done >= 1024:
            raise Stop
    with pytest.raises(Stop):
        board.load(blob, progress=stop_midway, chunk_size=512)
    assert port.active is None
    seen.clear()
    assert board.load(blob, progress=lambda d, t: seen.append(d), chunk_size=512) == len(blob) - 1024
    assert seen[0] == 1024 and port.active == blob
    assert board.load(blob, progress=False) == 0  # already running: nothing sent


def test_host_refuses_bad_blobs_before_upload():
    board, port = fake_board(max_blob=4096)
    good = make_blob()

    def patched(offset, fmt, value, fix_crc=True):
        b = bytearray(good)
        struct.pack_into(fmt, b, offset, value)
        if fix_crc:
            struct.pack_into("<I", b, 12, zlib.crc32(b[16:]))
        return bytes(b)
    cases = {
        "MAGIC": patched(0, "<I", 0x12345678),
        "VERSION": patched(4, "<H", 1),
        "CRC": patched(100, "<B", 0x55, fix_crc=False),
        "TOO_LARGE": make_blob(pad=5000),
        "SCRATCH": make_blob(scratch=NPU["scratchpad_capacity"] + 16),
        "CONFIG_MISMATCH": make_blob(npu={**NPU, "macs_per_cycle": 32}),
    }
    for status, blob in cases.items():
        with pytest.raises(BlobError) as e:
            board.load(blob, progress=False)
        assert e.value.status == status, (status, str(e.value))
    assert p.LOAD_BEGIN not in port.executed
    # Unchecked, the board's refusal surfaces as a BlobError too.
    with pytest.raises(BlobError) as e:
        board.load(cases["TOO_LARGE"], check=False, progress=False)
    assert e.value.status == "TOO_LARGE"
    with pytest.raises(BlobError) as e:
        board.load(cases["MAGIC"], check=False, progress=False)
    assert e.value.status == "MAGIC"


def test_model_io_from_blob_and_input_checks():
    io = ModelIO.from_blob(make_blob(in_shape=(1, 2, 2), out_shape=(3,), out_dtype=2))
    assert io.inputs == [TensorSpec((1, 2, 2), np.dtype(np.int8))]
    assert io.outputs[0].dtype == np.int32 and io.outputs[0].nbytes == 12
    board, _ = fake_board()
    board.load(make_blob(), progress=False)
    with pytest.raises(InputError, match="int8"):
        board.invoke([np.zeros((1, 4), np.int32)])
    with pytest.raises(InputError, match="1 input"):
        board.invoke([np.zeros((1, 4), np.int8)] * 2)
