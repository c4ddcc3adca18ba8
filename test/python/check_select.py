#!/usr/bin/env python3
"""check_select.py: the block-selection kernel against numpy.

Each case is one bare attn.block_select (MoBA, SLA or SALE) compiled by
`attune run`, which lowers it to the kernel library's
attune_block_select_f32, and its block map is compared entry by entry with
the numpy references of ref_sparse.py (written from METHODS.md and the op's
definition, independently of the kernel). The shapes are chosen for what the
kernel treats separately: sizes that are not multiples of the blocks (short
last blocks), GQA, Lq != Lk with each causal kind (rows that see no key,
blocks cut by the diagonal), head dimensions that are not multiples of 4 or
16 (padded code and score vectors), key blocks narrower and wider than one
16-key vector, per-query MoBA gates (block_q = 1) over more than one work
item, sink/local blocks, topk beyond the number of blocks and a negative
scale. SALE runs on standard-normal data and on data with position
features (attention near the diagonal), so that thresholds both keep and
drop blocks. Every method must drop some visible block somewhere, so that a
kernel that keeps everything fails.

usage: check_select.py --attune BIN --work DIR [CASE ...]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_sparse as ref  # noqa: E402
from attn_harness import Harness, case_registry, tensor  # noqa: E402

CASES, case = case_registry()
H = None


def inputs(shape, seed, local):
    """Seeded Q/K; with `local`, sinusoidal position features (Q scaled by
    4) under the noise, as check_sparse.py's SALE data."""
    b, hq, hkv, lq, lk, d = shape
    rng = np.random.default_rng(seed)
    if not local:
        return (rng.standard_normal((b, hq, lq, d)).astype(np.float32),
                rng.standard_normal((b, hkv, lk, d)).astype(np.float32))
    w = 0.05 * 2.0 ** (np.arange(d // 2) * 0.5)

    def feats(n, first):
        t = (first + np.arange(n))[:, None] * w[None]
        f = np.concatenate([np.cos(t), np.sin(t)], 1)
        return np.pad(f, ((0, 0), (0, d - f.shape[1])))
    q = 4 * feats(lq, lk - lq) + 0.6 * rng.standard_normal((b, hq, lq, d))
    k = feats(lk, 0) + 0.6 * rng.standard_normal((b, hkv, lk, d))
    return q.astype(np.float32), k.astype(np.float32)


def attrs_text(method, causal, params):
    a = [f"method = #attn.select<{method}>",
         f"causal = #attn.causal<{causal}>"]
    for k, v in params.items():
        a.append(f"{k} = {v!r} : {'f64' if isinstance(v, float) else 'i64'}")
    return ", ".join(a)


KEPT = {}  # method -> (kept, visible non-forced) summed over the cases


def check(tag, shape, method, causal, bq, bk, seed=0, local=False,
          scale=None, **params):
    """Runs one attn.block_select and compares its map with numpy."""
    b, hq, hkv, lq, lk, d = shape
    q, k = inputs(shape, seed, local)
    nq, nk = -(-lq // bq), -(-lk // bk)
    tq, tk = tensor([b, hq, lq, d]), tensor([b, hkv, lk, d])
    tm = tensor([b, hq, nq, nk], "i1")
    p = dict(params)
    if scale is not None:
        p["scale"] = float(scale)
    text = (f'func.func @main(%q: {tq} {{onnx.name = "Q"}}, %k: {tk} '
            f'{{onnx.name = "K"}}) -> ({tm} {{onnx.name = "M"}}) attributes '
            f'{{llvm.emit_c_interface}} {{\n'
            f'  %m = attn.block_select %q, %k {{block_q = {bq} : i64, '
            f'block_k = {bk} : i64, {attrs_text(method, causal, p)}}} : '
            f'{tq}, {tk} -> {tm}\n  return %m : {tm}\n}}\n')
    got = H.run_attune(H.write_model(tag, text), {"Q": q, "K": k}, "",
                       tag)["M"].astype(bool)
    sinks = params.get("sink_blocks", 1)
    local_blocks = params.get("local_blocks", 1)
    if method == "moba":
        want = ref.moba_map(q, k, bq, bk, params["topk"], causal, sinks,
                            local_blocks, scale)
    elif method == "sla":
        want = ref.sla_map(q, k, bq, bk, params["topk_ratio"], causal, sinks,
                           local_blocks, scale)
    else:
        want = ref.sale_map(q, k, bq, bk, params.get("tau", 0.004), causal,
                            sinks, local_blocks, scale)
    forced, future = ref.block_geometry(lq, lk, bq, bk, causal, sinks,
                                        local_blocks)
    free = ~forced & ~future
    kept, total = KEPT.get(method, (0, 0))
    KEPT[method] = (kept + int((want & free).sum()),
                    total + int(free.sum()) * b * hq)
    bad = int((got != want).sum())
    print(f"  {tag}: map {want.shape}, {int(want.sum())}/{want.size} kept, "
          f"{bad} mismatches")
    if bad:
        raise AssertionError(f"{tag}: {bad} block map entries differ")


SHAPES = [
    # (B, Hq, Hkv, Lq, Lk, D), causal, bq, bk
    ((1, 4, 4, 90, 90, 16), "top_left", 16, 16),
    ((2, 6, 2, 75, 75, 20), "none", 8, 24),
    ((1, 4, 2, 40, 130, 36), "bottom_right", 16, 40),
    ((1, 2, 1, 50, 30, 8), "bottom_right", 8, 8),
    ((1, 3, 1, 70, 45, 12), "none", 16, 8),
    ((1, 2, 2, 300, 300, 16), "top_left", 16, 48),
    ((1, 2, 1, 33, 95, 10), "none", 8, 16),
]


@case
def moba():
    for n, (shape, causal, bq, bk) in enumerate(SHAPES):
        for sb, lb in [(0, 1), (1, 2)]:
            check(f"moba-{n}-{sb}{lb}", shape, "moba", causal, bq, bk,
                  seed=n, topk=2, sink_blocks=sb, local_blocks=lb)
    # Per-query gate over more than one work item (4096 rows each).
    check("moba-gate", (1, 2, 1, 4200, 4200, 8), "moba", "top_left", 1, 512,
          seed=7, topk=3, sink_blocks=0, local_blocks=1)
    check("moba-topk-all", (1, 2, 2, 64, 64, 16), "moba", "top_left", 16, 16,
          seed=8, topk=100, sink_blocks=0, local_blocks=1)
    check("moba-negative-scale", (1, 2, 1, 48, 48, 16), "moba", "none", 8,
          8, seed=9, scale=-0.3, topk=2, sink_blocks=1, local_blocks=0)


@case
def sla():
    for n, (shape, causal, bq, bk) in enumerate(SHAPES):
        check(f"sla-{n}", shape, "sla", causal, bq, bk, seed=20 + n,
              topk_ratio=0.3, sink_blocks=0, local_blocks=0)
    check("sla-forced", (1, 4, 2, 100, 100, 16), "sla", "top_left", 16, 16,
          seed=27, topk_ratio=0.5, sink_blocks=1, local_blocks=2)
    check("sla-all", (1, 2, 1, 50, 50, 8), "sla", "none", 8, 8, seed=28,
          topk_ratio=1.0, sink_blocks=0, local_blocks=0)


@case
def sale():
    for n, (shape, causal, bq, bk) in enumerate(SHAPES):
        for local, tau in [(False, 0.02), (True, 0.004)]:
            check(f"sale-{n}-{'local' if local else 'random'}", shape, "sale",
                  causal, bq, bk, seed=30 + n, local=local, tau=tau,
                  sink_blocks=1, local_blocks=2)
    # Defaults of the rewrite (64 x 32 blocks, 4 local blocks), many query
    # blocks per head; no forced blocks at all (every row keeps every
    # visible block); a negative scale.
    check("sale-rewrite-defaults", (1, 2, 1, 700, 700, 32), "sale",
          "top_left", 64, 32, seed=37, local=True, sink_blocks=1,
          local_blocks=4)
    check("sale-no-forced", (1, 2, 1, 40, 40, 16), "sale", "top_left", 8, 8,
          seed=38, sink_blocks=0, local_blocks=0)
    check("sale-negative-scale", (1, 2, 2, 60, 60, 16), "sale", "none", 16,
          16, seed=39, scale=-0.1, tau=0.2, sink_blocks=1, local_blocks=1)


def main():
    global H
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--attune", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("cases", nargs="*", default=list(CASES))
    args = ap.parse_args()
    H = Harness(args.attune, args.work)
    for name in args.cases:
        print(f"{name}:")
        CASES[name]()
        kept, total = KEPT[name]
        print(f"  {name}: {kept}/{total} free visible blocks kept")
        if not kept < total:
            raise AssertionError(f"{name}: no case drops a block")
    print("OK")


if __name__ == "__main__":
    main()
