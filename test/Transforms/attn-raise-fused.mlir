// RUN: attune-opt %s --attn-raise=fused-only=true --split-input-file --verify-diagnostics | FileCheck %s
// RUN: not attune-opt %s --attn-raise=report=true --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT

// ONNX Attention-23 on 4-D inputs: the default scale is 1/sqrt(head_size).
// CHECK-LABEL: func.func @onnx_attention_4d
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x8x16xf32>, %[[K:.*]]: tensor<2x4x6x16xf32>, %[[V:.*]]: tensor<2x4x6x8xf32>)
// CHECK: %[[O:.*]] = attn.sdpa %[[Q]], %[[K]], %[[V]] {attn.site = 0 : i64, scale = 2.500000e-01 : f64} : tensor<2x4x8x16xf32>, tensor<2x4x6x16xf32>, tensor<2x4x6x8xf32> -> tensor<2x4x8x8xf32>
// CHECK-NEXT: return %[[O]]
// REPORT: remark: attention site 0: Attention-23 layout=4d heads=4/4 Lq=8 Lk=6 D=16 scale=0.25 (default 1/sqrt(D)) mask=none from att
func.func @onnx_attention_4d(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x6x16xf32>, %v: tensor<2x4x6x8xf32>) -> tensor<2x4x8x8xf32> {
  %y = onnx.node "Attention" v23 (%q, %k, %v) {onnx_name = "att"} : (tensor<2x4x8x16xf32>, tensor<2x4x6x16xf32>, tensor<2x4x6x8xf32>) -> tensor<2x4x8x8xf32>
  return %y : tensor<2x4x8x8xf32>
}

// -----

