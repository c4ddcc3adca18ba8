//===- Sparsify.cpp - attn-sparsify: sparse attention rewrites ------------===//
//
// Turns dense `attn.sdpa` sites into the sparse forms of METHODS.md by
// setting the op's structured-sparsity attributes (window, block_mask,
// dense_heads, compensation) or inserting an `attn.block_select`. The math of
// every form lives on the ops (their reference decompositions); this pass only
// chooses parameters per site and head, with the published defaults, and
// rejects options that do not fit a site with an error naming it.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/Passes.h"
#include "passes/Transforms/OptionChecks.h"
#include "passes/Transforms/SiteSelection.h"
#include "passes/Transforms/SparsifyLayout.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNSPARSIFYPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr StringLiteral kPass = "attn-sparsify";

enum class Pattern { Window, Neighborhood, Headwise, BlockStatic, Dynamic };

/// Shapes of one site; sparsity needs static sequence lengths.
struct Site {
  SdpaOp op;
  int64_t batch, hq, lq, lk;
  bool causal;
  /// Position of query 0 among the keys (queries are aligned to the end of
  /// the keys except under top-left causality), as `#attn.window` does.
  int64_t off;
};

struct AttnSparsifyPass
    : public attn::impl::AttnSparsifyPassBase<AttnSparsifyPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(resolveOptions(module)))
      return signalPassFailure();
    if (failed(requireSites(module, kPass, "sparsify")))
      return signalPassFailure();
    FailureOr<SmallVector<SdpaOp>> sites = selectSites(module, layers, kPass);
    if (failed(sites))
      return signalPassFailure();
    for (SdpaOp op : *sites)
      if (failed(rewriteSite(op)))
        return signalPassFailure();
  }

private:
  LogicalResult resolveOptions(ModuleOp module);
  LogicalResult rewriteSite(SdpaOp op);
  LogicalResult setDenseHeads(Site &s, ArrayRef<bool> sparse);
  LogicalResult applyWindow(Site &s, ArrayRef<bool> sparse);
  LogicalResult applyBlockStatic(Site &s, ArrayRef<bool> sparse);
  LogicalResult applyDynamic(Site &s, ArrayRef<bool> sparse);

  Pattern pat = Pattern::Window;
  BlockSelectMethod meth = BlockSelectMethod::sale;
  int64_t sinksV = 0, bq = 0, bk = 0, topkV = 0, sinkB = 0, localB = 0,
          minQ = 0;
  double ratio = 0.0;
  std::optional<BlockLayout> fileLayout;
  SmallVector<int64_t> retrieval;
};
} // namespace

