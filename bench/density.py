"""density.py: exact density of the sparse attention forms the suite runs.

Density = kept visible (query, key) pairs / visible pairs, summed over heads.
Static patterns (window, headwise, block-static) follow from their
definitions alone; the dynamic block selections (MoBA, SLA, SALE) depend on
the data, so they are recomputed here on the same q/k the benchmark feeds.
The definitions are those of test/python/ref_sparse.py (the numpy references
the sparse rewrites are tested against); the loops there are written for
clarity on small shapes, so the top-k and SALE threshold steps are
vectorized here (same ranking and tie rules) to run at L = 8192.
"""

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "test", "python"))
import ref_sparse as ref  # noqa: E402


def _ratio(keep2d_per_head, vis):
    """keep2d_per_head: list of [Lq, Lk] keep masks (one per head)."""
    kept = sum(int(np.count_nonzero(k & vis)) for k in keep2d_per_head)
    return kept / (len(keep2d_per_head) * int(np.count_nonzero(vis)))


def window(l, hq, win, sinks, causal=True):
    vis = ref.visible_mask(l, l, "top_left" if causal else "none")
    keep = ref.streaming_keep(l, l, win, sinks,
                              "causal" if causal else "bidirectional")
    return _ratio([keep], vis)


def headwise(l, hq, retrieval, sinks, recent, causal=True):
    vis = ref.visible_mask(l, l, "top_left" if causal else "none")
    keep = ref.streaming_keep(l, l, recent, sinks,
                              "causal" if causal else "bidirectional")
    full = np.ones_like(keep)
    return _ratio([full if h in retrieval else keep for h in range(hq)], vis)


def block_static(l, hq, block, local, stride, causal=True):
    n = -(-l // block)
    grid = ref.local_strided_grid(n, local, stride, causal)
    keep = ref.layout_keep([grid], 1, l, l, block,
                           "top_left" if causal else "none")[0]
    vis = ref.visible_mask(l, l, "top_left" if causal else "none")
    return _ratio([keep], vis)


def _topk(scores, forced, future, topk):
    """ref_sparse.topk_blocks on whole rows at once: forced blocks rank
    first, future blocks last and are never kept, ties to the lower index
    (a stable sort of the negated scores)."""
    adj = np.where(forced, np.inf, np.where(future, -np.inf, scores))
    order = np.argsort(-adj, axis=1, kind="stable")[:, :topk]
    keep = forced.copy()
    rows = np.arange(adj.shape[0])[:, None]
    keep[rows, order] |= ~future[rows, order]
    return keep


def _block_density(maps, l, bq, bk, causal):
    """Density of [H][nq, nk] block maps over the visible pairs. Counts the
    visible pairs of each (query block, key block) tile once, then weights."""
    vis = ref.visible_mask(l, l, causal)
    nq, nk = -(-l // bq), -(-l // bk)
    pad = np.zeros((nq * bq, nk * bk), bool)
    pad[:l, :l] = vis
    tile = pad.reshape(nq, bq, nk, bk).sum(axis=(1, 3))
    total = int(vis.sum()) * len(maps)
    return sum(int((tile * m).sum()) for m in maps) / total


def moba(q, k, bq, bk, topk, causal, sink_blocks=0, local_blocks=1):
    """MoBA gate: mean(q over the query block) . mean(key block)."""
    _, hq, l, d = q.shape
    g = hq // k.shape[1]
    forced, future = ref.block_geometry(l, l, bq, bk, causal, sink_blocks,
                                        local_blocks)
    maps = []
    for h in range(hq):
        s = ref.pool(q[0, h].astype(np.float64), bq) @ ref.pool(
            k[0, h // g].astype(np.float64), bk).T / math.sqrt(d)
        maps.append(_topk(s, forced, future, topk))
    return _block_density(maps, l, bq, bk, causal)


def sla(q, k, bq, bk, ratio, causal, sink_blocks=0, local_blocks=0):
    """SLA: pooled Q against pooled K - mean(K); top ceil(ratio * nk)."""
    _, hq, l, d = q.shape
    g = hq // k.shape[1]
    forced, future = ref.block_geometry(l, l, bq, bk, causal, sink_blocks,
                                        local_blocks)
    topk = max(1, math.ceil(ratio * forced.shape[1] - 1e-9))
    maps = []
    for h in range(hq):
        kk = k[0, h // g].astype(np.float64)
        s = ref.pool(q[0, h].astype(np.float64), bq) @ ref.pool(
            kk - kk.mean(0), bk).T / math.sqrt(d)
        maps.append(_topk(s, forced, future, topk))
    return _block_density(maps, l, bq, bk, causal)


def sale(q, k, bq, bk, tau, causal, sink_blocks=1, local_blocks=4,
         chunk=512):
    """SALE: 4-bit estimate E of q (k - mean k); row max m_i and sum l_i of
    the exact scores over the visible sink + local region; key block b kept
    for a query block iff some row has max_{j in b} E_ij > m_i + ln(tau l_i).
    Rows are processed in chunks of whole query blocks."""
    _, hq, l, d = q.shape
    g = hq // k.shape[1]
    scale = 1.0 / math.sqrt(d)
    forced, future = ref.block_geometry(l, l, bq, bk, causal, sink_blocks,
                                        local_blocks)
    vis = ref.visible_mask(l, l, causal)
    qb = np.arange(l) // bq
    kb = np.arange(l) // bk
    nk = forced.shape[1]
    chunk = max(bq, chunk // bq * bq)
    maps = []
    for h in range(hq):
        qq = q[0, h].astype(np.float32)
        kc = k[0, h // g].astype(np.float32)
        kc = kc - kc.mean(0, dtype=np.float64).astype(np.float32)
        qe = ref.quantize4(qq, bq).astype(np.float64)
        ke = ref.quantize4(kc, bk).astype(np.float64)
        keep = forced.copy()
        for r0 in range(0, l, chunk):
            r1 = min(l, r0 + chunk)
            v = vis[r0:r1]
            region = forced[qb[r0:r1]][:, kb] & v
            exact = scale * (qq[r0:r1].astype(np.float64) @
                             kc.astype(np.float64).T)
            ex = np.where(region, exact, -np.inf)
            m = ex.max(axis=1)
            has = np.isfinite(m)
            msafe = np.where(has, m, 0.0)
            s = np.exp(ex - msafe[:, None]).sum(axis=1)
            with np.errstate(divide="ignore"):
                thr = np.where(has, msafe + np.log(tau * s), -np.inf)
            est = scale * (qe[r0:r1] @ ke.T)
            hit = v & (est > thr[:, None])
            # any hit per (query block, key block) of this chunk
            padk = np.zeros((r1 - r0, nk * bk), bool)
            padk[:, :l] = hit
            rowblk = padk.reshape(r1 - r0, nk, bk).any(axis=2)
            for b in np.unique(qb[r0:r1]):
                keep[b] |= rowblk[qb[r0:r1] == b].any(axis=0)
        maps.append(keep)
    return _block_density(maps, l, bq, bk, causal)