// 3-D GQA with a KV cache, a boolean mask shorter than the total length
// (padded with false) and is_causal (bottom-right with a past).
// CHECK-LABEL: func.func @onnx_attention_3d_gqa_past
// CHECK-SAME: (%[[Q:.*]]: tensor<1x3x32xf32>, %[[K:.*]]: tensor<1x3x16xf32>, %[[V:.*]]: tensor<1x3x16xf32>, %[[M:.*]]: tensor<3x6xi1>, %[[PK:.*]]: tensor<1x2x5x8xf32>, %[[PV:.*]]: tensor<1x2x5x8xf32>)
// CHECK-DAG: %[[Q4:.*]] = onnx.node "Transpose" {{.*}} -> tensor<1x4x3x8xf32>
// CHECK-DAG: %[[KC:.*]] = onnx.node "Concat" {{.*}}(%[[PK]], %{{.*}}) {axis = 2 : i64} : (tensor<1x2x5x8xf32>, tensor<1x2x3x8xf32>) -> tensor<1x2x8x8xf32>
// CHECK-DAG: %[[VC:.*]] = onnx.node "Concat" {{.*}}(%[[PV]], %{{.*}}) {axis = 2 : i64}
// CHECK-DAG: %[[PAD:.*]] = arith.constant dense<false> : tensor<3x2xi1>
// CHECK-DAG: %[[MP:.*]] = onnx.node "Concat" {{.*}}(%[[M]], %[[PAD]]) {axis = 1 : i64} : (tensor<3x6xi1>, tensor<3x2xi1>) -> tensor<3x8xi1>
// CHECK: %[[O:.*]] = attn.sdpa %[[Q4]], %[[KC]], %[[VC]] mask(%[[MP]] : tensor<3x8xi1>) {attn.site = 0 : i64, causal = #attn.causal<bottom_right>, scale = 5.000000e-01 : f64}
// CHECK: %[[T:.*]] = onnx.node "Transpose" {{.*}}(%[[O]]) {perm = [0, 2, 1, 3]}
// CHECK: %[[Y:.*]] = onnx.node "Reshape" {{.*}}(%[[T]], %{{.*}}) : (tensor<1x3x4x8xf32>, tensor<3xi64>) -> tensor<1x3x32xf32>
// CHECK: return %[[Y]], %[[KC]], %[[VC]]
// REPORT: remark: attention site 0: Attention-23 layout=bsnh heads=4/2 Lq=3 Lk=8 D=8 scale=0.5 (attribute scale) mask=causal(bottom_right)+boolean from att
func.func @onnx_attention_3d_gqa_past(%q: tensor<1x3x32xf32>, %k: tensor<1x3x16xf32>, %v: tensor<1x3x16xf32>, %m: tensor<3x6xi1>, %pk: tensor<1x2x5x8xf32>, %pv: tensor<1x2x5x8xf32>) -> (tensor<1x3x32xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) {
  %y:3 = onnx.node "Attention" v23 (%q, %k, %v, %m, %pk, %pv) {is_causal = 1 : i64, q_num_heads = 4 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, onnx_name = "att"} : (tensor<1x3x32xf32>, tensor<1x3x16xf32>, tensor<1x3x16xf32>, tensor<3x6xi1>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> (tensor<1x3x32xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>)
  return %y#0, %y#1, %y#2 : tensor<1x3x32xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// Softcap and an additive mask; the unused qk_matmul_output is fine.
// CHECK-LABEL: func.func @onnx_attention_softcap
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<1x1x4x4xf32>) {attn.site = 0 : i64, scale = 2.500000e-01 : f64, softcap = 3.000000e+01 : f64}
// REPORT: remark: attention site 0: Attention-24 layout=4d heads=2/2 Lq=4 Lk=4 D=16 scale=0.25 (default 1/sqrt(D)) mask=additive from att [softcap=30]
func.func @onnx_attention_softcap(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>, %m: tensor<1x1x4x4xf32>) -> tensor<1x2x4x16xf32> {
  %none = onnx.none
  %y:4 = onnx.node "Attention" v24 (%q, %k, %v, %m, %none, %none) {softcap = 3.000000e+01 : f32, onnx_name = "att"} : (tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x1x4x4xf32>, none, none) -> (tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x4xf32>)
  return %y#0 : tensor<1x2x4x16xf32>
}

// -----

func.func @onnx_attention_qk_output(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x4xf32> {
  %none = onnx.none
  // expected-error @+1 {{node 'att' (Attention, opset 23): output 3 (qk_matmul_output) is used}}
  %y:4 = onnx.node "Attention" v23 (%q, %k, %v, %none, %none, %none) {onnx_name = "att"} : (tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, none, none, none) -> (tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x4xf32>)
  return %y#3 : tensor<1x2x4x4xf32>
}

// -----

func.func @onnx_attention_nonpad(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>, %n: tensor<1xi64>) -> tensor<1x2x4x16xf32> {
  %none = onnx.none
  // expected-error @+1 {{node 'att' (Attention, opset 24): input 6 (nonpad_kv_seqlen) is not supported}}
  %y = onnx.node "Attention" v24 (%q, %k, %v, %none, %none, %none, %n) {onnx_name = "att"} : (tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, none, none, none, tensor<1xi64>) -> tensor<1x2x4x16xf32>
  return %y : tensor<1x2x4x16xf32>
}

// -----

// MultiHeadAttention: bias split into q/k/v parts, int32 key padding mask
// plus an attention bias (one additive mask), causal (unidirectional).
// CHECK-LABEL: func.func @mha_bias_masks
// CHECK-DAG: onnx.node "Slice"
// CHECK-DAG: %[[KEEP:.*]] = onnx.node "Cast" {{.*}} {to = 9 : i64} : (tensor<2x6xi32>) -> tensor<2x6xi1>
// CHECK-DAG: %[[K4:.*]] = onnx.node "Reshape" {{.*}}(%[[KEEP]], %{{.*}}) : (tensor<2x6xi1>, tensor<4xi64>) -> tensor<2x1x1x6xi1>
// CHECK-DAG: %[[PAD:.*]] = onnx.node "Where" {{.*}}(%[[K4]], %{{.*}}, %{{.*}}) : (tensor<2x1x1x6xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x1x6xf32>
// CHECK-DAG: %[[M:.*]] = onnx.node "Add" {{.*}}(%{{.*}}, %[[PAD]]) : (tensor<1x2x6x6xf32>, tensor<2x1x1x6xf32>) -> tensor<2x2x6x6xf32>
// CHECK: attn.sdpa {{.*}} mask(%[[M]] : tensor<2x2x6x6xf32>) {attn.site = 0 : i64, causal = #attn.causal<top_left>, scale = 2.500000e-01 : f64} : tensor<2x2x6x16xf32>, tensor<2x2x6x16xf32>, tensor<2x2x6x8xf32> -> tensor<2x2x6x8xf32>
// REPORT: remark: attention site 0: com.microsoft.MultiHeadAttention layout=bsnh heads=2/2 Lq=6 Lk=6 D=16 scale=0.25 (default 1/sqrt(D)) mask=causal(top_left)+additive from mha
func.func @mha_bias_masks(%q: tensor<2x6x32xf32>, %k: tensor<2x6x32xf32>, %v: tensor<2x6x16xf32>, %b: tensor<80xf32>, %kpm: tensor<2x6xi32>, %ab: tensor<1x2x6x6xf32>) -> tensor<2x6x16xf32> {
  %y = onnx.node "com.microsoft.MultiHeadAttention" v1 (%q, %k, %v, %b, %kpm, %ab) {num_heads = 2 : i64, unidirectional = 1 : i64, onnx_name = "mha"} : (tensor<2x6x32xf32>, tensor<2x6x32xf32>, tensor<2x6x16xf32>, tensor<80xf32>, tensor<2x6xi32>, tensor<1x2x6x6xf32>) -> tensor<2x6x16xf32>
  return %y : tensor<2x6x16xf32>
}

// -----

// MultiHeadAttention decoding with past_key/past_value and present outputs.
// CHECK-LABEL: func.func @mha_past
// CHECK-SAME: %[[PK:[^:]*]]: tensor<1x2x5x8xf32>, %[[PV:[^:]*]]: tensor<1x2x5x8xf32>
// CHECK: %[[KC:.*]] = onnx.node "Concat" {{.*}}(%[[PK]], %{{.*}}) {axis = 2 : i64} : (tensor<1x2x5x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x6x8xf32>
// CHECK: %[[VC:.*]] = onnx.node "Concat" {{.*}}(%[[PV]], %{{.*}}) {axis = 2 : i64}
// CHECK: attn.sdpa %{{.*}}, %[[KC]], %[[VC]] {attn.site = 0 : i64, causal = #attn.causal<bottom_right>, scale = 0.10000000149011612 : f64}
// CHECK: return %{{.*}}, %[[KC]], %[[VC]]
// REPORT: remark: attention site 0: com.microsoft.MultiHeadAttention layout=bsnh heads=2/2 Lq=1 Lk=6 D=8 scale=0.1 (attribute scale) mask=causal(bottom_right) from mha
func.func @mha_past(%q: tensor<1x1x16xf32>, %k: tensor<1x1x16xf32>, %v: tensor<1x1x16xf32>, %pk: tensor<1x2x5x8xf32>, %pv: tensor<1x2x5x8xf32>) -> (tensor<1x1x16xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>) {
  %none = onnx.none
  %y:3 = onnx.node "com.microsoft.MultiHeadAttention" v1 (%q, %k, %v, %none, %none, %none, %pk, %pv) {num_heads = 2 : i64, scale = 1.000000e-01 : f32, unidirectional = 1 : i64, onnx_name = "mha"} : (tensor<1x1x16xf32>, tensor<1x1x16xf32>, tensor<1x1x16xf32>, none, none, none, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> (tensor<1x1x16xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>)
  return %y#0, %y#1, %y#2 : tensor<1x1x16xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>
}

// -----

func.func @mha_key_lengths(%q: tensor<2x4x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x16xf32>, %len: tensor<2xi32>) -> tensor<2x4x16xf32> {
  %none = onnx.none
  // expected-error @+1 {{only a 2-D key_padding_mask [batch, total_sequence_length] of int32}}
  %y = onnx.node "com.microsoft.MultiHeadAttention" v1 (%q, %k, %v, %none, %len) {num_heads = 2 : i64, onnx_name = "mha"} : (tensor<2x4x16xf32>, tensor<2x4x16xf32>, tensor<2x4x16xf32>, none, tensor<2xi32>) -> tensor<2x4x16xf32>
  return %y : tensor<2x4x16xf32>
}

// -----

// com.microsoft.Attention: packed projection, raw 2-D mask, past/present.
// CHECK-LABEL: func.func @contrib_attention
// CHECK: onnx.node "MatMul" {{.*}} : (tensor<1x2x16xf32>, tensor<16x48xf32>) -> tensor<1x2x48xf32>
// CHECK: onnx.node "Add"
// CHECK-COUNT-3: onnx.node "Slice"
// CHECK: %[[KC:.*]] = onnx.node "Concat" {{.*}} {axis = 2 : i64} : (tensor<1x2x3x8xf32>, tensor<1x2x2x8xf32>) -> tensor<1x2x5x8xf32>
// CHECK: attn.sdpa {{.*}} mask(%{{.*}} : tensor<1x1x1x5xi1>) {attn.site = 0 : i64, causal = #attn.causal<bottom_right>, scale = 0.3535533905932737{{[0-9]}} : f64}
// CHECK: %[[P:.*]] = onnx.node "Concat" {{.*}} {axis = 0 : i64} : (tensor<1x1x2x5x8xf32>, tensor<1x1x2x5x8xf32>) -> tensor<2x1x2x5x8xf32>
// CHECK: return %{{.*}}, %[[P]]
// REPORT: remark: attention site 0: com.microsoft.Attention layout=bsnh heads=2/2 Lq=2 Lk=5 D=8 scale=0.353553 (default 1/sqrt(D)) mask=causal(bottom_right)+boolean from att
func.func @contrib_attention(%x: tensor<1x2x16xf32>, %w: tensor<16x48xf32>, %b: tensor<48xf32>, %m: tensor<1x5xi32>, %past: tensor<2x1x2x3x8xf32>) -> (tensor<1x2x16xf32>, tensor<2x1x2x5x8xf32>) {
  %y:2 = onnx.node "com.microsoft.Attention" v1 (%x, %w, %b, %m, %past) {num_heads = 2 : i64, unidirectional = 1 : i64, onnx_name = "att"} : (tensor<1x2x16xf32>, tensor<16x48xf32>, tensor<48xf32>, tensor<1x5xi32>, tensor<2x1x2x3x8xf32>) -> (tensor<1x2x16xf32>, tensor<2x1x2x5x8xf32>)
  return %y#0, %y#1 : tensor<1x2x16xf32>, tensor<2x1x2x5x8xf32>
}

// -----

func.func @contrib_attention_mask_lengths(%x: tensor<1x2x16xf32>, %w: tensor<16x48xf32>, %m: tensor<1xi32>) -> tensor<1x2x16xf32> {
  %none = onnx.none
  // expected-error @+1 {{only a raw 1/0 mask_index}}
  %y = onnx.node "com.microsoft.Attention" v1 (%x, %w, %none, %m) {num_heads = 2 : i64} : (tensor<1x2x16xf32>, tensor<16x48xf32>, none, tensor<1xi32>) -> tensor<1x2x16xf32>
  return %y : tensor<1x2x16xf32>
}

// -----

// GroupQueryAttention decoding one token: constant seqlens_k/total length
// checked, 4 query heads over 2 KV heads, softcap, always causal.
// CHECK-LABEL: func.func @gqa_decode
// CHECK: attn.sdpa {{.*}} {attn.site = 0 : i64, causal = #attn.causal<bottom_right>, scale = 0.3535533905932737{{[0-9]}} : f64, softcap = 5.000000e+01 : f64} : tensor<2x4x1x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32> -> tensor<2x4x1x8xf32>
// REPORT: remark: attention site 0: com.microsoft.GroupQueryAttention layout=bsnh heads=4/2 Lq=1 Lk=6 D=8 scale=0.353553 (default 1/sqrt(D)) mask=causal(bottom_right) from gqa [softcap=50]
func.func @gqa_decode(%q: tensor<2x1x32xf32>, %k: tensor<2x1x16xf32>, %v: tensor<2x1x16xf32>, %pk: tensor<2x2x5x8xf32>, %pv: tensor<2x2x5x8xf32>) -> (tensor<2x1x32xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>) {
  %seqlens = arith.constant dense<5> : tensor<2xi32>
  %total = arith.constant dense<6> : tensor<i32>
  %y:3 = onnx.node "com.microsoft.GroupQueryAttention" v1 (%q, %k, %v, %pk, %pv, %seqlens, %total) {num_heads = 4 : i64, kv_num_heads = 2 : i64, softcap = 5.000000e+01 : f32, onnx_name = "gqa"} : (tensor<2x1x32xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x8xf32>, tensor<2xi32>, tensor<i32>) -> (tensor<2x1x32xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>)
  return %y#0, %y#1, %y#2 : tensor<2x1x32xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>
}

// -----

// Packed QKV prompt with runtime seqlens_k: the assumption is reported.
// CHECK-LABEL: func.func @gqa_packed_prompt
// CHECK-COUNT-3: onnx.node "Slice"
// CHECK: attn.sdpa {{.*}} causal = #attn.causal<bottom_right>{{.*}} : tensor<1x4x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32> -> tensor<1x4x3x8xf32>
// REPORT: remark: attention site 0: com.microsoft.GroupQueryAttention layout=bsnh heads=4/2 Lq=3 Lk=3 D=8 scale=0.353553 (default 1/sqrt(D)) mask=causal(bottom_right) from gqa [assumed seqlens_k = total_sequence_length - 1 = 2 for every batch (not constant)]
func.func @gqa_packed_prompt(%qkv: tensor<1x3x64xf32>, %seqlens: tensor<1xi32>, %total: tensor<i32>) -> tensor<1x3x32xf32> {
  %none = onnx.none
  %y = onnx.node "com.microsoft.GroupQueryAttention" v1 (%qkv, %none, %none, %none, %none, %seqlens, %total) {num_heads = 4 : i64, kv_num_heads = 2 : i64, onnx_name = "gqa"} : (tensor<1x3x64xf32>, none, none, none, none, tensor<1xi32>, tensor<i32>) -> tensor<1x3x32xf32>
  return %y : tensor<1x3x32xf32>
}

// -----

func.func @gqa_rotary(%q: tensor<1x1x32xf32>, %k: tensor<1x1x16xf32>, %v: tensor<1x1x16xf32>, %s: tensor<1xi32>, %t: tensor<i32>) -> tensor<1x1x32xf32> {
  %none = onnx.none
  // expected-error @+1 {{do_rotary (rotary embedding inside the node) is not supported}}
  %y = onnx.node "com.microsoft.GroupQueryAttention" v1 (%q, %k, %v, %none, %none, %s, %t) {num_heads = 4 : i64, kv_num_heads = 2 : i64, do_rotary = 1 : i64} : (tensor<1x1x32xf32>, tensor<1x1x16xf32>, tensor<1x1x16xf32>, none, none, tensor<1xi32>, tensor<i32>) -> tensor<1x1x32xf32>
  return %y : tensor<1x1x32xf32>
}

// -----

func.func @gqa_local_window(%q: tensor<1x1x32xf32>, %k: tensor<1x1x16xf32>, %v: tensor<1x1x16xf32>, %s: tensor<1xi32>, %t: tensor<i32>) -> tensor<1x1x32xf32> {
  %none = onnx.none
  // expected-error @+1 {{local_window_size (sliding window) is not supported}}
  %y = onnx.node "com.microsoft.GroupQueryAttention" v1 (%q, %k, %v, %none, %none, %s, %t) {num_heads = 4 : i64, kv_num_heads = 2 : i64, local_window_size = 16 : i64} : (tensor<1x1x32xf32>, tensor<1x1x16xf32>, tensor<1x1x16xf32>, none, none, tensor<1xi32>, tensor<i32>) -> tensor<1x1x32xf32>
  return %y : tensor<1x1x32xf32>
}

// -----

func.func @gqa_padded_batch(%q: tensor<2x1x32xf32>, %k: tensor<2x1x16xf32>, %v: tensor<2x1x16xf32>, %pk: tensor<2x2x5x8xf32>, %pv: tensor<2x2x5x8xf32>) -> tensor<2x1x32xf32> {
  %seqlens = arith.constant dense<[5, 3]> : tensor<2xi32>
  %total = arith.constant dense<6> : tensor<i32>
  // expected-error @+1 {{seqlens_k must be 5 for every batch entry}}
  %y:3 = onnx.node "com.microsoft.GroupQueryAttention" v1 (%q, %k, %v, %pk, %pv, %seqlens, %total) {num_heads = 4 : i64, kv_num_heads = 2 : i64} : (tensor<2x1x32xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x8xf32>, tensor<2xi32>, tensor<i32>) -> (tensor<2x1x32xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>)
  return %y#0 : tensor<2x1x32xf32>
}