/// Validates the site-independent options and fills in the per-pattern and
/// per-method defaults (options left at -1).
LogicalResult AttnSparsifyPass::resolveOptions(ModuleOp module) {
  auto fail = [&]() { return module.emitError() << kPass << ": "; };
  // -1 marks "not given" (the per-pattern default); a value the user gives,
  // -1 included, must be >= 0.
  auto pick = [](int64_t v, int64_t dflt) { return v < 0 ? dflt : v; };
  for (auto *o : {&sinks, &blockQ, &blockK, &topk, &sinkBlocks, &localBlocks,
                  &minQLen})
    if (o->hasValue() && o->getValue() < 0)
      return fail() << o->getArgStr() << " must be >= 0, got "
                    << o->getValue();
  if (topkRatio.hasValue() && !(topkRatio > 0.0 && topkRatio <= 1.0))
    return fail() << "topk-ratio must be in (0, 1], got "
                  << topkRatio.getValue();
  std::optional<Pattern> p = llvm::StringSwitch<std::optional<Pattern>>(pattern)
                                 .Case("window", Pattern::Window)
                                 .Case("neighborhood", Pattern::Neighborhood)
                                 .Case("headwise", Pattern::Headwise)
                                 .Case("block-static", Pattern::BlockStatic)
                                 .Case("dynamic", Pattern::Dynamic)
                                 .Default(std::nullopt);
  if (!p)
    return fail() << "unknown pattern '" << pattern.getValue()
                  << "'; expected window, neighborhood, headwise, "
                     "block-static or dynamic";
  pat = *p;
  // Options of another pattern (or dynamic method) are errors: they would
  // be ignored without a word. (compensation, topk with sla and topk-ratio
  // with moba have their own messages below.)
  {
    bool win = pat == Pattern::Window, nb = pat == Pattern::Neighborhood,
         hw = pat == Pattern::Headwise, bs = pat == Pattern::BlockStatic,
         dyn = pat == Pattern::Dynamic;
    std::string m = dyn ? method.getValue() : "";
    StrayOption stray;
    stray.check(window, win)
        .check(sinks, win || hw || nb)
        .check(causalForm, win || nb || hw)
        .check(kernel, nb)
        .check(dilation, nb)
        .check(retrievalHeads, hw)
        .check(recent, hw)
        .check(blockSize, bs)
        .check(layout, bs)
        .check(layoutKind, bs)
        .check(stride, bs)
        .check(method, dyn)
        .check(blockQ, dyn)
        .check(blockK, dyn)
        .check(topk, dyn && (m == "moba" || m == "sla"))
        .check(topkRatio, dyn && (m == "moba" || m == "sla"))
        .check(tau, dyn && m == "sale")
        .check(sinkBlocks, dyn)
        .check(localBlocks, bs || dyn)
        .check(minQLen, dyn);
    if (!stray.name.empty())
      return fail() << stray.name << " does not apply to pattern "
                    << pattern.getValue()
                    << (m.empty() ? std::string() : " with method " + m);
  }
  if (causalForm != "auto" && causalForm != "causal" &&
      causalForm != "bidirectional")
    return fail() << "unknown causal-form '" << causalForm.getValue()
                  << "'; expected auto, causal or bidirectional";
  if (compensation && pat != Pattern::Window && pat != Pattern::Headwise)
    return fail() << "compensation needs a window: use it with pattern "
                     "window or headwise";
  sinksV = pick(sinks, pat == Pattern::Headwise       ? 64
                       : pat == Pattern::Neighborhood ? 0
                                                      : 4);
  switch (pat) {
  case Pattern::Window:
    if (window < 1)
      return fail() << "window must be >= 1, got " << window.getValue();
    break;
  case Pattern::Neighborhood:
    if (kernel < 1)
      return fail() << "kernel must be >= 1, got " << kernel.getValue();
    if (dilation < 1)
      return fail() << "dilation must be >= 1, got " << dilation.getValue();
    break;
  case Pattern::Headwise: {
    if (recent < 1)
      return fail() << "recent must be >= 1, got " << recent.getValue();
    std::string error;
    auto list = parseIndexList(retrievalHeads, error);
    if (failed(list))
      return fail() << "retrieval-heads: " << error;
    // "" means no retrieval head here (every head streams), not "all".
    if (*list)
      retrieval = **list;
    break;
  }
  case Pattern::BlockStatic:
    if (blockSize < 1)
      return fail() << "block-size must be >= 1, got " << blockSize.getValue();
    localB = pick(localBlocks, 16);
    if (stride < 0)
      return fail() << "stride must be >= 0, got " << stride.getValue();
    if (!layout.empty()) {
      BlockLayout l;
      std::string error;
      if (!readLayoutFile(layout, blockSize, l, error))
        return fail() << error;
      fileLayout = std::move(l);
    } else if (layoutKind != "local-strided" && layoutKind != "local") {
      return fail() << "unknown layout-kind '" << layoutKind.getValue()
                    << "'; expected local-strided or local (or give a "
                       "layout file)";
    }
    break;
  case Pattern::Dynamic: {
    std::optional<BlockSelectMethod> m =
        llvm::StringSwitch<std::optional<BlockSelectMethod>>(method)
            .Case("moba", BlockSelectMethod::moba)
            .Case("sla", BlockSelectMethod::sla)
            .Case("sale", BlockSelectMethod::sale)
            .Default(std::nullopt);
    if (!m)
      return fail() << "unknown method '" << method.getValue()
                    << "'; expected moba, sla or sale";
    meth = *m;
    bool moba = meth == BlockSelectMethod::moba,
         sale = meth == BlockSelectMethod::sale;
    bq = blockQ < 0 ? (moba ? 1 : 64) : blockQ;
    bk = blockK < 0 ? (moba ? 4096 : sale ? 32 : 64) : blockK;
    if (bq < 1 || bk < 1)
      return fail() << "block sizes must be >= 1, got block-q=" << bq
                    << " block-k=" << bk;
    if (moba && topkRatio >= 0)
      return fail() << "method moba keeps topk blocks; topk-ratio is for sla";
    if (meth == BlockSelectMethod::sla && topk >= 0)
      return fail() << "method sla keeps a topk-ratio of the blocks; topk is "
                       "for moba";
    topkV = pick(topk, 12);
    ratio = topkRatio < 0 ? 0.2 : topkRatio;
    if (moba && topkV < 1)
      return fail() << "topk must be >= 1, got " << topk.getValue();
    if (!(ratio > 0.0 && ratio <= 1.0))
      return fail() << "topk-ratio must be in (0, 1], got "
                    << topkRatio.getValue();
    if (!(tau > 0.0 && tau < 1.0))
      return fail() << "tau must be in (0, 1), got " << tau.getValue();
    sinkB = pick(sinkBlocks, sale ? 1 : 0);
    // SALE's local window is 128 keys.
    localB = pick(localBlocks, moba ? 1 : sale ? (128 + bk - 1) / bk : 0);
    minQ = pick(minQLen, sale ? 1024 : 0);
    break;
  }
  }
  return success();
}

