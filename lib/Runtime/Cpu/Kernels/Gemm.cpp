//===- Gemm.cpp - f32 GEMM: entry points and ISA dispatch -----------------===//
//
// attune_gemm_f32 checks the problem, handles the degenerate shapes (no
// depth: C = C0 or 0) and runs the AVX-512 build of GemmKernel.inc when the
// CPU has AVX-512F, the generic build otherwise. _mlir_ciface_attune_gemm_f32
// is the form generated code calls: rank-3 memref descriptors
// [batch, rows, cols] whose strides describe the layout of each operand, and
// a flags word (CpuKernels.h).
//
//===----------------------------------------------------------------------===//

#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/Kernels/GemmKernels.h"
#include "lib/Runtime/Cpu/Kernels/Isa.h"
#include "lib/Runtime/Cpu/Kernels/MemRef.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace attune::cpu;

[[noreturn]] static void fail(const char *what) {
  std::fprintf(stderr, "attune: attune_gemm_f32: %s\n", what);
  std::abort();
}

extern "C" void attune_gemm_f32(const attune_gemm_args *args) {
  ProfileScope profile(ATTUNE_KERNEL_GEMM);
  const attune_gemm_args &g = *args;
  if (g.batch < 0 || g.m < 0 || g.n < 0 || g.k < 0)
    fail("negative size");
  if (g.batch == 0 || g.m == 0 || g.n == 0)
    return;
  if (g.k == 0) { // empty sum: C = C0, or zeros
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t i = 0; i < g.m; ++i)
        for (int64_t j = 0; j < g.n; ++j)
          g.c[b * g.c_stride[0] + i * g.c_stride[1] + j * g.c_stride[2]] =
              g.c0 ? g.c0[b * g.c0_stride[0] + i * g.c0_stride[1] +
                          j * g.c0_stride[2]]
                   : 0.0f;
    return;
  }
  if (hasAvx512())
    avx512::gemm(g);
  else
    generic::gemm(g);
}

namespace {
/// Batch stride of a [batch, ., .] operand: 0 when it broadcasts.
int64_t batchStride(const MemRef<float, 3> &m, int64_t batch) {
  if (m.sizes[0] == batch)
    return m.strides[0];
  if (m.sizes[0] != 1)
    fail("operand batch does not broadcast to the result's");
  return 0;
}
} // namespace

extern "C" void _mlir_ciface_attune_gemm_f32(MemRef<float, 3> *a,
                                             MemRef<float, 3> *b,
                                             MemRef<float, 3> *c0,
                                             MemRef<float, 3> *c,
                                             int64_t flags) {
  if (((flags >> 8) & 0xFF) != ATTUNE_GEMM_ABI_VERSION) {
    std::fprintf(stderr,
                 "attune: kernel ABI mismatch (generated code gemm v%lld, "
                 "library v%d)\n",
                 static_cast<long long>((flags >> 8) & 0xFF),
                 ATTUNE_GEMM_ABI_VERSION);
    std::abort();
  }
  attune_gemm_args g = {};
  g.batch = c->sizes[0];
  g.m = c->sizes[1];
  g.n = c->sizes[2];
  g.k = a->sizes[2];
  if (a->sizes[1] != g.m || b->sizes[1] != g.k || b->sizes[2] != g.n)
    fail("operand shapes do not match");
  g.a = a->data();
  g.b = b->data();
  g.c = c->data();
  g.a_stride[0] = batchStride(*a, g.batch);
  g.b_stride[0] = batchStride(*b, g.batch);
  g.c_stride[0] = c->strides[0];
  for (int d = 1; d < 3; ++d) {
    g.a_stride[d] = a->strides[d];
    g.b_stride[d] = b->strides[d];
    g.c_stride[d] = c->strides[d];
  }
  if (flags & ATTUNE_GEMM_ACCUMULATE) {
    if (c0->sizes[1] != g.m || c0->sizes[2] != g.n)
      fail("addend shape does not match the result's");
    g.c0 = c0->data();
    g.c0_stride[0] = batchStride(*c0, g.batch);
    g.c0_stride[1] = c0->strides[1];
    g.c0_stride[2] = c0->strides[2];
  }
  attune_gemm_f32(&g);
}
