// attn-apply-policy: each rule of a JSON policy becomes its pass with
// layers/heads; rules apply in order; `dense` exempts heads or undoes
// sparsity and score modifiers.
// RUN: split-file %s %t
// RUN: attune-opt %t/twelve.mlir --attn-apply-policy=file=%t/issue.json | FileCheck %s --check-prefix=ISSUE
// RUN: attune-opt %t/twelve.mlir --attn-apply-policy=file=%t/mixed.json | FileCheck %s --check-prefix=MIXED
// RUN: attune-opt %t/twelve.mlir --attn-apply-policy=file=%t/undo.json | FileCheck %s --check-prefix=UNDO
// RUN: attune-opt %t/twelve.mlir --attn-apply-policy=file=%t/empty.json | FileCheck %s --check-prefix=EMPTY

// The issue's example: layers 0-1 dense, 2-11 window 256 with 4 sinks, heads
// 3 and 7 of every layer dense (on windowed sites they join dense_heads).
// ISSUE-LABEL: func.func @twelve
// ISSUE: attn.sdpa {{.*}}{attn.site = 0 : i64, causal = #attn.causal<top_left>} :
// ISSUE: attn.sdpa {{.*}}{attn.site = 1 : i64, causal = #attn.causal<top_left>} :
// ISSUE-COUNT-10: {attn.site = {{[0-9]+}} : i64, causal = #attn.causal<top_left>, dense_heads = array<i64: 3, 7>, window = #attn.window<sinks = 4, left = 255, right = 0>}

// Linear, calibrated, dynamic (moba/sla shorthands and "select"), window
// on some heads, then dense exemptions and undo; sites keep their indices
// after site 0 became attn.linear.
// MIXED-LABEL: func.func @twelve
// MIXED: attn.linear {{.*}}attn.site = 0 : i64, causal, variant = #attn.linear<kernelized>
// MIXED: attn.sdpa {{.*}}{attn.site = 1 : i64, causal = #attn.causal<top_left>, score_mod = #attn.act<beta = 2.500000e-01 : f64, tau = 5.000000e-02 : f64>, score_mod_heads = array<i64: 0, 1, 2, 3>}
// MIXED: attn.block_select {{.*}}method = #attn.select<moba>
// MIXED: attn.sdpa {{.*}}attn.site = 2 : i64, block_size = array<i64: 4, 4>
// MIXED: attn.block_select {{.*}}method = #attn.select<moba>
// MIXED: attn.sdpa {{.*}}attn.site = 3 : i64, block_size = array<i64: 4, 4>
// MIXED: attn.block_select {{.*}}method = #attn.select<sla>{{.*}}topk_ratio = 5.000000e-01 : f64
// MIXED: attn.sdpa {{.*}}attn.site = 4 : i64, block_size = array<i64: 4, 4>
// MIXED: attn.block_select {{.*}}method = #attn.select<sla>
// MIXED: attn.sdpa {{.*}}attn.site = 5 : i64, block_size = array<i64: 4, 4>
// MIXED: {attn.site = 6 : i64, causal = #attn.causal<top_left>, dense_heads = array<i64: 6, 7>, score_mod = #attn.zero_tuning<gamma = 2.500000e+00 : f64>, window = #attn.window<sinks = 2, left = 7, right = 0>}
// MIXED: {attn.site = 7 : i64, causal = #attn.causal<top_left>} :
// MIXED-COUNT-4: dense_heads = array<i64: 1, 6, 7>, window = #attn.window<sinks = 2, left = 7, right = 0>}

// dense without heads removes window, block map (and its producer),
// dense_heads, compensation and score modifiers; with heads it takes them
// out of score_mod_heads.
// UNDO-LABEL: func.func @twelve
// UNDO-NOT: attn.block_select
// UNDO: {attn.site = 0 : i64, causal = #attn.causal<top_left>} :
// UNDO: {attn.site = 1 : i64, causal = #attn.causal<top_left>} :
// UNDO: {attn.site = 2 : i64, causal = #attn.causal<top_left>, score_mod = #attn.zero_tuning<gamma = 2.000000e+00 : f64>, score_mod_heads = array<i64: 0, 1, 2, 4, 5, 6, 7>}
// UNDO: {attn.site = 3 : i64, causal = #attn.causal<top_left>} :

// An empty policy changes nothing.
// EMPTY-LABEL: func.func @twelve
// EMPTY-COUNT-12: causal = #attn.causal<top_left>} :

//--- twelve.mlir
func.func @twelve(%q: tensor<1x8x16x4xf32>, %k: tensor<1x8x16x4xf32>, %v: tensor<1x8x16x4xf32>) -> (tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>) {
  %o0 = attn.sdpa %q, %k, %v {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o1 = attn.sdpa %q, %k, %v {attn.site = 1 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o2 = attn.sdpa %q, %k, %v {attn.site = 2 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o3 = attn.sdpa %q, %k, %v {attn.site = 3 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o4 = attn.sdpa %q, %k, %v {attn.site = 4 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o5 = attn.sdpa %q, %k, %v {attn.site = 5 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o6 = attn.sdpa %q, %k, %v {attn.site = 6 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o7 = attn.sdpa %q, %k, %v {attn.site = 7 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o8 = attn.sdpa %q, %k, %v {attn.site = 8 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o9 = attn.sdpa %q, %k, %v {attn.site = 9 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o10 = attn.sdpa %q, %k, %v {attn.site = 10 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  %o11 = attn.sdpa %q, %k, %v {attn.site = 11 : i64, causal = #attn.causal<top_left>} : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32> -> tensor<1x8x16x4xf32>
  return %o0, %o1, %o2, %o3, %o4, %o5, %o6, %o7, %o8, %o9, %o10, %o11 : tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>
}

//--- issue.json
[
  {"layers": "0-1", "method": "dense"},
  {"layers": "2-11", "method": "window", "window": 256, "sinks": 4},
  {"heads": [3, 7], "method": "dense"}
]
//--- mixed.json
{"rules": [
  {"layers": 0, "method": "elu1", "comment": "linear attention on site 0"},
  {"layers": "1", "method": "act", "beta": 0.25, "tau": 0.05, "heads": "0-3"},
  {"layers": [2, 3], "method": "moba", "block-q": 4, "block-k": 4, "topk": 2},
  {"layers": "4-5", "method": "dynamic", "select": "sla", "block-q": 4, "block-k": 4, "topk-ratio": 0.5},
  {"layers": "6-11", "method": "window", "window": 8, "sinks": 2, "heads": "0-5"},
  {"layers": "6", "method": "zerotuning", "gamma": 2.5},
  {"layers": "7", "method": "dense"},
  {"layers": "8-11", "heads": 1, "method": "dense"}
]}
//--- undo.json
[
  {"layers": "0", "method": "headwise", "retrieval-heads": "0", "sinks": 2, "recent": 4, "compensation": true},
  {"layers": "1", "method": "moba", "block-q": 4, "block-k": 4, "topk": 1},
  {"layers": "2", "method": "zerotuning", "gamma": 2},
  {"layers": "3", "method": "act"},
  {"layers": "0-3", "method": "dense"},
  {"layers": "2", "method": "zerotuning", "gamma": 2},
  {"layers": "2-3", "heads": "3", "method": "dense"}
]
//--- empty.json
[]
