//===- Symbols.h - kernel entry points the JIT resolves ---------*- C++ -*-===//
//
// Generated code calls the kernels by name; the JIT binds those names to the
// addresses listed here (shared libraries link the archive instead).
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_SYMBOLS_H
#define ATTUNE_RUNTIME_CPU_KERNELS_SYMBOLS_H

#include <cstddef>

namespace attune::cpu {

struct KernelSymbol {
  const char *name;
  void *address;
};

/// Every `_mlir_ciface_attune_*` entry point of the library, and the
/// allocation functions of generated code (`_mlir_memref_to_llvm_*`).
const KernelSymbol *kernelSymbols(size_t &count);

} // namespace attune::cpu

#endif
