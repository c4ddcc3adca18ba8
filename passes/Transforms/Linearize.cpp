//===- Linearize.cpp - attn-linearize: linear attention rewrites ---------===//
//
// Replaces dense `attn.sdpa` sites by the linear forms of METHODS.md:
// kernelized (elu+1, relu), MALA, Lightning (causal, chunked, decay), agent
// attention, and the SLA sparse + linear hybrid. The math lives on the ops
// (`attn.linear`, `attn.agent`, `attn.block_select`); this pass picks sites
// and heads, checks that the site's semantics can be carried over (causal
// alignment, masks, softcap) and splits heads: the selected heads are sliced
// out of Q/K/V and linearized, the others keep softmax attention.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/Passes.h"
#include "passes/Transforms/OptionChecks.h"
#include "passes/Transforms/SiteSelection.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLINEARIZEPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr StringLiteral kPass = "attn-linearize";

enum class Kind { Elu1, Relu, Mala, Lightning, Agent, Hybrid, Unknown };

/// Slices tensors along the head axis (dim 1, or `axis`) and stitches them
/// back.
struct HeadSlicer {
  OpBuilder &b;
  Location loc;

  /// offsets 0 / full sizes / unit strides of `t`, with [at, at + n) on axis.
  void box(RankedTensorType t, unsigned axis, int64_t at, int64_t n,
           SmallVector<OpFoldResult> &offs, SmallVector<OpFoldResult> &sizes,
           SmallVector<OpFoldResult> &strides) {
    offs.assign(t.getRank(), b.getIndexAttr(0));
    strides.assign(t.getRank(), b.getIndexAttr(1));
    sizes.clear();
    for (int64_t d : t.getShape())
      sizes.push_back(b.getIndexAttr(d));
    offs[axis] = b.getIndexAttr(at);
    if (n >= 0)
      sizes[axis] = b.getIndexAttr(n);
  }
  Value slice(Value x, int64_t h0, int64_t n, unsigned axis = 1) {
    SmallVector<OpFoldResult> offs, sizes, strides;
    box(cast<RankedTensorType>(x.getType()), axis, h0, n, offs, sizes, strides);
    return tensor::ExtractSliceOp::create(b, loc, x, offs, sizes, strides);
  }
  /// `x` inserted into `dest` at `at` along `axis`.
  Value insert(Value x, Value dest, int64_t at, unsigned axis = 1) {
    SmallVector<OpFoldResult> offs, sizes, strides;
    box(cast<RankedTensorType>(x.getType()), axis, at, -1, offs, sizes,
        strides);
    return tensor::InsertSliceOp::create(b, loc, x, dest, offs, sizes, strides);
  }
  /// Concatenates pieces along `axis`.
  Value concat(ArrayRef<Value> pieces, unsigned axis) {
    if (pieces.size() == 1)
      return pieces[0];
    auto t0 = cast<RankedTensorType>(pieces[0].getType());
    SmallVector<int64_t> shape(t0.getShape());
    shape[axis] = 0;
    for (Value p : pieces)
      shape[axis] += cast<RankedTensorType>(p.getType()).getDimSize(axis);
    Value acc = tensor::EmptyOp::create(b, loc, shape, t0.getElementType());
    int64_t at = 0;
    for (Value p : pieces) {
      acc = insert(p, acc, at, axis);
      at += cast<RankedTensorType>(p.getType()).getDimSize(axis);
    }
    return acc;
  }
  /// Heads `heads` of `x` along `axis`, in order; consecutive heads are
  /// sliced together.
  Value gather(Value x, ArrayRef<int64_t> heads, unsigned axis = 1) {
    int64_t n = cast<RankedTensorType>(x.getType()).getDimSize(axis);
    if (static_cast<int64_t>(heads.size()) == n && heads.front() == 0 &&
        heads.back() == n - 1)
      return x; // sorted and unique: every head, in order
    SmallVector<Value> pieces;
    for (size_t i = 0; i < heads.size();) {
      size_t j = i + 1;
      while (j < heads.size() && heads[j] == heads[j - 1] + 1)
        ++j;
      pieces.push_back(slice(x, heads[i], j - i, axis));
      i = j;
    }
    return concat(pieces, axis);
  }
};

