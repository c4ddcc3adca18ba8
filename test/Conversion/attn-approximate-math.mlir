// RUN: attune-opt %s --split-input-file --attn-approximate-math | FileCheck %s
// RUN: attune-opt %s --split-input-file '--attn-approximate-math=ops=exp' | FileCheck %s --check-prefix=EXP
// RUN: not attune-opt %s --split-input-file '--attn-approximate-math=ops=exp,sinh' 2>&1 | FileCheck %s --check-prefix=ERR
// After the LLVM lowering no libm call is left for the approximated ops.
// RUN: attune-opt %s --split-input-file --pass-pipeline='builtin.module(attn-approximate-math,convert-math-to-llvm,convert-math-to-libm,convert-arith-to-llvm,convert-func-to-llvm,reconcile-unrealized-casts)' | FileCheck %s --check-prefix=LLVM

// The element-wise body of a GELU (tanh form) and of a SiLU: tanh and exp
// become arithmetic; sin (not approximated: large arguments) stays.
// CHECK-LABEL: func.func @body
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.erf
// CHECK: arith.mulf
// CHECK: math.sin
// EXP-LABEL: func.func @body
// EXP: math.tanh
// EXP-NOT: math.exp
// EXP: math.erf
// ERR: unknown op 'sinh' in ops=; expected a comma-separated subset of tanh,erf,exp,expm1,log,log1p,log2
// LLVM-LABEL: llvm.func @body
// LLVM-NOT: llvm.call @tanhf
// LLVM-NOT: llvm.call @erff
// LLVM-NOT: llvm.intr.exp
// LLVM: llvm.intr.sin
func.func @body(%x: f32) -> (f32, f32, f32, f32) {
  %t = math.tanh %x : f32
  %e = math.exp %x : f32
  %r = math.erf %x : f32
  %s = math.sin %x : f32
  return %t, %e, %r, %s : f32, f32, f32, f32
}

// -----

// Vectors (what a vectorized loop carries) are approximated lane-wise.
// CHECK-LABEL: func.func @vec
// CHECK-NOT: math.log
// CHECK: return
func.func @vec(%x: vector<16xf32>) -> vector<16xf32> {
  %l = math.log %x : vector<16xf32>
  return %l : vector<16xf32>
}
