"""A lossy line for tests: a TCP proxy that corrupts the byte stream both ways.

    with FaultProxy(qemu.port, flip=2e-4, drop=1e-4, insert=1e-4, seed=1) as proxy:
        board = Board.connect(proxy.url)

Each forwarded byte is independently flipped (XOR with a random non-zero
mask), dropped, or followed by a random extra byte, with the given per-byte
probabilities; every fault is counted per direction. A seeded RNG per
direction makes a run's faults depend only on the bytes sent, not on how TCP
split them. One client at a time; a new client gets a new upstream connection.
"""

import select
import socket
import threading
import time

import numpy as np

UP, DOWN = "to_board", "to_host"


class FaultProxy:
    def __init__(self, target_port, *, flip=0.0, drop=0.0, insert=0.0, stall=0.0,
                 stall_s=0.05, seed=0, host="127.0.0.1"):
        self.target = (host, target_port)
        self.rates = (flip, drop, insert)
        self.stall, self.stall_s = stall, stall_s  # per forwarded chunk
        self.rng = {UP: np.random.default_rng([seed, 0]), DOWN: np.random.default_rng([seed, 1])}
        self._stall_rng = np.random.default_rng([seed, 2])  # apart: chunking varies run to run
        self.counts = {d: {"bytes": 0, "flipped": 0, "dropped": 0, "inserted": 0, "stalls": 0}
                       for d in (UP, DOWN)}
        self.enabled = True
        self._cut_after = None  # bytes still forwarded to the board before hanging up
        self._inject = {UP: bytearray(), DOWN: bytearray()}
        self._lock = threading.Lock()
        self._listener = socket.create_server((host, 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="faultproxy", daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"socket://127.0.0.1:{self.port}"

    def inject(self, direction, data):
        """Send data in one direction between what is forwarded (e.g. garbage between frames)."""
        with self._lock:
            self._inject[direction] += data

    def cut(self, after=0):
        """Hang up both sides once `after` more bytes went to the board (mid-frame if you like)."""
        self._cut_after = after

    def corrupt(self, direction, data):
        """Apply the per-byte faults to one chunk."""
        n = len(data)
        c = self.counts[direction]
        c["bytes"] += n
        if not self.enabled or not any(self.rates):
            return data
        rng = self.rng[direction]
        r = rng.random(n)
        flip, drop, insert = self.rates
        out, pos = bytearray(), 0
        for i in np.flatnonzero(r < flip + drop + insert).tolist():
            out += data[pos:i]
            pos = i + 1
            if r[i] < flip:
                out.append(data[i] ^ int(rng.integers(1, 256)))
                c["flipped"] += 1
            elif r[i] < flip + drop:
                c["dropped"] += 1
            else:
                out.append(data[i])
                out.append(int(rng.integers(0, 256)))
                c["inserted"] += 1
        out += data[pos:]
        return bytes(out)

    def _serve(self):
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.1)
            if not ready:
                continue
            client, _ = self._listener.accept()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with client, upstream:
                for s in (client, upstream):
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._pump(client, upstream)

    def _pump(self, client, upstream):
        peer = {client: (upstream, UP), upstream: (client, DOWN)}
        while not self._stop.is_set():
            with self._lock:
                for sock, (dst, direction) in peer.items():
                    if self._inject[direction]:
                        dst.sendall(self._inject[direction])
                        self._inject[direction].clear()
            ready, _, _ = select.select(list(peer), [], [], 0.02)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return  # either side closed: wait for the next client
                dst, direction = peer[sock]
                cut = direction == UP and self._cut_after is not None \
                    and len(data) >= self._cut_after
                if cut:
                    data, self._cut_after = data[:self._cut_after], None
                elif direction == UP and self._cut_after is not None:
                    self._cut_after -= len(data)
                if self.enabled and self.stall and self._stall_rng.random() < self.stall:
                    self.counts[direction]["stalls"] += 1
                    time.sleep(self.stall_s)
                try:
                    dst.sendall(self.corrupt(direction, data))
                except OSError:
                    return
                if cut:
                    return

    def totals(self):
        return {k: sum(c[k] for c in self.counts.values()) for k in self.counts[UP]}

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self._listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
