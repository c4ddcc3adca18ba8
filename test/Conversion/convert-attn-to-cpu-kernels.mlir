// RUN: attune-opt %s --split-input-file --convert-attn-to-cpu-kernels | FileCheck %s

// CHECK: func.func private @attune_sdpa_f32(memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xi1>, memref<?x?x?x?xi1>, memref<?x?x?xi64>, memref<?xi64>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?xi64>, memref<?xf64>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @causal
// CHECK-DAG: %[[Q:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() : memref<1x2x8x16xf32>
// Parameters: version 5, causal bottom_right (2), no mask, ...
// CHECK-DAG: arith.constant dense<[5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<21xi64>
// CHECK-DAG: arith.constant dense<[2.500000e-01, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]> : tensor<5xf64>
// CHECK: call @attune_sdpa_f32(
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: return %[[R]]
// CHECK-NOT: attn.sdpa
func.func @causal(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.sdpa %q, %k, %v {causal = #attn.causal<bottom_right>} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// A [Lq, Lk] boolean mask is padded to rank 4; the window, the dense head
// flags and the op's tiling travel in the i64 parameters.
// CHECK-LABEL: func.func @window_mask
// CHECK: tensor.expand_shape %arg3 {{\[\[}}0, 1, 2], [3]] output_shape [1, 1, 8, 8] : tensor<8x8xi1> into tensor<1x1x8x8xi1>
// CHECK: arith.constant dense<[5, 0, 1, 0, 0, 0, 1, 2, 3, 0, 1, 0, 0, 1, 0, 16, 32, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1]> : tensor<27xi64>
// CHECK: call @attune_sdpa_f32(
func.func @window_mask(%q: tensor<1x3x8x16xf32>, %k: tensor<1x3x8x16xf32>, %v: tensor<1x3x8x16xf32>, %m: tensor<8x8xi1>) -> tensor<1x3x8x16xf32> {
  %o = attn.sdpa %q, %k, %v mask(%m : tensor<8x8xi1>) {window = #attn.window<sinks = 2, left = 3, right = 0>, dense_heads = array<i64: 1>, attn.tiling = array<i64: 16, 32>} : tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32> -> tensor<1x3x8x16xf32>
  return %o : tensor<1x3x8x16xf32>
}

// -----

// A decode step whose K and V are Concat(past, new) along the key axis reads
// the two pieces in place: past as K / V, new as the tail pieces, the split
// (15) as the last fixed parameter; the Concats are left to die. With more
// than 8 query rows per key/value head (the tiled kernel) the Concat stays.
// CHECK-LABEL: func.func @concat_cache
// CHECK-DAG: %[[PK:.*]] = bufferization.to_buffer %arg1 read_only : tensor<1x2x15x16xf32>
// CHECK-DAG: %[[NK:.*]] = bufferization.to_buffer %arg2 read_only : tensor<1x2x1x16xf32>
// CHECK-DAG: arith.constant dense<[5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0]> : tensor<21xi64>
// CHECK: call @attune_sdpa_f32(
// CHECK: %[[K2:.*]] = onnx.node "Concat" v13 (%arg1, %arg5)
// CHECK: bufferization.to_buffer %[[K2]] read_only
// CHECK: call @attune_sdpa_f32(
func.func @concat_cache(%q: tensor<1x4x1x16xf32>, %pk: tensor<1x2x15x16xf32>, %nk: tensor<1x2x1x16xf32>, %pv: tensor<1x2x15x16xf32>, %nv: tensor<1x2x1x16xf32>, %nk9: tensor<1x2x9x16xf32>, %q9: tensor<1x4x9x16xf32>) -> (tensor<1x4x1x16xf32>, tensor<1x4x9x16xf32>) {
  %k = onnx.node "Concat" v13 (%pk, %nk) {axis = 2 : i64} : (tensor<1x2x15x16xf32>, tensor<1x2x1x16xf32>) -> tensor<1x2x16x16xf32>
  %v = onnx.node "Concat" v13 (%pv, %nv) {axis = -2 : i64} : (tensor<1x2x15x16xf32>, tensor<1x2x1x16xf32>) -> tensor<1x2x16x16xf32>
  %o = attn.sdpa %q, %k, %v {causal = #attn.causal<bottom_right>} : tensor<1x4x1x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32> -> tensor<1x4x1x16xf32>
  %k9 = onnx.node "Concat" v13 (%pk, %nk9) {axis = 2 : i64} : (tensor<1x2x15x16xf32>, tensor<1x2x9x16xf32>) -> tensor<1x2x24x16xf32>
  %v9 = onnx.node "Concat" v13 (%pv, %nk9) {axis = 2 : i64} : (tensor<1x2x15x16xf32>, tensor<1x2x9x16xf32>) -> tensor<1x2x24x16xf32>
  %o9 = attn.sdpa %q9, %k9, %v9 {causal = #attn.causal<bottom_right>} : tensor<1x4x9x16xf32>, tensor<1x2x24x16xf32>, tensor<1x2x24x16xf32> -> tensor<1x4x9x16xf32>
  return %o, %o9 : tensor<1x4x1x16xf32>, tensor<1x4x9x16xf32>
}

// -----

// attn.recycle: one kernel call over the kept positions plus the tail (a key
// subset, HAS_KV_INDEX), which also writes the last query row's scores
// (HAS_ROW_SCORES, the last fixed parameter) into a [B, Hq, 1, Lk] buffer;
// under the scf.if (some batch element takes a full step) the kept positions
// are selected from those scores by one call of attune_recycle_topk_f32
// (version 1, pool 5) with the per-batch full-step flags, so the cache is
// not read a second time (no matmul, no second attention call) and no
// selection loop is generated.
// CHECK: func.func private @attune_recycle_topk_f32(memref<?x?x?x?xf32>, memref<?xi1>, memref<?x?x?xi64>, memref<?xi64>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @recycle
// CHECK-DAG: %[[SC:.*]] = memref.alloc() : memref<1x4x1x16xf32>
// CHECK-DAG: arith.constant dense<[5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]> : tensor<21xi64>
// CHECK: call @attune_sdpa_f32(
// CHECK: %[[S:.*]] = bufferization.to_tensor %[[SC]] restrict writable : memref<1x4x1x16xf32> to tensor<1x4x1x16xf32>
// CHECK: scf.if
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.batch_matmul
// CHECK-NOT: call @attune_sdpa_f32(
// CHECK-NOT: scf.for
// CHECK: %[[KEPT:.*]] = memref.alloc() : memref<1x2x4xi64>
// CHECK: %[[SB:.*]] = bufferization.to_buffer %[[S]] read_only
// CHECK: arith.constant dense<[1, 5]> : tensor<2xi64>
// CHECK: call @attune_recycle_topk_f32(
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[KEPT]] restrict writable
// CHECK: scf.yield %[[T]]
// CHECK: } else {
func.func @recycle(%q: tensor<1x4x1x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>,
                   %ki: tensor<1x2x4xi64>, %fl: tensor<1xi64>, %st: tensor<1xi64>, %rq: tensor<1x8xf32>)
    -> (tensor<1x4x1x8xf32>, tensor<1x2x4xi64>) {
  %o, %ki2, %fl2, %st2, %rq2 = attn.recycle %q, %k, %v
      state(%ki, %fl, %st, %rq : tensor<1x2x4xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1x8xf32>)
      {causal = #attn.causal<bottom_right>, stride = 4 : i64}
      : tensor<1x4x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x4x1x8xf32>
  return %o, %ki2 : tensor<1x4x1x8xf32>, tensor<1x2x4xi64>
}

// -----

// Forms the kernel does not implement (a compensation token over a dilated
// window or with a boolean mask) keep the reference lowering.
// CHECK-LABEL: func.func @unsupported
// CHECK: attn.sdpa {{.*}}compensation
// CHECK: attn.sdpa {{.*}}compensation
// CHECK-NOT: call @attune_sdpa_f32
func.func @unsupported(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %bm: tensor<1x1x8x8xi1>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %a = attn.sdpa %q, %k, %v {window = #attn.window<sinks = 1, left = 2, right = 0, dilation = 2>, compensation} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %b = attn.sdpa %q, %k, %v mask(%bm : tensor<1x1x8x8xi1>) {window = #attn.window<sinks = 1, left = 3, right = 0>, compensation} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %a, %b : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// -----

// f16 attention computes in f32 (as the reference does): the query and the
// additive mask are extended, the output truncated; K and V (and the pieces
// of a Concat cache) go to the kernel's f16 entry as they are, which reads
// a KV cache at its own width on the decode path and widens it for the tiled
// one. bf16 alike.
// CHECK: func.func private @attune_sdpa_f32_kvf16(memref<?x?x?x?xf32>, memref<?x?x?x?xf16>, memref<?x?x?x?xf16>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xi1>, memref<?x?x?x?xi1>, memref<?x?x?xi64>, memref<?xi64>, memref<?x?x?x?xf16>, memref<?x?x?x?xf16>, memref<?x?x?x?xf32>, memref<?xi64>, memref<?xf64>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @half
// CHECK-COUNT-2: arith.extf {{.*}} : f16 to f32
// CHECK-NOT: arith.extf
// CHECK: call @attune_sdpa_f32_kvf16(
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK-NOT: attn.sdpa
func.func @half(%h: tensor<1x2x8x16xf16>, %m: tensor<1x1x8x8xf16>) -> tensor<1x2x8x16xf16> {
  %c = attn.sdpa %h, %h, %h mask(%m : tensor<1x1x8x8xf16>) : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf16>
  return %c : tensor<1x2x8x16xf16>
}

// -----

// CHECK: func.func private @attune_sdpa_f32_kvbf16(memref<?x?x?x?xf32>, memref<?x?x?x?xbf16>, memref<?x?x?x?xbf16>,
// CHECK-LABEL: func.func @bf16_concat_cache
// CHECK: %[[KP:.*]] = bufferization.to_buffer %arg1 {{.*}}xbf16>
// CHECK: %[[VP:.*]] = bufferization.to_buffer %arg3 {{.*}}xbf16>
// CHECK: %[[KT:.*]] = bufferization.to_buffer %arg2 {{.*}}xbf16>
// CHECK: %[[VT:.*]] = bufferization.to_buffer %arg4 {{.*}}xbf16>
// CHECK: call @attune_sdpa_f32_kvbf16(
func.func @bf16_concat_cache(%q: tensor<1x4x1x16xbf16>, %pk: tensor<1x2x15x16xbf16>, %k: tensor<1x2x1x16xbf16>, %pv: tensor<1x2x15x16xbf16>, %v: tensor<1x2x1x16xbf16>) -> tensor<1x4x1x16xbf16> {
  %kc = onnx.node "Concat" v13 (%pk, %k) {axis = 2 : i64} : (tensor<1x2x15x16xbf16>, tensor<1x2x1x16xbf16>) -> tensor<1x2x16x16xbf16>
  %vc = onnx.node "Concat" v13 (%pv, %v) {axis = 2 : i64} : (tensor<1x2x15x16xbf16>, tensor<1x2x1x16xbf16>) -> tensor<1x2x16x16xbf16>
  %o = attn.sdpa %q, %kc, %vc {causal = #attn.causal<bottom_right>} : tensor<1x4x1x16xbf16>, tensor<1x2x16x16xbf16>, tensor<1x2x16x16xbf16> -> tensor<1x4x1x16xbf16>
  return %o : tensor<1x4x1x16xbf16>
}

// -----

// attn.block_select on f32 (or f16 / bf16, converted) becomes one call of
// the block-selection kernel writing an i1 buffer; parameters: version 1,
// method (moba 0, sla 1, sale 2), causal (bottom_right 2), block_q, block_k,
// topk (SLA: ceil(0.5 * 3 key blocks)), sink and local blocks; then the
// scale (default 1/sqrt(16)) and tau.
// CHECK: func.func private @attune_block_select_f32(memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xi1>, memref<?xi64>, memref<?xf64>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @block_select
// CHECK-DAG: bufferization.to_buffer %arg0 read_only : tensor<1x4x40x16xf32> to memref<1x4x40x16xf32>
// CHECK-DAG: bufferization.to_buffer %arg1 read_only : tensor<1x2x70x16xf32> to memref<1x2x70x16xf32>
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() : memref<1x4x3x3xi1>
// CHECK-DAG: arith.constant dense<[1, 1, 2, 16, 32, 2, 0, 2]> : tensor<8xi64>
// CHECK-DAG: arith.constant dense<[2.500000e-01, 4.000000e-03]> : tensor<2xf64>
// CHECK: call @attune_block_select_f32(
// CHECK: %[[SLA:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<1x4x3x3xi1> to tensor<1x4x3x3xi1>
// CHECK-DAG: %[[OUT2:.*]] = memref.alloc() : memref<1x4x40x5xi1>
// CHECK-DAG: arith.constant dense<[1, 0, 0, 1, 16, 3, 1, 1]> : tensor<8xi64>
// CHECK-DAG: arith.constant dense<[5.000000e-01, 4.000000e-03]> : tensor<2xf64>
// CHECK: call @attune_block_select_f32(
// CHECK: %[[MOBA:.*]] = bufferization.to_tensor %[[OUT2]] restrict writable
// f16 q and k are converted into f32 buffers for the kernel (the reference
// scores 16-bit inputs in f32 too).
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: call @attune_block_select_f32(
// CHECK: %[[SALE:.*]] = bufferization.to_tensor
// CHECK: return %[[SLA]], %[[MOBA]], %[[SALE]]
func.func @block_select(%q: tensor<1x4x40x16xf32>, %k: tensor<1x2x70x16xf32>, %h: tensor<1x4x40x16xf16>) -> (tensor<1x4x3x3xi1>, tensor<1x4x40x5xi1>, tensor<1x4x3x3xi1>) {
  %a = attn.block_select %q, %k {method = #attn.select<sla>, block_q = 16, block_k = 32, topk_ratio = 0.5, causal = #attn.causal<bottom_right>, sink_blocks = 0, local_blocks = 2} : tensor<1x4x40x16xf32>, tensor<1x2x70x16xf32> -> tensor<1x4x3x3xi1>
  %b = attn.block_select %q, %k {method = #attn.select<moba>, block_q = 1, block_k = 16, topk = 3, scale = 0.5} : tensor<1x4x40x16xf32>, tensor<1x2x70x16xf32> -> tensor<1x4x40x5xi1>
  %c = attn.block_select %h, %h {method = #attn.select<sale>, block_q = 16, block_k = 16, tau = 0.01} : tensor<1x4x40x16xf16>, tensor<1x4x40x16xf16> -> tensor<1x4x3x3xi1>
  return %a, %b, %c : tensor<1x4x3x3xi1>, tensor<1x4x40x5xi1>, tensor<1x4x3x3xi1>
}

// -----

// attn.linear becomes one call of the linear attention kernel; parameters:
// version 2, variant (kernelized 0, mala 1, lightning 2), feature (elu1 0,
// relu 1), causal, chunk, has_decay, has_exclude, block_q, block_k; then the
// scale (MALA: default 1/sqrt(16); lightning: default 1) and one decay rate
// per query head. The SLA hybrid's `exclude` map is the fifth operand (a
// 1x1x1x1 placeholder without one). Causal forms with more queries than
// keys keep the reference decomposition.
// CHECK: func.func private @attune_linear_f32(memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xi1>, memref<?xi64>, memref<?xf64>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @linear
// CHECK-DAG: arith.constant dense<[2, 0, 1, 1, 32, 0, 0, 0, 0]> : tensor<9xi64>
// CHECK: call @attune_linear_f32(
// CHECK-DAG: arith.constant dense<[2, 1, 0, 0, 64, 0, 0, 0, 0]> : tensor<9xi64>
// CHECK-DAG: arith.constant dense<2.500000e-01> : tensor<1xf64>
// CHECK: call @attune_linear_f32(
// CHECK-DAG: arith.constant dense<[2, 2, 0, 1, 16, 1, 0, 0, 0]> : tensor<9xi64>
// CHECK-DAG: arith.constant dense<[1.000000e+00, 1.000000e-01, 1.000000e-01, 1.000000e-01, 1.000000e-01]> : tensor<5xf64>
// CHECK: call @attune_linear_f32(
// CHECK-DAG: %[[EX:.*]] = bufferization.to_buffer %arg3 read_only : tensor<1x4x3x3xi1>
// CHECK-DAG: %[[EXC:.*]] = memref.cast %[[EX]] : memref<1x4x3x3xi1> to memref<?x?x?x?xi1>
// CHECK-DAG: arith.constant dense<[2, 0, 0, 0, 64, 0, 1, 16, 16]> : tensor<9xi64>
// CHECK: call @attune_linear_f32({{.*}}, %[[EXC]], {{.*}})
// CHECK: attn.linear %arg4, %arg1, %arg2 {causal
// CHECK-NOT: call @attune_linear_f32
func.func @linear(%q: tensor<1x4x40x16xf32>, %k: tensor<1x2x40x16xf32>, %v: tensor<1x2x40x16xf32>, %bm: tensor<1x4x3x3xi1>, %long: tensor<1x4x50x16xf32>) -> (tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x50x16xf32>) {
  %a = attn.linear %q, %k, %v {variant = #attn.linear<kernelized>, feature = #attn.feature<relu>, causal, chunk = 32} : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x4x40x16xf32>
  %b = attn.linear %q, %k, %v {variant = #attn.linear<mala>} : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x4x40x16xf32>
  %c = attn.linear %q, %k, %v {variant = #attn.linear<lightning>, causal, chunk = 16, decay = array<f64: 0.1>} : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x4x40x16xf32>
  %d = attn.linear %q, %k, %v exclude(%bm : tensor<1x4x3x3xi1>) {variant = #attn.linear<kernelized>, block_size = array<i64: 16, 16>} : tensor<1x4x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x4x40x16xf32>
  %e = attn.linear %long, %k, %v {causal, variant = #attn.linear<kernelized>} : tensor<1x4x50x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32> -> tensor<1x4x50x16xf32>
  return %a, %b, %c, %d, %e : tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x40x16xf32>, tensor<1x4x50x16xf32>
}

// -----

// attn.agent: the agent tokens are one reduction over each segment's rows of
// Q (22 rows, 4 agents: segments of 5 rows with weights 1/5, the last one of
// 7 rows with weights 1/7; 0 past a segment's end), then two attention
// kernel calls: the agents over the keys (GQA: 4 query, 2 key heads), then
// the queries over the agents, both with the default scale 1/sqrt(8).
// CHECK-LABEL: func.func @agent
// CHECK: arith.constant dense<{{\[\[}}2.000000e-01, 2.000000e-01, 2.000000e-01, 2.000000e-01, 2.000000e-01, 0.000000e+00, 0.000000e+00], {{.*}}, [0.142857149, 0.142857149, 0.142857149, 0.142857149, 0.142857149, 0.142857149, 0.142857149]]> : tensor<4x7xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}}ins(%arg0, %{{.*}} : tensor<1x4x22x8xf32>, tensor<4x7xf32>) outs(%{{.*}} : tensor<1x4x4x8xf32>)
// CHECK: arith.constant dense<[0.35355339059327373, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]> : tensor<5xf64>
// CHECK: call @attune_sdpa_f32(
// CHECK: arith.constant dense<[0.35355339059327373, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]> : tensor<5xf64>
// CHECK: call @attune_sdpa_f32(
// CHECK-NOT: attn.agent
func.func @agent(%q: tensor<1x4x22x8xf32>, %k: tensor<1x2x30x8xf32>, %v: tensor<1x2x30x8xf32>) -> tensor<1x4x22x8xf32> {
  %o = attn.agent %q, %k, %v {num_agents = 4} : tensor<1x4x22x8xf32>, tensor<1x2x30x8xf32>, tensor<1x2x30x8xf32> -> tensor<1x4x22x8xf32>
  return %o : tensor<1x4x22x8xf32>
}

// -----

// f16 agent attention: Q, K and V converted to f32 up front, the pooling and
// both kernel calls in f32, only the result rounded back to f16.
// CHECK-LABEL: func.func @agent_f16
// CHECK-COUNT-3: arith.extf {{.*}} : f16 to f32
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}} : tensor<1x4x22x8xf32>, tensor<4x7xf32>) outs(%{{.*}} : tensor<1x4x4x8xf32>)
// CHECK: call @attune_sdpa_f32(
// CHECK: call @attune_sdpa_f32(
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: return {{.*}} : tensor<1x4x22x8xf16>
// CHECK-NOT: attn.agent
func.func @agent_f16(%q: tensor<1x4x22x8xf16>, %k: tensor<1x2x30x8xf16>, %v: tensor<1x2x30x8xf16>) -> tensor<1x4x22x8xf16> {
  %o = attn.agent %q, %k, %v {num_agents = 4} : tensor<1x4x22x8xf16>, tensor<1x2x30x8xf16>, tensor<1x2x30x8xf16> -> tensor<1x4x22x8xf16>
  return %o : tensor<1x4x22x8xf16>
}

// -----

// RazorAttention's compensation token over a plain window runs in the kernel
// (HAS_COMPENSATION, the last fixed parameter; window sinks 1, left 2).
// CHECK-LABEL: func.func @compensation
// CHECK-DAG: arith.constant dense<[5, 0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]> : tensor<21xi64>
// CHECK: call @attune_sdpa_f32(
// CHECK-NOT: attn.sdpa
func.func @compensation(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %a = attn.sdpa %q, %k, %v {window = #attn.window<sinks = 1, left = 2, right = 0>, compensation} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %a : tensor<1x2x8x16xf32>
}
