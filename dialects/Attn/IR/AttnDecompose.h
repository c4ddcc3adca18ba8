//===- AttnDecompose.h - reusable pieces of the reference semantics -*- C++ -*-===//
//
// Analyses (evaluation reports, head probing) need the attention
// probabilities and the kept-key map of an sdpa exactly as its reference
// decomposition defines them; these build them as linalg on tensors.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_DIALECTS_ATTN_IR_ATTNDECOMPOSE_H
#define ATTUNE_DIALECTS_ATTN_IR_ATTNDECOMPOSE_H

#include "dialects/Attn/IR/AttnOps.h"

namespace mlir::attn {

/// softmax probabilities [B, Hq, Lq, Lk] (f32 for 16-bit inputs) of `op`
/// with every mask, causal rule, window and block map applied (before ACT,
/// without the compensation token); fully masked rows are zeros.
FailureOr<Value> buildAttentionProbabilities(OpBuilder &b, SdpaOp op);

/// i1 [B, Hq, Lq, Lk]: key j is visible to query i (mask and causal rule)
/// and, with `includeSparsity`, also kept by the window / block map.
FailureOr<Value> buildKeepMask(OpBuilder &b, SdpaOp op, bool includeSparsity);

/// What a kernel computes for a recycled step: its output and, optionally,
/// the scores of the last query row, [B, Hq, 1, Lk] f32, as its softmax saw
/// them (scaled, soft-capped, masked; -inf for keys the row does not see),
/// for a RecycleTopKFn. Only the batch elements that take a full step need
/// them.
struct RecycleAttention {
  Value output;
  Value lastRowScores;
};

/// Computes the attention of a recycled step from the per-batch full-step
/// flags (i1 [B]).
using RecycleAttentionFn =
    llvm::function_ref<FailureOr<RecycleAttention>(Value full)>;

/// A full step's kept positions, i64 [B, Hkv, K], selected (as the
/// reference selects them from the probabilities) from the kernel's
/// last-row scores and the per-batch full-step flags (i1 [B]); the rows of
/// batch elements on a partial step may be left unwritten (they are not
/// selected).
using RecycleTopKFn = llvm::function_ref<Value(Value scores, Value full)>;

/// attn.recycle's decomposition with the attention computed by `attention`
/// (a kernel) instead of the reference sdpa; the state update stays the
/// reference's, with its full-step work under an scf.if. The full step
/// selects its kept positions with `topK` from the kernel's last-row scores
/// when both are given (the cache is then read once per step), else as the
/// reference does, from the last row's probabilities recomputed from the
/// cache. Returns the op's results (output, kept indices, full length,
/// step, reference query).
FailureOr<SmallVector<Value>> decomposeRecycle(OpBuilder &b, RecycleOp op,
                                               RecycleAttentionFn attention,
                                               RecycleTopKFn topK = nullptr);

} // namespace mlir::attn

#endif
