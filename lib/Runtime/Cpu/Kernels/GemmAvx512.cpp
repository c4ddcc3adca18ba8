//===- GemmAvx512.cpp - f32 GEMM compiled for AVX-512 ---------------------===//

#include "lib/Runtime/Cpu/Kernels/Vec16Avx512.h"
#include "lib/Runtime/Cpu/Kernels/GemmKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

namespace attune::cpu::avx512 {
// 28 accumulators + 2 B vectors + 1 broadcast = 31 of 32 zmm registers.
constexpr int kGemmMR = 14, kGemmNV = 2;
#define ATTUNE_GEMM_AVX512 1 // GemmKernel.inc may use AVX-512 intrinsics
#include "lib/Runtime/Cpu/Kernels/GemmKernel.inc"
#undef ATTUNE_GEMM_AVX512
} // namespace attune::cpu::avx512
