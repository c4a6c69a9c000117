"""Board round trip against real firmware in QEMU, with timings.

    .venv/bin/python firmware/tests/roundtrip.py [MODEL ...]
    (EDLA_FW_ELF=path/edla_fw.elf picks another build, e.g. make MVE=0 BUILD=build-scalar;
     EDLA_MODELS=dir the shared models; EDLA_WEIGHT_FORMAT=dense|sparse|auto the converter's)

Boots build/edla_fw.elf with run_qemu.sh, speaks the wire protocol with a
plain socket and edge_dla.board.protocol's codec (not the host client, so it
checks the firmware against docs/protocol.md on its own), and compares every
golden output in ../shared/models/golden and the host Interpreter's output
and counters. Prints boot time, upload throughput and instructions per
inference; exits non-zero on any mismatch.
"""
import os
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np

FW = Path(__file__).resolve().parents[1]
REPO = FW.parent
SHARED = Path(os.environ.get("EDLA_MODELS", REPO.parent / "shared" / "models"))
sys.path.insert(0, str(REPO))

import edge_dla  # noqa: E402
from edge_dla.board import protocol as p  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


class Link:
    def __init__(self, port):
        self.sock = None
        deadline = time.monotonic() + 10
        while self.sock is None:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port))
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.connected = time.monotonic()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.dec = p.FrameDecoder()
        self.seq = 100
        self.pending = []

    def frame(self, timeout=30):
        self.sock.settimeout(timeout)
        while not self.pending:
            data = self.sock.recv(1 << 16)
            if not data:
                raise EOFError("board closed the link")
            self.pending += self.dec.feed(data)
        return self.pending.pop(0)

    def send(self, type, payload=b"", seq=None):
        if seq is None:
            self.seq = (self.seq + 1) & 0xFFFF
            seq = self.seq
        self.sock.sendall(p.encode_frame(type, seq, payload))
        f = self.frame()
        assert f.seq == seq, f"reply seq {f.seq} for request {seq}"
        return f

    def call(self, type, payload=b""):
        f = self.send(type, payload)
        if f.type == p.ERROR:
            code, name, msg = p.unpack_error(f.payload)
            raise RuntimeError(f"{name} ({code}): {msg}")
        assert f.type == type | p.REPLY, hex(f.type)
        return f.payload

    def error(self, type, payload=b""):
        f = self.send(type, payload)
        return p.unpack_error(f.payload)[1] if f.type == p.ERROR else None

    def load(self, blob, chunk=4096):
        t = time.monotonic()
        u32 = lambda r: p.unpack_u32(r, "LOAD")
        off = u32(self.call(p.LOAD_BEGIN, p.pack_load_begin(len(blob), zlib.crc32(blob))))
        while off < len(blob):
            off = u32(self.call(p.LOAD_CHUNK, p.pack_load_chunk(off, blob[off:off + chunk])))
        crc = u32(self.call(p.LOAD_COMMIT))
        assert crc == zlib.crc32(blob)
        return time.monotonic() - t


def host_run(blob, x):
    it = edge_dla.Interpreter(model_content=blob)
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]), it.profile()["layers"]


