//===- AttnRecycle.cpp - attn.recycle verifier and reference semantics ---===//
//
// Recycled Attention (RefreshKV) at decode time: the verifier of
// `attn.recycle` and its reference decomposition. The decomposition builds
// the step's keep mask from the carried state, folds it into an `attn.sdpa`
// and reuses that op's decomposition, so the attention math is defined in
// one place; the state update (schedule decision, pooled GQA top-K) is plain
// linalg and scf on tensors. Everything is computed for both the full and the
// partial case and selected per batch element: a reference, not a kernel.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnDecompose.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

int64_t RecycleOp::getGroupSize() {
  int64_t hq = getQuery().getType().getDimSize(1);
  int64_t hkv = getKey().getType().getDimSize(1);
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) || hkv == 0)
    return 1;
  return hq / hkv;
}

double RecycleOp::getEffectiveScale() {
  if (auto s = getScale())
    return s->convertToDouble();
  int64_t d = getQuery().getType().getDimSize(3);
  return 1.0 / std::sqrt(static_cast<double>(d));
}

/// The dense attention of the step as an sdpa (not inserted anywhere: used
/// to run the sdpa verifier on the attention operands).
static SdpaOp denseSdpa(OpBuilder &b, RecycleOp op, Value q, Value mask,
                        CausalKind causal) {
  auto qt = cast<RankedTensorType>(q.getType());
  auto vt = op.getValue().getType();
  auto rt = RankedTensorType::get(
      {qt.getDimSize(0), qt.getDimSize(1), qt.getDimSize(2), vt.getDimSize(3)},
      qt.getElementType());
  return SdpaOp::create(b, op.getLoc(), rt, q, op.getKey(), op.getValue(), mask,
                        op.getScaleAttr(), causal, op.getSoftcapAttr());
}

LogicalResult RecycleOp::verify() {
  RankedTensorType q = getQuery().getType(), k = getKey().getType();
  if (q.getRank() != 4 || k.getRank() != 4 ||
      getValue().getType().getRank() != 4)
    return emitOpError("expected rank-4 query, key and value ([batch, heads, "
                       "seq, head_dim])");
  if (!q.hasStaticShape() || !k.hasStaticShape())
    return emitOpError("expected static query and key shapes");
  // The attention operands must form a valid sdpa: check them with its
  // verifier on a detached op.
  {
    OpBuilder b(getContext());
    OwningOpRef<SdpaOp> probe =
        denseSdpa(b, *this, getQuery(), getMask(), getCausal());
    if (failed(probe->verify()))
      return failure();
    if (probe->getResult().getType() != getResult().getType())
      return emitOpError() << "expected result type "
                           << probe->getResult().getType() << ", got "
                           << getResult().getType();
  }
  int64_t batch = q.getDimSize(0), hkv = k.getDimSize(1), d = q.getDimSize(3);
  auto expect = [&](Value v, StringRef name, ArrayRef<int64_t> shape,
                    Type elt) -> LogicalResult {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getShape() != shape || t.getElementType() != elt)
      return emitOpError() << "expected " << name << " of type "
                           << RankedTensorType::get(shape, elt) << ", got "
                           << t;
    return success();
  };
  Type i64 = IntegerType::get(getContext(), 64);
  auto kt = getKeptIndices().getType();
  if (kt.getRank() != 3 || kt.isDynamicDim(2) || kt.getDimSize(2) < 1)
    return emitOpError() << "expected kept_indices of shape [batch, kv_heads, "
                            "K] with a static K >= 1, got "
                         << kt;
  if (failed(expect(getKeptIndices(), "kept_indices",
                    {batch, hkv, kt.getDimSize(2)}, i64)) ||
      failed(expect(getFullLen(), "full_len", {batch}, i64)) ||
      failed(expect(getStep(), "step", {batch}, i64)) ||
      failed(
          expect(getRefQuery(), "ref_query", {batch, d}, q.getElementType())))
    return failure();
  if (getStride() < 1)
    return emitOpError() << "expected stride >= 1, got " << getStride();
  if (getCheckEvery() < 1)
    return emitOpError() << "expected check_every >= 1, got "
                         << getCheckEvery();
  if (getPool() < 1)
    return emitOpError() << "expected pool >= 1, got " << getPool();
  if (auto heads = getDenseHeads())
    for (int64_t h : *heads)
      if (h < 0 || h >= q.getDimSize(1))
        return emitOpError() << "dense_heads: head " << h
                             << " out of range [0, " << q.getDimSize(1) << ")";
  return success();
}

