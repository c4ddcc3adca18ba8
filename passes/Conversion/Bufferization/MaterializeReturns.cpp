//===- MaterializeReturns.cpp - one buffer per returned tensor ------------===//
//
// Runs right before bufferization in the CPU pipeline: results become
// out-parameters there, and two results sharing one tensor (or a result that
// is an argument or a constant) would make buffer-results-to-out-params alias
// buffers it must keep apart.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "llvm/ADT/DenseSet.h"

namespace mlir::attn {
#define GEN_PASS_DEF_MATERIALIZERETURNSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct MaterializeReturnsPass
    : attn::impl::MaterializeReturnsPassBase<MaterializeReturnsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      OpBuilder b(ret);
      llvm::DenseSet<Value> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type)
          continue;
        bool shared = !seen.insert(v).second || isa<BlockArgument>(v) ||
                      v.getDefiningOp<arith::ConstantOp>();
        if (!shared)
          continue;
        operand.set(bufferization::AllocTensorOp::create(
                        b, ret.getLoc(), type, ValueRange(), /*copy=*/v)
                        .getResult());
      }
    });
  }
};
} // namespace
