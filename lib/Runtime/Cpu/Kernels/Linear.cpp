//===- Linear.cpp - linear attention: entry points and ISA dispatch -------===//
//
// attune_linear_f32 runs the AVX-512 or the generic build of the chunked
// linear attention kernel (LinearKernel.inc); _mlir_ciface_attune_linear_f32
// is the form generated code calls (memref descriptors plus the parameter
// arrays laid out in CpuKernels.h).
//
//===----------------------------------------------------------------------===//

#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/Kernels/Isa.h"
#include "lib/Runtime/Cpu/Kernels/LinearKernels.h"
#include "lib/Runtime/Cpu/Kernels/MemRef.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace attune::cpu;

extern "C" void attune_linear_f32(const attune_linear_args *args) {
  ProfileScope profile(ATTUNE_KERNEL_LINEAR);
  const attune_linear_args &a = *args;
  if (a.batch <= 0 || a.heads_q <= 0 || a.len_q <= 0 || a.dim_v <= 0)
    return;
  if (a.heads_kv <= 0 || a.heads_q % a.heads_kv != 0 ||
      (a.causal && a.len_q > a.len_k) ||
      (a.exclude && (a.variant != ATTUNE_LINEAR_KERNELIZED || a.block_q <= 0 ||
                     a.block_k <= 0))) {
    std::fprintf(
        stderr,
        "attune: attune_linear_f32: unsupported problem "
        "(heads %lld/%lld, Lq %lld, Lk %lld%s)\n",
        static_cast<long long>(a.heads_q), static_cast<long long>(a.heads_kv),
        static_cast<long long>(a.len_q), static_cast<long long>(a.len_k),
        a.exclude ? ", an exclude map needs the kernelized variant and "
                    "positive block sizes"
                  : "");
    std::abort();
  }
  if (hasAvx512())
    avx512::linearAttention(a);
  else
    generic::linearAttention(a);
}

extern "C" void _mlir_ciface_attune_linear_f32(
    MemRef<float, 4> *q, MemRef<float, 4> *k, MemRef<float, 4> *v,
    MemRef<float, 4> *o, MemRef<uint8_t, 4> *exclude,
    MemRef<int64_t, 1> *iparams, MemRef<double, 1> *fparams) {
  const int64_t *ip = iparams->data();
  const double *fp = fparams->data();
  checkAbiVersion("linear", ip[ATTUNE_LINEAR_I_VERSION],
                  ATTUNE_LINEAR_ABI_VERSION);
  attune_linear_args a = {};
  readAttentionOperands(a, q, k, v, o);
  a.variant = static_cast<int32_t>(ip[ATTUNE_LINEAR_I_VARIANT]);
  a.feature = static_cast<int32_t>(ip[ATTUNE_LINEAR_I_FEATURE]);
  a.causal = static_cast<int32_t>(ip[ATTUNE_LINEAR_I_CAUSAL]);
  a.chunk = ip[ATTUNE_LINEAR_I_CHUNK];
  a.scale = static_cast<float>(fp[ATTUNE_LINEAR_F_SCALE]);
  if (ip[ATTUNE_LINEAR_I_HAS_EXCLUDE]) {
    a.exclude = exclude->data();
    // Size-1 (broadcast) dimensions are read at index 0.
    for (int d = 0; d < 4; ++d)
      a.exclude_stride[d] = exclude->sizes[d] == 1 ? 0 : exclude->strides[d];
    a.block_q = ip[ATTUNE_LINEAR_I_BLOCK_Q];
    a.block_k = ip[ATTUNE_LINEAR_I_BLOCK_K];
    const int64_t bq = std::max<int64_t>(a.block_q, 1);
    const int64_t bk = std::max<int64_t>(a.block_k, 1);
    if ((exclude->sizes[0] != 1 && exclude->sizes[0] != a.batch) ||
        (exclude->sizes[1] != 1 && exclude->sizes[1] != a.heads_q) ||
        exclude->sizes[2] != (a.len_q + bq - 1) / bq ||
        exclude->sizes[3] != (a.len_k + bk - 1) / bk) {
      std::fprintf(stderr,
                   "attune: attune_linear_f32: the exclude map's shape does "
                   "not match the blocks of the problem\n");
      std::abort();
    }
  }
  std::vector<float> decay;
  if (ip[ATTUNE_LINEAR_I_HAS_DECAY]) {
    decay.resize(a.heads_q);
    for (int64_t h = 0; h < a.heads_q; ++h)
      decay[h] = static_cast<float>(fp[ATTUNE_LINEAR_F_COUNT + h]);
    a.decay = decay.data();
  }
  attune_linear_f32(&a);
}