def main(models):
    port = 20000 + (int(time.time() * 1000) % 20000)
    t_start = time.monotonic()
    elf = os.environ.get("EDLA_FW_ELF")
    qemu = subprocess.Popen([str(FW / "run_qemu.sh"), str(port)] + ([os.path.abspath(elf)] if elf else []),
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        link = Link(port)
        hello = link.frame()
        t_hello = time.monotonic()
        check(hello.type == p.HELLO | p.REPLY and hello.seq == 0, "unsolicited boot HELLO, seq 0")
        print(f"     boot: HELLO {(t_hello - link.connected) * 1e3:.1f} ms after connect "
              f"(QEMU start to HELLO {(t_hello - t_start) * 1e3:.0f} ms)")
        info = p.unpack_info(link.call(p.INFO))
        check(info["firmware_version_str"] == "0.1.0" and info["protocol_version"] == 1, "INFO")
        t = time.monotonic()
        for _ in range(100):
            link.call(p.STATS)
        print(f"     STATS round trip {(time.monotonic() - t) * 10:.2f} ms")

        # Upload throughput on ~50 KB of data (refused at commit: not a blob).
        junk = np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes()
        try:
            link.load(junk)
        except RuntimeError as e:
            check("MAGIC" in str(e), f"junk blob refused by the loader: {e}")
        t = time.monotonic()
        link.call(p.LOAD_BEGIN, p.pack_load_begin(len(junk), 1))
        for off in range(0, len(junk), 4096):
            link.call(p.LOAD_CHUNK, p.pack_load_chunk(off, junk[off:off + 4096]))
        dt = time.monotonic() - t
        print(f"     upload: {len(junk)} B in {dt:.2f} s = {len(junk) / dt / 1024:.1f} KiB/s "
              "(4 KiB chunks)")
        check(link.error(p.LOAD_COMMIT) == "CRC_MISMATCH", "commit with a wrong CRC refused")

        for name in models:
            tflite = (SHARED / f"{name}.tflite").read_bytes()
            blob = edge_dla.convert(tflite, weight_format=os.environ.get("EDLA_WEIGHT_FORMAT", "auto"))
            dt = link.load(blob)
            print(f"     {name}: blob {len(blob)} B loaded in {dt:.2f} s "
                  f"({len(blob) / dt / 1024:.1f} KiB/s)")
            golden = np.load(SHARED / "golden" / f"{name}.npz")
            k = 0
            while f"input_{k}" in golden:
                x, want = golden[f"input_{k}"], golden[f"output_{k}"]
                reply = link.call(p.INVOKE, x.tobytes())
                outs, counters, instructions = p.unpack_invoke(reply, [want.nbytes])
                got = np.frombuffer(outs[0], np.int8).reshape(want.shape)
                host_out, host_layers = host_run(blob, x)
                check(np.array_equal(got, want) and np.array_equal(got, host_out)
                      and counters == [{f: l[f] for f in p.COUNTER_FIELDS} for l in host_layers],
                      f"{name} input {k}: output = golden = host, counters = host "
                      f"({len(counters)} layers, {instructions:,} instructions)")
                k += 1
            macs = sum(c["macs"] for c in counters)
            print(f"     {name}: {instructions:,} instructions per inference, {macs:,} MACs, "
                  f"{instructions / max(macs, 1):.3f} instructions per MAC")
            # A retried INVOKE (same seq) is answered from the cache, not run again.
            before = p.unpack_stats(link.call(p.STATS))
            again = link.send(p.INVOKE, x.tobytes(), seq=link.seq)  # same seq as STATS: new type
            retry = link.send(p.INVOKE, x.tobytes(), seq=link.seq)
            after = p.unpack_stats(link.call(p.STATS))
            check(again.payload == retry.payload and after["invokes"] == before["invokes"] + 1
                  and after["duplicates"] == before["duplicates"] + 1, "retried INVOKE not re-run")
            check(p.unpack_invoke(reply)[2] == p.unpack_invoke(again.payload)[2],
                  "instruction count deterministic")

        # Refusals leave the active model in place.
        blob = edge_dla.convert((SHARED / f"{models[-1]}.tflite").read_bytes(),
                                weight_format=os.environ.get("EDLA_WEIGHT_FORMAT", "auto"))
        bad = bytearray(blob)
        bad[100] ^= 1
        try:
            link.load(bytes(bad))
        except RuntimeError as e:
            check("CRC" in str(e), f"corrupted blob refused: {e}")
        big = edge_dla.convert((SHARED / f"{models[-1]}.tflite").read_bytes(),
                               scratchpad_bytes=info["scratchpad_capacity"] * 2)
        try:
            link.load(big)
        except RuntimeError as e:
            check("CONFIG_MISMATCH" in str(e), f"blob for a larger scratchpad refused: {e}")
        check(p.unpack_info(link.call(p.INFO))["model_crc"] == zlib.crc32(blob),
              "active model kept after refusals")
        check(link.error(p.LOAD_BEGIN, p.pack_load_begin(info["max_blob_bytes"] + 1, 0))
              == "TOO_LARGE", "LOAD_BEGIN above the slot: TOO_LARGE")

        # Resume: a second LOAD_BEGIN of the same blob continues where it stopped.
        crc = zlib.crc32(blob)
        link.call(p.LOAD_BEGIN, p.pack_load_begin(len(blob), crc))
        link.call(p.LOAD_CHUNK, p.pack_load_chunk(0, blob[:1000]))
        check(link.error(p.LOAD_CHUNK, p.pack_load_chunk(0, blob[:10])) == "BAD_OFFSET",
              "chunk at the wrong offset: BAD_OFFSET")
        resume = p.unpack_u32(link.call(p.LOAD_BEGIN, p.pack_load_begin(len(blob), crc)), "")
        check(resume == 1000, f"LOAD_BEGIN resumes at {resume}")
        link.call(p.RESET)
        check(link.error(p.LOAD_CHUNK, p.pack_load_chunk(1000, b"x")) == "NO_UPLOAD",
              "RESET drops the upload")
        print("     stats:", p.unpack_stats(link.call(p.STATS)))
    finally:
        qemu.kill()
        qemu.wait()
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["kws_ref_model"]))
