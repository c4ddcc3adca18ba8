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

def Attn_SdpaOp : Attn_Op<"sdpa", [Pure,
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
    OptionalAttr<F64Attr>:$scale,
    DefaultValuedAttr<Attn_CausalKindAttr, "::mlir::attn::CausalKind::none">:$causal,
    OptionalAttr<F64Attr>:$softcap
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `:` type($mask) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Number of query heads that share one key/value head.
    int64_t getGroupSize();
  }];
}

#endif // ATTUNE_ATTN_OPS_TD
