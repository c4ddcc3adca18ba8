//===- BlockSelectGeneric.cpp - block selection compiled for any CPU ------===//

#include "lib/Runtime/Cpu/Kernels/BlockSelectKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"
#include "lib/Runtime/Cpu/Kernels/Vec16Scalar.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <memory>
#include <vector>

namespace attune::cpu::generic {
#include "lib/Runtime/Cpu/Kernels/BlockSelectKernel.inc"
} // namespace attune::cpu::generic
