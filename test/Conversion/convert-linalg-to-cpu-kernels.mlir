// RUN: attune-opt %s --split-input-file --convert-linalg-to-cpu-kernels | FileCheck %s
// RUN: attune-opt %s --split-input-file --convert-linalg-to-cpu-kernels=min-macs=1 | FileCheck %s --check-prefix=NOMIN

// A zero-filled matmul overwrites a fresh buffer (flags = ABI version 1 << 8,
// no accumulate); the fill is gone. Operands are [1, rows, cols] views.
// CHECK: func.func private @attune_gemm_f32(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.fill
// CHECK-DAG: %[[A:.*]] = bufferization.to_buffer %arg0 read_only : tensor<64x32xf32> to memref<64x32xf32>
// CHECK-DAG: %[[B:.*]] = bufferization.to_buffer %arg1 read_only : tensor<32x96xf32> to memref<32x96xf32>
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() : memref<64x96xf32>
// CHECK-DAG: memref.reinterpret_cast %[[A]] to offset: [0], sizes: [1, 64, 32], strides: [0, 32, 1]
// CHECK-DAG: memref.reinterpret_cast %[[B]] to offset: [0], sizes: [1, 32, 96], strides: [0, 96, 1]
// CHECK-DAG: %[[CV:.*]] = memref.reinterpret_cast %[[OUT]] to offset: [0], sizes: [1, 64, 96], strides: [0, 96, 1]
// CHECK-DAG: %[[C:.*]] = memref.cast %[[CV]]
// CHECK-DAG: %[[FLAGS:.*]] = arith.constant 256 : i64
// CHECK: call @attune_gemm_f32(%{{.*}}, %{{.*}}, %[[C]], %[[C]], %[[FLAGS]])
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<64x96xf32> to tensor<64x96xf32>
// CHECK: return %[[R]]
func.func @matmul(%a: tensor<64x32xf32>, %b: tensor<32x96xf32>) -> tensor<64x96xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x96xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<64x96xf32>) -> tensor<64x96xf32>
  %c = linalg.matmul ins(%a, %b : tensor<64x32xf32>, tensor<32x96xf32>) outs(%z : tensor<64x96xf32>) -> tensor<64x96xf32>
  return %c : tensor<64x96xf32>
}

// -----

// batch_matmul: the batch is the kernel's batch dim.
// CHECK-LABEL: func.func @batch_matmul
// CHECK-DAG: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [6, 67, 29], strides: [1943, 29, 1]
// CHECK-DAG: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [6, 29, 131], strides: [3799, 131, 1]
// CHECK-DAG: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [6, 67, 131], strides: [8777, 131, 1]
// CHECK: call @attune_gemm_f32
// CHECK-NOT: linalg.batch_matmul
func.func @batch_matmul(%a: tensor<6x67x29xf32>, %b: tensor<6x29x131xf32>) -> tensor<6x67x131xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x67x131xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<6x67x131xf32>) -> tensor<6x67x131xf32>
  %c = linalg.batch_matmul ins(%a, %b : tensor<6x67x29xf32>, tensor<6x29x131xf32>) outs(%z : tensor<6x67x131xf32>) -> tensor<6x67x131xf32>
  return %c : tensor<6x67x131xf32>
}

// -----

// Scores of attention, S = Q K^T over [B, H, L, D]: the two batch dims
// flatten into one (8 = 2 x 4) and K is read transposed in place (its rows
// are the kernel's columns: strides [k = 1, n = 16]).
// CHECK-LABEL: func.func @transposed
// CHECK-DAG: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [8, 32, 16], strides: [512, 16, 1]
// CHECK-DAG: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [8, 16, 48], strides: [768, 1, 16]
// CHECK-DAG: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [8, 32, 48], strides: [1536, 48, 1]
// CHECK: call @attune_gemm_f32
// CHECK-NOT: linalg.generic
#q = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @transposed(%q: tensor<2x4x32x16xf32>, %k: tensor<2x4x48x16xf32>) -> tensor<2x4x32x48xf32> {
  %cst = arith.constant dense<0.0> : tensor<2x4x32x48xf32>
  %r = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<2x4x32x16xf32>, tensor<2x4x48x16xf32>) outs(%cst : tensor<2x4x32x48xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    %a = arith.addf %o, %m : f32
    linalg.yield %a : f32
  } -> tensor<2x4x32x48xf32>
  return %r : tensor<2x4x32x48xf32>
}

// -----

// Gemm transB=1 as ONNX lowering builds it: B comes from a linalg.transpose of
// a [N, K] weight, which the kernel reads in place (strides [k = 1, n = 48]);
// the transpose is gone.
// CHECK-LABEL: func.func @transpose_producer
// CHECK-NOT: linalg.transpose
// CHECK: %[[W:.*]] = bufferization.to_buffer %arg1 read_only : tensor<80x48xf32> to memref<80x48xf32>
// CHECK: memref.reinterpret_cast %[[W]] to offset: [0], sizes: [1, 48, 80], strides: [0, 1, 48]
// CHECK: call @attune_gemm_f32
// CHECK-NOT: linalg.transpose
func.func @transpose_producer(%a: tensor<20x48xf32>, %w: tensor<80x48xf32>) -> tensor<20x80xf32> {
  %et = tensor.empty() : tensor<48x80xf32>
  %wt = linalg.transpose ins(%w : tensor<80x48xf32>) outs(%et : tensor<48x80xf32>) permutation = [1, 0]
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<20x80xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<20x80xf32>) -> tensor<20x80xf32>
  %c = linalg.matmul ins(%a, %wt : tensor<20x48xf32>, tensor<48x80xf32>) outs(%z : tensor<20x80xf32>) -> tensor<20x80xf32>
  return %c : tensor<20x80xf32>
}

