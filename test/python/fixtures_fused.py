"""fixtures_fused.py: attention as one node, and non-attention negatives.

Fused: the standard Attention (opset 23) and the com.microsoft contrib ops
Attention, MultiHeadAttention and GroupQueryAttention as onnxruntime's
transformer optimizer and model builder emit them. Negatives: Softmax/MatMul
graphs that are not attention (expected_sites 0).
"""

import numpy as np

from fixture_builder import BOOL, F32, FINFO_MIN, I32, Graph

B = 2


def _f(g, *shape):
    return g.rng.standard_normal(shape).astype(np.float32)


def attention23_gqa_past_causal(seed):
    # Standard Attention-23, 4-D, GQA 4/2, past_key/past_value, is_causal=1
    # (bottom-right aligned with the past), present outputs.
    hq, hkv, s, p, d = 4, 2, 3, 5, 8
    g = Graph("attention23_gqa_past_causal", 23, seed)
    q = g.input("Q", F32, ["batch", hq, "q_len", d])
    k = g.input("K", F32, ["batch", hkv, "q_len", d])
    v = g.input("V", F32, ["batch", hkv, "q_len", d])
    pk = g.input("past_key", F32, ["batch", hkv, "past_len", d])
    pv = g.input("past_value", F32, ["batch", hkv, "past_len", d])
    feeds = {"Q": _f(g, B, hq, s, d), "K": _f(g, B, hkv, s, d),
             "V": _f(g, B, hkv, s, d), "past_key": _f(g, B, hkv, p, d),
             "past_value": _f(g, B, hkv, p, d)}
    y, prk, prv = g.op("Attention", q, k, v, "", pk, pv, outs=3,
                       is_causal=1)
    g.output(y, "Y")
    g.output(prk, "present_key")
    g.output(prv, "present_value")
    return g.model(), feeds, [("causal", hq, hkv)], \
        "Attention-23 4-D GQA 4/2, S=3 past P=5, is_causal (bottom-right)"


def attention23_3d_bool(seed):
    # Attention-23 with 3-D [B, S, H*D] inputs and q_num_heads/kv_num_heads,
    # boolean attn_mask [B, 1, Lq, Lk] (true = attend).
    hq, hkv, s, L, d = 4, 2, 7, 9, 8
    g = Graph("attention23_3d_bool", 23, seed)
    q = g.input("Q", F32, ["batch", "q_len", hq * d])
    k = g.input("K", F32, ["batch", "kv_len", hkv * d])
    v = g.input("V", F32, ["batch", "kv_len", hkv * d])
    m = g.input("attn_mask", BOOL, ["batch", 1, "q_len", "kv_len"])
    mask = g.rng.random((B, 1, s, L)) > 0.4
    mask[..., 2] = True
    feeds = {"Q": _f(g, B, s, hq * d), "K": _f(g, B, L, hkv * d),
             "V": _f(g, B, L, hkv * d), "attn_mask": mask}
    g.output(g.op("Attention", q, k, v, m, q_num_heads=hq, kv_num_heads=hkv),
             "Y")
    return g.model(), feeds, [("boolean", hq, hkv)], \
        "Attention-23 3-D, q_num_heads=4 kv_num_heads=2, bool mask"


def attention23_softcap(seed):
    # Attention-23 with softcap (tanh capping of the scaled scores).
    h, s, d = 3, 10, 16
    g = Graph("attention23_softcap", 23, seed)
    names = ["Q", "K", "V"]
    ins = [g.input(n, F32, ["batch", h, "seq", d]) for n in names]
    feeds = {n: _f(g, B, h, s, d) * 3.0 for n in names}
    g.output(g.op("Attention", *ins, softcap=2.0), "Y")
    return g.model(), feeds, [("none", h, h)], \
        "Attention-23 softcap=2.0 (inputs scaled x3 so the cap matters)"


