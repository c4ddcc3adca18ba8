// RUN: attune-opt %s --split-input-file --attn-lower-strided-copies | FileCheck %s
// After the LLVM lowering every block copy is a memcpy, none goes through the
// runtime's element-wise memrefCopy.
// RUN: attune-opt %s --split-input-file --pass-pipeline='builtin.module(attn-lower-strided-copies,expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-arith-to-llvm,convert-cf-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,reconcile-unrealized-casts)' | FileCheck %s --check-prefix=LLVM
// With kernel calls (the CPU pipeline's setting), large f32 copies call the
// kernel library's parallel copy.
// RUN: attune-opt %s --split-input-file --attn-lower-strided-copies=kernel-calls | FileCheck %s --check-prefix=CALL
// RUN: attune-opt %s --split-input-file '--attn-lower-strided-copies=kernel-calls min-call-bytes=64' | FileCheck %s --check-prefix=SMALL
// The CPU pipeline on a decode step's Concat(past, new).
// RUN: attune-opt %s --split-input-file --attune-cpu-pipeline | FileCheck %s --check-prefix=PIPE

// The bufferized Concat(past, new) of a KV cache along the sequence axis:
// one contiguous [L, D] block per head, then one [1, D] row per head.
// CHECK-LABEL: func.func @concat
// The 12.6 MB past becomes one call, the 3 KB row keeps the loop.
// CALL: func.func private @attune_copy_f32(memref<*xf32>, memref<*xf32>) attributes {llvm.emit_c_interface}
// CALL-LABEL: func.func @concat
// CALL: %[[S:.*]] = memref.cast %{{.*}} : memref<1x12x4095x64xf32> to memref<*xf32>
// CALL: %[[D:.*]] = memref.cast %{{.*}} : memref<1x12x4095x64xf32, strided<[3145728, 262144, 64, 1]>> to memref<*xf32>
// CALL: call @attune_copy_f32(%[[S]], %[[D]]) : (memref<*xf32>, memref<*xf32>) -> ()
// CALL: scf.for
// CALL: memref.copy
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C12:.*]] = arith.constant 12 : index
// CHECK: scf.for %[[H:.*]] = %[[C0]] to %[[C12]] step %[[C1]] {
// CHECK:   %[[S:.*]] = memref.subview %{{.*}}[0, %[[H]], 0, 0] [1, 1, 4095, 64] [1, 1, 1, 1] : memref<1x12x4095x64xf32> to memref<1x1x4095x64xf32, strided<[3144960, 262080, 64, 1], offset: ?>>
// CHECK:   %[[D:.*]] = memref.subview %{{.*}}[0, %[[H]], 0, 0] [1, 1, 4095, 64] [1, 1, 1, 1]
// CHECK:   memref.copy %[[S]], %[[D]]
// CHECK: }
// CHECK: scf.for %[[H2:.*]] =
// CHECK:   memref.subview %{{.*}}[0, %[[H2]], 0, 0] [1, 1, 1, 64] [1, 1, 1, 1]
// CHECK:   memref.copy
// CHECK: }
// CHECK-NOT: memref.copy
// LLVM-LABEL: llvm.func @concat
// LLVM-COUNT-2: "llvm.intr.memcpy"
// LLVM-NOT: memrefCopy
// LLVM: // -----
func.func @concat(%past: memref<1x12x4095x64xf32>, %new: memref<1x12x1x64xf32>,
                  %out: memref<1x12x4096x64xf32>) {
  %a = memref.subview %out[0, 0, 0, 0] [1, 12, 4095, 64] [1, 1, 1, 1]
      : memref<1x12x4096x64xf32> to memref<1x12x4095x64xf32, strided<[3145728, 262144, 64, 1]>>
  memref.copy %past, %a : memref<1x12x4095x64xf32>
      to memref<1x12x4095x64xf32, strided<[3145728, 262144, 64, 1]>>
  %b = memref.subview %out[0, 0, 4095, 0] [1, 12, 1, 64] [1, 1, 1, 1]
      : memref<1x12x4096x64xf32> to memref<1x12x1x64xf32, strided<[3145728, 262144, 64, 1], offset: 262080>>
  memref.copy %new, %b : memref<1x12x1x64xf32>
      to memref<1x12x1x64xf32, strided<[3145728, 262144, 64, 1], offset: 262080>>
  return
}

// -----

// A block spans every trailing dimension that is contiguous on both sides:
// here the last two of the source ([3, 4] rows of 4) but only the last of the
// target, so the loops run over dims 0 and 1.
// CHECK-LABEL: func.func @partial_block
// CALL-LABEL: func.func @partial_block
// CALL-NOT: call
// CALL: scf.for
// SMALL-LABEL: func.func @partial_block
// SMALL: call @attune_copy_f32
// SMALL-NOT: scf.for
// CHECK: scf.for %[[I:.*]] =
// CHECK:   scf.for %[[J:.*]] =
// CHECK:     memref.subview %{{.*}}[%[[I]], %[[J]], 0] [1, 1, 4] [1, 1, 1]
// CHECK:     memref.subview %{{.*}}[%[[I]], %[[J]], 0] [1, 1, 4] [1, 1, 1]
// CHECK:     memref.copy
// LLVM-LABEL: llvm.func @partial_block
// LLVM: "llvm.intr.memcpy"
// LLVM-NOT: memrefCopy
// LLVM: // -----
func.func @partial_block(%a: memref<2x3x4xf32>,
                         %b: memref<2x3x4xf32, strided<[24, 8, 1]>>) {
  memref.copy %a, %b : memref<2x3x4xf32> to memref<2x3x4xf32, strided<[24, 8, 1]>>
  return
}

