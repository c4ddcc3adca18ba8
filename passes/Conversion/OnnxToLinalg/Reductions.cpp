// Reductions.cpp - ONNX op handlers (skeleton)
