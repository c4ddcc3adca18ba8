//===- OnnxToLinalg.cpp - onnx.node to linalg on tensors ----------------===//
// (skeleton: being written)
#include "passes/Conversion/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTONNXTOLINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct ConvertOnnxToLinalgPass
    : attn::impl::ConvertOnnxToLinalgPassBase<ConvertOnnxToLinalgPass> {
  void runOnOperation() override {}
};
} // namespace