LogicalResult AttnSparsifyPass::rewriteSite(SdpaOp op) {
  auto qt = op.getQuery().getType(), kt = op.getKey().getType();
  Site s{op,
         qt.getDimSize(0),
         qt.getDimSize(1),
         qt.getDimSize(2),
         kt.getDimSize(2),
         op.getCausal() != CausalKind::none,
         0};
  if (ShapedType::isDynamic(s.hq) || ShapedType::isDynamic(s.lq) ||
      ShapedType::isDynamic(s.lk))
    return op.emitError() << kPass << ": attention site " << siteIndex(op)
                          << " needs static heads and sequence lengths, got "
                          << qt << " and " << kt;
  s.off = op.getCausal() == CausalKind::top_left ? 0 : s.lk - s.lq;

  FailureOr<std::optional<SmallVector<int64_t>>> heads =
      selectHeads(op, this->heads, kPass);
  if (failed(heads))
    return failure();
  SmallVector<bool> sparse(s.hq, !*heads);
  if (*heads)
    for (int64_t h : **heads)
      sparse[h] = true;
  if (pat == Pattern::Headwise)
    for (int64_t h : retrieval) {
      if (h >= s.hq)
        return op.emitError()
               << kPass << ": retrieval-heads: head " << h
               << " does not exist; attention site " << siteIndex(op) << " has "
               << s.hq << " query heads (0-" << s.hq - 1 << ")";
      sparse[h] = false;
    }
  if (llvm::none_of(sparse, [](bool b) { return b; }))
    return success(); // every selected head stays dense

  switch (pat) {
  case Pattern::Window:
  case Pattern::Neighborhood:
  case Pattern::Headwise:
    return applyWindow(s, sparse);
  case Pattern::BlockStatic:
    return applyBlockStatic(s, sparse);
  case Pattern::Dynamic:
    return applyDynamic(s, sparse);
  }
  return failure();
}

/// dense_heads = the heads not in `sparse`. A site that is already sparse
/// keeps one head split: window and block mask share `dense_heads`.
LogicalResult AttnSparsifyPass::setDenseHeads(Site &s, ArrayRef<bool> sparse) {
  SmallVector<int64_t> dense;
  for (int64_t h = 0; h < s.hq; ++h)
    if (!sparse[h])
      dense.push_back(h);
  bool wasSparse = s.op.getWindow() || s.op.getBlockMask();
  if (wasSparse) {
    SmallVector<int64_t> old;
    if (auto d = s.op.getDenseHeads())
      old.assign(d->begin(), d->end());
    if (old != dense)
      return s.op.emitError()
             << kPass << ": attention site " << siteIndex(s.op)
             << " is already sparse with other dense heads; window and "
                "block sparsity share one head selection";
  }
  OpBuilder b(s.op);
  if (dense.empty())
    s.op.removeDenseHeadsAttr();
  else
    s.op.setDenseHeadsAttr(b.getDenseI64ArrayAttr(dense));
  return success();
}

LogicalResult AttnSparsifyPass::applyWindow(Site &s, ArrayRef<bool> sparse) {
  SdpaOp op = s.op;
  if (op.getWindow())
    return op.emitError() << kPass << ": attention site " << siteIndex(op)
                          << " already has a window";
  bool causalShape =
      causalForm == "causal" || (causalForm == "auto" && s.causal);
  int64_t left, right, dil = 1;
  bool clamp = false;
  if (pat == Pattern::Neighborhood) {
    if (kernel * dilation > s.lk)
      return op.emitError()
             << kPass << ": neighborhood kernel " << kernel.getValue()
             << " x dilation " << dilation.getValue() << " is larger than the "
             << s.lk << " keys of attention site " << siteIndex(op);
    if (!causalShape && kernel % 2 == 0)
      return op.emitError() << kPass
                            << ": a bidirectional neighborhood "
                               "needs an odd kernel, got "
                            << kernel.getValue();
    left = causalShape ? kernel - 1 : kernel / 2;
    right = causalShape ? 0 : kernel / 2;
    dil = dilation;
    clamp = true;
  } else {
    int64_t w = pat == Pattern::Headwise ? recent : window;
    left = causalShape ? w - 1 : w / 2;
    right = causalShape ? 0 : w / 2;
  }
  if (failed(setDenseHeads(s, sparse)))
    return failure();
  op.setWindowAttr(
      WindowAttr::get(op.getContext(), sinksV, left, right, dil, clamp));
  if (compensation)
    op.setCompensation(true);
  return success();
}

