//===- HostAlloc.h - aligned buffers, huge pages when large ---*- C++ -*-===//
//
// Buffers of 2 MiB and more (KV caches, activations of long sequences) are
// 2 MiB aligned and marked MADV_HUGEPAGE, so that on kernels whose
// transparent huge pages are in "madvise" mode (Debian's default) they are
// backed by 2 MiB pages. Decode steps that gather scattered cache rows (a
// recycled partial step reads L/8 random rows of K and V) otherwise take a
// TLB miss and a page walk on nearly every row; streaming kernels gain a
// little too. Smaller buffers are 64-byte aligned.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_HOSTALLOC_H
#define ATTUNE_RUNTIME_CPU_KERNELS_HOSTALLOC_H

#include <cstddef>
#include <cstdlib>
#include <sys/mman.h>

namespace attune::cpu {

constexpr size_t kHugePage = size_t(2) << 20;

/// At least `bytes` bytes (rounded up to the alignment), freed with
/// std::free; null when the allocation fails.
inline void *allocHostBuffer(size_t bytes) {
  if (bytes >= kHugePage) {
    size_t total = (bytes + kHugePage - 1) & ~(kHugePage - 1);
    if (void *p = std::aligned_alloc(kHugePage, total)) {
      (void)madvise(p, total, MADV_HUGEPAGE); // advice only: may be refused
      return p;
    }
  }
  return std::aligned_alloc(64, ((bytes + 63) / 64) * 64 + 64);
}

} // namespace attune::cpu

#endif
