//===- Copy.cpp - large strided copies on the kernel threads -------------===//
//
// Generated code copies whole tensors where a graph concatenates or slices
// them: the Concat(past, new) of a decode step's KV cache copies 2 x 25 MB
// (4K cache) to 2 x 100 MB (32K) per step. One core's memcpy moves about
// 7-15 GB/s here, both cores together about twice that, so copies of at
// least a MiB (attn-lower-strided-copies emits the call) are split into
// pieces of contiguous rows handed to the thread pool.
//
// The operands are unranked memrefs (any rank and layout): the copy is
// decomposed into the largest innermost block that is contiguous on both
// sides (as attn-lower-strided-copies does at compile time) and a walk over
// the outer indices.
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace {

/// `memref<*xT>` as the C interface passes it.
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor; // {allocated, aligned, offset, sizes[rank], strides[rank]}
};

struct View {
  char *data;
  const int64_t *sizes, *strides;
};

View view(const UnrankedMemRef *m, size_t elem) {
  auto *words = static_cast<int64_t *>(m->descriptor);
  char *aligned = reinterpret_cast<char *>(words[1]);
  const int64_t *sizes = words + 3;
  return {aligned + words[2] * static_cast<int64_t>(elem), sizes,
          sizes + m->rank};
}

/// Bytes per piece handed to one worker: large enough that a piece costs
/// far more than taking it from the pool, small enough to balance.
constexpr int64_t kPiece = 512 << 10;
/// Copies below this run on the calling thread.
constexpr int64_t kParallelBytes = 1 << 20;

void copyStrided(const UnrankedMemRef *srcRef, const UnrankedMemRef *dstRef,
                 size_t elem) {
  int64_t rank = srcRef->rank;
  View src = view(srcRef, elem), dst = view(dstRef, elem);
  int64_t total = 1;
  for (int64_t d = 0; d < rank; ++d)
    total *= src.sizes[d];
  if (total == 0)
    return;
  // The contiguous block: innermost dims [inner, rank) (unit dims never
  // break contiguity); blockElems elements, outer = the rest.
  int64_t inner = rank, sRun = 1, dRun = 1;
  while (inner > 0) {
    int64_t d = inner - 1, n = src.sizes[d];
    if (n != 1 && (src.strides[d] != sRun || dst.strides[d] != dRun))
      break;
    sRun *= n;
    dRun *= n;
    inner = d;
  }
  int64_t blockBytes = sRun * static_cast<int64_t>(elem);
  int64_t blocks = total / sRun;
  // Byte offsets of outer block `i` (row-major over dims [0, inner)).
  auto offsets = [&](int64_t i, int64_t &so, int64_t &dOff) {
    so = dOff = 0;
    for (int64_t d = inner - 1; d >= 0; --d) {
      int64_t n = src.sizes[d], k = i % n;
      i /= n;
      so += k * src.strides[d];
      dOff += k * dst.strides[d];
    }
    so *= static_cast<int64_t>(elem);
    dOff *= static_cast<int64_t>(elem);
  };
  int64_t bytes = total * static_cast<int64_t>(elem);
  if (bytes < kParallelBytes || attune::cpu::numThreads() < 2) {
    for (int64_t i = 0; i < blocks; ++i) {
      int64_t so, dOff;
      offsets(i, so, dOff);
      std::memcpy(dst.data + dOff, src.data + so, blockBytes);
    }
    return;
  }
  // Pieces: each block cut into ceil(blockBytes / kPiece) parts, or several
  // small blocks per piece.
  int64_t perBlock = std::max<int64_t>(1, (blockBytes + kPiece - 1) / kPiece);
  int64_t blocksPerPiece =
      perBlock > 1 ? 1 : std::max<int64_t>(1, kPiece / blockBytes);
  int64_t pieces = perBlock > 1
                       ? blocks * perBlock
                       : (blocks + blocksPerPiece - 1) / blocksPerPiece;
  int64_t partBytes = (blockBytes + perBlock - 1) / perBlock;
  attune::cpu::parallelFor(pieces, [&](int64_t p, int) {
    if (perBlock > 1) {
      int64_t so, dOff, part = p % perBlock;
      offsets(p / perBlock, so, dOff);
      int64_t begin = part * partBytes;
      int64_t n = std::min(partBytes, blockBytes - begin);
      if (n > 0)
        std::memcpy(dst.data + dOff + begin, src.data + so + begin, n);
      return;
    }
    int64_t end = std::min(blocks, (p + 1) * blocksPerPiece);
    for (int64_t i = p * blocksPerPiece; i < end; ++i) {
      int64_t so, dOff;
      offsets(i, so, dOff);
      std::memcpy(dst.data + dOff, src.data + so, blockBytes);
    }
  });
}

} // namespace

extern "C" void _mlir_ciface_attune_copy_f32(UnrankedMemRef *src,
                                             UnrankedMemRef *dst) {
  copyStrided(src, dst, sizeof(float));
}