/// Runs of consecutive heads; true when every run starts and ends on a GQA
/// group boundary (so the kv heads can be sliced group-wise).
bool groupAligned(ArrayRef<int64_t> heads, int64_t g) {
  for (size_t i = 0; i < heads.size();) {
    size_t j = i + 1;
    while (j < heads.size() && heads[j] == heads[j - 1] + 1)
      ++j;
    if (heads[i] % g != 0 || (heads[j - 1] + 1) % g != 0)
      return false;
    i = j;
  }
  return true;
}

struct AttnLinearizePass
    : public attn::impl::AttnLinearizePassBase<AttnLinearizePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions(module)))
      return signalPassFailure();
    if (failed(requireSites(module, kPass, "linearize")))
      return signalPassFailure();
    FailureOr<SmallVector<SdpaOp>> sites = selectSites(module, layers, kPass);
    if (failed(sites))
      return signalPassFailure();
    for (SdpaOp op : *sites)
      if (failed(rewriteSite(op)))
        return signalPassFailure();
  }

private:
  LogicalResult checkOptions(ModuleOp module);
  LogicalResult checkSite(SdpaOp op);
  LogicalResult rewriteSite(SdpaOp op);
  /// The linear (or agent) op on already sliced q/k/v for query heads
  /// `heads` of the site.
  Value buildLinear(OpBuilder &b, SdpaOp op, Value q, Value k, Value v,
                    ArrayRef<int64_t> heads, Value exclude);

  Kind kind = Kind::Unknown;
};
} // namespace

LogicalResult AttnLinearizePass::checkOptions(ModuleOp module) {
  kind = llvm::StringSwitch<Kind>(feature)
             .Case("elu1", Kind::Elu1)
             .Case("relu", Kind::Relu)
             .Case("mala", Kind::Mala)
             .Case("lightning", Kind::Lightning)
             .Case("agent", Kind::Agent)
             .Case("hybrid", Kind::Hybrid)
             .Default(Kind::Unknown);
  auto fail = [&]() { return module.emitError() << kPass << ": "; };
  if (kind == Kind::Unknown)
    return fail() << "unknown feature '" << feature
                  << "'; expected elu1, relu, mala, lightning, agent or hybrid";
  // Options of another feature map are errors, not silently ignored.
  StrayOption stray;
  stray.check(agents, kind == Kind::Agent)
      .check(blockSize, kind == Kind::Hybrid)
      .check(topkRatio, kind == Kind::Hybrid)
      .check(kernel, kind == Kind::Hybrid);
  if (!stray.name.empty())
    return fail() << stray.name << " does not apply to feature=" << feature;
  if (chunk <= 0)
    return fail() << "chunk must be positive, got "
                  << static_cast<int64_t>(chunk);
  if (!decay.empty() && kind != Kind::Lightning)
    return fail() << "decay applies to feature=lightning only";
  for (double d : decay)
    if (!(d >= 0.0) || !std::isfinite(d))
      return fail() << "decay values must be finite and >= 0, got " << d;
  if (!(scale >= 0.0) || !std::isfinite(scale))
    return fail() << "scale must be finite and > 0 (0 = default), got "
                  << static_cast<double>(scale);
  if (scale != 0.0 &&
      (kind == Kind::Elu1 || kind == Kind::Relu || kind == Kind::Hybrid))
    return fail() << "scale applies to mala, lightning and agent; the "
                     "kernelized form's normalization has no scale";
  if (kind == Kind::Agent && agents <= 0)
    return fail() << "agents must be positive, got "
                  << static_cast<int64_t>(agents);
  if (kind == Kind::Hybrid) {
    if (blockSize <= 0)
      return fail() << "block-size must be positive, got "
                    << static_cast<int64_t>(blockSize);
    if (!(topkRatio > 0.0 && topkRatio <= 1.0))
      return fail() << "topk-ratio must be in (0, 1], got "
                    << static_cast<double>(topkRatio);
    if (kernel != "elu1" && kernel != "relu")
      return fail() << "unknown kernel '" << kernel
                    << "'; expected elu1 or relu";
  }
  return success();
}