// -----

// A transposed source has no contiguous block: scalar loads and stores.
// CHECK-LABEL: func.func @transposed
// CHECK: scf.for %[[I:.*]] =
// CHECK:   scf.for %[[J:.*]] =
// CHECK:     %[[V:.*]] = memref.load %{{.*}}[%[[I]], %[[J]]] : memref<4x8xf32, strided<[1, 4]>>
// CHECK:     memref.store %[[V]], %{{.*}}[%[[I]], %[[J]]] : memref<4x8xf32>
// CHECK-NOT: memref.copy
// LLVM-LABEL: llvm.func @transposed
// LLVM-NOT: memrefCopy
// LLVM: // -----
func.func @transposed(%a: memref<4x8xf32, strided<[1, 4]>>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[1, 4]>> to memref<4x8xf32>
  return
}

// -----

// A linalg.transpose that keeps the innermost dimension (a head split
// [B, S, H, D] -> [B, H, S, D]) becomes a copy from a transposed view, moved
// as rows of D; large enough, it calls the kernel library's copy.
// CHECK-LABEL: func.func @head_split
// CHECK-NOT: linalg.transpose
// CHECK: scf.for %[[H:.*]] =
// CHECK:   scf.for %[[S:.*]] =
// CHECK:     memref.subview %{{.*}}[0, %[[H]], %[[S]], 0] [1, 1, 1, 8] [1, 1, 1, 1] : memref<1x4x16x8xf32, strided<[512, 8, 32, 1]>>
// CHECK:     memref.subview %{{.*}}[0, %[[H]], %[[S]], 0] [1, 1, 1, 8] [1, 1, 1, 1] : memref<1x4x16x8xf32>
// CHECK:     memref.copy
// CALL-LABEL: func.func @head_split
// CALL-NOT: call
// CALL: scf.for
// SMALL-LABEL: func.func @head_split
// SMALL: %[[V:.*]] = memref.transpose %{{.*}} (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<1x16x4x8xf32> to memref<1x4x16x8xf32, strided<[512, 8, 32, 1]>>
// SMALL: %[[S:.*]] = memref.cast %[[V]]
// SMALL: call @attune_copy_f32(%[[S]]
// SMALL-NOT: linalg.transpose
// LLVM-LABEL: llvm.func @head_split
// LLVM: "llvm.intr.memcpy"
// LLVM-NOT: memrefCopy
// LLVM: // -----
func.func @head_split(%a: memref<1x16x4x8xf32>, %b: memref<1x4x16x8xf32>) {
  linalg.transpose ins(%a : memref<1x16x4x8xf32>)
      outs(%b : memref<1x4x16x8xf32>) permutation = [0, 2, 1, 3]
  return
}

// -----

// Left alone: copies the LLVM lowering already makes one memcpy (unit outer
// dimensions, a dynamic offset), and layouts with a dynamic stride.
// CHECK-LABEL: func.func @left_alone
// Contiguous copies call the kernel too when they are large enough.
// SMALL-LABEL: func.func @left_alone
// SMALL-COUNT-2: call @attune_copy_f32
// SMALL-NOT: memref.copy
// CHECK-NOT: scf.for
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<1x4x8xf32> to memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x8xf32, strided<[?, 1]>> to memref<4x8xf32>
// The first is a memcpy, the second stays a runtime call.
// LLVM-LABEL: llvm.func @left_alone
// LLVM: "llvm.intr.memcpy"
// LLVM: llvm.call @memrefCopy
func.func @left_alone(%a: memref<1x4x8xf32>, %b: memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>,
                      %c: memref<4x8xf32, strided<[?, 1]>>, %d: memref<4x8xf32>) {
  memref.copy %a, %b : memref<1x4x8xf32> to memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>
  memref.copy %c, %d : memref<4x8xf32, strided<[?, 1]>> to memref<4x8xf32>
  return
}

// -----

// The whole CPU pipeline: an ONNX Concat of a KV cache becomes memcpy blocks,
// and its buffer comes from the kernel library's allocator.
// PIPE-LABEL: llvm.func @main
// PIPE: llvm.call @_mlir_memref_to_llvm_alloc
// PIPE: "llvm.intr.memcpy"
// PIPE-NOT: memrefCopy
// PIPE: llvm.call @_mlir_memref_to_llvm_free
func.func @main(%past: tensor<1x2x7x4xf32>, %new: tensor<1x2x1x4xf32>) -> tensor<1x2x4x8xf32> {
  %kc = onnx.node "Concat" v13 (%past, %new) {axis = 2 : i64}
      : (tensor<1x2x7x4xf32>, tensor<1x2x1x4xf32>) -> tensor<1x2x8x4xf32>
  %t = onnx.node "Transpose" v13 (%kc) {perm = [0, 1, 3, 2]}
      : (tensor<1x2x8x4xf32>) -> tensor<1x2x4x8xf32>
  return %t : tensor<1x2x4x8xf32>
}
