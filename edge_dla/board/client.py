"""Host side of the board link: a request/response engine over any pyserial port.

    with Board.launch() as board:            # QEMU mps3-an547 running the firmware
        board.load(blob)
        outputs = board.invoke([x])

One request is in flight at a time. Each request gets a fresh seq; the board
answers a repeated seq from its stored reply, so resending the same frame on a
timeout or a corrupted reply is always safe (an INVOKE never runs twice).
"""

import random
import sys
import time
import zlib
from typing import NamedTuple

import numpy as np
import serial

from .. import blob as fmt
from ..errors import BlobError, BoardError, BoardTimeout, InputError, ProtocolError
from . import protocol as p

# Link rate assumed for socket:// (QEMU's UART manages ~20-50 KB/s); a serial
# device runs at baudrate / 10. Timeouts allow twice the time at this rate.
SOCKET_BYTES_PER_S = 20000
# Statuses that mean "this blob is refused", as opposed to a link or usage error.
BLOB_REFUSALS = {"TOO_LARGE", "CONFIG_MISMATCH"}


class TensorSpec(NamedTuple):
    shape: tuple
    dtype: np.dtype  # sent little-endian

    @property
    def nbytes(self):
        return int(np.prod(self.shape)) * self.dtype.itemsize


class ModelIO(NamedTuple):
    """The model's inputs and outputs: the board sends raw bytes only."""
    inputs: list
    outputs: list

    @classmethod
    def from_blob(cls, blob):
        info = fmt.read_blob(blob)
        spec = lambda i: TensorSpec(tuple(info["tensors"][i]["shape"]),
                                    np.dtype(info["tensors"][i]["dtype"]))
        return cls([spec(i) for i in info["inputs"]], [spec(i) for i in info["outputs"]])


