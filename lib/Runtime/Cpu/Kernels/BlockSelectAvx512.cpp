//===- BlockSelectAvx512.cpp - block selection compiled for AVX-512 -------===//
//
// BlockSelectKernel.inc on the AVX-512 vocabulary, plus SALE codes as bytes
// for CPUs with AVX512-VNNI: vpdpbusd adds 4 byte products per 32-bit lane,
// 64 multiply-adds per instruction against 16 for an f32 FMA, and the codes
// (integers in [-7, 7]) fit a byte exactly. The f32 codes of the .inc remain
// the path without VNNI (ATTUNE_CPU_ISA=avx512-novnni forces it, for tests).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/Cpu/Kernels/BlockSelectKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"
#include "lib/Runtime/Cpu/Kernels/Vec16Avx512.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#define ATTUNE_VNNI __attribute__((target("avx512vnni")))

namespace attune::cpu::avx512 {
namespace {

/// SALE's codes as bytes (see BlockSelectKernel.inc for the codes policy).
/// vpdpbusd multiplies unsigned by signed bytes, so query codes are stored
/// as code + 8 (in [1, 15]) and 8 * sum_d (key code) is subtracted back per
/// key. A key block is [ceil(D/4)][ldb][4] bytes: one 64-byte load holds 4
/// dimensions of 16 keys; padded dimensions and keys are 0.
class Int8Codes {
public:
  static constexpr int64_t kRowGroup = 8;

  static bool available() {
    static const bool yes = [] {
      if (const char *env = std::getenv("ATTUNE_CPU_ISA");
          env && std::string_view(env) == "avx512-novnni")
        return false;
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512vnni") != 0;
    }();
    return yes;
  }

  Int8Codes(int64_t dim, int64_t bk, int64_t blocks)
      : dim(dim), dim4((dim + 3) / 4), ldb((bk + 15) / 16 * 16),
        blockBytes(dim4 * ldb * 4),
        data(new int8_t[static_cast<size_t>(blocks * blockBytes)]),
        ksum(new int32_t[static_cast<size_t>(blocks * ldb)]) {}

  void packKeys(int64_t blk, const float *kc, int64_t n) {
    const int64_t dimL = dim, ldbL = ldb; // not reloaded after byte stores
    int8_t *p = &data[blk * blockBytes];
    int32_t *ks = &ksum[blk * ldbL];
    std::memset(p, 0, static_cast<size_t>(blockBytes));
    for (int64_t jj = 0; jj < ldbL; ++jj) {
      int32_t sum = 0;
      if (jj < n) {
        const float *src = kc + jj * dimL;
        int8_t *col = p + jj * 4;
        for (int64_t d = 0; d < dimL; ++d) {
          int32_t v = static_cast<int32_t>(src[d]);
          col[(d >> 2) * ldbL * 4 + (d & 3)] = static_cast<int8_t>(v);
          sum += v;
        }
      }
      ks[jj] = 8 * sum;
    }
  }

  struct Query {
    std::vector<uint8_t> codes; // [rows][dim4 * 4], code + 8
  };
  void packQuery(Query &q, const float *qc, int64_t rows) const {
    const int64_t ld = dim4 * 4, dimL = dim;
    q.codes.assign(static_cast<size_t>(rows * ld), 8);
    uint8_t *dst = q.codes.data();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t d = 0; d < dimL; ++d)
        dst[r * ld + d] =
            static_cast<uint8_t>(static_cast<int32_t>(qc[r * dimL + d]) + 8);
  }

