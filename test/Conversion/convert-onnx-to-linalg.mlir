// RUN: attune-opt %s --convert-onnx-to-linalg --split-input-file | FileCheck %s

// Broadcasting binary op: size-1 and missing leading dims read through the
// indexing maps, nothing is materialized.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[BC:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[BC]], #[[ID]]]
// CHECK: arith.addf
// CHECK-NOT: onnx.node
func.func @add_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %0 = onnx.node "Add" v14 (%a, %b) : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @int_div_mod
// CHECK: arith.divsi
// CHECK: arith.remsi
// CHECK: arith.select
func.func @int_div_mod(%a: tensor<4xi64>, %b: tensor<4xi64>) -> (tensor<4xi64>, tensor<4xi64>) {
  %0 = onnx.node "Div" v14 (%a, %b) : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %1 = onnx.node "Mod" v13 (%a, %b) : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0, %1 : tensor<4xi64>, tensor<4xi64>
}

// -----

// Constant exponent 2 becomes a multiply, a tensor exponent math.powf.
// CHECK-LABEL: func.func @pow
// CHECK: arith.mulf
// CHECK-NOT: math.powf
// CHECK: math.powf
func.func @pow(%a: tensor<4xf32>, %e: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %0 = onnx.node "Pow" v15 (%a, %two) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = onnx.node "Pow" v15 (%a, %e) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// f16 math is computed in f32.
// CHECK-LABEL: func.func @gelu_f16
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: math.erf {{.*}} : f32
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: math.tanh
func.func @gelu_f16(%a: tensor<8xf16>) -> (tensor<8xf16>, tensor<8xf16>) {
  %0 = onnx.node "Gelu" v20 (%a) : (tensor<8xf16>) -> tensor<8xf16>
  %1 = onnx.node "Gelu" v20 (%a) {approximate = "tanh"} : (tensor<8xf16>) -> tensor<8xf16>
  return %0, %1 : tensor<8xf16>, tensor<8xf16>
}

// -----

// CHECK-LABEL: func.func @compare_where_cast
// CHECK: arith.cmpf olt
// CHECK: arith.select
// CHECK: arith.fptosi
func.func @compare_where_cast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xi64> {
  %0 = onnx.node "Less" v13 (%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %1 = onnx.node "Where" v16 (%0, %a, %b) : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = onnx.node "Cast" v13 (%1) {to = 7 : i64} : (tensor<2x3xf32>) -> tensor<2x3xi64>
  return %2 : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func.func @clip
// CHECK: arith.maximumf
// CHECK: arith.minimumf
func.func @clip(%a: tensor<4xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> tensor<4xf32> {
  %0 = onnx.node "Clip" v13 (%a, %lo, %hi) : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A 2-D right operand folds the batch into the rows of a linalg.matmul.
// CHECK-LABEL: func.func @matmul_2d_weight
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: linalg.matmul
// CHECK: tensor.expand_shape
func.func @matmul_2d_weight(%a: tensor<2x3x4xf32>, %w: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  %0 = onnx.node "MatMul" v13 (%a, %w) : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// Broadcast batch dims: operands are broadcast, collapsed, batch_matmul'ed.
// CHECK-LABEL: func.func @matmul_batch
// CHECK: linalg.generic
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<6x4x8xf32>, tensor<6x8x5xf32>)
func.func @matmul_batch(%a: tensor<2x3x4x8xf32>, %b: tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32> {
  %0 = onnx.node "MatMul" v13 (%a, %b) : (tensor<2x3x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
  return %0 : tensor<2x3x4x5xf32>
}

// -----

// CHECK-LABEL: func.func @gemm
// CHECK: linalg.transpose
// CHECK: linalg.matmul
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @gemm(%a: tensor<3x4xf32>, %b: tensor<5x4xf32>, %c: tensor<5xf32>) -> tensor<3x5xf32> {
  %0 = onnx.node "Gemm" v13 (%a, %b, %c) {transB = 1 : i64, alpha = 5.0e-01 : f32} : (tensor<3x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// CHECK-LABEL: func.func @fused_matmul
// CHECK: linalg.transpose
// CHECK: linalg.batch_matmul
// CHECK: arith.constant 1.250000e-01
func.func @fused_matmul(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x6x8xf32>) -> tensor<1x2x4x6xf32> {
  %0 = onnx.node "com.microsoft.FusedMatMul" v1 (%q, %k) {alpha = 1.250000e-01 : f32, transB = 1 : i64} : (tensor<1x2x4x8xf32>, tensor<1x2x6x8xf32>) -> tensor<1x2x4x6xf32>
  return %0 : tensor<1x2x4x6xf32>
}

// -----

// Stable softmax: max, exp(x - max), sum, divide.
// CHECK-LABEL: func.func @softmax
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK-NEXT: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%a: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = onnx.node "Softmax" v13 (%a) {axis = -1 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// Opset 18: axes come as an input; keepdims is in the result type.
// CHECK-LABEL: func.func @reduce_mean
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.divf
// CHECK: tensor.expand_shape {{.*}} into tensor<2x3x1xf32>
func.func @reduce_mean(%a: tensor<2x3x4xf32>) -> tensor<2x3x1xf32> {
  %axes = arith.constant dense<[-1]> : tensor<1xi64>
  %0 = onnx.node "ReduceMean" v18 (%a, %axes) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x3x1xf32>
  return %0 : tensor<2x3x1xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm
// CHECK: math.rsqrt
// CHECK: linalg.generic
// CHECK: tensor.expand_shape {{.*}} into tensor<2x3x1xf32>
func.func @layer_norm(%x: tensor<2x3x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x1xf32>) {
  %0:3 = onnx.node "LayerNormalization" v17 (%x, %s, %b) {epsilon = 9.99999974E-6 : f32} : (tensor<2x3x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>)
  return %0#0, %0#1 : tensor<2x3x8xf32>, tensor<2x3x1xf32>
}

// -----

// CHECK-LABEL: func.func @skip_layer_norm
// CHECK: arith.addf
// CHECK: math.rsqrt
func.func @skip_layer_norm(%x: tensor<2x3x8xf32>, %k: tensor<2x3x8xf32>, %g: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %0 = onnx.node "com.microsoft.SkipLayerNormalization" v1 (%x, %k, %g) : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_reshape
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x2x3xf32>) permutation = [2, 0, 1]
// CHECK: tensor.collapse_shape {{.*}} into tensor<8x3xf32>
func.func @transpose_reshape(%a: tensor<2x3x4xf32>) -> tensor<8x3xf32> {
  %shape = arith.constant dense<[8, 3]> : tensor<2xi64>
  %0 = onnx.node "Transpose" v13 (%a) {perm = [2, 0, 1]} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %1 = onnx.node "Reshape" v14 (%0, %shape) : (tensor<4x2x3xf32>, tensor<2xi64>) -> tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}

// -----

// No reassociation between 2x3 and 3x2: through 1-D.
// CHECK-LABEL: func.func @reshape_via_1d
// CHECK: tensor.collapse_shape {{.*}} into tensor<6xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<3x2xf32>
func.func @reshape_via_1d(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %shape = arith.constant dense<[3, 2]> : tensor<2xi64>
  %0 = onnx.node "Reshape" v14 (%a, %shape) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func.func @concat_split
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0] [2, 3] [1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 3] [2, 5] [1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [2, 6] [1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 6] [2, 2] [1, 1]
func.func @concat_split(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) -> (tensor<2x6xf32>, tensor<2x2xf32>) {
  %0 = onnx.node "Concat" v13 (%a, %b) {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  %s = arith.constant dense<[6, 2]> : tensor<2xi64>
  %1:2 = onnx.node "Split" v13 (%0, %s) {axis = -1 : i64} : (tensor<2x8xf32>, tensor<2xi64>) -> (tensor<2x6xf32>, tensor<2x2xf32>)
  return %1#0, %1#1 : tensor<2x6xf32>, tensor<2x2xf32>
}

// -----

// Positive steps: extract_slice with clamped bounds; negative steps: a
// generic reading reversed indices.
// CHECK-LABEL: func.func @slice
// CHECK: tensor.extract_slice %{{.*}}[1, 0] [3, 4] [1, 2]
// CHECK: linalg.generic
// CHECK: linalg.index
// CHECK: tensor.extract
func.func @slice(%a: tensor<5x7xf32>) -> (tensor<3x4xf32>, tensor<5x7xf32>) {
  %s = arith.constant dense<[1, 0]> : tensor<2xi64>
  %e = arith.constant dense<[4, 100]> : tensor<2xi64>
  %st = arith.constant dense<[1, 2]> : tensor<2xi64>
  %none = onnx.none
  %0 = onnx.node "Slice" v13 (%a, %s, %e, %none, %st) : (tensor<5x7xf32>, tensor<2xi64>, tensor<2xi64>, none, tensor<2xi64>) -> tensor<3x4xf32>
  %rs = arith.constant dense<[-1]> : tensor<1xi64>
  %re = arith.constant dense<[-100]> : tensor<1xi64>
  %ra = arith.constant dense<[0]> : tensor<1xi64>
  %rst = arith.constant dense<[-1]> : tensor<1xi64>
  %1 = onnx.node "Slice" v13 (%a, %rs, %re, %ra, %rst) : (tensor<5x7xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5x7xf32>
  return %0, %1 : tensor<3x4xf32>, tensor<5x7xf32>
}

// -----

// An index outside [-5, 5) (after wrapping, one unsigned compare against
// 5) reports run-time check 0, whose message is the module's first
// attune.checks entry, and reads a clamped index.
// CHECK: module attributes {attune.checks = ["node (Gather, opset 13): index out of range for axis 1 of its data (size 5)"]}
// CHECK-LABEL: func.func @gather
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2xi64>) outs(%{{.*}} : tensor<4x2xf32>)
// CHECK: ^bb0(%[[IN:.*]]: i64, %{{.*}}: f32):
// CHECK: linalg.index 0
// CHECK: arith.index_cast
// CHECK: %[[BAD:.*]] = arith.cmpi uge, %{{.*}}, %c5 : index
// CHECK: scf.if %[[BAD]] {
// CHECK:   func.call @attune_check_failed(%c0_i64, %[[IN]], %c5_i64) : (i64, i64, i64) -> ()
// CHECK: }
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %{{.*}} : tensor<4x5xf32>
// CHECK: func.func private @attune_check_failed(i64, i64, i64)
func.func @gather(%d: tensor<4x5xf32>, %i: tensor<2xi64>) -> tensor<4x2xf32> {
  %0 = onnx.node "Gather" v13 (%d, %i) {axis = 1 : i64} : (tensor<4x5xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// CHECK-LABEL: func.func @expand_trilu_pad
// CHECK: linalg.generic
// CHECK: arith.cmpi sge
// CHECK: linalg.fill
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[1, 0] [3, 4] [1, 1]
func.func @expand_trilu_pad(%a: tensor<3x1xf32>) -> (tensor<3x4xf32>, tensor<6x4xf32>) {
  %sh = arith.constant dense<[3, 4]> : tensor<2xi64>
  %0 = onnx.node "Expand" v13 (%a, %sh) : (tensor<3x1xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  %1 = onnx.node "Trilu" v14 (%0) : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %pads = arith.constant dense<[1, 0, 2, 0]> : tensor<4xi64>
  %2 = onnx.node "Pad" v13 (%1, %pads) : (tensor<3x4xf32>, tensor<4xi64>) -> tensor<6x4xf32>
  return %1, %2 : tensor<3x4xf32>, tensor<6x4xf32>
}
