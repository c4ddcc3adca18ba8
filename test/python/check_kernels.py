"""check_kernels.py: the fused CPU attention kernel against numpy.

Each case is one attn.sdpa (every attribute the kernel implements: mask
kinds, causality, softcap, window with sinks / dilation / clamping, block
maps, dense heads, ZeroTuning, GQA) on sizes that do not divide the tiles,
compiled by `attune run` (which lowers attn.sdpa to the kernel library) and
compared with a float64 numpy evaluation of the op's definition (AttnOps.td,
AttnAttrs.td), written here independently of the kernel. Small tile sizes
(attn.tiling) make short sequences cross many tiles, so that skipped, full
and masked tiles all occur; rows <= 8 per key/value head take the decode
kernel, the others the tiled prefill kernel.

usage: check_kernels.py --attune PATH --work DIR [CASE ...]
"""

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_harness import Harness, case_registry, compare, tensor  # noqa: E402

TOL = 2e-5
CASES, case = case_registry()
H = None


def floordiv(a, b):
    return a // b  # python floors


def reference(q, k, v, *, scale=None, causal="none", softcap=None,
              mask=None, window=None, block=None, dense_heads=(),
              zt=None, zt_heads=None, act=None):
    """attn.sdpa by its definition, in float64."""
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    b, hq, lq, d = q.shape
    hkv, lk = k.shape[1], k.shape[2]
    g = hq // hkv
    scale = 1 / math.sqrt(d) if scale is None else scale
    out = np.zeros((b, hq, lq, v.shape[3]))
    i = np.arange(lq)[:, None]
    j = np.arange(lk)[None, :]
    pos = i if causal == "top_left" else i + (lk - lq)
    vis = np.ones((lq, lk), bool)
    if causal != "none":
        vis = j <= pos
    keep_w = np.ones((lq, lk), bool)
    if window is not None:
        sinks, left, right, dil, clamp = window
        ip = floordiv(pos, dil)
        grp = pos - ip * dil
        lo = ip - left
        span = left + right
        if clamp:
            ng = floordiv(lk - 1 - grp, dil) + 1
            lo = np.maximum(np.minimum(lo, ng - span - 1), 0)
        hi = lo + span
        jp = floordiv(j, dil)
        keep_w = ((j % dil == grp) & (jp >= lo) & (jp <= hi)) | (j < sinks)
    mask4 = None
    if mask is not None:
        mask4 = np.broadcast_to(mask.reshape((1,) * (4 - mask.ndim) + mask.shape),
                                (b, hq, lq, lk))
    for bi in range(b):
        for h in range(hq):
            s = scale * q[bi, h] @ k[bi, h // g].T
            if softcap:
                s = softcap * np.tanh(s / softcap)
            keep = vis.copy()
            if mask4 is not None:
                if mask.dtype == bool:
                    keep &= mask4[bi, h]
                else:
                    s = s + mask4[bi, h]
            if zt is not None and (zt_heads is None or h in zt_heads):
                s[:, 0] += math.log(zt)
            if h not in dense_heads:
                keep &= keep_w
                if block is not None:
                    bmap, bq, bk = block
                    bm = bmap[min(bi, bmap.shape[0] - 1),
                              min(h, bmap.shape[1] - 1)]
                    keep &= bm[i // bq, j // bk]
            s = np.where(keep, s, -np.inf)
            a = np.zeros((lq, lk))
            for r in range(lq):
                if keep[r].any():
                    w = np.exp(s[r] - s[r].max())
                    a[r] = w / w.sum()
            if act is not None and (zt_heads is None or h in zt_heads):
                # ACT (METHODS.md / AttnAttrs.td): column means over the
                # queries that see each key, sinks above tau but the first.
                beta, tau = act
                seen = keep.sum(0)
                c = a.sum(0) / np.maximum(seen, 1)
                sink = (c > tau) & (np.arange(lk) > 0)
                # A column mean within f32 rounding of tau could be a sink
                # on one side and not on the other: such a case tests
                # nothing, so it is refused.
                margin = np.abs(c[1:] - tau).min() if lk > 1 else 1.0
                assert margin > 1e-5 * max(tau, 1e-3), \
                    f"ACT: a column mean is {margin:.1e} from tau"
                for r in range(lq):
                    sm = a[r, sink].sum()
                    rest = a[r, ~sink].sum()
                    if rest < 1e-6:
                        continue
                    a[r, sink] *= beta
                    a[r, ~sink] *= (rest + (1 - beta) * sm) / rest
            out[bi, h] = a @ v[bi, h // g]
    return out


def act_bound_gap(shape, tile_k, tau, seed, sinky):
    """Whether some key's column mean is below tau while its bound, with
    each top_left causal row normalized over the keys of the tiles up to
    the key's own (tile_k wide), is above: the data run_case makes."""
    b, hq, hkv, lq, lk, d = shape
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((b, hq, lq, d)).astype(np.float32)
    k = rng.standard_normal((b, hkv, lk, d)).astype(np.float32)
    direction = q.mean(axis=(1, 2), keepdims=True)[:, 0]
    for j in sinky:
        k[:, :, j] = 1.2 * direction / np.linalg.norm(direction) * math.sqrt(d)
    keep = np.arange(lk)[None, :] <= np.arange(lq)[:, None]
    seen = np.maximum(keep.sum(0), 1)
    end = np.minimum((np.arange(lk) // tile_k + 1) * tile_k, lk) - 1
    for h in range(hq):
        s = q[0, h].astype(np.float64) @ k[0, h // (hq // hkv)].T.astype(
            np.float64) / math.sqrt(d)
        e = np.where(keep, np.exp(s - s.max()), 0.0)
        exact = (e / e.sum(1, keepdims=True)).sum(0) / seen
        run = np.cumsum(e, 1)[:, end]  # row sums up to each key's tile end
        bound = (e / np.where(run > 0, run, 1)).sum(0) / seen
        if ((exact[1:] < tau) & (bound[1:] > tau)).any():
            return True
    return False


def to_bf16(x):
    """float32 -> bfloat16 bit patterns (uint16, round to nearest even)."""
    bits = np.ascontiguousarray(x, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype(np.uint16)


def from_bf16(u):
    return (u.astype(np.uint32) << 16).view(np.float32)


def run_case(tag, shape, dv=None, tiling=None, mask=None, block=None,
             seed=0, sinky=(), tol=TOL, split=None, dtype="f32", **attrs):
    """Builds the attn.sdpa module, runs it, compares with reference().

    dtype f16 / bf16: Q, K, V and Y of that type (the kernel reads 16-bit K
    and V as they are); the reference takes the rounded inputs, and the
    tolerance grows by the rounding of the result."""
    b, hq, hkv, lq, lk, d = shape
    dv = dv or d
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((b, hq, lq, d)).astype(np.float32)
    k = rng.standard_normal((b, hkv, lk, d)).astype(np.float32)
    v = rng.standard_normal((b, hkv, lk, dv)).astype(np.float32)
    if sinky:  # keys every query attends to strongly (attention sinks)
        direction = q.mean(axis=(1, 2), keepdims=True)[:, 0]
        for j in sinky:
            k[:, :, j] = 1.2 * direction / np.linalg.norm(direction) * math.sqrt(d)
    et = dtype
    if dtype == "f16":
        enc, dec = (lambda x: x.astype(np.float16)), (lambda x: x.astype(np.float32))
        tol = max(tol, 1e-3)  # half a unit in the last place of |y| < 4
    elif dtype == "bf16":
        enc, dec = to_bf16, from_bf16
        tol = max(tol, 8e-3)
    else:
        enc = dec = (lambda x: x)
    qe, ke, ve = enc(q), enc(k), enc(v)
    q, k, v = dec(qe), dec(ke), dec(ve)
    tq, tk, tv = (tensor([b, hq, lq, d], et), tensor([b, hkv, lk, d], et),
                  tensor([b, hkv, lk, dv], et))
    to = tensor([b, hq, lq, dv], et)
    args = [f'%q: {tq} {{onnx.name = "Q"}}', f'%k: {tk} {{onnx.name = "K"}}',
            f'%v: {tv} {{onnx.name = "V"}}']
    inputs = {"Q": qe, "K": ke, "V": ve}
    pre = ""
    if split:  # K and V as Concat(past, new) along the key axis
        args = [args[0]]
        for n, x, dd in (("K", ke, d), ("V", ve, dv)):
            tp = tensor([b, hkv, split, dd], et)
            tn = tensor([b, hkv, lk - split, dd], et)
            args += [f'%p{n}: {tp} {{onnx.name = "P{n}"}}',
                     f'%n{n}: {tn} {{onnx.name = "N{n}"}}']
            inputs.pop(n)
            inputs["P" + n] = np.ascontiguousarray(x[:, :, :split])
            inputs["N" + n] = np.ascontiguousarray(x[:, :, split:])
            pre += (f'  %{n.lower()} = onnx.node "Concat" v13 (%p{n}, %n{n}) '
                    f'{{axis = 2 : i64}} : ({tp}, {tn}) -> '
                    f'{tk if n == "K" else tv}\n')
    operands = ""
    if mask is not None:
        et = "i1" if mask.dtype == bool else "f32"
        tm = tensor(list(mask.shape), et)
        args.append(f'%m: {tm} {{onnx.name = "M"}}')
        inputs["M"] = mask
        operands += f" mask(%m : {tm})"
    a = ["attn.site = 0 : i64"]
    if block is not None:
        bmap, bq, bk = block
        tb = tensor(list(bmap.shape), "i1")
        args.append(f'%bm: {tb} {{onnx.name = "BM"}}')
        inputs["BM"] = bmap
        operands += f" block_mask(%bm : {tb})"
        a.append(f"block_size = array<i64: {bq}, {bk}>")
    if attrs.get("causal", "none") != "none":
        a.append(f"causal = #attn.causal<{attrs['causal']}>")
    if attrs.get("scale") is not None:
        a.append(f"scale = {attrs['scale']:e} : f64")
    if attrs.get("softcap"):
        a.append(f"softcap = {attrs['softcap']:e} : f64")
    if attrs.get("window") is not None:
        s, l, r, dil, cl = attrs["window"]
        a.append(f"window = #attn.window<sinks = {s}, left = {l}, right = {r}, "
                 f"dilation = {dil}, clamp = {'true' if cl else 'false'}>")
    if attrs.get("dense_heads"):
        a.append("dense_heads = array<i64: "
                 + ", ".join(map(str, attrs["dense_heads"])) + ">")
    if attrs.get("zt") is not None:
        a.append(f"score_mod = #attn.zero_tuning<gamma = {attrs['zt']:e}>")
        if attrs.get("zt_heads") is not None:
            a.append("score_mod_heads = array<i64: "
                     + ", ".join(map(str, attrs["zt_heads"])) + ">")
    if attrs.get("act") is not None:
        a.append(f"score_mod = #attn.act<beta = {attrs['act'][0]:e}, "
                 f"tau = {attrs['act'][1]:e}>")
        if attrs.get("zt_heads") is not None:
            a.append("score_mod_heads = array<i64: "
                     + ", ".join(map(str, attrs["zt_heads"])) + ">")
    if tiling:
        a.append(f"attn.tiling = array<i64: {tiling[0]}, {tiling[1]}>")
    text = (f"func.func @main({', '.join(args)}) -> ({to} {{onnx.name = \"Y\"}}) "
            f"attributes {{llvm.emit_c_interface}} {{\n{pre}"
            f"  %o = attn.sdpa %q, %k, %v{operands} {{{', '.join(a)}}} : "
            f"{tq}, {tk}, {tv} -> {to}\n  return %o : {to}\n}}\n")
    model = H.write_model(tag, text)
    got = dec(H.run_attune(model, inputs, "", tag)["Y"])
    want = reference(q, k, v, mask=mask, block=block, **attrs)
    if attrs.get("act") and attrs["act"][1] < 1:
        plain = dict(attrs, act=None)
        moved = np.abs(want - reference(q, k, v, mask=mask, block=block,
                                        **plain)).max()
        assert moved > 1e-3, f"{tag}: ACT found no sink (case tests nothing)"
    compare(tag, got, want, tol)


@case
def dense():
    for causal in ("none", "top_left", "bottom_right"):
        run_case(f"dense-{causal}", (2, 4, 4, 37, 53, 40), tiling=(16, 32),
                 causal=causal, seed=1)
        run_case(f"dense-gqa-{causal}", (1, 6, 2, 45, 70, 24), dv=36,
                 tiling=(8, 16), causal=causal, seed=2)
    # Default tiles, Lq > Lk and Lq < Lk with causality, scale and softcap.
    run_case("dense-default-tiles", (1, 3, 1, 150, 300, 64), causal="bottom_right",
             scale=0.2, seed=3)
    # Tiles far larger than the problem are the problem's size (the scratch
    # buffers are sized by the tiles: 10^5 x 10^5 would not fit).
    run_case("dense-huge-tiles", (1, 2, 1, 37, 53, 16),
             tiling=(100000, 100000), seed=40)
    run_case("dense-lq-gt-lk", (1, 2, 2, 90, 40, 16), tiling=(16, 16),
             causal="bottom_right", seed=4)
    run_case("dense-softcap", (1, 2, 1, 33, 65, 32), tiling=(16, 32),
             softcap=5.0, scale=0.5, causal="top_left", seed=5)


@case
def masks():
    rng = np.random.default_rng(7)
    shape = (2, 4, 2, 29, 67, 32)
    add = rng.standard_normal((2, 4, 29, 67)).astype(np.float32)
    run_case("mask-additive-full", shape, tiling=(16, 32), mask=add, seed=8)
    pad = np.ones((2, 1, 1, 67), bool)
    pad[0, :, :, 50:] = False
    pad[1, :, :, :3] = False
    run_case("mask-key-padding", shape, tiling=(16, 32), mask=pad, seed=9,
             causal="bottom_right")
    bias = rng.standard_normal((29, 67)).astype(np.float32)
    run_case("mask-2d-additive", shape, tiling=(8, 16), mask=bias, seed=10)
    rows = rng.random((1, 4, 29, 67)) < 0.6
    rows[0, 1, 5] = False  # a fully masked row gives zeros
    run_case("mask-bool-heads", shape, tiling=(16, 32), mask=rows, seed=11)


@case
def window():
    shape = (1, 4, 2, 70, 90, 16)
    for causal in ("none", "bottom_right", "top_left"):
        run_case(f"window-{causal}", shape, tiling=(16, 16), causal=causal,
                 window=(3, 12, 0 if causal != "none" else 9, 1, False), seed=12)
    run_case("window-dilated-clamped", shape, tiling=(16, 16),
             window=(2, 4, 4, 3, True), seed=13)
    run_case("window-clamped", shape, tiling=(8, 32), window=(0, 5, 5, 1, True),
             seed=14)
    run_case("window-dense-heads", shape, tiling=(16, 16), causal="bottom_right",
             window=(4, 20, 0, 1, False), dense_heads=(1, 2), seed=15)
    # Sliding windows far enough from the sinks that the kernel scores them
    # as two pieces of one row (sinks, then the window), with every
    # element-wise rule that can join them; odd head dimensions.
    rng = np.random.default_rng(40)
    long_shape = (1, 2, 1, 300, 300, 40)
    bias = rng.standard_normal((300, 300)).astype(np.float32)
    run_case("window-band-pieces", long_shape, tiling=(16, 64),
             causal="top_left", window=(5, 47, 0, 1, False), mask=bias,
             softcap=4.0, zt=1.7, seed=41)
    # The same rules without a mask tensor take the transposed band (16
    # rows in the lanes); 29 sinks: more than one 24-key block of scores;
    # values wider than the keys (dim_v 72: a 64-column and an 8-column
    # piece of P V).
    run_case("window-band-columns", (1, 3, 1, 300, 300, 40), dv=72,
             tiling=(16, 64),
             causal="top_left", window=(29, 47, 0, 1, False), softcap=4.0,
             zt=1.7, seed=44)
    # More queries than keys, bottom-right: the first 70 rows see no key at
    # all (zeros), and blocks mix empty rows, rows with only sinks in reach
    # and windowed rows.
    run_case("window-band-empty-rows", (1, 2, 1, 120, 50, 16),
             tiling=(16, 16), causal="bottom_right",
             window=(2, 8, 0, 1, False), seed=45)
    run_case("window-band-right", (1, 4, 2, 211, 260, 24), tiling=(16, 32),
             causal="none", window=(17, 30, 21, 1, False), seed=42)
    # Wider than one score row (1024 keys): the tiled path with its online
    # softmax.
    run_case("window-wide", (1, 1, 1, 1300, 1300, 16), tiling=(64, 128),
             causal="top_left", window=(3, 1100, 0, 1, False), seed=43)


@case
def blocks():
    rng = np.random.default_rng(16)
    shape = (2, 4, 2, 75, 100, 16)
    for bq, bk, tiling in ((16, 32, (16, 32)), (8, 16, (16, 32)),
                           (32, 24, (16, 16))):
        nq, nk = -(-75 // bq), -(-100 // bk)
        bmap = rng.random((2, 4, nq, nk)) < 0.4
        run_case(f"block-{bq}x{bk}", shape, tiling=tiling, block=(bmap, bq, bk),
                 causal="bottom_right", seed=17)
    # Per-query gates (block_q 1 or 2, a quarter of the query tile or
    # less): the rows selecting each key block are gathered; causal both
    # ways and not, a mask, GQA, a dense head, more keys than queries and
    # rows that select nothing.
    for tag, bq, bk, causal, extra in (
            ("gate-1x16-causal", 1, 16, "bottom_right", {}),
            ("gate-1x24-top-left", 1, 24, "top_left", {}),
            ("gate-2x40-none-mask", 2, 40, "none",
             {"mask": rng.standard_normal((2, 4, 75, 100)).astype(np.float32)}),
            ("gate-1x32-dense-head", 1, 32, "bottom_right",
             {"dense_heads": (1,)})):
        nq, nk = -(-75 // bq), -(-100 // bk)
        bmap = rng.random((2, 4, nq, nk)) < 0.35
        bmap[0, 0, 3] = False  # a row that selects nothing gives zeros
        run_case(f"block-{tag}", shape, tiling=(16, 32), block=(bmap, bq, bk),
                 causal=causal, seed=19, **extra)
    # Narrow key blocks over many keys: the kept key tiles of a query tile
    # are gathered into 128-column score rows (several per query tile, the
    # last one partly filled, a causal cut inside a tile).
    for bq, bk, tiling in ((16, 32, (16, 32)), (32, 64, (32, 64))):
        nq, nk = -(-70 // bq), -(-333 // bk)
        bmap = rng.random((1, 2, nq, nk)) < 0.6
        run_case(f"block-chunks-{bq}x{bk}", (1, 2, 2, 70, 333, 32),
                 tiling=tiling, block=(bmap, bq, bk), causal="bottom_right",
                 seed=44)
    bmap = rng.random((1, 1, 3, 4)) < 0.5
    run_case("block-broadcast-dense-heads", shape, tiling=(32, 32),
             block=(bmap, 32, 32), dense_heads=(3,), seed=18)


@case
def zerotuning():
    shape = (1, 4, 4, 40, 40, 16)
    run_case("zerotuning-all", shape, tiling=(16, 16), causal="bottom_right",
             zt=2.5, seed=19)
    run_case("zerotuning-heads", shape, tiling=(16, 16), zt=0.3,
             zt_heads=(0, 3), seed=20)


@case
def act():
    # Structured keys so that some columns attract attention (sinks): keys
    # 3 and 17 are aligned with every query. (Much stronger sinks make the
    # redistribution factor (R + (1 - beta) S) / R huge, which amplifies f32
    # rounding beyond any fixed tolerance, in every f32 implementation.)
    shape = (1, 4, 2, 50, 50, 16)
    run_case("act-none-sink-data", shape, tiling=(16, 16), causal="bottom_right",
             act=(0.4, 1.0), seed=27, sinky=(3, 17))
    run_case("act-causal", shape, tiling=(16, 16), causal="bottom_right",
             act=(0.4, 0.05), seed=27, sinky=(3, 17))
    run_case("act-heads-window", shape, tiling=(8, 16), act=(0.2, 0.04),
             zt_heads=(1, 2), window=(2, 10, 10, 1, False), seed=28,
             sinky=(5,))
    run_case("act-decode-rows", (1, 2, 1, 3, 70, 16), causal="bottom_right",
             act=(0.5, 0.05), seed=29, sinky=(9,))
    # Several key tiles, sinks in two of them, odd head dimension, GQA.
    run_case("act-tiles", (1, 4, 2, 150, 150, 40), tiling=(16, 32),
             causal="top_left", act=(0.3, 0.02), seed=30, sinky=(2, 70))
    # The kernel bounds each column mean by normalizing a row's
    # probabilities with its running sum when the key tile is visited, and
    # computes exact means only for keys whose bound clears tau. Here tau
    # lies between the bound and the exact mean of some keys (candidates
    # that are not sinks) and below the exact mean of key 3 in head 0.
    shape, tiles, tau = (1, 2, 2, 150, 150, 32), (16, 32), 0.045
    assert act_bound_gap(shape, tiles[1], tau, seed=40, sinky=(3,)), \
        "act-bound-gap: no key between its bound and tau (case tests nothing)"
    run_case("act-bound-gap", shape, tiling=tiles, causal="top_left",
             act=(0.4, tau), seed=40, sinky=(3,))
    # Key tiles of 128 and more (column sums 128 at a time, then a partial
    # chunk) with a causal cut inside a tile.
    run_case("act-wide-tiles", (1, 2, 2, 70, 333, 32), tiling=(32, 160),
             causal="bottom_right", act=(0.3, 0.005), seed=31, sinky=(4, 200))
    # A boolean mask: the rows that see each key are counted element by
    # element, per work item (the query rows of a head are split into
    # several), and the items' counts and column sums merged.
    keep = np.random.default_rng(33).random((1, 1, 150, 150)) < 0.8
    run_case("act-bool-mask", (1, 4, 2, 150, 150, 32), tiling=(16, 32),
             mask=keep, act=(0.3, 0.01), seed=32, sinky=(2, 70))


@case
def decode():
    # One or a few query rows per key/value head: the split-key kernel.
    run_case("decode-mha", (2, 4, 4, 1, 1000, 64), causal="bottom_right", seed=21)
    run_case("decode-gqa-3rows", (1, 8, 2, 3, 777, 40), dv=24,
             causal="bottom_right", seed=22)
    rng = np.random.default_rng(23)
    pad = rng.random((1, 1, 1, 500)) < 0.7
    run_case("decode-mask", (1, 4, 1, 1, 500, 32), mask=pad, seed=24)
    run_case("decode-window", (1, 4, 2, 2, 600, 32), causal="bottom_right",
             window=(4, 100, 0, 1, False), dense_heads=(0,), softcap=3.0,
             zt=1.7, seed=25)
    bmap = rng.random((1, 4, 1, 10)) < 0.5
    # The cache as Concat(past, new): the kernel reads the pieces in place.
    run_case("decode-concat", (2, 4, 2, 2, 700, 64), split=699,
             causal="bottom_right", seed=26)
    run_case("decode-concat-mask", (1, 4, 4, 1, 300, 32), split=123,
             mask=pad[:, :, :, :300], dv=16, seed=27)
    run_case("decode-blocks", (1, 4, 4, 1, 640, 32), block=(bmap, 1, 64),
             seed=26)


@case
def kv16():
    # 16-bit K and V: the decode kernel reads them (one piece or the two of
    # a Concat cache, GQA, an odd head dimension) at their width; the tiled
    # kernel widens them first.
    for dt in ("f16", "bf16"):
        run_case(f"kv16-decode-{dt}", (2, 4, 4, 1, 1000, 64),
                 causal="bottom_right", seed=31, dtype=dt)
        run_case(f"kv16-decode-concat-{dt}", (1, 8, 2, 3, 777, 40), dv=24,
                 split=770, causal="bottom_right", seed=32, dtype=dt)
        # multiples of 16 the decode loops do not unroll (16, 48)
        run_case(f"kv16-decode-d16-{dt}", (1, 4, 2, 1, 300, 16), dv=48,
                 split=290, causal="bottom_right", seed=35, dtype=dt)
        run_case(f"kv16-prefill-{dt}", (1, 6, 2, 45, 70, 24), dv=36,
                 tiling=(8, 16), causal="bottom_right", seed=33, dtype=dt)
        run_case(f"kv16-prefill-concat-{dt}", (1, 4, 2, 20, 90, 32),
                 split=70, causal="bottom_right", seed=34, dtype=dt)


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
    print("OK")


if __name__ == "__main__":
    main()
