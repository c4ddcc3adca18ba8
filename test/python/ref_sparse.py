"""ref_sparse.py: plain numpy references of the sparse attention methods.

Written from the definitions in METHODS.md (and the block geometry documented
on attn.block_select), independently of the C++ decompositions, so that the
compiled rewrites can be checked against them. Shapes follow attn.sdpa:
q [B, Hq, Lq, D], k [B, Hkv, Lk, D], v [B, Hkv, Lk, Dv]; query head h reads
key/value head h // (Hq // Hkv). Query i sits at key position p = i + Lk - Lq
(queries are aligned to the end of the keys) unless causality is top-left.
Keep masks are boolean [Lq, Lk] (every head), [Hq, Lq, Lk] or [B, Hq, Lq, Lk].
"""

import math

import numpy as np


# -- dense attention with a keep mask ---------------------------------------

def visible_mask(lq, lk, causal):
    """causal: 'none' | 'top_left' (j <= i) | 'bottom_right' (j <= i+Lk-Lq)."""
    i = np.arange(lq)[:, None]
    j = np.arange(lk)[None, :]
    if causal == "none":
        return np.ones((lq, lk), bool)
    limit = i if causal == "top_left" else i + (lk - lq)
    return j <= limit


def attention(q, k, v, keep=None, causal="none", scale=None,
              compensation=False):
    """softmax(scale q k^T) v over the visible keys that `keep` keeps.

    With `compensation` (RazorAttention), each row also attends to one extra
    key/value pair: the means of the keys/values that the row could see but
    `keep` dropped (no extra token when nothing was dropped). Rows that keep
    no key give zeros. Computed in float64.
    """
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    b, hq, lq, d = q.shape
    hkv, lk = k.shape[1], k.shape[2]
    g = hq // hkv
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    vis = visible_mask(lq, lk, causal)
    out = np.zeros(q.shape[:3] + (v.shape[3],))
    for bi in range(b):
        for h in range(hq):
            kk, vv = k[bi, h // g], v[bi, h // g]
            s = scale * q[bi, h] @ kk.T
            kp = vis.copy()
            if keep is not None:
                kp &= {2: lambda: keep, 3: lambda: keep[h],
                       4: lambda: keep[bi, h]}[keep.ndim]()
            for i in range(lq):
                logits = list(s[i, kp[i]])
                values = list(vv[kp[i]])
                dropped = vis[i] & ~kp[i]
                if compensation and dropped.any():
                    logits.append(scale * q[bi, h, i] @ kk[dropped].mean(0))
                    values.append(vv[dropped].mean(0))
                if not logits:
                    continue
                logits = np.array(logits)
                w = np.exp(logits - logits.max())
                out[bi, h, i] = (w / w.sum()) @ np.array(values)
    return out


def per_head(keep2d, hq, sparse_heads=None):
    """[Hq, Lq, Lk]: `keep2d` on the sparse heads, everything on the others."""
    keep = np.repeat(keep2d[None], hq, axis=0)
    if sparse_heads is not None:
        for h in range(hq):
            if h not in sparse_heads:
                keep[h] = True
    return keep


# -- sliding window, sinks, neighborhoods (StreamingLLM, NATTEN) -------------

def streaming_keep(lq, lk, window, sinks, causal_form):
    """Key j kept for the query at position p iff j < sinks, or
    0 <= p - j < window (causal), or |p - j| <= window // 2 (bidirectional)."""
    p = np.arange(lq)[:, None] + (lk - lq)
    j = np.arange(lk)[None, :]
    if causal_form == "causal":
        near = (p - j >= 0) & (p - j < window)
    else:
        near = np.abs(p - j) <= window // 2
    return near | (j < sinks)


def neighborhood_keep(lq, lk, kernel, dilation, causal, sinks=0):
    """NATTEN: the keys of the query's dilation group (j = p mod dilation),
    kernel of them, centered on the query (causal: ending at it) and shifted
    inside the group at the borders so that every query sees `kernel` keys
    (causal: the future ones among them are masked by causality)."""
    keep = np.zeros((lq, lk), bool)
    for i in range(lq):
        p = i + (lk - lq)
        grp = list(range(p % dilation, lk, dilation))  # positions of the group
        idx = p // dilation                            # p's index in it
        start = idx - (kernel - 1 if causal else kernel // 2)
        start = max(0, min(start, len(grp) - kernel))
        for t in range(start, min(start + kernel, len(grp))):
            keep[i, grp[t]] = True
    keep[:, :sinks] = True
    return keep


# -- static block layouts (ONNX Runtime SparseAttention CSR) -----------------

def csr_to_dense(row_ptr, cols):
    """A square block grid from one CSR layout."""
    n = len(row_ptr) - 1
    grid = np.zeros((n, n), bool)
    for r in range(n):
        for e in range(row_ptr[r], row_ptr[r + 1]):
            grid[r, cols[e]] = True
    return grid


def dense_to_csr(grid, pad_to=None):
    row_ptr, cols = [0], []
    for r in range(grid.shape[0]):
        cols += [int(c) for c in np.nonzero(grid[r])[0]]
        row_ptr.append(len(cols))
    if pad_to is not None:
        cols += [-1] * (pad_to - len(cols))
    return row_ptr, cols


def local_strided_grid(n, local, stride, causal):
    """Sparse Transformer / Phi-3-small layout: the `local` blocks nearest the
    diagonal plus every block column c with (c + 1) % stride == 0."""
    r = np.arange(n)[:, None]
    c = np.arange(n)[None, :]
    near = ((r - c >= 0) & (r - c < local)) if causal else (np.abs(r - c) < local)
    strided = ((c + 1) % stride == 0) if stride > 0 else np.zeros((n, n), bool)
    if causal:
        strided = strided & (c <= r)
    return near | strided


def layout_keep(grids, hq, lq, lk, block, causal):
    """[Hq, Lq, Lk] from per-layout block grids (head h uses grid h % L);
    query i reads the grid row of its absolute position."""
    off = 0 if causal == "top_left" else lk - lq
    qi = (np.arange(lq) + off) // block
    kj = np.arange(lk) // block
    return np.stack([grids[h % len(grids)][qi][:, kj] for h in range(hq)])


# -- dynamic block selection (MoBA, SLA, SALE) -------------------------------

def block_geometry(lq, lk, bq, bk, causal, sink_blocks, local_blocks):
    """(forced, future) [nq, nk]: blocks always kept (the first sink_blocks,
    and the local_blocks key blocks ending at the query block's last
    position, i.e. covering its span), and blocks entirely in the future."""
    off = 0 if causal == "top_left" else lk - lq
    nq, nk = -(-lq // bq), -(-lk // bk)
    forced = np.zeros((nq, nk), bool)
    future = np.zeros((nq, nk), bool)
    for qb in range(nq):
        p0 = qb * bq + off
        p1 = min((qb + 1) * bq, lq) - 1 + off
        for kb in range(nk):
            fut = causal != "none" and kb * bk > p1
            local = local_blocks > 0 and p0 // bk - local_blocks < kb <= p1 // bk
            future[qb, kb] = fut
            forced[qb, kb] = (kb < sink_blocks or local) and not fut
    return forced, future


def pool(x, block):
    """Mean of each block of rows of x [L, D]; the last block may be short."""
    n = -(-x.shape[0] // block)
    return np.stack([x[r * block:(r + 1) * block].mean(0) for r in range(n)])


def topk_blocks(scores, forced, future, topk):
    """Keep forced blocks and the best `topk` of each row, forced blocks
    ranked first and counted (MoBA's own block is one of its k); future
    blocks are never kept; ties go to the lower block index."""
    adj = np.where(forced, np.inf, np.where(future, -np.inf, scores))
    keep = forced.copy()
    for r in range(adj.shape[0]):
        order = np.argsort(-adj[r], kind="stable")
        for c in order[:topk]:
            if not future[r, c]:
                keep[r, c] = True
    return keep


def moba_map(q, k, bq, bk, topk, causal="none", sink_blocks=0,
             local_blocks=1, scale=None):
    """MoBA gate: score = mean(q over the query block) . mean(K_block)."""
    b, hq, lq, d = q.shape
    hkv, lk = k.shape[1], k.shape[2]
    g = hq // hkv
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    forced, future = block_geometry(lq, lk, bq, bk, causal, sink_blocks,
                                    local_blocks)
    out = np.zeros((b, hq) + forced.shape, bool)
    for bi in range(b):
        for h in range(hq):
            s = scale * pool(q[bi, h].astype(np.float64), bq) @ pool(
                k[bi, h // g].astype(np.float64), bk).T
            out[bi, h] = topk_blocks(s, forced, future, topk)
    return out


def sla_map(q, k, bq, bk, ratio, causal="none", sink_blocks=0,
            local_blocks=0, scale=None):
    """SLA: mean-pool Q and K - mean(K) per block; keep the top
    ceil(ratio * number of key blocks) pooled scores of each query block."""
    b, hq, lq, d = q.shape
    hkv, lk = k.shape[1], k.shape[2]
    g = hq // hkv
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    forced, future = block_geometry(lq, lk, bq, bk, causal, sink_blocks,
                                    local_blocks)
    topk = max(1, math.ceil(ratio * forced.shape[1] - 1e-9))
    out = np.zeros((b, hq) + forced.shape, bool)
    for bi in range(b):
        for h in range(hq):
            kk = k[bi, h // g].astype(np.float64)
            s = scale * pool(q[bi, h].astype(np.float64), bq) @ pool(
                kk - kk.mean(0), bk).T
            out[bi, h] = topk_blocks(s, forced, future, topk)
    return out


def quantize4(x, block):
    """Symmetric 4-bit fake quantization per block of rows (float32 math):
    s = max|x| / 7, x ~ clip(round_half_even(x / s), -7, 7) * s."""
    x = x.astype(np.float32)
    out = np.zeros_like(x)
    for r in range(0, x.shape[0], block):
        blk = x[r:r + block]
        s = np.float32(np.abs(blk).max()) / np.float32(7.0)
        if s == 0:
            continue
        out[r:r + block] = np.clip(np.rint(blk / s), -7, 7) * s
    return out


def sale_map(q, k, bq, bk, tau, causal="none", sink_blocks=1,
             local_blocks=4, scale=None):
    """SALE: estimated scores E from 4-bit Q and K - mean(K); exact row max
    m_i and sum l_i over the visible keys of the sink + local blocks; keep
    key block b iff max_{j in b} E_ij > m_i + ln(tau l_i) for a row i of the
    query block (relative score exp(E - m) / l > tau)."""
    b, hq, lq, d = q.shape
    hkv, lk = k.shape[1], k.shape[2]
    g = hq // hkv
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    forced, future = block_geometry(lq, lk, bq, bk, causal, sink_blocks,
                                    local_blocks)
    vis = visible_mask(lq, lk, causal)
    qb = np.arange(lq) // bq
    kb = np.arange(lk) // bk
    region = forced[qb][:, kb] & vis
    out = np.zeros((b, hq) + forced.shape, bool)
    for bi in range(b):
        for h in range(hq):
            qq = q[bi, h].astype(np.float32)
            kc = k[bi, h // g].astype(np.float32)
            kc = kc - kc.mean(0, dtype=np.float64).astype(np.float32)
            est = scale * (quantize4(qq, bq).astype(np.float64) @
                           quantize4(kc, bk).astype(np.float64).T)
            exact = scale * (qq.astype(np.float64) @ kc.astype(np.float64).T)
            keep = forced.copy()
            for i in range(lq):
                r = exact[i, region[i]]
                if r.size == 0:
                    thr = -np.inf
                else:
                    m = r.max()
                    thr = m + math.log(tau * np.exp(r - m).sum())
                hit = vis[i] & (est[i] > thr)
                for j in np.nonzero(hit)[0]:
                    keep[qb[i], kb[j]] = True
            out[bi, h] = keep
    return out


def expand_block_map(bmap, lq, lk, bq, bk):
    """[B, Hq, nq, nk] -> [B, Hq, Lq, Lk]."""
    return bmap[:, :, np.arange(lq) // bq][:, :, :, np.arange(lk) // bk]
