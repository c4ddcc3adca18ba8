//===- BlockSelect.cpp - dynamic block selection: entry points ------------===//
//
// attune_block_select_f32 computes the block map of one attn.block_select
// (MoBA, SLA, SALE) with the AVX-512 build of BlockSelectKernel.inc when the
// CPU has AVX-512F, the generic build otherwise, and counts its time as the
// ATTUNE_KERNEL_SELECT family, so that a benchmark reports selection apart
// from the sparse attention it feeds. _mlir_ciface_attune_block_select_f32
// is the form generated code calls: memref descriptors plus the parameter
// arrays laid out in CpuKernels.h.
//
//===----------------------------------------------------------------------===//

#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/Kernels/BlockSelectKernels.h"
#include "lib/Runtime/Cpu/Kernels/Isa.h"
#include "lib/Runtime/Cpu/Kernels/MemRef.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace attune::cpu;

[[noreturn]] static void fail(const char *what) {
  std::fprintf(stderr, "attune: attune_block_select_f32: %s\n", what);
  std::abort();
}

extern "C" void attune_block_select_f32(const attune_block_select_args *args) {
  ProfileScope profile(ATTUNE_KERNEL_SELECT);
  const attune_block_select_args &a = *args;
  if (a.batch < 0 || a.heads_q < 0 || a.heads_kv <= 0 || a.len_q < 0 ||
      a.len_k < 0 || a.dim < 0)
    fail("negative size");
  if (a.heads_q % a.heads_kv != 0)
    fail("query heads are not a multiple of key heads");
  if (a.block_q <= 0 || a.block_k <= 0)
    fail("block sizes must be positive");
  if (a.method != ATTUNE_SELECT_MOBA && a.method != ATTUNE_SELECT_SLA &&
      a.method != ATTUNE_SELECT_SALE)
    fail("unknown method");
  if (a.batch == 0 || a.heads_q == 0 || a.len_q == 0 || a.len_k == 0)
    return; // no block to decide
  SelectProblem P(a);
  bool sale = a.method == ATTUNE_SELECT_SALE;
  if (hasAvx512()) {
    if (sale)
      avx512::blockSelectSale(P);
    else
      avx512::blockSelectTopK(P);
  } else {
    if (sale)
      generic::blockSelectSale(P);
    else
      generic::blockSelectTopK(P);
  }
}

extern "C" void _mlir_ciface_attune_block_select_f32(
    MemRef<float, 4> *q, MemRef<float, 4> *k, MemRef<uint8_t, 4> *out,
    MemRef<int64_t, 1> *iparams, MemRef<double, 1> *fparams) {
  const int64_t *ip = iparams->data();
  const double *fp = fparams->data();
  checkAbiVersion("block select", ip[ATTUNE_SELECT_I_VERSION],
                  ATTUNE_SELECT_ABI_VERSION);
  attune_block_select_args a = {};
  a.q = q->data();
  a.k = k->data();
  a.out = out->data();
  a.batch = q->sizes[0];
  a.heads_q = q->sizes[1];
  a.len_q = q->sizes[2];
  a.dim = q->sizes[3];
  a.heads_kv = k->sizes[1];
  a.len_k = k->sizes[2];
  for (int d = 0; d < 4; ++d) {
    a.q_stride[d] = q->strides[d];
    a.k_stride[d] = k->strides[d];
    a.out_stride[d] = out->strides[d];
  }
  a.method = static_cast<int32_t>(ip[ATTUNE_SELECT_I_METHOD]);
  a.causal = static_cast<int32_t>(ip[ATTUNE_SELECT_I_CAUSAL]);
  a.block_q = ip[ATTUNE_SELECT_I_BLOCK_Q];
  a.block_k = ip[ATTUNE_SELECT_I_BLOCK_K];
  a.topk = ip[ATTUNE_SELECT_I_TOPK];
  a.sink_blocks = ip[ATTUNE_SELECT_I_SINK_BLOCKS];
  a.local_blocks = ip[ATTUNE_SELECT_I_LOCAL_BLOCKS];
  a.scale = fp[ATTUNE_SELECT_F_SCALE];
  a.tau = fp[ATTUNE_SELECT_F_TAU];
  attune_block_select_f32(&a);
}
