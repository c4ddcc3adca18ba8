// RUN: attune-opt %s --attn-raise --split-input-file | FileCheck %s
// RUN: attune-opt %s --attn-raise --canonicalize --split-input-file | FileCheck %s --check-prefix=CANON
// RUN: attune-opt %s --attn-raise=report=true --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: attune-opt %s --attn-raise=fused-only=true --split-input-file | FileCheck %s --check-prefix=FUSED

// 4-D [B, H, S, D], K^T by Transpose, scores divided by sqrt(D).
// CHECK-LABEL: func.func @transpose_div
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x8x16xf32>, %[[K:.*]]: tensor<2x4x8x16xf32>, %[[V:.*]]: tensor<2x4x8x16xf32>)
// CHECK-NOT: onnx.node
// CHECK: %[[O:.*]] = attn.sdpa %[[Q]], %[[K]], %[[V]] {attn.site = 0 : i64, scale = 2.500000e-01 : f64} : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
// CHECK-NEXT: return %[[O]]
// REPORT: remark: attention site 0: decomposed(MatMul+Transpose) layout=4d heads=4/4 Lq=8 Lk=8 D=16 scale=0.25 (Div 4 on scores 'div') mask=none from kt,qk,div,sm,pv
// FUSED-LABEL: func.func @transpose_div
// FUSED-NOT: attn.sdpa
func.func @transpose_div(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %c = arith.constant dense<4.0> : tensor<f32>
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2], onnx_name = "kt"} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) {onnx_name = "qk"} : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  %d = onnx.node "Div" v13 (%s, %c) {onnx_name = "div"} : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %p = onnx.node "Softmax" v13 (%d) {axis = -1 : i64, onnx_name = "sm"} : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) {onnx_name = "pv"} : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Mul by d^-0.25 on both Q and K; K^T comes straight from [B, L, H, D] with
// perm [0, 2, 3, 1], so K is rebuilt as a [0, 2, 1, 3] transpose.
// CHECK-LABEL: func.func @mul_q_and_k
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x4x8xf32>, %[[K:.*]]: tensor<1x6x2x8xf32>, %[[V:.*]]: tensor<1x2x6x8xf32>)
// CHECK: %[[KT:.*]] = onnx.node "Transpose" v{{[0-9]+}} (%[[K]]) {perm = [0, 2, 1, 3]} : (tensor<1x6x2x8xf32>) -> tensor<1x2x6x8xf32>
// CHECK-NEXT: %[[O:.*]] = attn.sdpa %[[Q]], %[[KT]], %[[V]] {attn.site = 0 : i64, scale = 2.500000e-01 : f64}
// CHECK-NOT: onnx.node
// CHECK: return %[[O]]
// REPORT: remark: attention site 0: decomposed(MatMul+Transpose) layout=4d heads=2/2 Lq=4 Lk=6 D=8 scale=0.25 (Mul 0.5 on Q 'mq', Mul 0.5 on K 'mk') mask=none from mq,mk,kt,qk,sm,pv
func.func @mul_q_and_k(%q: tensor<1x2x4x8xf32>, %k: tensor<1x6x2x8xf32>, %v: tensor<1x2x6x8xf32>) -> tensor<1x2x4x8xf32> {
  %c = arith.constant dense<0.5> : tensor<1xf32>
  %qs = onnx.node "Mul" v13 (%q, %c) {onnx_name = "mq"} : (tensor<1x2x4x8xf32>, tensor<1xf32>) -> tensor<1x2x4x8xf32>
  %ks = onnx.node "Mul" v13 (%k, %c) {onnx_name = "mk"} : (tensor<1x6x2x8xf32>, tensor<1xf32>) -> tensor<1x6x2x8xf32>
  %kt = onnx.node "Transpose" v13 (%ks) {perm = [0, 2, 3, 1], onnx_name = "kt"} : (tensor<1x6x2x8xf32>) -> tensor<1x2x8x6xf32>
  %s = onnx.node "MatMul" v13 (%qs, %kt) {onnx_name = "qk"} : (tensor<1x2x4x8xf32>, tensor<1x2x8x6xf32>) -> tensor<1x2x4x6xf32>
  %p = onnx.node "Softmax" v13 (%s) {axis = 3 : i64, onnx_name = "sm"} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) {onnx_name = "pv"} : (tensor<1x2x4x6xf32>, tensor<1x2x6x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// ONNX Runtime's FusedMatMul (transB, alpha) with an additive key-padding
// mask and torch's Mul(scores, 1.0) after it.
// CHECK-LABEL: func.func @fused_matmul_additive
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x8x16xf32>, %[[K:.*]]: tensor<2x4x8x16xf32>, %[[V:.*]]: tensor<2x4x8x16xf32>, %[[M:.*]]: tensor<2x1x1x8xf32>)
// CHECK-NOT: onnx.node
// CHECK: %[[O:.*]] = attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<2x1x1x8xf32>) {attn.site = 0 : i64, scale = 1.250000e-01 : f64}
// CHECK-NEXT: return %[[O]]
// REPORT: remark: attention site 0: decomposed(FusedMatMul) layout=4d heads=4/4 Lq=8 Lk=8 D=16 scale=0.125 (FusedMatMul alpha 0.125 'fmm') mask=additive from fmm,add,one,sm,pv
func.func @fused_matmul_additive(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>, %m: tensor<2x1x1x8xf32>) -> tensor<2x4x8x16xf32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %s = onnx.node "com.microsoft.FusedMatMul" v1 (%q, %k) {alpha = 1.250000e-01 : f32, transB = 1 : i64, onnx_name = "fmm"} : (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x8xf32>
  %a = onnx.node "Add" v14 (%s, %m) {onnx_name = "add"} : (tensor<2x4x8x8xf32>, tensor<2x1x1x8xf32>) -> tensor<2x4x8x8xf32>
  %b = onnx.node "Mul" v14 (%a, %one) {onnx_name = "one"} : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %p = onnx.node "Softmax" v13 (%b) {axis = -1 : i64, onnx_name = "sm"} : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) {onnx_name = "pv"} : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// Boolean mask through Where(cond, scores, -inf); K^T is a plain input, so a
