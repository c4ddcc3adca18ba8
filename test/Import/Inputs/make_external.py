"""Writes a model whose weight lives in an external data file (for importer tests).

usage: make_external.py OUTDIR  ->  OUTDIR/ext.onnx + OUTDIR/ext.bin
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
w = numpy_helper.from_array(np.arange(64 * 80, dtype=np.float32).reshape(64, 80) / 100.0, "W")
x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 64])
y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 80])
g = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["Y"], name="mm")], "ext", [x], [y], [w])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
onnx.save_model(m, os.path.join(out, "ext.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="ext.bin", size_threshold=0)