namespace {
using utils::IteratorType;

/// Builds the decomposition; loops and maps follow AttnDecompose.cpp.
class RecycleBuilder {
public:
  RecycleBuilder(RecycleOp op, OpBuilder &b)
      : op(op), b(b), loc(op.getLoc()), ctx(op.getContext()) {
    auto qt = op.getQuery().getType();
    et = cast<FloatType>(qt.getElementType());
    acc = et.getWidth() < 32 ? b.getF32Type() : et;
    batch = qt.getDimSize(0);
    hq = qt.getDimSize(1);
    lq = qt.getDimSize(2);
    dim = qt.getDimSize(3);
    hkv = op.getKey().getType().getDimSize(1);
    lk = op.getKey().getType().getDimSize(2);
    topk = op.getTopK();
    group = op.getGroupSize();
  }

  /// With `attention` set, the step's output comes from it (given the
  /// per-batch full-step flags) instead of the masked reference sdpa, and the
  /// full-step work (last-row probabilities, top-K) runs only when some batch
  /// element takes a full step, so partial steps never read the whole cache.
  FailureOr<SmallVector<Value>> build(RecycleAttentionFn attention = nullptr,
                                      RecycleTopKFn kernelTopK = nullptr);

private:
  AffineMap map(unsigned n, ArrayRef<AffineExpr> e) {
    return AffineMap::get(n, 0, e, ctx);
  }
  AffineExpr dim_(unsigned i) { return getAffineDimExpr(i, ctx); }
  Value fcst(OpBuilder &nb, Location l, double v) {
    return arith::ConstantOp::create(nb, l, acc, nb.getFloatAttr(acc, v));
  }
  Value icst(OpBuilder &nb, Location l, int64_t v) {
    return arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(v));
  }
  Value toAcc(OpBuilder &nb, Location l, Value v) {
    return v.getType() == acc ? v : arith::ExtFOp::create(nb, l, acc, v);
  }
  Value fill(ArrayRef<int64_t> shape, Type t, TypedAttr v) {
    Value init = tensor::EmptyOp::create(b, loc, shape, t);
    Value c = arith::ConstantOp::create(b, loc, v);
    return linalg::FillOp::create(b, loc, ValueRange{c}, ValueRange{init})
        .getResult(0);
  }
  /// One linalg.generic with a single result.
  Value generic(Value init, ValueRange ins, ArrayRef<AffineMap> maps,
                ArrayRef<IteratorType> iters,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    return linalg::GenericOp::create(
               b, loc, init.getType(), ins, ValueRange{init}, maps, iters,
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 linalg::YieldOp::create(nb, nl, body(nb, nl, a));
               })
        .getResult(0);
  }
  Value headMeanQuery();
  Value fullStep(Value qbar);
  Value keepMask(Value full);
  FailureOr<Value> maskedOutput(Value keep);
  FailureOr<Value> lastRowProbabilities();
  Value topK(Value probs);
  Value selectTopK(Value score);

  RecycleOp op;
  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  FloatType et, acc;
  int64_t batch, hq, lq, dim, hkv, lk, topk, group;
};
} // namespace

