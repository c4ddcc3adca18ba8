//===- SdpaGeneric.cpp - fused attention compiled for any x86-64 / other CPU -===//

#include "lib/Runtime/Cpu/Kernels/Vec16Scalar.h"
#include "lib/Runtime/Cpu/Kernels/SdpaKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

namespace attune::cpu::generic {
#include "lib/Runtime/Cpu/Kernels/SdpaKernel.inc"
} // namespace attune::cpu::generic
