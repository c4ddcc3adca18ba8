"""Writes an ONNX model whose outputs are matrix products of the shapes the
GEMM kernel treats differently (see lib/Runtime/Cpu/Kernels/GemmKernel.inc),
for `attune run MODEL --check` (onnxruntime as the reference):

  odd        MatMul [67, 29] x const [29, 131]           odd sizes, edge tiles
  bcast      MatMul [3, 1, 45, 37] x [4, 37, 53]         numpy batch broadcast
  gemm_tt    Gemm transA=1 transB=1 alpha beta + bias    transposes read in place
  bmm_t      MatMul [2, 5, 33, 40] x Transpose([2, 5, 70, 40])
  narrow     MatMul [1000, 300] x const [300, 5]         few columns: C^T = B^T A^T
  gemv       MatMul [1, 768] x const [768, 768]          one row, no packing
  dot        Gemm transB=1 [3, 200] x [150, 200]^T       dot-product path
  large      MatMul [300, 520] x [520, 1100]             several K panels, N blocks

  gen_gemm_model.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(7)
    inputs, outputs, nodes, inits = [], [], [], []

    def inp(name, shape):
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    def const(name, shape):
        inits.append(numpy_helper.from_array(
            rng.standard_normal(shape).astype(np.float32), name))
        return name

    def output(name, shape):
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], **attrs))

    node("MatMul", [inp("x_odd", [67, 29]), const("w_odd", [29, 131])], "odd")
    output("odd", [67, 131])
    node("MatMul", [inp("x_bcast", [3, 1, 45, 37]), inp("y_bcast", [4, 37, 53])], "bcast")
    output("bcast", [3, 4, 45, 53])
    node("Gemm", [inp("a_tt", [29, 67]), inp("b_tt", [131, 29]), const("c_tt", [131])],
         "gemm_tt", transA=1, transB=1, alpha=0.5, beta=2.0)
    output("gemm_tt", [67, 131])
    node("Transpose", [inp("y_bmm", [2, 5, 70, 40])], "yt_bmm", perm=[0, 1, 3, 2])
    node("MatMul", [inp("x_bmm", [2, 5, 33, 40]), "yt_bmm"], "bmm_t")
    output("bmm_t", [2, 5, 33, 70])
    node("MatMul", [inp("x_narrow", [1000, 300]), const("w_narrow", [300, 5])], "narrow")
    output("narrow", [1000, 5])
    node("MatMul", [inp("x_gemv", [1, 768]), const("w_gemv", [768, 768])], "gemv")
    output("gemv", [1, 768])
    node("Gemm", [inp("a_dot", [3, 200]), const("b_dot", [150, 200])], "dot", transB=1)
    output("dot", [3, 150])
    node("MatMul", [inp("x_large", [300, 520]), inp("y_large", [520, 1100])], "large")
    output("large", [300, 1100])

    graph = helper.make_graph(nodes, "gemm_shapes", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