// transpose of it becomes K. Mask operand first in the Add-free chain.
// CHECK-LABEL: func.func @where_bool
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x4x8xf32>, %[[KT:.*]]: tensor<1x2x8x6xf32>, %[[V:.*]]: tensor<1x2x6x8xf32>, %[[C:.*]]: tensor<1x1x4x6xi1>)
// CHECK: %[[K:.*]] = onnx.node "Transpose" v{{[0-9]+}} (%[[KT]]) {perm = [0, 1, 3, 2]} : (tensor<1x2x8x6xf32>) -> tensor<1x2x6x8xf32>
// CHECK-NEXT: %[[O:.*]] = attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[C]] : tensor<1x1x4x6xi1>) {attn.site = 0 : i64, scale = 1.000000e+00 : f64}
// CHECK-NEXT: return %[[O]]
// REPORT: remark: attention site 0: decomposed(MatMul) layout=4d heads=2/2 Lq=4 Lk=6 D=8 scale=1 (no scaling) mask=boolean from qk,where,sm,pv
func.func @where_bool(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x6xf32>, %v: tensor<1x2x6x8xf32>, %c: tensor<1x1x4x6xi1>) -> tensor<1x2x4x8xf32> {
  %ninf = arith.constant dense<0xFF800000> : tensor<f32>
  %s = onnx.node "MatMul" v13 (%q, %kt) {onnx_name = "qk"} : (tensor<1x2x4x8xf32>, tensor<1x2x8x6xf32>) -> tensor<1x2x4x6xf32>
  %w = onnx.node "Where" v16 (%c, %s, %ninf) {onnx_name = "where"} : (tensor<1x1x4x6xi1>, tensor<1x2x4x6xf32>, tensor<f32>) -> tensor<1x2x4x6xf32>
  %p = onnx.node "Softmax" v13 (%w) {axis = -1 : i64, onnx_name = "sm"} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) {onnx_name = "pv"} : (tensor<1x2x4x6xf32>, tensor<1x2x6x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Where(cond, NEG, scores): the kept positions are Not(cond). Scaling after
// the Where by a factor > 1 keeps the fill very negative.
// CHECK-LABEL: func.func @where_inverted
// CHECK-SAME: %[[C:[^:]*]]: tensor<4x6xi1>
// CHECK: %[[N:.*]] = onnx.node "Not" v1 (%[[C]]) : (tensor<4x6xi1>) -> tensor<4x6xi1>
// CHECK-NEXT: attn.sdpa {{.*}} mask(%[[N]] : tensor<4x6xi1>) {attn.site = 0 : i64, scale = 2.000000e+00 : f64}
// REPORT: remark: attention site 0: decomposed(MatMul+Transpose) layout=4d heads=2/2 Lq=4 Lk=6 D=8 scale=2 (Mul 2 on scores 'x2') mask=boolean from kt,qk,where,x2,sm,pv
func.func @where_inverted(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>, %c: tensor<4x6xi1>) -> tensor<1x2x4x8xf32> {
  %neg = arith.constant dense<-1.0e+04> : tensor<f32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2], onnx_name = "kt"} : (tensor<1x2x6x8xf32>) -> tensor<1x2x8x6xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) {onnx_name = "qk"} : (tensor<1x2x4x8xf32>, tensor<1x2x8x6xf32>) -> tensor<1x2x4x6xf32>
  %w = onnx.node "Where" v16 (%c, %neg, %s) {onnx_name = "where"} : (tensor<4x6xi1>, tensor<f32>, tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
  %x = onnx.node "Mul" v14 (%two, %w) {onnx_name = "x2"} : (tensor<f32>, tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
  %p = onnx.node "Softmax" v13 (%x) {axis = -1 : i64, onnx_name = "sm"} : (tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) {onnx_name = "pv"} : (tensor<1x2x4x6xf32>, tensor<1x2x6x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// GPT-2 style: Div on the scores, then Where with a constant causal mask (a
// folded Trilu/Slice) and finfo.min; canonicalization makes it `causal`.
// CHECK-LABEL: func.func @const_causal
// CHECK: attn.sdpa {{.*}} mask(%{{.*}} : tensor<1x1x4x4xi1>) {attn.site = 0 : i64, scale = 1.250000e-01 : f64}
// CANON-LABEL: func.func @const_causal
// CANON: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} {attn.site = 0 : i64, causal = #attn.causal<top_left>, scale = 1.250000e-01 : f64}
// REPORT: remark: attention site 0: decomposed(MatMul+Transpose) layout=4d heads=2/2 Lq=4 Lk=4 D=64 scale=0.125 (Div 8 on scores 'div') mask=causal(top_left) from kt,qk,div,where,sm,pv
func.func @const_causal(%q: tensor<1x2x4x64xf32>, %k: tensor<1x2x4x64xf32>, %v: tensor<1x2x4x64xf32>) -> tensor<1x2x4x64xf32> {
  %tri = arith.constant dense<[[[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]]]> : tensor<1x1x4x4xi1>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %c8 = arith.constant dense<8.0> : tensor<f32>
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2], onnx_name = "kt"} : (tensor<1x2x4x64xf32>) -> tensor<1x2x64x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) {onnx_name = "qk"} : (tensor<1x2x4x64xf32>, tensor<1x2x64x4xf32>) -> tensor<1x2x4x4xf32>
  %d = onnx.node "Div" v13 (%s, %c8) {onnx_name = "div"} : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %w = onnx.node "Where" v16 (%tri, %d, %min) {onnx_name = "where"} : (tensor<1x1x4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%w) {axis = -1 : i64, onnx_name = "sm"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) {onnx_name = "pv"} : (tensor<1x2x4x4xf32>, tensor<1x2x4x64xf32>) -> tensor<1x2x4x64xf32>
  return %o : tensor<1x2x4x64xf32>
}

