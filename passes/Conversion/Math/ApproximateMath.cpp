//===- ApproximateMath.cpp - f32 math functions as polynomials ------------===//
//
// convert-math-to-libm turns math.tanh, math.erf, math.exp, ... into calls of
// libm's scalar functions, and a loop with a call in its body is not
// vectorized: the element-wise chains of a model (GELU's tanh or erf, the
// exp of a softmax that is not attention, SiLU) then run one element at a
// time through libm (a 4-layer GPT-2 at 2048 tokens spent more time in
// tanhf/expm1f than in its GEMMs). This pass rewrites the selected f32 ops
// into MLIR's polynomial approximations (arith and bit manipulation only,
// accurate to a few ulp), which LLVM then vectorizes with the loop around
// them. Only the selected ops and what their rewrites create are visited.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::attn {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
/// The functions whose approximations are no less accurate than the
/// tolerances models are checked with (sin, cos and atan lose accuracy on
/// large arguments and keep libm).
constexpr llvm::StringLiteral kKnown[] = {"tanh", "erf",  "exp", "expm1",
                                          "log",  "log1p", "log2"};

struct ApproximateMathPass
    : attn::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::SmallVector<std::string> selected;
    for (StringRef name : llvm::split(ops.getValue(), ',')) {
      name = name.trim();
      if (name.empty())
        continue;
      if (!llvm::is_contained(kKnown, name)) {
        getOperation()->emitError()
            << "attn-approximate-math: unknown op '" << name
            << "' in ops=; expected a comma-separated subset of "
               "tanh,erf,exp,expm1,log,log1p,log2";
        return signalPassFailure();
      }
      selected.push_back(name.str());
    }
    auto isSelected = [&](StringRef name) {
      name.consume_front("math.");
      return llvm::is_contained(selected, name);
    };
    SmallVector<Operation *> targets;
    getOperation()->walk([&](Operation *op) {
      if (op->getDialect() && isa<math::MathDialect>(op->getDialect()) &&
          isSelected(op->getName().getStringRef()))
        targets.push_back(op);
    });
    if (targets.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, isSelected);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    config.enableFolding(false);
    if (failed(applyOpPatternsGreedily(targets, std::move(patterns), config)))
      return signalPassFailure();
  }
};
} // namespace
