//===- Probe.h - shared pieces of the machine probes ----------------------===//
//
// attune-stream-bench and attune-peak-bench measure the machine now (read
// bandwidth, FMA throughput) with T threads, best of R passes. Both take
// `--threads T --reps R` and one size option of their own.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_BENCH_KERNELS_PROBE_H
#define ATTUNE_BENCH_KERNELS_PROBE_H

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace probe {

/// Parses `--threads T`, `--reps R` and `--<size> N` (all at least 1);
/// prints the usage and returns false on anything else.
inline bool parseArgs(int argc, char **argv, int &threads, int &reps,
                      const char *size, int &sizeValue) {
  const std::string sizeFlag = std::string("--") + size;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    int *dst = arg == "--threads" ? &threads
               : arg == "--reps"  ? &reps
               : arg == sizeFlag  ? &sizeValue
                                  : nullptr;
    if (!dst || i + 1 >= argc) {
      std::fprintf(stderr, "usage: %s [--threads T] [%s N] [--reps R]\n",
                   argv[0], sizeFlag.c_str());
      return false;
    }
    *dst = std::max(1, std::atoi(argv[++i]));
  }
  return true;
}

/// Seconds of the fastest of `reps` passes, each running fn(t) on threads
/// t = 0 .. threads-1 at once.
template <typename F> double bestOfPasses(int threads, int reps, F fn) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&fn, t] { fn(t); });
    for (std::thread &th : pool)
      th.join();
    best = std::min(best, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - t0)
                              .count());
  }
  return best;
}

/// Thread t's part [lo, hi) of n items split over `threads` (the last takes
/// the remainder).
inline void part(size_t n, int threads, int t, size_t &lo, size_t &hi) {
  lo = n / threads * t;
  hi = t + 1 == threads ? n : lo + n / threads;
}

/// A float sum in 16 independent partial sums, so that a summing loop is
/// bound by the loads (vectorized by -O3), not by one chain of adds.
struct Sum16 {
  float acc[16] = {};
  void add(const float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
      for (int l = 0; l < 16; ++l)
        acc[l] += x[i + l];
    for (; i < n; ++i)
      acc[0] += x[i];
  }
  float total() const {
    float s = 0;
    for (float a : acc)
      s += a;
    return s;
  }
};

/// The sum of the threads' results, printed so that no pass is optimized
/// away.
inline float checksum(const std::vector<float> &out) {
  float s = 0;
  for (float x : out)
    s += x;
  return s;
}

} // namespace probe

#endif // ATTUNE_BENCH_KERNELS_PROBE_H