// -----

// 3-D [B*H, S, D] (torch's MultiheadAttention): lifted to [B*H, 1, S, D].
// CHECK-LABEL: func.func @three_d
// CHECK-SAME: (%[[Q:.*]]: tensor<8x6x16xf32>, %[[K:.*]]: tensor<8x5x16xf32>, %[[V:.*]]: tensor<8x5x4xf32>, %[[M:.*]]: tensor<8x6x5xf32>)
// CHECK-DAG: %[[S4:.*]] = arith.constant dense<[8, 1, 6, 16]> : tensor<4xi64>
// CHECK-DAG: %[[Q4:.*]] = onnx.node "Reshape" v{{[0-9]+}} (%[[Q]], %[[S4]]) : (tensor<8x6x16xf32>, tensor<4xi64>) -> tensor<8x1x6x16xf32>
// CHECK-DAG: %[[K4:.*]] = onnx.node "Reshape" v{{[0-9]+}} (%[[K]], %{{.*}}) : (tensor<8x5x16xf32>, tensor<4xi64>) -> tensor<8x1x5x16xf32>
// CHECK-DAG: %[[V4:.*]] = onnx.node "Reshape" v{{[0-9]+}} (%[[V]], %{{.*}}) : (tensor<8x5x4xf32>, tensor<4xi64>) -> tensor<8x1x5x4xf32>
// CHECK-DAG: %[[M4:.*]] = onnx.node "Reshape" v{{[0-9]+}} (%[[M]], %{{.*}}) : (tensor<8x6x5xf32>, tensor<4xi64>) -> tensor<8x1x6x5xf32>
// CHECK: %[[O4:.*]] = attn.sdpa %[[Q4]], %[[K4]], %[[V4]] mask(%[[M4]] : tensor<8x1x6x5xf32>) {attn.site = 0 : i64, scale = 2.500000e-01 : f64} : tensor<8x1x6x16xf32>, tensor<8x1x5x16xf32>, tensor<8x1x5x4xf32> -> tensor<8x1x6x4xf32>
// CHECK: %[[O:.*]] = onnx.node "Reshape" v{{[0-9]+}} (%[[O4]], %{{.*}}) : (tensor<8x1x6x4xf32>, tensor<3xi64>) -> tensor<8x6x4xf32>
// CHECK: return %[[O]]
// REPORT: remark: attention site 0: decomposed(MatMul+Transpose) layout=3d heads=1/1 Lq=6 Lk=5 D=16 scale=0.25 (Mul 0.25 on scores 'scale') mask=additive from kt,qk,scale,bias,sm,pv
func.func @three_d(%q: tensor<8x6x16xf32>, %k: tensor<8x5x16xf32>, %v: tensor<8x5x4xf32>, %m: tensor<8x6x5xf32>) -> tensor<8x6x4xf32> {
  %c = arith.constant dense<0.25> : tensor<f32>
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 2, 1], onnx_name = "kt"} : (tensor<8x5x16xf32>) -> tensor<8x16x5xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) {onnx_name = "qk"} : (tensor<8x6x16xf32>, tensor<8x16x5xf32>) -> tensor<8x6x5xf32>
  %x = onnx.node "Mul" v14 (%s, %c) {onnx_name = "scale"} : (tensor<8x6x5xf32>, tensor<f32>) -> tensor<8x6x5xf32>
  %a = onnx.node "Add" v14 (%m, %x) {onnx_name = "bias"} : (tensor<8x6x5xf32>, tensor<8x6x5xf32>) -> tensor<8x6x5xf32>
  %p = onnx.node "Softmax" v13 (%a) {axis = 2 : i64, onnx_name = "sm"} : (tensor<8x6x5xf32>) -> tensor<8x6x5xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) {onnx_name = "pv"} : (tensor<8x6x5xf32>, tensor<8x5x4xf32>) -> tensor<8x6x4xf32>
  return %o : tensor<8x6x4xf32>
}

