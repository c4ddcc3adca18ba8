// RUN: attune-opt %s --split-input-file --verify-diagnostics

func.func @rank(%q: tensor<4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected query of rank 4 ([batch, heads, seq, head_dim]), got 'tensor<4x8x16xf32>'}}
  %o = attn.sdpa %q, %k, %v : tensor<4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @int_query(%q: tensor<1x4x8x16xi32>, %k: tensor<1x4x8x16xi32>, %v: tensor<1x4x8x16xi32>) {
  // expected-error @+1 {{expected a floating-point query}}
  %o = attn.sdpa %q, %k, %v : tensor<1x4x8x16xi32>, tensor<1x4x8x16xi32>, tensor<1x4x8x16xi32> -> tensor<1x4x8x16xi32>
  return
}

// -----

func.func @elt(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf16>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected key element type 'f32' (same as query), got 'f16'}}
  %o = attn.sdpa %q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf16>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @batch(%q: tensor<2x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected equal batch sizes, got query [2, 4, 8, 16], key [1, 4, 8, 16], value [1, 4, 8, 16]}}
  %o = attn.sdpa %q, %k, %v : tensor<2x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return
}

// -----

func.func @heads(%q: tensor<1x6x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected query heads (6) to be a multiple of key/value heads (4)}}
  %o = attn.sdpa %q, %k, %v : tensor<1x6x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x6x8x16xf32>
  return
}

// -----

func.func @kv_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{expected key and value to have the same number of heads}}
  %o = attn.sdpa %q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @kv_len(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x9x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected key and value sequence lengths to match}}
  %o = attn.sdpa %q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x4x9x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @head_dim(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x32xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected query and key head_dim to match}}
  %o = attn.sdpa %q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @result(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x32xf32>) {
  // expected-error @+1 {{expected result shape [1, 4, 8, 32], got [1, 4, 8, 16]}}
  %o = attn.sdpa %q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @mask_type(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %m: tensor<8x8xi32>) {
  // expected-error @+1 {{expected mask element type i1 (boolean keep mask) or 'f32' (additive mask), got 'i32'}}
  %o = attn.sdpa %q, %k, %v mask(%m : tensor<8x8xi32>) : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @mask_shape(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x9x16xf32>, %v: tensor<1x4x9x16xf32>, %m: tensor<1x1x8x8xi1>) {
  // expected-error @+1 {{expected mask shape broadcastable to scores [1, 4, 8, 9], got [1, 1, 8, 8]}}
  %o = attn.sdpa %q, %k, %v mask(%m : tensor<1x1x8x8xi1>) : tensor<1x4x8x16xf32>, tensor<1x4x9x16xf32>, tensor<1x4x9x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @mask_rank(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %m: tensor<1x1x1x8x8xi1>) {
  // expected-error @+1 {{expected mask of rank <= 4}}
  %o = attn.sdpa %q, %k, %v mask(%m : tensor<1x1x1x8x8xi1>) : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @head_size(%q: tensor<1x4x8x0xf32>, %k: tensor<1x4x8x0xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected a head size (query dim 3) >= 1, got 0}}
  %o = attn.sdpa %q, %k, %v {scale = 0x7FF0000000000000 : f64} : tensor<1x4x8x0xf32>, tensor<1x4x8x0xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @scale(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected a finite non-zero scale, got 0}}
  %o = attn.sdpa %q, %k, %v {scale = 0.0 : f64} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @softcap(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected a positive finite softcap, got -1}}
  %o = attn.sdpa %q, %k, %v {softcap = -1.0 : f64} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @causal_kind(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+2 {{expected ::mlir::attn::CausalKind to be one of: none, top_left, bottom_right}}
  // expected-error @+1 {{failed to parse}}
  %o = attn.sdpa %q, %k, %v {causal = #attn.causal<diagonal>} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}
