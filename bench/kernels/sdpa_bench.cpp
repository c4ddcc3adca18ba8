//===- sdpa_bench.cpp - throughput and correctness of attune_sdpa_f32 ----===//
//
// Times the fused attention kernel alone on [1, H, L, D] problems (best and
// median of repeated runs, GFLOP/s counted over the visible query/key pairs
// as bench/run.py does) and checks a sample of output rows against a naive
// softmax(QK^T * scale)V in double. For tuning the prefill and decode paths
// without the compiler in the loop.
//
//   attune-sdpa-bench [--threads N] [--reps R] [--causal] [--isa generic]
//                     [--tile QxK] [--split S] [--window W [--sinks S]]
//                     [HqxHkvxLqxLkxD ...]
//
// --window W keeps, for query i, keys i - W + 1 .. i plus the first S keys
// (sliding window with sinks, as attn-sparsify{pattern=window} with
// --causal; window_right is 0); GFLOP/s then counts the kept pairs only.
// --split S passes keys and values as two pieces (positions < S and the
// rest, as a fused Concat(past, new) does).
//
// Exit status 1 when a checked row is off by more than 1e-4 relative to the
// largest reference magnitude.
//
//===----------------------------------------------------------------------===//

#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/Kernels/HostAlloc.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

/// Vector storage from the runtime's allocator: buffers of 2 MiB and more
/// on 2 MiB pages, as the runners allocate them, so that the kernel meets
/// the same TLB behaviour here as under `attune bench`.
template <typename T> struct HostAllocator {
  using value_type = T;
  HostAllocator() = default;
  template <typename U> HostAllocator(const HostAllocator<U> &) {}
  T *allocate(size_t n) {
    void *p = attune::cpu::allocHostBuffer(n * sizeof(T));
    if (!p) {
      std::fprintf(stderr, "attune-sdpa-bench: out of memory\n");
      std::exit(2);
    }
    return static_cast<T *>(p);
  }
  void deallocate(T *p, size_t) { std::free(p); }
  bool operator==(const HostAllocator &) const { return true; }
  bool operator!=(const HostAllocator &) const { return false; }
};
using Buffer = std::vector<float, HostAllocator<float>>;

struct Shape {
  int64_t hq, hkv, lq, lk, d;
};

struct Options {
  int threads = 0, reps = 0;
  bool causal = false;
  int64_t tileQ = 0, tileK = 0;
  int64_t split = 0;
  int64_t window = 0, sinks = 0;
};

bool parseShape(const char *s, Shape &out) {
  long long v[5] = {0, 0, 0, 0, 0};
  if (std::sscanf(s, "%lldx%lldx%lldx%lldx%lld", &v[0], &v[1], &v[2], &v[3],
                  &v[4]) != 5)
    return false;
  out = {v[0], v[1], v[2], v[3], v[4]};
  return out.hq > 0 && out.hkv > 0 && out.hq % out.hkv == 0 && out.lq > 0 &&
         out.lk > 0 && out.d > 0;
}

void setStrides(int64_t *st, int64_t h, int64_t l, int64_t d) {
  st[0] = h * l * d;
  st[1] = l * d;
  st[2] = d;
  st[3] = 1;
}