// -----

// MQA: one K/V head broadcast by the MatMuls. The QK^T scores are also a
// graph output, so that MatMul (and its Transpose) stay.
// CHECK-LABEL: func.func @mqa_scores_kept
// CHECK: %[[S:.*]] = onnx.node "MatMul"
// CHECK: %[[O:.*]] = attn.sdpa {{.*}} {attn.site = 0 : i64, scale = 1.000000e+00 : f64} : tensor<1x4x3x8xf32>, tensor<1x1x5x8xf32>, tensor<1x1x5x8xf32> -> tensor<1x4x3x8xf32>
// CHECK-NOT: Softmax
// CHECK: return %[[O]], %[[S]]
// REPORT: remark: attention site 0: decomposed(MatMul+Transpose) layout=4d heads=4/1 Lq=3 Lk=5 D=8 scale=1 (no scaling) mask=none from kt,qk,sm,pv
func.func @mqa_scores_kept(%q: tensor<1x4x3x8xf32>, %k: tensor<1x1x5x8xf32>, %v: tensor<1x1x5x8xf32>) -> (tensor<1x4x3x8xf32>, tensor<1x4x3x5xf32>) {
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2], onnx_name = "kt"} : (tensor<1x1x5x8xf32>) -> tensor<1x1x8x5xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) {onnx_name = "qk"} : (tensor<1x4x3x8xf32>, tensor<1x1x8x5xf32>) -> tensor<1x4x3x5xf32>
  %p = onnx.node "Softmax" v13 (%s) {axis = -1 : i64, onnx_name = "sm"} : (tensor<1x4x3x5xf32>) -> tensor<1x4x3x5xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) {onnx_name = "pv"} : (tensor<1x4x3x5xf32>, tensor<1x1x5x8xf32>) -> tensor<1x4x3x8xf32>
  return %o, %s : tensor<1x4x3x8xf32>, tensor<1x4x3x5xf32>
}

