//===- RecycleTopK.cpp - a recycled full step's kept positions ------------===//
//
// attune_recycle_topk_f32 turns the last query row's scores of a recycled
// full step (attn.recycle, written by the sdpa kernel) into the kept
// positions of each key/value head: per head the softmax of the row, the
// max over the heads of the group, the max over `pool` neighbouring
// positions, then the K best positions in position order (ties: lower
// positions win; -1 pads when K exceeds the keys). It is the selection of
// RecycleBuilder::topK (dialects/Attn/IR/AttnRecycle.cpp), the reference,
// with its order of floats (a -0 counts as +0, NaN above +inf); its exp and
// its sums may round differently, which can only swap near-equal positions.
//
// The reference runs this as generated scalar code (a radix selection of 32
// counting passes over the keys, after the softmax and pooling loops: about
// 11 ms of a 32K-key full step). Here RecycleTopKKernel.inc does it in
// vector code with three counting passes (AVX-512 build when the CPU has
// it, generic otherwise), the (batch, key/value head) items run on the
// kernel threads, and batch elements that do not take a full step are
// skipped (their result is not selected). Counted as the
// ATTUNE_KERNEL_SELECT family, like the other selection steps.
//
//===----------------------------------------------------------------------===//

#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/Kernels/Isa.h"
#include "lib/Runtime/Cpu/Kernels/MemRef.h"
#include "lib/Runtime/Cpu/Kernels/RecycleTopKKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

using namespace attune::cpu;

[[noreturn]] static void fail(const char *what) {
  std::fprintf(stderr, "attune: attune_recycle_topk_f32: %s\n", what);
  std::abort();
}

extern "C" void attune_recycle_topk_f32(const attune_recycle_topk_args *args) {
  ProfileScope profile(ATTUNE_KERNEL_SELECT);
  const attune_recycle_topk_args &a = *args;
  if (a.batch < 0 || a.heads_q < 0 || a.heads_kv <= 0 || a.len_k < 0 ||
      a.topk < 0)
    fail("negative size");
  if (a.heads_q % a.heads_kv != 0)
    fail("query heads are not a multiple of key heads");
  if (a.pool < 1)
    fail("pool must be at least 1");
  const int64_t items = a.batch * a.heads_kv;
  // About 20 operations per score and head (exp, pooling, selection).
  const int64_t work = 20 * a.batch * a.heads_q * std::max<int64_t>(a.len_k, 1);
  const bool avx512 = hasAvx512();
  parallelFor(items, work, [&](int64_t item, int) {
    const int64_t b = item / a.heads_kv, g = item % a.heads_kv;
    if (a.full && !a.full[b * a.full_stride])
      return; // a partial step: its kept set is not replaced
    if (avx512)
      avx512::recycleTopKItem(a, b, g);
    else
      generic::recycleTopKItem(a, b, g);
  });
}

extern "C" void _mlir_ciface_attune_recycle_topk_f32(
    MemRef<float, 4> *scores, MemRef<uint8_t, 1> *full,
    MemRef<int64_t, 3> *kept, MemRef<int64_t, 1> *iparams) {
  const int64_t *ip = iparams->data();
  checkAbiVersion("recycle top-K", ip[ATTUNE_RECYCLE_I_VERSION],
                  ATTUNE_RECYCLE_ABI_VERSION);
  attune_recycle_topk_args a = {};
  a.scores = scores->data();
  a.full = full->data();
  a.kept = kept->data();
  a.batch = scores->sizes[0];
  a.heads_q = scores->sizes[1];
  a.len_k = scores->sizes[3];
  a.heads_kv = kept->sizes[1];
  a.topk = kept->sizes[2];
  for (int d = 0; d < 4; ++d)
    a.scores_stride[d] = scores->strides[d];
  for (int d = 0; d < 3; ++d)
    a.kept_stride[d] = kept->strides[d];
  a.full_stride = full->strides[0];
  a.pool = ip[ATTUNE_RECYCLE_I_POOL];
  if (scores->sizes[2] != 1)
    fail("expected scores of one query row ([B, Hq, 1, Lk])");
  if (full->sizes[0] != a.batch || kept->sizes[0] != a.batch)
    fail("batch sizes of scores, flags and kept positions differ");
  attune_recycle_topk_f32(&a);
}
