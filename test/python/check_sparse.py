#!/usr/bin/env python3
"""check_sparse.py: numerical tests of attn-sparsify against ref_sparse.py.

Each case builds a one-node model (ONNX Attention-23 on 4-D Q/K/V, which
raises to one attn.sdpa; or an MLIR function where the case needs a form ONNX
cannot express, such as a bottom-right aligned decode step or a bare
attn.block_select), writes seeded random inputs, compiles and runs it with
`attune run --rewrite 'attn-sparsify{...}'`, and compares the outputs with
the numpy reference (max abs error <= 1e-4). Every sparse case also checks
that the sparsity changed the result (so that ignoring it would fail), and the
identity cases compare with the dense run.

usage: check_sparse.py --attune BIN --work DIR CASE...   (or `all`)
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attn_harness as harness  # noqa: E402
import ref_sparse as ref  # noqa: E402
from attn_harness import tensor  # noqa: E402

TOL = 1e-4
ARGS = None
H = None  # the harness, set up in main()


def mlir_sdpa(tag, shape, causal):
    """One attn.sdpa with the given causal kind (e.g. bottom_right)."""
    b, hq, hkv, lq, lk, d = shape
    tq, tk, = tensor([b, hq, lq, d]), tensor([b, hkv, lk, d])
    text = f"""func.func @main(%q: {tq} {{onnx.name = "Q"}}, %k: {tk} {{onnx.name = "K"}},
    %v: {tk} {{onnx.name = "V"}}) -> ({tq} {{onnx.name = "Y"}}) attributes {{llvm.emit_c_interface}} {{
  %o = attn.sdpa %q, %k, %v {{attn.site = 0 : i64, causal = #attn.causal<{causal}>}} : {tq}, {tk}, {tk} -> {tq}
  return %o : {tq}
}}
"""
    return H.write_model(tag, text)


def mlir_select(tag, shape, attrs, bq, bk):
    """A bare attn.block_select returning its block map as output M."""
    b, hq, hkv, lq, lk, d = shape
    tq, tk = tensor([b, hq, lq, d]), tensor([b, hkv, lk, d])
    tm = tensor([b, hq, -(-lq // bq), -(-lk // bk)], "i1")
    text = f"""func.func @main(%q: {tq} {{onnx.name = "Q"}}, %k: {tk} {{onnx.name = "K"}})
    -> ({tm} {{onnx.name = "M"}}) attributes {{llvm.emit_c_interface}} {{
  %m = attn.block_select %q, %k {{block_q = {bq} : i64, block_k = {bk} : i64, {attrs}}} : {tq}, {tk} -> {tm}
  return %m : {tm}
}}
"""
    return H.write_model(tag, text)


def inputs_for(shape, seed, local=False):
    """Seeded normal Q/K/V; with `local`, Q and K also carry sinusoidal
    position features (Q scaled by 4), so that attention concentrates near
    the diagonal as in trained models and SALE has blocks to drop."""
    b, hq, hkv, lq, lk, d = shape
    rng = np.random.default_rng(seed)
    if local:
        w = 0.05 * 2.0 ** (np.arange(d // 2) * 0.5)

        def feats(n, first):
            t = (first + np.arange(n))[:, None] * w[None]
            return np.concatenate([np.cos(t), np.sin(t)], 1)
        return {"Q": (4 * feats(lq, lk - lq) + 0.6 * rng.standard_normal(
                    (b, hq, lq, d))).astype(np.float32),
                "K": (feats(lk, 0) + 0.6 * rng.standard_normal(
                    (b, hkv, lk, d))).astype(np.float32),
                "V": rng.standard_normal((b, hkv, lk, d)).astype(np.float32)}
    return {"Q": rng.standard_normal((b, hq, lq, d)).astype(np.float32),
            "K": rng.standard_normal((b, hkv, lk, d)).astype(np.float32),
            "V": rng.standard_normal((b, hkv, lk, d)).astype(np.float32)}


def compare(tag, got, want, tol=TOL):
    harness.compare(tag, got, want, tol)


def check_sparse_case(tag, shape, causal, rewrite, keep, seed, comp=False,
                      mlir_causal=None, local=False, inputs=None):
    """Runs the rewritten model (on `inputs`, else inputs_for), compares with
    ref.attention(keep) and checks that the rewrite changed the output."""
    x = inputs if inputs is not None else inputs_for(shape, seed, local=local)
    model = (mlir_sdpa(tag, shape, mlir_causal) if mlir_causal
             else H.onnx_attention(tag, shape, causal))
    kind = mlir_causal or ("top_left" if causal else "none")
    got = H.run_attune(model, x, rewrite, tag)["Y"]
    compare(tag, got, ref.attention(x["Q"], x["K"], x["V"], keep, kind,
                                    compensation=comp))
    dense = ref.attention(x["Q"], x["K"], x["V"], None, kind)
    diff = float(np.abs(got - dense).max())
    if diff < 1e-3:
        raise AssertionError(f"{tag}: the rewrite did not change the output "
                             f"(max diff to dense {diff:.2e})")
    return got


def check_identity(tag, shape, causal, rewrite, seed):
    """The rewrite must not change the output (to float rounding)."""
    x = inputs_for(shape, seed)
    model = H.onnx_attention(tag, shape, causal)
    got = H.run_attune(model, x, rewrite, tag)["Y"]
    dense = H.run_attune(model, x, "", tag + "-dense")["Y"]
    compare(tag + " vs dense", got, dense.astype(np.float64), 1e-6)


CASES, case = harness.case_registry()


# -- window / neighborhood ---------------------------------------------------

@case
def window_causal():
    for shape, w, s, heads in [((1, 4, 4, 77, 77, 16), 16, 4, None),
                               ((2, 6, 2, 50, 50, 8), 9, 2, [0, 1, 2, 3])]:
        _, hq, _, lq, lk, _ = shape
        keep = ref.per_head(ref.streaming_keep(lq, lk, w, s, "causal"), hq, heads)
        hs = f" heads={heads[0]}-{heads[-1]}" if heads else ""
        check_sparse_case(f"window-causal-{hq}-{lq}", shape, True,
                          f"attn-sparsify{{pattern=window window={w} sinks={s}{hs}}}",
                          keep, seed=lq)


@case
def window_bidirectional():
    shape = (1, 4, 2, 45, 45, 16)
    keep = ref.streaming_keep(45, 45, 10, 3, "bidirectional")
    check_sparse_case("window-bidir", shape, False,
                      "attn-sparsify{pattern=window window=10 sinks=3}", keep, 1)
    # causal-form overrides the site's kind
    keep = ref.streaming_keep(45, 45, 10, 3, "causal")
    check_sparse_case("window-forced-causal", shape, False,
                      "attn-sparsify{pattern=window window=10 sinks=3 "
                      "causal-form=causal}", keep, 2)


@case
def window_decode():
    shape = (1, 4, 2, 5, 40, 16)  # 5 new queries after 35 cached keys
    keep = ref.streaming_keep(5, 40, 8, 4, "causal")
    check_sparse_case("window-decode", shape, None,
                      "attn-sparsify{pattern=window window=8 sinks=4}", keep, 3,
                      mlir_causal="bottom_right")


@case
def window_identity():
    check_identity("window-identity-causal", (1, 4, 2, 33, 33, 8), True,
                   "attn-sparsify{pattern=window window=33 sinks=0}", 4)
    check_identity("window-identity-bidir", (1, 2, 2, 21, 21, 8), False,
                   "attn-sparsify{pattern=window window=64}", 5)


@case
def neighborhood():
    for shape, causal, kern, dil in [((1, 4, 4, 41, 41, 16), False, 7, 2),
                                     ((1, 4, 2, 33, 33, 8), True, 5, 3),
                                     ((1, 2, 1, 20, 20, 8), False, 5, 1)]:
        lq = shape[3]
        keep = ref.neighborhood_keep(lq, lq, kern, dil, causal)
        check_sparse_case(f"neighborhood-{lq}-k{kern}-d{dil}", shape, causal,
                          f"attn-sparsify{{pattern=neighborhood kernel={kern} "
                          f"dilation={dil}}}", keep, seed=lq)


# -- head-wise retrieval/streaming split -------------------------------------

@case
def headwise():
    shape = (1, 8, 2, 70, 70, 16)
    for causal in (True, False):
        form = "causal" if causal else "bidirectional"
        keep = ref.per_head(ref.streaming_keep(70, 70, 16, 4, form), 8,
                            [0, 2, 3, 4, 5, 7])
        for comp in (False, True):
            check_sparse_case(
                f"headwise-{form}-comp{int(comp)}", shape, causal,
                "attn-sparsify{pattern=headwise retrieval-heads=1,6 sinks=4 "
                f"recent=16 compensation={str(comp).lower()}}}",
                keep, seed=6, comp=comp)
    # The compensation token on the kernel's other two paths: few query
    # rows (the decode walk over the keys) and a window wider than the band
    # form takes (the tiled walk; 2100 keys around each of 40 queries at
    # the end of 2400).
    keep = ref.per_head(ref.streaming_keep(2, 70, 16, 4, "bidirectional"), 4,
                        [0, 2, 3])
    check_sparse_case(
        "headwise-decode-comp1", (1, 4, 2, 2, 70, 16), False,
        "attn-sparsify{pattern=headwise retrieval-heads=1 sinks=4 recent=16 "
        "compensation=true}", keep, seed=8, comp=True)
    # The keys the wide window drops (positions 4 .. 1309) share a direction
    # the queries follow and their values an offset, so that their mean, the
    # token, takes a visible share of each row (one key among 2100 would
    # not show on random data).
    shape = (1, 2, 1, 40, 2400, 16)
    x = inputs_for(shape, 9)
    x["K"][:, :, 4:1310] += 1.5
    x["Q"] += 1.5
    x["V"][:, :, 4:1310] += 4.0
    keep = ref.per_head(ref.streaming_keep(40, 2400, 2100, 4, "bidirectional"),
                        2, [0])
    check_sparse_case(
        "headwise-wide-comp1", shape, False,
        "attn-sparsify{pattern=headwise retrieval-heads=1 sinks=4 recent=2100 "
        "compensation=true}", keep, seed=9, comp=True, inputs=x)


# -- static block layouts ----------------------------------------------------

@case
def block_static():
    # built-in local + strided, GQA, causal, 100 = 6 blocks of 16 + 4
    shape = (1, 6, 2, 100, 100, 16)
    grid = ref.local_strided_grid(7, 2, 3, True)
    keep = ref.layout_keep([grid], 6, 100, 100, 16, "top_left")
    check_sparse_case("block-static-local-strided", shape, True,
                      "attn-sparsify{pattern=block-static block-size=16 "
                      "local-blocks=2 stride=3}", keep, 7)
    # a layout file with 2 per-head layouts on a 12x12 grid, non-causal,
    # 75 keys = 9 blocks of 8 + 3
    rng = np.random.default_rng(8)
    grids = [rng.random((12, 12)) < 0.4 for _ in range(2)]
    for g in grids:
        np.fill_diagonal(g, True)
    csr = [ref.dense_to_csr(g, pad_to=144) for g in grids]
    path = os.path.join(ARGS.work, "layout.json")
    with open(path, "w") as f:
        json.dump({"block_size": 8,
                   "block_row_indices": [c[0] for c in csr],
                   "block_col_indices": [c[1] for c in csr]}, f)
    keep = ref.layout_keep(grids, 4, 75, 75, 8, "none")
    check_sparse_case("block-static-file", (1, 4, 2, 75, 75, 16), False,
                      f"attn-sparsify{{pattern=block-static block-size=8 "
                      f"layout={path}}}", keep, 9)


# -- dynamic block selection -------------------------------------------------

def select_attrs(method, causal, **kw):
    a = [f"method = #attn.select<{method}>", f"causal = #attn.causal<{causal}>"]
    for k, v in kw.items():
        a.append(f"{k} = {v} : {'f64' if isinstance(v, float) else 'i64'}")
    return ", ".join(a)


def check_map(tag, shape, method, causal, bq, bk, seed, local=False, **kw):
    """The block map of attn.block_select against the numpy one."""
    x = inputs_for(shape, seed, local=local)
    x.pop("V")
    path = mlir_select(tag, shape, select_attrs(method, causal, **kw), bq, bk)
    got = H.run_attune(path, x, "", tag)["M"].astype(bool)
    fn = {"moba": ref.moba_map, "sla": ref.sla_map, "sale": ref.sale_map}[method]
    params = {"moba": ("topk",), "sla": ("topk_ratio",), "sale": ("tau",)}[method]
    want = fn(x["Q"], x["K"], bq, bk, *[kw[p] for p in params], causal=causal,
              sink_blocks=kw.get("sink_blocks", 1),
              local_blocks=kw.get("local_blocks", 1))
    bad = int((got != want).sum())
    print(f"  {tag}: block map {got.shape}, {int(want.sum())}/{want.size} kept, "
          f"{bad} mismatches")
    if bad:
        raise AssertionError(f"{tag}: {bad} block map entries differ")
    return want


DYN_SHAPES = [((1, 4, 4, 90, 90, 16), "top_left", 16, 16),
              ((2, 6, 2, 75, 75, 8), "none", 8, 16),
              ((1, 4, 2, 40, 130, 16), "bottom_right", 16, 32),
              ((1, 2, 1, 37, 37, 8), "top_left", 1, 8)]


@case
def moba():
    for n, (shape, causal, bq, bk) in enumerate(DYN_SHAPES):
        for sb, lb in [(0, 1), (1, 2)]:
            check_map(f"moba-map-{n}-{sb}{lb}", shape, "moba", causal, bq, bk,
                      seed=10 + n, topk=2, sink_blocks=sb, local_blocks=lb)
    shape = (1, 6, 2, 90, 90, 16)
    x = inputs_for(shape, 11)
    bmap = ref.moba_map(x["Q"], x["K"], 16, 16, 3, "top_left", 0, 1)
    keep = ref.expand_block_map(bmap, 90, 90, 16, 16)
    check_sparse_case("moba-e2e", shape, True,
                      "attn-sparsify{pattern=dynamic method=moba block-q=16 "
                      "block-k=16 topk=3}", keep, 11)
    check_identity("moba-identity", shape, True,
                   "attn-sparsify{pattern=dynamic method=moba block-q=16 "
                   "block-k=16 topk=6}", 12)


@case
def sla():
    for n, (shape, causal, bq, bk) in enumerate(DYN_SHAPES):
        check_map(f"sla-map-{n}", shape, "sla", causal, bq, bk, seed=20 + n,
                  topk_ratio=0.3, sink_blocks=0, local_blocks=0)
    shape = (1, 4, 2, 70, 70, 16)
    x = inputs_for(shape, 21)
    bmap = ref.sla_map(x["Q"], x["K"], 8, 8, 0.3, "none", 0, 0)
    keep = ref.expand_block_map(bmap, 70, 70, 8, 8)
    check_sparse_case("sla-e2e", shape, False,
                      "attn-sparsify{pattern=dynamic method=sla block-q=8 "
                      "block-k=8 topk-ratio=0.3}", keep, 21)
    keep[:, [0, 2]] = True  # heads=1,3: the others stay dense
    check_sparse_case("sla-e2e-heads", shape, False,
                      "attn-sparsify{pattern=dynamic method=sla block-q=8 "
                      "block-k=8 topk-ratio=0.3 heads=1,3}", keep, 21)
    check_identity("sla-identity", shape, False,
                   "attn-sparsify{pattern=dynamic method=sla block-q=8 "
                   "block-k=8 topk-ratio=1.0}", 22)


@case
def sale():
    for n, (shape, causal, bq, bk) in enumerate(DYN_SHAPES):
        for local, tau in [(False, 0.02), (True, 0.004)]:
            check_map(f"sale-map-{n}-{'local' if local else 'random'}", shape,
                      "sale", causal, bq, bk, seed=30 + n, local=local,
                      tau=tau, sink_blocks=1, local_blocks=2)
    shape = (1, 4, 2, 96, 96, 16)
    x = inputs_for(shape, 31, local=True)
    bmap = ref.sale_map(x["Q"], x["K"], 16, 8, 0.004, "top_left", 1, 2)
    forced, future = ref.block_geometry(96, 96, 16, 8, "top_left", 1, 2)
    if not (~bmap & ~future).any():
        raise AssertionError("sale-e2e: SALE kept every block; pick data "
                             "with sparsity")
    keep = ref.expand_block_map(bmap, 96, 96, 16, 8)
    check_sparse_case("sale-e2e", shape, True,
                      "attn-sparsify{pattern=dynamic method=sale block-q=16 "
                      "block-k=8 local-blocks=2 min-q-len=0}", keep, 31,
                      local=True)
    # q_len <= min-q-len (1024 by default) stays dense
    check_identity("sale-short-dense", shape, True,
                   "attn-sparsify{pattern=dynamic method=sale block-q=16 "
                   "block-k=8 tau=0.5}", 32)


def main():
    global ARGS, H
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--attune", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("cases", nargs="+")
    ARGS = p.parse_args()
    H = harness.Harness(ARGS.attune, ARGS.work)
    names = list(CASES) if ARGS.cases == ["all"] else ARGS.cases
    for name in names:
        if name not in CASES:
            sys.exit(f"unknown case '{name}'; known: {', '.join(CASES)}")
        print(f"{name}:")
        CASES[name]()
    print("OK")


if __name__ == "__main__":
    main()
