//===- RecycleTopKAvx512.cpp - recycled top-K compiled for AVX-512 -===//

#include "lib/Runtime/Cpu/Kernels/RecycleTopKKernels.h"
#include "lib/Runtime/Cpu/Kernels/Vec16Avx512.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace attune::cpu::avx512 {
#include "lib/Runtime/Cpu/Kernels/RecycleTopKKernel.inc"
} // namespace attune::cpu::avx512
