//===- SdpaAvx512.cpp - fused attention compiled for AVX-512 -===//

#include "lib/Runtime/Cpu/Kernels/Vec16Avx512.h"
#include "lib/Runtime/Cpu/Kernels/SdpaKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

namespace attune::cpu::avx512 {
#include "lib/Runtime/Cpu/Kernels/SdpaKernel.inc"
} // namespace attune::cpu::avx512
