// RUN: attune-opt %s --canonicalize --split-input-file | FileCheck %s

// A constant lower-triangular keep-mask is the causal attribute.
// CHECK-LABEL: func @tril_bool
// CHECK: attn.sdpa %arg0, %arg1, %arg2 {causal = #attn.causal<top_left>}
// CHECK-NOT: mask
func.func @tril_bool(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x3x4xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %m = arith.constant dense<[[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
  %o = attn.sdpa %q, %k, %v mask(%m : tensor<3x3xi1>) : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// An additive mask with -inf above the diagonal, aligned bottom-right (a
// decode step with 2 new queries over 4 keys).
// CHECK-LABEL: func @additive_bottom_right
// CHECK: attn.sdpa %arg0, %arg1, %arg2 {causal = #attn.causal<bottom_right>}
func.func @additive_bottom_right(%q: tensor<1x2x2x4xf32>, %k: tensor<1x2x4x4xf32>, %v: tensor<1x2x4x4xf32>) -> tensor<1x2x2x4xf32> {
  %m = arith.constant dense<[[[[0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]]]> : tensor<1x1x2x4xf32>
  %o = attn.sdpa %q, %k, %v mask(%m : tensor<1x1x2x4xf32>) : tensor<1x2x2x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x2x4xf32>
  return %o : tensor<1x2x2x4xf32>
}

// -----

// An all-visible mask (splat true, or zeros) is dropped.
// CHECK-LABEL: func @all_visible
// CHECK: attn.sdpa %arg0, %arg1, %arg2 :
// CHECK: attn.sdpa %arg0, %arg1, %arg2 :
func.func @all_visible(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x3x4xf32>, %v: tensor<1x2x3x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) {
  %t = arith.constant dense<true> : tensor<1x1x3x3xi1>
  %z = arith.constant dense<0.0> : tensor<3xf32>
  %o = attn.sdpa %q, %k, %v mask(%t : tensor<1x1x3x3xi1>) : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  %p = attn.sdpa %q, %k, %v mask(%z : tensor<3xf32>) : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o, %p : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>
}

// -----

// A finite bias, a non-causal pattern, or a per-batch mask stay masks.
// CHECK-LABEL: func @kept
// CHECK: attn.sdpa {{.*}} mask(%{{.*}} : tensor<3x3xf32>)
// CHECK: attn.sdpa {{.*}} mask(%{{.*}} : tensor<3x3xi1>)
// CHECK: attn.sdpa {{.*}} mask(%{{.*}} : tensor<1x2x3x3xi1>)
func.func @kept(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x3x4xf32>, %v: tensor<1x2x3x4xf32>, %r: tensor<1x2x3x3xi1>) -> (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) {
  %b = arith.constant dense<[[0.0, -1.0, -2.0], [0.0, 0.0, -1.0], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %w = arith.constant dense<[[true, true, false], [false, true, true], [false, false, true]]> : tensor<3x3xi1>
  %o = attn.sdpa %q, %k, %v mask(%b : tensor<3x3xf32>) : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  %p = attn.sdpa %q, %k, %v mask(%w : tensor<3x3xi1>) : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  %s = attn.sdpa %q, %k, %v mask(%r : tensor<1x2x3x3xi1>) : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o, %p, %s : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>
}

// -----

// Half-precision additive masks are read through APFloat: -10000 above the
// diagonal is causal, a finite bias stays a mask.
// CHECK-LABEL: func @additive_f16
// CHECK: attn.sdpa %arg0, %arg1, %arg2 {causal = #attn.causal<top_left>}
// CHECK: attn.sdpa {{.*}} mask(%{{.*}} : tensor<3x3xf16>)
func.func @additive_f16(%q: tensor<1x2x3x4xf16>, %k: tensor<1x2x3x4xf16>, %v: tensor<1x2x3x4xf16>) -> (tensor<1x2x3x4xf16>, tensor<1x2x3x4xf16>) {
  %c = arith.constant dense<[[0.0, -10000.0, -10000.0], [0.0, 0.0, -10000.0], [0.0, 0.0, 0.0]]> : tensor<3x3xf16>
  %b = arith.constant dense<[[0.0, -1.0, -10000.0], [0.0, 0.0, -10000.0], [0.0, 0.0, 0.0]]> : tensor<3x3xf16>
  %o = attn.sdpa %q, %k, %v mask(%c : tensor<3x3xf16>) : tensor<1x2x3x4xf16>, tensor<1x2x3x4xf16>, tensor<1x2x3x4xf16> -> tensor<1x2x3x4xf16>
  %p = attn.sdpa %q, %k, %v mask(%b : tensor<3x3xf16>) : tensor<1x2x3x4xf16>, tensor<1x2x3x4xf16>, tensor<1x2x3x4xf16> -> tensor<1x2x3x4xf16>
  return %o, %p : tensor<1x2x3x4xf16>, tensor<1x2x3x4xf16>
}
