#!/usr/bin/env bash
# Installs everything attune needs on a Debian 12 machine and builds it.
# Idempotent: each step is skipped when its result is already there.
#   apt: LLVM/MLIR 22, ONNX + protobuf, clang-22/lld-22, ninja, ccache
#   .venv: numpy, onnx, onnxruntime (test references) and lit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

packages=(cmake ninja-build ccache clang-22 lld-22 llvm-22-dev llvm-22-tools
  libmlir-22-dev mlir-22-tools libonnx-dev libprotobuf-dev protobuf-compiler
  libzstd-dev python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  /usr/bin/python3 -m venv .venv
fi
if ! .venv/bin/python -c "import numpy, onnx, onnxruntime" 2>/dev/null; then
  echo "setup: installing Python test dependencies into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -r test/python/requirements.txt
fi

"$root/scripts/build.sh"
