//===- gather_bench.cpp - scattered-row read bandwidth of this machine ----===//
//
// The access pattern of a recycled partial decode step: 256-byte rows (one
// head_dim-64 f32 key or value row) at random sorted positions, one row in
// `--every` (default 8, K = L/8), from a buffer far beyond the caches
// (default 512 MiB). Each of T threads walks its own part, asking for the
// rows a few positions ahead with software prefetch (the hardware
// prefetchers do not follow such a walk), and sums them; the best distance
// of a small sweep counts. Prints the best of R passes as GB/s of rows read.
// bench/run.py measures it next to the recycled step, which reads the same
// pattern: the step's time against this probe says how much of the gap to
// streaming is the access pattern itself.
//
//   attune-gather-bench [--threads T] [--mib M] [--reps R]
//
//===----------------------------------------------------------------------===//

#include "Probe.h"

#include <cstddef>
#include <cstdint>
#include <random>

namespace {

constexpr size_t kRow = 64; // floats per row: 256 bytes, 4 cache lines
constexpr size_t kEvery = 8;

/// Sum of the rows rows[0..n) of x, asking for row k + ahead while row k
/// is summed.
float gatherSum(const float *x, const uint32_t *rows, size_t n, size_t ahead) {
  probe::Sum16 sum;
  for (size_t k = 0; k < n; ++k) {
    if (k + ahead < n) {
      const char *p = reinterpret_cast<const char *>(x + rows[k + ahead] * kRow);
      for (size_t off = 0; off < kRow * sizeof(float); off += 64)
        __builtin_prefetch(p + off, 0, 2);
    }
    sum.add(x + rows[k] * kRow, kRow);
  }
  return sum.total();
}

} // namespace

int main(int argc, char **argv) {
  int threads = 2, reps = 5, mib = 512;
  if (!probe::parseArgs(argc, argv, threads, reps, "mib", mib))
    return 2;
  const size_t total = size_t(mib) * (size_t(1) << 20) / sizeof(float) / kRow;
  std::vector<float> x(total * kRow, 1.0f);
  // Per thread, its part's rows kept with probability 1 / kEvery, in order
  // (as the step walks its kept positions).
  std::vector<std::vector<uint32_t>> rows(threads);
  std::mt19937_64 rng(42);
  for (int t = 0; t < threads; ++t) {
    size_t lo, hi;
    probe::part(total, threads, t, lo, hi);
    for (size_t r = lo; r < hi; ++r)
      if (rng() % kEvery == 0)
        rows[t].push_back(static_cast<uint32_t>(r));
  }
  size_t kept = 0;
  for (const auto &r : rows)
    kept += r.size();
  std::vector<float> out(threads);
  double best = 1e30;
  size_t bestAhead = 0;
  for (size_t ahead : {8, 32, 128, 512}) {
    const double s = probe::bestOfPasses(threads, reps, [&](int t) {
      out[t] = gatherSum(x.data(), rows[t].data(), rows[t].size(), ahead);
    });
    if (s < best)
      best = s, bestAhead = ahead;
  }
  std::printf("threads %d: %.1f GB/s (256-byte rows, 1 in %zu of %d MiB, "
              "prefetch %zu rows ahead, best of %d; sum %.0f)\n",
              threads, double(kept) * kRow * sizeof(float) / best / 1e9,
              kEvery, mib, bestAhead, reps, double(probe::checksum(out)));
  return 0;
}
