// attn-sparsify errors: each is a diagnostic naming the option or the site,
// never a crash. Site errors are checked with --verify-diagnostics on the
// sections below (split-file); option errors, which do not depend on the
// input, with FileCheck.
// RUN: rm -rf %t && split-file %s %t
// RUN: attune-opt %t/static.mlir --split-input-file --verify-diagnostics --attn-sparsify='pattern=block-static block-size=32 heads=3'
// RUN: attune-opt %t/dynamic.mlir --split-input-file --verify-diagnostics --attn-sparsify='pattern=dynamic method=moba block-q=16 block-k=16 topk=2'
// RUN: attune-opt %t/neighborhood.mlir --split-input-file --verify-diagnostics --attn-sparsify='pattern=neighborhood kernel=6'
// RUN: attune-opt %t/layers.mlir --verify-diagnostics --attn-sparsify='pattern=window layers=2'
// RUN: attune-opt %t/retrieval.mlir --verify-diagnostics --attn-sparsify='pattern=headwise retrieval-heads=9'
// RUN: attune-opt %t/twice.mlir --split-input-file --verify-diagnostics --attn-sparsify='pattern=window window=8'
// RUN: attune-opt %t/layout.mlir --split-input-file --verify-diagnostics --attn-sparsify='pattern=block-static block-size=8 layout=%t/three-layouts.json'
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=bogus' 2>&1 | FileCheck %s --check-prefix=PATTERN
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic method=flash' 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=window window=0' 2>&1 | FileCheck %s --check-prefix=WINDOW
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=block-static block-size=0' 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic method=sla block-q=-4' 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic method=sale block-k=0' 2>&1 | FileCheck %s --check-prefix=BLOCKK
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic method=moba topk=0' 2>&1 | FileCheck %s --check-prefix=TOPK
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic method=sla topk-ratio=1.5' 2>&1 | FileCheck %s --check-prefix=RATIO
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic method=sla topk=3' 2>&1 | FileCheck %s --check-prefix=SLATOPK
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic method=sale tau=1.5' 2>&1 | FileCheck %s --check-prefix=TAU
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=window causal-form=sideways' 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic compensation=true' 2>&1 | FileCheck %s --check-prefix=COMP
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=block-static layout-kind=diagonal' 2>&1 | FileCheck %s --check-prefix=KIND
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=block-static layout=%t/missing.json' 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=block-static block-size=8 layout=%t/bad-col.json' 2>&1 | FileCheck %s --check-prefix=BADCOL
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=block-static block-size=16 layout=%t/three-layouts.json' 2>&1 | FileCheck %s --check-prefix=BADBS
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=window heads=1-x' 2>&1 | FileCheck %s --check-prefix=LIST
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=block-static block-size=8 layout=%t/short-ptr.json' 2>&1 | FileCheck %s --check-prefix=SHORTPTR
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=window window=4 sinks=-1' 2>&1 | FileCheck %s --check-prefix=MINUS1
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic method=sla topk-ratio=-0.1' 2>&1 | FileCheck %s --check-prefix=NEGRATIO
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=window window=4 topk=3' 2>&1 | FileCheck %s --check-prefix=STRAY
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=dynamic method=moba tau=0.5' 2>&1 | FileCheck %s --check-prefix=STRAYTAU
// RUN: not attune-opt %t/one.mlir --attn-sparsify='pattern=block-static block-size=8 layout=%t/extra-key.json' 2>&1 | FileCheck %s --check-prefix=EXTRAKEY