class Board:
    def __init__(self, port, *, timeout=2.0, retries=5, url=None, qemu=None, model_io=None,
                 link_bytes_per_s=SOCKET_BYTES_PER_S):
        """Wrap an open pyserial-like port (write, read, timeout, close)."""
        self._port = port
        self.url = url
        self.qemu = qemu  # the emulator this Board started, stopped by close()
        self.timeout = timeout  # per attempt, on top of the time the bytes need on the wire
        self.retries = retries
        self.link_bytes_per_s = link_bytes_per_s
        self.model_io = model_io  # blob.ModelIO; set by load()
        self.last_counters = []
        self.last_instructions = None
        self.host_stats = {"requests": 0, "resends": 0, "timeouts": 0, "stale_replies": 0,
                           "bytes_sent": 0, "bytes_received": 0}
        self.decoder = p.FrameDecoder()
        # A random start makes a new session unlikely to reuse the seq the board
        # remembers, the first half of its duplicate test (type and CRC the rest).
        self._seq = random.randrange(1 << 16)

    @property
    def port(self):
        """The open pyserial port (tests write raw bytes to it)."""
        return self._port

    # ---- lifecycle -----------------------------------------------------
    @classmethod
    def connect(cls, url, *, timeout=2.0, baudrate=115200, retries=5, handshake=True, **kwargs):
        """Open any pyserial URL (socket://HOST:PORT, /dev/ttyACM0, ...) and say HELLO."""
        try:
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout,
                                         write_timeout=timeout)
        except (serial.SerialException, ValueError) as e:
            raise BoardError(f"cannot open {url}: {e}") from None
        if "://" not in url:  # a real UART: 10 bits per byte
            kwargs.setdefault("link_bytes_per_s", baudrate / 10)
        board = cls(port, timeout=timeout, retries=retries, url=url, **kwargs)
        if handshake:
            try:
                board.hello()
            except BaseException:
                board.close()
                raise
        return board

    @classmethod
    def launch(cls, firmware=None, *, timeout=2.0, monitor=True, **kwargs):
        """Boot the firmware in QEMU and connect to it; close() stops QEMU."""
        from .qemu import Qemu

        qemu = Qemu(firmware, monitor=monitor)
        qemu.start()
        try:
            port = qemu.open_serial(timeout)
            board = cls(port, timeout=timeout, url=qemu.url, qemu=qemu, **kwargs)
            board.wait_boot(timeout=max(timeout, 10.0))
            board.hello()
        except BaseException:
            qemu.stop()
            raise
        return board

    def reconnect(self, timeout=10.0):
        """Drop the connection and open the same URL again (the board keeps running)."""
        baudrate = getattr(self._port, "baudrate", 115200)
        self.disconnect()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._port = serial.serial_for_url(self.url, baudrate=baudrate,
                                                   timeout=self.timeout, write_timeout=self.timeout)
                break
            except serial.SerialException as e:
                if time.monotonic() > deadline:
                    raise BoardError(f"cannot reconnect to {self.url}: {e}") from None
                time.sleep(0.05)
        self.decoder = p.FrameDecoder()
        self.hello()

    def disconnect(self):
        """Close the link only: a board this Board launched keeps running."""
        if self._port is not None:
            try:
                self._port.close()
            except Exception:  # closing a dead link must not hide the error that killed it
                pass
            self._port = None

    def close(self):
        self.disconnect()
        if self.qemu is not None:
            self.qemu.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- request engine ------------------------------------------------
    def _next_seq(self):
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def _read_some(self, deadline):
        """Block for the first byte until the deadline, then take whatever else is there."""
        left = deadline - time.monotonic()
        if left <= 0:
            return b""
        try:
            self._port.timeout = left
            data = self._port.read(1)
            if data:
                # socket:// reports at most one byte in in_waiting, so drain with
                # a zero-timeout read instead of asking how much there is.
                self._port.timeout = 0
                data += self._port.read(1 << 16)
        except serial.SerialException as e:
            raise BoardError(f"link to {self.url or 'board'} failed: {e}") from None
        self.host_stats["bytes_received"] += len(data)
        return data

    def wait_boot(self, timeout=10.0):
        """Wait for the firmware's unsolicited boot HELLO."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self.decoder.feed(self._read_some(deadline)):
                if frame.type == p.HELLO | p.REPLY:
                    return p.unpack_hello(frame.payload)
        raise BoardTimeout(f"no boot HELLO from {self.url} within {timeout:.1f} s")

    def request(self, type, payload=b"", *, timeout=None, reply_bytes=64):
        """Send one request and return the reply payload, resending on loss or corruption.

        timeout is per attempt, plus twice the time request and reply
        (reply_bytes, an estimate) need at link_bytes_per_s.
        """
        if self._port is None:
            raise BoardError("board connection is closed")
        name = p.COMMAND_NAMES.get(type, f"command {type:#04x}")
        seq = self._next_seq()
        frame = p.encode_frame(type, seq, payload)
        per_attempt = (self.timeout if timeout is None else timeout) + \
            2 * (len(frame) + reply_bytes) / self.link_bytes_per_s
        self.host_stats["requests"] += 1
        bad_before = None
        for attempt in range(self.retries + 1):
            if attempt:
                self.host_stats["resends"] += 1
            try:
                self._port.write_timeout = per_attempt
                self._port.write(frame)
            except serial.SerialException as e:
                raise BoardError(f"{name}: writing to {self.url or 'board'} failed: {e}") from None
            self.host_stats["bytes_sent"] += len(frame)
            bad_before = self.decoder.dropped
            deadline = time.monotonic() + per_attempt
            reply = None
            while reply is None and time.monotonic() < deadline:
                for f in self.decoder.feed(self._read_some(deadline)):
                    if f.seq == seq and f.type in (type | p.REPLY, p.ERROR):
                        reply = f
                    else:  # a late reply to an earlier request, or the boot HELLO
                        self.host_stats["stale_replies"] += 1
                # A corrupted frame may have been our reply: resend now rather
                # than waiting out the deadline (a duplicate is answered from
                # the board's stored reply).
                if reply is None and self.decoder.dropped != bad_before:
                    break
            if reply is not None:
                if reply.type == p.ERROR:
                    code, status, message = p.unpack_error(reply.payload)
                    err = BoardError(f"{name} refused by the board: {status}: {message}")
                    err.status, err.code = status, code
                    raise err
                return reply.payload
            if self.decoder.dropped == bad_before:
                self.host_stats["timeouts"] += 1
        if self.decoder.dropped != bad_before:
            raise ProtocolError(f"{name}: reply still corrupted after {self.retries + 1} attempts "
                                f"(bad frames: {self.decoder.bad})")
        raise BoardTimeout(f"{name}: no reply from {self.url or 'board'} after "
                           f"{self.retries + 1} attempts of {per_attempt:.1f} s")

    def _call(self, type, payload=b"", unpack=None, **kw):
        reply = self.request(type, payload, **kw)
        if unpack is None:
            return reply
        try:
            return unpack(reply)
        except ValueError as e:
            raise ProtocolError(str(e)) from None

    # ---- commands --------------------------------------------------------
    def hello(self, timeout=None):
        hello = self._call(p.HELLO, unpack=p.unpack_hello, timeout=timeout)
        if hello["protocol_version"] != p.PROTOCOL_VERSION:
            raise BoardError(f"board speaks protocol {hello['protocol_version']}, "
                             f"host speaks {p.PROTOCOL_VERSION}")
        return hello

    def info(self, timeout=None):
        return self._call(p.INFO, unpack=p.unpack_info, timeout=timeout)

    def stats(self, timeout=None):
        return self._call(p.STATS, unpack=p.unpack_stats, timeout=timeout)

    def reset(self, timeout=None):
        """Drop an unfinished upload; the committed model stays."""
        self._call(p.RESET, timeout=timeout)

    @staticmethod
    def check_blob(blob, info):
        """Refuse on the host what the board would refuse after a slow upload."""
        h = fmt.read_header(blob)  # magic, version, truncation, CRC
        if h.total_size != len(blob):
            raise BlobError(f"blob header says {h.total_size} bytes, got {len(blob)}",
                            status="TRUNCATED")
        if len(blob) > info["max_blob_bytes"]:
            raise BlobError(f"blob of {len(blob)} bytes exceeds the board's "
                            f"{info['max_blob_bytes']}-byte model slot", status="TOO_LARGE")
        if h.scratchpad_required > info["scratchpad_capacity"]:
            raise BlobError(f"blob needs {h.scratchpad_required} bytes of scratchpad, "
                            f"the board has {info['scratchpad_capacity']}", status="SCRATCH")
        if h.npu.get("weight_buffer_capacity", 0) > info["weight_buffer_capacity"]:
            raise BlobError(f"blob is built for a {h.npu['weight_buffer_capacity']}-byte NPU weight buffer, "
                            f"the board has {info['weight_buffer_capacity']}", status="CONFIG_MISMATCH")
        # A blob planned for a smaller scratchpad runs on a larger one (the
        # board refuses only a larger one); the other fields describe the NPU
        # itself (MAC array, DMA rates, clock) and must be the board's.
        diff = [f"{k} {h.npu[k]} (board {v})" for k, v in info["npu"].items()
                if (h.npu[k] > v if k == "scratchpad_capacity" else h.npu[k] != v)]
        if diff:
            raise BlobError("blob was built for another NPU configuration: " + ", ".join(diff),
                            status="CONFIG_MISMATCH")
        return h

    def load(self, blob, *, progress=True, chunk_size=None, check=True, force=False,
             model_io=None, timeout=None):
        """Upload and commit a blob, resuming an interrupted upload of the same blob.

        progress: True draws a bar on stderr if it is a terminal, "always"
        draws it anyway, a callable gets (bytes_done, total). check=False skips
        the host-side checks so the board's own refusals can be tested. Unless
        force, a blob the board already runs (same CRC32 and size) is not sent.
        Returns the number of bytes sent.
        """
        blob = bytes(blob)
        info = self.info(timeout=timeout)
        if check:
            self.check_blob(blob, info)
        try:
            io = model_io or ModelIO.from_blob(blob)
        except Exception:
            if check:
                raise
            io = None  # a deliberately broken blob: the board will say what is wrong
        total, crc = len(blob), zlib.crc32(blob)
        if (not force and info["model_loaded"] and info["model_crc"] == crc
                and info["model_bytes"] == total):
            self.model_io = io
            return 0
        if chunk_size is None:
            chunk_size = 4096
        chunk_size = max(1, min(chunk_size, info["max_payload"] - 4))
        report = _progress(progress, total)
        try:
            offset = self._load_call(p.LOAD_BEGIN, p.pack_load_begin(total, crc), timeout)
            start = offset
            report(offset)
            while offset < total:
                chunk = blob[offset:offset + chunk_size]
                nxt = self._load_call(p.LOAD_CHUNK, p.pack_load_chunk(offset, chunk), timeout)
                if nxt != offset + len(chunk):
                    raise ProtocolError(f"LOAD_CHUNK at {offset}: board expects {nxt} next, "
                                        f"not {offset + len(chunk)}")
                offset = nxt
                report(offset)
            model_crc = self._load_call(p.LOAD_COMMIT, b"", timeout)
        finally:
            report(None)
        if model_crc != crc:
            raise ProtocolError(f"LOAD_COMMIT: board committed CRC {model_crc:#010x}, "
                                f"sent {crc:#010x}")
        self.model_io = io
        return total - start

    def _load_call(self, type, payload, timeout):
        try:
            return self._call(type, payload, unpack=lambda r: p.unpack_u32(r, "LOAD"),
                              timeout=timeout)
        except BoardError as e:
            status = getattr(e, "status", None)
            if status in BLOB_REFUSALS or (getattr(e, "code", 100) < 100):
                raise BlobError(str(e), status=status) from None
            raise

    def invoke(self, inputs, timeout=None):
        """Run the loaded model once; returns the outputs as arrays in output order."""
        io = self.model_io
        if io is None:
            raise BoardError("model I/O shapes unknown: load() the blob first, or pass model_io=")
        if isinstance(inputs, np.ndarray):
            inputs = [inputs]
        if len(inputs) != len(io.inputs):
            raise InputError(f"model takes {len(io.inputs)} input(s), got {len(inputs)}")
        parts = []
        for i, (x, spec) in enumerate(zip(inputs, io.inputs)):
            x = np.asarray(x)
            if x.dtype != spec.dtype or x.shape != spec.shape:
                raise InputError(f"input {i}: expected {spec.dtype} {list(spec.shape)}, "
                                 f"got {x.dtype} {list(x.shape)}")
            parts.append(np.ascontiguousarray(x, spec.dtype.newbyteorder("<")).tobytes())
        out_sizes = [s.nbytes for s in io.outputs]
        reply = self.request(p.INVOKE, b"".join(parts), timeout=timeout,
                             reply_bytes=16 + sum(out_sizes) + p.COUNTER_BYTES * 64)
        try:
            outs, counters, instructions = p.unpack_invoke(reply, out_sizes)
        except ValueError as e:
            raise ProtocolError(f"INVOKE: {e}") from None
        self.last_counters, self.last_instructions = counters, instructions
        return [np.frombuffer(b, s.dtype.newbyteorder("<")).astype(s.dtype).reshape(s.shape)
                for b, s in zip(outs, io.outputs)]


def _progress(progress, total):
    """A report(done) function; report(None) ends the bar."""
    if callable(progress):
        return lambda done: None if done is None else progress(done, total)
    if progress == "always" or (progress and sys.stderr.isatty()):
        start, first = time.monotonic(), []

        def bar(done):
            if done is None:
                sys.stderr.write("\n")
                return
            first.append(done)  # a resumed upload starts past 0: rate counts what was sent
            frac = done / total if total else 1.0
            rate = (done - first[0]) / max(time.monotonic() - start, 1e-6) / 1024
            sys.stderr.write(f"\rupload [{'#' * int(30 * frac):<30}] {100 * frac:5.1f}% "
                             f"{done}/{total} B {rate:6.1f} KiB/s")
            sys.stderr.flush()
        return bar
    return lambda done: None
