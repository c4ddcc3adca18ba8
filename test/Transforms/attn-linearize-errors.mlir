// attn-linearize errors: bad options, sites the linear forms cannot express,
// and a rewrite asked for on a graph without attention. Each case needs its
// own pass options, so the cases are separate files.
// RUN: split-file %s %t
// RUN: attune-opt %t/feature.mlir --verify-diagnostics --attn-linearize="feature=cosformer"
// RUN: attune-opt %t/chunk.mlir --verify-diagnostics --attn-linearize="feature=lightning chunk=0"
// RUN: attune-opt %t/stray.mlir --verify-diagnostics --attn-linearize="feature=relu agents=3"
// RUN: attune-opt %t/decay-feature.mlir --verify-diagnostics --attn-linearize="feature=elu1 decay=0.1"
// RUN: attune-opt %t/decay-negative.mlir --verify-diagnostics --attn-linearize="feature=lightning decay=-1"
// RUN: attune-opt %t/decay-length.mlir --verify-diagnostics --attn-linearize="feature=lightning decay=0.1,0.2,0.3"
// RUN: attune-opt %t/scale.mlir --verify-diagnostics --attn-linearize="feature=relu scale=0.5"
// RUN: attune-opt %t/layers.mlir --verify-diagnostics --attn-linearize="layers=0-1"
// RUN: attune-opt %t/heads.mlir --verify-diagnostics --attn-linearize="heads=2,4"
// RUN: attune-opt %t/bool-mask.mlir --verify-diagnostics --attn-linearize
// RUN: attune-opt %t/additive-mask.mlir --verify-diagnostics --attn-linearize="feature=mala"
// RUN: attune-opt %t/softcap.mlir --verify-diagnostics --attn-linearize
// RUN: attune-opt %t/lightning-noncausal.mlir --verify-diagnostics --attn-linearize="feature=lightning"
// RUN: attune-opt %t/agent-causal.mlir --verify-diagnostics --attn-linearize="feature=agent agents=2"
// RUN: attune-opt %t/agents.mlir --verify-diagnostics --attn-linearize="feature=agent"
// RUN: attune-opt %t/block-size.mlir --verify-diagnostics --attn-linearize="feature=hybrid block-size=16"
// RUN: attune-opt %t/topk-ratio.mlir --verify-diagnostics --attn-linearize="feature=hybrid topk-ratio=1.5"
// RUN: attune-opt %t/kernel.mlir --verify-diagnostics --attn-linearize="feature=hybrid kernel=exp"
// RUN: attune-opt %t/rewritten.mlir --verify-diagnostics --attn-linearize
// RUN: attune-opt %t/top-left.mlir --verify-diagnostics --attn-linearize
// RUN: attune-opt %t/nosite.mlir --verify-diagnostics --attn-linearize
// RUN: attune-opt %t/decompose.mlir --verify-diagnostics --convert-attn-to-linalg

//--- feature.mlir
// expected-error @+1 {{attn-linearize: unknown feature 'cosformer'; expected elu1, relu, mala, lightning, agent or hybrid}}
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- chunk.mlir
// expected-error @+1 {{attn-linearize: chunk must be positive, got 0}}
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- decay-feature.mlir
// expected-error @+1 {{attn-linearize: decay applies to feature=lightning only}}
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- decay-negative.mlir
// expected-error @+1 {{attn-linearize: decay values must be finite and >= 0, got -1}}
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- decay-length.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: decay has 3 values; expected 1 or one per query head (4)}}
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- scale.mlir
// expected-error @+1 {{attn-linearize: scale applies to mala, lightning and agent; the kernelized form's normalization has no scale}}
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- layers.mlir
// expected-error @+1 {{attn-linearize: layers: site 1 does not exist; the model has 1 attention site(s) (0-0)}}
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- heads.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: heads: head 4 does not exist; attention site 0 has 4 query heads (0-3)}}
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- bool-mask.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %m: tensor<8x8xi1>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: has a boolean mask, which linear attention cannot express; pass ignore-mask=true to drop it from the linear term}}
    %0 = attn.sdpa %q, %k, %k mask(%m : tensor<8x8xi1>) {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- additive-mask.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %m: tensor<1x1x1x8xf32>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: has a additive mask}}
    %0 = attn.sdpa %q, %k, %k mask(%m : tensor<1x1x1x8xf32>) {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- softcap.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: has a softcap, which linear attention cannot express; pass ignore-mask=true to drop it from the linear term}}
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, softcap = 5.0 : f64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- lightning-noncausal.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: is not causal; lightning attention is a causal form}}
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- agent-causal.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: is causal; agent attention has no causal form}}
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- agents.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: agents (49) exceeds the query length (8)}}
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- block-size.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: block-size 16 does not fit the key length 8}}
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- topk-ratio.mlir
// expected-error @+1 {{attn-linearize: topk-ratio must be in (0, 1], got 1.5}}
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- kernel.mlir
// expected-error @+1 {{attn-linearize: unknown kernel 'exp'; expected elu1 or relu}}
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- rewritten.mlir
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: already carries a sparse or calibrated rewrite; linearize it before other rewrites}}
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, window = #attn.window<sinks = 1, left = 2, right = 0>} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}

//--- top-left.mlir
module {
  func.func @f(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x2x4x16xf32> {
    // expected-error @+1 {{attn-linearize: attention site 0: is causal top-left with Lq (4) != Lk (8); the linear forms are bottom-right aligned}}
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x4x16xf32>
    return %0 : tensor<1x2x4x16xf32>
  }
}

//--- nosite.mlir
// expected-error @+1 {{attn-linearize: the module has no attention site (attn.sdpa) to linearize; run attn-raise first}}
module {
  func.func @f(%q: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
    return %q : tensor<1x2x4x16xf32>
  }
}

//--- decompose.mlir
// The reference decomposition defines exclude for the kernelized form only.
module {
  func.func @f(%q: tensor<1x2x8x16xf32>, %x: tensor<1x2x2x2xi1>) -> tensor<1x2x8x16xf32> {
    // expected-error @+2 {{'attn.linear' op exclude is only defined for the kernelized variant}}
    // expected-error @+1 {{has no reference decomposition for this configuration}}
    %0 = attn.linear %q, %q, %q exclude(%x : tensor<1x2x2x2xi1>) {block_size = array<i64: 4, 4>, causal, variant = #attn.linear<lightning>} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
    return %0 : tensor<1x2x8x16xf32>
  }
}

//--- stray.mlir
// An option of another feature map is an error, not ignored.
// expected-error @+1 {{attn-linearize: agents does not apply to feature=relu}}
module {
  func.func @f(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
    %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    return %0 : tensor<1x4x8x16xf32>
  }
}
