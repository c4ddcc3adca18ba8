//===- AttnToLinalg.cpp - attn ops to linalg ----------------------------===//
//
// The pass only calls each op's reference decomposition: the math lives on
// the ops (AttnDecompose.cpp), not here.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOLINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
struct ConvertAttnToLinalgPass
    : attn::impl::ConvertAttnToLinalgPassBase<ConvertAttnToLinalgPass> {
  void runOnOperation() override {
    SmallVector<ReferenceDecompositionOpInterface> ops;
    getOperation()->walk(
        [&](ReferenceDecompositionOpInterface op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (ReferenceDecompositionOpInterface op : ops) {
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> repl = op.decomposeToLinalg(rewriter);
      if (failed(repl)) {
        op->emitError("has no reference decomposition for this configuration");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *repl);
    }
  }
};
} // namespace
