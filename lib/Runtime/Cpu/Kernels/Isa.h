//===- Isa.h - which build of a kernel runs ---------------------*- C++ -*-===//
//
// Every kernel is compiled twice (AVX-512 and generic); the entry points ask
// here which one to call. ATTUNE_CPU_ISA=generic forces the generic build.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_ISA_H
#define ATTUNE_RUNTIME_CPU_KERNELS_ISA_H

#include <cstdlib>
#include <string_view>

namespace attune::cpu {

inline bool hasAvx512() {
  static const bool yes = [] {
    if (const char *env = std::getenv("ATTUNE_CPU_ISA"))
      return std::string_view(env) != "generic";
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return yes;
}

} // namespace attune::cpu

#endif