// PATTERN: error: attn-sparsify: unknown pattern 'bogus'; expected window, neighborhood, headwise, block-static or dynamic
// METHOD: error: attn-sparsify: unknown method 'flash'; expected moba, sla or sale
// WINDOW: error: attn-sparsify: window must be >= 1, got 0
// BLOCK: error: attn-sparsify: block-size must be >= 1, got 0
// NEG: error: attn-sparsify: block-q must be >= 0, got -4
// BLOCKK: error: attn-sparsify: block sizes must be >= 1, got block-q=64 block-k=0
// TOPK: error: attn-sparsify: topk must be >= 1, got 0
// RATIO: error: attn-sparsify: topk-ratio must be in (0, 1], got 1.5
// SLATOPK: error: attn-sparsify: method sla keeps a topk-ratio of the blocks; topk is for moba
// TAU: error: attn-sparsify: tau must be in (0, 1), got 1.5
// FORM: error: attn-sparsify: unknown causal-form 'sideways'; expected auto, causal or bidirectional
// COMP: error: attn-sparsify: compensation needs a window: use it with pattern window or headwise
// KIND: error: attn-sparsify: unknown layout-kind 'diagonal'; expected local-strided or local (or give a layout file)
// MISSING: error: attn-sparsify: cannot read layout file '{{.*}}missing.json'
// BADCOL: error: attn-sparsify: layout file '{{.*}}bad-col.json': layout 0: row 1 lists key block 5, outside the 2x2 grid
// BADBS: error: attn-sparsify: layout file '{{.*}}three-layouts.json': its block_size does not match block-size=16
// LIST: error: attn-sparsify: heads: expected a list of indices or ranges like '0-3,7', got '1-x'
// MINUS1: error: attn-sparsify: sinks must be >= 0, got -1
// NEGRATIO: error: attn-sparsify: topk-ratio must be in (0, 1], got -1.000000e-01
// STRAY: error: attn-sparsify: topk does not apply to pattern window
// STRAYTAU: error: attn-sparsify: tau does not apply to pattern dynamic with method moba
// SHORTPTR: error: attn-sparsify: layout file '{{.*}}short-ptr.json': layout 0: block_col_indices entry 2 is past the last row pointer (2) but is 1, not -1 padding
// EXTRAKEY: error: attn-sparsify: layout file '{{.*}}extra-key.json': unknown key 'block_cols' (expected block_size, block_row_indices, block_col_indices)

//--- one.mlir
func.func @one(%q: tensor<1x4x64x16xf32>, %k: tensor<1x4x64x16xf32>, %v: tensor<1x4x64x16xf32>) -> tensor<1x4x64x16xf32> {
  %o = attn.sdpa %q, %k, %v {attn.site = 0 : i64} : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32> -> tensor<1x4x64x16xf32>
  return %o : tensor<1x4x64x16xf32>
}

//--- bad-col.json
{"block_size": 8, "block_row_indices": [[0, 1, 2]], "block_col_indices": [[0, 5]]}

//--- short-ptr.json
{"block_size": 8, "block_row_indices": [[0, 1, 2]], "block_col_indices": [[0, 1, 1]]}

//--- extra-key.json
{"block_size": 8, "block_row_indices": [[0, 1, 2]], "block_col_indices": [[0, 1]], "block_cols": [[0]]}

//--- three-layouts.json
{"block_size": 8, "block_row_indices": [[0, 1, 2], [0, 1, 2], [0, 1, 2]],
 "block_col_indices": [[0, 1], [0, 0], [0, 1]]}

