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

#endif // ATTUNE_ATTN_ATTRS_TD