// -----

// Chained products share a zero fill and a transposed weight: each becomes a
// call reading the previous call's result.
// CHECK-LABEL: func.func @chain
// CHECK-NOT: linalg.
// CHECK: %[[OUT1:.*]] = memref.alloc() : memref<32x32xf32>
// CHECK: call @attune_gemm_f32
// CHECK: %[[T1:.*]] = bufferization.to_tensor %[[OUT1]]
// CHECK: bufferization.to_buffer %[[T1]] read_only
// CHECK: call @attune_gemm_f32
// CHECK-NOT: linalg.
func.func @chain(%a: tensor<32x32xf32>, %w: tensor<32x32xf32>) -> tensor<32x32xf32> {
  %et = tensor.empty() : tensor<32x32xf32>
  %wt = linalg.transpose ins(%w : tensor<32x32xf32>) outs(%et : tensor<32x32xf32>) permutation = [1, 0]
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x32xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<32x32xf32>) -> tensor<32x32xf32>
  %c1 = linalg.matmul ins(%a, %wt : tensor<32x32xf32>, tensor<32x32xf32>) outs(%z : tensor<32x32xf32>) -> tensor<32x32xf32>
  %c2 = linalg.matmul ins(%c1, %wt : tensor<32x32xf32>, tensor<32x32xf32>) outs(%z : tensor<32x32xf32>) -> tensor<32x32xf32>
  return %c2 : tensor<32x32xf32>
}

// -----

// A non-zero init is the addend C0 (flags: accumulate bit set).
// CHECK-LABEL: func.func @accumulate
// CHECK-DAG: %[[INIT:.*]] = bufferization.to_buffer %arg2 read_only : tensor<40x24xf32> to memref<40x24xf32>
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() : memref<40x24xf32>
// CHECK-DAG: %[[C0V:.*]] = memref.reinterpret_cast %[[INIT]] to offset: [0], sizes: [1, 40, 24], strides: [0, 24, 1]
// CHECK-DAG: %[[C0:.*]] = memref.cast %[[C0V]]
// CHECK-DAG: %[[CV:.*]] = memref.reinterpret_cast %[[OUT]] to offset: [0], sizes: [1, 40, 24], strides: [0, 24, 1]
// CHECK-DAG: %[[C:.*]] = memref.cast %[[CV]]
// CHECK-DAG: %[[FLAGS:.*]] = arith.constant 257 : i64
// CHECK: call @attune_gemm_f32(%{{.*}}, %{{.*}}, %[[C0]], %[[C]], %[[FLAGS]])
func.func @accumulate(%a: tensor<40x16xf32>, %b: tensor<16x24xf32>, %c: tensor<40x24xf32>) -> tensor<40x24xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<40x16xf32>, tensor<16x24xf32>) outs(%c : tensor<40x24xf32>) -> tensor<40x24xf32>
  return %r : tensor<40x24xf32>
}

// -----

// A shared by all heads (its map lacks d1) but not by the batch: the head dim
// is the kernel's batch with A's batch stride 0, the outer batch a loop.
// CHECK-LABEL: func.func @broadcast
// CHECK: scf.for %[[I:.*]] = %c0 to %c2 step %c1 {
// CHECK-DAG: %[[OA:.*]] = arith.muli %[[I]], %c512
// CHECK-DAG: %[[OB:.*]] = arith.muli %[[I]], %c3072
// CHECK-DAG: %[[OC:.*]] = arith.muli %[[I]], %c6144
// CHECK-DAG: memref.reinterpret_cast %{{.*}} to offset: [%[[OA]]], sizes: [4, 32, 16], strides: [0, 16, 1]
// CHECK-DAG: memref.reinterpret_cast %{{.*}} to offset: [%[[OB]]], sizes: [4, 16, 48], strides: [768, 1, 16]
// CHECK-DAG: memref.reinterpret_cast %{{.*}} to offset: [%[[OC]]], sizes: [4, 32, 48], strides: [1536, 48, 1]
// CHECK: func.call @attune_gemm_f32
// CHECK: }
#a = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @broadcast(%q: tensor<2x32x16xf32>, %k: tensor<2x4x48x16xf32>) -> tensor<2x4x32x48xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x32x48xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<2x4x32x48xf32>) -> tensor<2x4x32x48xf32>
  %r = linalg.generic {indexing_maps = [#a, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<2x32x16xf32>, tensor<2x4x48x16xf32>) outs(%z : tensor<2x4x32x48xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    %a = arith.addf %m, %o : f32
    linalg.yield %a : f32
  } -> tensor<2x4x32x48xf32>
  return %r : tensor<2x4x32x48xf32>
}

