#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: system packages (QEMU, Arm GCC),
# the venv with edge_dla built in place, and the board firmware.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v qemu-system-arm >/dev/null || missing+=(qemu-system-arm)
command -v arm-none-eabi-gcc >/dev/null || missing+=(gcc-arm-none-eabi)
[ -e /usr/lib/arm-none-eabi/newlib/libc.a ] || missing+=(libnewlib-arm-none-eabi)
command -v make >/dev/null || missing+=(make)
command -v clang >/dev/null || missing+=(clang)  # libFuzzer harnesses (make fuzz-short)
dpkg -s libclang-rt-14-dev >/dev/null 2>&1 || missing+=(libclang-rt-14-dev)
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e '.[test,fuzz]' 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import edge_dla._native" # fails loudly if the native build did not happen
# The speed peer is optional: installed where the platform has a wheel.
.venv/bin/python -c "import ai_edge_litert" 2>/dev/null || \
    .venv/bin/python -m pip install -q ai-edge-litert >/dev/null 2>&1 || echo "setup: ai-edge-litert unavailable (optional)"
make -s -C firmware
