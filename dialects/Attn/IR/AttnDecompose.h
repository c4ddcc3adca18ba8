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

/// Computes the attention output of a recycled step from the per-batch
/// full-step flags (i1 [B]).
using RecycleAttentionFn = llvm::function_ref<FailureOr<Value>(Value full)>;

/// attn.recycle's decomposition with the attention computed by `attention`
/// (a kernel) instead of the reference sdpa; the state update stays the
/// reference's, with its full-step work under an scf.if. Returns the op's
/// results (output, kept indices, full length, step, reference query).
FailureOr<SmallVector<Value>> decomposeRecycle(OpBuilder &b, RecycleOp op,
                                               RecycleAttentionFn attention);

} // namespace mlir::attn

#endif