bool runShape(const Shape &s, const Options &opt) {
  std::mt19937 rng(1234);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Buffer q(s.hq * s.lq * s.d), k(s.hkv * s.lk * s.d), v(s.hkv * s.lk * s.d),
      o(s.hq * s.lq * s.d);
  for (float &x : q)
    x = dist(rng);
  for (float &x : k)
    x = dist(rng);
  for (float &x : v)
    x = dist(rng);
  attune_sdpa_args a = {};
  a.q = q.data();
  a.k = k.data();
  a.v = v.data();
  a.o = o.data();
  a.batch = 1;
  a.heads_q = s.hq;
  a.heads_kv = s.hkv;
  a.len_q = s.lq;
  a.len_k = s.lk;
  a.dim = a.dim_v = s.d;
  setStrides(a.q_stride, s.hq, s.lq, s.d);
  setStrides(a.o_stride, s.hq, s.lq, s.d);
  setStrides(a.k_stride, s.hkv, s.lk, s.d);
  setStrides(a.v_stride, s.hkv, s.lk, s.d);
  a.mask_kind = ATTUNE_MASK_NONE;
  a.scale = 1.0f / std::sqrt(static_cast<float>(s.d));
  a.causal = opt.causal ? ATTUNE_CAUSAL_TOP_LEFT : ATTUNE_CAUSAL_NONE;
  if (opt.window > 0) {
    a.has_window = 1;
    a.window_left = opt.window - 1;
    a.window_right = 0;
    a.window_sinks = opt.sinks;
    a.window_dilation = 1;
  }
  a.tile_q = opt.tileQ;
  a.tile_k = opt.tileK;
  const Buffer kref = k, vref = v;
  // Two pieces: the first `split` positions stay in k / v, the rest move to
  // separate [Hkv, Lk - split, D] arrays.
  Buffer kt, vt;
  if (opt.split > 0 && opt.split < s.lk) {
    const int64_t tail = s.lk - opt.split;
    kt.resize(s.hkv * tail * s.d);
    vt.resize(s.hkv * tail * s.d);
    for (int64_t g = 0; g < s.hkv; ++g)
      for (int64_t j = 0; j < tail; ++j)
        for (int64_t d = 0; d < s.d; ++d) {
          kt[(g * tail + j) * s.d + d] =
              k[(g * s.lk + opt.split + j) * s.d + d];
          vt[(g * tail + j) * s.d + d] =
              v[(g * s.lk + opt.split + j) * s.d + d];
        }
    // Poison what the first piece holds past the split: the kernel must
    // not read it (the reference below reads kref / vref).
    for (int64_t g = 0; g < s.hkv; ++g)
      for (int64_t j = opt.split; j < s.lk; ++j)
        for (int64_t d = 0; d < s.d; ++d)
          k[(g * s.lk + j) * s.d + d] = v[(g * s.lk + j) * s.d + d] = NAN;
    a.k_tail = kt.data();
    a.v_tail = vt.data();
    setStrides(a.k_tail_stride, s.hkv, tail, s.d);
    setStrides(a.v_tail_stride, s.hkv, tail, s.d);
    a.kv_split = opt.split;
  }

  // Whether query i keeps key j (causal: top-left aligned).
  auto keep = [&](int64_t i, int64_t j) {
    if (opt.causal && j > i)
      return false;
    if (opt.window <= 0 || j < opt.sinks)
      return true;
    return j >= i - opt.window + 1 && j <= i;
  };
  double pairs = 0;
  for (int64_t i = 0; i < s.lq; ++i) {
    if (opt.window <= 0) {
      pairs += opt.causal ? std::min(i + 1, s.lk) : s.lk;
      continue;
    }
    for (int64_t j = 0; j < s.lk; ++j)
      pairs += keep(i, j);
  }
  const double flops = 4.0 * s.hq * pairs * s.d;
  int reps = opt.reps > 0
                 ? opt.reps
                 : static_cast<int>(std::clamp(5e10 / flops, 3.0, 200.0));
  attune_sdpa_f32(&a); // warm up: pool threads, scratch buffers
  std::vector<double> secs;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    attune_sdpa_f32(&a);
    auto t1 = std::chrono::steady_clock::now();
    secs.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(secs.begin(), secs.end());
  double best = secs.front(), median = secs[secs.size() / 2];

  // Reference on a sample of rows of every head.
  double maxErr = 0, maxRef = 0;
  const int64_t group = s.hq / s.hkv;
  std::vector<double> sc(s.lk), acc(s.d);
  for (int64_t h = 0; h < s.hq; ++h)
    for (int64_t i = 0; i < s.lq; i += std::max<int64_t>(1, s.lq / 7)) {
      const float *qr = q.data() + (h * s.lq + i) * s.d;
      const float *kb = kref.data() + (h / group) * s.lk * s.d;
      const float *vb = vref.data() + (h / group) * s.lk * s.d;
      int64_t n = opt.causal ? std::min(i + 1, s.lk) : s.lk, kept = 0;
      double m = -INFINITY, l = 0;
      for (int64_t j = 0; j < n; ++j) {
        sc[j] = -INFINITY;
        if (!keep(i, j))
          continue;
        ++kept;
        double dot = 0;
        for (int64_t d = 0; d < s.d; ++d)
          dot += double(qr[d]) * kb[j * s.d + d];
        sc[j] = dot * a.scale;
        m = std::max(m, sc[j]);
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t j = 0; j < n; ++j) {
        if (sc[j] == -INFINITY)
          continue;
        double p = std::exp(sc[j] - m);
        l += p;
        for (int64_t d = 0; d < s.d; ++d)
          acc[d] += p * vb[j * s.d + d];
      }
      const float *orow = o.data() + (h * s.lq + i) * s.d;
      for (int64_t d = 0; d < s.d; ++d) {
        double ref = kept ? acc[d] / l : 0.0;
        maxRef = std::max(maxRef, std::fabs(ref));
        double err = std::fabs(ref - orow[d]);
        if (!(err <= maxErr)) // NaN stays NaN
          maxErr = err;
      }
    }
  bool ok = maxErr <= 1e-4 * std::max(1.0, maxRef); // false on NaN
  std::printf("%3lldx%-3lld %6lldx%-6lld D%-4lld %s  best %9.3f ms %7.1f "
              "GFLOP/s  median %7.1f GFLOP/s  max_err %.2e  %s\n",
              (long long)s.hq, (long long)s.hkv, (long long)s.lq,
              (long long)s.lk, (long long)s.d, opt.causal ? "causal" : "full  ",
              best * 1e3, flops / best * 1e-9, flops / median * 1e-9, maxErr,
              ok ? "OK" : "FAIL");
  return ok;
}

} // namespace

