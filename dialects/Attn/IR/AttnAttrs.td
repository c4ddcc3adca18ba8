//===- AttnAttrs.td - attn dialect attributes --------------*- tablegen -*-===//
//
// Enums and attributes shared by the attention ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_ATTN_ATTRS_TD
#define ATTUNE_ATTN_ATTRS_TD

include "AttnBase.td"

def Attn_CausalNone : I32EnumAttrCase<"none", 0>;
def Attn_CausalTopLeft : I32EnumAttrCase<"top_left", 1>;
def Attn_CausalBottomRight : I32EnumAttrCase<"bottom_right", 2>;

def Attn_CausalKind : I32EnumAttr<"CausalKind",
    "where the causal diagonal sits when Lq != Lk",
    [Attn_CausalNone, Attn_CausalTopLeft, Attn_CausalBottomRight]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}

def Attn_CausalKindAttr : EnumAttr<Attn_Dialect, Attn_CausalKind, "causal"> {
  let summary = [{
    `none`: every key is visible. `top_left`: query i sees keys j <= i.
    `bottom_right`: query i sees keys j <= i + (Lk - Lq), the alignment a
    decode step with a KV cache needs (the last query sees every key).
  }];
  let assemblyFormat = "`<` $value `>`";
}


//===----------------------------------------------------------------------===//
// Structured sparsity
//===----------------------------------------------------------------------===//

def Attn_WindowAttr : Attn_Attr<"Window", "window"> {
  let summary = "Sliding window with attention sinks (and NATTEN neighborhoods)";
  let description = [{
    Let `p` be the position of query `i` among the keys: `p = i + (Lk - Lq)`
    (queries aligned to the end of the keys, as in a decode step), or
    `p = i` when the op is `top_left` causal. Keys are split into `dilation`
    groups by `j mod dilation`; query `i` uses the group of `p`, and `left`
    / `right` count keys *within that group* (NATTEN). Key `j` is kept iff
    `j < sinks`, or `j` is in p's group and `p div d - left <= j div d <=
    p div d + right` (floor division). With `clamp`, the window is shifted
    at the group's borders so that every query sees exactly
    `left + right + 1` keys of its group (neighborhood attention). The op's
    `causal` attribute still applies on top.

    StreamingLLM, causal: `#attn.window<sinks = 4, left = 511, right = 0>`;
    encoder form: `#attn.window<sinks = 4, left = 256, right = 256>`;
    NATTEN kernel 7: `#attn.window<sinks = 0, left = 3, right = 3, clamp = true>`.
  }];
  let parameters = (ins "int64_t":$sinks, "int64_t":$left, "int64_t":$right,
                        DefaultValuedParameter<"int64_t", "1">:$dilation,
                        DefaultValuedParameter<"bool", "false">:$clamp);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Score modifiers (calibration)
//===----------------------------------------------------------------------===//

def Attn_ZeroTuningAttr : Attn_Attr<"ZeroTuning", "zero_tuning"> {
  let summary = "ZeroTuning: scale the attention paid to the first key by gamma";
  let description = [{
    Equal to adding `ln(gamma)` to score column 0 before the softmax.
    `#attn.zero_tuning<gamma = 1.5 : f64>`; gamma = 1 is the identity.
  }];
  let parameters = (ins "::mlir::FloatAttr":$gamma);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_ActAttr : Attn_Attr<"Act", "act"> {
  let summary = "ACT attention calibration: damp sink columns by beta";
  let description = [{
    With `A` the attention probabilities, `c_j = sum_i A_ij / (number of
    queries that see key j)`; the sinks are `{j > 0 : c_j > tau}` (the first
    key is left alone). Sink columns are multiplied by `beta` and the removed
    mass goes to the other columns in proportion to their attention:
    `A'_ij = beta A_ij` on sinks, `A_ij (1 - beta S_i) / (1 - S_i)` elsewhere,
    `S_i` the row's sink mass. This is the per-row logit bias
    `ln(beta (1 - S_i) / (1 - beta S_i))` on the sink columns.
    `#attn.act<beta = 0.4 : f64, tau = 0.1 : f64>`.
  }];
  let parameters = (ins "::mlir::FloatAttr":$beta,
                        "::mlir::FloatAttr":$tau);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Linear attention and block selection
//===----------------------------------------------------------------------===//

def Attn_FeatureElu1 : I32EnumAttrCase<"elu1", 0>;
def Attn_FeatureRelu : I32EnumAttrCase<"relu", 1>;
def Attn_FeatureMap : I32EnumAttr<"FeatureMap", "linear attention feature map",
    [Attn_FeatureElu1, Attn_FeatureRelu]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_FeatureMapAttr : EnumAttr<Attn_Dialect, Attn_FeatureMap, "feature"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_LinearKernelized : I32EnumAttrCase<"kernelized", 0>;
def Attn_LinearMala : I32EnumAttrCase<"mala", 1>;
def Attn_LinearLightning : I32EnumAttrCase<"lightning", 2>;
def Attn_LinearVariant : I32EnumAttr<"LinearVariant", "linear attention variant",
    [Attn_LinearKernelized, Attn_LinearMala, Attn_LinearLightning]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_LinearVariantAttr : EnumAttr<Attn_Dialect, Attn_LinearVariant, "linear"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_SelectMoba : I32EnumAttrCase<"moba", 0>;
def Attn_SelectSla : I32EnumAttrCase<"sla", 1>;
def Attn_SelectSale : I32EnumAttrCase<"sale", 2>;
def Attn_BlockSelectMethod : I32EnumAttr<"BlockSelectMethod",
    "how key blocks are scored", [Attn_SelectMoba, Attn_SelectSla, Attn_SelectSale]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_BlockSelectMethodAttr
    : EnumAttr<Attn_Dialect, Attn_BlockSelectMethod, "select"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // ATTUNE_ATTN_ATTRS_TD
