//===- AttnInterfaces.td - attn op interfaces --------------*- tablegen -*-===//
//
// Interfaces that keep the math on the ops rather than in passes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_ATTN_INTERFACES_TD
#define ATTUNE_ATTN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Attn_ReferenceDecompositionOpInterface
    : OpInterface<"ReferenceDecompositionOpInterface"> {
  let description = [{
    An op that can replace itself by an equivalent computation in linalg,
    tensor, arith and math ops on tensors. This decomposition *is* the op's
    semantics: `convert-attn-to-linalg` only calls it, and every optimized
    lowering is tested against it.
  }];
  let cppNamespace = "::mlir::attn";
  let methods = [
    InterfaceMethod<
      /*desc=*/"Build the decomposition at the builder's insertion point and "
               "return the values that replace the op's results.",
      /*retTy=*/"::mlir::FailureOr<::llvm::SmallVector<::mlir::Value>>",
      /*methodName=*/"decomposeToLinalg",
      /*args=*/(ins "::mlir::OpBuilder &":$builder)>,
  ];
}

def Attn_AttentionOpInterface : OpInterface<"AttentionOpInterface"> {
  let description = [{
    Common view of every attention op (dense or rewritten): its query, key and
    value operands and the score scale. Policies, reports and the rewrite
    passes address attention sites through this interface.
  }];
  let cppNamespace = "::mlir::attn";
  let methods = [
    InterfaceMethod<"Query tensor [B, Hq, Lq, D].", "::mlir::Value", "getQuery">,
    InterfaceMethod<"Key tensor [B, Hkv, Lk, D].", "::mlir::Value", "getKey">,
    InterfaceMethod<"Value tensor [B, Hkv, Lk, Dv].", "::mlir::Value", "getValue">,
    InterfaceMethod<"The scale applied to Q K^T (default 1/sqrt(D)).",
                    "double", "getEffectiveScale">,
  ];
}

#endif // ATTUNE_ATTN_INTERFACES_TD
