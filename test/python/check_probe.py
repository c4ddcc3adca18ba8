#!/usr/bin/env python3
"""check_probe.py: `attune probe-heads` against a numpy recomputation.

Runs probe-heads on a GPT-2-style model (saving the probe inputs, the scores
and the policy), then runs the dense model on the same inputs with
`attn-expose-sites{probs=true}` and recomputes from the exposed attention
probabilities, as RazorAttention defines them:

- probe mode (a random sequence of n tokens repeated R times): echo score of
  a head = mean over queries t >= n of A[t, t - n] (the same token in the
  previous copy), induction score = mean of A[t, t - n + 1] (the token after
  it);
- given inputs: for each query t, the positions s < t holding the same token;
  echo = sum of A[t, s], induction = sum of A[t, s + 1], averaged over the
  queries that have such an s;
- retrieval heads = top ceil(1% of heads) by echo and top ceil(14%) by
  induction (at least one), which must be the policy's retrieval-heads.

It also checks that the probe really is R copies of n distinct tokens and
that the written policy applies (`attune eval --policy`).

usage: check_probe.py --attune BIN --work DIR --model MODEL.onnx
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_harness import run  # noqa: E402

ARGS = None
FAILED = []


def exposed_probs(inputs):
    out = os.path.join(ARGS.work, "probs-" + os.path.basename(inputs))
    run([ARGS.attune, "run", ARGS.model, "--inputs", inputs, "--output-dir", out,
         "--rewrite", "attn-expose-sites{outputs=false stats=false probs=true}"])
    probs = {}
    for f in os.listdir(out):
        if f.startswith("site") and f.endswith(".probs.npy"):
            probs[int(f[4:-len(".probs.npy")])] = np.load(os.path.join(out, f))
    return probs


def scores_probe(p, n):
    """p [B, H, L, L] -> echo, induction [H]."""
    b, h, l, _ = p.shape
    t = np.arange(n, l)
    echo = p[:, :, t, t - n].mean(axis=(0, 2))
    ind = p[:, :, t, t - n + 1].mean(axis=(0, 2))
    return echo, ind


def scores_tokens(p, ids):
    b, h, l, _ = p.shape
    echo = np.zeros(h)
    ind = np.zeros(h)
    count = 0
    for bb in range(b):
        for t in range(l):
            prev = [s for s in range(t) if ids[bb, s] == ids[bb, t]]
            if not prev:
                continue
            count += 1
            echo += p[bb, :, t, prev].sum(axis=0)
            ind += p[bb, :, t, [s + 1 for s in prev]].sum(axis=0)
    return echo / max(count, 1), ind / max(count, 1)


def compare_scores(tag, report, probs, fn):
    heads = {(r["site"], r["head"]): r for r in report["heads"]}
    mine = []
    for site, p in sorted(probs.items()):
        echo, ind = fn(p.astype(np.float64))
        for h in range(p.shape[1]):
            r = heads.pop((site, h))
            for name, got, want in [("echo", r["echo"], echo[h]),
                                    ("induction", r["induction"], ind[h])]:
                if abs(got - want) > 1e-5:
                    FAILED.append(f"{tag} site {site} head {h} {name}: "
                                  f"{got} vs numpy {want}")
            mine.append((site, h, echo[h], ind[h]))
    if heads:
        FAILED.append(f"{tag}: report has extra heads {sorted(heads)}")
    print(f"  {tag}: {len(mine)} heads, max echo "
          f"{max(m[2] for m in mine):.4f}, max induction "
          f"{max(m[3] for m in mine):.4f}")
    return mine


def expected_retrieval(mine):
    k_e = math.ceil(0.01 * len(mine) - 1e-9)
    k_i = math.ceil(0.14 * len(mine) - 1e-9)
    by_e = sorted(range(len(mine)), key=lambda i: -mine[i][2])[:k_e]
    by_i = sorted(range(len(mine)), key=lambda i: -mine[i][3])[:k_i]
    sel = set(by_e) | set(by_i)
    out = {}
    for i in sorted(sel):
        out.setdefault(mine[i][0], []).append(mine[i][1])
    return out


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--attune", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--probe-len", type=int, default=8)
    p.add_argument("--repeats", type=int, default=4)
    ARGS = p.parse_args()
    os.makedirs(ARGS.work, exist_ok=True)
    ids_name = onnx.load(ARGS.model).graph.input[0].name

    # Probe mode.
    inputs = os.path.join(ARGS.work, "probe-in")
    pol = os.path.join(ARGS.work, "policy.json")
    sc = os.path.join(ARGS.work, "scores.json")
    n, reps = ARGS.probe_len, ARGS.repeats
    print(run([ARGS.attune, "probe-heads", ARGS.model, "--probe-len", str(n),
               "--repeats", str(reps), "--save-inputs", inputs,
               "--scores-json", sc, "--policy-out", pol]))
    ids = np.load(os.path.join(inputs, ids_name + ".npy"))
    first = ids[:, :n]
    if ids.shape[-1] != n * reps or not (np.tile(first, reps) == ids).all() or \
            len(set(first[0].tolist())) != n:
        FAILED.append(f"probe is not {reps} copies of {n} distinct tokens")
    with open(sc) as f:
        report = json.load(f)
    print("probe mode:")
    mine = compare_scores("probe", report, exposed_probs(inputs),
                          lambda p: scores_probe(p, n))
    with open(pol) as f:
        rules = json.load(f)["rules"]
    got = {int(r["layers"]): [int(h) for h in r.get("retrieval-heads", "").split(",") if h]
           for r in rules}
    want = expected_retrieval(mine)
    for site in got:
        if got[site] != want.get(site, []):
            FAILED.append(f"site {site}: policy retrieval heads {got[site]}, "
                          f"numpy {want.get(site, [])}")
    if not all(r["method"] == "headwise" and r["sinks"] == 4 and
               r["recent"] == 256 and r["compensation"] for r in rules):
        FAILED.append("policy rules are not headwise sinks 4 + recent 256 + "
                      "compensation")
    print(f"  retrieval heads: {want}")
    run([ARGS.attune, "eval", ARGS.model, "--policy", pol, "--inputs", inputs,
         "--runs", "1"])
    print("  the policy applies (attune eval ran)")

    # Given inputs: token matching over all earlier occurrences.
    given = os.path.join(ARGS.work, "given-in")
    os.makedirs(given, exist_ok=True)
    rng = np.random.default_rng(5)
    base = rng.integers(0, 5, (2, 24))  # a small alphabet: many repeats
    np.save(os.path.join(given, ids_name + ".npy"), base.astype(np.int64))
    sc2 = os.path.join(ARGS.work, "scores-given.json")
    run([ARGS.attune, "probe-heads", ARGS.model, "--inputs", given,
         "--scores-json", sc2])
    with open(sc2) as f:
        report2 = json.load(f)
    print("given inputs:")
    compare_scores("given", report2, exposed_probs(given),
                   lambda p: scores_tokens(p, base))

    print("failed: " + "; ".join(FAILED) if FAILED else "all passed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
