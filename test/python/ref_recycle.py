"""ref_recycle.py: a plain numpy Recycled Attention (RefreshKV) decoder.

Written from the definition in METHODS.md ("Recycled"), not from attune's
C++: during generation with a KV cache, a full step runs dense attention and
records the last query row of the attention probabilities A; the scores are
max-pooled over neighbouring positions and maxed over each GQA group; the K
highest positions are kept. Partial steps attend only to the kept positions
plus the tokens appended since the full step. The schedule is a full step
every `stride` steps, or, every `check_every` steps, a full step when the
cosine of the head-mean query with the one stored at the last full step is
below `threshold`.

Conventions that METHODS.md leaves open (and attune's docs/recycle.md
states): "steps since the last full step" counts from 1 after a full step
and 0 means no state (a full step); the pooling window of kernel p covers
j - (p-1)//2 .. j + p//2 inside the cache; ties keep the lower position;
"tokens appended since" are positions >= the cache length at the full step;
queries are aligned to the end of the keys (bottom-right causal).
"""

import numpy as np


def attention(q, k, v, scale, keep=None, causal=True, softcap=0.0):
    """Dense attention with GQA on [B, H, L, D]; `keep` [B, Hq, Lq, Lk] bool;
    softcap > 0: scores become softcap * tanh(score / softcap) (ONNX
    Attention-23) before the mask.

    Returns (output, probabilities), computed in float64.
    """
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    b, hq, lq, _ = q.shape
    hkv, lk = k.shape[1], k.shape[2]
    g = hq // hkv
    k = np.repeat(k, g, axis=1)
    v = np.repeat(v, g, axis=1)
    s = np.einsum("bhid,bhjd->bhij", q, k) * scale
    if softcap > 0:
        s = softcap * np.tanh(s / softcap)
    vis = np.ones((b, hq, lq, lk), dtype=bool)
    if causal:
        i = np.arange(lq)[:, None]
        j = np.arange(lk)[None, :]
        vis &= (j <= i + lk - lq)[None, None]
    if keep is not None:
        vis &= keep
    s = np.where(vis, s, -np.inf)
    m = s.max(-1, keepdims=True)
    m = np.where(np.isinf(m), 0.0, m)
    e = np.where(vis, np.exp(s - m), 0.0)
    den = e.sum(-1, keepdims=True)
    p = e / np.where(den == 0, 1.0, den)
    return np.einsum("bhij,bhjd->bhid", p, v), p


def pooled_topk(last_row, hkv, topk, pool):
    """Top-K positions [B, Hkv, K] of the last query row's probabilities
    [B, Hq, Lk] after max pooling and the GQA group max; -1 pads."""
    b, hq, lk = last_row.shape
    lo, hi = (pool - 1) // 2, pool // 2
    pooled = np.empty_like(last_row)
    for j in range(lk):
        pooled[..., j] = last_row[..., max(0, j - lo):min(lk, j + hi + 1)].max(-1)
    score = pooled.reshape(b, hkv, hq // hkv, lk).max(2)
    out = np.full((b, hkv, topk), -1, dtype=np.int64)
    for bi in range(b):
        for g in range(hkv):
            # Stable sort on -score: ties keep the lower position first;
            # the kept set is returned in position order.
            order = np.sort(np.argsort(-score[bi, g], kind="stable")[:topk])
            out[bi, g, :len(order)] = order
    return out


class RecycledAttention:
    """State and step function of one attention site."""

    def __init__(self, batch, hkv, dim, topk, schedule="fixed", stride=10,
                 check_every=5, threshold=0.85, pool=5, dense_heads=(),
                 softcap=0.0):
        self.softcap = softcap
        self.hkv, self.topk, self.schedule = hkv, topk, schedule
        self.stride, self.check_every = stride, check_every
        self.threshold, self.pool = threshold, pool
        self.dense_heads = set(dense_heads)
        self.kept = np.zeros((batch, hkv, topk), dtype=np.int64)
        self.full_len = np.zeros(batch, dtype=np.int64)
        self.steps = np.zeros(batch, dtype=np.int64)
        self.ref = np.zeros((batch, dim))
        self.last_full = None

    def is_full(self, qbar):
        full = []
        for b in range(len(self.steps)):
            c = self.steps[b]
            if c <= 0:
                full.append(True)
            elif self.schedule == "fixed":
                full.append(c >= self.stride)
            else:
                n = np.linalg.norm(qbar[b]) * np.linalg.norm(self.ref[b])
                cos = 0.0 if n <= 0 else float(qbar[b] @ self.ref[b]) / n
                full.append(c % self.check_every == 0 and cos < self.threshold)
        return np.array(full)

    def step(self, q, k, v, scale):
        """q [B, Hq, Lq, D]; k, v the whole cache [B, Hkv, Lk, D]."""
        b, hq, lq, _ = q.shape
        lk = k.shape[2]
        qbar = q[:, :, -1, :].astype(np.float64).mean(1)
        full = self.is_full(qbar)
        self.last_full = full
        keep = np.ones((b, hq, lq, lk), dtype=bool)
        g = hq // self.hkv
        for bi in range(b):
            if full[bi]:
                continue
            for h in range(hq):
                if h in self.dense_heads:
                    continue
                row = np.arange(lk) >= self.full_len[bi]
                idx = self.kept[bi, h // g]
                row[idx[(idx >= 0) & (idx < lk)]] = True
                keep[bi, h] = row[None, :]
        out, _ = attention(q, k, v, scale, keep, softcap=self.softcap)
        _, dense_p = attention(q, k, v, scale, softcap=self.softcap)
        top = pooled_topk(dense_p[:, :, -1, :], self.hkv, self.topk, self.pool)
        for bi in range(b):
            if full[bi]:
                self.kept[bi] = top[bi]
                self.full_len[bi] = lk
                self.steps[bi] = 1
                self.ref[bi] = qbar[bi]
            else:
                self.steps[bi] += 1
        return out