// -----

// f16 / bf16 inputs accumulated in f32 (an ONNX MatMul on f16 tensors): each
// 16-bit input widened into a fresh f32 buffer where the call reads it, then
// the f32 kernel. A product accumulated in f16 itself stays as it is.
// CHECK-LABEL: func.func @half_inputs
// CHECK: %[[A:.*]] = bufferization.to_buffer %arg0 {{.*}}memref<64x32xf16>
// CHECK: %[[AW:.*]] = memref.alloc() : memref<64x32xf32>
// CHECK: linalg.generic {{.*}} ins(%[[A]] : memref<64x32xf16>) outs(%[[AW]] : memref<64x32xf32>)
// CHECK: arith.extf
// CHECK: %[[B:.*]] = bufferization.to_buffer %arg1 {{.*}}memref<32x64xbf16>
// CHECK: %[[BW:.*]] = memref.alloc() : memref<32x64xf32>
// CHECK: arith.extf
// CHECK: call @attune_gemm_f32
// CHECK: linalg.matmul {{.*}}outs(%{{.*}} : tensor<64x64xf16>)
#ma2 = affine_map<(d0, d1, d2) -> (d0, d2)>
#mb2 = affine_map<(d0, d1, d2) -> (d2, d1)>
#mc2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @half_inputs(%a: tensor<64x32xf16>, %b: tensor<32x64xbf16>, %h: tensor<32x64xf16>) -> (tensor<64x64xf32>, tensor<64x64xf16>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %0 = linalg.generic {indexing_maps = [#ma2, #mb2, #mc2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<64x32xf16>, tensor<32x64xbf16>) outs(%c : tensor<64x64xf32>) {
  ^bb0(%x: f16, %y: bf16, %o: f32):
    %xf = arith.extf %x : f16 to f32
    %yf = arith.extf %y : bf16 to f32
    %m = arith.mulf %xf, %yf : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  %zh = arith.constant 0.0 : f16
  %eh = tensor.empty() : tensor<64x64xf16>
  %ch = linalg.fill ins(%zh : f16) outs(%eh : tensor<64x64xf16>) -> tensor<64x64xf16>
  %1 = linalg.matmul ins(%a, %h : tensor<64x32xf16>, tensor<32x64xf16>) outs(%ch : tensor<64x64xf16>) -> tensor<64x64xf16>
  return %0, %1 : tensor<64x64xf32>, tensor<64x64xf16>
}

// -----

// Left alone: integer products, problems below min-macs (512 by default), and
// generics that are not a multiply-add contraction.
// CHECK-LABEL: func.func @negative
// CHECK-NOT: call @attune_gemm_f32
// CHECK: linalg.matmul {{.*}}tensor<64x32xi32>
// CHECK: linalg.matmul {{.*}}tensor<4x4xf32>
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK-NOT: call @attune_gemm_f32
// With min-macs=1 only the tiny matmul converts.
// NOMIN-LABEL: func.func @negative
// NOMIN: linalg.matmul {{.*}}tensor<64x32xi32>
// NOMIN: call @attune_gemm_f32
// NOMIN: linalg.generic
// NOMIN: linalg.generic
#ma = affine_map<(d0, d1, d2) -> (d0, d2)>
#mb = affine_map<(d0, d1, d2) -> (d2, d1)>
#mc = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @negative(%ai: tensor<64x32xi32>, %bi: tensor<32x64xi32>, %ci: tensor<64x64xi32>,
                    %at: tensor<4x4xf32>, %bt: tensor<4x4xf32>, %ct: tensor<4x4xf32>,
                    %a: tensor<64x32xf32>, %b: tensor<32x64xf32>, %c: tensor<64x64xf32>)
    -> (tensor<64x64xi32>, tensor<4x4xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
  %0 = linalg.matmul ins(%ai, %bi : tensor<64x32xi32>, tensor<32x64xi32>) outs(%ci : tensor<64x64xi32>) -> tensor<64x64xi32>
  %1 = linalg.matmul ins(%at, %bt : tensor<4x4xf32>, tensor<4x4xf32>) outs(%ct : tensor<4x4xf32>) -> tensor<4x4xf32>
  // max-plus product: a contraction's shape, not its arithmetic
  %2 = linalg.generic {indexing_maps = [#ma, #mb, #mc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<64x32xf32>, tensor<32x64xf32>) outs(%c : tensor<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %m = arith.maximumf %o, %s : f32
    linalg.yield %m : f32
  } -> tensor<64x64xf32>
  // multiply-add with an extra operation in the body
  %3 = linalg.generic {indexing_maps = [#ma, #mb, #mc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<64x32xf32>, tensor<32x64xf32>) outs(%c : tensor<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %d = arith.subf %x, %y : f32
    %p = arith.mulf %d, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  return %0, %1, %2, %3 : tensor<64x64xi32>, tensor<4x4xf32>, tensor<64x64xf32>, tensor<64x64xf32>
}
