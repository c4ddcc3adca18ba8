//===- OnnxBase.td - The onnx dialect definition -----------*- tablegen -*-===//
//
// The `onnx` dialect is the importer's landing zone: every ONNX node becomes
// one generic `onnx.node` op that keeps the node's (domain-qualified) op type,
// the opset it was imported under and its attributes. Legalization passes
// (shape inference, attention raising, lowering to linalg) dispatch on the op
// name, in the style of torch-mlir's `torch.operator "onnx.*"`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_ONNX_BASE_TD
#define ATTUNE_ONNX_BASE_TD

include "mlir/IR/OpBase.td"

def Onnx_Dialect : Dialect {
  let name = "onnx";
  let summary = "Generic ONNX nodes as imported from a model";
  let description = [{
    One op, `onnx.node`, stands for any ONNX node. Its results carry ranked
    tensor types once shape inference has run; unranked results mean the
    importer could not yet know the shape.
  }];
  let cppNamespace = "::mlir::attn::onnx";
}

class Onnx_Op<string mnemonic, list<Trait> traits = []> :
    Op<Onnx_Dialect, mnemonic, traits>;

#endif // ATTUNE_ONNX_BASE_TD
