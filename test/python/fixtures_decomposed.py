"""fixtures_decomposed.py: single attention sites as exporters decompose them.

Each builder returns (model, inputs, sites, notes). Q/K/V are graph inputs
(4-D [B, H, L, D] unless stated) with symbolic batch and sequence dims, so the
driver has to fix them from the manifest's input_shapes.
"""

import numpy as np
from onnx import numpy_helper

from fixture_builder import BOOL, F32, FINFO_MIN, I64, Graph

B, H, LQ, LK, D = 2, 3, 7, 9, 10


def _qkv(g, hq=H, hkv=H, lq=LQ, lk=LK, d=D):
    q = g.input("query", F32, ["batch", hq, "q_len", d])
    k = g.input("key", F32, ["batch", hkv, "kv_len", d])
    v = g.input("value", F32, ["batch", hkv, "kv_len", d])
    r = g.rng
    feeds = {"query": r.standard_normal((B, hq, lq, d)).astype(np.float32),
             "key": r.standard_normal((B, hkv, lk, d)).astype(np.float32),
             "value": r.standard_normal((B, hkv, lk, d)).astype(np.float32)}
    return q, k, v, feeds


def _kt(g, k):
    return g.op("Transpose", k, perm=[0, 1, 3, 2])


def _finish(g, scores, v):
    p = g.op("Softmax", scores, axis=-1)
    g.output(g.op("MatMul", p, v), "output", shape=None)
    return g.model()


def sdpa_div(seed):
    # HF BERT/ViT/GPT-2 `scores / math.sqrt(d)` (TorchScript, all opsets).
    g = Graph("sdpa_div", 17, seed)
    q, k, v, feeds = _qkv(g)
    s = g.op("Div", g.op("MatMul", q, _kt(g, k)), g.const(np.sqrt(D)))
    return _finish(g, s, v), feeds, [("none", H, H)], \
        "Transpose(K)+MatMul+Div(sqrt d)+Softmax+MatMul, cross lengths 7x9"


def sdpa_mul_scores(seed):
    # Scale as a Mul on the scores with an initializer scalar (tf2onnx and
    # hand-written PyTorch `attn = (q @ k.T) * self.scale`).
    g = Graph("sdpa_mul_scores", 14, seed)
    q, k, v, feeds = _qkv(g)
    scale = g.init(np.array(D ** -0.5, np.float32), "attn.scale")
    s = g.op("Mul", g.op("MatMul", q, _kt(g, k)), scale)
    return _finish(g, s, v), feeds, [("none", H, H)], \
        "Mul(scores, initializer 1/sqrt d)"


def sdpa_qscale_mul1(seed):
    # torch F.multi_head_attention_forward: q * (1/sqrt d) before the
    # product; baddbmm/addmm-style alpha gives Mul(scores, 1.0).
    g = Graph("sdpa_qscale_mul1", 13, seed)
    q, k, v, feeds = _qkv(g)
    qs = g.op("Mul", q, g.const(1.0 / np.sqrt(D)))
    s = g.op("Mul", g.op("MatMul", qs, _kt(g, k)), g.const(1.0))
    return _finish(g, s, v), feeds, [("none", H, H)], \
        "Mul(Q, 1/sqrt d) before MatMul, then Mul(scores, 1.0)"


def sdpa_qk_quarter(seed):
    # torch F.scaled_dot_product_attention, TorchScript symbolic_opset14:
    # scale = 1/sqrt(Cast(Shape(q)[-1:])), both Q and K^T multiplied by
    # sqrt(scale) = d^-0.25; the scale is a shape computation to fold.
    g = Graph("sdpa_qk_quarter", 14, seed)
    q, k, v, feeds = _qkv(g)
    last = g.op("Slice", g.op("Shape", q), g.const([-1], np.int64),
                g.const([9223372036854775807], np.int64))
    dq = g.op("Cast", last, to=F32)
    scale = g.op("Div", g.const(1.0), g.op("Sqrt", dq))
    rt = g.op("Sqrt", scale)
    kt = g.op("Transpose", k, perm=[0, 1, 3, 2])
    s = g.op("MatMul", g.op("Mul", q, rt), g.op("Mul", kt, rt))
    return _finish(g, s, v), feeds, [("none", H, H)], \
        "torch SDPA export: Q and K^T each * d^-0.25 from a Shape chain"


