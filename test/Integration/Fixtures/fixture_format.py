"""lit test format with one test per generated fixture (see lit.local.cfg).

Kept in a module of its own so that lit's worker processes can unpickle it.
"""
import json
import os
import shlex
import subprocess

import lit.formats
import lit.Test


class FixtureFormat(lit.formats.TestFormat):
    def __init__(self, fixtures, attune):
        self.fixtures = fixtures
        self.attune = attune

    def _manifest(self):
        path = os.path.join(self.fixtures, "manifest.json")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            data = json.load(f)
        return data["fixtures"] if isinstance(data, dict) else data

    def getTestsInDirectory(self, testSuite, path_in_suite, litConfig, localConfig):
        for entry in self._manifest():
            yield lit.Test.Test(testSuite, path_in_suite + (entry["name"],), localConfig)

    def execute(self, test, litConfig):
        name = test.path_in_suite[-1]
        entry = next((e for e in self._manifest() if e["name"] == name), None)
        if entry is None:
            return lit.Test.UNRESOLVED, "fixture not in manifest"
        model = os.path.join(self.fixtures, entry["model"])
        base = os.path.join(self.fixtures, name)
        out = os.path.join(test.suite.exec_root, "Integration", "Fixtures", "Output", name)
        cmd = [self.attune, "run", model,
               "--inputs", os.path.join(base, "inputs"),
               "--expected", os.path.join(base, "expected"),
               "--expect-sites", str(entry["expected_sites"]),
               "--output-dir", out, "--report",
               "--rtol", str(entry.get("rtol", 1e-4)),
               "--atol", str(entry.get("atol", 1e-5))]
        for k, v in entry.get("input_shapes", {}).items():
            cmd += ["--input-shape", "%s=%s" % (k, "x".join(str(d) for d in v))]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return lit.Test.TIMEOUT, " ".join(map(shlex.quote, cmd))
        log = "$ " + " ".join(map(shlex.quote, cmd)) + "\n" + p.stdout + p.stderr
        if p.returncode != 0:
            return lit.Test.FAIL, log
        # Each expected site's mask kind must appear in the report.
        want = sorted(s.get("mask", "none") for s in entry.get("sites", []))
        got = sorted(line.split("mask=")[1].split()[0].split("(")[0]
                     for line in p.stdout.splitlines() if "mask=" in line)
        if want and want != got:
            return lit.Test.FAIL, log + "\nexpected site masks %s, report has %s" % (want, got)
        return lit.Test.PASS, log

