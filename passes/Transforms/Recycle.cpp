//===- Recycle.cpp - attn-recycle: Recycled Attention at decode time -----===//
//
// Turns the attention sites of a decode-step graph with a KV cache into
// `attn.recycle` ops and threads their state (kept positions, cache length
// at the last full step, step counter, reference query) through `@main` as
// extra inputs and outputs, so that a caller such as `attune decode` carries
// it from step to step like the KV cache itself. The math is the op's
// reference decomposition (dialects/Attn/IR/AttnRecycle.cpp); this pass
// checks that a site really reads a KV cache, validates the options and
// rewires the signature.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/Passes.h"
#include "passes/Transforms/OptionChecks.h"
#include "passes/Transforms/SiteSelection.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <algorithm>
#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNRECYCLEPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr StringLiteral kPass = "attn-recycle";

/// Follows ops that only move data (Identity, Cast, Reshape, Transpose,
/// Squeeze/Unsqueeze) back to a block argument of `main`, or null.
BlockArgument graphInput(Value v, func::FuncOp main) {
  for (int depth = 0; depth < 16 && v; ++depth) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getOwner() == &main.getBody().front() ? arg : nullptr;
    auto node = v.getDefiningOp<onnx::NodeOp>();
    if (!node || node.getInputs().empty())
      return nullptr;
    StringRef t = node.getName();
    if (t != "Identity" && t != "Cast" && t != "Reshape" && t != "Transpose" &&
        t != "Squeeze" && t != "Unsqueeze")
      return nullptr;
    v = node.getInputs()[0];
  }
  return nullptr;
}

/// True if `v` is Concat(past, new) along the sequence axis (2 of
/// [B, H, S, D]) with `past` a graph input: a KV cache.
bool isKvCache(Value v, func::FuncOp main) {
  auto node = v.getDefiningOp<onnx::NodeOp>();
  if (!node || node.getName() != "Concat" || node.getInputs().size() != 2)
    return false;
  int64_t axis = node.getIntAttr("axis", 0);
  if (axis < 0)
    axis += 4;
  return axis == 2 && graphInput(node.getInputs()[0], main);
}

struct AttnRecyclePass
    : public attn::impl::AttnRecyclePassBase<AttnRecyclePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions(module)))
      return signalPassFailure();
    FailureOr<SmallVector<SdpaOp>> sites = selectSites(module, layers, kPass);
    if (failed(sites))
      return signalPassFailure();
    if (failed(requireSites(module, kPass, "recycle")))
      return signalPassFailure();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.getBody().empty()) {
      module.emitError() << kPass
                         << ": expected a func.func @main (the "
                            "decode step) with a body";
      return signalPassFailure();
    }
    for (SdpaOp op : *sites)
      if (failed(recycle(op, main)))
        return signalPassFailure();
  }