//--- static.mlir
func.func @head_out_of_range(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @+1 {{attn-sparsify: heads: head 3 does not exist; attention site 0 has 2 query heads (0-1)}}
  %o = attn.sdpa %q, %k, %v {attn.site = 0 : i64} : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

func.func @block_larger_than_keys(%q: tensor<1x4x16x16xf32>, %k: tensor<1x4x16x16xf32>, %v: tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32> {
  // expected-error @+1 {{attn-sparsify: block-size 32 is larger than the 16 keys of attention site 0}}
  %o = attn.sdpa %q, %k, %v {attn.site = 0 : i64} : tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32>
  return %o : tensor<1x4x16x16xf32>
}

// -----

func.func @unaligned_decode(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x50x16xf32>, %v: tensor<1x4x50x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{attn-sparsify: attention site 0 puts its queries at key position 42, not a multiple of block-size 32; a static layout needs block-aligned queries}}
  %o = attn.sdpa %q, %k, %v {attn.site = 0 : i64, causal = #attn.causal<bottom_right>} : tensor<1x4x8x16xf32>, tensor<1x4x50x16xf32>, tensor<1x4x50x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// expected-error @+1 {{attn-sparsify: the module has no attention site (attn.sdpa) to sparsify; run attn-raise first}}
module {
  func.func @no_attention(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

//--- dynamic.mlir
func.func @short_queries(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x32x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{attn-sparsify: blocks of 16x16 (block-q x block-k) do not fit attention site 0 with 8 queries and 32 keys}}
  %o = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<bottom_right>} : tensor<1x4x8x16xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @already_blocked(%q: tensor<1x4x32x16xf32>, %m: tensor<1x1x2x2xi1>) -> tensor<1x4x32x16xf32> {
  // expected-error @+1 {{attn-sparsify: attention site 0 already has a block mask}}
  %o = attn.sdpa %q, %q, %q block_mask(%m : tensor<1x1x2x2xi1>) {attn.site = 0 : i64, block_size = array<i64: 16, 16>} : tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32> -> tensor<1x4x32x16xf32>
  return %o : tensor<1x4x32x16xf32>
}

//--- neighborhood.mlir
func.func @even_kernel(%q: tensor<1x4x32x16xf32>) -> tensor<1x4x32x16xf32> {
  // expected-error @+1 {{attn-sparsify: a bidirectional neighborhood needs an odd kernel, got 6}}
  %o = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32> -> tensor<1x4x32x16xf32>
  return %o : tensor<1x4x32x16xf32>
}

// -----

func.func @kernel_too_large(%q: tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32> {
  // expected-error @+1 {{attn-sparsify: neighborhood kernel 6 x dilation 1 is larger than the 4 keys of attention site 0}}
  %o = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32> -> tensor<1x4x4x16xf32>
  return %o : tensor<1x4x4x16xf32>
}

//--- layers.mlir
// expected-error @+1 {{attn-sparsify: layers: site 2 does not exist; the model has 2 attention site(s) (0-1)}}
module {
  func.func @two(%q: tensor<1x4x32x16xf32>) -> (tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>) {
    %a = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32> -> tensor<1x4x32x16xf32>
    %b = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32> -> tensor<1x4x32x16xf32>
    return %a, %b : tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>
  }
}

//--- retrieval.mlir
func.func @retrieval_out_of_range(%q: tensor<1x4x32x16xf32>) -> tensor<1x4x32x16xf32> {
  // expected-error @+1 {{attn-sparsify: retrieval-heads: head 9 does not exist; attention site 0 has 4 query heads (0-3)}}
  %o = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32> -> tensor<1x4x32x16xf32>
  return %o : tensor<1x4x32x16xf32>
}

//--- twice.mlir
func.func @already_windowed(%q: tensor<1x4x32x16xf32>) -> tensor<1x4x32x16xf32> {
  // expected-error @+1 {{attn-sparsify: attention site 0 already has a window}}
  %o = attn.sdpa %q, %q, %q {attn.site = 0 : i64, window = #attn.window<sinks = 0, left = 3, right = 3>} : tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32> -> tensor<1x4x32x16xf32>
  return %o : tensor<1x4x32x16xf32>
}

// -----

func.func @other_dense_heads(%q: tensor<1x4x32x16xf32>, %m: tensor<1x1x2x2xi1>) -> tensor<1x4x32x16xf32> {
  // expected-error @+1 {{attn-sparsify: attention site 0 is already sparse with other dense heads; window and block sparsity share one head selection}}
  %o = attn.sdpa %q, %q, %q block_mask(%m : tensor<1x1x2x2xi1>) {attn.site = 0 : i64, block_size = array<i64: 16, 16>, dense_heads = array<i64: 1>} : tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32> -> tensor<1x4x32x16xf32>
  return %o : tensor<1x4x32x16xf32>
}

//--- layout.mlir
func.func @layouts_do_not_divide_heads(%q: tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32> {
  // expected-error @+1 {{attn-sparsify: the layout has 3 head layouts, which does not divide the 4 query heads of attention site 0}}
  %o = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32>
  return %o : tensor<1x4x16x16xf32>
}

// -----

func.func @grid_too_small(%q: tensor<1x3x40x16xf32>) -> tensor<1x3x40x16xf32> {
  // expected-error @+1 {{attn-sparsify: the layout's 2x2 block grid does not cover the 5x5 blocks of 8 of attention site 0}}
  %o = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x3x40x16xf32>, tensor<1x3x40x16xf32>, tensor<1x3x40x16xf32> -> tensor<1x3x40x16xf32>
  return %o : tensor<1x3x40x16xf32>
}
