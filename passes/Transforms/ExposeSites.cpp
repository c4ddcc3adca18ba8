//===- ExposeSites.cpp - attn-expose-sites: site outputs and statistics ---===//
//
// Evaluation (`attune eval`) and head probing (`attune probe-heads`) need
// what happens inside the model: each attention site's output, how much of
// the score matrix a sparse form keeps and how much dense attention mass
// that covers, and the dense attention probabilities. This pass computes
// them in the graph, from the ops' own reference semantics
// (AttnDecompose.h), and returns them as extra named results of @main, so
// they run through the normal compile-and-run path.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnDecompose.h"
#include "passes/Transforms/Passes.h"
#include "passes/Transforms/SiteSelection.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include <limits>
#include <map>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEXPOSESITESPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr StringLiteral kPass = "attn-expose-sites";

/// True for ops that compute (part of) an attention site's output, as
/// opposed to helpers that carry the site index (block selection).
bool isSiteOp(Operation *op) {
  if (isa<BlockSelectOp>(op) || op->getNumResults() != 1)
    return false;
  auto t = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return t && t.getRank() == 4 && isa<FloatType>(t.getElementType());
}

/// Density and recall of one sdpa as f64 scalars (see the pass description).
struct Stats {
  Value density, recall;
};

class Exposer {
public:
  Exposer(func::FuncOp main, OpBuilder &b) : b(b), loc(main.getLoc()) {}

  Value f64(double v) {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  }

  /// Kept / visible entries and the dense mass on kept keys of `op`.
  FailureOr<Stats> sdpaStats(SdpaOp op) {
    if (!op.getWindow() && !op.getBlockMask())
      return Stats{f64(1.0), f64(1.0)};
    // The dense reference: the same attention without its rewrites.
    auto dense = SdpaOp::create(b, op.getLoc(), op.getType(), op.getQuery(),
                                op.getKey(), op.getValue(), op.getMask(),
                                op.getScaleAttr(), op.getCausal(),
                                op.getSoftcapAttr());
    FailureOr<Value> probs = buildAttentionProbabilities(b, dense);
    dense.erase();
    if (failed(probs))
      return failure();
    FailureOr<Value> keep = buildKeepMask(b, op, /*includeSparsity=*/true);
    FailureOr<Value> visible = buildKeepMask(b, op, /*includeSparsity=*/false);
    if (failed(keep) || failed(visible))
      return failure();

    // One pass over [B,H,Lq,Lk] with f64 accumulators (millions of terms).
    MLIRContext *ctx = b.getContext();
    Type f64t = b.getF64Type();
    auto scalar = RankedTensorType::get({}, f64t);
    Value zero = f64(0.0);
    SmallVector<Value> inits;
    for (int k = 0; k < 4; ++k)
      inits.push_back(
          linalg::FillOp::create(b, loc, ValueRange{zero},
                                 ValueRange{tensor::EmptyOp::create(
                                     b, loc, ArrayRef<int64_t>{}, f64t)})
              .getResult(0));
    AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
    AffineMap toScalar = AffineMap::get(4, 0, {}, ctx);
    auto red = utils::IteratorType::reduction;
    auto sums = linalg::GenericOp::create(
        b, loc, TypeRange{scalar, scalar, scalar, scalar},
        ValueRange{*probs, *keep, *visible}, inits,
        {id, id, id, toScalar, toScalar, toScalar, toScalar},
        {red, red, red, red}, [&](OpBuilder &nb, Location l, ValueRange a) {
          auto cf = [&](double v) {
            return arith::ConstantOp::create(nb, l, nb.getF64FloatAttr(v))
                .getResult();
          };
          Value p = a[0];
          if (p.getType() != f64t)
            p = arith::ExtFOp::create(nb, l, f64t, p);
          Value k = arith::SelectOp::create(nb, l, a[1], cf(1.0), cf(0.0));
          Value v = arith::SelectOp::create(nb, l, a[2], cf(1.0), cf(0.0));
          Value kp = arith::MulFOp::create(nb, l, k, p);
          linalg::YieldOp::create(
              nb, l,
              ValueRange{arith::AddFOp::create(nb, l, a[3], k),
                         arith::AddFOp::create(nb, l, a[4], v),
                         arith::AddFOp::create(nb, l, a[5], kp),
                         arith::AddFOp::create(nb, l, a[6], p)});
        });
    auto get = [&](unsigned i) {
      return tensor::ExtractOp::create(b, loc, sums.getResult(i), ValueRange{})
          .getResult();
    };
    Value kept = get(0), vis = get(1), mass = get(2), total = get(3);
    // Every row that sees a key sums to 1 under the dense softmax, so the
    // rounded total mass is the number of such rows.
    Value rows = math::RoundOp::create(b, loc, total);
    auto safeDiv = [&](Value num, Value den) {
      Value isZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           den, f64(0.0));
      Value q = arith::DivFOp::create(
          b, loc, num, arith::SelectOp::create(b, loc, isZero, f64(1.0), den));
      return arith::SelectOp::create(b, loc, isZero, f64(1.0), q).getResult();
    };
    return Stats{safeDiv(kept, vis), safeDiv(mass, rows)};
  }

  /// A [1] f32 tensor holding the f64 scalar `v`.
  Value asTensor(Value v) {
    Value f = arith::TruncFOp::create(b, loc, b.getF32Type(), v);
    return tensor::FromElementsOp::create(
        b, loc, RankedTensorType::get({1}, b.getF32Type()), ValueRange{f});
  }