int main(int argc, char **argv) {
  Options opt;
  std::vector<Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    long long tq = 0, tk = 0;
    if (arg == "--threads" && i + 1 < argc)
      opt.threads = std::atoi(argv[++i]);
    else if (arg == "--reps" && i + 1 < argc)
      opt.reps = std::atoi(argv[++i]);
    else if (arg == "--split" && i + 1 < argc)
      opt.split = std::atoll(argv[++i]);
    else if (arg == "--window" && i + 1 < argc)
      opt.window = std::atoll(argv[++i]);
    else if (arg == "--sinks" && i + 1 < argc)
      opt.sinks = std::atoll(argv[++i]);
    else if (arg == "--causal")
      opt.causal = true;
    else if (arg == "--isa" && i + 1 < argc)
      setenv("ATTUNE_CPU_ISA", argv[++i], 1);
    else if (arg == "--tile" && i + 1 < argc &&
             std::sscanf(argv[i + 1], "%lldx%lld", &tq, &tk) == 2) {
      opt.tileQ = tq;
      opt.tileK = tk;
      ++i;
    } else {
      Shape s;
      if (!parseShape(argv[i], s)) {
        std::fprintf(
            stderr,
            "usage: %s [--threads N] [--reps R] [--causal] [--isa "
            "generic] [--tile QxK] [--split S] [--window W [--sinks S]] "
            "[HqxHkvxLqxLkxD ...]\n",
            argv[0]);
        return 2;
      }
      shapes.push_back(s);
    }
  }
  if (opt.threads > 0)
    attune_cpu_set_num_threads(opt.threads);
  if (shapes.empty())
    shapes = {{12, 12, 1024, 1024, 64},
              {12, 12, 4096, 4096, 64},
              {16, 4, 2048, 2048, 64},
              {12, 12, 1, 16384, 64}};
  std::printf("threads %d\n", attune_cpu_num_threads());
  bool ok = true;
  for (const Shape &s : shapes)
    ok &= runShape(s, opt);
  return ok ? 0 : 1;
}
