//===- LinearGeneric.cpp - linear attention compiled for any CPU -===//

#include "lib/Runtime/Cpu/Kernels/Vec16Scalar.h"
#include "lib/Runtime/Cpu/Kernels/LinearKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

namespace attune::cpu::generic {
#include "lib/Runtime/Cpu/Kernels/LinearKernel.inc"
} // namespace attune::cpu::generic
