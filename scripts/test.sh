#!/usr/bin/env bash
# The whole test suite: set up, build, generate the ONNX fixtures with their
# onnxruntime reference outputs, then run every lit test (dialect, passes,
# importer, CLI errors, and the compile-and-run integration tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${CI:-}" = "true" ]; then export ATTUNE_WERROR=${ATTUNE_WERROR:-ON}; fi
"$root/scripts/setup.sh"
cd "$root"
echo "test: generating fixtures"
.venv/bin/python test/python/gen_fixtures.py build/fixtures >/dev/null
echo "test: running lit"
set +e
/usr/lib/llvm-22/bin/lit -sv --xunit-xml-output build/test-results.xml build/test "$@"
rc=$?
set -e
# One plain summary line for CI.
.venv/bin/python - <<'PY'
import xml.etree.ElementTree as ET
r = ET.parse("build/test-results.xml").getroot()
suites = [r] if r.tag == "testsuite" else r.findall("testsuite")
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(f"{total - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
