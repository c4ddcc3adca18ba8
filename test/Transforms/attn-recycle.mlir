// RUN: attune-opt %s --attn-recycle --split-input-file | FileCheck %s
// RUN: attune-opt %s --attn-recycle="schedule=similarity check-every=3 threshold=0.9 topk=3 pool=1 heads=0-1" --split-input-file | FileCheck %s --check-prefix=SIM
// RUN: attune-opt %s --attn-recycle="stride=4 topk-ratio=0.5 layers=0" --split-input-file | FileCheck %s --check-prefix=LAYER

// A GQA decode step (Hq = 4 over Hkv = 2, one new token, past of 15): the
// sdpa becomes attn.recycle and @main gains the four state inputs/outputs.
// Default K = floor(16 / 8) = 2 keys of the 16-long cache.
// CHECK-LABEL: module @gqa_step
// CHECK: func.func @main(%[[Q:.*]]: tensor<1x4x1x8xf32> {onnx.name = "Q"}, %{{.*}}: tensor<1x2x1x8xf32> {onnx.name = "K"}, %{{.*}}: tensor<1x2x1x8xf32> {onnx.name = "V"}, %{{.*}}: tensor<1x2x15x8xf32> {onnx.name = "past_key"}, %{{.*}}: tensor<1x2x15x8xf32> {onnx.name = "past_value"},
// CHECK-SAME: %[[KI:.*]]: tensor<1x2x2xi64> {onnx.name = "recycle.kept_indices.site0"}, %[[FL:.*]]: tensor<1xi64> {onnx.name = "recycle.full_len.site0"}, %[[ST:.*]]: tensor<1xi64> {onnx.name = "recycle.step.site0"}, %[[RQ:.*]]: tensor<1x8xf32> {onnx.name = "recycle.ref_query.site0"})
// CHECK-SAME: -> (tensor<1x4x1x8xf32> {onnx.name = "Y"}, tensor<1x2x16x8xf32> {onnx.name = "present_key"}, tensor<1x2x16x8xf32> {onnx.name = "present_value"}, tensor<1x2x2xi64> {onnx.name = "recycle.kept_indices.site0"}, tensor<1xi64> {onnx.name = "recycle.full_len.site0"}, tensor<1xi64> {onnx.name = "recycle.step.site0"}, tensor<1x8xf32> {onnx.name = "recycle.ref_query.site0"})
// CHECK: %[[KC:.*]] = onnx.node "Concat"
// CHECK: %[[VC:.*]] = onnx.node "Concat"
// CHECK: %[[O:.*]], %[[KI2:.*]], %[[FL2:.*]], %[[ST2:.*]], %[[RQ2:.*]] = attn.recycle %[[Q]], %[[KC]], %[[VC]] state(%[[KI]], %[[FL]], %[[ST]], %[[RQ]] : tensor<1x2x2xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1x8xf32>)
// Default-valued attributes (schedule fixed, stride 10, pool 5, ...) are
// not printed.
// CHECK-SAME: {attn.site = 0 : i64, causal = #attn.causal<bottom_right>} :
// CHECK: return %[[O]], %[[KC]], %[[VC]], %[[KI2]], %[[FL2]], %[[ST2]], %[[RQ2]]
// SIM-LABEL: module @gqa_step
// SIM: %{{.*}}: tensor<1x2x3xi64> {onnx.name = "recycle.kept_indices.site0"}
// SIM: attn.recycle
// SIM-SAME: check_every = 3 : i64, dense_heads = array<i64: 2, 3>, pool = 1 : i64, schedule = #attn.schedule<similarity>, threshold = 9.000000e-01 : f64}
// LAYER-LABEL: module @gqa_step
// LAYER: tensor<1x2x8xi64> {onnx.name = "recycle.kept_indices.site0"}
// LAYER: attn.recycle
// LAYER-SAME: stride = 4 : i64
module @gqa_step {
func.func @main(%q: tensor<1x4x1x8xf32> {onnx.name = "Q"}, %k: tensor<1x2x1x8xf32> {onnx.name = "K"}, %v: tensor<1x2x1x8xf32> {onnx.name = "V"}, %pk: tensor<1x2x15x8xf32> {onnx.name = "past_key"}, %pv: tensor<1x2x15x8xf32> {onnx.name = "past_value"}) -> (tensor<1x4x1x8xf32> {onnx.name = "Y"}, tensor<1x2x16x8xf32> {onnx.name = "present_key"}, tensor<1x2x16x8xf32> {onnx.name = "present_value"}) {
  %kc = onnx.node "Concat" v23 (%pk, %k) {axis = 2 : i64} : (tensor<1x2x15x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x16x8xf32>
  %vc = onnx.node "Concat" v23 (%pv, %v) {axis = 2 : i64} : (tensor<1x2x15x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x16x8xf32>
  %o = attn.sdpa %q, %kc, %vc {attn.site = 0 : i64, causal = #attn.causal<bottom_right>} : tensor<1x4x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x4x1x8xf32>
  return %o, %kc, %vc : tensor<1x4x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
}
}

// -----

// Two layers (sites 0 and 1), past through a Transpose (a [B, S, H, D]
// cache), Concat on axis -2, a mask and a scale that carry over; the module
// attribute attn.decode_context (set by `attune decode`) fixes N = 40 for
// the default K = 40 / 8 = 5, and the state of each site is appended in
// site order.
// CHECK-LABEL: module @two_layers
// CHECK: %{{.*}}: tensor<1x2x5xi64> {onnx.name = "recycle.kept_indices.site0"}
// CHECK-SAME: %{{.*}}: tensor<1x2x5xi64> {onnx.name = "recycle.kept_indices.site1"}, %{{.*}}: tensor<1xi64> {onnx.name = "recycle.full_len.site1"}, %{{.*}}: tensor<1xi64> {onnx.name = "recycle.step.site1"}, %{{.*}}: tensor<1x4xf32> {onnx.name = "recycle.ref_query.site1"})
// CHECK: attn.recycle %{{.*}} mask(%{{.*}} : tensor<1x1x1x8xi1>) state
// CHECK-SAME: attn.site = 0 : i64
// CHECK-SAME: scale = 5.000000e-01 : f64
// CHECK: attn.recycle
// CHECK-SAME: attn.site = 1 : i64
// CHECK: return
// CHECK-SAME: tensor<1x2x5xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1x4xf32>, tensor<1x2x5xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1x4xf32>
// LAYER-LABEL: module @two_layers
// LAYER: %{{.*}}: tensor<1x2x20xi64> {onnx.name = "recycle.kept_indices.site0"}
// LAYER-NOT: site1
// LAYER: attn.recycle
// LAYER-SAME: attn.site = 0 : i64
// LAYER-SAME: stride = 4 : i64
// LAYER: attn.sdpa
// LAYER-SAME: attn.site = 1 : i64
module @two_layers attributes {attn.decode_context = 40 : i64} {
func.func @main(%q: tensor<1x2x1x4xf32>, %k: tensor<1x2x1x4xf32>, %v: tensor<1x2x1x4xf32>, %pk: tensor<1x7x2x4xf32>, %pv: tensor<1x2x7x4xf32>, %m: tensor<1x1x1x8xi1>) -> (tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32>) {
  %pkt = onnx.node "Transpose" v17 (%pk) {perm = [0, 2, 1, 3]} : (tensor<1x7x2x4xf32>) -> tensor<1x2x7x4xf32>
  %kc = onnx.node "Concat" v17 (%pkt, %k) {axis = -2 : i64} : (tensor<1x2x7x4xf32>, tensor<1x2x1x4xf32>) -> tensor<1x2x8x4xf32>
  %vc = onnx.node "Concat" v17 (%pv, %v) {axis = -2 : i64} : (tensor<1x2x7x4xf32>, tensor<1x2x1x4xf32>) -> tensor<1x2x8x4xf32>
  %o0 = attn.sdpa %q, %kc, %vc mask(%m : tensor<1x1x1x8xi1>) {attn.site = 0 : i64, scale = 5.000000e-01 : f64} : tensor<1x2x1x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x1x4xf32>
  %o1 = attn.sdpa %o0, %kc, %vc {attn.site = 1 : i64, causal = #attn.causal<bottom_right>} : tensor<1x2x1x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x1x4xf32>
  return %o0, %o1 : tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32>
}
}