LogicalResult AttnLinearizePass::checkSite(SdpaOp op) {
  auto q = op.getQuery().getType(), k = op.getKey().getType(),
       v = op.getValue().getType();
  auto fail = [&]() {
    return op.emitError() << kPass << ": attention site " << siteIndex(op)
                          << ": ";
  };
  if (!q.hasStaticShape() || !k.hasStaticShape() || !v.hasStaticShape())
    return fail() << "needs static shapes";
  if (op.hasRewrites())
    return fail() << "already carries a sparse or calibrated rewrite; "
                     "linearize it before other rewrites";
  int64_t lq = q.getDimSize(2), lk = k.getDimSize(2), hq = q.getDimSize(1);
  bool causal = op.getCausal() != CausalKind::none;
  if (!ignoreMask && op.getMask())
    return fail() << "has a "
                  << (isa<FloatType>(
                          cast<RankedTensorType>(op.getMask().getType())
                              .getElementType())
                          ? "additive"
                          : "boolean")
                  << " mask, which linear attention cannot express; pass "
                     "ignore-mask=true to drop it from the linear term";
  if (!ignoreMask && op.getSoftcap())
    return fail() << "has a softcap, which linear attention cannot express; "
                     "pass ignore-mask=true to drop it from the linear term";
  if (op.getCausal() == CausalKind::top_left && lq != lk)
    return fail() << "is causal top-left with Lq (" << lq << ") != Lk (" << lk
                  << "); the linear forms are bottom-right aligned";
  if (causal && lq > lk)
    return fail() << "is causal with more queries (" << lq << ") than keys ("
                  << lk << ")";
  if (kind == Kind::Lightning && !causal)
    return fail() << "is not causal; lightning attention is a causal form";
  if (kind == Kind::Agent && causal)
    return fail() << "is causal; agent attention has no causal form";
  if (kind == Kind::Agent && agents > lq)
    return fail() << "agents (" << static_cast<int64_t>(agents)
                  << ") exceeds the query length (" << lq << ")";
  if (!decay.empty() && decay.size() != 1 &&
      static_cast<int64_t>(decay.size()) != hq)
    return fail() << "decay has " << decay.size()
                  << " values; expected 1 or one per query head (" << hq << ")";
  if (kind == Kind::Hybrid && blockSize > lk)
    return fail() << "block-size " << static_cast<int64_t>(blockSize)
                  << " does not fit the key length " << lk;
  return success();
}

Value AttnLinearizePass::buildLinear(OpBuilder &b, SdpaOp op, Value q, Value k,
                                     Value v, ArrayRef<int64_t> heads,
                                     Value exclude) {
  MLIRContext *ctx = b.getContext();
  Location loc = op.getLoc();
  auto qt = cast<RankedTensorType>(q.getType());
  auto vt = cast<RankedTensorType>(v.getType());
  auto rt = RankedTensorType::get(
      {qt.getDimSize(0), qt.getDimSize(1), qt.getDimSize(2), vt.getDimSize(3)},
      qt.getElementType());
  FloatAttr siteScale = b.getF64FloatAttr(op.getEffectiveScale());
  FloatAttr userScale = scale > 0.0 ? b.getF64FloatAttr(scale) : FloatAttr();
  Operation *created;
  if (kind == Kind::Agent) {
    created = AgentOp::create(b, loc, rt, q, k, v, b.getI64IntegerAttr(agents),
                              userScale ? userScale : siteScale);
  } else {
    LinearVariant variant = kind == Kind::Mala ? LinearVariant::mala
                            : kind == Kind::Lightning
                                ? LinearVariant::lightning
                                : LinearVariant::kernelized;
    FeatureMap fm =
        (kind == Kind::Relu || (kind == Kind::Hybrid && kernel == "relu"))
            ? FeatureMap::relu
            : FeatureMap::elu1;
    FloatAttr s;
    if (kind == Kind::Mala)
      s = userScale ? userScale : siteScale;
    else if (kind == Kind::Lightning)
      s = userScale;
    DenseF64ArrayAttr decayAttr;
    if (!decay.empty()) {
      SmallVector<double> d;
      if (decay.size() == 1)
        d.push_back(decay[0]);
      else
        for (int64_t h : heads)
          d.push_back(decay[h]);
      decayAttr = b.getDenseF64ArrayAttr(d);
    }
    bool causal = op.getCausal() != CausalKind::none;
    DenseI64ArrayAttr bs;
    if (exclude)
      bs = b.getDenseI64ArrayAttr({blockSize, blockSize});
    created = LinearOp::create(
        b, loc, rt, q, k, v, exclude, LinearVariantAttr::get(ctx, variant),
        FeatureMapAttr::get(ctx, fm), causal ? b.getUnitAttr() : UnitAttr(),
        b.getI64IntegerAttr(chunk), decayAttr, s, bs);
  }
  if (auto site = op->getAttr("attn.site"))
    created->setAttr("attn.site", site);
  return created->getResult(0);
}

