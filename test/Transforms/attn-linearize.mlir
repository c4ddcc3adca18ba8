// attn-linearize: one case per feature and option. Each case needs its own
// pass options, so the cases are separate files.
// RUN: split-file %s %t
// RUN: attune-opt %t/elu1.mlir --attn-linearize | FileCheck %t/elu1.mlir
// RUN: attune-opt %t/relu.mlir --attn-linearize="feature=relu chunk=16" | FileCheck %t/relu.mlir
// RUN: attune-opt %t/mala.mlir --attn-linearize="feature=mala" | FileCheck %t/mala.mlir
// RUN: attune-opt %t/mala.mlir --attn-linearize="feature=mala scale=0.5" | FileCheck %t/mala.mlir --check-prefix=SCALE
// RUN: attune-opt %t/lightning.mlir --attn-linearize="feature=lightning chunk=32 decay=0.1,0.2,0.3,0.4 scale=0.125" | FileCheck %t/lightning.mlir
// RUN: attune-opt %t/lightning.mlir --attn-linearize="feature=lightning" | FileCheck %t/lightning.mlir --check-prefix=NODECAY
// RUN: attune-opt %t/agent.mlir --attn-linearize="feature=agent agents=4" | FileCheck %t/agent.mlir
// RUN: attune-opt %t/hybrid.mlir --attn-linearize="feature=hybrid block-size=4 topk-ratio=0.5 kernel=relu" | FileCheck %t/hybrid.mlir
// RUN: attune-opt %t/hybrid-heads.mlir --attn-linearize="feature=hybrid block-size=4 heads=0-1" | FileCheck %t/hybrid-heads.mlir
// RUN: attune-opt %t/layers.mlir --attn-linearize="layers=1" | FileCheck %t/layers.mlir
// RUN: attune-opt %t/heads-mha.mlir --attn-linearize="heads=1,3" | FileCheck %t/heads-mha.mlir
// RUN: attune-opt %t/heads-gqa.mlir --attn-linearize="feature=mala heads=2-3" | FileCheck %t/heads-gqa.mlir
// RUN: attune-opt %t/heads-split-group.mlir --attn-linearize="feature=lightning heads=0,3 decay=0.1,0.2,0.3,0.4" | FileCheck %t/heads-split-group.mlir
// RUN: attune-opt %t/ignore-mask.mlir --attn-linearize="heads=1-2 ignore-mask=true" | FileCheck %t/ignore-mask.mlir
// RUN: attune-opt %t/decode.mlir --attn-linearize="feature=elu1" | FileCheck %t/decode.mlir
// The reference decompositions keep the linear cost shape: no Lq x Lk
// tensor (here 40x40) is ever built for the non-causal or chunked forms.
// RUN: attune-opt %t/cost.mlir --attn-linearize="feature=elu1" --convert-attn-to-linalg | FileCheck %t/cost.mlir --check-prefix=COST
// RUN: attune-opt %t/cost.mlir --attn-linearize="feature=mala" --convert-attn-to-linalg | FileCheck %t/cost.mlir --check-prefix=COST
// RUN: attune-opt %t/cost-causal.mlir --attn-linearize="feature=elu1 chunk=8" --convert-attn-to-linalg | FileCheck %t/cost-causal.mlir --check-prefix=COST
// RUN: attune-opt %t/cost-causal.mlir --attn-linearize="feature=lightning chunk=8 decay=0.1" --convert-attn-to-linalg | FileCheck %t/cost-causal.mlir --check-prefix=COST

