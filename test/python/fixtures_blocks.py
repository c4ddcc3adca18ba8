"""fixtures_blocks.py: whole transformer layers as TorchScript exports them.

BERT/MiniLM encoder layer, GPT-2 block, GPT-2 decoder step with past
key/values, timm ViT block; each at opsets 13, 14 and 17 (LayerNormalization
only exists from 17, so 13/14 carry torch's decomposed layer_norm; Unsqueeze/
Squeeze/Split take axes/split as inputs from 13). Reshape targets are built
from Shape->Gather->Unsqueeze->Concat chains, so the importer has to fold
symbolic dims once the input shapes are fixed.
"""

import numpy as np

from fixture_builder import F32, FINFO_MIN, I64, Graph

B = 2


def bert_layer(opset, seed, fused_ln=None):
    # HF BertLayer (MiniLM dims scaled down): self-attention with Q/K/V
    # nn.Linear, transpose_for_scores, key.transpose(-1,-2) as a second
    # Transpose, /sqrt(d), extended additive mask, softmax, context merge,
    # dense + residual + LayerNorm, intermediate Gelu(erf), output + LN.
    e, h, s, ff = 40, 4, 11, 92
    d = e // h
    g = Graph(f"bert_layer_op{opset}", opset, seed).scope("/encoder/layer.0")
    x = g.input("hidden_states", F32, ["batch", "sequence", e])
    am = g.input("attention_mask", I64, ["batch", "sequence"])
    mask = np.ones((B, s), np.int64)
    mask[1, 8:] = 0
    feeds = {"hidden_states": g.rng.standard_normal((B, s, e))
             .astype(np.float32), "attention_mask": mask}

    ext = g.op("Cast", g.unsqueeze(g.unsqueeze(am, [1]), [2]), to=F32)
    ext = g.op("Mul", g.op("Sub", g.const(1.0), ext), g.const(FINFO_MIN))

    q = g.split_heads(g.linear(x, e, e), h, d)
    k = g.split_heads(g.linear(x, e, e), h, d)
    v = g.split_heads(g.linear(x, e, e), h, d)
    kt = g.op("Transpose", k, perm=[0, 1, 3, 2])
    sc = g.op("Div", g.op("MatMul", q, kt), g.const(np.sqrt(d)))
    sc = g.op("Add", sc, ext)
    ctx = g.op("MatMul", g.op("Softmax", sc, axis=-1), v)
    ctx = g.merge_heads(ctx, e)
    a = g.layer_norm(g.op("Add", g.linear(ctx, e, e), x), e, 1e-12, fused_ln)
    m = g.gelu_erf(g.linear(a, e, ff))
    y = g.layer_norm(g.op("Add", g.linear(m, ff, e), a), e, 1e-12, fused_ln)
    g.output(y, "last_hidden_state")
    ln = "LayerNormalization" if (fused_ln if fused_ln is not None
                                  else opset >= 17) else "decomposed LN"
    return g.model(), feeds, [("additive", h, h)], \
        f"HF BERT layer, E=40 H=4 S=11, finfo.min key padding, {ln}"


def _gpt2_attn_core(g, q, k, v, d, lmax):
    # HF GPT2Attention._attn: scores / full([], d**0.5), causal slice of the
    # bias buffer, where(causal, scores, finfo.min), softmax, @ v.
    bias = g.init(np.tril(np.ones((lmax, lmax), bool))[None, None])
    sc = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
    sc = g.op("Div", sc, g.const(np.sqrt(d)))
    ql, kl = g.dim(q, 2), g.dim(k, 2)
    start = g.unsqueeze(g.op("Sub", kl, ql), [0])
    end = g.unsqueeze(kl, [0])
    rows = g.op("Slice", bias, start, end, g.const([2], np.int64),
                g.const([1], np.int64))
    causal = g.op("Slice", rows, g.const([0], np.int64), end,
                  g.const([3], np.int64), g.const([1], np.int64))
    sc = g.op("Where", causal, sc, g.const(FINFO_MIN))
    return g.op("MatMul", g.op("Softmax", sc, axis=-1), v)


def _gpt2_proj(g, x, n_in, n_out, gemm):
    return g.conv1d_gemm(x, n_in, n_out) if gemm else g.linear(x, n_in, n_out)


