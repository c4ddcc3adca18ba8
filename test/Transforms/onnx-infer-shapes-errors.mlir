// RUN: attune-opt %s --onnx-infer-shapes --split-input-file --verify-diagnostics

func.func @unknown_op(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{node 'foo' (FooBar, opset 13): no shape rule for op type 'FooBar'}}
  %0 = onnx.node "FooBar" v13 (%x) {onnx_name = "foo"} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @matmul_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{node 'mm' (MatMul, opset 13): inner dimensions differ: A [2, 3] has K = 3, B [4, 5] has K = 4}}
  %0 = onnx.node "MatMul" v13 (%a, %b) {onnx_name = "mm"} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4x8xf32>, %b: tensor<4x3x8x5xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{node 'mm' (MatMul, opset 13): cannot broadcast batch dimensions [2, 3] and [4, 3]}}
  %0 = onnx.node "MatMul" v13 (%a, %b) {onnx_name = "mm"} : (tensor<2x3x4x8xf32>, tensor<4x3x8x5xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @reshape_dynamic(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<*xf32> {
  // expected-error @+1 {{node 'r' (Reshape, opset 14): the shape input (#1) is not a compile-time constant}}
  %0 = onnx.node "Reshape" v14 (%x, %s) {onnx_name = "r"} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %s = arith.constant dense<[4, 2]> : tensor<2xi64>
  // expected-error @+1 {{node 'r' (Reshape, opset 14): cannot reshape [2, 3] (6 elements) to [4, 2] (8 elements)}}
  %0 = onnx.node "Reshape" v14 (%x, %s) {onnx_name = "r"} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @not_static(%x: tensor<?x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{node 'n' (Relu, opset 14): input #0 has type 'tensor<?x3xf32>'; expected a tensor with a static shape}}
  %0 = onnx.node "Relu" v14 (%x) {onnx_name = "n"} : (tensor<?x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{node 'c' (Concat, opset 13): input #1 [4, 4] does not match [2, 3] outside axis 1}}
  %0 = onnx.node "Concat" v13 (%a, %b) {axis = 1 : i64, onnx_name = "c"} : (tensor<2x3xf32>, tensor<4x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @squeeze_not_one(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{node 's' (Squeeze, opset 11): cannot squeeze dim 0 of size 2 (input [2, 3])}}
  %0 = onnx.node "Squeeze" v11 (%x) {axes = [0], onnx_name = "s"} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @slice_zero_step(%x: tensor<4xf32>) -> tensor<*xf32> {
  %s = arith.constant dense<0> : tensor<1xi64>
  %e = arith.constant dense<4> : tensor<1xi64>
  %a = arith.constant dense<0> : tensor<1xi64>
  %st = arith.constant dense<0> : tensor<1xi64>
  // expected-error @+1 {{node 'sl' (Slice, opset 13): slice step must not be 0}}
  %0 = onnx.node "Slice" v13 (%x, %s, %e, %a, %st) {onnx_name = "sl"} : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @bad_perm(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{node 't' (Transpose, opset 13): perm [0, 0] is not a permutation of the 2 input dims}}
  %0 = onnx.node "Transpose" v13 (%x) {perm = [0, 0], onnx_name = "t"} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @attention_3d_no_heads(%q: tensor<1x4x64xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{node 'a' (Attention, opset 23): the q_num_heads attribute is required for 3-D Q}}
  %0 = onnx.node "Attention" v23 (%q, %q, %q) {onnx_name = "a"} : (tensor<1x4x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