def attention23_additive_scale(seed):
    # Attention-23 with an explicit scale and an additive float mask.
    h, s, L, d = 2, 7, 12, 12
    g = Graph("attention23_additive_scale", 23, seed)
    q = g.input("Q", F32, ["batch", h, "q_len", d])
    k = g.input("K", F32, ["batch", h, "kv_len", d])
    v = g.input("V", F32, ["batch", h, "kv_len", d])
    m = g.input("attn_mask", F32, ["batch", 1, "q_len", "kv_len"])
    mask = (g.rng.standard_normal((B, 1, s, L)) * 0.5).astype(np.float32)
    mask[1, ..., 9:] = FINFO_MIN
    feeds = {"Q": _f(g, B, h, s, d), "K": _f(g, B, h, L, d),
             "V": _f(g, B, h, L, d), "attn_mask": mask}
    g.output(g.op("Attention", q, k, v, m, scale=0.2), "Y")
    return g.model(), feeds, [("additive", h, h)], \
        "Attention-23 scale=0.2, additive float mask [B,1,Lq,Lk]"


def ms_mha(seed, bias):
    # com.microsoft.MultiHeadAttention (ORT transformer optimizer output for
    # BERT-like/cross attention): 3-D q/k/v [B, S, H*D], with
    # key_padding_mask int32 [B, Lk] (1 = keep) or attention_bias [B,H,S,Lk].
    h, s, L, d = 4, 7, 9, 8
    e = h * d
    name = "ms_mha_" + ("attention_bias" if bias else "key_padding")
    g = Graph(name, 17, seed)
    q = g.input("query", F32, ["batch", "q_len", e])
    k = g.input("key", F32, ["batch", "kv_len", e])
    v = g.input("value", F32, ["batch", "kv_len", e])
    feeds = {"query": _f(g, B, s, e), "key": _f(g, B, L, e),
             "value": _f(g, B, L, e)}
    if bias:
        ab = g.input("attention_bias", F32, ["batch", h, "q_len", "kv_len"])
        feeds["attention_bias"] = _f(g, B, h, s, L)
        y = g.ms("MultiHeadAttention", q, k, v, "", "", ab, num_heads=h)
        mask = "additive"
    else:
        kp = g.input("key_padding_mask", I32, ["batch", "kv_len"])
        m = np.ones((B, L), np.int32)
        m[1, 6:] = 0
        feeds["key_padding_mask"] = m
        y = g.ms("MultiHeadAttention", q, k, v, "", kp, num_heads=h)
        mask = "boolean"
    g.output(y, "output")
    return g.model(), feeds, [(mask, h, h)], \
        f"com.microsoft.MultiHeadAttention num_heads=4, {name[7:]}"


def ms_attention_packed(seed):
    # com.microsoft.Attention (BERT/GPT-2 fusion of ORT's optimizer): input
    # [B, S, E], packed weights [E, 3E] and bias [3E], unidirectional=1.
    h, s, d = 4, 9, 10
    e = h * d
    g = Graph("ms_attention_packed_causal", 17, seed)
    x = g.input("input", F32, ["batch", "seq", e])
    feeds = {"input": _f(g, B, s, e)}
    w, b = g.weight(e, 3 * e), g.init(_f(g, 3 * e) * 0.02)
    g.output(g.ms("Attention", x, w, b, num_heads=h, unidirectional=1),
             "output")
    return g.model(), feeds, [("causal", h, h)], \
        "com.microsoft.Attention packed QKV weights+bias, unidirectional=1"


def ms_gqa(seed, batch, s, p):
    # com.microsoft.GroupQueryAttention (onnxruntime-genai model builder):
    # q [B, S, Hq*D], k/v [B, S, Hkv*D], past [B, Hkv, P, D] (BNSH),
    # seqlens_k = total - 1 (int32 [B]), total_sequence_length = P + S.
    # ORT's CPU kernel wants batch 1 when S > 1 with a past.
    hq, hkv, d = 4, 2, 8
    name = "ms_gqa_past_" + ("prefill" if s > 1 else "decode")
    g = Graph(name, 17, seed)
    q = g.input("query", F32, ["batch", "seq", hq * d])
    k = g.input("key", F32, ["batch", "seq", hkv * d])
    v = g.input("value", F32, ["batch", "seq", hkv * d])
    pk = g.input("past_key", F32, ["batch", hkv, "past_seq", d])
    pv = g.input("past_value", F32, ["batch", hkv, "past_seq", d])
    sk = g.input("seqlens_k", I32, ["batch"])
    tl = g.input("total_sequence_length", I32, [])
    feeds = {"query": _f(g, batch, s, hq * d), "key": _f(g, batch, s, hkv * d),
             "value": _f(g, batch, s, hkv * d),
             "past_key": _f(g, batch, hkv, p, d),
             "past_value": _f(g, batch, hkv, p, d),
             "seqlens_k": np.full([batch], p + s - 1, np.int32),
             "total_sequence_length": np.array(p + s, np.int32)}
    y, prk, prv = g.ms("GroupQueryAttention", q, k, v, pk, pv, sk, tl,
                       outs=3, num_heads=hq, kv_num_heads=hkv)
    g.output(y, "output")
    g.output(prk, "present_key")
    g.output(prv, "present_value")
    return g.model(), feeds, [("causal", hq, hkv)], \
        f"com.microsoft.GroupQueryAttention 4/2, B={batch} S={s} P={p}"


