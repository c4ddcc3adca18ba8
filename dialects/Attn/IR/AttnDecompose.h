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
/// them (scaled, soft-capped, masked; -inf for keys the row does not see).
/// Only the batch elements that take a full step need them (the top-K of
/// the others is computed but not selected).
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
/// ranks keys by the kernel's last-row scores when it gives them (the cache
/// is then read once per step), else by the reference probabilities of the
/// last row; with `topK` as well, the selection from those scores is
/// `topK`'s (a kernel) instead of the reference's. Returns the op's results
/// (output, kept indices, full length, step, reference query).
FailureOr<SmallVector<Value>> decomposeRecycle(OpBuilder &b, RecycleOp op,
                                               RecycleAttentionFn attention,
                                               RecycleTopKFn topK = nullptr);

} // namespace mlir::attn

#endif