LogicalResult AttnLinearizePass::rewriteSite(SdpaOp op) {
  if (failed(checkSite(op)))
    return failure();
  FailureOr<std::optional<SmallVector<int64_t>>> chosen =
      selectHeads(op, heads, kPass);
  if (failed(chosen))
    return failure();
  int64_t hq = op.getQuery().getType().getDimSize(1);
  int64_t g = op.getGroupSize();
  SmallVector<int64_t> sel, rest;
  for (int64_t h = 0; h < hq; ++h)
    (!*chosen || llvm::is_contained(**chosen, h) ? sel : rest).push_back(h);
  if (sel.empty())
    return success();

  OpBuilder b(op);
  Location loc = op.getLoc();
  HeadSlicer hs{b, loc};
  RankedTensorType rt = op.getResult().getType();
  Attribute site = op->getAttr("attn.site");

  // Q/K/V of a head subset; kv heads are sliced group-wise when the subset
  // is made of whole GQA groups, else repeated per query head.
  auto operands = [&](ArrayRef<int64_t> hs_) {
    int64_t div = groupAligned(hs_, g) ? g : 1;
    SmallVector<int64_t> kvHeads;
    if (div == g) {
      for (int64_t h : hs_)
        if (h % g == 0)
          kvHeads.push_back(h / g);
    } else {
      for (int64_t h : hs_)
        kvHeads.push_back(h / g);
    }
    return std::make_tuple(hs.gather(op.getQuery(), hs_),
                           hs.gather(op.getKey(), kvHeads),
                           hs.gather(op.getValue(), kvHeads));
  };
  // The mask restricted to a head subset (only a per-head mask changes).
  auto maskFor = [&](ArrayRef<int64_t> hs_) -> Value {
    Value m = op.getMask();
    if (!m)
      return m;
    // Right-aligned broadcast: the head axis is rank - 3.
    auto mt = cast<RankedTensorType>(m.getType());
    if (mt.getRank() < 3 || mt.getDimSize(mt.getRank() - 3) == 1)
      return m;
    return hs.gather(m, hs_, mt.getRank() - 3);
  };
  // Places `part` (heads `partHeads`) and `other` (the remaining heads) into
  // one [B, Hq, Lq, Dv] tensor in head order.
  auto assemble = [&](Value part, ArrayRef<int64_t> partHeads, Value other) {
    Value out =
        tensor::EmptyOp::create(b, loc, rt.getShape(), rt.getElementType());
    int64_t ip = 0, io = 0;
    for (int64_t h = 0; h < hq;) {
      bool inPart = llvm::is_contained(partHeads, h);
      int64_t n = 1;
      while (h + n < hq && llvm::is_contained(partHeads, h + n) == inPart)
        ++n;
      Value piece = hs.slice(inPart ? part : other, inPart ? ip : io, n);
      (inPart ? ip : io) += n;
      out = hs.insert(piece, out, h);
      h += n;
    }
    return out;
  };
  auto sdpaOn = [&](Value q, Value k, Value v, Value mask, Value blockMask,
                    DenseI64ArrayAttr denseHeads) {
    auto qt = cast<RankedTensorType>(q.getType());
    auto t = RankedTensorType::get({qt.getDimSize(0), qt.getDimSize(1),
                                    qt.getDimSize(2), rt.getDimSize(3)},
                                   rt.getElementType());
    auto s = SdpaOp::create(
        b, loc, t, q, k, v, mask, blockMask, op.getScaleAttr(),
        op.getCausalAttr(), op.getSoftcapAttr(), /*window=*/nullptr,
        blockMask ? b.getDenseI64ArrayAttr({blockSize, blockSize})
                  : DenseI64ArrayAttr(),
        denseHeads, /*compensation=*/nullptr, /*score_mod=*/nullptr,
        /*score_mod_heads=*/nullptr);
    if (site)
      s->setAttr("attn.site", site);
    return s.getResult();
  };

  Value result;
  if (kind == Kind::Hybrid) {
    // SLA: block map for every head; the sdpa computes the kept blocks
    // (heads outside the selection are its dense_heads), the linear term the
    // rest of the selected heads.
    auto qt = op.getQuery().getType();
    int64_t nq = (qt.getDimSize(2) + blockSize - 1) / blockSize;
    int64_t nk =
        (op.getKey().getType().getDimSize(2) + blockSize - 1) / blockSize;
    auto bmT =
        RankedTensorType::get({qt.getDimSize(0), hq, nq, nk}, b.getI1Type());
    Value bm = BlockSelectOp::create(
        b, loc, bmT, op.getQuery(), op.getKey(),
        BlockSelectMethodAttr::get(b.getContext(), BlockSelectMethod::sla),
        b.getI64IntegerAttr(blockSize), b.getI64IntegerAttr(blockSize),
        /*topk=*/nullptr, b.getF64FloatAttr(topkRatio),
        b.getF64FloatAttr(0.004), b.getI64IntegerAttr(0),
        b.getI64IntegerAttr(0), op.getScaleAttr(), op.getCausalAttr());
    Value sparse = sdpaOn(
        op.getQuery(), op.getKey(), op.getValue(), op.getMask(), bm,
        rest.empty() ? DenseI64ArrayAttr() : b.getDenseI64ArrayAttr(rest));
    auto [q, k, v] = operands(sel);
    Value lin = buildLinear(b, op, q, k, v, sel, hs.gather(bm, sel));
    if (!rest.empty()) {
      SmallVector<int64_t> zshape(rt.getShape());
      zshape[1] = rest.size();
      Value zero = arith::ConstantOp::create(
          b, loc, b.getFloatAttr(rt.getElementType(), 0.0));
      Value z =
          linalg::FillOp::create(b, loc, ValueRange{zero},
                                 ValueRange{tensor::EmptyOp::create(
                                     b, loc, zshape, rt.getElementType())})
              .getResult(0);
      lin = assemble(lin, sel, z);
    }
    Value init =
        tensor::EmptyOp::create(b, loc, rt.getShape(), rt.getElementType());
    result =
        linalg::AddOp::create(b, loc, ValueRange{sparse, lin}, ValueRange{init})
            .getResult(0);
  } else if (rest.empty()) {
    result = buildLinear(b, op, op.getQuery(), op.getKey(), op.getValue(), sel,
                         Value());
  } else {
    auto [q, k, v] = operands(sel);
    Value lin = buildLinear(b, op, q, k, v, sel, Value());
    auto [qr, kr, vr] = operands(rest);
    Value dense =
        sdpaOn(qr, kr, vr, maskFor(rest), Value(), DenseI64ArrayAttr());
    result = assemble(lin, sel, dense);
  }
  op.getResult().replaceAllUsesWith(result);
  op.erase();
  return success();
}