// -----

// Two sites in one graph are numbered in graph order.
// CHECK-LABEL: func.func @two_sites
// CHECK: attn.sdpa {{.*}}attn.site = 0
// CHECK: attn.sdpa {{.*}}attn.site = 1
// REPORT: remark: attention site 0:
// REPORT: remark: attention site 1:
func.func @two_sites(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%s) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %q) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %s2 = onnx.node "MatMul" v13 (%o, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p2 = onnx.node "Softmax" v13 (%s2) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o2 = onnx.node "MatMul" v13 (%p2, %k) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o2 : tensor<1x2x4x8xf32>
}

// -----

// A causal mask too large to fold (here: not folded at all) is recognized
// from the graph that builds it: Cast(Trilu(ConstantOfShape(1))), and with
// Trilu's k = Lk - Lq as bottom-right causality.
// CHECK-LABEL: func.func @trilu_causal
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} {attn.site = 0 : i64, causal = #attn.causal<top_left>
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} {attn.site = 1 : i64, causal = #attn.causal<bottom_right>
func.func @trilu_causal(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %q2: tensor<1x2x2x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x2x8xf32>) {
  %shape = arith.constant dense<[4, 4]> : tensor<2xi64>
  %shape2 = arith.constant dense<[2, 4]> : tensor<2xi64>
  %two = arith.constant dense<2> : tensor<i64>
  %neg = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %ones = onnx.node "ConstantOfShape" v9 (%shape) {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<4x4xi64>
  %tril = onnx.node "Trilu" v14 (%ones) {upper = 0 : i64} : (tensor<4x4xi64>) -> tensor<4x4xi64>
  %keep = onnx.node "Cast" v13 (%tril) {to = 9 : i64} : (tensor<4x4xi64>) -> tensor<4x4xi1>
  %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %w = onnx.node "Where" v16 (%keep, %s, %neg) : (tensor<4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = onnx.node "Softmax" v13 (%w) {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %v) : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %ones2 = onnx.node "ConstantOfShape" v9 (%shape2) {value = dense<1.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<2x4xf32>
  %tril2 = onnx.node "Trilu" v14 (%ones2, %two) {upper = 0 : i64} : (tensor<2x4xf32>, tensor<i64>) -> tensor<2x4xf32>
  %keep2 = onnx.node "Cast" v13 (%tril2) {to = 9 : i64} : (tensor<2x4xf32>) -> tensor<2x4xi1>
  %s2 = onnx.node "MatMul" v13 (%q2, %kt) : (tensor<1x2x2x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x2x4xf32>
  %w2 = onnx.node "Where" v16 (%keep2, %s2, %neg) : (tensor<2x4xi1>, tensor<1x2x2x4xf32>, tensor<f32>) -> tensor<1x2x2x4xf32>
  %p2 = onnx.node "Softmax" v13 (%w2) {axis = -1 : i64} : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %o2 = onnx.node "MatMul" v13 (%p2, %v) : (tensor<1x2x2x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x2x8xf32>
  return %o, %o2 : tensor<1x2x4x8xf32>, tensor<1x2x2x8xf32>
}

// -----

// GQA written as repeated key/value heads (HF repeat_kv: Unsqueeze, Expand,
// Reshape) attends to the original 2 key/value heads.
// CHECK-LABEL: func.func @repeat_kv
// CHECK: attn.sdpa %arg0, %arg1, %arg2 {{.*}} : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
// REPORT: remark: attention site 0: {{.*}}heads=4/2{{.*}}[GQA from repeated key/value heads (group 2)]
func.func @repeat_kv(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %axes = arith.constant dense<2> : tensor<1xi64>
  %rep = arith.constant dense<[1, 2, 2, 4, 8]> : tensor<5xi64>
  %flat = arith.constant dense<[1, 4, 4, 8]> : tensor<4xi64>
  %ku = onnx.node "Unsqueeze" v13 (%k, %axes) : (tensor<1x2x4x8xf32>, tensor<1xi64>) -> tensor<1x2x1x4x8xf32>
  %ke = onnx.node "Expand" v13 (%ku, %rep) : (tensor<1x2x1x4x8xf32>, tensor<5xi64>) -> tensor<1x2x2x4x8xf32>
  %kr = onnx.node "Reshape" v14 (%ke, %flat) : (tensor<1x2x2x4x8xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %vu = onnx.node "Unsqueeze" v13 (%v, %axes) : (tensor<1x2x4x8xf32>, tensor<1xi64>) -> tensor<1x2x1x4x8xf32>
  %ve = onnx.node "Expand" v13 (%vu, %rep) : (tensor<1x2x1x4x8xf32>, tensor<5xi64>) -> tensor<1x2x2x4x8xf32>
  %vr = onnx.node "Reshape" v14 (%ve, %flat) : (tensor<1x2x2x4x8xf32>, tensor<4xi64>) -> tensor<1x4x4x8xf32>
  %kt = onnx.node "Transpose" v13 (%kr) {perm = [0, 1, 3, 2]} : (tensor<1x4x4x8xf32>) -> tensor<1x4x8x4xf32>
  %s = onnx.node "MatMul" v13 (%q, %kt) : (tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) -> tensor<1x4x4x4xf32>
  %p = onnx.node "Softmax" v13 (%s) {axis = -1 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %o = onnx.node "MatMul" v13 (%p, %vr) : (tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}
