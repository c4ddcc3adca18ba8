"""Malformed inputs for test/CLI/attune-bad-inputs.test: .npy files whose
headers lie, and ONNX models that are invalid in ways the importer must
reject (or warn about) instead of crashing or computing something else.

    make_bad_inputs.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h


def npy_with_shape(path, shape_text, payload=None, extra=b""):
    """A float32 .npy whose header says `shape_text`, followed by `payload`
    (default: 16 floats) and `extra` bytes."""
    header = ("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }"
              % shape_text)
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    data = payload if payload is not None else np.zeros(16, np.float32)
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(len(header).to_bytes(2, "little"))
        f.write(header.encode())
        f.write(data.tobytes())
        f.write(extra)


def relu_model(path, x_shape, opset=17):
    g = h.make_graph([h.make_node("Relu", ["X"], ["Y"])], "g",
                     [h.make_tensor_value_info("X", T.FLOAT, x_shape)],
                     [h.make_tensor_value_info("Y", T.FLOAT, None)])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.save(m, path)


def external_model(path, entries):
    """Y = X + W with W a 4x4 initializer whose data is external."""
    w = T()
    w.name, w.data_type = "W", T.FLOAT
    w.dims.extend([4, 4])
    w.data_location = T.EXTERNAL
    for k, v in entries.items():
        e = w.external_data.add()
        e.key, e.value = k, v
    g = h.make_graph([h.make_node("Add", ["X", "W"], ["Y"])], "g",
                     [h.make_tensor_value_info("X", T.FLOAT, [4, 4])],
                     [h.make_tensor_value_info("Y", T.FLOAT, [4, 4])],
                     initializer=[w])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    p = lambda name: os.path.join(d, name)  # noqa: E731
    # X is [1, 2, 8] float32 = 16 floats.
    npy_with_shape(p("ok.npy"), "(1, 2, 8)")
    npy_with_shape(p("huge.npy"), "(99999999999, 99999999999, 8)")
    npy_with_shape(p("negative.npy"), "(-1, 2, 8)")
    npy_with_shape(p("wrap.npy"), "(1, 2305843009213693952, 8)")
    npy_with_shape(p("trailing.npy"), "(1, 2, 8)", extra=b"junk")
    npy_with_shape(p("word.npy"), "(1, two, 8)")

    relu_model(p("overflow.onnx"), (1 << 31, 1 << 31, 4))
    relu_model(p("toobig.onnx"), (100000, 100000, 100))
    relu_model(p("opset99.onnx"), (1, 2, 8), opset=99)

    with open(p("ext.bin"), "wb") as f:
        f.write(np.zeros(16, np.float32).tobytes())
    external_model(p("ext_offset.onnx"), {"location": "ext.bin",
                                          "offset": "1000"})
    external_model(p("ext_word.onnx"), {"location": "ext.bin",
                                        "offset": "abc"})
    external_model(p("ext_up.onnx"), {"location": "../ext.bin"})
    external_model(p("ext_abs.onnx"), {"location": os.path.abspath(
        p("ext.bin"))})
    external_model(p("ext_noloc.onnx"), {"offset": "0"})
    external_model(p("ext_ok.onnx"), {"location": "ext.bin"})

    # Two graph inputs named X; two nodes producing Y.
    g = h.make_graph([h.make_node("Add", ["X", "X"], ["Y"])], "g",
                     [h.make_tensor_value_info("X", T.FLOAT, [2]),
                      h.make_tensor_value_info("X", T.FLOAT, [2])],
                     [h.make_tensor_value_info("Y", T.FLOAT, [2])])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, p("dup_input.onnx"))
    g = h.make_graph([h.make_node("Relu", ["X"], ["Y"], name="first"),
                      h.make_node("Neg", ["X"], ["Y"], name="second")], "g",
                     [h.make_tensor_value_info("X", T.FLOAT, [2])],
                     [h.make_tensor_value_info("Y", T.FLOAT, [2])])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, p("dup_output.onnx"))

    # Outputs declared with another element type / shape than computed; a
    # MatMul of float and int32.
    for name, et, shape in (("out_type", T.INT32, [2, 3]),
                            ("out_shape", T.FLOAT, [7, 7])):
        g = h.make_graph([h.make_node("Relu", ["X"], ["Y"])], "g",
                         [h.make_tensor_value_info("X", T.FLOAT, [2, 3])],
                         [h.make_tensor_value_info("Y", et, shape)])
        m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
        m.ir_version = 8
        onnx.save(m, p(name + ".onnx"))
    g = h.make_graph([h.make_node("MatMul", ["X", "W"], ["Y"])], "g",
                     [h.make_tensor_value_info("X", T.FLOAT, [2, 3]),
                      h.make_tensor_value_info("W", T.INT32, [3, 2])],
                     [h.make_tensor_value_info("Y", T.FLOAT, None)])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, p("mixed.onnx"))

    # Attention-23 with is_causal = 2 (the attribute is 0 or 1).
    vi = lambda n: h.make_tensor_value_info(n, T.FLOAT, [1, 2, 4, 8])  # noqa
    g = h.make_graph([h.make_node("Attention", ["Q", "K", "V"], ["O"],
                                  name="attn", is_causal=2)], "g",
                     [vi("Q"), vi("K"), vi("V")], [vi("O")])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 23)])
    m.ir_version = 10
    onnx.save(m, p("causal2.onnx"))

    # A policy nested 100000 levels deep.
    with open(p("deep.json"), "w") as f:
        f.write("{\"rules\": " + "[" * 100000 + "]" * 100000 + "}")


if __name__ == "__main__":
    main()
