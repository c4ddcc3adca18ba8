"""fixture_builder.py: a small onnx.helper wrapper that writes exporter-shaped graphs.

The fixture generators (gen_fixtures.py and the fixtures_*.py modules) build
models node by node so the node patterns match what real exporters emit:
Constant nodes for scalars, Shape->Gather->Unsqueeze->Concat chains for
reshape targets, and the opset-dependent forms of Unsqueeze/Squeeze/Split/
ReduceMean (axes as attribute before opset 13/18, as an input after).
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64
I32 = TensorProto.INT32
BOOL = TensorProto.BOOL

FINFO_MIN = float(np.finfo(np.float32).min)


class Graph:
    """Accumulates nodes/initializers; op() returns output name(s)."""

    def __init__(self, name, opset, seed=0):
        self.name = name
        self.opset = opset
        self.nodes, self.inits, self.inputs, self.outputs = [], [], [], []
        self.domains = {"": opset}
        self.count = 0
        self.prefix = ""
        self.rng = np.random.default_rng(seed)

    # -- naming -------------------------------------------------------------
    def scope(self, prefix):
        self.prefix = prefix
        return self

    def _fresh(self, op_type):
        self.count += 1
        return f"{self.prefix}/{op_type}_{self.count}"

    # -- graph interface ----------------------------------------------------
    def input(self, name, elem, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem, shape))
        return name

    def output(self, value, name=None, elem=F32, shape=None):
        """Marks `value` as a graph output (renaming it through Identity)."""
        if name is not None and name != value:
            value = self.op("Identity", value, out_name=name)
        self.outputs.append(helper.make_tensor_value_info(value, elem, shape))
        return value

    def op(self, op_type, *ins, outs=1, domain="", out_name=None, **attrs):
        node_name = self._fresh(op_type)
        if out_name is not None:
            out_names = [out_name]
        else:
            out_names = [f"{node_name}_output_{i}" for i in range(outs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, list(ins), out_names,
                                           name=node_name, domain=domain,
                                           **attrs))
        if domain and domain not in self.domains:
            self.domains[domain] = 1
        return out_names[0] if outs == 1 else out_names

    def ms(self, op_type, *ins, outs=1, **attrs):
        """A com.microsoft contrib op."""
        return self.op(op_type, *ins, outs=outs, domain="com.microsoft",
                       **attrs)

    def init(self, arr, name=None):
        """An initializer (how exporters store weights)."""
        arr = np.asarray(arr)
        if name is None:
            self.count += 1
            name = f"{self.prefix}.param_{self.count}".lstrip(".")
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def const(self, value, dtype=np.float32):
        """A Constant node (how torch exports literals and shape pieces)."""
        arr = np.asarray(value, dtype=dtype)
        return self.op("Constant", value=numpy_helper.from_array(arr))

    def weight(self, *shape, scale=None):
        if scale is None:
            scale = 1.0 / np.sqrt(shape[0])
        return self.init((self.rng.standard_normal(shape) * scale)
                         .astype(np.float32))

    def model(self, ir_version=None):
        g = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs,
                              initializer=self.inits)
        opsets = [helper.make_opsetid(d, v) for d, v in self.domains.items()]
        m = helper.make_model(g, opset_imports=opsets,
                              producer_name="attune-gen-fixtures")
        # Keep the IR version loadable by the venv's onnxruntime.
        m.ir_version = ir_version or min(m.ir_version, 10)
        # Exporters declare output types with (symbolic) shapes; take them
        # from onnx shape inference where it knows the ops.
        try:
            inferred = onnx.shape_inference.infer_shapes(m)
        except Exception:  # noqa: BLE001 - unknown domains: keep as is
            return m
        known = {v.name: v for v in inferred.graph.output}
        for out in m.graph.output:
            v = known.get(out.name)
            if v is not None and v.type.tensor_type.HasField("shape"):
                out.type.CopyFrom(v.type)
        return m

    # -- opset-dependent forms ----------------------------------------------
    def _axes_input(self, axes):
        return self.const(np.array(axes, dtype=np.int64), np.int64)

    def unsqueeze(self, x, axes):
        if self.opset >= 13:
            return self.op("Unsqueeze", x, self._axes_input(axes))
        return self.op("Unsqueeze", x, axes=axes)

    def squeeze(self, x, axes):
        if self.opset >= 13:
            return self.op("Squeeze", x, self._axes_input(axes))
        return self.op("Squeeze", x, axes=axes)

    def reduce_mean(self, x, axes, keepdims=1):
        if self.opset >= 18:
            return self.op("ReduceMean", x, self._axes_input(axes),
                           keepdims=keepdims)
        return self.op("ReduceMean", x, axes=axes, keepdims=keepdims)

    def split(self, x, sizes, axis):
        if self.opset >= 13:
            return self.op("Split", x, self._axes_input(sizes),
                           outs=len(sizes), axis=axis)
        return self.op("Split", x, outs=len(sizes), axis=axis, split=sizes)

    # -- exporter idioms ----------------------------------------------------
    def dim(self, x, i):
        """Shape(x)[i] as a 0-D int64 (torch: x.size(i))."""
        shape = self.op("Shape", x)
        return self.op("Gather", shape, self.const(i, np.int64), axis=0)

    def reshape_to(self, x, dims):
        """Reshape with a target built by Unsqueeze+Concat from 0-D dims and
        Python ints, the way TorchScript exports `x.view(a, b, H, D)`."""
        parts = []
        for d in dims:
            if isinstance(d, str):
                parts.append(self.unsqueeze(d, [0]))
            else:
                parts.append(self.const([d], np.int64))
        return self.op("Reshape", x, self.op("Concat", *parts, axis=0))

    def linear(self, x, n_in, n_out, bias=True):
        """nn.Linear as TorchScript exports it: MatMul with the transposed
        weight initializer, then Add of the bias."""
        y = self.op("MatMul", x, self.weight(n_in, n_out))
        if bias:
            y = self.op("Add", y, self.init(
                (self.rng.standard_normal(n_out) * 0.02).astype(np.float32)))
        return y

    def conv1d_gemm(self, x, n_in, n_out):
        """HF GPT-2 Conv1D: addmm on x.view(-1, n_in), then view back."""
        b, s = self.dim(x, 0), self.dim(x, 1)
        flat = self.reshape_to(x, [-1, n_in])
        y = self.op("Gemm", flat, self.weight(n_in, n_out), self.init(
            (self.rng.standard_normal(n_out) * 0.02).astype(np.float32)),
            alpha=1.0, beta=1.0)
        return self.reshape_to(y, [b, s, n_out])

    def layer_norm(self, x, n, eps=1e-5, fused=None):
        gamma = self.init((1.0 + 0.1 * self.rng.standard_normal(n))
                          .astype(np.float32))
        beta = self.init((0.1 * self.rng.standard_normal(n))
                         .astype(np.float32))
        if fused is None:
            fused = self.opset >= 17
        if fused:
            return self.op("LayerNormalization", x, gamma, beta, axis=-1,
                           epsilon=eps)
        # torch < opset 17 layer_norm decomposition.
        mean = self.reduce_mean(x, [-1])
        d = self.op("Sub", x, mean)
        var = self.reduce_mean(self.op("Pow", d, self.const(2.0)), [-1])
        std = self.op("Sqrt", self.op("Add", var, self.const(eps)))
        y = self.op("Div", d, std)
        return self.op("Add", self.op("Mul", y, gamma), beta)

    def gelu_erf(self, x):
        """torch/HF exact gelu: x * 0.5 * (1 + erf(x / sqrt 2))."""
        e = self.op("Erf", self.op("Div", x, self.const(1.4142135381698608)))
        e = self.op("Add", e, self.const(1.0))
        return self.op("Mul", self.op("Mul", x, e), self.const(0.5))

    def gelu_tanh(self, x):
        """HF NewGELU (GPT-2): 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))."""
        p = self.op("Pow", x, self.const(3.0))
        inner = self.op("Add", x, self.op("Mul", p, self.const(0.044715)))
        t = self.op("Tanh", self.op("Mul", inner,
                                    self.const(0.7978845608028654)))
        half = self.op("Mul", x, self.const(0.5))
        return self.op("Mul", half, self.op("Add", t, self.const(1.0)))

    def split_heads(self, x, heads, head_dim, perm=(0, 2, 1, 3)):
        """HF transpose_for_scores: view(B, S, H, D) via Shape chains, then
        permute(0, 2, 1, 3)."""
        b, s = self.dim(x, 0), self.dim(x, 1)
        y = self.reshape_to(x, [b, s, heads, head_dim])
        return self.op("Transpose", y, perm=list(perm))

    def merge_heads(self, x, hidden):
        """permute(0, 2, 1, 3) then view(B, S, H*D) via Shape chains."""
        y = self.op("Transpose", x, perm=[0, 2, 1, 3])
        b, s = self.dim(y, 0), self.dim(y, 1)
        return self.reshape_to(y, [b, s, hidden])


def check(model):
    """onnx.checker where it knows the model's opsets (not >= 23, not
    contrib domains)."""
    domains = {o.domain: o.version for o in model.opset_import}
    if domains.get("", 0) >= 23 or any(d not in ("", "ai.onnx")
                                       for d in domains):
        return False
    onnx.checker.check_model(model, full_check=True)
    return True
