// RUN: attune-opt %s --attn-raise --split-input-file | FileCheck %s

// Subgraphs that look like attention but do not mean softmax(s*QK^T+M)V:
// attn-raise must leave every one of them unchanged.

// Softmax over the query axis, not the last one.
// CHECK-LABEL: func.func @softmax_not_last_axis
// CHECK-NOT: attn.sdpa
// CHECK: onnx.node "Softmax"
func.func @softmax_not_last_axis(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%s) {axis = 2 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Opset 11 Softmax defaults to axis 1 (flattening), not the last axis.
// CHECK-LABEL: func.func @softmax_opset11_default_axis
// CHECK-NOT: attn.sdpa
func.func @softmax_opset11_default_axis(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %kt = onnx.node "Transpose" v11 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v11 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v11 (%s) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v11 (%p, %v) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// The scale is a runtime value.
// CHECK-LABEL: func.func @scale_not_constant
// CHECK-NOT: attn.sdpa
func.func @scale_not_constant(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %c: tensor<f32>) -> tensor<1x2x4x8xf32> {
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %d = onnx.node "Div" v13 (%s, %c) : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%d) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A per-key constant "scale" is not a scalar.
// CHECK-LABEL: func.func @scale_not_scalar
// CHECK-NOT: attn.sdpa
func.func @scale_not_scalar(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %d = onnx.node "Mul" v13 (%s, %c) : (tensor<1x2x4x4xf32>, tensor<4xf32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%d) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// The mask is added to the probabilities, after the Softmax.
// CHECK-LABEL: func.func @mask_after_softmax
// CHECK-NOT: attn.sdpa
func.func @mask_after_softmax(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<1x1x4x4xf32>) -> tensor<1x2x4x8xf32> {
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%s) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %a = onnx.node "Add" v14 (%p, %m) : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%a, %v) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// The probabilities are also a graph output.
// CHECK-LABEL: func.func @probs_escape
// CHECK-NOT: attn.sdpa
func.func @probs_escape(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%s) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %p : tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

// -----

// Where's fill (-1) is not very negative: a soft penalty, not a mask.
// CHECK-LABEL: func.func @where_soft_fill
// CHECK-NOT: attn.sdpa
func.func @where_soft_fill(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %c: tensor<4x4xi1>) -> tensor<1x2x4x8xf32> {
  %neg = arith.constant dense<-1.0> : tensor<f32>
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %w = onnx.node "Where" v16 (%c, %s, %neg) : (tensor<4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%w) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// The second MatMul is V . P (operands swapped).
// CHECK-LABEL: func.func @swapped_pv
// CHECK-NOT: attn.sdpa
func.func @swapped_pv(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%s) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%v, %p) : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %o : tensor<1x2x4x4xf32>
}

// -----

// The "mask" has a bigger batch than the scores: Add broadcasts the scores.
// CHECK-LABEL: func.func @mask_not_broadcastable
// CHECK-NOT: attn.sdpa
func.func @mask_not_broadcastable(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<3x2x4x8xf32>, %m: tensor<3x2x4x4xf32>) -> tensor<3x2x4x8xf32> {
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %a = onnx.node "Add" v14 (%s, %m) : (tensor<1x2x4x4xf32>, tensor<3x2x4x4xf32>) -> tensor<3x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%a) {axis = -1 : i64} : (tensor<3x2x4x4xf32>) -> tensor<3x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) : (tensor<3x2x4x4xf32>, tensor<3x2x4x8xf32>) -> tensor<3x2x4x8xf32>
  return %o : tensor<3x2x4x8xf32>
}

// -----

// An additive bias scaled after it was added: the bias would be scaled too.
// CHECK-LABEL: func.func @scale_after_additive_mask
// CHECK-NOT: attn.sdpa
func.func @scale_after_additive_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<4x4xf32>) -> tensor<1x2x4x8xf32> {
  %c = arith.constant dense<0.125> : tensor<f32>
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %a = onnx.node "Add" v14 (%s, %m) : (tensor<1x2x4x4xf32>, tensor<4x4xf32>) -> tensor<1x2x4x4xf32>
  %d = onnx.node "Mul" v14 (%a, %c) : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%d) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}
