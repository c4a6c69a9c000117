#!/bin/sh
# Boot the firmware on QEMU's mps3-an547 with UART0 on a TCP port.
#   ./run_qemu.sh [PORT] [ELF]        (defaults: 5555, build/edla_fw.elf)
# QEMU waits for one TCP client before starting the CPU (wait=on), so the
# boot HELLO frame is never lost; connect with socket://127.0.0.1:PORT.
#   -icount shift=0   1 guest instruction = 1 ns of virtual time: SysTick
#                     readings, and so INVOKE's instruction count, are
#                     deterministic
#   nodelay=on        no Nagle delay (~40 ms) on each small reply
#   -semihosting-config enable=on,target=native
#                     the firmware's SYS_EXIT ends QEMU (exit 1 after a fault)
set -eu
cd "$(dirname "$0")"
PORT=${1:-5555}
ELF=${2:-build/edla_fw.elf}
exec qemu-system-arm -M mps3-an547 -nographic -monitor none \
    -semihosting-config enable=on,target=native \
    -icount shift=0 \
    -kernel "$ELF" \
    -serial "tcp:127.0.0.1:$PORT,server=on,wait=on,nodelay=on"
