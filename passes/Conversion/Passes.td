//===- Passes.td - attune conversions ----------------------*- tablegen -*-===//

#ifndef ATTUNE_CONVERSION_PASSES_TD
#define ATTUNE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnToLinalgPass
    : Pass<"convert-attn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower attn ops through their reference decomposition";
  let description = [{
    Replaces every op implementing `ReferenceDecompositionOpInterface` by its
    decomposition into linalg/tensor/arith/math on tensors.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def ConvertOnnxToLinalgPass
    : Pass<"convert-onnx-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower onnx.node ops to linalg/tensor/arith/math on tensors";
  let description = [{
    One small handler per ONNX op type (keyed by name and opset). Every node
    must have static shapes (run `onnx-infer-shapes` first); a node without a
    handler is an error that names it.

    ```mlir
    // before
    %y = onnx.node "Relu" v14 (%x) : (tensor<4xf32>) -> tensor<4xf32>
    // after
    %e = tensor.empty() : tensor<4xf32>
    %y = linalg.generic ... { arith.maximumf ... }
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def MaterializeReturnsPass
    : Pass<"attn-materialize-returns", "::mlir::func::FuncOp"> {
  let summary = "Give every returned tensor its own buffer before bufferization";
  let description = [{
    With results turned into caller-provided out-parameters, each returned
    value needs a buffer of its own: a value returned twice, a function
    argument or a constant returned as is would otherwise alias another
    output or an input. This inserts a copy for those.

    ```mlir
    // before
    return %a, %a : tensor<4xf32>, tensor<4xf32>
    // after
    %c = bufferization.alloc_tensor() copy(%a) : tensor<4xf32>
    return %a, %c : tensor<4xf32>, tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

#endif // ATTUNE_CONVERSION_PASSES_TD
