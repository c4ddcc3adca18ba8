//===- AttnBase.td - attn dialect definition ---------------*- tablegen -*-===//
//
// The `attn` dialect represents attention as first-class ops on tensors so
// that rewrites (sparsity, linearization, recycling, calibration) and the
// kernel generators see one op instead of a MatMul/Softmax/MatMul subgraph.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_ATTN_BASE_TD
#define ATTUNE_ATTN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let summary = "Attention ops: dense, structured, and the forms rewrites produce";
  let description = [{
    Every op of this dialect works on ranked tensors in the `[batch, heads,
    sequence, head_dim]` layout and carries its math through
    `Attn_ReferenceDecompositionOpInterface`: a reference lowering to linalg
    on tensors that defines the op's semantics and that every fast kernel is
    tested against.
  }];
  let cppNamespace = "::mlir::attn";
  let useDefaultAttributePrinterParser = 1;
  let hasCanonicalizer = 0;
}

class Attn_Op<string mnemonic, list<Trait> traits = []> :
    Op<Attn_Dialect, mnemonic, traits>;

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // ATTUNE_ATTN_BASE_TD
