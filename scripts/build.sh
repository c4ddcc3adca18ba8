#!/usr/bin/env bash
# Configures (once) and builds attune in build/. Serialized with a lock so that
# two builds never fight over the machine's two cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTUNE_BUILD_DIR:-$root/build}
mkdir -p "$build"
exec 9>"${ATTUNE_BUILD_LOCK:-/tmp/attune-build.lock}"
flock 9
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/attune-ccache}
  export CCACHE_BASEDIR=$root
  export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DATTUNE_PYTHON="$root/.venv/bin/python" \
    -DATTUNE_WERROR=${ATTUNE_WERROR:-OFF} \
    "${launcher[@]}" >/dev/null
fi
ninja -C "$build" -j "${ATTUNE_JOBS:-2}" "$@"
