"""Board commands of the edge-dla CLI: board start|stop|status and deploy.

`board start` leaves an emulated board running and records it in a state
file, so later commands (`deploy`, `run --board`, with no URL) find it.
"""

import json
import os
from pathlib import Path

from ..errors import BoardError
from .client import Board
from .qemu import Qemu, stop_pid

STATE = Path(os.environ.get("EDLA_BOARD_STATE", "~/.cache/edge_dla/board.json")).expanduser()


def _read_state():
    """The started board's record, or None if there is none or its QEMU is gone."""
    try:
        state = json.loads(STATE.read_text())
        cmdline = Path(f"/proc/{state['pid']}/cmdline").read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    # A recycled PID must not be mistaken for the board (and then killed).
    return state if b"qemu-system-arm" in cmdline and str(state["port"]).encode() in cmdline \
        else None


def default_url(url=None):
    if url:
        return url
    state = _read_state()
    if state is None:
        raise BoardError("no board given and none started: run `edge-dla board start`, "
                         "or pass --board URL")
    return state["url"]


def open_board(url=None, emulate=False, **kwargs):
    """A Board for `run --board/--emulate`, `verify --board`: a context manager."""
    if emulate:
        return Board.launch(**kwargs)
    return Board.connect(default_url(url), **kwargs)


def cmd_board_start(args):
    state = _read_state()
    if state is not None:
        print(f"board already running: pid {state['pid']}, {state['url']}")
        return 0
    STATE.parent.mkdir(parents=True, exist_ok=True)
    qemu = Qemu(args.firmware, monitor=True, log_path=STATE.with_suffix(".log"), detached=True)
    qemu.start()
    try:
        # The first connection releases QEMU's wait=on; the boot HELLO proves it runs.
        board = Board(qemu.open_serial(), url=qemu.url)
        hello = board.wait_boot()
        board.close()
    except BaseException:
        qemu.stop()
        raise
    STATE.write_text(json.dumps({"pid": qemu.proc.pid, "port": qemu.port, "url": qemu.url,
                                 "monitor_port": qemu.monitor_port, "log": str(qemu.log_path),
                                 "firmware": str(qemu.firmware)}, indent=1))
    print(f"board started: pid {qemu.proc.pid}, {qemu.url}, firmware {hello['firmware']}")
    return 0


def cmd_board_stop(args):
    state = _read_state()
    STATE.unlink(missing_ok=True)
    if state is None:
        print("no board running")
        return 0
    stop_pid(state["pid"])
    print(f"board stopped (pid {state['pid']})")
    return 0


def cmd_board_status(args):
    with Board.connect(default_url(args.board)) as board:
        hello, info, stats = board.hello(), board.info(), board.stats()
    npu = info["npu"]
    print(f"board {board.url}: firmware {hello['firmware']}, protocol {hello['protocol_version']}")
    print(f"scratchpad {info['scratchpad_capacity']} B, model slot {info['max_blob_bytes']} B, "
          f"NPU {npu['macs_per_cycle']} MACs/cycle at {npu['clock_khz'] / 1000:g} MHz")
    if info["model_loaded"]:
        print(f"model: {info['model_bytes']} B, CRC32 {info['model_crc']:#010x}, "
              f"{info['n_inputs']} input(s), {info['n_outputs']} output(s)")
    else:
        print("model: none")
    print("stats: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
    return 0


def cmd_deploy(args):
    from ..cli import _read  # the main CLI's file reader: same errors for a missing file
    blob = _read(args.model)
    if blob[4:8] == b"TFL3":  # a .tflite: convert with default options, as run does
        from ..converter import convert
        blob = convert(blob)
    with Board.connect(default_url(args.board)) as board:
        sent = board.load(blob, force=args.force, progress=True)
        info = board.info()
    what = f"uploaded {sent} B" if sent else "already on the board, nothing sent"
    print(f"deployed {args.model} ({len(blob)} B, CRC32 {info['model_crc']:#010x}): {what}")
    return 0


def add_board_commands(subparsers):
    p = subparsers.add_parser("board", help="start, stop or query the emulated board")
    sub = p.add_subparsers(dest="board_command", required=True)
    s = sub.add_parser("start", help="boot the firmware on QEMU in the background")
    s.add_argument("--firmware", help="ELF to run (default: $EDLA_FIRMWARE or "
                                      "firmware/build/edla_fw.elf)")
    s.set_defaults(func=cmd_board_start)
    s = sub.add_parser("stop", help="stop the board started with `board start`")
    s.set_defaults(func=cmd_board_stop)
    s = sub.add_parser("status", help="print the board's INFO and STATS")
    s.add_argument("--board", metavar="URL", help="default: the started board")
    s.set_defaults(func=cmd_board_status)

    p = subparsers.add_parser("deploy", help="upload a blob to a board, where it stays")
    p.add_argument("model", help="a .edla blob (or a .tflite, converted with defaults)")
    p.add_argument("--board", metavar="URL", help="pyserial URL or device (default: the "
                                                  "started board)")
    p.add_argument("--force", action="store_true", help="upload even if the board runs it")
    p.set_defaults(func=cmd_deploy)
