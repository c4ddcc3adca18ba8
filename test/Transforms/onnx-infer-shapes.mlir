// RUN: attune-opt %s --onnx-infer-shapes --split-input-file | FileCheck %s

// The exporter's Shape -> Gather -> Unsqueeze -> Concat chain folds to one
// constant, which makes the Reshape static.
// CHECK-LABEL: func.func @shape_chain
// CHECK-SAME: -> tensor<2x8x4x16xf32>
// CHECK-NOT: "Shape"
// CHECK-NOT: "Gather"
// CHECK: %[[S:.*]] = arith.constant dense<[2, 8, 4, 16]> : tensor<4xi64>
// CHECK: onnx.node "Reshape" v14 (%arg0, %[[S]]) {{.*}} -> tensor<2x8x4x16xf32>
func.func @shape_chain(%x: tensor<2x8x64xf32>) -> tensor<*xf32> {
  %s = onnx.node "Shape" v15 (%x) : (tensor<2x8x64xf32>) -> tensor<*xf32>
  %i0 = arith.constant dense<0> : tensor<i64>
  %i1 = arith.constant dense<1> : tensor<i64>
  %b = onnx.node "Gather" v13 (%s, %i0) {axis = 0 : i64} : (tensor<*xf32>, tensor<i64>) -> tensor<*xf32>
  %l = onnx.node "Gather" v13 (%s, %i1) {axis = 0 : i64} : (tensor<*xf32>, tensor<i64>) -> tensor<*xf32>
  %ax = arith.constant dense<0> : tensor<1xi64>
  %bu = onnx.node "Unsqueeze" v13 (%b, %ax) : (tensor<*xf32>, tensor<1xi64>) -> tensor<*xf32>
  %lu = onnx.node "Unsqueeze" v13 (%l, %ax) : (tensor<*xf32>, tensor<1xi64>) -> tensor<*xf32>
  %h = arith.constant dense<4> : tensor<1xi64>
  %d = arith.constant dense<16> : tensor<1xi64>
  %cat = onnx.node "Concat" v13 (%bu, %lu, %h, %d) {axis = 0 : i64} : (tensor<*xf32>, tensor<*xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %r = onnx.node "Reshape" v14 (%x, %cat) : (tensor<2x8x64xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_zero_minus_one
// CHECK: onnx.node "Reshape" {{.*}} -> tensor<2x12xf32>
// CHECK: onnx.node "Reshape" {{.*}} -> tensor<0x6xf32>
func.func @reshape_zero_minus_one(%x: tensor<2x3x4xf32>, %y: tensor<0x6xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %s = arith.constant dense<[0, -1]> : tensor<2xi64>
  %r = onnx.node "Reshape" v14 (%x, %s) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  %z = arith.constant dense<[0, 6]> : tensor<2xi64>
  %r2 = onnx.node "Reshape" v14 (%y, %z) {allowzero = 1 : i64} : (tensor<0x6xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r, %r2 : tensor<*xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_broadcast
// CHECK: onnx.node "MatMul" {{.*}} -> tensor<2x3x4x5xf32>
// CHECK: onnx.node "MatMul" {{.*}} -> tensor<3x4xf32>
func.func @matmul_broadcast(%a: tensor<2x1x4x8xf32>, %b: tensor<3x8x5xf32>, %v: tensor<8xf32>, %m: tensor<3x4x8xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %0 = onnx.node "MatMul" v13 (%a, %b) {onnx_name = "mm"} : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<*xf32>
  %1 = onnx.node "MatMul" v13 (%m, %v) : (tensor<3x4x8xf32>, tensor<8xf32>) -> tensor<*xf32>
  return %0, %1 : tensor<*xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK: onnx.node "Transpose" {{.*}} -> tensor<4x3x2xf32>
// CHECK: onnx.node "Transpose" {{.*}} -> tensor<2x4x3xf32>
func.func @transpose(%x: tensor<2x3x4xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %0 = onnx.node "Transpose" v13 (%x) : (tensor<2x3x4xf32>) -> tensor<*xf32>
  %1 = onnx.node "Transpose" v13 (%x) {perm = [0, 2, 1]} : (tensor<2x3x4xf32>) -> tensor<*xf32>
  return %0, %1 : tensor<*xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @softmax
// CHECK: onnx.node "Softmax" {{.*}} -> tensor<1x12x16x16xf16>
func.func @softmax(%x: tensor<1x12x16x16xf16>) -> tensor<*xf32> {
  %0 = onnx.node "Softmax" v13 (%x) {axis = -1 : i64} : (tensor<1x12x16x16xf16>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Squeeze/Unsqueeze take their axes as an attribute before opset 13.
// CHECK-LABEL: func.func @squeeze_unsqueeze
// CHECK: onnx.node "Squeeze" v11 {{.*}} -> tensor<3x4xf32>
// CHECK: onnx.node "Unsqueeze" v11 {{.*}} -> tensor<3x1x4x1xf32>
// CHECK: onnx.node "Squeeze" v13 {{.*}} -> tensor<3x4xf32>
// CHECK: onnx.node "Unsqueeze" v13 {{.*}} -> tensor<1x3x4xf32>
// CHECK: onnx.node "Squeeze" v13 {{.*}} -> tensor<3x4xf32>
func.func @squeeze_unsqueeze(%x: tensor<1x3x1x4xf32>, %y: tensor<3x4xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %0 = onnx.node "Squeeze" v11 (%x) {axes = [0, -2]} : (tensor<1x3x1x4xf32>) -> tensor<*xf32>
  %1 = onnx.node "Unsqueeze" v11 (%y) {axes = [1, -1]} : (tensor<3x4xf32>) -> tensor<*xf32>
  %a = arith.constant dense<[0, 2]> : tensor<2xi64>
  %2 = onnx.node "Squeeze" v13 (%x, %a) : (tensor<1x3x1x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  %b = arith.constant dense<0> : tensor<1xi64>
  %3 = onnx.node "Unsqueeze" v13 (%y, %b) : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<*xf32>
  %4 = onnx.node "Squeeze" v13 (%x) : (tensor<1x3x1x4xf32>) -> tensor<*xf32>
  return %0, %1, %2, %3, %4 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK: onnx.node "Slice" v13 {{.*}} -> tensor<2x3xf32>
// CHECK: onnx.node "Slice" v13 {{.*}} -> tensor<4x5xf32>
// CHECK: onnx.node "Slice" v9 {{.*}} -> tensor<2x10xf32>
// CHECK: %[[F:.*]] = arith.constant dense<[4, 10]> : tensor<2xi64>
// CHECK: return {{.*}}, %[[F]]
func.func @slice(%x: tensor<4x10xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi64>) {
  %st = arith.constant dense<[1, -3]> : tensor<2xi64>
  %en = arith.constant dense<[9223372036854775807, 10000]> : tensor<2xi64>
  %ax = arith.constant dense<[0, 1]> : tensor<2xi64>
  %sp = arith.constant dense<[2, 1]> : tensor<2xi64>
  %0 = onnx.node "Slice" v13 (%x, %st, %en, %ax, %sp) : (tensor<4x10xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<*xf32>
  // Negative step from the end: elements 9, 7, 5, 3, 1.
  %st1 = arith.constant dense<-1> : tensor<1xi64>
  %en1 = arith.constant dense<-9223372036854775807> : tensor<1xi64>
  %ax1 = arith.constant dense<1> : tensor<1xi64>
  %sp1 = arith.constant dense<-2> : tensor<1xi64>
  %1 = onnx.node "Slice" v13 (%x, %st1, %en1, %ax1, %sp1) : (tensor<4x10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %2 = onnx.node "Slice" v9 (%x) {starts = [1], ends = [3], axes = [0]} : (tensor<4x10xf32>) -> tensor<*xf32>
  // Slicing the shape vector folds.
  %s = onnx.node "Shape" v13 (%x) : (tensor<4x10xf32>) -> tensor<*xi64>
  %z = arith.constant dense<0> : tensor<1xi64>
  %e = arith.constant dense<2> : tensor<1xi64>
  %3 = onnx.node "Slice" v13 (%s, %z, %e) : (tensor<*xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xi64>
  return %0, %1, %2, %3 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi64>
}

// -----

// CHECK-LABEL: func.func @split
// CHECK: onnx.node "Split" v13 {{.*}} -> (tensor<2x3xf32>, tensor<2x7xf32>)
// CHECK: onnx.node "Split" v11 {{.*}} -> (tensor<1x10xf32>, tensor<1x10xf32>)
// CHECK: onnx.node "Split" v18 {{.*}} -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x2xf32>)
func.func @split(%x: tensor<2x10xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %sp = arith.constant dense<[3, 7]> : tensor<2xi64>
  %0:2 = onnx.node "Split" v13 (%x, %sp) {axis = 1 : i64} : (tensor<2x10xf32>, tensor<2xi64>) -> (tensor<*xf32>, tensor<*xf32>)
  %1:2 = onnx.node "Split" v11 (%x) {axis = 0 : i64} : (tensor<2x10xf32>) -> (tensor<*xf32>, tensor<*xf32>)
  %2:3 = onnx.node "Split" v18 (%x) {axis = -1 : i64, num_outputs = 3 : i64} : (tensor<2x10xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  return %0#0, %0#1, %1#0, %1#1, %2#0, %2#1, %2#2 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// A causal mask built from constants folds completely.
// CHECK-LABEL: func.func @trilu_fold
// CHECK-NOT: onnx.node
// CHECK: arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<3x3xf32>
func.func @trilu_fold() -> tensor<*xf32> {
  %s = arith.constant dense<[3, 3]> : tensor<2xi64>
  %ones = onnx.node "ConstantOfShape" v9 (%s) {value = dense<1.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<*xf32>
  %t = onnx.node "Trilu" v14 (%ones) {upper = 0 : i64} : (tensor<*xf32>) -> tensor<*xf32>
  return %t : tensor<*xf32>
}

// -----

// The exporter's "replace -1 by 1" shape rewrite: Where(Equal(s, -1), 1, s).
// CHECK-LABEL: func.func @where_equal_fold
// CHECK-NOT: onnx.node
// CHECK-DAG: %[[M:.*]] = arith.constant dense<[false, true, false]> : tensor<3xi1>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<[2, 1, 4]> : tensor<3xi64>
// CHECK: return %[[W]], %[[M]]
func.func @where_equal_fold() -> (tensor<*xi64>, tensor<*xi1>) {
  %s = arith.constant dense<[2, -1, 4]> : tensor<3xi64>
  %m1 = arith.constant dense<-1> : tensor<i64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %eq = onnx.node "Equal" v11 (%s, %m1) : (tensor<3xi64>, tensor<i64>) -> tensor<*xi1>
  %w = onnx.node "Where" v9 (%eq, %one, %s) : (tensor<*xi1>, tensor<1xi64>, tensor<3xi64>) -> tensor<*xi64>
  return %w, %eq : tensor<*xi64>, tensor<*xi1>
}

// -----

// CHECK-LABEL: func.func @reduce_mean
// CHECK: onnx.node "ReduceMean" v13 {{.*}} -> tensor<2x3x1xf32>
// CHECK: onnx.node "ReduceMean" v18 {{.*}} -> tensor<3xf32>
// CHECK: onnx.node "ReduceMean" v18 {{.*}} -> tensor<1x1x1xf32>
func.func @reduce_mean(%x: tensor<2x3x4xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %0 = onnx.node "ReduceMean" v13 (%x) {axes = [-1]} : (tensor<2x3x4xf32>) -> tensor<*xf32>
  %a = arith.constant dense<[0, 2]> : tensor<2xi64>
  %1 = onnx.node "ReduceMean" v18 (%x, %a) {keepdims = 0 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  %2 = onnx.node "ReduceMean" v18 (%x) : (tensor<2x3x4xf32>) -> tensor<*xf32>
  return %0, %1, %2 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @gemm
// CHECK: onnx.node "Gemm" {{.*}} -> tensor<4x16xf32>
func.func @gemm(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>, %c: tensor<16xf32>) -> tensor<*xf32> {
  %0 = onnx.node "Gemm" v13 (%a, %b, %c) {transB = 1 : i64} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Opset-23 Attention on 3-D [B,S,H*D] inputs with a KV cache (GQA: 8 query
// heads, 4 KV heads, head size 8).
// CHECK-LABEL: func.func @attention23_3d_past
// CHECK: onnx.node "Attention" v23 {{.*}} -> (tensor<2x4x64xf32>, tensor<2x4x10x8xf32>, tensor<2x4x10x8xf32>)
func.func @attention23_3d_past(%q: tensor<2x4x64xf32>, %k: tensor<2x4x32xf32>, %v: tensor<2x4x32xf32>, %pk: tensor<2x4x6x8xf32>, %pv: tensor<2x4x6x8xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %none = onnx.none
  %y:3 = onnx.node "Attention" v23 (%q, %k, %v, %none, %pk, %pv) {q_num_heads = 8 : i64, kv_num_heads = 4 : i64} : (tensor<2x4x64xf32>, tensor<2x4x32xf32>, tensor<2x4x32xf32>, none, tensor<2x4x6x8xf32>, tensor<2x4x6x8xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  return %y#0, %y#1, %y#2 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @group_query_attention
// CHECK: onnx.node "com.microsoft.GroupQueryAttention" v1 {{.*}} -> (tensor<1x4x64xf16>, tensor<1x2x16x8xf16>, tensor<1x2x16x8xf16>)
func.func @group_query_attention(%q: tensor<1x4x64xf16>, %k: tensor<1x4x16xf16>, %v: tensor<1x4x16xf16>, %pk: tensor<1x2x12x8xf16>, %pv: tensor<1x2x12x8xf16>, %seqlens: tensor<1xi32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %total = arith.constant dense<16> : tensor<i32>
  %y:3 = onnx.node "com.microsoft.GroupQueryAttention" v1 (%q, %k, %v, %pk, %pv, %seqlens, %total) {num_heads = 8 : i64, kv_num_heads = 2 : i64} : (tensor<1x4x64xf16>, tensor<1x4x16xf16>, tensor<1x4x16xf16>, tensor<1x2x12x8xf16>, tensor<1x2x12x8xf16>, tensor<1xi32>, tensor<i32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  return %y#0, %y#1, %y#2 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}
