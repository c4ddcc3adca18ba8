"""models.py: the ONNX models and inputs the benchmark suite runs.

Every attention form is written with onnx.helper at fixed shapes and cached
under bench/.cache (gitignored), keyed by its parameters, so repeated runs
reuse the files. The same logical q/k/v (standard normal, seeded) feed every
form of one shape: the fused contrib ops get them in the [B, S, H*D] layout
they require, the others in [B, H, S, D]. Whole-model inputs are generated
here too (token ids inside the embedding table they index), written as .npy
so that attune (`--inputs DIR`) and onnxruntime see the same arrays.
"""

import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "bench", ".cache")

F32 = TensorProto.FLOAT
I32 = TensorProto.INT32
BOOL = TensorProto.BOOL
# The fill that HF exporters use for masked scores (finfo(float32).min).
NEG = float(np.finfo(np.float32).min)


def _model(nodes, inputs, outputs, inits=(), opset=17, ms=False, name="g"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    imports = [helper.make_opsetid("", opset)]
    if ms:
        imports.append(helper.make_opsetid("com.microsoft", 1))
    # IR version 10 is what onnx 1.16+ writes for opset 21-23; onnxruntime
    # 1.2x accepts it (and older IR versions for the older opsets).
    ir = 10 if opset >= 21 else 8
    return helper.make_model(graph, opset_imports=imports, ir_version=ir)


def _vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def _scalar(name, value, dtype=np.float32):
    return numpy_helper.from_array(np.array(value, dtype), name)


def _tensor(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


# -- attention forms ---------------------------------------------------------

def decomposed(b, hq, hkv, lq, lk, d, causal):
    """softmax(Where(causal, q k^T * scale, NEG)) v on [B, H, S, D] inputs.

    The causal mask is built inside the graph from the score shape
    (Trilu of ones, as HF exporters do) rather than stored: an 8192^2 boolean
    initializer would be 64 MiB per file. With Hkv < Hq the key/value heads
    are repeated (HF `repeat_kv`: Unsqueeze, Expand, Reshape) before the
    products, which is how exporters write GQA without a fused op.
    """
    nodes, inits = [], [_scalar("scale", 1.0 / np.sqrt(d))]
    k, v = "k", "v"
    if hkv != hq:
        g = hq // hkv
        inits += [_tensor("axes2", np.array([2], np.int64)),
                  _tensor("rep_shape", np.array([b, hkv, g, lk, d], np.int64)),
                  _tensor("flat_shape", np.array([b, hq, lk, d], np.int64))]
        for t in ("k", "v"):
            nodes += [
                helper.make_node("Unsqueeze", [t, "axes2"], [t + "_u"]),
                helper.make_node("Expand", [t + "_u", "rep_shape"], [t + "_e"]),
                helper.make_node("Reshape", [t + "_e", "flat_shape"], [t + "_r"]),
            ]
        k, v = "k_r", "v_r"
    nodes += [
        helper.make_node("Transpose", [k], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["qk"]),
        helper.make_node("Mul", ["qk", "scale"], ["scores"]),
    ]
    probs_in = "scores"
    if causal:
        inits += [_tensor("ones_shape", np.array([lq, lk], np.int64)),
                  _scalar("neg", NEG)]
        nodes += [
            helper.make_node("ConstantOfShape", ["ones_shape"], ["ones"],
                             value=_tensor("one", np.array([1], np.int64))),
            helper.make_node("Trilu", ["ones"], ["tril"], upper=0),
            helper.make_node("Cast", ["tril"], ["keep"], to=BOOL),
            helper.make_node("Where", ["keep", "scores", "neg"], ["masked"]),
        ]
        probs_in = "masked"
    nodes += [
        helper.make_node("Softmax", [probs_in], ["probs"], axis=-1),
        helper.make_node("MatMul", ["probs", v], ["out"]),
    ]
    ins = [_vi("q", F32, [b, hq, lq, d]), _vi("k", F32, [b, hkv, lk, d]),
           _vi("v", F32, [b, hkv, lk, d])]
    return _model(nodes, ins, [_vi("out", F32, [b, hq, lq, d])], inits,
                  name="decomposed_sdpa")


def attention23(b, hq, hkv, l, d, causal):
    """The standard ONNX Attention (opset 23) on 4-D [B, H, S, D] inputs."""
    node = helper.make_node("Attention", ["q", "k", "v"], ["out"],
                            is_causal=int(causal))
    ins = [_vi("q", F32, [b, hq, l, d]), _vi("k", F32, [b, hkv, l, d]),
           _vi("v", F32, [b, hkv, l, d])]
    return _model([node], ins, [_vi("out", F32, [b, hq, l, d])], opset=23,
                  name="attention23")


def mha_contrib(b, h, l, d, causal):
    """com.microsoft.MultiHeadAttention: query/key/value [B, S, H*D];
    causality through its `unidirectional` attribute."""
    node = helper.make_node("MultiHeadAttention", ["query", "key", "value"],
                            ["out"], domain="com.microsoft", num_heads=h,
                            unidirectional=int(causal))
    ins = [_vi(n, F32, [b, l, h * d]) for n in ("query", "key", "value")]
    return _model([node], ins, [_vi("out", F32, [b, l, h * d])], ms=True,
                  name="mha_contrib")


def gqa_contrib(b, hq, hkv, l, d):
    """com.microsoft.GroupQueryAttention, a prompt step without a past
    (always causal: the op is decoder attention). seqlens_k holds the total
    length minus one per batch element, total_sequence_length the length."""
    node = helper.make_node(
        "GroupQueryAttention",
        ["query", "key", "value", "", "", "seqlens_k", "total_sequence_length"],
        ["out", "present_key", "present_value"], domain="com.microsoft",
        num_heads=hq, kv_num_heads=hkv)
    ins = [_vi("query", F32, [b, l, hq * d]), _vi("key", F32, [b, l, hkv * d]),
           _vi("value", F32, [b, l, hkv * d]), _vi("seqlens_k", I32, [b]),
           _vi("total_sequence_length", I32, [])]
    outs = [_vi("out", F32, [b, l, hq * d]),
            _vi("present_key", F32, None), _vi("present_value", F32, None)]
    return _model([node], ins, outs, ms=True, name="gqa_contrib")


def decode_step(h, l, d, concat, f16=False):
    """One decode step: q [1, H, 1, D] against a cache of L keys/values.

    concat=False: the cache [1, H, L, D] is a graph input (the pure attention
    step). concat=True: the graph of a decoder exported with past_key_values,
    K = Concat(past_key [1, H, L-1, D], k [1, H, 1, D]) (and V alike), the
    form attn-recycle rewrites. No mask: one query at the end sees every key.
    f16: every tensor float16 (a 16-bit KV cache).
    """
    et = TensorProto.FLOAT16 if f16 else F32
    nodes = []
    inits = [_scalar("scale", 1.0 / np.sqrt(d),
                     np.float16 if f16 else np.float32)]
    ins = [_vi("q", et, [1, h, 1, d])]
    if concat:
        ins += [_vi("k", et, [1, h, 1, d]), _vi("v", et, [1, h, 1, d]),
                _vi("past_key", et, [1, h, l - 1, d]),
                _vi("past_value", et, [1, h, l - 1, d])]
        nodes += [
            helper.make_node("Concat", ["past_key", "k"], ["kc"], axis=2),
            helper.make_node("Concat", ["past_value", "v"], ["vc"], axis=2)]
        k, v = "kc", "vc"
    else:
        ins += [_vi("k_cache", et, [1, h, l, d]),
                _vi("v_cache", et, [1, h, l, d])]
        k, v = "k_cache", "v_cache"
    nodes += [
        helper.make_node("Transpose", [k], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["qk"]),
        helper.make_node("Mul", ["qk", "scale"], ["scores"]),
        helper.make_node("Softmax", ["scores"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["probs", v], ["out"]),
    ]
    return _model(nodes, ins, [_vi("out", et, [1, h, 1, d])], inits,
                  name="decode_step")


BUILDERS = {
    "decomposed": decomposed,
    "attention23": attention23,
    "mha": mha_contrib,
    "gqa": gqa_contrib,
    "decode": decode_step,
}


def get(kind, **params):
    """Path of the cached model `kind` with `params` (written on first use)."""
    tag = "_".join(f"{k}{int(v) if isinstance(v, bool) else v}"
                   for k, v in sorted(params.items()))
    path = os.path.join(CACHE, "models", f"{kind}_{tag}.onnx")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + f".tmp{os.getpid()}"
        onnx.save(BUILDERS[kind](**params), tmp)
        os.replace(tmp, path)
    return path


def to_float16(src, dst):
    """`src` with every float32 tensor (inputs, outputs, value infos,
    initializers, Constant values, Cast targets) as float16: the model a
    user exports in half precision. Values beyond float16's range (the
    masks' finfo(float32).min fill) become -inf, which masks the same."""
    m = onnx.load(src)
    g = m.graph
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        t = vi.type.tensor_type
        if t.elem_type == F32:
            t.elem_type = TensorProto.FLOAT16

    def half(t):
        with np.errstate(over="ignore"):
            a = numpy_helper.to_array(t).astype(np.float16)
        return numpy_helper.from_array(a, t.name)

    for i, init in enumerate(g.initializer):
        if init.data_type == F32:
            g.initializer[i].CopyFrom(half(init))
    for n in g.node:
        for a in n.attribute:
            if n.op_type == "Cast" and a.name == "to" and a.i == F32:
                a.i = TensorProto.FLOAT16
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == F32:
                a.t.CopyFrom(half(a.t))
    tmp = dst + f".tmp{os.getpid()}.onnx"
    onnx.save(m, tmp)
    os.replace(tmp, dst)


def gpt2_lm_f16(layers, hidden, heads, positions, vocab=1024):
    """gpt2_lm in float16 (cached)."""
    src = gpt2_lm(layers, hidden, heads, positions, vocab)
    path = src[:-len(".onnx")] + "_f16.onnx"
    if not os.path.exists(path):
        to_float16(src, path)
    return path


def gpt2_lm(layers, hidden, heads, positions, vocab=1024):
    """A GPT-2-style LM from test/python/make_gpt2_lm.py (cached)."""
    path = os.path.join(CACHE, "models",
                        f"gpt2lm_l{layers}_e{hidden}_h{heads}_p{positions}_v{vocab}.onnx")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + f".tmp{os.getpid()}.onnx"
        subprocess.run([sys.executable,
                        os.path.join(ROOT, "test", "python", "make_gpt2_lm.py"),
                        tmp, "--layers", str(layers), "--hidden", str(hidden),
                        "--heads", str(heads), "--positions", str(positions),
                        "--vocab", str(vocab)], check=True,
                       stdout=subprocess.DEVNULL)
        os.replace(tmp, path)
    return path


# -- inputs ------------------------------------------------------------------

def qkv(b, hq, hkv, lq, lk, d, seed):
    """Standard normal q [B,Hq,Lq,D], k/v [B,Hkv,Lk,D] (float32)."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((b, hq, lq, d), dtype=np.float32)
    k = rng.standard_normal((b, hkv, lk, d), dtype=np.float32)
    v = rng.standard_normal((b, hkv, lk, d), dtype=np.float32)
    return q, k, v


def qkv_local(b, hq, hkv, l, d, seed):
    """q/k with position structure, v standard normal: q and k carry the
    same sinusoidal features of their position (q scaled by 4) plus noise,
    so q.k peaks near the diagonal as in trained models with rotary or
    learned positions. Random q/k give diffuse attention, where a dynamic
    selection (SALE's relative threshold in particular) keeps nearly every
    block; this is the input the sparse section uses for every form."""
    rng = np.random.default_rng(seed)
    freq = 0.05 * 2.0 ** (np.arange(d // 2) * 0.5)
    t = np.arange(l)[:, None] * freq[None]
    feats = np.concatenate([np.cos(t), np.sin(t)], 1)
    q = 4 * feats + 0.6 * rng.standard_normal((b, hq, l, d))
    k = feats + 0.6 * rng.standard_normal((b, hkv, l, d))
    v = rng.standard_normal((b, hkv, l, d))
    return q.astype(np.float32), k.astype(np.float32), v.astype(np.float32)


def to_bsh(x):
    """[B, H, S, D] -> [B, S, H*D] (the contrib ops' layout)."""
    b, h, s, d = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3).reshape(b, s, h * d))


def sanitize(name):
    """File stem of a tensor name, as attune and test/python/ort_run.py use."""
    return re.sub(rb"[^A-Za-z0-9_.\-]", b"_", name.encode("utf-8")).decode()


def write_inputs(feeds, directory):
    """Writes NAME.npy per input (for `attune bench --inputs DIR`)."""
    os.makedirs(directory, exist_ok=True)
    for f in os.listdir(directory):
        if f.endswith(".npy"):
            os.remove(os.path.join(directory, f))
    for name, arr in feeds.items():
        np.save(os.path.join(directory, sanitize(name) + ".npy"), arr)
    return directory


_NP = {TensorProto.FLOAT: np.float32, TensorProto.INT64: np.int64,
       TensorProto.INT32: np.int32, TensorProto.BOOL: np.bool_,
       TensorProto.DOUBLE: np.float64}


def _gather_bounds(model):
    """Graph input -> size of the initializer table a Gather indexes with it."""
    inits = {t.name: list(t.dims) for t in model.graph.initializer}
    bounds = {}
    for n in model.graph.node:
        if n.op_type == "Gather" and len(n.input) == 2 and n.input[0] in inits:
            axis = next((a.i for a in n.attribute if a.name == "axis"), 0)
            bounds[n.input[1]] = inits[n.input[0]][axis]
    return bounds


def model_inputs(path, dims, seed):
    """Seeded inputs for a whole model with symbolic dims fixed by `dims`:
    floats standard normal, integer inputs that index an embedding table
    inside it, `*mask*` inputs all ones (every token valid)."""
    model = onnx.load(path, load_external_data=False)
    init_names = {t.name for t in model.graph.initializer}
    bounds = _gather_bounds(model)
    rng = np.random.default_rng(seed)
    feeds = {}
    for vi in model.graph.input:
        if vi.name in init_names:
            continue
        tt = vi.type.tensor_type
        shape = []
        for dim in tt.shape.dim:
            if dim.HasField("dim_value"):
                shape.append(dim.dim_value)
            elif dim.dim_param in dims:
                shape.append(int(dims[dim.dim_param]))
            else:
                raise ValueError(f"{path}: input '{vi.name}': give --dim "
                                 f"{dim.dim_param}=N")
        dtype = _NP[tt.elem_type]
        if "mask" in vi.name.lower():
            feeds[vi.name] = np.ones(shape, dtype)
        elif np.issubdtype(dtype, np.integer):
            feeds[vi.name] = rng.integers(0, bounds.get(vi.name, 2), shape,
                                          dtype=dtype)
        elif dtype == np.bool_:
            feeds[vi.name] = np.ones(shape, dtype)
        else:
            feeds[vi.name] = rng.standard_normal(shape).astype(dtype)
    return feeds
