//===- AttnOps.td - attn dialect ops -----------------------*- tablegen -*-===//
//
// The attention ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_ATTN_OPS_TD
#define ATTUNE_ATTN_OPS_TD

include "AttnBase.td"
include "AttnAttrs.td"
include "AttnInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Dense attention
//===----------------------------------------------------------------------===//

def Attn_SdpaOp : Attn_Op<"sdpa", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<Attn_ReferenceDecompositionOpInterface>,
    DeclareOpInterfaceMethods<Attn_AttentionOpInterface,
                              ["getEffectiveScale"]>]> {
  let summary = "Dense scaled-dot-product attention (MHA, GQA, MQA)";
  let description = [{
    For query `Q: [B, Hq, Lq, D]`, key `K: [B, Hkv, Lk, D]` and value
    `V: [B, Hkv, Lk, Dv]`, with `Hq` a multiple of `Hkv` (query head `h` reads
    key/value head `h floordiv (Hq / Hkv)`), the result `[B, Hq, Lq, Dv]` is

    ```
    S[b,h,i,j] = scale * sum_d Q[b,h,i,d] * K[b,h/G,j,d]
    S          = softcap * tanh(S / softcap)           if softcap is set
    S[b,h,i,j] = S + mask[b,h,i,j]                     additive (float) mask
    S[b,h,i,j] = mask[b,h,i,j] ? S : -inf              boolean (i1) mask
    S[b,h,i,j] = -inf if j > i                         causal = top_left
    S[b,h,i,j] = -inf if j > i + Lk - Lq               causal = bottom_right
    O[b,h,i,:] = softmax_j(S[b,h,i,:]) . V[b,h/G,:,:]
    ```

    `scale` defaults to `1/sqrt(D)`. The mask is broadcast to
    `[B, Hq, Lq, Lk]` by the usual right-aligned rules, so `[Lq, Lk]`,
    `[B, 1, 1, Lk]` (key padding) and `[1, Hq, Lq, Lk]` (per-head bias) all
    work. A row whose keys are all masked out produces zeros (the convention of
    fused kernels), not NaN. The softcap is applied before the mask, as in
    ONNX `Attention`-23, so masked scores stay `-inf`.

    The forms the rewrite passes produce are attributes and operands of the
    same op, so that one kernel family serves them all:

    - `window` (`#attn.window<...>`): sliding window with sinks, dilation and
      NATTEN-style border clamping; key j is dropped outside the window.
    - `block_mask` + `block_size = array<i64: bq, bk>`: an i1 tensor
      `[B|1, Hq|1, ceil(Lq/bq), ceil(Lk/bk)]`; key j is dropped for query i
      unless `block_mask[b, h, i/bq, j/bk]`. Static layouts are constants,
      dynamic selection comes from `attn.block_select`.
    - `dense_heads`: query heads that ignore `window` and `block_mask`
      (retrieval heads of DuoAttention / RazorAttention).
    - `compensation` (with `window`): each row of a sparse head also attends
      to one extra key/value pair, the mean of the keys/values the window
      dropped for that row (RazorAttention).
    - `score_mod` (`#attn.zero_tuning<...>` or `#attn.act<...>`), on the
      heads in `score_mod_heads` (default all): a logit bias computed from
      the scores (see the attributes).

    Example (GQA, 8 query heads over 2 key/value heads, decode-style causal):

    ```mlir
    %o = attn.sdpa %q, %k, %v {causal = #attn.causal<bottom_right>, scale = 1.250000e-01 : f64}
         : tensor<1x8x4x64xf32>, tensor<1x2x20x64xf32>, tensor<1x2x20x64xf32>
         -> tensor<1x8x4x64xf32>
    %p = attn.sdpa %q, %k, %v mask(%m : tensor<1x1x1x20xi1>)
         : tensor<1x8x4x64xf32>, tensor<1x2x20x64xf32>, tensor<1x2x20x64xf32>
         -> tensor<1x8x4x64xf32>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$query,
    AnyRankedTensor:$key,
    AnyRankedTensor:$value,
    Optional<AnyRankedTensor>:$mask,
    Optional<AnyRankedTensor>:$block_mask,
    OptionalAttr<F64Attr>:$scale,
    DefaultValuedAttr<Attn_CausalKindAttr, "::mlir::attn::CausalKind::none">:$causal,
    OptionalAttr<F64Attr>:$softcap,
    OptionalAttr<Attn_WindowAttr>:$window,
    OptionalAttr<DenseI64ArrayAttr>:$block_size,
    OptionalAttr<DenseI64ArrayAttr>:$dense_heads,
    UnitAttr:$compensation,
    OptionalAttr<AnyAttrOf<[Attn_ZeroTuningAttr, Attn_ActAttr]>>:$score_mod,
    OptionalAttr<DenseI64ArrayAttr>:$score_mod_heads
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`block_mask` `(` $block_mask^ `:` type($block_mask) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$query,
      "::mlir::Value":$key, "::mlir::Value":$value, "::mlir::Value":$mask,
      "::mlir::FloatAttr":$scale, "::mlir::attn::CausalKind":$causal,
      "::mlir::FloatAttr":$softcap), [{
      build($_builder, $_state, result, query, key, value, mask,
            /*block_mask=*/::mlir::Value(), scale, causal, softcap,
            /*window=*/nullptr, /*block_size=*/nullptr,
            /*dense_heads=*/nullptr, /*compensation=*/false,
            /*score_mod=*/nullptr, /*score_mod_heads=*/nullptr);
    }]>
  ];
  let extraClassDeclaration = [{
    /// Number of query heads that share one key/value head.
    int64_t getGroupSize();
    /// True if the structured sparsity (window, block mask) applies to query
    /// head `h` (it does unless `h` is listed in `dense_heads`).
    bool isSparseHead(int64_t h);
    /// True if the score modifier applies to query head `h`.
    bool isScoreModHead(int64_t h);
    /// True if anything beyond dense masked attention is set.
    bool hasRewrites() {
      return getWindow() || getBlockMask() || getScoreMod() || getCompensation();
    }
  }];
}

//===----------------------------------------------------------------------===//
// Dynamic block selection
//===----------------------------------------------------------------------===//

def Attn_BlockSelectOp : Attn_Op<"block_select", [Pure,
    DeclareOpInterfaceMethods<Attn_ReferenceDecompositionOpInterface>]> {
  let summary = "Choose the key blocks each query block attends to, at run time";
  let description = [{
    Splits queries into blocks of `block_q` and keys into blocks of `block_k`
    and returns an i1 block map `[B, Hq, ceil(Lq/block_q), ceil(Lk/block_k)]`
    for `attn.sdpa`'s `block_mask`:

    - `moba`: score = q_block_mean . mean(K_block) (MoBA gate); keep the
      `topk` best blocks; the query's own (diagonal) block is always kept and
      future blocks never when causal.
    - `sla`: mean-pool Q and K - mean(K) per block; keep the top
      `topk_ratio` fraction of pooled scores per query block.
    - `sale`: estimate scores with 4-bit quantized Q and K - mean(K); take the
      exact row max m_i and sum l_i over the sink block(s) and the local
      window; keep key block b iff max_{j in b} est(S_ij) > m_i + ln(tau l_i)
      for some row i of the query block.

    Geometry: with `off = 0` for `top_left` causality and `Lk - Lq`
    otherwise, query block `qb` spans key positions
    `[p0, p1] = [qb*bq + off, min((qb+1)*bq, Lq) - 1 + off]`. Key block `kb`
    is in the future when `kb*bk > p1` (never kept when causal), local when
    `p0 div bk - local_blocks < kb <= p1 div bk`, a sink when
    `kb < sink_blocks`. Sink and local blocks that are not in the future are
    always kept and count towards `topk` (they rank first; ties go to the
    lower block index); SLA keeps `max(1, ceil(topk_ratio * nKB))`. SALE
    quantizes Q and K - mean(K) symmetrically to 4 bits per block of rows
    (scale max|x| / 7, round half to even), takes m_i and l_i over the
    visible keys of the forced blocks, and a row with no such key keeps
    every visible block.

    ```mlir
    %bm = attn.block_select %q, %k {method = #attn.select<moba>, block_q = 64, block_k = 64,
            topk = 4, causal = #attn.causal<top_left>}
          : tensor<1x8x512x64xf32>, tensor<1x8x512x64xf32> -> tensor<1x8x8x8xi1>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$query,
    AnyRankedTensor:$key,
    Attn_BlockSelectMethodAttr:$method,
    I64Attr:$block_q,
    I64Attr:$block_k,
    OptionalAttr<I64Attr>:$topk,
    OptionalAttr<F64Attr>:$topk_ratio,
    DefaultValuedAttr<F64Attr, "0.004">:$tau,
    DefaultValuedAttr<I64Attr, "1">:$sink_blocks,
    DefaultValuedAttr<I64Attr, "1">:$local_blocks,
    OptionalAttr<F64Attr>:$scale,
    DefaultValuedAttr<Attn_CausalKindAttr, "::mlir::attn::CausalKind::none">:$causal
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $query `,` $key attr-dict `:` type($query) `,` type($key) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear attention
//===----------------------------------------------------------------------===//

def Attn_LinearOp : Attn_Op<"linear", [Pure,
    DeclareOpInterfaceMethods<Attn_ReferenceDecompositionOpInterface>]> {
  let summary = "Kernelized linear attention (elu+1 / relu, MALA, Lightning)";
  let description = [{
    With phi the feature map (`elu1`: elu(x) + 1, `relu`), per head:

    - `kernelized`: O_i = phi(q_i)^T (sum_j phi(k_j) v_j^T) /
      (phi(q_i)^T sum_j phi(k_j)); with `causal` the sums run over j <= i
      (bottom-right aligned).
    - `mala`: z_i = s phi(q_i) . mean_j phi(k_j);
      O_i = (s^2 / N) phi(q_i)^T (sum_j phi(k_j) v_j^T) (1 + 1/z_i)
      - z_i mean_j v_j, with s = `scale` (default 1/sqrt(D)).
    - `lightning`: causal linear attention computed in blocks of `chunk`
      with per-head decay (`decay`, one value or one per query head):
      D_ij = exp(-s (i - j)) for i >= j, and no normalization (Lightning
      Attention-2); with no decay it is the unnormalized causal product.

    With `exclude` (an i1 block map and `block_size` as for `attn.sdpa`;
    kernelized variant only), only the key blocks *not* in the map
    contribute: this is the linear term of the sparse + linear hybrid (SLA).

    Details the formulas leave open: `scale` is unused by `kernelized` (the
    normalization cancels it), is `s` for `mala` (default 1/sqrt(D)),
    multiplies q . k for `lightning` (default 1; lightning applies no
    feature map), and is the softmax scale of `attn.agent`. Causal MALA takes
    its sums and means over j <= p_i with N = p_i + 1. Causal forms need
    Lq <= Lk (queries aligned to the end of the keys). MALA is implemented
    exactly as written in METHODS.md, with s^2 / N (its weights sum to
    s(1 + z) - z, which is 1 only for s = 1; s / N would always sum to 1).
    The reference decomposition never builds an Lq x Lk matrix: non-causal
    forms compute K^T [V, 1] first (O(N d^2)); causal and lightning forms
    are chunked (`chunk` x `chunk` masked products inside a chunk, a running
    state across chunks).

    ```mlir
    %o = attn.linear %q, %k, %v {variant = #attn.linear<kernelized>,
           feature = #attn.feature<elu1>, causal = true}
         : tensor<1x4x128x32xf32>, tensor<1x4x128x32xf32>, tensor<1x4x128x32xf32>
         -> tensor<1x4x128x32xf32>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$query,
    AnyRankedTensor:$key,
    AnyRankedTensor:$value,
    Optional<AnyRankedTensor>:$exclude,
    Attn_LinearVariantAttr:$variant,
    DefaultValuedAttr<Attn_FeatureMapAttr, "::mlir::attn::FeatureMap::elu1">:$feature,
    UnitAttr:$causal,
    DefaultValuedAttr<I64Attr, "64">:$chunk,
    OptionalAttr<DenseF64ArrayAttr>:$decay,
    OptionalAttr<F64Attr>:$scale,
    OptionalAttr<DenseI64ArrayAttr>:$block_size
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`exclude` `(` $exclude^ `:` type($exclude) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_AgentOp : Attn_Op<"agent", [Pure,
    DeclareOpInterfaceMethods<Attn_ReferenceDecompositionOpInterface>]> {
  let summary = "Agent attention with average-pooled agent tokens";
  let description = [{
    A = pool(Q): `num_agents` agent tokens per head, the means of Q over
    `num_agents` equal contiguous segments of the sequence (the last one
    takes the remainder). O = softmax(scale Q A^T) softmax(scale A K^T) V.

    ```mlir
    %o = attn.agent %q, %k, %v {num_agents = 49}
         : tensor<1x4x196x32xf32>, tensor<1x4x196x32xf32>, tensor<1x4x196x32xf32>
         -> tensor<1x4x196x32xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value, I64Attr:$num_agents,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` type($query) `,` type($key) `,`
    type($value) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Recycled attention (decode time)
//===----------------------------------------------------------------------===//

def Attn_RecycleFixed : I32EnumAttrCase<"fixed", 0>;
def Attn_RecycleSimilarity : I32EnumAttrCase<"similarity", 1>;

def Attn_RecycleSchedule : I32EnumAttr<"RecycleSchedule",
    "when a recycled decode step runs full attention",
    [Attn_RecycleFixed, Attn_RecycleSimilarity]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}

def Attn_RecycleScheduleAttr
    : EnumAttr<Attn_Dialect, Attn_RecycleSchedule, "schedule"> {
  let summary = [{
    `fixed`: a full step every `stride` steps. `similarity`: every
    `check_every` steps, a full step when the cosine between the head-mean
    query and the one stored at the last full step is below `threshold`.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Attn_RecycleOp : Attn_Op<"recycle", [Pure,
    AllTypesMatch<["kept_indices", "new_kept_indices"]>,
    AllTypesMatch<["full_len", "new_full_len"]>,
    AllTypesMatch<["step", "new_step"]>,
    AllTypesMatch<["ref_query", "new_ref_query"]>,
    DeclareOpInterfaceMethods<Attn_ReferenceDecompositionOpInterface>,
    DeclareOpInterfaceMethods<Attn_AttentionOpInterface,
                              ["getEffectiveScale"]>]> {
  let summary = "One decode step of Recycled Attention (RefreshKV) with its state";
  let description = [{
    Attention of a decode step over a KV cache (`key`/`value` hold the past
    and the new tokens, `[B, Hkv, Lk, D]`; `query` the new tokens,
    `[B, Hq, Lq, D]`, usually Lq = 1), with the same `mask`, `scale`,
    `causal` and `softcap` as `attn.sdpa`, that alternates full steps and
    partial steps. The state is explicit, operands in and results out, so
    that the caller carries it from one step to the next:

    - `kept_indices` `[B, Hkv, K]` i64: the key positions kept at the last
      full step, per key/value head, in increasing position order; -1 =
      none (padding after the positions).
    - `full_len` `[B]` i64: the key length Lk at the last full step.
    - `step` `[B]` i64: steps since the last full step; 0 (or less) means
      "no state" and forces a full step.
    - `ref_query` `[B, D]`: the head-mean query at the last full step.

    Per batch element b, with qbar = mean over query heads h of
    Q[b, h, Lq-1, :] and cos = qbar . ref_query / (|qbar| |ref_query|)
    (0 when either is zero), the step is full iff `step <= 0`, or
    `step >= stride` (`fixed`), or `step mod check_every == 0` and
    `cos < threshold` (`similarity`).

    - Full step: dense attention (exactly `attn.sdpa`). With A the attention
      probabilities of the last query row, the score of key j for key/value
      head g is max over the query heads h of group g of
      max_{j - (pool-1)/2 <= j' <= j + pool/2, 0 <= j' < Lk} A[h, j'] (max
      pooling, then the GQA group max); the new `kept_indices` are the K
      highest-scoring positions in position order (ties: lower positions
      win; -1 padding when K > Lk).
      New state: (that top-K, Lk, 1, qbar).
    - Partial step: query head h (unless listed in `dense_heads`) sees key j
      only if j is in kept_indices[b, h / (Hq/Hkv), :] or j >= full_len
      (a token appended since the full step), on top of the mask and the
      causal rule. New state: (kept_indices, full_len, step + 1,
      ref_query).

    With `stride = 1` every step is full, which is exactly dense attention.

    ```mlir
    %o, %ki, %fl, %st, %rq = attn.recycle %q, %k, %v
        state(%kept, %len, %step, %ref : tensor<1x2x8xi64>, tensor<1xi64>,
              tensor<1xi64>, tensor<1x64xf32>)
        {causal = #attn.causal<bottom_right>, schedule = #attn.schedule<fixed>,
         stride = 10, pool = 5}
        : tensor<1x8x1x64xf32>, tensor<1x2x65x64xf32>, tensor<1x2x65x64xf32>
        -> tensor<1x8x1x64xf32>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$query,
    AnyRankedTensor:$key,
    AnyRankedTensor:$value,
    Optional<AnyRankedTensor>:$mask,
    AnyRankedTensor:$kept_indices,
    AnyRankedTensor:$full_len,
    AnyRankedTensor:$step,
    AnyRankedTensor:$ref_query,
    OptionalAttr<F64Attr>:$scale,
    DefaultValuedAttr<Attn_CausalKindAttr, "::mlir::attn::CausalKind::none">:$causal,
    OptionalAttr<F64Attr>:$softcap,
    DefaultValuedAttr<Attn_RecycleScheduleAttr,
                      "::mlir::attn::RecycleSchedule::fixed">:$schedule,
    DefaultValuedAttr<I64Attr, "10">:$stride,
    DefaultValuedAttr<I64Attr, "5">:$check_every,
    DefaultValuedAttr<F64Attr, "0.85">:$threshold,
    DefaultValuedAttr<I64Attr, "5">:$pool,
    OptionalAttr<DenseI64ArrayAttr>:$dense_heads
  );
  let results = (outs AnyRankedTensor:$result,
                      AnyRankedTensor:$new_kept_indices,
                      AnyRankedTensor:$new_full_len,
                      AnyRankedTensor:$new_step,
                      AnyRankedTensor:$new_ref_query);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `:` type($mask) `)`)?
    `state` `(` $kept_indices `,` $full_len `,` $step `,` $ref_query `:`
    type($kept_indices) `,` type($full_len) `,` type($step) `,`
    type($ref_query) `)`
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of query heads that share one key/value head.
    int64_t getGroupSize();
    /// Number of kept positions K (from the state type).
    int64_t getTopK() { return getKeptIndices().getType().getDimSize(2); }
  }];
}

#endif // ATTUNE_ATTN_OPS_TD
