//===- RecycleTopKGeneric.cpp - recycled top-K compiled for any CPU -===//

#include "lib/Runtime/Cpu/Kernels/RecycleTopKKernels.h"
#include "lib/Runtime/Cpu/Kernels/Vec16Scalar.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace attune::cpu::generic {
#include "lib/Runtime/Cpu/Kernels/RecycleTopKKernel.inc"
} // namespace attune::cpu::generic