def sdpa_fusedmatmul(seed):
    # ONNX Runtime's transformer optimizer output: the QK^T MatMul (and its
    # Transpose and scale) rewritten into com.microsoft.FusedMatMul.
    g = Graph("sdpa_fusedmatmul", 14, seed)
    q, k, v, feeds = _qkv(g)
    s = g.ms("FusedMatMul", q, k, transA=0, transB=1,
             alpha=float(1.0 / np.sqrt(D)))
    return _finish(g, s, v), feeds, [("none", H, H)], \
        "com.microsoft.FusedMatMul(transB=1, alpha=1/sqrt d)"


def sdpa_additive_bert(seed):
    # HF BERT get_extended_attention_mask: mask[:, None, None, :] cast to
    # float, (1.0 - m) * -10000.0, added to the scaled scores.
    g = Graph("sdpa_additive_bert", 13, seed)
    q, k, v, feeds = _qkv(g)
    am = g.input("attention_mask", I64, ["batch", "kv_len"])
    m = np.ones((B, LK), np.int64)
    m[1, LK - 3:] = 0
    feeds["attention_mask"] = m
    ext = g.unsqueeze(g.unsqueeze(am, [1]), [2])
    ext = g.op("Cast", ext, to=F32)
    ext = g.op("Mul", g.op("Sub", g.const(1.0), ext), g.const(-10000.0))
    s = g.op("Div", g.op("MatMul", q, _kt(g, k)), g.const(np.sqrt(D)))
    s = g.op("Add", s, ext)
    return _finish(g, s, v), feeds, [("additive", H, H)], \
        "key padding [B,1,1,L] from int64 mask via Cast/Sub/Mul(-10000)"


def sdpa_where_neginf(seed):
    # torch masked_fill(~mask, -inf) / SDPA bool attn_mask exported as
    # Where(mask, scores, -inf); mask is a bool graph input [B,1,Lq,Lk].
    g = Graph("sdpa_where_neginf", 17, seed)
    q, k, v, feeds = _qkv(g)
    mk = g.input("mask", BOOL, ["batch", 1, "q_len", "kv_len"])
    m = g.rng.random((B, 1, LQ, LK)) > 0.4
    m[..., 0] = True  # every query row keeps a key
    feeds["mask"] = m
    s = g.op("Div", g.op("MatMul", q, _kt(g, k)), g.const(np.sqrt(D)))
    s = g.op("Where", mk, s, g.const(-np.inf))
    return _finish(g, s, v), feeds, [("boolean", H, H)], \
        "Where(bool mask [B,1,Lq,Lk], scores, -inf)"


def sdpa_where_finfo(seed):
    # HF-style torch.where(mask, scores, finfo(float32).min) with a key
    # padding bool mask [B,1,1,Lk].
    g = Graph("sdpa_where_finfo", 14, seed)
    q, k, v, feeds = _qkv(g)
    mk = g.input("mask", BOOL, ["batch", 1, 1, "kv_len"])
    m = np.ones((B, 1, 1, LK), bool)
    m[0, ..., 5:] = False
    feeds["mask"] = m
    s = g.op("Mul", g.op("MatMul", q, _kt(g, k)), g.const(D ** -0.5))
    s = g.op("Where", mk, s, g.const(FINFO_MIN))
    return _finish(g, s, v), feeds, [("boolean", H, H)], \
        "Where(bool key-padding mask [B,1,1,Lk], scores, finfo.min)"


def sdpa_causal_trilu_where(seed):
    # torch.tril(torch.ones(L, L)) built at run time: ConstantOfShape(ones)
    # -> Trilu(upper=0) -> Cast(bool) -> Where(mask, scores, -inf).
    g = Graph("sdpa_causal_trilu_where", 14, seed)
    q, k, v, feeds = _qkv(g, lq=LK)
    n = g.dim(q, 2)
    shp = g.op("Concat", g.unsqueeze(n, [0]), g.unsqueeze(n, [0]), axis=0)
    ones = g.op("ConstantOfShape", shp,
                value=numpy_helper.from_array(
                    np.array([1.0], np.float32)))
    tri = g.op("Cast", g.op("Trilu", ones, upper=0), to=BOOL)
    s = g.op("Div", g.op("MatMul", q, _kt(g, k)), g.const(np.sqrt(D)))
    s = g.op("Where", tri, s, g.const(-np.inf))
    return _finish(g, s, v), feeds, [("causal", H, H)], \
        "causal from Trilu(ConstantOfShape ones) + Where(-inf), self-attn L=9"


