//===- peak_bench.cpp - fp32 FMA throughput of this machine, now ----------===//
//
// Runs independent chains of fused multiply-adds in registers (no memory
// traffic) on T threads and prints the best of R passes as GFLOP/s: the
// compute peak that attention kernels are measured against. bench/run.py
// measures it in the same rounds as the dense benchmarks, next to the fixed
// figure of ../shared/TOOLCHAIN.md, because a shared machine's clock and
// host CPU change from day to day.
//
//   attune-peak-bench [--threads T] [--ms M] [--reps R]
//
// With AVX-512 the chains are 16-lane vectors (2 flops per lane and FMA);
// without it, 8-lane AVX2 FMA vectors; the line says which.
//
//===----------------------------------------------------------------------===//

#include "Probe.h"

#include <cstdint>
#include <immintrin.h>

namespace {

/// Chains per thread: enough to cover the FMA latency (4 cycles) on two
/// ports with room to spare, few enough to stay in registers.
constexpr int kChains = 12;

/// `iters` rounds of kChains 16-lane FMAs; returns a value that depends on
/// every chain so that nothing is optimized away.
__attribute__((target("avx512f"))) float fma512(int64_t iters) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_set1_ps(1.0f + 1e-3f * c);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  __m512 s = acc[0];
  for (int c = 1; c < kChains; ++c)
    s = _mm512_add_ps(s, acc[c]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float fma256(int64_t iters) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm256_set1_ps(1.0f + 1e-3f * c);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  float lanes[8];
  __m256 s = acc[0];
  for (int c = 1; c < kChains; ++c)
    s = _mm256_add_ps(s, acc[c]);
  _mm256_storeu_ps(lanes, s);
  float r = 0;
  for (float x : lanes)
    r += x;
  return r;
}

} // namespace

int main(int argc, char **argv) {
  int threads = 2, reps = 5, ms = 200;
  if (!probe::parseArgs(argc, argv, threads, reps, "ms", ms))
    return 2;
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !__builtin_cpu_supports("fma")) {
    std::fprintf(stderr, "attune-peak-bench: this CPU has no FMA units\n");
    return 1;
  }
  const int lanes = avx512 ? 16 : 8;
  auto run = [&](int64_t iters) { return avx512 ? fma512(iters)
                                                : fma256(iters); };
  // Size the passes: about `ms` milliseconds each on one thread.
  int64_t iters = 1 << 20;
  for (;;) {
    auto t0 = std::chrono::steady_clock::now();
    volatile float sink = run(iters);
    (void)sink;
    double s = std::chrono::duration<double>(
                   std::chrono::steady_clock::now() - t0)
                   .count();
    if (s * 1e3 >= ms / 4.0 || iters > (int64_t{1} << 40)) {
      iters = static_cast<int64_t>(iters * (ms / 1e3) / std::max(s, 1e-6));
      break;
    }
    iters *= 4;
  }
  iters = std::max<int64_t>(iters, 1);
  std::vector<float> out(threads);
  const double best = probe::bestOfPasses(
      threads, reps, [&](int t) { out[t] = run(iters); });
  const float check = probe::checksum(out);
  const double flops = 2.0 * lanes * kChains * double(iters) * threads;
  std::printf("threads %d: %.1f GFLOP/s (fp32 FMA, %s, best of %d; check "
              "%.3g)\n",
              threads, flops / best / 1e9, avx512 ? "avx512" : "avx2", reps,
              double(check));
  return 0;
}