  /// As F32Codes::anyAbove: cs * dot > thr[r] is decided on the exact
  /// integer dot against floor(thr / cs) (ceil and < for a negative cs).
  ATTUNE_VNNI bool anyAbove(Query &q, int64_t r0, int64_t nr, int64_t blk,
                            double cs, const double *thr,
                            const int64_t *nvis) const {
    int64_t cols = 0;
    for (int64_t r = 0; r < nr; ++r)
      cols = std::max(cols, nvis[r]);
    if (cols == 0)
      return false;
    if (cs == 0) { // every estimate is 0
      for (int64_t r = 0; r < nr; ++r)
        if (nvis[r] > 0 && 0.0 > thr[r])
          return true;
      return false;
    }
    // |dot| <= 49 * D stays far inside +-2^30.
    const double lim = 1073741824.0;
    bool below = cs < 0;
    int32_t t[kRowGroup];
    for (int64_t r = 0; r < nr; ++r) {
      double x = thr[r] / cs;
      x = below ? std::ceil(x) : std::floor(x);
      t[r] = static_cast<int32_t>(std::min(lim, std::max(-lim, x)));
    }
    Tile tile{&q.codes[r0 * dim4 * 4], dim4,    &data[blk * blockBytes],
              ldb,                     &ksum[blk * ldb], t,
              nvis,                    below};
    for (int64_t c0 = 0; c0 < cols; c0 += 32) {
      bool two = cols - c0 > 16;
      if (two ? rows<2>(tile, nr, c0) : rows<1>(tile, nr, c0))
        return true;
    }
    return false;
  }

private:
  struct Tile {
    const uint8_t *q;
    int64_t dim4;
    const int8_t *k;
    int64_t ldb;
    const int32_t *ksum, *t;
    const int64_t *nvis;
    bool below;
  };

  /// Rows [0, R) x keys [c0, c0 + 16 NV): does a visible dot pass t[r]?
  template <int R, int NV>
  ATTUNE_VNNI static bool micro(const Tile &x, int64_t c0) {
    __m512i acc[R][NV];
    for (int r = 0; r < R; ++r)
      for (int v = 0; v < NV; ++v)
        acc[r][v] = _mm512_setzero_si512();
    for (int64_t g = 0; g < x.dim4; ++g) {
      __m512i kv[NV];
      for (int v = 0; v < NV; ++v)
        kv[v] = _mm512_loadu_si512(x.k + (g * x.ldb + c0 + 16 * v) * 4);
      for (int r = 0; r < R; ++r) {
        int32_t w;
        std::memcpy(&w, x.q + (r * x.dim4 + g) * 4, 4);
        __m512i qv = _mm512_set1_epi32(w);
        for (int v = 0; v < NV; ++v)
          acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], qv, kv[v]);
      }
    }
    __mmask16 any = 0;
    for (int v = 0; v < NV; ++v) {
      __m512i ks = _mm512_loadu_si512(x.ksum + c0 + 16 * v);
      for (int r = 0; r < R; ++r) {
        int64_t cnt =
            std::min<int64_t>(16, std::max<int64_t>(0, x.nvis[r] - c0 - 16 * v));
        __mmask16 valid = static_cast<__mmask16>((1u << cnt) - 1u);
        __m512i dot = _mm512_sub_epi32(acc[r][v], ks);
        __m512i tv = _mm512_set1_epi32(x.t[r]);
        any |= x.below ? _mm512_mask_cmplt_epi32_mask(valid, dot, tv)
                       : _mm512_mask_cmpgt_epi32_mask(valid, dot, tv);
      }
    }
    return any != 0;
  }

  template <int NV>
  ATTUNE_VNNI static bool rows(const Tile &x, int64_t nr, int64_t c0) {
    switch (nr) {
    case 8:
      return micro<8, NV>(x, c0);
    case 7:
      return micro<7, NV>(x, c0);
    case 6:
      return micro<6, NV>(x, c0);
    case 5:
      return micro<5, NV>(x, c0);
    case 4:
      return micro<4, NV>(x, c0);
    case 3:
      return micro<3, NV>(x, c0);
    case 2:
      return micro<2, NV>(x, c0);
    default:
      return micro<1, NV>(x, c0);
    }
  }

  int64_t dim, dim4, ldb, blockBytes;
  std::unique_ptr<int8_t[]> data;
  std::unique_ptr<int32_t[]> ksum;
};

} // namespace

#define ATTUNE_SELECT_INT8_CODES Int8Codes
#include "lib/Runtime/Cpu/Kernels/BlockSelectKernel.inc"
#undef ATTUNE_SELECT_INT8_CODES
} // namespace attune::cpu::avx512