def sdpa_causal_torch_sdpa(seed):
    # torch SDPA is_causal=True (symbolic_opset14 _causal_attention_mask):
    # ones -> Trilu -> Where(mask, 0, -inf) -> Add to the scores.
    g = Graph("sdpa_causal_torch_sdpa", 14, seed)
    q, k, v, feeds = _qkv(g, lq=LK)
    sq, sk = g.dim(q, 2), g.dim(k, 2)
    shp = g.op("Concat", g.unsqueeze(sq, [0]), g.unsqueeze(sk, [0]), axis=0)
    ones = g.op("Expand", g.const(1.0), shp)
    tri = g.op("Trilu", ones, upper=0)
    add = g.op("Where", g.op("Equal", tri, g.const(0.0)), g.const(-np.inf),
               g.const(0.0))
    rt = g.const(D ** -0.25)
    s = g.op("MatMul", g.op("Mul", q, rt),
             g.op("Mul", g.op("Transpose", k, perm=[0, 1, 3, 2]), rt))
    s = g.op("Add", s, add)
    return _finish(g, s, v), feeds, [("causal", H, H)], \
        "torch SDPA is_causal export: Trilu mask turned additive (0/-inf)"


def sdpa_causal_gpt2_slice(seed):
    # HF GPT-2 _attn: bias buffer tril(ones(Lmax, Lmax)) [1,1,Lmax,Lmax] bool,
    # bias[:, :, kl-ql:kl, :kl] by Slice with Shape-derived bounds, then
    # where(causal, scores / full([], d**0.5), finfo.min).
    g = Graph("sdpa_causal_gpt2_slice", 13, seed)
    q, k, v, feeds = _qkv(g, lq=LK)
    lmax = 16
    bias = g.init(np.tril(np.ones((lmax, lmax), bool))[None, None], "h.0.attn.bias")
    ql, kl = g.dim(q, 2), g.dim(k, 2)
    start = g.unsqueeze(g.op("Sub", kl, ql), [0])
    end = g.unsqueeze(kl, [0])
    rows = g.op("Slice", bias, start, end, g.const([2], np.int64),
                g.const([1], np.int64))
    causal = g.op("Slice", rows, g.const([0], np.int64), end,
                  g.const([3], np.int64), g.const([1], np.int64))
    s = g.op("Div", g.op("MatMul", q, _kt(g, k)), g.const(np.sqrt(D)))
    s = g.op("Where", causal, s, g.const(FINFO_MIN))
    return _finish(g, s, v), feeds, [("causal", H, H)], \
        "GPT-2 bias buffer [1,1,16,16] Sliced [kl-ql:kl, :kl] + Where(finfo.min)"


