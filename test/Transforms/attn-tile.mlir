// RUN: attune-opt %s --split-input-file --attn-tile | FileCheck %s --check-prefix=CPU
// RUN: attune-opt %s --split-input-file --attn-tile=target=cuda | FileCheck %s --check-prefix=CUDA
// RUN: attune-opt %s --split-input-file --attn-tile="tile-q=32 tile-k=256" | FileCheck %s --check-prefix=OPT
// RUN: not attune-opt %s --split-input-file --attn-tile=target=tpu 2>&1 | FileCheck %s --check-prefix=ERR

// CPU-LABEL: func.func @sdpa
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 64, 256>
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 16, 16>
// CUDA-LABEL: func.func @sdpa
// CUDA: attn.sdpa {{.*}}attn.tiling = array<i64: 128, 64>
// OPT-LABEL: func.func @sdpa
// OPT: attn.sdpa {{.*}}attn.tiling = array<i64: 32, 256>
// ERR: attn-tile: unknown target 'tpu' (expected cpu or cuda)
func.func @sdpa(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  // An op that already has a tiling keeps it.
  %p = attn.sdpa %q, %k, %v {attn.tiling = array<i64: 16, 16>} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o, %p : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// -----

// A block map's blocks become the tiles (each tile kept or skipped whole).
// CPU-LABEL: func.func @blocks
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 32, 64>
func.func @blocks(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x128x16xf32>, %v: tensor<1x2x128x16xf32>, %m: tensor<1x1x2x2xi1>) -> tensor<1x2x64x16xf32> {
  %o = attn.sdpa %q, %k, %v block_mask(%m : tensor<1x1x2x2xi1>) {block_size = array<i64: 32, 64>} : tensor<1x2x64x16xf32>, tensor<1x2x128x16xf32>, tensor<1x2x128x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

// A sliding window gets query tiles of a window's length / 8 (at least 16,
// at most the target's): a query tile walks the union of its rows' windows.
// Dense heads or a dilation keep the target's tile.
// CPU-LABEL: func.func @window
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 16, 128>
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 32, 128>
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 64, 128>
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 64, 128>
// OPT-LABEL: func.func @window
// OPT-COUNT-4: attn.tiling = array<i64: 32, 256>
func.func @window(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) {
  %a = attn.sdpa %q, %k, %v {causal = #attn.causal<top_left>, window = #attn.window<sinks = 4, left = 127, right = 0>} : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  %b = attn.sdpa %q, %k, %v {window = #attn.window<sinks = 0, left = 128, right = 128>} : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  %c = attn.sdpa %q, %k, %v {window = #attn.window<sinks = 4, left = 127, right = 0>, dense_heads = array<i64: 1>} : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  %d = attn.sdpa %q, %k, %v {window = #attn.window<sinks = 0, left = 30, right = 0, dilation = 2>} : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %a, %b, %c, %d : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
}

// -----

// A per-query map (block_q 1, MoBA's gate) keeps the target's query tile;
// 512-key blocks are walked in the target's 128-key tiles.
// CPU-LABEL: func.func @row_blocks
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 64, 128>
func.func @row_blocks(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x1024x16xf32>, %v: tensor<1x2x1024x16xf32>, %m: tensor<1x2x64x2xi1>) -> tensor<1x2x64x16xf32> {
  %o = attn.sdpa %q, %k, %v block_mask(%m : tensor<1x2x64x2xi1>) {block_size = array<i64: 1, 512>} : tensor<1x2x64x16xf32>, tensor<1x2x1024x16xf32>, tensor<1x2x1024x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

// ACT scores the key tiles holding a sink column again: they keep the
// narrower key tile of the sparse forms; ZeroTuning takes the dense one.
// CPU-LABEL: func.func @calibrated
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 64, 128>
// CPU: attn.sdpa {{.*}}attn.tiling = array<i64: 64, 256>
// CUDA-LABEL: func.func @calibrated
// CUDA-COUNT-2: attn.tiling = array<i64: 128, 64>
// OPT-LABEL: func.func @calibrated
// OPT-COUNT-2: attn.tiling = array<i64: 32, 256>
func.func @calibrated(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %a = attn.sdpa %q, %k, %v {score_mod = #attn.act<beta = 4.000000e-01 : f64, tau = 1.000000e-01 : f64>} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %z = attn.sdpa %q, %k, %v {score_mod = #attn.zero_tuning<gamma = 1.500000e+00 : f64>} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %a, %z : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}
