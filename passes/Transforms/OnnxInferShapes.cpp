//===- OnnxInferShapes.cpp - static shapes and constant folding ---------===//
// (skeleton: being written)
#include "passes/Transforms/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ONNXINFERSHAPESPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct OnnxInferShapesPass
    : attn::impl::OnnxInferShapesPassBase<OnnxInferShapesPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