/// qbar[b, d] = mean_h Q[b, h, Lq-1, d], in the accumulation type.
Value RecycleBuilder::headMeanQuery() {
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  Value init = fill({batch, dim}, acc, b.getFloatAttr(acc, 0.0));
  AffineExpr last = getAffineConstantExpr(lq - 1, ctx);
  return generic(
      init, {op.getQuery()},
      {map(3, {dim_(0), dim_(2), last, dim_(1)}), map(3, {dim_(0), dim_(1)})},
      {par, par, red}, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value q =
            arith::MulFOp::create(nb, l, toAcc(nb, l, a[0]),
                                  fcst(nb, l, 1.0 / static_cast<double>(hq)));
        return arith::AddFOp::create(nb, l, a[1], q).getResult();
      });
}

/// full[b] (i1): the schedule's decision for this step.
Value RecycleBuilder::fullStep(Value qbar) {
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  bool similarity = op.getSchedule() == RecycleSchedule::similarity;
  Value cosine;
  if (similarity) {
    // dot, |qbar|^2, |ref|^2 per batch element.
    Value z = fill({batch}, acc, b.getFloatAttr(acc, 0.0));
    auto sums = linalg::GenericOp::create(
        b, loc, TypeRange{z.getType(), z.getType(), z.getType()},
        ValueRange{qbar, op.getRefQuery()}, ValueRange{z, z, z},
        {map(2, {dim_(0), dim_(1)}), map(2, {dim_(0), dim_(1)}),
         map(2, {dim_(0)}), map(2, {dim_(0)}), map(2, {dim_(0)})},
        {par, red}, [&](OpBuilder &nb, Location l, ValueRange a) {
          Value x = a[0], r = toAcc(nb, l, a[1]);
          auto mac = [&](Value s, Value u, Value v) {
            return arith::AddFOp::create(nb, l, s,
                                         arith::MulFOp::create(nb, l, u, v))
                .getResult();
          };
          linalg::YieldOp::create(
              nb, l,
              ValueRange{mac(a[2], x, r), mac(a[3], x, x), mac(a[4], r, r)});
        });
    Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch}, acc);
    cosine = generic(
        init, sums.getResults(),
        {map(1, {dim_(0)}), map(1, {dim_(0)}), map(1, {dim_(0)}),
         map(1, {dim_(0)})},
        {par}, [&](OpBuilder &nb, Location l, ValueRange a) {
          Value den = math::SqrtOp::create(
              nb, l, arith::MulFOp::create(nb, l, a[1], a[2]));
          Value zero = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLE,
                                             den, fcst(nb, l, 0.0));
          Value safe =
              arith::SelectOp::create(nb, l, zero, fcst(nb, l, 1.0), den);
          Value c = arith::DivFOp::create(nb, l, a[0], safe);
          return arith::SelectOp::create(nb, l, zero, fcst(nb, l, 0.0), c)
              .getResult();
        });
  }
  Value init =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch}, b.getI1Type());
  SmallVector<Value> ins = {op.getStep()};
  if (cosine)
    ins.push_back(cosine);
  SmallVector<AffineMap> maps(ins.size() + 1, map(1, {dim_(0)}));
  int64_t stride = op.getStride(), every = op.getCheckEvery();
  double threshold = op.getThreshold().convertToDouble();
  return generic(
      init, ins, maps, {par}, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value step = a[0];
        Value noState = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle,
                                              step, icst(nb, l, 0));
        Value refresh;
        if (!similarity) {
          refresh = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge,
                                          step, icst(nb, l, stride));
        } else {
          Value rem = arith::RemSIOp::create(nb, l, step, icst(nb, l, every));
          Value check = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                              rem, icst(nb, l, 0));
          Value low = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT,
                                            a[1], fcst(nb, l, threshold));
          refresh = arith::AndIOp::create(nb, l, check, low);
        }
        return arith::OrIOp::create(nb, l, noState, refresh).getResult();
      });
}

