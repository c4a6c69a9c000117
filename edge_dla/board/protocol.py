"""Board link codec (docs/protocol.md): frames and message payloads, no I/O.

Transport-free on purpose: bytes go in, frames come out, so the codec is unit
tested on the host, split at every byte boundary, without a board.
"""

import struct
import zlib
from typing import NamedTuple

FLAG = 0x7E
ESC = 0x7D
MAX_PAYLOAD = 65536
HEADER = struct.Struct("<BBHI")  # type, flags, seq, payload length
OVERHEAD = HEADER.size + 4  # header + CRC32
PROTOCOL_VERSION = 2  # 2: edla_counters gained macs_skipped_act (5 x u32 per layer)

# Request types; a reply is type | REPLY, or ERROR.
HELLO = 0x01
INFO = 0x02
LOAD_BEGIN = 0x10
LOAD_CHUNK = 0x11
LOAD_COMMIT = 0x12
INVOKE = 0x20
RESET = 0x30
STATS = 0x31
REPLY = 0x80
ERROR = 0xFF

COMMAND_NAMES = {
    HELLO: "HELLO", INFO: "INFO", LOAD_BEGIN: "LOAD_BEGIN", LOAD_CHUNK: "LOAD_CHUNK",
    LOAD_COMMIT: "LOAD_COMMIT", INVOKE: "INVOKE", RESET: "RESET", STATS: "STATS",
}

# Below 100: the C core's edla_status (native/include/edla.h); above: the board's.
STATUS_NAMES = {
    0: "OK", 1: "NULL", 2: "ALIGN", 3: "TRUNCATED", 4: "MAGIC", 5: "VERSION", 6: "CRC",
    7: "SECTION", 8: "TENSOR", 9: "OP", 10: "OPERAND", 11: "PARAM", 12: "SCRATCH",
    13: "CONFIG", 14: "IO",
    100: "UNKNOWN_COMMAND", 101: "BAD_PAYLOAD", 102: "NO_MODEL", 103: "TOO_LARGE",
    104: "BAD_OFFSET", 105: "NO_UPLOAD", 106: "CRC_MISMATCH", 107: "CONFIG_MISMATCH",
}

NPU_FIELDS = ("scratchpad_capacity", "macs_per_cycle", "flash_bytes_per_cycle_q8",
              "ext_bytes_per_cycle_q8", "clock_khz", "op_overhead_cycles")
COUNTER_FIELDS = ("macs", "macs_skipped", "dma_bytes", "cycles", "macs_skipped_act")  # edla_counters
COUNTER_BYTES = 4 * len(COUNTER_FIELDS)


def status_name(code):
    return STATUS_NAMES.get(code, f"STATUS_{code}")


class Frame(NamedTuple):
    type: int
    seq: int
    payload: bytes
    flags: int = 0


def stuff(data):
    # ESC first, so the escapes added for FLAG are not escaped again.
    return data.replace(b"\x7d", b"\x7d\x5d").replace(b"\x7e", b"\x7d\x5e")


def unstuff(data):
    """Undo byte stuffing; None if an escape is dangling or escapes a non-special byte."""
    if ESC not in data:
        return data
    parts = data.split(b"\x7d")
    out = bytearray(parts[0])
    for part in parts[1:]:
        if not part or part[0] not in (0x5D, 0x5E):
            return None
        out.append(part[0] ^ 0x20)
        out += part[1:]
    return bytes(out)


def encode_frame(type, seq, payload=b"", flags=0):
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds MAX_PAYLOAD {MAX_PAYLOAD}")
    body = HEADER.pack(type, flags, seq & 0xFFFF, len(payload)) + bytes(payload)
    body += struct.pack("<I", zlib.crc32(body))
    return b"\x7e" + stuff(body) + b"\x7e"


class FrameDecoder:
    """Incremental decoder: feed() any byte split, get the complete valid frames.

    Every FLAG starts a new frame whatever came before, so garbage resyncs on
    the next delimiter. Bad frames are dropped and counted by reason; the
    request engine reacts to `dropped` growing by resending early.
    """

    # Longest stuffed frame: every byte escaped. Beyond that without a FLAG,
    # the bytes cannot be a frame, so they are dropped rather than buffered.
    MAX_STUFFED = 2 * (OVERHEAD + MAX_PAYLOAD)

    def __init__(self, max_payload=MAX_PAYLOAD):
        self.max_payload = max_payload
        self._buf = bytearray()
        self._in_frame = False  # a FLAG was seen: _buf is a frame candidate
        self.frames = 0
        self.bad = {"short": 0, "oversized": 0, "length": 0, "escape": 0, "crc": 0}
        self.garbage_bytes = 0  # bytes before any FLAG

    @property
    def dropped(self):
        return sum(self.bad.values())

    def feed(self, data):
        frames = []
        self._buf += data
        while True:
            end = self._buf.find(FLAG)
            if end < 0:
                break
            chunk = bytes(self._buf[:end])
            del self._buf[:end + 1]
            if self._in_frame:
                if chunk:  # 7E 7E is an empty frame: ignored, not counted
                    frame = self._decode(chunk)
                    if frame is not None:
                        frames.append(frame)
            else:
                self.garbage_bytes += len(chunk)
            self._in_frame = True
        if len(self._buf) > self.MAX_STUFFED:
            if self._in_frame:
                self.bad["oversized"] += 1
            else:
                self.garbage_bytes += len(self._buf)
            self._buf.clear()
            self._in_frame = False
        return frames

    def _decode(self, chunk):
        body = unstuff(chunk)
        if body is None:
            self.bad["escape"] += 1
            return None
        if len(body) < OVERHEAD:
            self.bad["short"] += 1
            return None
        type, flags, seq, length = HEADER.unpack_from(body)
        if length > self.max_payload:
            self.bad["oversized"] += 1
            return None
        if len(body) != OVERHEAD + length:
            self.bad["length"] += 1
            return None
        (crc,) = struct.unpack_from("<I", body, HEADER.size + length)
        if zlib.crc32(body[:HEADER.size + length]) != crc:
            self.bad["crc"] += 1
            return None
        self.frames += 1
        return Frame(type, seq, body[HEADER.size:HEADER.size + length], flags)


