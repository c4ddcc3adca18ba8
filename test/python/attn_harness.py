"""attn_harness.py: the shared plumbing of the check_*.py numerical tests.

The checks all do the same few things around `attune`: build a one-node
model (ONNX Attention-23 or an MLIR function), write its inputs as .npy
files, run `attune run [--rewrite ...]`, load the .npy outputs back and
compare them with a numpy reference. The pieces live here so that every
check runs attune, names its files and reports errors the same way; what
each check compares (and against which reference) stays in the check.
"""

import os
import subprocess

import numpy as np
import onnx
from onnx import TensorProto, helper


def run(cmd):
    """Runs `cmd` and returns its stdout; a failure raises RuntimeError with
    the command line and everything it printed."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


def save_inputs(directory, inputs):
    """Writes {name: array} as <directory>/<name>.npy (what --inputs reads)."""
    os.makedirs(directory, exist_ok=True)
    for name, x in inputs.items():
        np.save(os.path.join(directory, name + ".npy"), x)


def load_outputs(directory):
    """{output name: array} of the .npy files `attune run` wrote."""
    return {f[:-4]: np.load(os.path.join(directory, f))
            for f in os.listdir(directory) if f.endswith(".npy")}


def tensor(shape, et="f32"):
    """The MLIR tensor type of a static shape."""
    return "tensor<" + "x".join(map(str, shape)) + "x" + et + ">"


def compare(tag, got, want, tol):
    """Max abs error of `got` against the float64 reference `want`."""
    err = float(np.abs(got.astype(np.float64) - want).max())
    print(f"  {tag}: max_abs_err {err:.3e} (tol {tol:g})")
    if not err <= tol:
        raise AssertionError(f"{tag}: max abs error {err} > {tol}")


class Harness:
    """Runs `attune` with every case's files under one work directory."""

    def __init__(self, attune, work):
        self.attune = attune
        self.work = work

    def run_attune(self, model, inputs, rewrite, tag):
        """`attune run` of `model` on `inputs` (with `--rewrite rewrite`
        unless it is empty); returns {output name: array}."""
        d = os.path.join(self.work, tag)
        save_inputs(os.path.join(d, "in"), inputs)
        cmd = [self.attune, "run", model, "--inputs", os.path.join(d, "in"),
               "--output-dir", os.path.join(d, "out")]
        if rewrite:
            cmd += ["--rewrite", rewrite]
        run(cmd)
        return load_outputs(os.path.join(d, "out"))

    def write_model(self, tag, text):
        """Writes an MLIR model <work>/<tag>.mlir; returns the path."""
        os.makedirs(self.work, exist_ok=True)
        path = os.path.join(self.work, tag + ".mlir")
        with open(path, "w") as f:
            f.write(text)
        return path

    def onnx_attention(self, tag, shape, causal):
        """Attention-23 with Q [B,Hq,Lq,D], K/V [B,Hkv,Lk,D] (`shape` is
        (B, Hq, Hkv, Lq, Lk, D)); returns the path of <work>/<tag>.onnx."""
        b, hq, hkv, lq, lk, d = shape
        vi = helper.make_tensor_value_info
        f32 = TensorProto.FLOAT
        node = helper.make_node("Attention", ["Q", "K", "V"], ["Y"],
                                is_causal=int(causal))
        graph = helper.make_graph(
            [node], tag, [vi("Q", f32, [b, hq, lq, d]),
                          vi("K", f32, [b, hkv, lk, d]),
                          vi("V", f32, [b, hkv, lk, d])],
            [vi("Y", f32, [b, hq, lq, d])])
        model = helper.make_model(graph,
                                  opset_imports=[helper.make_opsetid("", 23)])
        os.makedirs(self.work, exist_ok=True)
        path = os.path.join(self.work, tag + ".onnx")
        onnx.save(model, path)
        return path


def case_registry():
    """(CASES, case): a name -> function table and the decorator that adds a
    function under its name with '_' written '-'."""
    cases = {}

    def case(fn):
        cases[fn.__name__.replace("_", "-")] = fn
        return fn
    return cases, case
