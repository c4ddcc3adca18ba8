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

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

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
  int threads = 2, reps = 5;
  size_t mib = 512;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc)
      threads = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--mib" && i + 1 < argc)
      mib = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--reps" && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--threads T] [--mib M] [--reps R]\n",
                   argv[0]);
      return 2;
    }
  }
  const size_t n = mib * (1u << 20) / sizeof(float);
  std::vector<float> x(n, 1.0f);
  double best = 1e30;
  std::vector<float> out(threads);
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        size_t lo = n / threads * t,
               hi = t + 1 == threads ? n : lo + n / threads;
        out[t] = sum(x.data() + lo, hi - lo);
      });
    for (std::thread &th : pool)
      th.join();
    best = std::min(best, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - t0)
                              .count());
  }
  float check = 0;
  for (float s : out)
    check += s;
  std::printf("threads %d: %.1f GB/s (%zu MiB, best of %d; sum %.0f)\n",
              threads, double(n) * sizeof(float) / best / 1e9, mib, reps,
              double(check));
  return 0;
}
