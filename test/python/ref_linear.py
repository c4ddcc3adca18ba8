"""numpy references of the linear attention methods, written from METHODS.md.

Shapes follow attn.sdpa: q [B, Hq, Lq, D], k [B, Hkv, Lk, D], v [B, Hkv, Lk, Dv];
query head h reads key/value head h // (Hq // Hkv). Causal forms are
bottom-right aligned: query i sits at key position p_i = i + Lk - Lq and sees
keys j <= p_i. These are deliberately naive (they build the Lq x Lk weight
matrix) so that they share nothing with the chunked compiled forms; the
blockwise Lightning recurrence is written out too, as METHODS.md states it.
Everything is computed in float64.
"""
import numpy as np


def elu1(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def relu(x):
    return np.maximum(x, 0.0)


FEATURES = {"elu1": elu1, "relu": relu}


def _expand_kv(q, k, v):
    g = q.shape[1] // k.shape[1]
    return (q.astype(np.float64), np.repeat(k.astype(np.float64), g, axis=1),
            np.repeat(v.astype(np.float64), g, axis=1))


def causal_mask(lq, lk):
    """[Lq, Lk] bool: key j visible to query i (bottom-right aligned)."""
    i = np.arange(lq)[:, None] + (lk - lq)
    j = np.arange(lk)[None, :]
    return j <= i


def kernelized(q, k, v, feature="elu1", causal=False, keep=None):
    """O_i = phi(q_i)^T sum_j phi(k_j) v_j^T / phi(q_i)^T sum_j phi(k_j), the
    sums over the visible keys (j <= p_i when causal, and keep[..., i, j] when
    given); rows with no feature mass are 0."""
    q, k, v = _expand_kv(q, k, v)
    phi = FEATURES[feature]
    w = np.einsum("bhid,bhjd->bhij", phi(q), phi(k))
    if causal:
        w = w * causal_mask(q.shape[2], k.shape[2])
    if keep is not None:
        w = w * keep
    den = w.sum(-1, keepdims=True)
    num = np.einsum("bhij,bhje->bhie", w, v)
    return np.where(den == 0, 0.0, num / np.where(den == 0, 1.0, den))


def mala(q, k, v, s=None, causal=False):
    """MALA (METHODS.md): z_i = s phi(q_i) . mean_j phi(k_j);
    O_i = (s^2/N) phi(q_i)^T (sum_j phi(k_j) v_j^T) (1 + 1/z_i) - z_i mean_j v_j,
    phi = elu + 1, s default 1/sqrt(D). Causal: the sums and means run over
    j <= p_i and N = p_i + 1."""
    if s is None:
        s = 1.0 / np.sqrt(q.shape[-1])
    q, k, v = _expand_kv(q, k, v)
    lq, lk = q.shape[2], k.shape[2]
    m = causal_mask(lq, lk) if causal else np.ones((lq, lk), bool)
    m = m.astype(np.float64)
    n = m.sum(-1)[:, None]  # [Lq, 1]
    fq, fk = elu1(q), elu1(k)
    qk = np.einsum("bhid,bhjd->bhij", fq, fk) * m
    num = np.einsum("bhij,bhje->bhie", qk, v)
    z = s * qk.sum(-1, keepdims=True) / n
    mean_v = np.einsum("ij,bhje->bhie", m, v) / n
    return (s * s / n) * num * (1.0 + 1.0 / z) - z * mean_v


def lightning_naive(q, k, v, decay=0.0, scale=1.0):
    """Causal linear attention with decay, from its definition:
    O_i = sum_{j <= p_i} exp(-s_h (p_i - j)) (scale q_i . k_j) v_j, no
    normalization. `decay`: one value or one per query head."""
    q, k, v = _expand_kv(q, k, v)
    hq, lq, lk = q.shape[1], q.shape[2], k.shape[2]
    s = np.broadcast_to(np.asarray(decay, np.float64).reshape(-1), (hq,))
    p = np.arange(lq)[:, None] + (lk - lq)
    gap = p - np.arange(lk)[None, :]
    dmat = np.where(gap >= 0, np.exp(-s[:, None, None] * np.maximum(gap, 0)),
                    0.0)  # [Hq, Lq, Lk]
    sc = scale * np.einsum("bhid,bhjd->bhij", q, k) * dmat[None]
    return np.einsum("bhij,bhje->bhie", sc, v)


def lightning_blockwise(q, k, v, decay=0.0, scale=1.0, block=64):
    """The Lightning Attention-2 recurrence as METHODS.md writes it (Lq = Lk):
    intra (Q_b K_b^T * D) V_b with D_ij = exp(-s (i - j)) for i >= j;
    inter (Q_b KV) * exp(-s i) (i = 1..B within the block);
    KV <- exp(-s B) KV + (K_b * exp(-s (B - j)))^T V_b."""
    q, k, v = _expand_kv(q, k, v)
    bsz, hq, n, _ = q.shape
    assert k.shape[2] == n, "the recurrence is written for Lq = Lk"
    s = np.broadcast_to(np.asarray(decay, np.float64).reshape(-1), (hq,))
    out = np.zeros(q.shape[:3] + (v.shape[-1],))
    for h in range(hq):
        kv = np.zeros((bsz, q.shape[-1], v.shape[-1]))
        for start in range(0, n, block):
            qb = scale * q[:, h, start:start + block]
            kb = k[:, h, start:start + block]
            vb = v[:, h, start:start + block]
            bl = qb.shape[1]
            i = np.arange(bl)
            gap = i[:, None] - i[None, :]
            dm = np.where(gap >= 0, np.exp(-s[h] * np.maximum(gap, 0)), 0.0)
            o = np.einsum("bij,bje->bie", np.einsum("bid,bjd->bij", qb, kb) * dm, vb)
            o += np.einsum("bid,bde->bie", qb, kv) * np.exp(-s[h] * (i + 1))[None, :, None]
            kw = kb * np.exp(-s[h] * (bl - 1 - i))[None, :, None]
            kv = np.exp(-s[h] * bl) * kv + np.einsum("bjd,bje->bde", kw, vb)
            out[:, h, start:start + block] = o
    return out


def agent(q, k, v, n_agents, scale=None):
    """Agent attention: A = means of Q over n contiguous segments of
    floor(Lq/n) rows (the last takes the remainder);
    O = softmax(scale Q A^T) softmax(scale A K^T) V."""
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    q, k, v = _expand_kv(q, k, v)
    lq = q.shape[2]
    seg = lq // n_agents
    bounds = [(a * seg, (a + 1) * seg if a < n_agents - 1 else lq)
              for a in range(n_agents)]
    ag = np.stack([q[:, :, s0:s1].mean(axis=2) for s0, s1 in bounds], axis=2)

    def softmax(x):
        x = x - x.max(-1, keepdims=True)
        e = np.exp(x)
        return e / e.sum(-1, keepdims=True)

    p1 = softmax(scale * np.einsum("bhad,bhjd->bhaj", ag, k))
    p2 = softmax(scale * np.einsum("bhid,bhad->bhia", q, ag))
    return np.einsum("bhia,bhae->bhie", p2, np.einsum("bhaj,bhje->bhae", p1, v))


def sla_block_map(q, k, block, ratio, causal=False):
    """SLA block map (METHODS.md, attn.block_select{method = sla}, no forced
    sink/local blocks): mean-pool Q and K - mean(K) per block, keep the top
    ceil(ratio * key blocks) pooled scores per query block, never a block
    entirely in the future of the query block. [B, Hq, nq, nk] bool."""
    q, k, _ = _expand_kv(q, k, k)
    lq, lk = q.shape[2], k.shape[2]
    nq, nk = -(-lq // block), -(-lk // block)
    kc = k - k.mean(axis=2, keepdims=True)
    qp = np.stack([q[:, :, i * block:(i + 1) * block].mean(2) for i in range(nq)], 2)
    kp = np.stack([kc[:, :, j * block:(j + 1) * block].mean(2) for j in range(nk)], 2)
    sc = np.einsum("bhqd,bhkd->bhqk", qp, kp)
    off = lk - lq
    if causal:
        last = np.minimum((np.arange(nq) + 1) * block, lq) - 1 + off
        future = np.arange(nk)[None, :] * block > last[:, None]
        sc = np.where(future, -np.inf, sc)
    else:
        future = np.zeros((nq, nk), bool)
    topk = max(1, int(np.ceil(ratio * nk - 1e-9)))
    order = np.argsort(-sc, axis=-1, kind="stable")
    keep = np.zeros(sc.shape, bool)
    np.put_along_axis(keep, order[..., :topk], True, axis=-1)
    return keep & ~future


def expand_blocks(bm, block, lq, lk):
    """Block map [.., nq, nk] -> element map [.., Lq, Lk]."""
    return np.repeat(np.repeat(bm, block, axis=-2), block, axis=-1)[..., :lq, :lk]


def softmax_attention(q, k, v, scale=None, keep=None):
    """Dense softmax attention on the kept keys; rows with none are 0."""
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    q, k, v = _expand_kv(q, k, v)
    s = scale * np.einsum("bhid,bhjd->bhij", q, k)
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    m = s.max(-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(s - m)
    den = e.sum(-1, keepdims=True)
    return np.einsum("bhij,bhje->bhie", e / np.where(den == 0, 1.0, den), v)


def hybrid(q, k, v, block, ratio, feature="elu1", causal=False, scale=None):
    """SLA hybrid: exact softmax attention on the selected blocks plus the
    kernelized linear term over the other (visible) keys."""
    lq, lk = q.shape[2], k.shape[2]
    bm = sla_block_map(q, k, block, ratio, causal)
    sel = expand_blocks(bm, block, lq, lk)
    vis = causal_mask(lq, lk) if causal else np.ones((lq, lk), bool)
    dense = softmax_attention(q, k, v, scale, keep=sel & vis)
    lin = kernelized(q, k, v, feature, causal, keep=~sel)
    return dense + lin
