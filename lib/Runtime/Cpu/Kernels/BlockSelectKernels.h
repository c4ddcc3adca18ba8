//===- BlockSelectKernels.h - dynamic block selection kernels ---*- C++ -*-===//
//
// SelectProblem is one attn.block_select call with the block geometry the
// three methods share (AttnOps.td, AttnDecomposeSparse.cpp):
//
//   p0 = qb*bq + off, p1 = min((qb+1)*bq, Lq) - 1 + off
//   future(qb, kb) = causal && kb*bk > p1
//   local(qb, kb)  = local_blocks > 0 && p0 div bk - local_blocks < kb <=
//                    p1 div bk            (div floors)
//   forced(qb, kb) = (kb < sink_blocks || local) && !future
//
// with off = 0 for top_left causality and Lk - Lq otherwise.
// BlockSelectKernel.inc is compiled once per ISA; BlockSelect.cpp picks one.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_BLOCKSELECTKERNELS_H
#define ATTUNE_RUNTIME_CPU_KERNELS_BLOCKSELECTKERNELS_H

#include "attune/Runtime/CpuKernels.h"

#include <algorithm>
#include <cstdint>

namespace attune::cpu {

struct SelectProblem {
  explicit SelectProblem(const attune_block_select_args &args)
      : a(args), nq((args.len_q + args.block_q - 1) / args.block_q),
        nk((args.len_k + args.block_k - 1) / args.block_k),
        group(args.heads_q / args.heads_kv),
        off(args.causal == ATTUNE_CAUSAL_TOP_LEFT ? 0
                                                  : args.len_k - args.len_q),
        causal(args.causal != ATTUNE_CAUSAL_NONE) {}

  const attune_block_select_args &a;
  int64_t nq, nk, group, off;
  bool causal;

  static int64_t floorDiv(int64_t x, int64_t y) {
    int64_t q = x / y;
    return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
  }
  int64_t firstPos(int64_t qb) const { return qb * a.block_q + off; }
  int64_t lastPos(int64_t qb) const {
    return std::min((qb + 1) * a.block_q, a.len_q) - 1 + off;
  }
  /// The flags of one query block's row of the block map, with the
  /// divisions done once: future iff kb >= firstFuture, local iff
  /// localLo < kb <= localHi.
  struct BlockRow {
    int64_t firstFuture, localLo, localHi, sinks;
    bool future(int64_t kb) const { return kb >= firstFuture; }
    bool forced(int64_t kb) const {
      return kb < firstFuture &&
             (kb < sinks || (kb > localLo && kb <= localHi));
    }
  };
  BlockRow blockRow(int64_t qb) const {
    BlockRow r;
    int64_t last = floorDiv(lastPos(qb), a.block_k);
    // kb * bk > p1 <=> kb > floor(p1 / bk)
    r.firstFuture = causal ? last + 1 : nk;
    r.localLo = a.local_blocks > 0
                    ? floorDiv(firstPos(qb), a.block_k) - a.local_blocks
                    : -1;
    r.localHi = a.local_blocks > 0 ? last : -1;
    r.sinks = a.sink_blocks;
    return r;
  }
  /// Keys of block kb that query row i sees: a prefix [kb*bk, kb*bk + n).
  int64_t visibleCols(int64_t i, int64_t kb) const {
    int64_t j0 = kb * a.block_k;
    int64_t end = std::min(j0 + a.block_k, a.len_k);
    if (causal)
      end = std::min(end, i + off + 1);
    return std::max<int64_t>(0, end - j0);
  }
  uint8_t *outRow(int64_t b, int64_t h, int64_t qb) const {
    return a.out + b * a.out_stride[0] + h * a.out_stride[1] +
           qb * a.out_stride[2];
  }
};

#define ATTUNE_DECLARE_SELECT(ns)                                              \
  namespace ns {                                                               \
  /* MoBA / SLA: pooled block scores, forced blocks first, top-k. */           \
  void blockSelectTopK(const SelectProblem &P);                                \
  /* SALE: 4-bit estimates against per-row thresholds from the exact      */   \
  /* scores of the sink and local blocks.                                  */  \
  void blockSelectSale(const SelectProblem &P);                                \
  }
ATTUNE_DECLARE_SELECT(avx512)
ATTUNE_DECLARE_SELECT(generic)
#undef ATTUNE_DECLARE_SELECT

} // namespace attune::cpu

#endif
