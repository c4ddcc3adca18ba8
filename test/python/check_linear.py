"""Numerical checks of attn-linearize: the compiled rewritten model against
the numpy references of ref_linear.py (written from METHODS.md).

Each case builds a one-node ONNX model (standard Attention, opset 23, 4-D
Q/K/V graph inputs, optionally with past_key/past_value so that causality is
bottom-right aligned with Lq < Lk), writes seeded random inputs, runs
`attune run MODEL --rewrite 'attn-linearize{...}'` and compares Y with the
reference to `--tol` (max abs error, relative to max(1, max|ref|)).

  check_linear.py [--self-test] --attune BIN --workdir DIR CASE [CASE ...]
  check_linear.py --list
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attn_harness as harness  # noqa: E402
import ref_linear as ref  # noqa: E402


def shape(b=1, hq=4, hkv=4, lq=37, lk=None, d=16, dv=None, past=0):
    return dict(b=b, hq=hq, hkv=hkv, lq=lq, lk=lk or lq, d=d, dv=dv or d,
                past=past)


def heads_mix(lin, dense, heads):
    """Selected heads from `lin`, the others from `dense`."""
    out = dense.copy()
    out[:, heads] = lin[:, heads]
    return out


# name -> (shape, causal, rewrite options, reference(q, k, v) on the full K/V)
CASES = {
    # kernelized elu+1 / relu, non-causal: MHA and GQA, Lq != Lk
    "elu1-mha": (shape(), False, "feature=elu1",
                 lambda q, k, v: ref.kernelized(q, k, v, "elu1")),
    "elu1-gqa-lq-lk": (shape(b=2, hq=6, hkv=2, lq=13, lk=29, dv=8), False,
                       "feature=elu1",
                       lambda q, k, v: ref.kernelized(q, k, v, "elu1")),
    "relu-gqa": (shape(hq=4, hkv=1, lq=21), False, "feature=relu",
                 lambda q, k, v: ref.kernelized(q, k, v, "relu")),
    # causal chunked forms: lengths that do not divide the chunk
    "elu1-causal-chunk8": (shape(lq=37), True, "feature=elu1 chunk=8",
                           lambda q, k, v: ref.kernelized(q, k, v, "elu1", True)),
    "elu1-causal-gqa-chunk64": (shape(b=2, hq=4, hkv=2, lq=70, dv=12), True,
                                "feature=elu1",
                                lambda q, k, v: ref.kernelized(q, k, v, "elu1", True)),
    "relu-causal-past": (shape(hq=4, hkv=2, lq=5, past=14), True,
                         "feature=relu chunk=4",
                         lambda q, k, v: ref.kernelized(q, k, v, "relu", True)),
    # MALA
    "mala": (shape(hq=4, hkv=2, lq=23, lk=31), False, "feature=mala",
             lambda q, k, v: ref.mala(q, k, v)),
    "mala-scale": (shape(lq=19), False, "feature=mala scale=0.5",
                   lambda q, k, v: ref.mala(q, k, v, s=0.5)),
    "mala-causal": (shape(hq=4, hkv=2, lq=29), True, "feature=mala chunk=8",
                    lambda q, k, v: ref.mala(q, k, v, causal=True)),
    # Lightning: decay 0, one decay, one per head, GQA, odd lengths, past
    "lightning-nodecay": (shape(lq=45), True, "feature=lightning chunk=16",
                          lambda q, k, v: ref.lightning_naive(q, k, v)),
    "lightning-decay": (shape(hq=4, hkv=2, lq=45), True,
                        "feature=lightning chunk=8 decay=0.05",
                        lambda q, k, v: ref.lightning_naive(q, k, v, 0.05)),
    "lightning-perhead": (shape(b=2, hq=4, hkv=2, lq=33, dv=8), True,
                          "feature=lightning chunk=8 decay=0.0,0.02,0.1,0.5 scale=0.25",
                          lambda q, k, v: ref.lightning_naive(
                              q, k, v, [0.0, 0.02, 0.1, 0.5], 0.25)),
    "lightning-past": (shape(hq=2, hkv=2, lq=6, past=19), True,
                       "feature=lightning chunk=8 decay=0.1",
                       lambda q, k, v: ref.lightning_naive(q, k, v, 0.1)),
    # agent attention
    "agent": (shape(hq=4, hkv=2, lq=30, lk=26), False, "feature=agent agents=7",
              lambda q, k, v: ref.agent(q, k, v, 7)),
    "agent-scale": (shape(lq=17), False, "feature=agent agents=4 scale=0.3",
                    lambda q, k, v: ref.agent(q, k, v, 4, 0.3)),
    # partial heads: the other heads keep softmax attention
    "elu1-heads": (shape(hq=4, hkv=4, lq=19), False, "feature=elu1 heads=1,3",
                   lambda q, k, v: heads_mix(ref.kernelized(q, k, v, "elu1"),
                                             ref.softmax_attention(q, k, v), [1, 3])),
    "lightning-heads-gqa": (shape(hq=6, hkv=3, lq=21), True,
                            "feature=lightning chunk=8 decay=0.1 heads=1-2",
                            lambda q, k, v: heads_mix(
                                ref.lightning_naive(q, k, v, 0.1),
                                ref.softmax_attention(
                                    q, k, v, keep=ref.causal_mask(21, 21)),
                                [1, 2])),
    "mala-heads-group": (shape(hq=4, hkv=2, lq=15), False, "feature=mala heads=2-3",
                         lambda q, k, v: heads_mix(ref.mala(q, k, v),
                                                   ref.softmax_attention(q, k, v),
                                                   [2, 3])),
    # SLA hybrid
    "hybrid": (shape(hq=4, hkv=2, lq=40, lk=40), False,
               "feature=hybrid block-size=8 topk-ratio=0.4",
               lambda q, k, v: ref.hybrid(q, k, v, 8, 0.4)),
    # f16: the block selection, the block-sparse softmax and the linear term
    # run in the f32 kernels on converted operands
    "hybrid-causal-f16": (shape(hq=2, hkv=2, lq=37), True,
                          "feature=hybrid block-size=8 topk-ratio=0.2",
                          lambda q, k, v: ref.hybrid(q, k, v, 8, 0.2, causal=True),
                          np.float16),
    "hybrid-causal": (shape(hq=2, hkv=2, lq=37), True,
                      "feature=hybrid block-size=8 topk-ratio=0.2",
                      lambda q, k, v: ref.hybrid(q, k, v, 8, 0.2, causal=True)),
    "hybrid-past": (shape(hq=2, hkv=1, lq=12, past=21), True,
                    "feature=hybrid block-size=8 topk-ratio=0.3",
                    lambda q, k, v: ref.hybrid(q, k, v, 8, 0.3, causal=True)),
    "hybrid-lq-lk": (shape(hq=4, hkv=2, lq=19, lk=35), False,
                     "feature=hybrid block-size=8 topk-ratio=0.4",
                     lambda q, k, v: ref.hybrid(q, k, v, 8, 0.4)),
    "hybrid-relu-heads": (shape(hq=4, hkv=4, lq=24), False,
                          "feature=hybrid block-size=8 topk-ratio=0.5 kernel=relu heads=0,2",
                          lambda q, k, v: heads_mix(
                              ref.hybrid(q, k, v, 8, 0.5, "relu"),
                              ref.softmax_attention(q, k, v), [0, 2])),
    # 16-bit inputs (computed in f32, rounded to f16 at the end)
    "elu1-causal-f16": (shape(hq=4, hkv=2, lq=27), True, "feature=elu1 chunk=8",
                        lambda q, k, v: ref.kernelized(q, k, v, "elu1", True),
                        np.float16),
    "lightning-f16": (shape(lq=27), True, "feature=lightning chunk=8 decay=0.1",
                      lambda q, k, v: ref.lightning_naive(q, k, v, 0.1), np.float16),
    # identity: every block selected leaves no linear term: dense attention
    "hybrid-all-blocks": (shape(hq=2, hkv=1, lq=30), True,
                          "feature=hybrid block-size=8 topk-ratio=1.0",
                          lambda q, k, v: ref.softmax_attention(
                              q, k, v, keep=ref.causal_mask(30, 30))),
}

# f16 softmax heads next to linear ones (the attention kernel in f32 between
# conversions), and f16 agent attention (pooling and both attentions in f32):
# the f32 cases' shapes, options and references on f16 inputs.
for _name in ("elu1-heads", "lightning-heads-gqa", "agent", "agent-scale"):
    CASES[_name + "-f16"] = CASES[_name] + (np.float16,)


def build_model(path, s, causal, dtype=np.float32):
    b, hq, hkv, lq, lk, d, dv, past = (s[x] for x in
                                       ("b", "hq", "hkv", "lq", "lk", "d", "dv", "past"))
    f = TensorProto.FLOAT16 if dtype == np.float16 else TensorProto.FLOAT
    new = lq if past else lk  # keys given with the step
    inputs = [helper.make_tensor_value_info("Q", f, [b, hq, lq, d]),
              helper.make_tensor_value_info("K", f, [b, hkv, new, d]),
              helper.make_tensor_value_info("V", f, [b, hkv, new, dv])]
    node_in, node_out = ["Q", "K", "V"], ["Y"]
    outputs = [helper.make_tensor_value_info("Y", f, [b, hq, lq, dv])]
    if past:
        inputs += [helper.make_tensor_value_info("PK", f, [b, hkv, past, d]),
                   helper.make_tensor_value_info("PV", f, [b, hkv, past, dv])]
        node_in += ["", "PK", "PV"]
        node_out += ["PKO", "PVO"]
        outputs += [helper.make_tensor_value_info("PKO", f, [b, hkv, past + lq, d]),
                    helper.make_tensor_value_info("PVO", f, [b, hkv, past + lq, dv])]
    node = helper.make_node("Attention", node_in, node_out, name="att",
                            is_causal=int(causal))
    graph = helper.make_graph([node], "linear_case", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    model.ir_version = 10
    onnx.save(model, path)


def run_case(name, attune, workdir, tol, seed):
    s, causal, opts, reference, *rest = CASES[name]
    dtype = rest[0] if rest else np.float32
    if dtype == np.float16:
        tol = max(tol, 2e-3)  # the result is rounded to f16
    if s["past"]:
        s = dict(s, lk=s["past"] + s["lq"])
    d = os.path.join(workdir, name)
    os.makedirs(os.path.join(d, "in"), exist_ok=True)
    model = os.path.join(d, "model.onnx")
    build_model(model, s, causal, dtype)
    rng = np.random.default_rng(seed)
    b, hq, hkv, lq, lk, dd, dv = (s[x] for x in ("b", "hq", "hkv", "lq", "lk", "d", "dv"))
    q = rng.standard_normal((b, hq, lq, dd)).astype(dtype)
    k = rng.standard_normal((b, hkv, lk, dd)).astype(dtype)
    v = rng.standard_normal((b, hkv, lk, dv)).astype(dtype)
    feeds = {"Q": q}
    if s["past"]:
        p = s["past"]
        feeds.update(K=k[:, :, p:], V=v[:, :, p:], PK=k[:, :, :p], PV=v[:, :, :p])
    else:
        feeds.update(K=k, V=v)
    harness.save_inputs(os.path.join(d, "in"), feeds)
    out = os.path.join(d, "out")
    cmd = [attune, "run", model, "--inputs", os.path.join(d, "in"),
           "--rewrite", "attn-linearize{" + opts + "}", "--output-dir", out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"{name}: FAIL: attune exited {r.returncode}\n{' '.join(cmd)}\n"
              f"{r.stdout}{r.stderr}")
        return False
    got = np.load(os.path.join(out, "Y.npy")).astype(np.float64)
    want = reference(q.astype(np.float64), k.astype(np.float64),
                     v.astype(np.float64))
    if got.shape != want.shape:
        print(f"{name}: FAIL: shape {got.shape}, expected {want.shape}")
        return False
    err = np.abs(got - want).max() / max(1.0, np.abs(want).max())
    ok = bool(err <= tol) and np.isfinite(got).all()
    print(f"{name}: {'OK' if ok else 'FAIL'} max_err {err:.3e} (tol {tol:g}) "
          f"[{opts}]")
    return ok


def self_test():
    """The references agree with each other where METHODS.md says they must:
    the Lightning block recurrence equals the naive decay-matrix form, and the
    non-causal kernelized form equals its O(N d^2) factorization."""
    rng = np.random.default_rng(1)
    q = rng.standard_normal((2, 4, 29, 8))
    k = rng.standard_normal((2, 2, 29, 8))
    v = rng.standard_normal((2, 2, 29, 5))
    errs = []
    for decay in (0.0, [0.0, 0.1, 0.3, 1.0]):
        a = ref.lightning_naive(q, k, v, decay, 0.5)
        b = ref.lightning_blockwise(q, k, v, decay, 0.5, block=8)
        errs.append(np.abs(a - b).max() / np.abs(a).max())
    qq, kk, vv = ref._expand_kv(q, k, v)
    fq, fk = ref.elu1(qq), ref.elu1(kk)
    fact = np.einsum("bhid,bhde->bhie", fq, np.einsum("bhjd,bhje->bhde", fk, vv))
    fact /= np.einsum("bhid,bhd->bhi", fq, fk.sum(2))[..., None]
    errs.append(np.abs(ref.kernelized(q, k, v) - fact).max())
    ok = max(errs) < 1e-10
    print(f"self-test: {'OK' if ok else 'FAIL'} max_err {max(errs):.3e}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--attune", default="attune")
    ap.add_argument("--workdir", default="linear-check")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--self-test", action="store_true",
                    help="check the numpy references against each other first")
    a = ap.parse_args()
    if a.list:
        print("\n".join(CASES))
        return 0
    if a.self_test and not self_test():
        return 1
    unknown = [c for c in a.cases if c not in CASES]
    if unknown or (not a.cases and not a.self_test):
        print(f"unknown or no cases: {unknown}; --list shows them")
        return 2
    results = [run_case(c, a.attune, a.workdir, a.tol, a.seed) for c in a.cases]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
