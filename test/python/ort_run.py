#!/usr/bin/env python3
"""ort_run.py: run an ONNX model in onnxruntime on .npy inputs (reference runner).

`attune run --check` writes every graph input as `<inputs>/<name>.npy` (name
sanitized: characters outside [A-Za-z0-9_.-] become '_'), calls this script,
and compares the `<outputs>/<name>.npy` files it writes with its own results.

Usage: ort_run.py MODEL.onnx --inputs DIR --outputs DIR [--threads N]
                             [--opt-level all|disable]

Runs on the CPUExecutionProvider with all graph optimizations; if the session
cannot be created or the run fails that way (an optimizer fusion that the CPU
provider then rejects), it retries once with optimizations disabled. Exits
non-zero with a one-line reason on any error.
"""

import argparse
import os
import re
import sys

import numpy as np

# ONNX tensor type strings as onnxruntime reports them -> numpy dtypes.
_ORT_TYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int16)": np.int16,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(uint16)": np.uint16,
    "tensor(uint32)": np.uint32,
    "tensor(uint64)": np.uint64,
    "tensor(bool)": np.bool_,
}


def sanitize(name):
    """The file stem used for a tensor name (shared with the C++ driver).

    Works on UTF-8 bytes like the C++ side: each byte of a non-ASCII character
    becomes one '_'."""
    return re.sub(rb"[^A-Za-z0-9_.\-]", b"_", name.encode("utf-8")).decode()


def fail(msg):
    print(f"ort_run.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def load_inputs(session, in_dir):
    feeds = {}
    for inp in session.get_inputs():
        path = os.path.join(in_dir, sanitize(inp.name) + ".npy")
        if not os.path.isfile(path):
            fail(f"missing input file '{path}' for graph input '{inp.name}' "
                 f"({inp.type}, shape {inp.shape})")
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - report any decode error
            fail(f"cannot read '{path}': {e}")
        want = _ORT_TYPES.get(inp.type)
        if want is not None and arr.dtype != want:
            # Same-width reinterpretations (e.g. the driver's i8 for an ONNX
            # uint8 input) and bool<->i8 are value conversions here.
            arr = arr.astype(want)
        if len(arr.shape) != len(inp.shape):
            fail(f"input '{inp.name}': '{path}' has rank {arr.ndim} "
                 f"(shape {list(arr.shape)}), the model expects {inp.shape}")
        feeds[inp.name] = np.ascontiguousarray(arr)
    return feeds


def make_session(model, level, threads):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = level
    # Errors are reported once by the caller, not by ORT's own logger.
    ort.set_default_logger_severity(4)
    opts.log_severity_level = 4
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    if str(model).endswith(".onnxtext"):
        # The ONNX text syntax (what attune's tests write by hand).
        import onnx.parser
        with open(model) as f:
            model = onnx.parser.parse_model(f.read()).SerializeToString()
    return ort.InferenceSession(model, sess_options=opts,
                                providers=["CPUExecutionProvider"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--inputs", required=True, help="directory of input .npy")
    ap.add_argument("--outputs", required=True, help="directory for outputs")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--opt-level", choices=["all", "disable"], default="all")
    args = ap.parse_args()

    if not os.path.isfile(args.model):
        fail(f"model file '{args.model}' not found")
    if not os.path.isdir(args.inputs):
        fail(f"input directory '{args.inputs}' not found")
    try:
        import onnxruntime as ort
    except ImportError as e:
        fail(f"cannot import onnxruntime ({e}); use the project venv python")

    levels = [ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
              ort.GraphOptimizationLevel.ORT_DISABLE_ALL]
    if args.opt_level == "disable":
        levels = levels[1:]

    errors = []
    results = None
    for level in levels:
        try:
            session = make_session(args.model, level, args.threads)
        except Exception as e:  # noqa: BLE001
            errors.append(f"session ({level}): {e}")
            continue
        feeds = load_inputs(session, args.inputs)
        try:
            names = [o.name for o in session.get_outputs()]
            results = dict(zip(names, session.run(names, feeds)))
            break
        except Exception as e:  # noqa: BLE001
            errors.append(f"run ({level}): {e}")
    if results is None:
        fail("onnxruntime failed on '%s':\n  %s"
             % (args.model, "\n  ".join(str(e).strip() for e in errors)))

    os.makedirs(args.outputs, exist_ok=True)
    for name, value in results.items():
        np.save(os.path.join(args.outputs, sanitize(name) + ".npy"),
                np.asarray(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