def sdpa_gqa_repeat_kv(seed):
    # HF Llama repeat_kv: k[:, :, None].expand(B, Hkv, n_rep, S, D).reshape(
    # B, Hkv*n_rep, S, D), then matmul/scale/additive mask/softmax/matmul.
    hq, hkv = 4, 2
    g = Graph("sdpa_gqa_repeat_kv", 17, seed)
    q, k, v, feeds = _qkv(g, hq=hq, hkv=hkv, lq=5, lk=11, d=8)
    mk = g.input("attention_bias", F32, ["batch", 1, "q_len", "kv_len"])
    m = np.zeros((B, 1, 5, 11), np.float32)
    m[1, ..., 8:] = FINFO_MIN
    feeds["attention_bias"] = m

    def repeat(x):
        b, s = g.dim(x, 0), g.dim(x, 2)
        e = g.op("Concat", g.unsqueeze(b, [0]), g.const([hkv, hq // hkv], np.int64),
                 g.unsqueeze(s, [0]), g.const([8], np.int64), axis=0)
        x5 = g.op("Expand", g.unsqueeze(x, [2]), e)
        return g.reshape_to(x5, [b, hq, s, 8])

    kr, vr = repeat(k), repeat(v)
    s = g.op("Mul", g.op("MatMul", q, g.op("Transpose", kr, perm=[0, 1, 3, 2])),
             g.const(8 ** -0.5))
    s = g.op("Add", s, mk)
    return _finish(g, s, vr), feeds, [("additive", hq, hkv)], \
        "GQA 4/2 via Unsqueeze+Expand+Reshape repeat_kv, additive float mask"


def mha_3d_torch(seed, masked):
    # torch nn.MultiheadAttention (need_weights=True path), TorchScript:
    # packed in-proj, q/k/v view(L, B*H, D).transpose(0, 1), q * 1/sqrt(d),
    # bmm with k.transpose(-2,-1) (baddbmm with the float mask: Mul(.,1.0) +
    # Add), softmax, bmm, transpose/view back, out-proj Gemm.
    e, h, L, b = 36, 3, 10, B
    d = e // h
    g = Graph("mha_3d_torch" + ("_mask" if masked else ""), 14, seed)
    x = g.input("x", F32, ["seq", "batch", e])
    feeds = {"x": g.rng.standard_normal((L, b, e)).astype(np.float32)}
    seq, bsz = g.dim(x, 0), g.dim(x, 1)
    bh = g.op("Mul", bsz, g.const(h, np.int64))
    qkv = g.linear(x, e, 3 * e)
    q, k, v = g.split(qkv, [e, e, e], 2)

    def heads(t):
        return g.op("Transpose", g.reshape_to(t, [seq, bh, d]), perm=[1, 0, 2])

    q, k, v = heads(q), heads(k), heads(v)
    q = g.op("Mul", q, g.const(float(np.sqrt(1.0 / d))))
    s = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 2, 1]))
    sites = [("none", h, h)]
    if masked:
        mk = g.input("attn_mask", F32, ["seq", "seq"])
        m = np.triu(np.full((L, L), -np.inf, np.float32), 1)
        m[3, 1] = -np.inf  # not purely causal: an arbitrary float mask
        feeds["attn_mask"] = m
        s = g.op("Add", g.op("Mul", s, g.const(1.0)),
                 g.op("Mul", mk, g.const(1.0)))
        sites = [("additive", h, h)]
    p = g.op("Softmax", s, axis=-1)
    o = g.op("MatMul", p, v)
    o = g.reshape_to(g.op("Transpose", o, perm=[1, 0, 2]),
                     [g.op("Mul", seq, bsz), e])
    o = g.op("Gemm", o, g.weight(e, e), g.init(np.zeros(e, np.float32)),
             transB=1)
    g.output(g.reshape_to(o, [seq, bsz, e]), "output")
    return g.model(), feeds, sites, \
        "3-D [B*H,S,D] layout (nn.MultiheadAttention), seq-first input" + \
        (", float attn_mask via baddbmm Mul(1.0)+Add" if masked else "")


FIXTURES = [
    ("sdpa_div", sdpa_div),
    ("sdpa_mul_scores", sdpa_mul_scores),
    ("sdpa_qscale_mul1", sdpa_qscale_mul1),
    ("sdpa_qk_quarter", sdpa_qk_quarter),
    ("sdpa_fusedmatmul", sdpa_fusedmatmul),
    ("sdpa_additive_bert", sdpa_additive_bert),
    ("sdpa_where_neginf", sdpa_where_neginf),
    ("sdpa_where_finfo", sdpa_where_finfo),
    ("sdpa_causal_trilu_where", sdpa_causal_trilu_where),
    ("sdpa_causal_torch_sdpa", sdpa_causal_torch_sdpa),
    ("sdpa_causal_gpt2_slice", sdpa_causal_gpt2_slice),
    ("sdpa_gqa_repeat_kv", sdpa_gqa_repeat_kv),
    ("mha_3d_torch", lambda s: mha_3d_torch(s, False)),
    ("mha_3d_torch_mask", lambda s: mha_3d_torch(s, True)),
]
