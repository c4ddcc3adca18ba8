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

int main(int argc, char **argv) {
  int threads = 2, reps = 5, mib = 512;
  if (!probe::parseArgs(argc, argv, threads, reps, "mib", mib))
    return 2;
  const size_t n = size_t(mib) * (size_t(1) << 20) / sizeof(float);
  std::vector<float> x(n, 1.0f);
  std::vector<float> out(threads);
  const double best = probe::bestOfPasses(threads, reps, [&](int t) {
    size_t lo, hi;
    probe::part(n, threads, t, lo, hi);
    probe::Sum16 sum;
    sum.add(x.data() + lo, hi - lo);
    out[t] = sum.total();
  });
  std::printf("threads %d: %.1f GB/s (%d MiB, best of %d; sum %.0f)\n",
              threads, double(n) * sizeof(float) / best / 1e9, mib, reps,
              double(probe::checksum(out)));
  return 0;
}
