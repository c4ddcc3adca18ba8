//===- SdpaKernels.h - the per-ISA fused attention kernels ------*- C++ -*-===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_SDPAKERNELS_H
#define ATTUNE_RUNTIME_CPU_KERNELS_SDPAKERNELS_H

#include "lib/Runtime/Cpu/Kernels/SdpaProblem.h"

namespace attune::cpu {
#define ATTUNE_DECLARE_SDPA(ns)                                                \
  namespace ns {                                                               \
  void sdpaPrefill(const SdpaProblem &P, int64_t tileQ, int64_t tileK);        \
  void sdpaDecode(const SdpaProblem &P);                                       \
  /* K (v false) or V as dense f32 [B, Hkv, Lk, dim]: pieces joined, */        \
  /* 16-bit elements (kv_type) widened. */                                     \
  void denseKV(const attune_sdpa_args &a, bool v, int64_t dim, float *dst);    \
  }
ATTUNE_DECLARE_SDPA(avx512)
ATTUNE_DECLARE_SDPA(generic)
#undef ATTUNE_DECLARE_SDPA
} // namespace attune::cpu

#endif
