#!/usr/bin/env bash
# The README's first command: set up, then convert a model and run it on the
# host core and on the emulated board, beside TFLM. Usage: tools/demo.sh [MODEL.tflite]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
exec .venv/bin/python examples/demo.py "$@"
