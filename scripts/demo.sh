#!/usr/bin/env bash
# The demo: set up, build, then import the bundled tiny GPT-2 model, raise its
# attention, compile it for the CPU, run it and compare with onnxruntime.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root"
exec build/bin/attune run models/tiny-gpt2.onnx --dim sequence=32 --report --check \
  --output-dir build/demo-out "$@"
