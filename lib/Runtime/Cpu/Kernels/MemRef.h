//===- MemRef.h - memref descriptors as generated code passes them -*- C++ -*-===//
//
// `llvm.emit_c_interface` functions receive pointers to these structs
// ({allocated, aligned, offset, sizes[R], strides[R]}); sizes and strides are
// in elements.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_MEMREF_H
#define ATTUNE_RUNTIME_CPU_KERNELS_MEMREF_H

#include <cstdint>

namespace attune::cpu {

template <typename T, int Rank> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];

  T *data() const { return aligned + offset; }
};

} // namespace attune::cpu

#endif