LogicalResult AttnSparsifyPass::applyBlockStatic(Site &s,
                                                 ArrayRef<bool> sparse) {
  SdpaOp op = s.op;
  int64_t bs = blockSize, site = siteIndex(op);
  if (op.getBlockMask())
    return op.emitError() << kPass << ": attention site " << site
                          << " already has a block mask";
  if (bs > s.lk)
    return op.emitError() << kPass << ": block-size " << bs
                          << " is larger than the " << s.lk
                          << " keys of attention site " << site;
  if (s.off < 0 || s.off % bs != 0)
    return op.emitError() << kPass << ": attention site " << site
                          << " puts its queries at key position " << s.off
                          << ", not a multiple of block-size " << bs
                          << "; a static layout needs block-aligned queries";
  int64_t nq = (s.lq + bs - 1) / bs, nk = (s.lk + bs - 1) / bs,
          rowOff = s.off / bs;
  BlockLayout layout =
      fileLayout
          ? *fileLayout
          : localStridedLayout(nk, localB, layoutKind == "local" ? 0 : stride,
                               s.causal);
  if (s.hq % layout.numLayouts != 0)
    return op.emitError() << kPass << ": the layout has " << layout.numLayouts
                          << " head layouts, which does not divide the " << s.hq
                          << " query heads of attention site " << site;
  if (layout.size < nk || layout.size < nq + rowOff)
    return op.emitError() << kPass << ": the layout's " << layout.size << "x"
                          << layout.size << " block grid does not cover the "
                          << nq + rowOff << "x" << nk << " blocks of " << bs
                          << " of attention site " << site;

  // One mask per head only when the heads differ.
  bool perHead = layout.numLayouts > 1;
  int64_t mh = perHead ? s.hq : 1;
  SmallVector<bool> keep;
  keep.reserve(mh * nq * nk);
  for (int64_t h = 0; h < mh; ++h)
    for (int64_t r = 0; r < nq; ++r)
      for (int64_t c = 0; c < nk; ++c)
        keep.push_back(layout.at(h % layout.numLayouts, r + rowOff, c));
  OpBuilder b(op);
  auto type = RankedTensorType::get({1, mh, nq, nk}, b.getI1Type());
  Value mask = arith::ConstantOp::create(
      b, op.getLoc(), type, DenseElementsAttr::get(type, ArrayRef(keep)));
  if (failed(setDenseHeads(s, sparse)))
    return failure();
  op.getBlockMaskMutable().assign(mask);
  op.setBlockSizeAttr(b.getDenseI64ArrayAttr({bs, bs}));
  return success();
}

LogicalResult AttnSparsifyPass::applyDynamic(Site &s, ArrayRef<bool> sparse) {
  SdpaOp op = s.op;
  int64_t site = siteIndex(op);
  if (s.lq <= minQ)
    return success(); // short inputs stay dense (SALE: q_len <= 1024)
  if (op.getBlockMask())
    return op.emitError() << kPass << ": attention site " << site
                          << " already has a block mask";
  if (bq > s.lq || bk > s.lk)
    return op.emitError() << kPass << ": blocks of " << bq << "x" << bk
                          << " (block-q x block-k) do not fit attention site "
                          << site << " with " << s.lq << " queries and " << s.lk
                          << " keys";
  OpBuilder b(op);
  int64_t nq = (s.lq + bq - 1) / bq, nk = (s.lk + bk - 1) / bk;
  auto type = RankedTensorType::get({s.batch, s.hq, nq, nk}, b.getI1Type());
  bool moba = meth == BlockSelectMethod::moba,
       sla = meth == BlockSelectMethod::sla;
  auto select = BlockSelectOp::create(
      b, op.getLoc(), type, op.getQuery(), op.getKey(),
      BlockSelectMethodAttr::get(b.getContext(), meth), b.getI64IntegerAttr(bq),
      b.getI64IntegerAttr(bk), moba ? b.getI64IntegerAttr(topkV) : nullptr,
      sla ? b.getF64FloatAttr(ratio) : nullptr, b.getF64FloatAttr(tau),
      b.getI64IntegerAttr(sinkB), b.getI64IntegerAttr(localB),
      op.getScaleAttr(), CausalKindAttr::get(b.getContext(), op.getCausal()));
  if (failed(setDenseHeads(s, sparse)))
    return failure();
  op.getBlockMaskMutable().assign(select.getResult());
  op.setBlockSizeAttr(b.getDenseI64ArrayAttr({bq, bk}));
  return success();
}
