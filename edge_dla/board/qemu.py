"""Run the firmware on QEMU's mps3-an547 (Cortex-M55) with the UART on a TCP port.

QEMU runs in its own process group, so stop() takes down anything it spawned,
and is always waited for (no zombie). An atexit hook stops every emulator this
process started and did not detach; on Linux QEMU also gets SIGTERM if this
process dies without running atexit (killed by a test runner's timeout).
"""

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import serial

from ..errors import BoardError

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FIRMWARE = REPO / "firmware" / "build" / "edla_fw.elf"
_running = set()  # strong references: an unreferenced Qemu must still be stopped at exit


def firmware_path(firmware=None):
    path = Path(firmware or os.environ.get("EDLA_FIRMWARE") or DEFAULT_FIRMWARE)
    if not path.is_file():
        raise BoardError(f"firmware {path} not found: build it with make -C firmware "
                         "(or set EDLA_FIRMWARE)")
    return path


def find_qemu():
    exe = shutil.which("qemu-system-arm")
    if exe is None:
        raise BoardError("qemu-system-arm not found: install QEMU (Debian: apt-get install "
                         "qemu-system-arm)")
    return exe


def _free_ports(n):
    # Bind port 0 to let the kernel choose; the ports are released just before
    # QEMU binds them, a small race that start() covers by retrying.
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Qemu:
    def __init__(self, firmware=None, *, monitor=True, log_path=None, detached=False):
        """detached: QEMU outlives this process (board start); stop it by PID."""
        self.firmware = firmware_path(firmware)
        self.detached = detached
        self.exe = find_qemu()
        self.monitor = monitor
        self.log_path = Path(log_path) if log_path else None
        self._temp_log = False  # a log we made, removed by stop()
        self.proc = None
        self.port = self.monitor_port = None

    @property
    def url(self):
        return f"socket://127.0.0.1:{self.port}"

    def command(self):
        mon = (f"tcp:127.0.0.1:{self.monitor_port},server=on,wait=off" if self.monitor
               else "none")
        return [self.exe, "-M", "mps3-an547", "-nographic", "-monitor", mon,
                "-semihosting-config", "enable=on,target=native",
                # icount makes SysTick count guest instructions: deterministic timing.
                "-icount", "shift=0",
                "-kernel", str(self.firmware),
                # wait=on holds the CPU until the host connects, so no boot byte is lost;
                # nodelay avoids ~40 ms of Nagle delay per reply.
                "-serial", f"tcp:127.0.0.1:{self.port},server=on,wait=on,nodelay=on"]

    def start(self, timeout=10.0):
        """Start QEMU and wait until its serial port accepts connections."""
        for attempt in range(3):
            self.port, self.monitor_port = _free_ports(2)
            if self.log_path is None:
                fd, name = tempfile.mkstemp(prefix="edla-qemu-", suffix=".log")
                os.close(fd)
                self.log_path, self._temp_log = Path(name), True
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    self.command(), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True,
                    preexec_fn=None if self.detached else _die_with_parent)
            if not self.detached:
                _running.add(self)
            deadline = time.monotonic() + timeout
            # With wait=on QEMU logs "waiting for connection" once it listens.
            # Probing the port instead would be taken as the one connection.
            while time.monotonic() < deadline and self.proc.poll() is None:
                if "waiting for connection" in self.log():
                    return self
                time.sleep(0.02)
            log = self.log()
            self.stop()
            if "Address already in use" not in log:
                raise BoardError(f"QEMU did not start: {log.strip() or 'no output'}")
        raise BoardError("QEMU could not bind a free TCP port after 3 attempts")

    def open_serial(self, timeout=2.0, connect_timeout=10.0):
        """Connect to the UART (this releases a wait=on QEMU into running the firmware)."""
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                return serial.serial_for_url(self.url, timeout=timeout, write_timeout=timeout)
            except serial.SerialException as e:
                if self.proc.poll() is not None:
                    raise BoardError(f"QEMU exited ({self.proc.returncode}): "
                                     f"{self.log().strip()}") from None
                if time.monotonic() > deadline:
                    raise BoardError(f"cannot connect to QEMU at {self.url}: {e}") from None
                time.sleep(0.05)

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except (OSError, AttributeError):
            return ""

    def hmp(self, command, timeout=5.0):
        """Run one human-monitor command (e.g. "system_reset"); returns its output."""
        if not self.monitor:
            raise BoardError("QEMU was started without a monitor")
        try:
            with socket.create_connection(("127.0.0.1", self.monitor_port), timeout) as s:
                _until_prompt(s)  # the banner
                s.sendall(command.encode() + b"\n")
                out = _until_prompt(s)
        except OSError as e:
            raise BoardError(f"QEMU monitor: {command}: {e}") from None
        # Drop the echoed command line (redrawn with escape codes) and the prompt.
        return out.partition(b"\r\n")[2].rpartition(b"(qemu)")[0].decode(errors="replace").strip()

    def system_reset(self):
        self.hmp("system_reset")

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=3.0):
        _running.discard(self)
        if self.proc is None:
            return
        if self.proc.poll() is None:
            stop_pid(self.proc.pid, timeout, wait=self.proc.wait)
        self.proc.wait()
        if self._temp_log:
            self.log_path.unlink(missing_ok=True)
            self.log_path, self._temp_log = None, False


def _until_prompt(sock):
    buf = b""
    while not buf.rstrip().endswith(b"(qemu)"):
        data = sock.recv(4096)
        if not data:
            raise BoardError("QEMU monitor closed the connection")
        buf += data
    return buf


# Looked up now: the child of fork() should call it, not load libraries.
_prctl = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None


def _die_with_parent():
    # Between fork and exec: PR_SET_PDEATHSIG (1) = SIGTERM when the launching
    # thread dies, even by SIGKILL, where atexit cannot run.
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)


def stop_pid(pid, timeout=3.0, wait=None):
    """SIGTERM the process group led by pid, SIGKILL it if still there after timeout."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        if wait is not None:
            try:
                wait(timeout=timeout)
                return
            except subprocess.TimeoutExpired:
                continue
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


@atexit.register
def _stop_all():
    for q in list(_running):
        q.stop()