private:
  OpBuilder &b;
  Location loc;
};

/// The value that combines the outputs of several ops of one site (head
/// split, hybrid sum): the first op, in block order, that depends on all of
/// them and has the site's full output shape.
Value combinedOutput(ArrayRef<Operation *> ops) {
  auto t0 = cast<RankedTensorType>(ops[0]->getResult(0).getType());
  int64_t heads = 0;
  for (Operation *op : ops)
    heads = std::max(
        heads, cast<RankedTensorType>(op->getResult(0).getType()).getDimSize(1));
  SetVector<Operation *> common;
  getForwardSlice(ops[0], &common);
  for (Operation *op : ops.drop_front()) {
    SetVector<Operation *> s;
    getForwardSlice(op, &s);
    common.remove_if([&](Operation *o) { return !s.contains(o); });
  }
  Operation *best = nullptr;
  for (Operation *op : common) {
    if (op->getNumResults() != 1 || op->getBlock() != ops[0]->getBlock())
      continue;
    auto t = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!t || t.getRank() != 4 || t.getDimSize(0) != t0.getDimSize(0) ||
        t.getDimSize(2) != t0.getDimSize(2) ||
        t.getDimSize(3) != t0.getDimSize(3) || t.getDimSize(1) < heads)
      continue;
    if (!best || op->isBeforeInBlock(best))
      best = op;
  }
  return best ? best->getResult(0) : Value();
}