/// keep[b, h, i, j] (i1): the step's sparsity (before mask and causality).
Value RecycleBuilder::keepMask(Value full) {
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  // inKept[b, g, j] = exists r: kept_indices[b, g, r] == j.
  Value f =
      fill({batch, hkv, lk}, b.getI1Type(), b.getIntegerAttr(b.getI1Type(), 0));
  Value inKept = generic(
      f, {op.getKeptIndices()},
      {map(4, {dim_(0), dim_(1), dim_(3)}),
       map(4, {dim_(0), dim_(1), dim_(2)})},
      {par, par, par, red}, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value j = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                             linalg::IndexOp::create(nb, l, 2));
        Value hit =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, a[0], j);
        return arith::OrIOp::create(nb, l, a[1], hit).getResult();
      });
  SmallVector<bool> dense(hq, false);
  if (auto heads = op.getDenseHeads())
    for (int64_t h : *heads)
      dense[h] = true;
  Value denseFlags = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({hq}, b.getI1Type()),
                             ArrayRef(dense)));
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{batch, hq, lq, lk}, b.getI1Type());
  AffineExpr g = group == 1 ? dim_(1) : dim_(1).floorDiv(group);
  return generic(
      init, {full, op.getFullLen(), inKept, denseFlags},
      {map(4, {dim_(0)}), map(4, {dim_(0)}), map(4, {dim_(0), g, dim_(3)}),
       map(4, {dim_(1)}), map(4, {dim_(0), dim_(1), dim_(2), dim_(3)})},
      {par, par, par, par}, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value j = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                             linalg::IndexOp::create(nb, l, 3));
        Value recent =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, j, a[1]);
        Value k = arith::OrIOp::create(nb, l, a[0], recent);
        k = arith::OrIOp::create(nb, l, k, a[2]);
        return arith::OrIOp::create(nb, l, k, a[3]).getResult();
      });
}

/// The attention output: an sdpa whose mask also drops what `keep` drops.
FailureOr<Value> RecycleBuilder::maskedOutput(Value keep) {
  auto par = IteratorType::parallel;
  Value mask = op.getMask();
  Value combined = keep;
  if (mask) {
    auto mt = cast<RankedTensorType>(mask.getType());
    Type me = mt.getElementType();
    int64_t target[4] = {batch, hq, lq, lk};
    SmallVector<AffineExpr> exprs;
    for (int64_t k = 0, r = mt.getRank(); k < r; ++k) {
      int64_t td = 4 - r + k;
      exprs.push_back(mt.getDimSize(k) == 1 && target[td] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : dim_(td));
    }
    Value init = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{batch, hq, lq, lk}, me);
    bool boolean = me.isInteger(1);
    combined = generic(
        init, {mask, keep},
        {map(4, exprs), map(4, {dim_(0), dim_(1), dim_(2), dim_(3)}),
         map(4, {dim_(0), dim_(1), dim_(2), dim_(3)})},
        {par, par, par, par}, [&](OpBuilder &nb, Location l, ValueRange a) {
          if (boolean)
            return arith::AndIOp::create(nb, l, a[0], a[1]).getResult();
          Value ninf = arith::ConstantOp::create(
              nb, l, me,
              nb.getFloatAttr(me, -std::numeric_limits<double>::infinity()));
          return arith::SelectOp::create(nb, l, a[1], a[0], ninf).getResult();
        });
  }
  SdpaOp sdpa = denseSdpa(b, op, op.getQuery(), combined, op.getCausal());
  FailureOr<SmallVector<Value>> out = sdpa.decomposeToLinalg(b);
  sdpa->erase();
  if (failed(out))
    return failure();
  return (*out)[0];
}

