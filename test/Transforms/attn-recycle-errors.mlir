// RUN: attune-opt %s --attn-recycle --split-input-file --verify-diagnostics
// RUN: not attune-opt %s --attn-recycle=stride=0 --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=STRIDE
// RUN: not attune-opt %s --attn-recycle=schedule=sometimes --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=SCHED
// RUN: not attune-opt %s --attn-recycle=layers=3 --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=LAYERS
// RUN: not attune-opt %s --attn-recycle=heads=4 --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=HEADS
// RUN: not attune-opt %s --attn-recycle=topk-ratio=1.5 --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=RATIO
// RUN: not attune-opt %s --attn-recycle=pool=0 --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=POOL
// RUN: not attune-opt %s --attn-recycle='stride=3 threshold=0.5' --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOTFIXED
// RUN: not attune-opt %s --attn-recycle='schedule=similarity stride=3' --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOTSIM
// RUN: not attune-opt %s --attn-recycle='topk=4 topk-ratio=0.5' --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=BOTHK

// STRIDE: error: attn-recycle: stride must be >= 1, got 0
// NOTFIXED: error: attn-recycle: threshold does not apply to schedule fixed
// NOTSIM: error: attn-recycle: stride does not apply to schedule similarity
// BOTHK: error: attn-recycle: topk-ratio applies only when topk is 0
// SCHED: error: attn-recycle: unknown schedule 'sometimes' (expected fixed or similarity)
// LAYERS: error: attn-recycle: layers: site 3 does not exist
// HEADS: error: attn-recycle: heads: head 4
// RATIO: error: attn-recycle: topk-ratio must be in (0, 1], got 1.5
// POOL: error: attn-recycle: pool must be >= 1, got 0

// No KV cache: key and value are plain graph inputs (a prefill / encoder).
func.func @main(%q: tensor<1x4x6x8xf32>, %k: tensor<1x4x6x8xf32>, %v: tensor<1x4x6x8xf32>) -> tensor<1x4x6x8xf32> {
  // expected-error @+1 {{attn-recycle: attention site 0 does not read a KV cache: expected its key and value to be Concat(past, new) along the sequence axis with the past a graph input}}
  %o = attn.sdpa %q, %k, %v {attn.site = 0 : i64} : tensor<1x4x6x8xf32>, tensor<1x4x6x8xf32>, tensor<1x4x6x8xf32> -> tensor<1x4x6x8xf32>
  return %o : tensor<1x4x6x8xf32>
}

// -----

// A Concat on the head axis is not a KV cache.
func.func @main(%q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>, %pk: tensor<1x2x1x8xf32>) -> tensor<1x4x1x8xf32> {
  %kc = onnx.node "Concat" v17 (%pk, %k) {axis = 1 : i64} : (tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x4x1x8xf32>
  // expected-error @+1 {{attn-recycle: attention site 0 does not read a KV cache}}
  %o = attn.sdpa %q, %kc, %kc {attn.site = 0 : i64} : tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// A site that another rewrite already changed.
func.func @main(%q: tensor<1x4x1x8xf32>, %k: tensor<1x4x1x8xf32>, %v: tensor<1x4x1x8xf32>, %pk: tensor<1x4x9x8xf32>, %pv: tensor<1x4x9x8xf32>) -> tensor<1x4x1x8xf32> {
  %kc = onnx.node "Concat" v17 (%pk, %k) {axis = 2 : i64} : (tensor<1x4x9x8xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x10x8xf32>
  %vc = onnx.node "Concat" v17 (%pv, %v) {axis = 2 : i64} : (tensor<1x4x9x8xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x10x8xf32>
  // expected-error @+1 {{attn-recycle: attention site 0 is already rewritten}}
  %o = attn.sdpa %q, %kc, %vc {attn.site = 0 : i64, window = #attn.window<sinks = 1, left = 3, right = 0>} : tensor<1x4x1x8xf32>, tensor<1x4x10x8xf32>, tensor<1x4x10x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// No attention site at all.
// expected-error @+1 {{attn-recycle: the module has no attention site (attn.sdpa) to recycle; run attn-raise first}}
module {
func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
}

// -----

// A valid decode step (4 query heads): only heads=4 fails here.
func.func @main(%q: tensor<1x4x1x8xf32>, %k: tensor<1x4x1x8xf32>, %v: tensor<1x4x1x8xf32>, %pk: tensor<1x4x9x8xf32>, %pv: tensor<1x4x9x8xf32>) -> tensor<1x4x1x8xf32> {
  %kc = onnx.node "Concat" v17 (%pk, %k) {axis = 2 : i64} : (tensor<1x4x9x8xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x10x8xf32>
  %vc = onnx.node "Concat" v17 (%pv, %v) {axis = 2 : i64} : (tensor<1x4x9x8xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x10x8xf32>
  %o = attn.sdpa %q, %kc, %vc {attn.site = 0 : i64} : tensor<1x4x1x8xf32>, tensor<1x4x10x8xf32>, tensor<1x4x10x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// The op's verifier: state types must follow the attention shapes.
func.func @bad_state(%q: tensor<1x4x1x8xf32>, %k: tensor<1x2x10x8xf32>, %ki: tensor<1x2x3xi64>, %fl: tensor<2xi64>, %st: tensor<1xi64>, %rq: tensor<1x8xf32>) -> tensor<1x4x1x8xf32> {
  // expected-error @+1 {{'attn.recycle' op expected full_len of type 'tensor<1xi64>', got 'tensor<2xi64>'}}
  %o, %a, %b, %c, %d = attn.recycle %q, %k, %k state(%ki, %fl, %st, %rq : tensor<1x2x3xi64>, tensor<2xi64>, tensor<1xi64>, tensor<1x8xf32>) : tensor<1x4x1x8xf32>, tensor<1x2x10x8xf32>, tensor<1x2x10x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

func.func @bad_stride(%q: tensor<1x4x1x8xf32>, %k: tensor<1x2x10x8xf32>, %ki: tensor<1x2x3xi64>, %fl: tensor<1xi64>, %st: tensor<1xi64>, %rq: tensor<1x8xf32>) -> tensor<1x4x1x8xf32> {
  // expected-error @+1 {{'attn.recycle' op expected stride >= 1, got 0}}
  %o, %a, %b, %c, %d = attn.recycle %q, %k, %k state(%ki, %fl, %st, %rq : tensor<1x2x3xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1x8xf32>) {stride = 0 : i64} : tensor<1x4x1x8xf32>, tensor<1x2x10x8xf32>, tensor<1x2x10x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}