struct AttnExposeSitesPass
    : public attn::impl::AttnExposeSitesPassBase<AttnExposeSitesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal() || !main.getBody().hasOneBlock()) {
      module.emitError() << kPass
                         << ": expected a func.func @main with one block";
      return signalPassFailure();
    }
    // Sites by index; ops without `attn.site` (hand-written IR) are numbered
    // after the indexed ones in program order.
    std::map<int64_t, SmallVector<Operation *>> sites;
    SmallVector<Operation *> unindexed;
    main.walk([&](Operation *op) {
      if (!op->getDialect() || op->getDialect()->getNamespace() != "attn" ||
          !isSiteOp(op))
        return;
      int64_t s = siteIndex(op);
      if (s >= 0)
        sites[s].push_back(op);
      else if (isa<SdpaOp>(op))
        unindexed.push_back(op);
    });
    int64_t next = sites.empty() ? 0 : sites.rbegin()->first + 1;
    for (Operation *op : unindexed)
      sites[next++].push_back(op);

    auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
    OpBuilder b(ret);
    Exposer ex(main, b);
    SmallVector<std::pair<std::string, Value>> results;
    for (auto &[idx, ops] : sites) {
      std::string name = "site" + std::to_string(idx);
      Value out =
          ops.size() == 1 ? ops[0]->getResult(0) : combinedOutput(ops);
      if (!out) {
        ops[0]->emitError() << kPass << ": cannot find the value that "
                            << "combines the " << ops.size()
                            << " ops of attention site " << idx;
        return signalPassFailure();
      }
      if (outputs)
        results.push_back({name + ".out", out});
      double heads = cast<RankedTensorType>(out.getType()).getDimSize(1);
      if (stats && failed(addStats(ex, b, name, ops, heads, results)))
        return signalPassFailure();
      if (probs && ops.size() == 1)
        if (auto op = dyn_cast<SdpaOp>(ops[0])) {
          auto dense = SdpaOp::create(
              b, op.getLoc(), op.getType(), op.getQuery(), op.getKey(),
              op.getValue(), op.getMask(), op.getScaleAttr(), op.getCausal(),
              op.getSoftcapAttr());
          FailureOr<Value> p = buildAttentionProbabilities(b, dense);
          dense.erase();
          if (failed(p))
            return signalPassFailure();
          results.push_back({name + ".probs", *p});
        }
    }
    MLIRContext *ctx = module.getContext();
    llvm::SmallPtrSet<Value, 8> returned(ret.getOperands().begin(),
                                          ret.getOperands().end());
    for (auto &[name, v] : results) {
      // A value returned twice (a site output that is also a model output)
      // gets its own copy: buffer-results-to-out-params crashes when one
      // buffer is returned twice.
      if (!returned.insert(v).second && !v.getDefiningOp<arith::ConstantOp>()) {
        // (A linalg.copy into tensor.empty bufferizes in place; an
        // alloc_tensor with a copy is always a new buffer.)
        v = bufferization::AllocTensorOp::create(
            b, v.getLoc(), cast<RankedTensorType>(v.getType()), ValueRange{},
            /*copy=*/v);
        returned.insert(v);
      }
      unsigned i = main.getNumResults();
      auto attrs = DictionaryAttr::get(
          ctx, {NamedAttribute(StringAttr::get(ctx, "onnx.name"),
                               StringAttr::get(ctx, name))});
      if (failed(main.insertResult(i, v.getType(), attrs)))
        return signalPassFailure();
      ret.getOperandsMutable().append(v);
    }
  }

private:
  /// density/recall of a site: its sdpa parts weighted by their heads; linear
  /// and agent parts compute no scores (density 0 next to sdpa parts) and
  /// have no recall; a site with no sdpa part has neither (NaN: not a
  /// score-matrix form).
  /// `heads`: query heads of the whole site (a hybrid's sdpa and linear
  /// parts each cover all of them; a head split divides them).
  LogicalResult addStats(Exposer &ex, OpBuilder &b, const std::string &name,
                         ArrayRef<Operation *> ops, double heads,
                         SmallVector<std::pair<std::string, Value>> &results) {
    Location loc = ops[0]->getLoc();
    Value dSum = ex.f64(0.0), rSum = ex.f64(0.0);
    bool allSdpa = true, anySdpa = false;
    for (Operation *op : ops) {
      double h = cast<RankedTensorType>(op->getResult(0).getType()).getDimSize(1);
      auto sdpa = dyn_cast<SdpaOp>(op);
      if (!sdpa) {
        allSdpa = false;
        continue;
      }
      anySdpa = true;
      FailureOr<Stats> s = ex.sdpaStats(sdpa);
      if (failed(s))
        return failure();
      dSum = arith::AddFOp::create(
          b, loc, dSum, arith::MulFOp::create(b, loc, s->density, ex.f64(h)));
      rSum = arith::AddFOp::create(
          b, loc, rSum, arith::MulFOp::create(b, loc, s->recall, ex.f64(h)));
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    Value density =
        anySdpa
            ? arith::DivFOp::create(b, loc, dSum, ex.f64(heads)).getResult()
            : ex.f64(nan);
    Value recall =
        allSdpa ? arith::DivFOp::create(b, loc, rSum, ex.f64(heads)).getResult()
                : ex.f64(nan);
    results.push_back({name + ".density", ex.asTensor(density)});
    results.push_back({name + ".recall", ex.asTensor(recall)});
    return success();
  }
};
} // namespace