/// Dense attention probabilities of the last query row, [B, Hq, 1, Lk].
FailureOr<Value> RecycleBuilder::lastRowProbabilities() {
  Value q = op.getQuery(), mask = op.getMask();
  CausalKind causal = op.getCausal();
  // Slice the last query row when that keeps its visibility expressible:
  // under bottom_right (and none) row Lq-1 of Lq sees what row 0 of 1 sees.
  bool slice = lq > 1 && (causal != CausalKind::top_left || lq == lk);
  if (slice) {
    if (causal == CausalKind::top_left)
      causal = CausalKind::bottom_right; // equal when Lq == Lk
    auto sliceRow = [&](Value t, int64_t axis) {
      auto tt = cast<RankedTensorType>(t.getType());
      SmallVector<OpFoldResult> offs(tt.getRank(), b.getIndexAttr(0)), sizes,
          strides(tt.getRank(), b.getIndexAttr(1));
      for (int64_t d : tt.getShape())
        sizes.push_back(b.getIndexAttr(d));
      offs[axis] = b.getIndexAttr(tt.getDimSize(axis) - 1);
      sizes[axis] = b.getIndexAttr(1);
      return tensor::ExtractSliceOp::create(b, loc, t, offs, sizes, strides)
          .getResult();
    };
    q = sliceRow(q, 2);
    if (mask) {
      auto mt = cast<RankedTensorType>(mask.getType());
      int64_t axis = mt.getRank() - 2;
      if (axis >= 0 && mt.getDimSize(axis) != 1)
        mask = sliceRow(mask, axis);
    }
  }
  SdpaOp sdpa = denseSdpa(b, op, q, mask, causal);
  FailureOr<Value> probs = buildAttentionProbabilities(b, sdpa);
  sdpa->erase();
  if (failed(probs))
    return failure();
  if (slice || lq == 1)
    return *probs;
  // Unsliced: keep only the last row.
  SmallVector<OpFoldResult> offs = {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(lq - 1), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(batch), b.getIndexAttr(hq),
                                     b.getIndexAttr(1), b.getIndexAttr(lk)};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, *probs, offs, sizes, strides)
      .getResult();
}

/// The pooled, group-maxed top-K positions [B, Hkv, K] of `probs`
/// ([B, Hq, 1, Lk]).
Value RecycleBuilder::topK(Value probs) {
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  int64_t pool = op.getPool(), lo = (pool - 1) / 2;
  // score[b, g, j] = max_{h in g, w < pool} probs[b, g*G + h, 0, j - lo + w],
  // loops (b, g, j, h, w); the pooled neighbour is read with tensor.extract
  // because its index is clamped at the borders.
  Value ninf =
      fill({batch, hkv, lk}, acc,
           b.getFloatAttr(acc, -std::numeric_limits<double>::infinity()));
  Value headIdx = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({group, pool}, b.getI1Type()), true));
  Value score = generic(
      ninf, {headIdx},
      {map(5, {dim_(3), dim_(4)}), map(5, {dim_(0), dim_(1), dim_(2)})},
      {par, par, par, red, red}, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value bi = linalg::IndexOp::create(nb, l, 0);
        Value g = linalg::IndexOp::create(nb, l, 1);
        Value j = linalg::IndexOp::create(nb, l, 2);
        Value h = linalg::IndexOp::create(nb, l, 3);
        Value w = linalg::IndexOp::create(nb, l, 4);
        auto idx = [&](int64_t v) {
          return arith::ConstantIndexOp::create(nb, l, v).getResult();
        };
        Value head = arith::AddIOp::create(
            nb, l, arith::MulIOp::create(nb, l, g, idx(group)), h);
        Value pos = arith::SubIOp::create(
            nb, l, arith::AddIOp::create(nb, l, j, w), idx(lo));
        Value inside = arith::AndIOp::create(
            nb, l,
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, pos,
                                  idx(0)),
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, pos,
                                  idx(lk)));
        Value clamped = arith::MinSIOp::create(
            nb, l, arith::MaxSIOp::create(nb, l, pos, idx(0)), idx(lk - 1));
        Value v = tensor::ExtractOp::create(
            nb, l, probs, ValueRange{bi, head, idx(0), clamped});
        Value m = arith::MaximumFOp::create(nb, l, a[1], v);
        return arith::SelectOp::create(nb, l, inside, m, a[1]).getResult();
      });
  return selectTopK(score);
}

