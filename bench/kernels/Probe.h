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

} // namespace probe

#endif // ATTUNE_BENCH_KERNELS_PROBE_H
