//===- OnnxToLinalg.cpp - onnx.node to linalg on tensors ----------------===//
//
// The pass walks the onnx.node ops of the module in order, looks up the
// handler of each node's domain-qualified op type and replaces the node by
// the values the handler built. Missing handlers, non-static types and
// unsupported configurations are errors on the node; the pass reports all of
// them and then fails.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/OnnxToLinalg/Handlers.h"
#include "passes/Conversion/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTONNXTOLINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn::onnx_to_linalg;

namespace {
const HandlerTable &handlers() {
  static const HandlerTable table = [] {
    HandlerTable t;
    addElementwiseHandlers(t);
    addActivationHandlers(t);
    addMatMulHandlers(t);
    addReductionHandlers(t);
    addNormalizationHandlers(t);
    addTensorHandlers(t);
    addIndexingHandlers(t);
    return t;
  }();
  return table;
}

bool isStatic(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && rt.hasStaticShape();
}

LogicalResult lowerNode(NodeOp op) {
  auto it = handlers().find(op.getName());
  if (it == handlers().end()) {
    op.emitError() << op.describe() << ": no lowering to linalg for op type '"
                   << op.getName() << "'";
    return failure();
  }
  for (auto [i, v] : llvm::enumerate(op.getInputs()))
    if (!isa<NoneType>(v.getType()) && !isStatic(v.getType())) {
      op.emitError() << op.describe() << ": input " << i
                     << " must have a static ranked tensor type, got "
                     << v.getType() << " (run onnx-infer-shapes first)";
      return failure();
    }
  for (auto [i, v] : llvm::enumerate(op.getOutputs()))
    if (!v.use_empty() && !isStatic(v.getType())) {
      op.emitError() << op.describe() << ": output " << i
                     << " must have a static ranked tensor type, got "
                     << v.getType() << " (run onnx-infer-shapes first)";
      return failure();
    }
  OpBuilder b(op);
  HandlerResult repl = it->second(b, op);
  if (failed(repl))
    return failure();
  for (auto [i, v] : llvm::enumerate(op.getOutputs())) {
    Value r = i < repl->size() ? (*repl)[i] : Value();
    if (v.use_empty())
      continue;
    if (!r || r.getType() != v.getType()) {
      op.emitError() << op.describe() << ": internal error: lowering of output "
                     << i << " produced " << (r ? r.getType() : Type())
                     << ", expected " << v.getType();
      return failure();
    }
    v.replaceAllUsesWith(r);
  }
  op->erase();
  return success();
}

struct ConvertOnnxToLinalgPass
    : attn::impl::ConvertOnnxToLinalgPassBase<ConvertOnnxToLinalgPass> {
  void runOnOperation() override {
    SmallVector<NodeOp> nodes;
    getOperation()->walk([&](NodeOp op) { nodes.push_back(op); });
    bool ok = true;
    for (NodeOp op : nodes)
      ok &= succeeded(lowerNode(op));
    if (!ok)
      return signalPassFailure();
    getOperation()->walk([](attn::onnx::NoneOp op) {
      if (op->use_empty())
        op->erase();
    });
  }
};
} // namespace
