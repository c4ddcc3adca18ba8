//===- FuseElementwise.cpp - element-wise chains as one loop nest ---------===//
//
// convert-onnx-to-linalg emits one linalg.generic per ONNX node, and each
// becomes its own loop nest reading and writing a whole tensor: a GELU is
// eight passes over the MLP activations, a layer norm's tail four. This
// pass merges an element-wise producer into its element-wise consumer
// (linalg's producer-consumer fusion) so that a chain is computed in one
// pass. It only fuses into consumers whose iterators are all parallel:
// reductions and contractions keep their plain form, which is what
// convert-linalg-to-cpu-kernels recognizes as a GEMM (and a layer norm's
// mean and variance stay separate reductions). A producer with other users
// is not fused (it would be computed twice).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

bool allParallel(linalg::GenericOp op) {
  return llvm::all_of(op.getIteratorTypesArray(), [](utils::IteratorType t) {
    return t == utils::IteratorType::parallel;
  });
}

struct FuseElementwisePass
    : attn::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::ControlFusionFn control = [](OpOperand *operand) {
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
      return producer && consumer && producer->hasOneUse() &&
             producer.getNumResults() == 1 && allParallel(producer) &&
             allParallel(consumer);
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
