// RUN: attune-opt %s | attune-opt | FileCheck %s
// RUN: attune-opt %s --mlir-print-op-generic | attune-opt | FileCheck %s

// CHECK-LABEL: func @mha
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
func.func @mha(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// CHECK-LABEL: func @gqa_decode
// CHECK: attn.sdpa {{.*}} {causal = #attn.causal<bottom_right>, scale = 1.250000e-01 : f64, softcap = 5.000000e+01 : f64}
func.func @gqa_decode(%q: tensor<1x8x1x64xf32>, %k: tensor<1x2x33x64xf32>, %v: tensor<1x2x33x32xf32>) -> tensor<1x8x1x32xf32> {
  %o = attn.sdpa %q, %k, %v {causal = #attn.causal<bottom_right>, scale = 0.125 : f64, softcap = 50.0 : f64} : tensor<1x8x1x64xf32>, tensor<1x2x33x64xf32>, tensor<1x2x33x32xf32> -> tensor<1x8x1x32xf32>
  return %o : tensor<1x8x1x32xf32>
}

// CHECK-LABEL: func @masks
// CHECK: attn.sdpa {{.*}} mask(%{{.*}} : tensor<1x1x1x7xi1>)
// CHECK: attn.sdpa {{.*}} mask(%{{.*}} : tensor<5x7xf16>)
func.func @masks(%q: tensor<1x2x5x8xf32>, %k: tensor<1x1x7x8xf32>, %v: tensor<1x1x7x8xf32>, %b: tensor<1x1x1x7xi1>,
                 %qh: tensor<1x2x5x8xf16>, %kh: tensor<1x2x7x8xf16>, %vh: tensor<1x2x7x8xf16>, %a: tensor<5x7xf16>) -> (tensor<1x2x5x8xf32>, tensor<1x2x5x8xf16>) {
  %o = attn.sdpa %q, %k, %v mask(%b : tensor<1x1x1x7xi1>) : tensor<1x2x5x8xf32>, tensor<1x1x7x8xf32>, tensor<1x1x7x8xf32> -> tensor<1x2x5x8xf32>
  %p = attn.sdpa %qh, %kh, %vh mask(%a : tensor<5x7xf16>) {causal = #attn.causal<top_left>} : tensor<1x2x5x8xf16>, tensor<1x2x7x8xf16>, tensor<1x2x7x8xf16> -> tensor<1x2x5x8xf16>
  return %o, %p : tensor<1x2x5x8xf32>, tensor<1x2x5x8xf16>
}

// CHECK-LABEL: func @dynamic
// CHECK: attn.sdpa {{.*}} : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
func.func @dynamic(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}
