//===- LinearKernels.h - the per-ISA linear attention kernels ---*- C++ -*-===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_LINEARKERNELS_H
#define ATTUNE_RUNTIME_CPU_KERNELS_LINEARKERNELS_H

#include "attune/Runtime/CpuKernels.h"

namespace attune::cpu {
namespace avx512 {
void linearAttention(const attune_linear_args &a);
}
namespace generic {
void linearAttention(const attune_linear_args &a);
}
} // namespace attune::cpu

#endif
