//===- BufferCache.cpp - reused heap buffers for generated code ----------===//
//
// Generated code allocates its intermediate buffers through
// `_mlir_memref_to_llvm_alloc` / `_mlir_memref_to_llvm_free` (the CPU
// pipeline lowers memref.alloc/dealloc with finalize-memref-to-llvm's
// `use-generic-functions`), and these are defined here. With plain malloc,
// every buffer above glibc's mmap threshold is fresh mmap'd memory on each
// call, so a model run repeatedly pays a page fault per 4 KiB it writes:
// the 2 x 25 MB Concat(past, new) buffers of a decode step on a 4K cache cost
// about 8 ms of faults per step, against 1 ms for the attention itself.
// Like onnxruntime's arena, large blocks that are freed are kept (up to a
// byte budget) and handed out again to requests of about the same size, so
// a model that runs repeatedly works on warm pages.
//
// Every block carries a small header with its capacity, so that free knows
// whether it may keep it. ATTUNE_BUFFER_CACHE_MB sets the budget (default
// 1024; 0 disables the cache).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/Cpu/Kernels/HostAlloc.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>

namespace {

/// Blocks smaller than this go straight back to malloc, which serves them
/// from its own free lists without page faults.
constexpr size_t kMinCached = size_t(1) << 20;
/// Header before the user pointer; 64 keeps the user pointer 64-byte
/// aligned, as AVX-512 kernels prefer.
constexpr size_t kHeader = 64;
constexpr int kMaxBlocks = 32;

struct Header {
  size_t capacity; // user bytes
};

struct Cache {
  std::mutex mutex;
  void *blocks[kMaxBlocks]; // raw pointers (header included), oldest first
  size_t capacity[kMaxBlocks];
  int count = 0;
  size_t bytes = 0;
  size_t budget;

  Cache() {
    size_t mb = 1024;
    if (const char *env = std::getenv("ATTUNE_BUFFER_CACHE_MB"))
      mb = std::strtoull(env, nullptr, 10);
    budget = mb << 20;
  }

  void drop(int i) {
    bytes -= capacity[i];
    for (int j = i + 1; j < count; ++j) {
      blocks[j - 1] = blocks[j];
      capacity[j - 1] = capacity[j];
    }
    --count;
  }
};

Cache &cache() {
  static Cache c;
  return c;
}

void *newBlock(size_t n) {
  void *raw = attune::cpu::allocHostBuffer(kHeader + n);
  if (!raw)
    return nullptr;
  static_cast<Header *>(raw)->capacity = n;
  return static_cast<char *>(raw) + kHeader;
}

} // namespace

extern "C" {

void *_mlir_memref_to_llvm_alloc(size_t n) {
  if (n >= kMinCached) {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    // Best fit among blocks at most 25% larger than asked (a decode step's
    // buffers grow by one token per step).
    int best = -1;
    for (int i = 0; i < c.count; ++i)
      if (c.capacity[i] >= n && c.capacity[i] - n <= n / 4 &&
          (best < 0 || c.capacity[i] < c.capacity[best]))
        best = i;
    if (best >= 0) {
      void *raw = c.blocks[best];
      c.drop(best);
      return static_cast<char *>(raw) + kHeader;
    }
  }
  return newBlock(n);
}

void _mlir_memref_to_llvm_free(void *p) {
  if (!p)
    return;
  void *raw = static_cast<char *>(p) - kHeader;
  size_t n = static_cast<Header *>(raw)->capacity;
  if (n >= kMinCached) {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (n <= c.budget) {
      // Make room: the oldest blocks go first.
      while (c.count > 0 && (c.count == kMaxBlocks || c.bytes + n > c.budget)) {
        std::free(c.blocks[0]);
        c.drop(0);
      }
      c.blocks[c.count] = raw;
      c.capacity[c.count] = n;
      ++c.count;
      c.bytes += n;
      return;
    }
  }
  std::free(raw);
}

} // extern "C"
