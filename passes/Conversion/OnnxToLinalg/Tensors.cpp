// Tensors.cpp - ONNX op handlers (skeleton)
