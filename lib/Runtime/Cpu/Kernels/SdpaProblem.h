//===- SdpaProblem.h - attention semantics of the kernels -------*- C++ -*-===//
//
// What attn.sdpa means, per score entry and per tile, in the terms the
// kernels need: which keys a query row keeps (as at most two key intervals
// plus element-wise rules), and whether a (query tile, key tile) pair can be
// skipped, computed without masking, or needs masking. The vector code in
// SdpaKernel.inc is compiled once per ISA on top of this.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_SDPAPROBLEM_H
#define ATTUNE_RUNTIME_CPU_KERNELS_SDPAPROBLEM_H

#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/Kernels/Half.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>

namespace attune::cpu {

inline int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

enum class TileClass { Skip, Full, Partial };

/// Row j of batch b, key/value head g of K (`v` false) or V, with the
/// stride between its elements in `cs`: from the first piece, or past
/// kv_split from the tail piece (K and V given as Concat(past, new)).
/// With 16-bit keys and values (kv_type F16 / BF16) the row holds uint16_t
/// elements (the pointer is only typed float).
inline const float *kvRow(const attune_sdpa_args &a, bool v, int64_t b,
                          int64_t g, int64_t j, int64_t &cs) {
  const bool first = !a.k_tail || j < a.kv_split;
  const int64_t *st = v ? (first ? a.v_stride : a.v_tail_stride)
                        : (first ? a.k_stride : a.k_tail_stride);
  const float *base = v ? (first ? a.v : a.v_tail) : (first ? a.k : a.k_tail);
  cs = st[3];
  const int64_t off =
      b * st[0] + g * st[1] + (first ? j : j - a.kv_split) * st[2];
  if (a.kv_type != ATTUNE_SDPA_KV_F32)
    return reinterpret_cast<const float *>(
        reinterpret_cast<const uint16_t *>(base) + off);
  return base + off;
}

struct SdpaProblem {
  const attune_sdpa_args &a;
  int64_t group; // query heads per key/value head
  int64_t shift; // Lk - Lq
  bool window;   // has_window
  bool dilated;  // window with dilation > 1 (element-wise rule)
  /// Distinct for every kernel call: tags per-call caches that live in
  /// thread-local storage (the compensation token's range sums).
  uint64_t call;

  explicit SdpaProblem(const attune_sdpa_args &args)
      : a(args), group(args.heads_q / args.heads_kv),
        shift(args.len_k - args.len_q), window(args.has_window != 0),
        dilated(args.has_window && args.window_dilation > 1),
        call(nextCall()) {}

  static uint64_t nextCall() {
    static std::atomic<uint64_t> counter{0};
    return ++counter;
  }

  /// Position of query i among the keys (for causality and windows).
  int64_t pos(int64_t i) const {
    return a.causal == ATTUNE_CAUSAL_TOP_LEFT ? i : i + shift;
  }
  /// Largest key query i may see under causality (Lk - 1 without it).
  int64_t causalLimit(int64_t i) const {
    if (a.causal == ATTUNE_CAUSAL_NONE)
      return a.len_k - 1;
    return std::min(a.len_k - 1,
                    a.causal == ATTUNE_CAUSAL_TOP_LEFT ? i : i + shift);
  }
  bool sparseHead(int64_t h) const {
    return !a.sparse_heads || a.sparse_heads[h];
  }
  bool zeroTuningHead(int64_t h) const {
    return a.has_zero_tuning &&
           (!a.zero_tuning_heads || a.zero_tuning_heads[h]);
  }
  bool actHead(int64_t h) const {
    return a.has_act && (!a.zero_tuning_heads || a.zero_tuning_heads[h]);
  }

  /// Window rule for query i in "group units": lo/hi bounds of j div d and
  /// the group g of p.
  void windowBounds(int64_t i, int64_t &lo, int64_t &hi, int64_t &g) const {
    int64_t d = a.window_dilation;
    int64_t p = pos(i);
    int64_t ip = floorDiv(p, d);
    g = p - ip * d;
    lo = ip - a.window_left;
    int64_t span = a.window_left + a.window_right;
    if (a.window_clamp) {
      int64_t ng = floorDiv(a.len_k - 1 - g, d) + 1;
      lo = std::max<int64_t>(std::min(lo, ng - span - 1), 0);
    }
    hi = lo + span;
  }

