// attn-sparsify: every pattern and option, on a causal MHA site (@causal),
// a non-causal GQA site (@bidir) and a two-site module (@two).
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=window window=16 sinks=2' | FileCheck %s --check-prefix=WIN
// RUN: attune-opt %s --split-input-file --attn-sparsify | FileCheck %s --check-prefix=WDEF
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=window window=16 heads=1,3' | FileCheck %s --check-prefix=WHEADS
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=window window=16 causal-form=bidirectional' | FileCheck %s --check-prefix=WBID
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=window window=16 causal-form=causal compensation=true' | FileCheck %s --check-prefix=WCAU
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=neighborhood kernel=5 dilation=2' | FileCheck %s --check-prefix=NAT
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=neighborhood sinks=1' | FileCheck %s --check-prefix=NDEF
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=headwise retrieval-heads=0,3' | FileCheck %s --check-prefix=HEAD
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=headwise retrieval-heads=1 sinks=4 recent=32 compensation=true heads=0-2' | FileCheck %s --check-prefix=HCOMP
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=block-static block-size=16 local-blocks=1 stride=2' | FileCheck %s --check-prefix=BS
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=block-static block-size=32 layout-kind=local local-blocks=1 heads=0' | FileCheck %s --check-prefix=BSLOC
// RUN: echo '{"block_size": 32, "block_row_indices": [[0,1,3,5],[0,2,4,7]], "block_col_indices": [[0,0,1,1,2,-1,-1],[0,1,0,1,0,1,2]]}' > %t.json
// RUN: attune-opt %s --split-input-file --attn-sparsify="pattern=block-static block-size=32 layout=%t.json" | FileCheck %s --check-prefix=BSFILE
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=dynamic method=moba block-q=16 block-k=16 topk=2' | FileCheck %s --check-prefix=MOBA
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=dynamic method=sla' | FileCheck %s --check-prefix=SLA
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=dynamic method=sla block-q=16 block-k=8 topk-ratio=0.5 sink-blocks=1 local-blocks=2 heads=2' | FileCheck %s --check-prefix=SLAOPT
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=dynamic method=sale min-q-len=0' | FileCheck %s --check-prefix=SALE
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=dynamic method=sale tau=0.01 block-k=16 min-q-len=32' | FileCheck %s --check-prefix=SALEOPT
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=dynamic' | FileCheck %s --check-prefix=SALEDEF
// RUN: attune-opt %s --split-input-file --attn-sparsify='pattern=window window=8 layers=0' | FileCheck %s --check-prefix=LAYERS

