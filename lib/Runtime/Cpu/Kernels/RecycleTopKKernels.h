//===- RecycleTopKKernels.h - the per-ISA recycled top-K --------*- C++ -*-===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_RECYCLETOPKKERNELS_H
#define ATTUNE_RUNTIME_CPU_KERNELS_RECYCLETOPKKERNELS_H

#include "attune/Runtime/CpuKernels.h"

namespace attune::cpu {
namespace avx512 {
void recycleTopKItem(const attune_recycle_topk_args &a, int64_t b, int64_t g);
}
namespace generic {
void recycleTopKItem(const attune_recycle_topk_args &a, int64_t b, int64_t g);
}
} // namespace attune::cpu

#endif
