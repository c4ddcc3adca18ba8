"""make_gpt2_lm.py: a GPT-2-style decoder LM of any context length, for evaluation runs.

The committed fixtures are tiny (32 positions); evaluating rewrites at a few
thousand tokens needs a model with a long position table. This writes one with
random weights, exactly the node patterns of HF GPT-2 (LayerNorm, fused QKV
projection + Split, head split/merge reshapes, Div by sqrt(d), a causal mask
from Trilu + Where(finfo.min), tanh-Gelu MLP, tied LM head):

  make_gpt2_lm.py OUT.onnx [--layers 2 --hidden 64 --heads 4 --positions 4096 --vocab 97]
"""
import argparse
import os
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_builder import F32, FINFO_MIN, I64, Graph  # noqa: E402


def build(layers, e, h, positions, vocab, seed=0):
    d = e // h
    g = Graph("gpt2_lm", 17, seed)
    ids = g.input("input_ids", I64, ["batch", "sequence"])
    wte = g.init(g.rng.standard_normal((vocab, e)).astype(np.float32) * 0.1, "wte")
    wpe = g.init(g.rng.standard_normal((positions, e)).astype(np.float32) * 0.1, "wpe")
    seq = g.dim(ids, 1)
    pos = g.op("Range", g.const(0, np.int64), seq, g.const(1, np.int64))
    x = g.op("Add", g.op("Gather", wte, ids), g.op("Gather", wpe, pos))
    # Causal mask: Trilu(ones[seq, seq]) as bool, computed from the shape.
    seq1 = g.unsqueeze(seq, [0])
    ss = g.op("Concat", seq1, seq1, axis=0)
    ones = g.op("ConstantOfShape", ss, value=onnx.numpy_helper.from_array(np.array([1], np.int64)))
    causal = g.op("Cast", g.op("Trilu", ones, upper=0), to=onnx.TensorProto.BOOL)
    for layer in range(layers):
        g.scope(f"/h.{layer}")
        hx = g.layer_norm(x, e)
        qkv = g.linear(hx, e, 3 * e)
        q, k, v = [g.split_heads(t, h, d) for t in g.split(qkv, [e, e, e], 2)]
        sc = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
        sc = g.op("Div", sc, g.const(np.sqrt(d)))
        sc = g.op("Where", causal, sc, g.const(FINFO_MIN))
        a = g.op("MatMul", g.op("Softmax", sc, axis=-1), v)
        x = g.op("Add", g.linear(g.merge_heads(a, e), e, e), x)
        m = g.gelu_tanh(g.linear(g.layer_norm(x, e), e, 4 * e))
        x = g.op("Add", g.linear(m, 4 * e, e), x)
    g.scope("")
    logits = g.op("MatMul", g.layer_norm(x, e), g.op("Transpose", wte, perm=[1, 0]))
    g.output(logits, "logits")
    return g.model()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--positions", type=int, default=4096)
    ap.add_argument("--vocab", type=int, default=97)
    a = ap.parse_args()
    m = build(a.layers, a.hidden, a.heads, a.positions, a.vocab)
    onnx.checker.check_model(m)
    onnx.save(m, a.out)
    print(f"wrote {a.out}: {a.layers} layers, hidden {a.hidden}, {a.heads} heads, "
          f"{a.positions} positions")


if __name__ == "__main__":
    main()