//--- elu1.mlir
// Default: kernelized elu+1 on every head of every site; non-causal.
// CHECK-LABEL: func.func @elu1
// CHECK: %[[O:.*]] = attn.linear %arg0, %arg1, %arg2 {attn.site = 0 : i64, variant = #attn.linear<kernelized>} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32> -> tensor<1x4x8x8xf32>
// CHECK-NOT: attn.sdpa
// CHECK: return %[[O]]
func.func @elu1(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %0 = attn.sdpa %q, %k, %v {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32> -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

//--- relu.mlir
// A causal site keeps causality (the chunked causal form).
// CHECK-LABEL: func.func @relu
// CHECK: attn.linear %arg0, %arg0, %arg0 {attn.site = 3 : i64, causal, chunk = 16 : i64, feature = #attn.feature<relu>, variant = #attn.linear<kernelized>}
func.func @relu(%q: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = attn.sdpa %q, %q, %q {attn.site = 3 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %0 : tensor<1x4x8x16xf32>
}

//--- mala.mlir
// MALA takes the site's scale as s unless `scale` is given.
// CHECK-LABEL: func.func @mala
// CHECK: attn.linear %arg0, %arg0, %arg0 {attn.site = 0 : i64, scale = 2.500000e-01 : f64, variant = #attn.linear<mala>}
// SCALE-LABEL: func.func @mala
// SCALE: attn.linear %arg0, %arg0, %arg0 {attn.site = 0 : i64, scale = 5.000000e-01 : f64, variant = #attn.linear<mala>}
func.func @mala(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %0 : tensor<1x2x8x16xf32>
}

//--- lightning.mlir
// Lightning: chunk, per-head decay and a q.k scale; without options no decay
// and no scale (the plain causal unnormalized product).
// CHECK-LABEL: func.func @lightning
// CHECK: attn.linear %arg0, %arg1, %arg1 {attn.site = 0 : i64, causal, chunk = 32 : i64, decay = array<f64: 1.000000e-01, 2.000000e-01, 3.000000e-01, 4.000000e-01>, scale = 1.250000e-01 : f64, variant = #attn.linear<lightning>}
// NODECAY-LABEL: func.func @lightning
// NODECAY: attn.linear %arg0, %arg1, %arg1 {attn.site = 0 : i64, causal, variant = #attn.linear<lightning>}
func.func @lightning(%q: tensor<1x4x8x16xf32>, %k: tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x4x8x16xf32>
  return %0 : tensor<1x4x8x16xf32>
}

//--- agent.mlir
// CHECK-LABEL: func.func @agent
// CHECK: attn.agent %arg0, %arg1, %arg1 {attn.site = 0 : i64, num_agents = 4 : i64, scale = 5.000000e-01 : f64} : tensor<1x2x10x16xf32>, tensor<1x2x12x16xf32>, tensor<1x2x12x16xf32> -> tensor<1x2x10x16xf32>
func.func @agent(%q: tensor<1x2x10x16xf32>, %k: tensor<1x2x12x16xf32>) -> tensor<1x2x10x16xf32> {
  %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, scale = 5.000000e-01 : f64} : tensor<1x2x10x16xf32>, tensor<1x2x12x16xf32>, tensor<1x2x12x16xf32> -> tensor<1x2x10x16xf32>
  return %0 : tensor<1x2x10x16xf32>
}

//--- hybrid.mlir
// SLA hybrid: one block map feeds the sdpa's block_mask and the linear
// term's exclude; the two are added.
// CHECK-LABEL: func.func @hybrid
// CHECK: %[[BM:.*]] = attn.block_select %arg0, %arg0 {block_k = 4 : i64, block_q = 4 : i64, causal = #attn.causal<top_left>, local_blocks = 0 : i64, method = #attn.select<sla>, sink_blocks = 0 : i64, topk_ratio = 5.000000e-01 : f64} : tensor<1x2x10x16xf32>, tensor<1x2x10x16xf32> -> tensor<1x2x3x3xi1>
// CHECK: %[[S:.*]] = attn.sdpa %arg0, %arg0, %arg0 block_mask(%[[BM]] : tensor<1x2x3x3xi1>) {attn.site = 0 : i64, block_size = array<i64: 4, 4>, causal = #attn.causal<top_left>}
// CHECK: %[[L:.*]] = attn.linear %arg0, %arg0, %arg0 exclude(%[[BM]] : tensor<1x2x3x3xi1>) {attn.site = 0 : i64, block_size = array<i64: 4, 4>, causal, feature = #attn.feature<relu>, variant = #attn.linear<kernelized>}
// CHECK: %[[O:.*]] = linalg.add ins(%[[S]], %[[L]] : {{.*}})
// CHECK: return %[[O]]
func.func @hybrid(%q: tensor<1x2x10x16xf32>) -> tensor<1x2x10x16xf32> {
  %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x2x10x16xf32>, tensor<1x2x10x16xf32>, tensor<1x2x10x16xf32> -> tensor<1x2x10x16xf32>
  return %0 : tensor<1x2x10x16xf32>
}

//--- hybrid-heads.mlir
// Hybrid on heads 0-1: the other heads are dense_heads of the sparse sdpa
// and get no linear term (zeros are added).
// CHECK-LABEL: func.func @hybrid_heads
// CHECK: %[[BM:.*]] = attn.block_select
// CHECK: %[[S:.*]] = attn.sdpa %arg0, %arg1, %arg1 block_mask(%[[BM]] : tensor<1x4x2x2xi1>) {attn.site = 0 : i64, block_size = array<i64: 4, 4>, dense_heads = array<i64: 2, 3>}
// CHECK-DAG: %[[Q:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 2, 8, 16]
// CHECK-DAG: %[[K:.*]] = tensor.extract_slice %arg1[0, 0, 0, 0] [1, 1, 8, 16]
// CHECK-DAG: %[[X:.*]] = tensor.extract_slice %[[BM]][0, 0, 0, 0] [1, 2, 2, 2]
// CHECK: %[[L:.*]] = attn.linear %[[Q]], %[[K]], %{{.*}} exclude(%[[X]] : tensor<1x2x2x2xi1>)
// CHECK: %[[Z:.*]] = linalg.fill
// CHECK: %[[L1:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [1, 2, 8, 16]
// CHECK: %[[L2:.*]] = tensor.insert_slice %{{.*}} into %[[L1]][0, 2, 0, 0] [1, 2, 8, 16]
// CHECK: linalg.add ins(%[[S]], %[[L2]] : {{.*}})
func.func @hybrid_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %0 : tensor<1x4x8x16xf32>
}

//--- layers.mlir
// Only site 1 (by attn.site, not program order) is rewritten.
// CHECK-LABEL: func.func @layers
// CHECK: attn.linear %arg0, %arg0, %arg0 {attn.site = 1 : i64
// CHECK: attn.sdpa %arg0, %arg0, %arg0 {attn.site = 0 : i64}
func.func @layers(%q: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %0 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %1 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %0, %1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

//--- heads-mha.mlir
// Heads 1 and 3 linear, heads 0 and 2 softmax; results reassembled in head
// order.
// CHECK-LABEL: func.func @heads_mha
// CHECK-DAG: %[[Q1:.*]] = tensor.extract_slice %arg0[0, 1, 0, 0] [1, 1, 8, 16]
// CHECK-DAG: %[[Q3:.*]] = tensor.extract_slice %arg0[0, 3, 0, 0] [1, 1, 8, 16]
// CHECK: %[[L:.*]] = attn.linear {{.*}} -> tensor<1x2x8x16xf32>
// CHECK: %[[D:.*]] = attn.sdpa {{.*}} {attn.site = 0 : i64} {{.*}} -> tensor<1x2x8x16xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x4x8x16xf32>
// CHECK: %[[P0:.*]] = tensor.extract_slice %[[D]][0, 0, 0, 0] [1, 1, 8, 16]
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[P0]] into %[[E]][0, 0, 0, 0]
// CHECK: %[[P1:.*]] = tensor.extract_slice %[[L]][0, 0, 0, 0] [1, 1, 8, 16]
// CHECK: %[[R1:.*]] = tensor.insert_slice %[[P1]] into %[[R0]][0, 1, 0, 0]
// CHECK: %[[P2:.*]] = tensor.extract_slice %[[D]][0, 1, 0, 0] [1, 1, 8, 16]
// CHECK: %[[R2:.*]] = tensor.insert_slice %[[P2]] into %[[R1]][0, 2, 0, 0]
// CHECK: %[[P3:.*]] = tensor.extract_slice %[[L]][0, 1, 0, 0] [1, 1, 8, 16]
// CHECK: %[[R3:.*]] = tensor.insert_slice %[[P3]] into %[[R2]][0, 3, 0, 0]
// CHECK: return %[[R3]]
func.func @heads_mha(%q: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %0 : tensor<1x4x8x16xf32>
}

//--- heads-gqa.mlir
// Heads 2-3 are the whole second GQA group: K/V are sliced group-wise.
// CHECK-LABEL: func.func @heads_gqa
// CHECK-DAG: %[[Q:.*]] = tensor.extract_slice %arg0[0, 2, 0, 0] [1, 2, 8, 16]
// CHECK-DAG: %[[K:.*]] = tensor.extract_slice %arg1[0, 1, 0, 0] [1, 1, 8, 16]
// CHECK: attn.linear %[[Q]], %[[K]], %{{.*}} {attn.site = 0 : i64, scale = 2.500000e-01 : f64, variant = #attn.linear<mala>} : tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x2x8x16xf32>
// CHECK-DAG: %[[QR:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 2, 8, 16]
// CHECK-DAG: %[[KR:.*]] = tensor.extract_slice %arg1[0, 0, 0, 0] [1, 1, 8, 16]
// CHECK: attn.sdpa %[[QR]], %[[KR]], %{{.*}} {attn.site = 0 : i64} : tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x2x8x16xf32>
func.func @heads_gqa(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %0 : tensor<1x4x8x16xf32>
}

//--- heads-split-group.mlir
// Heads 0 and 3 split both GQA groups: each selected query head gets its own
// copy of its kv head (here kv 0 and 1, i.e. all of K); the decay list is
// narrowed to the selected heads.
// CHECK-LABEL: func.func @heads_split_group
// CHECK: %[[Q:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 1, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x1x8x16xf32> into tensor<1x2x8x16xf32>
// CHECK: attn.linear %[[Q]], %arg1, %arg1 {attn.site = 0 : i64, causal, decay = array<f64: 1.000000e-01, 4.000000e-01>, variant = #attn.linear<lightning>} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
// CHECK: %[[QR:.*]] = tensor.extract_slice %arg0[0, 1, 0, 0] [1, 2, 8, 16]
// CHECK: attn.sdpa %[[QR]], %arg1, %arg1 {attn.site = 0 : i64, causal = #attn.causal<top_left>}
func.func @heads_split_group(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %0 : tensor<1x4x8x16xf32>
}

//--- ignore-mask.mlir
// ignore-mask: the linear heads drop the mask, the softmax heads keep their
// slice of the per-head mask.
// CHECK-LABEL: func.func @ignore_mask
// CHECK: attn.linear {{.*}} {attn.site = 0 : i64, variant = #attn.linear<kernelized>} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
// CHECK-DAG: %[[M0:.*]] = tensor.extract_slice %arg1[0, 0, 0, 0] [1, 1, 8, 8]
// CHECK-DAG: %[[M3:.*]] = tensor.extract_slice %arg1[0, 3, 0, 0] [1, 1, 8, 8]
// CHECK: %[[M:.*]] = tensor.insert_slice %[[M3]] into %{{.*}}[0, 1, 0, 0] [1, 1, 8, 8] [1, 1, 1, 1] : tensor<1x1x8x8xf32> into tensor<1x2x8x8xf32>
// CHECK: attn.sdpa {{.*}} mask(%[[M]] : tensor<1x2x8x8xf32>) {attn.site = 0 : i64, softcap = 3.000000e+01 : f64}
func.func @ignore_mask(%q: tensor<1x4x8x16xf32>, %m: tensor<1x4x8x8xf32>) -> tensor<1x4x8x16xf32> {
  %0 = attn.sdpa %q, %q, %q mask(%m : tensor<1x4x8x8xf32>) {attn.site = 0 : i64, softcap = 3.000000e+01 : f64} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %0 : tensor<1x4x8x16xf32>
}

//--- decode.mlir
// A decode step (bottom-right causal, Lq < Lk) maps to the causal form.
// CHECK-LABEL: func.func @decode
// CHECK: attn.linear %arg0, %arg1, %arg1 {attn.site = 0 : i64, causal, variant = #attn.linear<kernelized>} : tensor<1x2x3x16xf32>, tensor<1x2x20x16xf32>
func.func @decode(%q: tensor<1x2x3x16xf32>, %k: tensor<1x2x20x16xf32>) -> tensor<1x2x3x16xf32> {
  %0 = attn.sdpa %q, %k, %k {attn.site = 0 : i64, causal = #attn.causal<bottom_right>} : tensor<1x2x3x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32> -> tensor<1x2x3x16xf32>
  return %0 : tensor<1x2x3x16xf32>
}

//--- cost.mlir
// COST-LABEL: func.func @cost
// COST-NOT: 40x40
// COST: return
func.func @cost(%q: tensor<1x2x40x16xf32>) -> tensor<1x2x40x16xf32> {
  %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64} : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %0 : tensor<1x2x40x16xf32>
}

//--- cost-causal.mlir
// COST-LABEL: func.func @cost_causal
// COST-NOT: 40x40
// COST: return
func.func @cost_causal(%q: tensor<1x2x40x16xf32>) -> tensor<1x2x40x16xf32> {
  %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x2x40x16xf32>
  return %0 : tensor<1x2x40x16xf32>
}
