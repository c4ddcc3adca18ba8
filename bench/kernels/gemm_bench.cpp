//===- gemm_bench.cpp - throughput and correctness of attune_gemm_f32 ----===//
//
// Times attune_gemm_f32 on a list of shapes (best and median of repeated
// runs, GFLOP/s) and checks every result against a naive triple loop
// accumulating in double. Operands can be stored transposed (--ta, --tb) to
// exercise the strided forms generated code passes.
//
//   attune-gemm-bench [--threads N] [--reps R] [--ta] [--tb] [--accumulate]
//                     [--isa generic] [MxNxK[xB] ...]
//
// Exit status 1 when a result is off by more than 1e-4 relative to the
// largest reference magnitude.
//
//===----------------------------------------------------------------------===//

#include "attune/Runtime/CpuKernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Shape {
  int64_t m, n, k, batch;
};

bool parseShape(const char *s, Shape &out) {
  long long v[4] = {0, 0, 0, 1};
  int got = std::sscanf(s, "%lldx%lldx%lldx%lld", &v[0], &v[1], &v[2], &v[3]);
  if (got < 3)
    return false;
  out = {v[0], v[1], v[2], v[3]};
  return out.m > 0 && out.n > 0 && out.k > 0 && out.batch > 0;
}

struct Options {
  int threads = 0, reps = 0;
  bool ta = false, tb = false, accumulate = false;
};

/// Returns false when the result is wrong.
bool runShape(const Shape &s, const Options &opt) {
  const int64_t M = s.m, N = s.n, K = s.k, B = s.batch;
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(B * M * K), b(B * K * N), c0(B * M * N), c(B * M * N);
  for (float &x : a)
    x = dist(rng);
  for (float &x : b)
    x = dist(rng);
  for (float &x : c0)
    x = dist(rng);

  attune_gemm_args g = {};
  g.a = a.data();
  g.b = b.data();
  g.c = c.data();
  g.c0 = opt.accumulate ? c0.data() : nullptr;
  g.batch = B;
  g.m = M;
  g.n = N;
  g.k = K;
  // A stored [B][M][K] or, transposed, [B][K][M]; B [B][K][N] or [B][N][K].
  int64_t as[3] = {M * K, opt.ta ? 1 : K, opt.ta ? M : 1};
  int64_t bs[3] = {K * N, opt.tb ? 1 : N, opt.tb ? K : 1};
  int64_t cs[3] = {M * N, N, 1};
  std::memcpy(g.a_stride, as, sizeof as);
  std::memcpy(g.b_stride, bs, sizeof bs);
  std::memcpy(g.c_stride, cs, sizeof cs);
  std::memcpy(g.c0_stride, cs, sizeof cs);

  const double flops = 2.0 * double(B) * double(M) * double(N) * double(K);
  int reps = opt.reps > 0
                 ? opt.reps
                 : static_cast<int>(std::clamp(2e10 / flops, 3.0, 200.0));
  std::vector<double> secs;
  attune_gemm_f32(&g); // warm up: pool threads, scratch buffers
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    attune_gemm_f32(&g);
    auto t1 = std::chrono::steady_clock::now();
    secs.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(secs.begin(), secs.end());
  double best = secs.front(), median = secs[secs.size() / 2];

  // Naive reference in double.
  double maxErr = 0, maxRef = 0;
  std::vector<double> row(N);
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < N; ++j)
        row[j] = opt.accumulate ? c0[bi * M * N + i * N + j] : 0.0;
      for (int64_t p = 0; p < K; ++p) {
        double x = a[bi * as[0] + i * as[1] + p * as[2]];
        const float *brow = b.data() + bi * bs[0] + p * bs[1];
        for (int64_t j = 0; j < N; ++j)
          row[j] += x * brow[j * bs[2]];
      }
      for (int64_t j = 0; j < N; ++j) {
        maxRef = std::max(maxRef, std::fabs(row[j]));
        maxErr = std::max(maxErr,
                          std::fabs(row[j] - c[bi * M * N + i * N + j]));
      }
    }
  bool ok = maxErr <= 1e-4 * std::max(1.0, maxRef);
  std::printf("%5lldx%5lldx%5lld x%-4lld %s%s  best %8.3f ms %7.1f GFLOP/s  "
              "median %7.1f GFLOP/s  max_err %.2e  %s\n",
              (long long)M, (long long)N, (long long)K, (long long)B,
              opt.ta ? "A^T" : "A  ", opt.tb ? " B^T" : " B  ", best * 1e3,
              flops / best * 1e-9, flops / median * 1e-9, maxErr,
              ok ? "OK" : "FAIL");
  return ok;
}

} // namespace

int main(int argc, char **argv) {
  Options opt;
  std::vector<Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc)
      opt.threads = std::atoi(argv[++i]);
    else if (arg == "--reps" && i + 1 < argc)
      opt.reps = std::atoi(argv[++i]);
    else if (arg == "--ta")
      opt.ta = true;
    else if (arg == "--tb")
      opt.tb = true;
    else if (arg == "--accumulate")
      opt.accumulate = true;
    else if (arg == "--isa" && i + 1 < argc)
      setenv("ATTUNE_CPU_ISA", argv[++i], 1);
    else {
      Shape s;
      if (!parseShape(argv[i], s)) {
        std::fprintf(stderr, "usage: %s [--threads N] [--reps R] [--ta] [--tb] "
                             "[--accumulate] [--isa generic] [MxNxK[xB] ...]\n",
                     argv[0]);
        return 2;
      }
      shapes.push_back(s);
    }
  }
  if (opt.threads > 0)
    attune_cpu_set_num_threads(opt.threads);
  if (shapes.empty())
    shapes = {{1024, 1024, 1024, 1}, {512, 512, 512, 1},  {128, 768, 768, 1},
              {128, 3072, 768, 1},   {128, 128, 64, 12},  {67, 131, 29, 3},
              {1, 768, 768, 1},      {1000, 5, 300, 1}};
  std::printf("threads %d\n", attune_cpu_num_threads());
  bool ok = true;
  for (const Shape &s : shapes)
    ok &= runShape(s, opt);
  return ok ? 0 : 1;
}
