#!/usr/bin/env python3
"""check_eval.py: end-to-end check of `attune eval` on a fixture model.

Imports, raises and rewrites a GPT-2-style fixture with a mixed policy
(window on some heads of site 0, ACT on site 1 with one head exempted by a
dense rule), runs `attune eval --json`, and recomputes every number of the
report independently:

- the dense model's logits against onnxruntime (so the exposed dense
  probabilities and site outputs are those of the real model);
- per site and per output max/mean abs error and cosine, in numpy, from the
  site outputs of the dense and the rewritten model (`attune run` with
  `attn-expose-sites`, `--policy` for the rewritten one);
- density and recall of the windowed site from the dense attention
  probabilities (`site<N>.probs`) and a keep mask built in numpy from the
  window definition in METHODS.md (key j kept for query i iff j < sinks or
  0 <= i - j < window, on the windowed heads; every visible key elsewhere).

usage: check_eval.py --attune BIN --work DIR --model MODEL.onnx
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_harness import load_outputs, run  # noqa: E402

ARGS = None
FAILED = []


def attune_run(tag, extra):
    out = os.path.join(ARGS.work, tag)
    run([ARGS.attune, "run", ARGS.model, "--inputs", os.path.join(ARGS.work, "in"),
         "--output-dir", out] + extra)
    return load_outputs(out)


def check(tag, got, want, tol):
    ok = abs(got - want) <= tol * max(1.0, abs(want))
    print(f"  {tag}: report {got:.6g} numpy {want:.6g} {'OK' if ok else 'MISMATCH'}")
    if not ok:
        FAILED.append(tag)


def vocab_size(model):
    """Rows of the embedding table that Gather indexes with the ids."""
    m = onnx.load(model)
    inits = {i.name: i for i in m.graph.initializer}
    ids = m.graph.input[0].name
    for n in m.graph.node:
        if n.op_type == "Gather" and n.input[1] == ids and n.input[0] in inits:
            return inits[n.input[0]].dims[0]
    raise RuntimeError("no embedding Gather on the first input")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--attune", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--length", type=int, default=30)
    ARGS = p.parse_args()
    os.makedirs(os.path.join(ARGS.work, "in"), exist_ok=True)

    m = onnx.load(ARGS.model)
    ids_name = m.graph.input[0].name
    rng = np.random.default_rng(3)
    ids = rng.integers(0, vocab_size(ARGS.model), (2, ARGS.length)).astype(np.int64)
    np.save(os.path.join(ARGS.work, "in", ids_name + ".npy"), ids)

    window, sinks, win_heads = 8, 2, [0, 1, 2]
    policy = [
        {"layers": "0", "method": "window", "window": window, "sinks": sinks,
         "heads": "0-2"},
        {"layers": "1", "method": "act", "beta": 0.4, "tau": 0.1},
        {"layers": "1", "heads": [3], "method": "dense"},
    ]
    pol = os.path.join(ARGS.work, "policy.json")
    with open(pol, "w") as f:
        json.dump(policy, f)

    report_path = os.path.join(ARGS.work, "eval.json")
    text = run([ARGS.attune, "eval", ARGS.model, "--policy", pol, "--inputs",
                os.path.join(ARGS.work, "in"), "--json", report_path,
                "--runs", "3"])
    print(text)
    with open(report_path) as f:
        report = json.load(f)

    dense = attune_run("dense", ["--rewrite",
                                 "attn-expose-sites{stats=false probs=true}"])
    rewritten = attune_run("rewritten", ["--policy", pol, "--rewrite",
                                         "attn-expose-sites{stats=false}"])

    print("dense model vs onnxruntime:")
    sess = ort.InferenceSession(ARGS.model, providers=["CPUExecutionProvider"])
    ref = sess.run(None, {ids_name: ids})
    out_name = m.graph.output[0].name
    err = float(np.abs(dense[out_name] - ref[0]).max())
    print(f"  {out_name}: max_abs_err {err:.3e}")
    if err > 1e-4:
        FAILED.append("dense vs onnxruntime")

    def errors(a, b):
        a = a.astype(np.float64).ravel()
        b = b.astype(np.float64).ravel()
        d = np.abs(a - b)
        cos = float(a @ b / np.sqrt((a @ a) * (b @ b)))
        return float(d.max()), float(d.mean()), cos

    rows = [(f"site {s['site']}", f"site{s['site']}.out", s)
            for s in report["sites"]]
    rows += [(f"output {o['name']}", o["name"], o) for o in report["outputs"]]
    if len(report["sites"]) != 2 or not report["outputs"]:
        FAILED.append("report rows")
    for tag, name, r in rows:
        print(f"{tag}:")
        mx, mean, cos = errors(rewritten[name], dense[name])
        check(tag + " max_abs", r["max_abs"], mx, 1e-5)
        check(tag + " mean_abs", r["mean_abs"], mean, 1e-5)
        check(tag + " cosine", r["cosine"], cos, 1e-6)

    # Density / recall of site 0 from the definitions.
    probs = dense["site0.probs"].astype(np.float64)  # [B, H, L, L]
    b, h, lq, lk = probs.shape
    i = np.arange(lq)[:, None]
    j = np.arange(lk)[None, :]
    visible = j <= i
    window_keep = visible & ((j < sinks) | (i - j < window))
    keep = np.stack([window_keep if hh in win_heads else visible
                     for hh in range(h)])[None].repeat(b, axis=0)
    density = keep.sum() / np.broadcast_to(visible, keep.shape).sum()
    recall = (probs * keep).sum(axis=-1).mean()
    s0, s1 = report["sites"]
    print("site 0 statistics:")
    check("site 0 density", s0["density"], density, 1e-6)
    check("site 0 recall", s0["recall"], recall, 1e-5)
    print("site 1 statistics (calibration keeps every key):")
    check("site 1 density", s1["density"], 1.0, 0)
    check("site 1 recall", s1["recall"], 1.0, 0)
    if "window" not in s0["form"] or "dense_heads[3]" not in s0["form"] or \
            "act" not in s1["form"] or "heads[0,1,2]" not in s1["form"]:
        FAILED.append("forms " + s0["form"] + " / " + s1["form"])
    # The rewrite must have changed both sites (a policy that did nothing
    # would pass every comparison above).
    for s in report["sites"]:
        if not s["max_abs"] > 1e-3:
            FAILED.append(f"site {s['site']} unchanged")
    t = report["time_ms"]
    if not (t["dense"] > 0 and t["rewritten"] > 0):
        FAILED.append("run times")
    print("failed: " + ", ".join(FAILED) if FAILED else "all passed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
