"""Compiles a model to a shared library, runs it from C through its header,
and compares with the JIT (`attune run`) on the same inputs.

usage: check_aot.py --attune BIN --cc CC --model M --work DIR [attune options]
"""
import argparse
import os
import subprocess
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attune", required=True)
    ap.add_argument("--cc", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--work", required=True)
    args, extra = ap.parse_known_args()
    os.makedirs(args.work, exist_ok=True)
    lib = os.path.join(args.work, "m.so")
    subprocess.run([args.attune, "compile", args.model, "-o", lib] + extra, check=True)
    header = os.path.join(args.work, "m.h")
    here = os.path.dirname(os.path.abspath(__file__))
    exe = os.path.join(args.work, "run_model")
    subprocess.run([args.cc, "-O1", "-std=c99", "-Wall", "-Werror",
                    "-I" + args.work, "-DMODEL_HEADER=\"m.h\"", "-DMODEL=m",
                    os.path.join(here, "run_model.c"), lib, "-o", exe,
                    "-Wl,-rpath," + args.work], check=True)
    # JIT reference run with seeded inputs; reuse its inputs for the library.
    ref = os.path.join(args.work, "ref")
    ins = os.path.join(args.work, "ins")
    os.makedirs(ins, exist_ok=True)
    subprocess.run([args.attune, "run", args.model, "--output-dir", ref,
                          "--seed", "5", "--dump-inputs", ins] + extra,
                         check=True, capture_output=True, text=True).stdout
    # Header lists inputs then outputs: ' *   [i] "name" dtype [..] (ctype)'.
    entries = [l for l in open(header) if l.startswith(" *   [")]
    n_in = int(open(header).read().split("_NUM_INPUTS ")[1].split()[0])
    in_names = [e.split('"')[1] for e in entries[:n_in]]
    out_names = [e.split('"')[1] for e in entries[n_in:]]
    for i, n in enumerate(in_names):
        a = np.load(os.path.join(ins, sanitize(n) + ".npy"))
        a.tofile(os.path.join(args.work, f"in{i}.bin"))
    subprocess.run([exe, args.work], check=True)
    worst = 0.0
    for i, n in enumerate(out_names):
        r = np.load(os.path.join(ref, sanitize(n) + ".npy"))
        got = np.fromfile(os.path.join(args.work, f"out{i}.bin"), dtype=r.dtype).reshape(r.shape)
        err = float(np.max(np.abs(got.astype(np.float64) - r.astype(np.float64)))) if r.size else 0.0
        print(f"{n}: max_abs_err {err:.3e}")
        worst = max(worst, err)
    if worst > 1e-6:
        print("MISMATCH between the shared library and the JIT")
        return 1
    print("OK")
    return 0


def sanitize(name):
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in name)


if __name__ == "__main__":
    sys.exit(main())
