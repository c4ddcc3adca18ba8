//===- Symbols.cpp - kernel entry points the JIT resolves -----------------===//

#include "lib/Runtime/Cpu/Kernels/Symbols.h"

#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/Kernels/MemRef.h"

using attune::cpu::MemRef;

// Entry points of generated code's calling convention (defined next to each
// kernel).
extern "C" {
void _mlir_ciface_attune_sdpa_f32(MemRef<float, 4> *, MemRef<float, 4> *,
                                  MemRef<float, 4> *, MemRef<float, 4> *,
                                  MemRef<float, 4> *, MemRef<uint8_t, 4> *,
                                  MemRef<uint8_t, 4> *, MemRef<int64_t, 3> *,
                                  MemRef<int64_t, 1> *, MemRef<int64_t, 1> *,
                                  MemRef<double, 1> *);
void _mlir_ciface_attune_gemm_f32(MemRef<float, 3> *, MemRef<float, 3> *,
                                  MemRef<float, 3> *, MemRef<float, 3> *,
                                  int64_t);
}

namespace attune::cpu {

const KernelSymbol *kernelSymbols(size_t &count) {
  static const KernelSymbol table[] = {
      {"_mlir_ciface_attune_sdpa_f32",
       reinterpret_cast<void *>(&_mlir_ciface_attune_sdpa_f32)},
      {"_mlir_ciface_attune_gemm_f32",
       reinterpret_cast<void *>(&_mlir_ciface_attune_gemm_f32)},
  };
  count = sizeof(table) / sizeof(table[0]);
  return table;
}

} // namespace attune::cpu
