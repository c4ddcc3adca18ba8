"""Writes an ONNX model whose outputs are Concats large enough (> 1 MiB) for
the kernel library's parallel copy (attune_copy_f32, called by
attn-lower-strided-copies), in every shape of copy it splits differently,
for `attune run MODEL --check` (onnxruntime as the reference):

  kv      Concat axis 2 [1, 12, 1023, 64] + [1, 12, 1, 64], returned: one
          1023 x 64 block per head, each cut into pieces (and 12 rows of 64)
  kv_neg  the same into an intermediate buffer (allocated by generated code),
          then Neg
  cols    Concat axis 3 [2, 3, 256, 300] + [2, 3, 256, 212]: 1536 small rows,
          many per piece
  rows    Concat axis 0 [3, 1000, 100] + [2, 1000, 100]: contiguous slices

  gen_copy_model.py OUT.onnx
"""
import sys

from onnx import TensorProto, helper, save


def main():
    inputs, outputs, nodes = [], [], []

    def inp(name, shape):
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    def output(name, shape):
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], **attrs))

    node("Concat", [inp("past", [1, 12, 1023, 64]), inp("new", [1, 12, 1, 64])],
         "kv", axis=2)
    output("kv", [1, 12, 1024, 64])
    node("Concat", [inp("past2", [1, 12, 1023, 64]), inp("new2", [1, 12, 1, 64])],
         "kv2", axis=2)
    node("Neg", ["kv2"], "kv_neg")
    output("kv_neg", [1, 12, 1024, 64])
    node("Concat", [inp("a_cols", [2, 3, 256, 300]), inp("b_cols", [2, 3, 256, 212])],
         "cols", axis=3)
    output("cols", [2, 3, 256, 512])
    node("Concat", [inp("a_rows", [3, 1000, 100]), inp("b_rows", [2, 1000, 100])],
         "rows", axis=0)
    output("rows", [5, 1000, 100])
    graph = helper.make_graph(nodes, "copies", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              ir_version=8)
    save(model, sys.argv[1])


if __name__ == "__main__":
    main()
