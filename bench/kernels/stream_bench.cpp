//===- stream_bench.cpp - read bandwidth of this machine, now ------------===//
//
// Sums a large float array (default 512 MiB, far beyond the caches) with T
// threads, each over its own contiguous part, and prints the best of R
// passes as GB/s. bench/run.py measures this in the same run as the decode
// benchmarks, whose target is the time to stream the KV cache once at the
// measured bandwidth (a shared machine's bandwidth changes from day to day).
//
//   attune-stream-bench [--threads T] [--mib M] [--reps R]
//
//===----------------------------------------------------------------------===//

#include "Probe.h"

#include <cstddef>

namespace {

/// Sum of x[0..n) with 16 independent partial sums (vectorized by -O3).
float sum(const float *x, size_t n) {
  float acc[16] = {};
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l)
      acc[l] += x[i + l];
  for (; i < n; ++i)
    acc[0] += x[i];
  float s = 0;
  for (float a : acc)
    s += a;
  return s;
}

} // namespace

int main(int argc, char **argv) {
  int threads = 2, reps = 5, mib = 512;
  if (!probe::parseArgs(argc, argv, threads, reps, "mib", mib))
    return 2;
  const size_t n = size_t(mib) * (size_t(1) << 20) / sizeof(float);
  std::vector<float> x(n, 1.0f);
  std::vector<float> out(threads);
  const double best = probe::bestOfPasses(threads, reps, [&](int t) {
    size_t lo = n / threads * t, hi = t + 1 == threads ? n : lo + n / threads;
    out[t] = sum(x.data() + lo, hi - lo);
  });
  float check = 0;
  for (float s : out)
    check += s;
  std::printf("threads %d: %.1f GB/s (%d MiB, best of %d; sum %.0f)\n",
              threads, double(n) * sizeof(float) / best / 1e9, mib, reps,
              double(check));
  return 0;
}
