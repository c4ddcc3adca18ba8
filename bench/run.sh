#!/usr/bin/env bash
# bench/run.sh: sets up and builds what the benchmarks need, then runs them.
# Installs the Debian packages and the .venv only when something is missing
# (scripts/setup.sh), builds the driver and the machine probes (attune,
# attune-opt, attune-stream-bench, attune-peak-bench, attune-gather-bench),
# and runs bench/run.py with the given arguments, e.g.
#   bash bench/run.sh --quick
#   bash bench/run.sh --only dense,decode --threads 2 --runs 10
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

need_setup=0
for tool in cmake ninja clang++-22 /usr/lib/llvm-22/bin/mlir-tblgen; do
  command -v "$tool" >/dev/null 2>&1 || need_setup=1
done
if [ ! -x .venv/bin/python ] ||
   ! .venv/bin/python -c "import numpy, onnx, onnxruntime" 2>/dev/null; then
  need_setup=1
fi
if [ "$need_setup" = 1 ]; then
  # setup.sh installs everything and builds the whole project once.
  bash scripts/setup.sh
fi
bash scripts/build.sh attune attune-opt attune-stream-bench attune-peak-bench \
  attune-gather-bench
exec .venv/bin/python bench/run.py --attune "$root/build/bin/attune" "$@"
