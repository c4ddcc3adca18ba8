//===- GemmGeneric.cpp - f32 GEMM compiled for any x86-64 / other CPU -----===//

#include "lib/Runtime/Cpu/Kernels/Vec16Scalar.h"
#include "lib/Runtime/Cpu/Kernels/GemmKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

namespace attune::cpu::generic {
// A 16-float vector is several registers here; keep the tile small.
constexpr int kGemmMR = 4, kGemmNV = 1;
#include "lib/Runtime/Cpu/Kernels/GemmKernel.inc"
} // namespace attune::cpu::generic
