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
                                  MemRef<int64_t, 1> *, MemRef<float, 4> *,
                                  MemRef<float, 4> *, MemRef<float, 4> *,
                                  MemRef<int64_t, 1> *, MemRef<double, 1> *);
#define ATTUNE_SDPA_KV16_DECL(name)                                            \
  void name(MemRef<float, 4> *, MemRef<uint16_t, 4> *, MemRef<uint16_t, 4> *,  \
            MemRef<float, 4> *, MemRef<float, 4> *, MemRef<uint8_t, 4> *,      \
            MemRef<uint8_t, 4> *, MemRef<int64_t, 3> *, MemRef<int64_t, 1> *,  \
            MemRef<uint16_t, 4> *, MemRef<uint16_t, 4> *, MemRef<float, 4> *,  \
            MemRef<int64_t, 1> *, MemRef<double, 1> *);
ATTUNE_SDPA_KV16_DECL(_mlir_ciface_attune_sdpa_f32_kvf16)
ATTUNE_SDPA_KV16_DECL(_mlir_ciface_attune_sdpa_f32_kvbf16)
#undef ATTUNE_SDPA_KV16_DECL
void _mlir_ciface_attune_gemm_f32(MemRef<float, 3> *, MemRef<float, 3> *,
                                  MemRef<float, 3> *, MemRef<float, 3> *,
                                  int64_t);
void _mlir_ciface_attune_block_select_f32(MemRef<float, 4> *,
                                          MemRef<float, 4> *,
                                          MemRef<uint8_t, 4> *,
                                          MemRef<int64_t, 1> *,
                                          MemRef<double, 1> *);
void _mlir_ciface_attune_linear_f32(MemRef<float, 4> *, MemRef<float, 4> *,
                                    MemRef<float, 4> *, MemRef<float, 4> *,
                                    MemRef<uint8_t, 4> *, MemRef<int64_t, 1> *,
                                    MemRef<double, 1> *);
void _mlir_ciface_attune_recycle_topk_f32(MemRef<float, 4> *,
                                          MemRef<uint8_t, 1> *,
                                          MemRef<int64_t, 3> *,
                                          MemRef<int64_t, 1> *);
void _mlir_ciface_attune_copy_f32(void *, void *);
// Heap buffers of generated code (BufferCache.cpp).
void *_mlir_memref_to_llvm_alloc(size_t);
void _mlir_memref_to_llvm_free(void *);
}

namespace attune::cpu {

const KernelSymbol *kernelSymbols(size_t &count) {
  static const KernelSymbol table[] = {
      {"_mlir_ciface_attune_sdpa_f32",
       reinterpret_cast<void *>(&_mlir_ciface_attune_sdpa_f32)},
      {"_mlir_ciface_attune_sdpa_f32_kvf16",
       reinterpret_cast<void *>(&_mlir_ciface_attune_sdpa_f32_kvf16)},
      {"_mlir_ciface_attune_sdpa_f32_kvbf16",
       reinterpret_cast<void *>(&_mlir_ciface_attune_sdpa_f32_kvbf16)},
      {"_mlir_ciface_attune_gemm_f32",
       reinterpret_cast<void *>(&_mlir_ciface_attune_gemm_f32)},
      {"_mlir_ciface_attune_block_select_f32",
       reinterpret_cast<void *>(&_mlir_ciface_attune_block_select_f32)},
      {"_mlir_ciface_attune_linear_f32",
       reinterpret_cast<void *>(&_mlir_ciface_attune_linear_f32)},
      {"_mlir_ciface_attune_recycle_topk_f32",
       reinterpret_cast<void *>(&_mlir_ciface_attune_recycle_topk_f32)},
      {"_mlir_ciface_attune_copy_f32",
       reinterpret_cast<void *>(&_mlir_ciface_attune_copy_f32)},
      {"_mlir_memref_to_llvm_alloc",
       reinterpret_cast<void *>(&_mlir_memref_to_llvm_alloc)},
      {"_mlir_memref_to_llvm_free",
       reinterpret_cast<void *>(&_mlir_memref_to_llvm_free)},
      {"attune_check_failed", reinterpret_cast<void *>(&attune_check_failed)},
  };
  count = sizeof(table) / sizeof(table[0]);
  return table;
}

} // namespace attune::cpu
