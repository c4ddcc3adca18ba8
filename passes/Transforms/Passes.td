//===- Passes.td - attune IR-to-IR transforms --------------*- tablegen -*-===//

#ifndef ATTUNE_TRANSFORMS_PASSES_TD
#define ATTUNE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def OnnxInferShapesPass : Pass<"onnx-infer-shapes", "::mlir::ModuleOp"> {
  let summary = "Infer static shapes of onnx.node results and fold constant subgraphs";
  let description = [{
    Walks every function in program order. A node whose inputs are all
    constants and whose result is small (shape computations:
    Shape/Gather/Concat/Unsqueeze/Slice/Cast/Range/..., constant masks from
    Trilu, ...) is evaluated and replaced by an `arith.constant`; every other
    node gets its result types inferred from its inputs. After this pass every
    value in the graph has a static ranked type, or the pass fails with an
    error naming the node.

    ```mlir
    // before
    %s = onnx.node "Shape" v15 (%x) : (tensor<1x16x64xf32>) -> tensor<*xi64>
    %r = onnx.node "Reshape" v14 (%x, %s) : (tensor<1x16x64xf32>, tensor<*xi64>) -> tensor<*xf32>
    // after
    %s = arith.constant dense<[1, 16, 64]> : tensor<3xi64>
    %r = onnx.node "Reshape" v14 (%x, %s) : (tensor<1x16x64xf32>, tensor<3xi64>) -> tensor<1x16x64xf32>
    ```
  }];
  let options = [
    Option<"maxFoldElements", "max-fold-elements", "int64_t", "1 << 22",
           "Largest result (in elements) a constant subgraph is folded into">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def AttnRaisePass : Pass<"attn-raise", "::mlir::ModuleOp"> {
  let summary = "Raise ONNX attention (decomposed subgraphs and fused ops) to attn ops";
  let description = [{
    Finds `MatMul(Q, K^T) -> scale -> mask -> Softmax(-1) -> MatMul(., V)`
    subgraphs in every form exporters produce (see the README for the list),
    and the fused ONNX `Attention` (opset 23/24) and com.microsoft
    `Attention`, `MultiHeadAttention` and `GroupQueryAttention` nodes, and
    replaces each with `attn.sdpa` plus the reshapes/transposes/concats that
    connect it to the rest of the graph.

    ```mlir
    // before
    %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : ...
    %s  = onnx.node "MatMul" v13 (%q, %kt) : ...
    %ss = onnx.node "Div" v13 (%s, %c8) : ...
    %p  = onnx.node "Softmax" v13 (%ss) {axis = -1 : i64} : ...
    %o  = onnx.node "MatMul" v13 (%p, %v) : ...
    // after
    %o = attn.sdpa %q, %k, %v {scale = 1.250000e-01 : f64} : ...
    ```

    With `report`, each raised site is described by a remark (layout, heads,
    scale, mask kind); `attune-opt --attn-raise-report` prints them as a table.
  }];
  let options = [
    Option<"fusedOnly", "fused-only", "bool", "false",
           "Only convert fused attention nodes; leave decomposed subgraphs alone">,
    Option<"report", "report", "bool", "false",
           "Emit a remark describing every raised attention site">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::attn::onnx::OnnxDialect"];
}

#endif // ATTUNE_TRANSFORMS_PASSES_TD
