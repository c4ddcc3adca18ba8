// RaiseFusedAttention.cpp - fused ONNX attention nodes to attn.sdpa (skeleton)
