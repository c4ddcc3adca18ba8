//===- GemmKernels.h - the per-ISA GEMM kernels -----------------*- C++ -*-===//
//
// GemmKernel.inc is compiled once per ISA; Gemm.cpp picks one at run time.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_GEMMKERNELS_H
#define ATTUNE_RUNTIME_CPU_KERNELS_GEMMKERNELS_H

#include "attune/Runtime/CpuKernels.h"

namespace attune::cpu {
#define ATTUNE_DECLARE_GEMM(ns)                                                \
  namespace ns {                                                               \
  /* Non-empty problem (batch, m, n >= 1; k >= 0) with validated strides. */  \
  void gemm(const attune_gemm_args &g);                                        \
  }
ATTUNE_DECLARE_GEMM(avx512)
ATTUNE_DECLARE_GEMM(generic)
#undef ATTUNE_DECLARE_GEMM
} // namespace attune::cpu

#endif
