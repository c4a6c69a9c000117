#!/usr/bin/env bash
# The README's second command: set up, then run every test tier (pure Python,
# native, TFLM oracle, QEMU board). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests "$@"
