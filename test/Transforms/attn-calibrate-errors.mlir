// Each case needs its own pass options, so the cases are separate files.
// RUN: split-file %s %t
// RUN: attune-opt %t/method.mlir --verify-diagnostics --attn-calibrate="method=softmax1"
// RUN: attune-opt %t/gamma.mlir --verify-diagnostics --attn-calibrate="method=zerotuning gamma=0"
// RUN: attune-opt %t/beta.mlir --verify-diagnostics --attn-calibrate="method=act beta=1.5"
// RUN: attune-opt %t/layers.mlir --verify-diagnostics --attn-calibrate="layers=0-2"
// RUN: attune-opt %t/badlist.mlir --verify-diagnostics --attn-calibrate="layers=2-1"
// RUN: attune-opt %t/heads.mlir --verify-diagnostics --attn-calibrate="heads=0,4"
// RUN: attune-opt %t/compensation.mlir --verify-diagnostics --attn-calibrate="method=act"
// RUN: attune-opt %t/conflict.mlir --verify-diagnostics --attn-calibrate="method=act heads=0"
// RUN: attune-opt %t/nosite.mlir --verify-diagnostics --attn-calibrate
// RUN: attune-opt %t/stray.mlir --verify-diagnostics --attn-calibrate="method=act gamma=3"

//--- method.mlir
// expected-error @+1 {{attn-calibrate: unknown method 'softmax1'; expected zerotuning or act}}
module {
  func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
    return %0 : tensor<1x2x4x8xf32>
  }
}

//--- gamma.mlir
// expected-error @+1 {{attn-calibrate: gamma must be a positive number, got 0}}
module {
  func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
    return %0 : tensor<1x2x4x8xf32>
  }
}

//--- beta.mlir
// expected-error @+1 {{attn-calibrate: beta must be in [0, 1] (the fraction of a sink's attention that is kept), got 1.5}}
module {
  func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
    return %0 : tensor<1x2x4x8xf32>
  }
}

//--- layers.mlir
// expected-error @+1 {{attn-calibrate: layers: site 2 does not exist; the model has 2 attention site(s) (0-1)}}
module {
  func.func @f(%q: tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
    return %0, %1 : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
  }
}

//--- badlist.mlir
// expected-error @+1 {{attn-calibrate: layers: empty range '2-1' in '2-1'}}
module {
  func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
    return %0 : tensor<1x2x4x8xf32>
  }
}

//--- heads.mlir
func.func @f(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32> {
  // expected-error @+1 {{attn-calibrate: heads: head 4 does not exist; attention site 0 has 4 query heads (0-3)}}
  %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  return %0 : tensor<1x4x4x8xf32>
}

//--- compensation.mlir
func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{attn-calibrate: attention site 0 has a compensation token (headwise RazorAttention); ACT calibration cannot be combined with it}}
  %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, compensation, window = #attn.window<sinks = 1, left = 1, right = 0>} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

//--- conflict.mlir
func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{attn-calibrate: attention site 0 already has score modifier #attn.zero_tuning<gamma = 2.000000e+00 : f64> on other heads; one score modifier per site}}
  %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, score_mod = #attn.zero_tuning<gamma = 2.0 : f64>, score_mod_heads = array<i64: 1>} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

//--- nosite.mlir
// expected-error @+1 {{attn-calibrate: the module has no attention site (attn.sdpa) to calibrate; run attn-raise first}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

//--- stray.mlir
// expected-error @+1 {{attn-calibrate: gamma does not apply to method act}}
module {
  func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
    return %0 : tensor<1x2x4x8xf32>
  }
}