# -- negatives ----------------------------------------------------------------

def _neg_qkv(g, L=7, d=10):
    q = g.input("q", F32, ["batch", L, d])
    k = g.input("k", F32, ["batch", L, d])
    v = g.input("v", F32, ["batch", L, d])
    return q, k, v, {n: _f(g, B, L, d) for n in "qkv"}


def neg_softmax_axis1(seed):
    # Softmax over the query axis (axis 1 of [B, Lq, Lk]) then MatMul: not
    # attention (each key's weights sum to 1, not each query's).
    g = Graph("neg_softmax_axis1", 13, seed)
    q, k, v, feeds = _neg_qkv(g)
    s = g.op("Div", g.op("MatMul", q, g.op("Transpose", k, perm=[0, 2, 1])),
             g.const(np.sqrt(10.0)))
    g.output(g.op("MatMul", g.op("Softmax", s, axis=1), v), "output")
    return g.model(), feeds, [], "Softmax(axis=1) on [B,Lq,Lk] then MatMul"


def neg_softmax_nonscalar_scale(seed):
    # Scores multiplied by a per-key weight vector (not a scalar scale).
    g = Graph("neg_softmax_nonscalar_scale", 14, seed)
    q, k, v, feeds = _neg_qkv(g)
    w = g.init(g.rng.uniform(0.1, 1.0, 7).astype(np.float32))
    s = g.op("Mul", g.op("MatMul", q, g.op("Transpose", k, perm=[0, 2, 1])),
             w)
    g.output(g.op("MatMul", g.op("Softmax", s, axis=-1), v), "output")
    return g.model(), feeds, [], "Mul(scores, [Lk] vector) then Softmax/MatMul"


def neg_plain_mlp(seed):
    g = Graph("neg_plain_mlp", 17, seed)
    x = g.input("x", F32, ["batch", 33])
    feeds = {"x": _f(g, 5, 33)}
    y = g.op("Relu", g.linear(x, 33, 64))
    g.output(g.linear(y, 64, 17), "output")
    return g.model(), feeds, [], "MatMul+Add+Relu+MatMul+Add"


def neg_softmax_classifier(seed):
    g = Graph("neg_softmax_classifier", 13, seed)
    x = g.input("features", F32, ["batch", 40])
    feeds = {"features": _f(g, 3, 40)}
    g.output(g.op("Softmax", g.linear(x, 40, 11), axis=-1), "probs")
    return g.model(), feeds, [], "Linear + Softmax classifier head"


FIXTURES = [
    ("attention23_gqa_past_causal", attention23_gqa_past_causal),
    ("attention23_3d_bool", attention23_3d_bool),
    ("attention23_softcap", attention23_softcap),
    ("attention23_additive_scale", attention23_additive_scale),
    ("ms_mha_key_padding", lambda s: ms_mha(s, False)),
    ("ms_mha_attention_bias", lambda s: ms_mha(s, True)),
    ("ms_attention_packed_causal", ms_attention_packed),
    ("ms_gqa_past_prefill", lambda s: ms_gqa(s, 1, 3, 5)),
    ("ms_gqa_past_decode", lambda s: ms_gqa(s, 2, 1, 6)),
    ("neg_softmax_axis1", neg_softmax_axis1),
    ("neg_softmax_nonscalar_scale", neg_softmax_nonscalar_scale),
    ("neg_plain_mlp", neg_plain_mlp),
    ("neg_softmax_classifier", neg_softmax_classifier),
]
