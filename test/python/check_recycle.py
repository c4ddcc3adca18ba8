"""check_recycle.py: attune's Recycled Attention against the numpy reference.

Modes:
  op      a one-node ONNX Attention-23 decode step with a KV cache, rewritten
          with attn-recycle and run step by step with `attune run` (this
          script carries the KV cache and the recycled state); every step's
          output and new state are compared with ref_recycle.py.
  decode  the same model through `attune decode` (the driver carries the
          state); its per-step inputs and outputs are replayed through
          ref_recycle.py.
  dense   `attune decode` of a decoder-with-past model with and without a
          rewrite: the per-step outputs must agree to --tol (the identity
          check: stride 1 equals dense decode).

Usage:
  check_recycle.py --attune BIN op --hq 4 --hkv 2 --prompt 20 --steps 8 \\
      --rewrite 'attn-recycle{stride=3 topk=4}' --topk 4 --stride 3
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_harness import load_outputs, save_inputs  # noqa: E402
from ref_recycle import RecycledAttention, attention  # noqa: E402

F32 = TensorProto.FLOAT


def attention_step_model(path, hq, hkv, d, elem=F32, softcap=0.0):
    """Attention-23 with past/present, 4-D, is_causal (bottom-right), and
    the given softcap (0: none)."""
    def inp(name, heads, seq):
        return helper.make_tensor_value_info(name, elem,
                                             ["batch", heads, seq, d])
    node = helper.make_node("Attention", ["Q", "K", "V", "", "past_key",
                                          "past_value"],
                            ["Y", "present_key", "present_value"],
                            name="attn", is_causal=1,
                            **({"softcap": softcap} if softcap > 0 else {}))
    graph = helper.make_graph(
        [node], "recycle_step",
        [inp("Q", hq, "q_len"), inp("K", hkv, "q_len"), inp("V", hkv, "q_len"),
         inp("past_key", hkv, "past_len"), inp("past_value", hkv, "past_len")],
        [inp("Y", hq, "q_len"), inp("present_key", hkv, "total_len"),
         inp("present_value", hkv, "total_len")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    model.ir_version = 10
    onnx.save(model, path)


def gpt2_decoder_model(path, layers=2, e=32, h=4, vocab=61, lmax=64, seed=0):
    """A tiny GPT-2 decoder with past, shaped like HF/optimum exports:
    input_ids, position_ids, past_key_values.<l>.key/value -> logits,
    present.<l>.key/value (opset 17, MatMul projections, bias-buffer causal
    Where)."""
    from fixture_builder import I64, Graph
    from fixtures_blocks import _gpt2_attn_core, _gpt2_proj
    d = e // h
    g = Graph("tiny_gpt2_decoder_past", 17, seed)
    ids = g.input("input_ids", I64, ["batch", "sequence"])
    pos = g.input("position_ids", I64, ["batch", "sequence"])
    x = g.op("Add", g.op("Gather", g.weight(vocab, e, scale=0.5), ids),
             g.op("Gather", g.weight(lmax, e, scale=0.5), pos))
    presents = []
    for li in range(layers):
        g.scope(f"/h.{li}")
        hx = g.layer_norm(x, e)
        qkv = _gpt2_proj(g, hx, e, 3 * e, False)
        q, k, v = [g.split_heads(t, h, d) for t in g.split(qkv, [e, e, e], 2)]
        pk = g.input(f"past_key_values.{li}.key", F32,
                     ["batch", h, "past_sequence", d])
        pv = g.input(f"past_key_values.{li}.value", F32,
                     ["batch", h, "past_sequence", d])
        k = g.op("Concat", pk, k, axis=-2)
        v = g.op("Concat", pv, v, axis=-2)
        a = _gpt2_attn_core(g, q, k, v, d, lmax)
        x = g.op("Add", _gpt2_proj(g, g.merge_heads(a, e), e, e, False), x)
        m = g.gelu_tanh(_gpt2_proj(g, g.layer_norm(x, e), e, 4 * e, False))
        x = g.op("Add", _gpt2_proj(g, m, 4 * e, e, False), x)
        presents.append((k, v))
    g.scope("")
    logits = g.op("MatMul", g.layer_norm(x, e), g.weight(e, vocab))
    g.output(logits, "logits")
    for li, (k, v) in enumerate(presents):
        g.output(k, f"present.{li}.key")
        g.output(v, f"present.{li}.value")
    onnx.save(g.model(), path)


STATE = ["kept_indices", "full_len", "step", "ref_query"]


def run_attune(args, model, inputs, work):
    ind, outd = os.path.join(work, "in"), os.path.join(work, "out")
    for dd in (ind, outd):
        os.makedirs(dd, exist_ok=True)
        for f in os.listdir(dd):
            os.remove(os.path.join(dd, f))
    save_inputs(ind, inputs)
    cmd = [args.attune, "run", model, "--rewrite", args.rewrite, "--inputs",
           ind, "--output-dir", outd]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"attune failed ({' '.join(cmd)}):\n{r.stdout}{r.stderr}")
    return load_outputs(outd)


def make_ref(args, d):
    dense = [int(h) for h in args.dense_heads.split(",") if h]
    return RecycledAttention(args.batch, args.hkv, d, args.topk, args.schedule,
                             args.stride, args.check_every, args.threshold,
                             args.pool, dense, args.softcap)


def step_inputs(rng, args, d, n, topic):
    """Random Q/K/V for n new tokens; the queries share a `topic` direction
    (changed every --topic-every steps) so that the similarity schedule sees
    both high and low cosines."""
    dt = np.float16 if args.f16 else np.float32
    q = (0.5 * rng.standard_normal((args.batch, args.hq, n, d)) +
         2.0 * topic).astype(dt)
    k = rng.standard_normal((args.batch, args.hkv, n, d)).astype(dt)
    v = rng.standard_normal((args.batch, args.hkv, n, d)).astype(dt)
    return q, k, v


def check_op(args):
    d = args.dim
    work = args.work or tempfile.mkdtemp(prefix="check_recycle_")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "step.onnx")
    # --f16: a 16-bit model (attune runs it in f32 and rounds; the numpy
    # reference computes on the same 16-bit values in float64).
    dt = np.float16 if args.f16 else np.float32
    attention_step_model(model, args.hq, args.hkv, d,
                         TensorProto.FLOAT16 if args.f16 else F32,
                         args.softcap)
    rng = np.random.default_rng(args.seed)
    ref = make_ref(args, d)
    scale = 1.0 / np.sqrt(d)
    pk = np.zeros((args.batch, args.hkv, 0, d), dt)
    pv = pk.copy()
    state = {f"recycle.{s}.site0": v for s, v in zip(STATE, (
        np.zeros((args.batch, args.hkv, args.topk), np.int64),
        np.zeros(args.batch, np.int64), np.zeros(args.batch, np.int64),
        np.zeros((args.batch, d), dt)))}
    worst, partial_diff, fulls = 0.0, 0.0, []
    topics = rng.standard_normal((args.steps // args.topic_every + 1, 1, 1, 1,
                                  d))
    for t in range(args.steps + 1):
        n = args.prompt if t == 0 else 1
        q, k, v = step_inputs(rng, args, d, n, topics[t // args.topic_every])
        feeds = {"Q": q, "K": k, "V": v, "past_key": pk, "past_value": pv}
        feeds.update(state)
        outs = run_attune(args, model, feeds, work)
        kc = np.concatenate([pk, k], 2)
        vc = np.concatenate([pv, v], 2)
        want = ref.step(q.astype(np.float64), kc.astype(np.float64),
                        vc.astype(np.float64), scale)
        dense, _ = attention(q.astype(np.float64), kc.astype(np.float64),
                             vc.astype(np.float64), scale,
                             softcap=args.softcap)
        err = float(np.abs(outs["Y"] - want).max())
        worst = max(worst, err)
        partial_diff = max(partial_diff, float(np.abs(want - dense).max()))
        fulls.append(bool(ref.last_full[0]))
        got_kept = outs["recycle.kept_indices.site0"]
        if not np.array_equal(got_kept, ref.kept):
            sys.exit(f"step {t}: kept indices differ:\n{got_kept}\nvs numpy\n"
                     f"{ref.kept}")
        for s, want_s in (("full_len", ref.full_len), ("step", ref.steps)):
            if not np.array_equal(outs[f"recycle.{s}.site0"], want_s):
                sys.exit(f"step {t}: {s} {outs[f'recycle.{s}.site0']} vs "
                         f"numpy {want_s}")
        print(f"step {t}: Lk={kc.shape[2]} full={fulls[-1]} "
              f"max_abs_err={err:.3e} (vs dense {np.abs(want - dense).max():.3e})")
        if err > args.tol:
            sys.exit(f"step {t}: max abs error {err} > {args.tol}")
        pk, pv = outs["present_key"], outs["present_value"]
        state = {name: outs[name] for name in state}
        if args.shuffle_kept:
            # The same kept set in another order (the op's input need not
            # be sorted): every (b, g) row permuted, the reference's too,
            # since a partial step passes the indices through as given.
            ki = state["recycle.kept_indices.site0"]
            for bi in range(ki.shape[0]):
                for g in range(ki.shape[1]):
                    perm = rng.permutation(ki.shape[2])
                    ki[bi, g] = ki[bi, g][perm]
                    ref.kept[bi, g] = ref.kept[bi, g][perm]
        if t == 0 and args.skew:
            # The last batch element's schedule runs `skew` steps ahead, so
            # that later steps mix full and partial batch elements.
            state["recycle.step.site0"][-1] += args.skew
            ref.steps[-1] += args.skew
    print(f"OK: {args.steps + 1} steps, max abs error {worst:.3e}, full steps "
          f"at {[i for i, f in enumerate(fulls) if f]}, recycled vs dense "
          f"max diff {partial_diff:.3e}")
    if args.expect_full is not None:
        want_full = [int(x) for x in args.expect_full.split(",")]
        if [i for i, f in enumerate(fulls) if f] != want_full:
            sys.exit(f"full steps {fulls} != expected {want_full}")
    if args.expect_sparse and partial_diff < 1e-3:
        sys.exit("recycled attention equals dense: the partial steps dropped "
                 "nothing, the test would not see a wrong mask")
    if args.expect_dense and partial_diff > args.tol:
        sys.exit(f"expected dense attention, max diff {partial_diff}")


def attune_decode(args, model, out, rewrite, extra=()):
    cmd = [args.attune, "decode", model, "--prompt-len", str(args.prompt),
           "--steps", str(args.steps), "--seed", str(args.seed),
           "--output-dir", out] + list(extra)
    if rewrite:
        cmd += ["--rewrite", rewrite]
    r = subprocess.run(cmd, capture_output=True, text=True)
    print(r.stdout, end="")
    if r.returncode != 0:
        sys.exit(f"attune decode failed ({' '.join(cmd)}):\n{r.stderr}")
    return r.stdout


def ort_top_tokens(model, tokens, prompt, steps, layers):
    """onnxruntime's greedy token after each step of the dense decoder fed
    `tokens` (teacher forcing with its own KV cache): [steps + 1, B]."""
    import onnxruntime as ort
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    names = {i.name: i for i in sess.get_inputs()}
    b = tokens.shape[0]
    past = {}
    for li in range(layers):
        shape = names[f"past_key_values.{li}.key"].shape
        for kind in ("key", "value"):
            past[f"past_key_values.{li}.{kind}"] = np.zeros(
                (b, shape[1], 0, shape[3]), np.float32)
    tops, pos = [], 0
    for t in range(steps + 1):
        n = prompt if t == 0 else 1
        feed = dict(past)
        feed["input_ids"] = tokens[:, pos:pos + n]
        feed["position_ids"] = np.tile(np.arange(pos, pos + n), (b, 1))
        outs = dict(zip([o.name for o in sess.get_outputs()],
                        sess.run(None, feed)))
        tops.append(outs["logits"][:, -1].argmax(-1))
        for li in range(layers):
            for kind in ("key", "value"):
                past[f"past_key_values.{li}.{kind}"] = \
                    outs[f"present.{li}.{kind}"]
        pos += n
    return np.stack(tops)


def load_step(out, t, kind):
    return load_outputs(os.path.join(out, f"step{t}", kind))


def check_decode(args):
    """The driver's per-step inputs/outputs replayed through the numpy
    reference (the driver carried the cache and the state)."""
    d = args.dim
    work = args.work or tempfile.mkdtemp(prefix="check_recycle_")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "step.onnx")
    attention_step_model(model, args.hq, args.hkv, d)
    out = os.path.join(work, "decode")
    attune_decode(args, model, out, args.rewrite)
    ref = make_ref(args, d)
    scale = 1.0 / np.sqrt(d)
    kc = np.zeros((args.batch, args.hkv, 0, d), np.float32)
    vc = kc.copy()
    worst, fulls = 0.0, []
    for t in range(args.steps + 1):
        ins, outs = load_step(out, t, "inputs"), load_step(out, t, "outputs")
        kc = np.concatenate([kc, ins["K"]], 2)
        vc = np.concatenate([vc, ins["V"]], 2)
        want = ref.step(ins["Q"], kc, vc, scale)
        err = float(np.abs(outs["Y"] - want).max())
        worst = max(worst, err)
        fulls.append(bool(ref.last_full[0]))
        if err > args.tol or not np.array_equal(
                outs["recycle.kept_indices.site0"], ref.kept):
            sys.exit(f"FAILED: step {t}: max abs error {err}, kept "
                     f"{outs['recycle.kept_indices.site0']} vs numpy "
                     f"{ref.kept}")
    print(f"decode OK: {args.steps + 1} steps, max abs error {worst:.3e}, "
          f"full steps at {[i for i, f in enumerate(fulls) if f]}")
    if args.expect_full is not None:
        want_full = [int(x) for x in args.expect_full.split(",")]
        if [i for i, f in enumerate(fulls) if f] != want_full:
            sys.exit(f"FAILED: full steps {fulls} != expected {want_full}")


def check_dense(args):
    """`attune decode` with the rewrite against `attune decode` without it
    on a tiny GPT-2 decoder: greedy tokens and logits must agree to --tol
    (stride 1), or differ (--expect-sparse)."""
    work = args.work or tempfile.mkdtemp(prefix="check_recycle_")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "decoder.onnx")
    gpt2_decoder_model(model, layers=args.layers, seed=args.seed)
    dense_out, rec_out = os.path.join(work, "dense"), os.path.join(work, "rec")
    attune_decode(args, model, dense_out, "", ["--check"])
    report = attune_decode(args, model, rec_out, args.rewrite, ["--check"])
    # The rewritten run's --check summary: how often its greedy token is
    # the dense model's on the same tokens, recounted here with onnxruntime.
    tokens = np.load(os.path.join(rec_out, "tokens.npy"))
    ref_top = ort_top_tokens(model, tokens, args.prompt, args.steps,
                             args.layers)
    agree = sum(int(np.sum(
        load_step(rec_out, t, "outputs")["logits"][:, -1].argmax(-1) ==
        ref_top[t])) for t in range(args.steps + 1))
    want = (f"top token agrees with onnxruntime's (the dense model on the "
            f"same tokens) at {agree} of {ref_top.size} position(s)")
    if want not in report:
        sys.exit(f"FAILED: expected '{want}' in the --check report")
    print(f"top-token agreement recounted with onnxruntime: {agree} of "
          f"{ref_top.size}")
    worst = 0.0
    for t in range(args.steps + 1):
        a = load_step(dense_out, t, "outputs")["logits"]
        b = load_step(rec_out, t, "outputs")["logits"]
        worst = max(worst, float(np.abs(a - b).max()))
    same_tokens = np.array_equal(np.load(os.path.join(dense_out, "tokens.npy")),
                                 np.load(os.path.join(rec_out, "tokens.npy")))
    print(f"dense vs rewritten decode: max abs logits difference {worst:.3e}, "
          f"same greedy tokens: {same_tokens}")
    if args.expect_sparse:
        if worst < 1e-3:
            sys.exit("FAILED: the rewrite changed nothing")
    elif worst > args.tol or not same_tokens:
        sys.exit(f"FAILED: rewritten decode differs from dense ({worst})")
    print("dense OK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attune", required=True)
    ap.add_argument("mode", choices=["op", "decode", "dense"])
    ap.add_argument("--work", default=None)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--rewrite", default="attn-recycle")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--hq", type=int, default=4)
    ap.add_argument("--hkv", type=int, default=2)
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--prompt", type=int, default=20)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    # The reference's parameters (must match the rewrite's options).
    ap.add_argument("--topk", type=int, default=4)
    ap.add_argument("--schedule", default="fixed")
    ap.add_argument("--stride", type=int, default=10)
    ap.add_argument("--check-every", type=int, default=5)
    ap.add_argument("--threshold", type=float, default=0.85)
    ap.add_argument("--pool", type=int, default=5)
    ap.add_argument("--dense-heads", default="")
    ap.add_argument("--topic-every", type=int, default=4)
    ap.add_argument("--skew", type=int, default=0,
                    help="op: after the first step, advance the last batch "
                    "element's step counter by this much (mixed batches)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--shuffle-kept", action="store_true",
                    help="op mode: feed each step's kept indices back in a "
                    "random order")
    ap.add_argument("--softcap", type=float, default=0.0,
                    help="op mode: the Attention node's softcap (0: none)")
    ap.add_argument("--f16", action="store_true",
                    help="op: a float16 model and inputs")
    ap.add_argument("--expect-full", default=None,
                    help="comma list of the steps that must be full")
    ap.add_argument("--expect-sparse", action="store_true")
    ap.add_argument("--expect-dense", action="store_true")
    args = ap.parse_args()
    {"op": check_op, "decode": check_decode, "dense": check_dense}[
        args.mode](args)


if __name__ == "__main__":
    main()
