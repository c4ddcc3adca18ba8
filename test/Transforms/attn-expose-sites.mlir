// RUN: attune-opt %s --split-input-file --verify-diagnostics --attn-expose-sites | FileCheck %s
// RUN: attune-opt %s --split-input-file --verify-diagnostics --attn-expose-sites="stats=false probs=true" | FileCheck %s --check-prefix=PROBS
// RUN: attune-opt %s --split-input-file --verify-diagnostics --attn-expose-sites="outputs=false" | FileCheck %s --check-prefix=STATS

// A dense site's statistics are constants (every visible key kept); a
// windowed site's are computed in the graph: one reduction over the dense
// probabilities, the kept map and the visibility map, with f64 accumulators.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<1x2x8x4xf32> {onnx.name = "Y"}, tensor<1x2x8x4xf32> {onnx.name = "Z"},
// CHECK-SAME: tensor<1x2x8x4xf32> {onnx.name = "site0.out"}, tensor<1xf32> {onnx.name = "site0.density"}, tensor<1xf32> {onnx.name = "site0.recall"},
// CHECK-SAME: tensor<1x2x8x4xf32> {onnx.name = "site1.out"}, tensor<1xf32> {onnx.name = "site1.density"}, tensor<1xf32> {onnx.name = "site1.recall"})
// CHECK: %[[S0:.*]] = attn.sdpa {{.*}}attn.site = 0
// CHECK: %[[S1:.*]] = attn.sdpa {{.*}}attn.site = 1
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[D0:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK: %[[T0:.*]] = tensor.from_elements %[[D0]] : tensor<1xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "reduction", "reduction"]{{.*}}outs({{.*}}tensor<f64>, tensor<f64>, tensor<f64>, tensor<f64>)
// CHECK: math.round
// Site outputs that are also model outputs are returned as copies (one
// buffer cannot become two out-params).
// CHECK: %[[C0:.*]] = bufferization.alloc_tensor() copy(%[[S0]])
// CHECK: %[[C1:.*]] = bufferization.alloc_tensor() copy(%[[S1]])
// CHECK: return %[[S0]], %[[S1]], %[[C0]], %[[T0]], %{{.*}}, %[[C1]], %{{.*}}, %{{.*}} :
// PROBS-LABEL: func.func @main
// PROBS-SAME: tensor<1x2x8x4xf32> {onnx.name = "site0.out"}, tensor<1x2x8x8xf32> {onnx.name = "site0.probs"}, tensor<1x2x8x4xf32> {onnx.name = "site1.out"}, tensor<1x2x8x8xf32> {onnx.name = "site1.probs"})
// PROBS-NOT: math.round
// STATS-LABEL: func.func @main
// STATS-SAME: tensor<1x2x8x4xf32> {onnx.name = "Z"}, tensor<1xf32> {onnx.name = "site0.density"}, tensor<1xf32> {onnx.name = "site0.recall"}, tensor<1xf32> {onnx.name = "site1.density"}, tensor<1xf32> {onnx.name = "site1.recall"})
func.func @main(%q: tensor<1x2x8x4xf32> {onnx.name = "Q"}, %k: tensor<1x2x8x4xf32> {onnx.name = "K"}) -> (tensor<1x2x8x4xf32> {onnx.name = "Y"}, tensor<1x2x8x4xf32> {onnx.name = "Z"}) {
  %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  %1 = attn.sdpa %q, %k, %0 {attn.site = 1 : i64, window = #attn.window<sinks = 1, left = 2, right = 0>} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %0, %1 : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}

// -----

// Linear attention computes no score matrix: density 0 next to softmax
// heads, recall NaN. A site
// split over ops (linear heads + softmax heads) exposes the value that
// combines them. Sdpa ops without a site index are numbered after the others.
// CHECK-LABEL: func.func @main
// CHECK-SAME: {onnx.name = "site3.out"}, tensor<1xf32> {onnx.name = "site3.density"}, tensor<1xf32> {onnx.name = "site3.recall"}, tensor<1x4x8x4xf32> {onnx.name = "site4.out"}
// CHECK: %[[L:.*]] = attn.linear
// CHECK: %[[D:.*]] = attn.sdpa
// CHECK: %[[C:.*]] = tensor.concat dim(1) %[[L]], %[[D]]
// CHECK: %[[U:.*]] = attn.sdpa %{{.*}} : tensor<1x4x8x4xf32>
// CHECK-DAG: arith.constant 0x7FF8000000000000 : f64
// CHECK: %[[CC:.*]] = bufferization.alloc_tensor() copy(%[[C]])
// CHECK: %[[CU:.*]] = bufferization.alloc_tensor() copy(%[[U]])
// CHECK: return %[[C]], %[[U]], %[[CC]], %{{.*}}, %{{.*}}, %[[CU]],
func.func @main(%q: tensor<1x2x8x4xf32>, %r: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
  %0 = attn.linear %q, %q, %q {attn.site = 3 : i64, variant = #attn.linear<kernelized>} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  %1 = attn.sdpa %q, %q, %q {attn.site = 3 : i64} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  %2 = tensor.concat dim(1) %0, %1 : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x4x8x4xf32>
  %3 = attn.sdpa %r, %r, %r : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
  return %2, %3 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
}

// -----

// A site that is linear attention alone has no density either: both NaN
// (attune eval prints "-").
// CHECK-LABEL: func.func @main
// CHECK-SAME: {onnx.name = "site0.density"}, tensor<1xf32> {onnx.name = "site0.recall"})
// CHECK-NOT: arith.divf
// CHECK: %[[N:.*]] = arith.constant 0x7FF8000000000000 : f64
// CHECK-NOT: arith.divf
// CHECK: return
func.func @main(%q: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %0 = attn.linear %q, %q, %q {attn.site = 0 : i64, variant = #attn.linear<kernelized>} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %0 : tensor<1x2x8x4xf32>
}

// -----

// expected-error @+1 {{attn-expose-sites: expected a func.func @main with one block}}
module {
  func.func @other(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}