  /// Keys query row i of head h keeps by causality and the window: the union
  /// of [0, a1) (sinks) and [b0, b1), before element-wise rules (dilation,
  /// mask tensors, block maps).
  void rowIntervals(int64_t h, int64_t i, int64_t &a1, int64_t &b0,
                    int64_t &b1) const {
    int64_t limit = causalLimit(i) + 1; // exclusive
    if (!window || !sparseHead(h)) {
      a1 = 0;
      b0 = 0;
      b1 = limit;
      return;
    }
    a1 = std::min(a.window_sinks, limit);
    if (dilated) { // dilation is element-wise; the span bounds it
      int64_t lo, hi, g;
      windowBounds(i, lo, hi, g);
      b0 = std::max<int64_t>(0, lo * a.window_dilation + g);
      b1 = std::min(limit, hi * a.window_dilation + g + 1);
    } else {
      int64_t lo, hi, g;
      windowBounds(i, lo, hi, g);
      b0 = std::max<int64_t>(0, lo);
      b1 = std::min(limit, hi + 1);
    }
    if (b1 < b0)
      b1 = b0;
  }

  bool blockBit(int64_t b, int64_t h, int64_t qb, int64_t kb) const {
    const int64_t *s = a.block_mask_stride;
    // i1 elements are bytes whose upper bits LLVM leaves unspecified.
    return (a.block_mask[b * s[0] + h * s[1] + qb * s[2] + kb * s[3]] & 1) != 0;
  }

  /// Whether element-wise rules beyond the row intervals apply to head h.
  bool elementwise(int64_t h) const {
    return a.mask_kind != ATTUNE_MASK_NONE ||
           (sparseHead(h) && (dilated || a.block_mask));
  }

  /// Element-wise keep rules not captured by rowIntervals (bool mask,
  /// dilation groups, block map).
  bool keepElement(int64_t b, int64_t h, int64_t i, int64_t j) const {
    if (a.mask_kind == ATTUNE_MASK_BOOL) {
      const int64_t *s = a.mask_stride;
      if (!(static_cast<const uint8_t *>(
                a.mask)[b * s[0] + h * s[1] + i * s[2] + j * s[3]] &
            1))
        return false;
    }
    if (!sparseHead(h))
      return true;
    if (dilated && j >= a.window_sinks) {
      int64_t lo, hi, g;
      windowBounds(i, lo, hi, g);
      if (j % a.window_dilation != g)
        return false;
    }
    if (a.block_mask && !blockBit(b, h, i / a.block_q, j / a.block_k))
      return false;
    return true;
  }

  float additiveMask(int64_t b, int64_t h, int64_t i, int64_t j) const {
    const int64_t *s = a.mask_stride;
    return static_cast<const float *>(
        a.mask)[b * s[0] + h * s[1] + i * s[2] + j * s[3]];
  }

  /// Classifies rows [i0, i1) x keys [j0, j1) of head h.
  TileClass classify(int64_t b, int64_t h, int64_t i0, int64_t i1, int64_t j0,
                     int64_t j1) const {
    bool full = true;
    int64_t lmin = causalLimit(i0), lmax = causalLimit(i1 - 1);
    if (j0 > lmax)
      return TileClass::Skip;
    if (j1 - 1 > lmin)
      full = false;
    if (sparseHead(h)) {
      if (window) {
        bool any = j0 < a.window_sinks, all = j1 <= a.window_sinks;
        if (!all) {
          // Rows' window intervals: union and intersection.
          int64_t uLo = INT64_MAX, uHi = INT64_MIN, iLo = INT64_MIN,
                  iHi = INT64_MAX;
          for (int64_t i = i0; i < i1; ++i) {
            int64_t a1, b0, b1;
            rowIntervals(h, i, a1, b0, b1);
            uLo = std::min(uLo, b0);
            uHi = std::max(uHi, b1);
            iLo = std::max(iLo, b0);
            iHi = std::min(iHi, b1);
          }
          if (j0 < uHi && j1 > uLo)
            any = true;
          if (!dilated && j0 >= iLo && j1 <= iHi)
            all = true;
        }
        if (!any)
          return TileClass::Skip;
        if (!all)
          full = false;
      }
      if (a.block_mask) {
        bool any = false, all = true;
        for (int64_t qb = i0 / a.block_q; qb <= (i1 - 1) / a.block_q; ++qb)
          for (int64_t kb = j0 / a.block_k; kb <= (j1 - 1) / a.block_k; ++kb) {
            bool bit = blockBit(b, h, qb, kb);
            any |= bit;
            all &= bit;
          }
        if (!any)
          return TileClass::Skip;
        if (!all)
          full = false;
      }
      if (dilated)
        full = false;
    }
    if (a.mask_kind != ATTUNE_MASK_NONE)
      full = false;
    return full ? TileClass::Full : TileClass::Partial;
  }
};

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

} // namespace attune::cpu

#endif
