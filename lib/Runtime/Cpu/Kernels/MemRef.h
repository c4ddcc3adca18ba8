//===- MemRef.h - memref descriptors of generated code ---------*- C++ -*-===//
//
// `llvm.emit_c_interface` functions receive pointers to these structs
// ({allocated, aligned, offset, sizes[R], strides[R]}); sizes and strides are
// in elements.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_MEMREF_H
#define ATTUNE_RUNTIME_CPU_KERNELS_MEMREF_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace attune::cpu {

template <typename T, int Rank> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];

  T *data() const { return aligned + offset; }
};

/// Aborts with a message when generated code was built against another
/// version of a kernel's parameter layout than this library.
inline void checkAbiVersion(const char *kernel, int64_t generated,
                            int library) {
  if (generated == library)
    return;
  std::fprintf(stderr,
               "attune: %s kernel ABI mismatch (generated code v%lld, "
               "library v%d)\n",
               kernel, static_cast<long long>(generated), library);
  std::abort();
}

/// Pointers, sizes and strides of the [B, H, L, D] q, k, v and o operands
/// of an attention kernel's argument struct, from their descriptors.
template <typename Args>
void readAttentionOperands(Args &a, const MemRef<float, 4> *q,
                           const MemRef<float, 4> *k, const MemRef<float, 4> *v,
                           const MemRef<float, 4> *o) {
  a.q = q->data();
  a.k = k->data();
  a.v = v->data();
  a.o = o->data();
  a.batch = q->sizes[0];
  a.heads_q = q->sizes[1];
  a.len_q = q->sizes[2];
  a.dim = q->sizes[3];
  a.heads_kv = k->sizes[1];
  a.len_k = k->sizes[2];
  a.dim_v = v->sizes[3];
  for (int d = 0; d < 4; ++d) {
    a.q_stride[d] = q->strides[d];
    a.k_stride[d] = k->strides[d];
    a.v_stride[d] = v->strides[d];
    a.o_stride[d] = o->strides[d];
  }
}

} // namespace attune::cpu

#endif