/// The K best positions per [b, g] of `score` ([B, Hkv, Lk]) in increasing
/// position order (ties: lower positions win), -1 padding when K > Lk.
/// Ranking all Lk scores would cost O(Lk^2) (3.2G comparisons at Lk = 16K);
/// instead:
///  1. key[b, g, j]: an integer whose unsigned order is the float order of
///     the score (sign-magnitude flipped, -0 folded into +0);
///  2. T[b, g], the K-th largest key, by radix selection: one counting pass
///     over Lk per bit of the key, O(W Lk);
///  3. the keys above T plus the first ones equal to T (K in all), gathered
///     in position order by one sequential O(Lk) loop.
/// Partial steps use the kept set, not its order, and read it in position
/// order; ranking the K by score as well (O(K^2) in this form) took 128 ms
/// of a 156 ms full step at Lk = 32K, K = 4096.
Value RecycleBuilder::selectTopK(Value score) {
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  unsigned width = acc.getWidth();
  Type kt = b.getIntegerType(width), i64 = b.getI64Type();
  auto kcst = [&](OpBuilder &nb, Location l, const APInt &v) {
    return arith::ConstantOp::create(nb, l, nb.getIntegerAttr(kt, v))
        .getResult();
  };
  APInt signBit = APInt::getSignMask(width);
  auto par3 = map(3, {dim_(0), dim_(1), dim_(2)});
  auto par2 = map(2, {dim_(0), dim_(1)});

  // 1. Order-preserving integer keys.
  Value keys = generic(
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch, hkv, lk}, kt),
      {score}, {par3, par3}, {par, par, par},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value x = arith::AddFOp::create(nb, l, a[0], fcst(nb, l, 0.0));
        Value bits = arith::BitcastOp::create(nb, l, kt, x);
        Value neg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                          bits, kcst(nb, l, APInt(width, 0)));
        Value flipped = arith::XOrIOp::create(
            nb, l, bits, kcst(nb, l, APInt::getAllOnes(width)));
        Value marked = arith::OrIOp::create(nb, l, bits, kcst(nb, l, signBit));
        return arith::SelectOp::create(nb, l, neg, flipped, marked).getResult();
      });

  // countIf(cmp, t)[b, g] = #{j : key[b, g, j] cmp t[b, g]}.
  auto countIf = [&](arith::CmpIPredicate cmp, Value t,
                     function_ref<Value(OpBuilder &, Location, Value)> adjust) {
    Value zero = fill({batch, hkv}, i64, b.getI64IntegerAttr(0));
    return generic(
        zero, {keys, t},
        {par3, map(3, {dim_(0), dim_(1)}), map(3, {dim_(0), dim_(1)})},
        {par, par, red}, [&](OpBuilder &nb, Location l, ValueRange a) {
          Value hit =
              arith::CmpIOp::create(nb, l, cmp, a[0], adjust(nb, l, a[1]));
          return arith::AddIOp::create(nb, l, a[2],
                                       arith::ExtUIOp::create(nb, l, i64, hit))
              .getResult();
        });
  };

  // 2. T = the largest t with #{key >= t} >= K, fixed bit by bit from the
  // top (0 when K > Lk: every position is kept).
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cw = arith::ConstantIndexOp::create(b, loc, width);
  Value prefix0 = fill({batch, hkv}, kt, b.getIntegerAttr(kt, APInt(width, 0)));
  auto bits = scf::ForOp::create(b, loc, c0, cw, c1, ValueRange{prefix0});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(bits.getBody());
    // The bit tried at iteration i is width - 1 - i.
    Value shift = arith::IndexCastOp::create(
        b, loc, kt,
        arith::SubIOp::create(b, loc,
                              arith::ConstantIndexOp::create(b, loc, width - 1),
                              bits.getInductionVar()));
    Value bit =
        arith::ShLIOp::create(b, loc, kcst(b, loc, APInt(width, 1)), shift);
    Value prefix = bits.getRegionIterArgs()[0];
    auto withBit = [&](OpBuilder &nb, Location l, Value p) {
      return arith::OrIOp::create(nb, l, p, bit).getResult();
    };
    Value count = countIf(arith::CmpIPredicate::uge, prefix, withBit);
    // Updated in place (the loop's yield must be its iter_arg's buffer).
    Value next =
        generic(prefix, {count}, {par2, par2}, {par, par},
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Value enough =
                      arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge,
                                            a[0], icst(nb, l, topk));
                  return arith::SelectOp::create(nb, l, enough,
                                                 withBit(nb, l, a[1]), a[1])
                      .getResult();
                });
    scf::YieldOp::create(b, loc, next);
  }
  Value threshold = bits.getResult(0);
  Value above = countIf(arith::CmpIPredicate::ugt, threshold,
                        [](OpBuilder &, Location, Value t) { return t; });

  // 3. The selected positions in position order; -1 pads.
  Value pos0 = fill({batch, hkv, topk}, i64, b.getI64IntegerAttr(-1));
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  auto loopB = scf::ForOp::create(b, loc, c0, index(batch), c1,
                                  ValueRange{pos0});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loopB.getBody());
    Value bi = loopB.getInductionVar();
    auto loopG = scf::ForOp::create(b, loc, c0, index(hkv), c1,
                                    loopB.getRegionIterArgs());
    scf::YieldOp::create(b, loc, loopG.getResults());
    b.setInsertionPointToStart(loopG.getBody());
    Value gi = loopG.getInductionVar();
    Value t = tensor::ExtractOp::create(b, loc, threshold, ValueRange{bi, gi});
    Value n = tensor::ExtractOp::create(b, loc, above, ValueRange{bi, gi});
    // Positions equal to T that still fit after the ones above it.
    Value ties = arith::SubIOp::create(b, loc, icst(b, loc, topk), n);
    auto loopJ =
        scf::ForOp::create(b, loc, c0, index(lk), c1,
                           ValueRange{loopG.getRegionIterArgs()[0], c0, ties});
    scf::YieldOp::create(b, loc, loopJ.getResult(0));
    b.setInsertionPointToStart(loopJ.getBody());
    Value j = loopJ.getInductionVar();
    ValueRange it = loopJ.getRegionIterArgs();
    Value k = tensor::ExtractOp::create(b, loc, keys, ValueRange{bi, gi, j});
    Value gt = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, k, t);
    Value tie = arith::AndIOp::create(
        b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k, t),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, it[2],
                              icst(b, loc, 0)));
    Value take = arith::OrIOp::create(b, loc, gt, tie);
    auto ifTake = scf::IfOp::create(b, loc, TypeRange{pos0.getType()}, take,
                                    /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(&ifTake.getThenRegion().front());
      Value at[3] = {bi, gi, it[1]};
      Value p = tensor::InsertOp::create(
          b, loc, arith::IndexCastOp::create(b, loc, i64, j), it[0], at);
      scf::YieldOp::create(b, loc, p);
      b.setInsertionPointToStart(&ifTake.getElseRegion().front());
      scf::YieldOp::create(b, loc, it[0]);
    }
    Value count = arith::SelectOp::create(
        b, loc, take, arith::AddIOp::create(b, loc, it[1], c1), it[1]);
    Value left = arith::SubIOp::create(
        b, loc, it[2], arith::ExtUIOp::create(b, loc, i64, tie));
    scf::YieldOp::create(b, loc, ValueRange{ifTake.getResult(0), count, left});
  }
  return loopB.getResult(0);
}

