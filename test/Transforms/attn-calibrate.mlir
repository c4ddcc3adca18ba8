// RUN: attune-opt %s --split-input-file --attn-calibrate | FileCheck %s
// RUN: attune-opt %s --split-input-file --attn-calibrate="method=zerotuning gamma=0.5 heads=1,3" | FileCheck %s --check-prefix=HEADS
// RUN: attune-opt %s --split-input-file --attn-calibrate="method=act" | FileCheck %s --check-prefix=ACT
// RUN: attune-opt %s --split-input-file --attn-calibrate="method=act beta=0.25 tau=0.05 layers=1" | FileCheck %s --check-prefix=LAYER

// Default: ZeroTuning with gamma 1.5 on every head of every site; the other
// attributes are left alone.
// CHECK-LABEL: func.func @two_sites
// CHECK: attn.sdpa {{.*}}{attn.site = 0 : i64, causal = #attn.causal<top_left>, score_mod = #attn.zero_tuning<gamma = 1.500000e+00 : f64>}
// CHECK: attn.sdpa {{.*}}{attn.site = 1 : i64, score_mod = #attn.zero_tuning<gamma = 1.500000e+00 : f64>}
// HEADS-LABEL: func.func @two_sites
// HEADS: score_mod = #attn.zero_tuning<gamma = 5.000000e-01 : f64>, score_mod_heads = array<i64: 1, 3>
// HEADS: score_mod = #attn.zero_tuning<gamma = 5.000000e-01 : f64>, score_mod_heads = array<i64: 1, 3>
// ACT-LABEL: func.func @two_sites
// ACT: score_mod = #attn.act<beta = 4.000000e-01 : f64, tau = 1.000000e-01 : f64>
// ACT-NOT: score_mod_heads
// ACT: score_mod = #attn.act<beta = 4.000000e-01 : f64, tau = 1.000000e-01 : f64>
// LAYER-LABEL: func.func @two_sites
// LAYER: attn.sdpa {{.*}}{attn.site = 0 : i64, causal = #attn.causal<top_left>} :
// LAYER: attn.sdpa {{.*}}{attn.site = 1 : i64, score_mod = #attn.act<beta = 2.500000e-01 : f64, tau = 5.000000e-02 : f64>}
func.func @two_sites(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) {
  %0 = attn.sdpa %q, %k, %v {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  %1 = attn.sdpa %q, %k, %v {attn.site = 1 : i64} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %0, %1 : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
}

// -----

// GQA: heads are query heads. A site that already has a modifier gets the
// new one when the new heads cover the old ones, the union of heads when it
// is the same modifier; sparsity attributes stay.
// CHECK-LABEL: func.func @gqa_existing
// CHECK: attn.sdpa {{.*}}{attn.site = 1 : i64, score_mod = #attn.zero_tuning<gamma = 1.500000e+00 : f64>} :
// CHECK: attn.sdpa {{.*}}{attn.site = 0 : i64, causal = #attn.causal<top_left>, score_mod = #attn.zero_tuning<gamma = 1.500000e+00 : f64>, window = #attn.window<sinks = 4, left = 3, right = 0>} :
// HEADS-LABEL: func.func @gqa_existing
// HEADS: attn.site = 1 : i64, score_mod = #attn.zero_tuning<gamma = 5.000000e-01 : f64>, score_mod_heads = array<i64: 1, 3>}
// HEADS: attn.site = 0 : i64, causal = #attn.causal<top_left>, score_mod = #attn.zero_tuning<gamma = 5.000000e-01 : f64>, score_mod_heads = array<i64: 1, 3, 5>, window
// ACT-LABEL: func.func @gqa_existing
// ACT: attn.site = 1 : i64, score_mod = #attn.act<beta = 4.000000e-01 : f64, tau = 1.000000e-01 : f64>} :
// ACT: attn.site = 0 : i64, causal = #attn.causal<top_left>, score_mod = #attn.act<beta = 4.000000e-01 : f64, tau = 1.000000e-01 : f64>, window
// LAYER-LABEL: func.func @gqa_existing
// LAYER: attn.sdpa {{.*}}{attn.site = 1 : i64, score_mod = #attn.act<beta = 2.500000e-01 : f64, tau = 5.000000e-02 : f64>} :
// LAYER: attn.sdpa {{.*}}{attn.site = 0 : i64, causal = #attn.causal<top_left>, score_mod = #attn.zero_tuning<gamma = 5.000000e-01 : f64>, score_mod_heads = array<i64: 5>, window
func.func @gqa_existing(%q: tensor<1x8x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>) {
  %1 = attn.sdpa %q, %k, %v {attn.site = 1 : i64} : tensor<1x8x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x8x8x16xf32>
  %0 = attn.sdpa %q, %k, %v {attn.site = 0 : i64, causal = #attn.causal<top_left>, score_mod = #attn.zero_tuning<gamma = 5.000000e-01 : f64>, score_mod_heads = array<i64: 5>, window = #attn.window<sinks = 4, left = 3, right = 0>} : tensor<1x8x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x8x8x16xf32>
  return %0, %1 : tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>
}
