#!/usr/bin/env bash
# The README's second command: set up, then run every test tier: the native tiers
# under ASan/UBSan and a short fuzz of every parser (Makefile), then everything
# (pure Python, native, TFLM oracle, QEMU board, soak). Extra arguments go to pytest;
# EDLA_QUICK=1 skips the sanitizer and fuzz runs (a developer's inner loop).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
if [ -z "${EDLA_QUICK:-}" ]; then
    make -s test-asan
    make -s fuzz-short
fi
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests "$@"
