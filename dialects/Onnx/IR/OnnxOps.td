//===- OnnxOps.td - onnx dialect ops -----------------------*- tablegen -*-===//
//
// Generic ONNX node and the "absent optional input" marker.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_ONNX_OPS_TD
#define ATTUNE_ONNX_OPS_TD

include "OnnxBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

def Onnx_NodeOp : Onnx_Op<"node", [Pure]> {
  let summary = "One imported ONNX node";
  let description = [{
    `name` is the op type, qualified with its domain when the domain is not
    the default one (`"MatMul"`, `"com.microsoft.FusedMatMul"`). `opset` is the
    opset version of that domain the model was exported with: handlers use it
    to pick the op's semantics (for example `Squeeze` takes its axes as an
    attribute before opset 13 and as an input from 13 on). The ONNX
    attributes of the node are kept as attributes of the op with their ONNX
    names; `onnx_name` keeps the node name for diagnostics. Absent optional
    inputs are given as the result of `onnx.none`.

    Example:

    ```mlir
    %s = onnx.node "Softmax" v17 (%x) {axis = -1 : i64}
         : (tensor<1x12x16x16xf32>) -> tensor<1x12x16x16xf32>
    %y = onnx.node "com.microsoft.FusedMatMul" v1 (%q, %k)
         {alpha = 1.250000e-01 : f32, transB = 1 : i64}
         : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x4xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, I64Attr:$opset,
                       Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$outputs);
  let assemblyFormat = [{
    $name custom<Opset>($opset) ` ` `(` $inputs `)` attr-dict `:` functional-type($inputs, results)
  }];
  let extraClassDeclaration = [{
    /// The op type without its domain ("FusedMatMul").
    ::llvm::StringRef getOpType();
    /// The domain ("" for the default ONNX domain).
    ::llvm::StringRef getDomain();
    /// True for an absent optional input `i` (out of range or onnx.none).
    bool isAbsentInput(unsigned i);
    /// Integer / float / ints attribute accessors with defaults.
    int64_t getIntAttr(::llvm::StringRef attr, int64_t dflt);
    double getFloatAttr(::llvm::StringRef attr, double dflt);
    ::llvm::SmallVector<int64_t> getIntsAttr(::llvm::StringRef attr);
    bool hasAttr(::llvm::StringRef attr) { return (*this)->hasAttr(attr); }
    /// "node 'name' (Op, opset N)" for diagnostics.
    std::string describe();
  }];
}

def Onnx_NoneOp : Onnx_Op<"none", [Pure]> {
  let summary = "An absent optional ONNX input";
  let description = [{
    ```mlir
    %none = onnx.none
    %y = onnx.node "Clip" v13 (%x, %none, %max) : (tensor<4xf32>, none, tensor<f32>) -> tensor<4xf32>
    ```
  }];
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

#endif // ATTUNE_ONNX_OPS_TD
