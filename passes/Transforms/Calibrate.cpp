//===- Calibrate.cpp - attn-calibrate: ZeroTuning and ACT score modifiers -===//
//
// Calibration methods change how attention mass is spread without changing
// which keys are computed, so they are score modifiers on `attn.sdpa`
// (`score_mod` + `score_mod_heads`): the math is the op's reference
// decomposition, and this pass only validates parameters and chooses the
// sites and heads.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/Passes.h"
#include "passes/Transforms/OptionChecks.h"
#include "passes/Transforms/SiteSelection.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCALIBRATEPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr StringLiteral kPass = "attn-calibrate";

/// Heads a score modifier applies to: the attribute's list, or all heads.
SmallVector<int64_t> modHeads(SdpaOp op) {
  if (auto heads = op.getScoreModHeads())
    return SmallVector<int64_t>(*heads);
  int64_t hq = op.getQuery().getType().getDimSize(1);
  return llvm::to_vector(llvm::seq<int64_t>(0, hq));
}

struct AttnCalibratePass
    : public attn::impl::AttnCalibratePassBase<AttnCalibratePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Attribute mod = buildModifier(module);
    if (!mod)
      return signalPassFailure();
    FailureOr<SmallVector<SdpaOp>> sites = selectSites(module, layers, kPass);
    if (failed(sites))
      return signalPassFailure();
    if (failed(requireSites(module, kPass, "calibrate")))
      return signalPassFailure();
    for (SdpaOp op : *sites)
      if (failed(calibrate(op, mod)))
        return signalPassFailure();
  }

private:
  /// The `#attn.zero_tuning` / `#attn.act` attribute for the options, or
  /// null after an error.
  Attribute buildModifier(ModuleOp module) {
    MLIRContext *ctx = module.getContext();
    auto f64 = [&](double v) { return FloatAttr::get(Float64Type::get(ctx), v); };
    StrayOption stray;
    stray.check(beta, method != "zerotuning")
        .check(tau, method != "zerotuning")
        .check(gamma, method != "act");
    if (!stray.name.empty()) {
      module.emitError() << kPass << ": " << stray.name
                         << " does not apply to method " << method;
      return nullptr;
    }
    if (method == "zerotuning") {
      // ln(gamma) is the logit bias: gamma must be positive and finite.
      if (!(gamma > 0.0) || !std::isfinite(gamma)) {
        module.emitError() << kPass << ": gamma must be a positive number, got "
                           << gamma;
        return nullptr;
      }
      return ZeroTuningAttr::get(ctx, f64(gamma));
    }
    if (method == "act") {
      if (!(beta >= 0.0 && beta <= 1.0)) {
        module.emitError() << kPass
                           << ": beta must be in [0, 1] (the fraction of a "
                              "sink's attention that is kept), got "
                           << beta;
        return nullptr;
      }
      if (!(tau >= 0.0 && tau < 1.0)) {
        module.emitError() << kPass << ": tau must be in [0, 1), got " << tau;
        return nullptr;
      }
      return ActAttr::get(ctx, f64(beta), f64(tau));
    }
    module.emitError() << kPass << ": unknown method '" << method
                       << "'; expected zerotuning or act";
    return nullptr;
  }

  LogicalResult calibrate(SdpaOp op, Attribute mod) {
    FailureOr<std::optional<SmallVector<int64_t>>> sel =
        selectHeads(op, heads, kPass);
    if (failed(sel))
      return failure();
    int64_t hq = op.getQuery().getType().getDimSize(1);
    SmallVector<int64_t> newHeads =
        *sel ? **sel : llvm::to_vector(llvm::seq<int64_t>(0, hq));
    if (newHeads.empty())
      return success();
    if (isa<ActAttr>(mod) && op.getCompensation())
      return op.emitError()
             << kPass << ": attention site " << siteIndex(op)
             << " has a compensation token (headwise RazorAttention); ACT "
                "calibration cannot be combined with it";

    // One score modifier per site: merge with an existing one when that is
    // unambiguous (same modifier, or the new heads replace all old ones).
    if (Attribute old = op.getScoreModAttr()) {
      SmallVector<int64_t> oldHeads = modHeads(op);
      bool covers = llvm::all_of(
          oldHeads, [&](int64_t h) { return llvm::is_contained(newHeads, h); });
      if (old == mod) {
        llvm::SetVector<int64_t> all(oldHeads.begin(), oldHeads.end());
        all.insert(newHeads.begin(), newHeads.end());
        newHeads = all.takeVector();
        llvm::sort(newHeads);
      } else if (!covers) {
        return op.emitError()
               << kPass << ": attention site " << siteIndex(op)
               << " already has score modifier " << old
               << " on other heads; one score modifier per site";
      }
    }
    op.setScoreModAttr(mod);
    if (static_cast<int64_t>(newHeads.size()) == hq)
      op.removeScoreModHeadsAttr();
    else
      op.setScoreModHeadsAttr(
          DenseI64ArrayAttr::get(op.getContext(), newHeads));
    return success();
  }
};
} // namespace
