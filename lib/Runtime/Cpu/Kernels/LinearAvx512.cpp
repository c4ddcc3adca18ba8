//===- LinearAvx512.cpp - linear attention compiled for AVX-512 -===//

#include "lib/Runtime/Cpu/Kernels/Vec16Avx512.h"
#include "lib/Runtime/Cpu/Kernels/LinearKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

namespace attune::cpu::avx512 {
#include "lib/Runtime/Cpu/Kernels/LinearKernel.inc"
} // namespace attune::cpu::avx512
