"""ref_calibrate.py: numpy references of the calibration methods, written
from ../shared/METHODS.md ("Calibrated"), independently of attune's C++.

Notation as in METHODS.md: for one head S = scale * Q K^T, A = softmax(S)
row-wise (over the keys the query sees), O = A V.

- ZeroTuning: scale the attention each query pays to the first token by
  gamma and renormalize the row (done here on the probabilities, not as the
  equivalent logit bias ln(gamma) on column 0).
- ACT: c_j = sum_i A_ij / (number of queries that see key j), which is
  METHODS.md's (N - j) for a square causal head; the sinks are {j : c_j > tau}
  without the first token; sink columns are multiplied by beta and the
  removed mass is given back to the other columns of the row in proportion
  to their attention.

Arrays are [B, H, L, D]; GQA maps query head h to key/value head h // (Hq/Hkv).
"""

import numpy as np


def visible_mask(lq, lk, causal):
    """bool [Lq, Lk]: key j is visible to query i ('none', 'top_left',
    'bottom_right')."""
    i = np.arange(lq)[:, None]
    j = np.arange(lk)[None, :]
    if causal == "top_left":
        return j <= i
    if causal == "bottom_right":
        return j <= i + (lk - lq)
    return np.ones((lq, lk), dtype=bool)


def probabilities(q, k, causal, scale=None):
    """Dense softmax probabilities [B, Hq, Lq, Lk] in float64."""
    q = q.astype(np.float64)
    k = k.astype(np.float64)
    b, hq, lq, d = q.shape
    g = hq // k.shape[1]
    k = np.repeat(k, g, axis=1)
    scale = 1.0 / np.sqrt(d) if scale is None else scale
    s = scale * np.einsum("bhid,bhjd->bhij", q, k)
    vis = visible_mask(lq, k.shape[2], causal)
    s = np.where(vis, s, -np.inf)
    m = s.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.where(vis, np.exp(s - m), 0.0)
    den = e.sum(axis=-1, keepdims=True)
    return e / np.where(den == 0, 1.0, den)


def apply_values(a, v):
    g = a.shape[1] // v.shape[1]
    v = np.repeat(v.astype(np.float64), g, axis=1)
    return np.einsum("bhij,bhjd->bhid", a, v)


def head_flags(hq, heads):
    return np.array([heads is None or h in heads for h in range(hq)])


def zerotuning(a, gamma, heads=None):
    """Scales column 0 by gamma and renormalizes each row, on `heads`."""
    out = a.copy()
    scaled = a.copy()
    scaled[..., 0] *= gamma
    den = scaled.sum(axis=-1, keepdims=True)
    scaled = scaled / np.where(den == 0, 1.0, den)
    sel = head_flags(a.shape[1], heads)
    out[:, sel] = scaled[:, sel]
    return out


def act_sinks(a, causal, tau):
    """bool [B, Hq, Lk]: ACT's sink columns (first token excluded) and the
    column means c [B, Hq, Lk]."""
    lq, lk = a.shape[2], a.shape[3]
    seen_by = visible_mask(lq, lk, causal).sum(axis=0)  # queries per key
    if causal == "top_left" and lq == lk:
        # METHODS.md's form for the square causal case.
        assert np.array_equal(seen_by, lk - np.arange(lk))
    c = a.sum(axis=2) / np.maximum(seen_by, 1)
    sinks = c > tau
    sinks[..., 0] = False
    return sinks, c


def act(a, causal, beta, tau, heads=None):
    """ACT calibration of the probabilities `a` on `heads`."""
    sinks, _ = act_sinks(a, causal, tau)
    sinks &= head_flags(a.shape[1], heads)[None, :, None]
    s4 = sinks[:, :, None, :]
    removed = ((1.0 - beta) * a * s4).sum(axis=-1, keepdims=True)
    others = (a * ~s4).sum(axis=-1, keepdims=True)
    share = np.where(others > 0, a / np.where(others > 0, others, 1.0), 0.0)
    out = np.where(s4, beta * a, a + removed * share)
    # A row whose whole mass sits on sinks has nowhere to give it back.
    return np.where(others > 1e-6, out, a)


def attention(q, k, v, causal, method=None, heads=None, gamma=1.0, beta=0.4,
              tau=0.1):
    """Output [B, Hq, Lq, Dv] of dense or calibrated attention."""
    a = probabilities(q, k, causal)
    if method == "zerotuning":
        a = zerotuning(a, gamma, heads)
    elif method == "act":
        a = act(a, causal, beta, tau, heads)
    return apply_values(a, v)
