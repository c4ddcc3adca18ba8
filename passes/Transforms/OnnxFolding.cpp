// OnnxFolding.cpp - constant evaluation of small ONNX subgraphs (skeleton)