# ---- message payloads ---------------------------------------------------

def _u32s(payload, count, what):
    if len(payload) < 4 * count:
        raise ValueError(f"{what} reply has {len(payload)} bytes, expected at least {4 * count}")
    return struct.unpack_from(f"<{count}I", payload)


def unpack_hello(payload):
    if len(payload) < 4:
        raise ValueError(f"HELLO reply has {len(payload)} bytes, expected at least 4")
    version, _ = struct.unpack_from("<HH", payload)
    return {"protocol_version": version,
            "firmware": payload[4:].decode("utf-8", errors="replace")}


INFO_FIELDS = (("protocol_version", "firmware_version", "scratchpad_capacity",
                "max_blob_bytes", "max_payload") + tuple("npu." + f for f in NPU_FIELDS)
               + ("model_state", "model_crc", "model_bytes", "n_inputs", "n_outputs"))
# Appended later; a board that does not send it has no NPU weight buffer (0).
INFO_OPTIONAL = ("weight_buffer_capacity",)


def unpack_info(payload):
    values = _u32s(payload, len(INFO_FIELDS), "INFO")
    extra = min(len(payload) // 4 - len(INFO_FIELDS), len(INFO_OPTIONAL))
    values += struct.unpack_from(f"<{extra}I", payload, 4 * len(INFO_FIELDS)) + (0,) * (len(INFO_OPTIONAL) - extra)
    info = {}
    for name, value in zip(INFO_FIELDS + INFO_OPTIONAL, values):
        if name.startswith("npu."):
            info.setdefault("npu", {})[name[4:]] = value
        else:
            info[name] = value
    v = info["firmware_version"]
    info["firmware_version_str"] = f"{v >> 16}.{(v >> 8) & 0xFF}.{v & 0xFF}"
    info["model_loaded"] = info["model_state"] == 1
    return info


def pack_load_begin(total_size, crc32):
    return struct.pack("<II", total_size, crc32)


def pack_load_chunk(offset, data):
    return struct.pack("<I", offset) + bytes(data)


def unpack_u32(payload, what):
    return _u32s(payload, 1, what)[0]


def unpack_invoke(payload, output_sizes=None):
    """INVOKE reply -> (outputs as list of bytes, counters as list of dicts, instructions).

    Without output_sizes, all outputs come back as one bytes object.
    """
    if len(payload) < 16:
        raise ValueError(f"INVOKE reply has {len(payload)} bytes, expected at least 16")
    n_outputs, n_layers, instructions = struct.unpack_from("<IIQ", payload)
    out_bytes = len(payload) - 16 - COUNTER_BYTES * n_layers
    if out_bytes < 0:
        raise ValueError(f"INVOKE reply of {len(payload)} bytes cannot hold {n_layers} layers")
    data = payload[16:16 + out_bytes]
    if output_sizes is None:
        outputs = [data]
    else:
        if len(output_sizes) != n_outputs or sum(output_sizes) != out_bytes:
            raise ValueError(f"INVOKE reply has {n_outputs} outputs in {out_bytes} bytes, "
                             f"expected {len(output_sizes)} in {sum(output_sizes)}")
        outputs, pos = [], 0
        for size in output_sizes:
            outputs.append(data[pos:pos + size])
            pos += size
    n = len(COUNTER_FIELDS)
    raw = struct.unpack_from(f"<{n * n_layers}I", payload, 16 + out_bytes)
    counters = [dict(zip(COUNTER_FIELDS, raw[i:i + n])) for i in range(0, len(raw), n)]
    return outputs, counters, instructions


STATS_FIELDS = ("frames_ok", "frames_bad", "invokes", "loads_committed", "loads_refused",
                "duplicates")


def unpack_stats(payload):
    return dict(zip(STATS_FIELDS, _u32s(payload, len(STATS_FIELDS), "STATS")))


def unpack_error(payload):
    """ERROR payload -> (status code, status name, message)."""
    if len(payload) < 4:
        return -1, "MALFORMED_ERROR", payload.hex()
    (code,) = struct.unpack_from("<I", payload)
    return code, status_name(code), payload[4:].decode("utf-8", errors="replace")
