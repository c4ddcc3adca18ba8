#!/usr/bin/env python3
"""check_calibrate.py: numerical tests of attn-calibrate against ref_calibrate.py.

Each case builds a one-node model (ONNX Attention-23 on 4-D Q/K/V, which
raises to one attn.sdpa, or an MLIR function for forms ONNX cannot express:
a bottom-right aligned decode step, two sites), writes seeded random inputs,
runs `attune run --rewrite 'attn-calibrate{...}'` and compares the output
with the numpy reference (max abs error <= 1e-4). Every calibrated case also
checks that the calibration changed the output (so ignoring it would fail);
ACT inputs get planted attention sinks so that the sink set is not empty;
the identity cases compare with the dense run to float rounding.

usage: check_calibrate.py --attune BIN --work DIR CASE...   (or `all`)
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attn_harness as harness  # noqa: E402
import ref_calibrate as ref  # noqa: E402
from attn_harness import tensor  # noqa: E402

TOL = 1e-4
ARGS = None
H = None  # the harness, set up in main()


def mlir_sites(tag, shape, causals):
    """One attn.sdpa per entry of `causals` on the same Q/K/V, outputs Y0..."""
    b, hq, hkv, lq, lk, d = shape
    tq, tk = tensor([b, hq, lq, d]), tensor([b, hkv, lk, d])
    outs = ", ".join(f'{tq} {{onnx.name = "Y{i}"}}' for i in range(len(causals)))
    body = "".join(
        f"  %o{i} = attn.sdpa %q, %k, %v {{attn.site = {i} : i64, "
        f"causal = #attn.causal<{c}>}} : {tq}, {tk}, {tk} -> {tq}\n"
        for i, c in enumerate(causals))
    rets = ", ".join(f"%o{i}" for i in range(len(causals)))
    text = f"""func.func @main(%q: {tq} {{onnx.name = "Q"}}, %k: {tk} {{onnx.name = "K"}},
    %v: {tk} {{onnx.name = "V"}}) -> ({outs}) attributes {{llvm.emit_c_interface}} {{
{body}  return {rets} : {", ".join([tq] * len(causals))}
}}
"""
    return H.write_model(tag, text)


def inputs_for(shape, seed, sinks=()):
    """Random Q/K/V; keys at positions `sinks` are pushed towards a direction
    every query shares, which makes them attention sinks."""
    b, hq, hkv, lq, lk, d = shape
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((b, hq, lq, d))
    k = rng.standard_normal((b, hkv, lk, d))
    v = rng.standard_normal((b, hkv, lk, d))
    if sinks:
        u = rng.standard_normal(d)
        u /= np.linalg.norm(u)
        q += 2.0 * u
        for j in sinks:
            k[:, :, j] += 3.0 * np.sqrt(d) * u
    return {"Q": q.astype(np.float32), "K": k.astype(np.float32),
            "V": v.astype(np.float32)}


def compare(tag, got, want, tol=TOL):
    harness.compare(tag, got, want, tol)


def must_change(tag, got, dense):
    diff = float(np.abs(got - dense).max())
    if diff < 1e-3:
        raise AssertionError(f"{tag}: the calibration did not change the "
                             f"output (max diff to dense {diff:.2e})")


def check_case(tag, shape, causal, rewrite, x, **method):
    """Runs the calibrated model and compares with ref.attention(**method)."""
    model = H.onnx_attention(tag, shape, causal == "top_left")
    got = H.run_attune(model, x, rewrite, tag)["Y"]
    want = ref.attention(x["Q"], x["K"], x["V"], causal, **method)
    compare(tag, got, want)
    must_change(tag, got, ref.attention(x["Q"], x["K"], x["V"], causal))


def check_identity(tag, shape, causal, rewrite, x):
    model = H.onnx_attention(tag, shape, causal == "top_left")
    got = H.run_attune(model, x, rewrite, tag)["Y"]
    dense = H.run_attune(model, x, "", tag + "-dense")["Y"]
    compare(tag + " vs dense", got, dense.astype(np.float64), 1e-6)


CASES, case = harness.case_registry()


@case
def zerotuning():
    for shape, causal, gamma, heads in [
            ((1, 4, 4, 37, 37, 16), "top_left", 1.7, None),
            ((2, 6, 2, 29, 29, 8), "none", 0.4, [1, 4]),
            ((1, 8, 2, 19, 19, 16), "top_left", 3.0, [0, 5, 6, 7])]:
        _, hq, hkv, lq, _, _ = shape
        hs = f" heads={','.join(map(str, heads))}" if heads else ""
        check_case(f"zt-{hq}-{hkv}-{lq}-{causal}", shape, causal,
                   f"attn-calibrate{{method=zerotuning gamma={gamma}{hs}}}",
                   inputs_for(shape, lq), method="zerotuning", gamma=gamma,
                   heads=heads)


@case
def zerotuning_decode():
    """A decode step (bottom-right causal) needs an MLIR model."""
    shape = (1, 4, 2, 5, 23, 16)
    x = inputs_for(shape, 7)
    model = mlir_sites("zt-decode", shape, ["bottom_right"])
    got = H.run_attune(model, x, "attn-calibrate{method=zerotuning gamma=2.5}",
                       "zt-decode")["Y0"]
    compare("zt-decode", got, ref.attention(x["Q"], x["K"], x["V"],
                                            "bottom_right", "zerotuning",
                                            gamma=2.5))
    must_change("zt-decode", got,
                ref.attention(x["Q"], x["K"], x["V"], "bottom_right"))


@case
def zerotuning_identity():
    shape = (1, 4, 2, 31, 31, 8)
    check_identity("zt-identity", shape, "top_left",
                   "attn-calibrate{method=zerotuning gamma=1}",
                   inputs_for(shape, 11))


def planted_act_case(tag, shape, causal, beta, tau, heads, sinks, seed):
    x = inputs_for(shape, seed, sinks)
    a = ref.probabilities(x["Q"], x["K"], causal)
    found, _ = ref.act_sinks(a, causal, tau)
    # The test is only meaningful if ACT finds the planted sinks (and not
    # token 0, which it must leave alone).
    for j in sinks:
        if j > 0 and not found[..., j].all():
            raise AssertionError(f"{tag}: planted sink {j} not detected")
    hs = f" heads={','.join(map(str, heads))}" if heads else ""
    check_case(tag, shape, causal,
               f"attn-calibrate{{method=act beta={beta} tau={tau}{hs}}}", x,
               method="act", beta=beta, tau=tau, heads=heads)


@case
def act():
    planted_act_case("act-mha-causal", (1, 4, 4, 41, 41, 16), "top_left",
                     0.4, 0.1, None, (0, 5, 17), 21)
    planted_act_case("act-gqa-bidir", (2, 6, 2, 33, 33, 8), "none",
                     0.25, 0.05, [0, 2, 3], (0, 9), 22)
    planted_act_case("act-gqa-causal-odd", (1, 8, 2, 23, 23, 16), "top_left",
                     0.0, 0.1, [7], (3, 11), 23)


@case
def act_identity():
    """No column mean above tau: ACT is the identity."""
    shape = (1, 4, 2, 29, 29, 8)
    x = inputs_for(shape, 31)
    a = ref.probabilities(x["Q"], x["K"], "top_left")
    _, c = ref.act_sinks(a, "top_left", 0.0)
    tau = float(c[..., 1:].max()) + 1e-3
    if tau >= 1.0:
        raise AssertionError("act-identity: a column mean is ~1; pick a seed")
    check_identity("act-identity", shape, "top_left",
                   f"attn-calibrate{{method=act tau={tau:.6f}}}", x)


@case
def layers():
    """Only the selected site is calibrated."""
    shape = (1, 4, 2, 17, 17, 8)
    x = inputs_for(shape, 41, sinks=(0, 4))
    model = mlir_sites("layers", shape, ["top_left", "none"])
    out = H.run_attune(model, x, "attn-calibrate{method=act layers=1}", "layers")
    compare("layers site 0 (dense)", out["Y0"],
            ref.attention(x["Q"], x["K"], x["V"], "top_left"))
    compare("layers site 1 (act)", out["Y1"],
            ref.attention(x["Q"], x["K"], x["V"], "none", "act"))
    must_change("layers site 1", out["Y1"],
                ref.attention(x["Q"], x["K"], x["V"], "none"))


def main():
    global ARGS, H
    p = argparse.ArgumentParser()
    p.add_argument("--attune", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("cases", nargs="+")
    ARGS = p.parse_args()
    H = harness.Harness(ARGS.attune, ARGS.work)
    names = list(CASES) if ARGS.cases == ["all"] else ARGS.cases
    failed = []
    for n in names:
        print(f"{n}:")
        try:
            CASES[n]()
        except (AssertionError, RuntimeError, KeyError) as e:
            print(f"  FAILED: {e}")
            failed.append(n)
    if failed:
        print("failed: " + " ".join(failed))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