private:
  LogicalResult checkOptions(ModuleOp module) {
    auto fail = [&]() { return module.emitError() << kPass << ": "; };
    if (schedule != "fixed" && schedule != "similarity")
      return fail() << "unknown schedule '" << schedule.getValue()
                    << "' (expected fixed or similarity)";
    bool fixed = schedule == "fixed";
    StrayOption stray;
    stray.check(checkEvery, !fixed).check(threshold, !fixed).check(stride, fixed);
    if (!stray.name.empty())
      return fail() << stray.name << " does not apply to schedule "
                    << schedule.getValue();
    if (topk > 0 && topkRatio.hasValue())
      return fail() << "topk-ratio applies only when topk is 0";
    if (stride < 1)
      return fail() << "stride must be >= 1, got " << stride.getValue();
    if (checkEvery < 1)
      return fail() << "check-every must be >= 1, got "
                    << checkEvery.getValue();
    if (pool < 1)
      return fail() << "pool must be >= 1, got " << pool.getValue();
    if (topk < 0)
      return fail() << "topk must be >= 0, got " << topk.getValue();
    if (!(topkRatio > 0.0 && topkRatio <= 1.0))
      return fail() << "topk-ratio must be in (0, 1], got "
                    << topkRatio.getValue();
    if (!(threshold >= -1.0 && threshold <= 1.0))
      return fail() << "threshold is a cosine and must be in [-1, 1], got "
                    << threshold.getValue();
    return success();
  }

  /// K for a site whose key length is `lk`.
  int64_t keptCount(ModuleOp module, int64_t lk) {
    if (topk > 0)
      return topk;
    int64_t n = lk;
    if (auto ctx = module->getAttrOfType<IntegerAttr>("attn.decode_context"))
      n = std::max<int64_t>(ctx.getInt(), 1);
    return std::max<int64_t>(1, static_cast<int64_t>(std::floor(
                                    topkRatio * static_cast<double>(n))));
  }

  LogicalResult recycle(SdpaOp op, func::FuncOp main) {
    int64_t site = siteIndex(op);
    std::string where =
        site >= 0 ? "attention site " + std::to_string(site) : "attention site";
    if (op->getParentOp() != main.getOperation())
      return op.emitError() << kPass << ": " << where
                            << " is not in @main's body; the recycled state "
                               "must be an input and output of @main";
    if (!isKvCache(op.getKey(), main) || !isKvCache(op.getValue(), main))
      return op.emitError()
             << kPass << ": " << where
             << " does not read a KV cache: expected its key and value to be "
                "Concat(past, new) along the sequence axis with the past a "
                "graph input (a decode-step graph exported with "
                "past_key_values)";
    if (op.hasRewrites())
      return op.emitError() << kPass << ": " << where
                            << " is already rewritten (window, block mask, "
                               "compensation or score modifier); recycle a "
                               "dense site";
    auto qt = op.getQuery().getType(), kt = op.getKey().getType();
    if (!qt.hasStaticShape() || !kt.hasStaticShape())
      return op.emitError() << kPass << ": " << where
                            << " needs static shapes; run onnx-infer-shapes";
    FailureOr<std::optional<SmallVector<int64_t>>> heads =
        selectHeads(op, this->heads, kPass);
    if (failed(heads))
      return failure();

    MLIRContext *ctx = op.getContext();
    int64_t batch = qt.getDimSize(0), hq = qt.getDimSize(1),
            d = qt.getDimSize(3), hkv = kt.getDimSize(1);
    int64_t k = keptCount(op->getParentOfType<ModuleOp>(), kt.getDimSize(2));
    Type i64 = IntegerType::get(ctx, 64);
    SmallVector<Type> stateTypes = {
        RankedTensorType::get({batch, hkv, k}, i64),
        RankedTensorType::get({batch}, i64),
        RankedTensorType::get({batch}, i64),
        RankedTensorType::get({batch, d}, qt.getElementType())};
    std::string suffix = site >= 0 ? ".site" + std::to_string(site) : ".site";
    const char *names[] = {"recycle.kept_indices", "recycle.full_len",
                           "recycle.step", "recycle.ref_query"};

    // New @main arguments.
    SmallVector<Value> state;
    Location loc = op.getLoc();
    for (auto [t, name] : llvm::zip(stateTypes, names)) {
      unsigned idx = main.getNumArguments();
      if (failed(main.insertArgument(
              idx, t,
              DictionaryAttr::get(
                  ctx, {NamedAttribute(StringAttr::get(ctx, "onnx.name"),
                                       StringAttr::get(ctx, name + suffix))}),
              loc)))
        return op.emitError() << kPass << ": cannot add @main arguments";
      state.push_back(main.getArgument(idx));
    }

    OpBuilder b(op);
    SmallVector<int64_t> dense;
    if (*heads)
      for (int64_t h = 0; h < hq; ++h)
        if (!llvm::is_contained(**heads, h))
          dense.push_back(h);
    auto rec = RecycleOp::create(
        b, loc, op.getResult().getType(), stateTypes[0], stateTypes[1],
        stateTypes[2], stateTypes[3], op.getQuery(), op.getKey(), op.getValue(),
        op.getMask(), state[0], state[1], state[2], state[3], op.getScaleAttr(),
        op.getCausalAttr(), op.getSoftcapAttr(),
        RecycleScheduleAttr::get(ctx, schedule == "similarity"
                                          ? RecycleSchedule::similarity
                                          : RecycleSchedule::fixed),
        b.getI64IntegerAttr(stride), b.getI64IntegerAttr(checkEvery),
        b.getF64FloatAttr(threshold), b.getI64IntegerAttr(pool),
        dense.empty() ? DenseI64ArrayAttr() : b.getDenseI64ArrayAttr(dense));
    // Keep discardable attributes such as attn.site.
    for (NamedAttribute a : op->getDiscardableAttrs())
      rec->setAttr(a.getName(), a.getValue());
    op.getResult().replaceAllUsesWith(rec.getResult());
    op.erase();

    // New @main results, after the existing ones.
    auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
    SmallVector<Value> results(ret.getOperands());
    results.append({rec.getNewKeptIndices(), rec.getNewFullLen(),
                    rec.getNewStep(), rec.getNewRefQuery()});
    for (auto [t, name] : llvm::zip(stateTypes, names))
      if (failed(main.insertResult(
              main.getNumResults(), t,
              DictionaryAttr::get(
                  ctx, {NamedAttribute(StringAttr::get(ctx, "onnx.name"),
                                       StringAttr::get(ctx, name + suffix))}))))
        return main.emitError() << kPass << ": cannot add @main results";
    ret->setOperands(results);
    return success();
  }
};
} // namespace
