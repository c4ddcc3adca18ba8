// Elementwise.cpp - ONNX op handlers (skeleton)