def gpt2_block(opset, seed, gemm=True, past=False):
    # HF GPT2Block: ln_1, c_attn (Conv1D = Gemm on a 2-D view, or nn.Linear
    # in nanoGPT-style code), split(E, dim=2), _split_heads, [past concat],
    # _attn, _merge_heads, c_proj, residual, ln_2, mlp (NewGELU tanh).
    e, h, lmax = 48, 4, 32
    d = e // h
    s = 3 if past else 13
    p = 6
    name = f"gpt2_{'decoder_past' if past else 'block'}_op{opset}"
    g = Graph(name, opset, seed).scope("/h.0")
    x = g.input("hidden_states", F32, ["batch", "sequence", e])
    feeds = {"hidden_states": g.rng.standard_normal((B, s, e))
             .astype(np.float32)}
    hx = g.layer_norm(x, e)
    qkv = _gpt2_proj(g, hx, e, 3 * e, gemm)
    q, k, v = [g.split_heads(t, h, d) for t in g.split(qkv, [e, e, e], 2)]
    if past:
        pk = g.input("past_key", F32, ["batch", h, "past_sequence", d])
        pv = g.input("past_value", F32, ["batch", h, "past_sequence", d])
        feeds["past_key"] = g.rng.standard_normal((B, h, p, d)).astype(
            np.float32)
        feeds["past_value"] = g.rng.standard_normal((B, h, p, d)).astype(
            np.float32)
        k = g.op("Concat", pk, k, axis=-2)
        v = g.op("Concat", pv, v, axis=-2)
    a = _gpt2_attn_core(g, q, k, v, d, lmax)
    a = _gpt2_proj(g, g.merge_heads(a, e), e, e, gemm)
    x = g.op("Add", a, x)
    m = g.gelu_tanh(_gpt2_proj(g, g.layer_norm(x, e), e, 4 * e, gemm))
    x = g.op("Add", _gpt2_proj(g, m, 4 * e, e, gemm), x)
    g.output(x, "output")
    if past:
        g.output(k, "present_key")
        g.output(v, "present_value")
    notes = (f"GPT-2 block E=48 H=4, {'Gemm' if gemm else 'MatMul'} "
             f"projections, bias-buffer causal Where(finfo.min)")
    if past:
        notes += f"; decode step S={s} with past P={p}: bottom-right causal"
    return g.model(), feeds, [("causal", h, h)], notes


def vit_block(opset, seed, fused_ln=None):
    # timm VisionTransformer Block: norm1 first, fused qkv Linear,
    # reshape(B, N, 3, H, D).permute(2, 0, 3, 1, 4).unbind(0) (Split +
    # Squeeze), q * scale, q @ k.transpose(-2, -1), softmax, @ v,
    # transpose(1, 2).reshape(B, N, C), proj, residual, norm2, Mlp(GELU erf).
    e, h, n = 48, 3, 13
    d = e // h
    g = Graph(f"vit_block_op{opset}", opset, seed).scope("/blocks.0")
    x = g.input("x", F32, ["batch", "tokens", e])
    feeds = {"x": g.rng.standard_normal((B, n, e)).astype(np.float32)}
    hx = g.layer_norm(x, e, 1e-6, fused_ln)
    qkv = g.linear(hx, e, 3 * e)
    b, t = g.dim(hx, 0), g.dim(hx, 1)
    qkv = g.reshape_to(qkv, [b, t, 3, h, d])
    qkv = g.op("Transpose", qkv, perm=[2, 0, 3, 1, 4])
    q, k, v = [g.squeeze(y, [0]) for y in g.split(qkv, [1, 1, 1], 0)]
    q = g.op("Mul", q, g.const(d ** -0.5))
    sc = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
    o = g.op("MatMul", g.op("Softmax", sc, axis=-1), v)
    o = g.reshape_to(g.op("Transpose", o, perm=[0, 2, 1, 3]), [b, t, e])
    x = g.op("Add", x, g.linear(o, e, e))
    m = g.linear(g.gelu_erf(g.linear(g.layer_norm(x, e, 1e-6, fused_ln), e,
                                         4 * e)),
                 4 * e, e)
    g.output(g.op("Add", x, m), "output")
    return g.model(), feeds, [("none", h, h)], \
        "timm ViT block E=48 H=3 N=13, unbind via Split+Squeeze, q*scale"


FIXTURES = []
for _op in (13, 14, 17):
    FIXTURES += [
        (f"bert_layer_op{_op}", lambda s, o=_op: bert_layer(o, s)),
        (f"gpt2_block_op{_op}",
         lambda s, o=_op: gpt2_block(o, s, gemm=(o != 17))),
        (f"gpt2_decoder_past_op{_op}",
         lambda s, o=_op: gpt2_block(o, s, gemm=(o != 17), past=True)),
        (f"vit_block_op{_op}", lambda s, o=_op: vit_block(o, s)),
    ]
FIXTURES += [
    # Decomposed LayerNorm at opset 17 (older exports re-saved at 17), and
    # opset 18 where ReduceMean takes axes as an input.
    ("bert_layer_op17_decomposed_ln",
     lambda s: bert_layer(17, s, fused_ln=False)),
    ("vit_block_op18_decomposed_ln",
     lambda s: vit_block(18, s, fused_ln=False)),
    ("bert_layer_op12", lambda s: bert_layer(12, s)),
]