// WIN-LABEL: func @causal
// WIN: attn.sdpa {{.*}}window = #attn.window<sinks = 2, left = 15, right = 0>
// WDEF-LABEL: func @causal
// WDEF: window = #attn.window<sinks = 4, left = 511, right = 0>
// WHEADS-LABEL: func @causal
// WHEADS: dense_heads = array<i64: 0, 2>, window = #attn.window<sinks = 4, left = 15, right = 0>
// WBID-LABEL: func @causal
// WBID: window = #attn.window<sinks = 4, left = 8, right = 8>
// WCAU-LABEL: func @causal
// WCAU: compensation, window = #attn.window<sinks = 4, left = 15, right = 0>
// NAT-LABEL: func @causal
// NAT: window = #attn.window<sinks = 0, left = 4, right = 0, dilation = 2, clamp = true>
// NDEF-LABEL: func @causal
// NDEF: window = #attn.window<sinks = 1, left = 6, right = 0, clamp = true>
// HEAD-LABEL: func @causal
// HEAD-NOT: compensation
// HEAD: dense_heads = array<i64: 0, 3>, window = #attn.window<sinks = 64, left = 255, right = 0>
// HCOMP-LABEL: func @causal
// HCOMP: compensation, dense_heads = array<i64: 1, 3>, window = #attn.window<sinks = 4, left = 31, right = 0>
// BS-LABEL: func @causal
// BS: %[[M:.*]] = arith.constant dense<{{\[\[\[}}[true, false, false, false], [false, true, false, false], [false, true, true, false], [false, true, false, true]]]]> : tensor<1x1x4x4xi1>
// BS: attn.sdpa %{{.*}} block_mask(%[[M]] : tensor<1x1x4x4xi1>) {{.*}}block_size = array<i64: 16, 16>
// BSLOC-LABEL: func @causal
// BSLOC: arith.constant dense<{{\[\[\[}}[true, false], [false, true]]]]> : tensor<1x1x2x2xi1>
// BSLOC: block_size = array<i64: 32, 32>, {{.*}}dense_heads = array<i64: 1, 2, 3>
// BSFILE-LABEL: func @causal
// BSFILE: arith.constant dense<{{\[\[\[}}[true, false], [true, true]], {{\[\[}}true, true], [true, true]], {{\[\[}}true, false], [true, true]], {{\[\[}}true, true], [true, true]]]]> : tensor<1x4x2x2xi1>
// MOBA-LABEL: func @causal
// MOBA: %[[M:.*]] = attn.block_select %arg0, %arg1 {block_k = 16 : i64, block_q = 16 : i64, causal = #attn.causal<top_left>, method = #attn.select<moba>, sink_blocks = 0 : i64, topk = 2 : i64} : {{.*}} -> tensor<1x4x4x4xi1>
// MOBA: attn.sdpa %arg0, %arg1, %arg2 block_mask(%[[M]] : tensor<1x4x4x4xi1>) {{.*}}block_size = array<i64: 16, 16>
// SLA-LABEL: func @causal
// SLA: attn.block_select {{.*}}{block_k = 64 : i64, block_q = 64 : i64, causal = #attn.causal<top_left>, local_blocks = 0 : i64, method = #attn.select<sla>, sink_blocks = 0 : i64, topk_ratio = 2.000000e-01 : f64}
// SLAOPT-LABEL: func @causal
// SLAOPT: attn.block_select {{.*}}{block_k = 8 : i64, block_q = 16 : i64, causal = #attn.causal<top_left>, local_blocks = 2 : i64, method = #attn.select<sla>, topk_ratio = 5.000000e-01 : f64} : {{.*}} -> tensor<1x4x4x8xi1>
// SLAOPT: dense_heads = array<i64: 0, 1, 3>
// SALE-LABEL: func @causal
// SALE: attn.block_select {{.*}}{block_k = 32 : i64, block_q = 64 : i64, causal = #attn.causal<top_left>, local_blocks = 4 : i64, method = #attn.select<sale>} : {{.*}} -> tensor<1x4x1x2xi1>
// SALE: block_size = array<i64: 64, 32>
// SALEOPT-LABEL: func @causal
// SALEOPT: attn.block_select {{.*}}{block_k = 16 : i64, block_q = 64 : i64, causal = #attn.causal<top_left>, local_blocks = 8 : i64, method = #attn.select<sale>, tau = 1.000000e-02 : f64}
// SALEDEF-LABEL: func @causal
// SALEDEF-NOT: block_select
// SALEDEF-NOT: block_mask
func.func @causal(%q: tensor<1x4x64x16xf32>, %k: tensor<1x4x64x16xf32>, %v: tensor<1x4x64x16xf32>) -> tensor<1x4x64x16xf32> {
  %o = attn.sdpa %q, %k, %v {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32> -> tensor<1x4x64x16xf32>
  return %o : tensor<1x4x64x16xf32>
}

// -----

// WIN-LABEL: func @bidir
// WIN: window = #attn.window<sinks = 2, left = 8, right = 8>
// WCAU-LABEL: func @bidir
// WCAU: window = #attn.window<sinks = 4, left = 15, right = 0>
// NAT-LABEL: func @bidir
// NAT: window = #attn.window<sinks = 0, left = 2, right = 2, dilation = 2, clamp = true>
// HEAD-LABEL: func @bidir
// HEAD: window = #attn.window<sinks = 64, left = 128, right = 128>
// BS-LABEL: func @bidir
// BS: arith.constant dense<{{\[\[\[}}[true, true, false, true, false], [false, true, false, true, false], [false, true, true, true, false], [false, true, false, true, false], [false, true, false, true, true]]]]> : tensor<1x1x5x5xi1>
// BSFILE-LABEL: func @bidir
// BSFILE: tensor<1x4x3x3xi1>
// MOBA-LABEL: func @bidir
// MOBA: attn.block_select {{.*}}method = #attn.select<moba>, scale = 2.500000e-01 : f64, sink_blocks = 0 : i64, topk = 2 : i64} : {{.*}} -> tensor<1x4x5x5xi1>
// SALEOPT-LABEL: func @bidir
// SALEOPT: attn.block_select
func.func @bidir(%q: tensor<1x4x80x16xf32>, %k: tensor<1x2x80x16xf32>, %v: tensor<1x2x80x16xf32>) -> tensor<1x4x80x16xf32> {
  %o = attn.sdpa %q, %k, %v {attn.site = 0 : i64, scale = 2.5e-01 : f64} : tensor<1x4x80x16xf32>, tensor<1x2x80x16xf32>, tensor<1x2x80x16xf32> -> tensor<1x4x80x16xf32>
  return %o : tensor<1x4x80x16xf32>
}

// -----

// Sites are numbered by attn.site, not by program order.
// LAYERS-LABEL: func @two
// LAYERS: attn.sdpa %arg0, %arg1, %arg2 {attn.site = 1 : i64} :
// LAYERS: attn.sdpa %arg0, %arg1, %arg2 {attn.site = 0 : i64, window = #attn.window<sinks = 4, left = 4, right = 4>} :
func.func @two(%q: tensor<1x4x64x8xf32>, %k: tensor<1x4x64x8xf32>, %v: tensor<1x4x64x8xf32>) -> (tensor<1x4x64x8xf32>, tensor<1x4x64x8xf32>) {
  %a = attn.sdpa %q, %k, %v {attn.site = 1 : i64} : tensor<1x4x64x8xf32>, tensor<1x4x64x8xf32>, tensor<1x4x64x8xf32> -> tensor<1x4x64x8xf32>
  %b = attn.sdpa %q, %k, %v {attn.site = 0 : i64} : tensor<1x4x64x8xf32>, tensor<1x4x64x8xf32>, tensor<1x4x64x8xf32> -> tensor<1x4x64x8xf32>
  return %a, %b : tensor<1x4x64x8xf32>, tensor<1x4x64x8xf32>
}