FailureOr<SmallVector<Value>>
RecycleBuilder::build(RecycleAttentionFn attention,
                      RecycleTopKFn kernelTopK) {
  auto par = IteratorType::parallel;
  Value qbar = headMeanQuery();
  Value full = fullStep(qbar);
  FailureOr<Value> out;
  Value scores;
  if (attention) {
    FailureOr<RecycleAttention> r = attention(full);
    if (failed(r))
      return failure();
    out = r->output;
    scores = r->lastRowScores;
  } else {
    out = maskedOutput(keepMask(full));
  }
  if (failed(out))
    return failure();
  Value top;
  if (!attention) {
    FailureOr<Value> probs = lastRowProbabilities();
    if (failed(probs))
      return failure();
    top = topK(*probs);
  } else {
    // any = OR over the batch of full[b], as a scalar condition.
    Value none = fill({}, b.getI1Type(), b.getIntegerAttr(b.getI1Type(), 0));
    Value any =
        generic(none, {full}, {map(1, {dim_(0)}), map(1, {})},
                {IteratorType::reduction},
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  return arith::OrIOp::create(nb, l, a[0], a[1]).getResult();
                });
    Value cond = tensor::ExtractOp::create(b, loc, any, ValueRange{});
    auto ifOp = scf::IfOp::create(b, loc, op.getKeptIndices().getType(), cond,
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      // From the kernel's scores when it wrote them (the cache is then
      // read once per step), else from the reference probabilities of the
      // last row. Batch elements on a partial step are not selected below;
      // the kernel's selection skips them.
      if (scores && kernelTopK) {
        scf::YieldOp::create(b, loc, kernelTopK(scores, full));
      } else {
        FailureOr<Value> probs = lastRowProbabilities();
        if (failed(probs))
          return failure();
        scf::YieldOp::create(b, loc, topK(*probs));
      }
      b.setInsertionPointToStart(&ifOp.getElseRegion().front());
      scf::YieldOp::create(b, loc, op.getKeptIndices());
    }
    top = ifOp.getResult(0);
  }

  // New state, selected per batch element.
  auto select = [&](Value ifFull, Value ifPartial, unsigned rank,
                    function_ref<Value(OpBuilder &, Location, Value)> fixFull,
                    function_ref<Value(OpBuilder &, Location, Value)> fixPart) {
    auto t = cast<RankedTensorType>(ifPartial.getType());
    Value init =
        tensor::EmptyOp::create(b, loc, t.getShape(), t.getElementType());
    SmallVector<AffineExpr> all;
    for (unsigned i = 0; i < rank; ++i)
      all.push_back(dim_(i));
    SmallVector<Value> ins = {full, ifPartial};
    SmallVector<AffineMap> maps = {map(rank, {dim_(0)}), map(rank, all)};
    if (ifFull) {
      ins.push_back(ifFull);
      maps.push_back(map(rank, all));
    }
    maps.push_back(map(rank, all));
    return generic(
        init, ins, maps, SmallVector<IteratorType>(rank, par),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value f = fixFull(nb, l, ifFull ? a[2] : Value());
          Value p = fixPart(nb, l, a[1]);
          return arith::SelectOp::create(nb, l, a[0], f, p).getResult();
        });
  };
  auto same = [](OpBuilder &, Location, Value v) { return v; };
  Value kept = select(top, op.getKeptIndices(), 3, same, same);
  Value fullLen = select(
      Value(), op.getFullLen(), 1,
      [&](OpBuilder &nb, Location l, Value) { return icst(nb, l, lk); }, same);
  Value step = select(
      Value(), op.getStep(), 1,
      [&](OpBuilder &nb, Location l, Value) { return icst(nb, l, 1); },
      [&](OpBuilder &nb, Location l, Value s) {
        return arith::AddIOp::create(nb, l, s, icst(nb, l, 1)).getResult();
      });
  Value ref = select(
      qbar, op.getRefQuery(), 2,
      [&](OpBuilder &nb, Location l, Value v) {
        return et == acc ? v
                         : arith::TruncFOp::create(nb, l, et, v).getResult();
      },
      same);
  return SmallVector<Value>{*out, kept, fullLen, step, ref};
}

FailureOr<SmallVector<Value>> RecycleOp::decomposeToLinalg(OpBuilder &builder) {
  return RecycleBuilder(*this, builder).build();
}

FailureOr<SmallVector<Value>>
mlir::attn::decomposeRecycle(OpBuilder &b, RecycleOp op,
                             RecycleAttentionFn attention,
                             RecycleTopKFn topK) {
  return RecycleBuilder(op, b).build(attention, topK);
}
