//===- AttnDecompose.cpp - reference decomposition of attn.sdpa ---------===//
//
// The reference semantics of `attn.sdpa`, dense and rewritten (window, block
// map, dense heads, compensation token, ZeroTuning, ACT), as linalg on
// tensors. These are deliberately plain (scores are materialized): they
// define what the op means and are what optimized kernels are tested against.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnDecompose.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
using utils::IteratorType;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// Builds the pieces of one sdpa's decomposition. Loops are (b, h, i, j) for
/// score-shaped tensors; `kvHead` maps query head h to its key/value head.
class SdpaBuilder {
public:
  SdpaBuilder(SdpaOp op, OpBuilder &b)
      : op(op), b(b), loc(op.getLoc()), ctx(op.getContext()) {
    et = cast<FloatType>(op.getQuery().getType().getElementType());
    acc = et.getWidth() < 32 ? b.getF32Type() : et;
    qs = tensor::getMixedSizes(b, loc, op.getQuery());
    ks = tensor::getMixedSizes(b, loc, op.getKey());
    vs = tensor::getMixedSizes(b, loc, op.getValue());
    bindDims(ctx, d0, d1, d2, d3, d4);
    int64_t g = op.getGroupSize();
    kvHead = g == 1 ? d1 : d1.floorDiv(g);
    sSizes = {qs[0], qs[1], qs[2], ks[2]};
    rowSizes = {qs[0], qs[1], qs[2]};
    lkMinusLq = arith::SubIOp::create(
        b, loc, getValueOrCreateConstantIndexOp(b, loc, ks[2]),
        getValueOrCreateConstantIndexOp(b, loc, qs[2]));
  }

  /// S (dropped entries -inf) and, with compensation, the dropped map.
  std::pair<Value, Value> maskedScores();
  /// Visibility (before sparsity) and sparse keep, as i1 [B,Hq,Lq,Lk].
  Value keepMask(bool includeSparsity);
  /// exp(S - m) for row max `rowMax`, 0 for fully masked rows.
  Value expScores(Value masked, Value rowMax);
  /// The op's attention probabilities (before ACT, without compensation).
  FailureOr<Value> normalizedProbabilities();
  FailureOr<Value> output();

private:
  Value cst(OpBuilder &nb, Location l, double v) {
    return arith::ConstantOp::create(nb, l, acc, nb.getFloatAttr(acc, v));
  }
  Value toAcc(OpBuilder &nb, Location l, Value v) {
    return v.getType() == acc ? v : arith::ExtFOp::create(nb, l, acc, v);
  }
  Value empty(ArrayRef<OpFoldResult> sizes, Type t) {
    return tensor::EmptyOp::create(b, loc, sizes, t);
  }
  Value filled(ArrayRef<OpFoldResult> sizes, double v) {
    return linalg::FillOp::create(b, loc, ValueRange{cst(b, loc, v)},
                                  ValueRange{empty(sizes, acc)})
        .getResult(0);
  }
  AffineMap map(unsigned n, ArrayRef<AffineExpr> e) {
    return AffineMap::get(n, 0, e, ctx);
  }
  /// Per-query-head flags as a constant i1 tensor [Hq].
  Value headFlags(function_ref<bool(int64_t)> pred);
  /// Right-aligned broadcast map of `t` over (b, h, i, j), with `div` applied
  /// to the i and j loop dims (block maps).
  AffineMap broadcastMap(RankedTensorType t, int64_t divI = 1,
                         int64_t divJ = 1);
  /// Keep predicate inside a generic body. `maskV`: the loaded boolean mask
  /// element or null; `blockV`, `sparseV`: block map and sparse-head flag or
  /// null.
  Value keepPredicate(OpBuilder &nb, Location l, Value maskV, Value blockV,
                      Value sparseV, bool includeSparsity, Value &visible);
  Value reduceRows(Value x, bool max);
  /// out[b,h,i,x] = sum_j p[b,h,i,j] * kv[b,h/G,j,x].
  Value contractKeys(Value p, Value kv, OpFoldResult xSize);
  /// Mask/block/head-flag operands of the predicate generics.
  struct PredicateInputs {
    SmallVector<Value> values;
    SmallVector<AffineMap> maps;
    int mask = -1, block = -1, sparse = -1, mod = -1;
    bool boolMask = false;
  };
  PredicateInputs predicateInputs(Value scores);
  Value rowsElementwise(ValueRange ins,
                        function_ref<Value(OpBuilder &, Location, ValueRange)>);
  Value actCalibrate(Value pn, Value masked);
  Value generic4(Type resultElt, ValueRange ins, ArrayRef<AffineMap> maps,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> body);

  SdpaOp op;
  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  FloatType et, acc;
  SmallVector<OpFoldResult> qs, ks, vs, sSizes, rowSizes;
  AffineExpr d0, d1, d2, d3, d4, kvHead;
  Value lkMinusLq;
};
} // namespace

Value SdpaBuilder::headFlags(function_ref<bool(int64_t)> pred) {
  int64_t hq = op.getQuery().getType().getDimSize(1);
  SmallVector<bool> flags;
  for (int64_t h = 0; h < hq; ++h)
    flags.push_back(pred(h));
  auto t = RankedTensorType::get({hq}, b.getI1Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(t, ArrayRef(flags)));
}

AffineMap SdpaBuilder::broadcastMap(RankedTensorType t, int64_t divI,
                                    int64_t divJ) {
  SmallVector<int64_t> target = {
      op.getQuery().getType().getDimSize(0),
      op.getQuery().getType().getDimSize(1),
      op.getQuery().getType().getDimSize(2),
      op.getKey().getType().getDimSize(2)};
  if (divI > 1 || divJ > 1) {
    target[2] = (target[2] + divI - 1) / divI;
    target[3] = (target[3] + divJ - 1) / divJ;
  }
  AffineExpr loops[4] = {d0, d1, divI > 1 ? d2.floorDiv(divI) : d2,
                         divJ > 1 ? d3.floorDiv(divJ) : d3};
  SmallVector<AffineExpr> exprs;
  int64_t r = t.getRank();
  for (int64_t k = 0; k < r; ++k) {
    int64_t td = 4 - r + k;
    if (t.getDimSize(k) == 1 && target[td] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(loops[td]);
  }
  return map(4, exprs);
}

Value SdpaBuilder::keepPredicate(OpBuilder &nb, Location l, Value maskV,
                                 Value blockV, Value sparseV,
                                 bool includeSparsity, Value &visible) {
  Value i = linalg::IndexOp::create(nb, l, 2);
  Value j = linalg::IndexOp::create(nb, l, 3);
  Value tru = arith::ConstantOp::create(nb, l, nb.getBoolAttr(true));
  visible = maskV ? maskV : tru;
  CausalKind causal = op.getCausal();
  // Query position p: queries are aligned to the end of the keys (decode),
  // except under top-left causality, which aligns them to the start.
  Value pos = causal == CausalKind::top_left
                  ? i
                  : arith::AddIOp::create(nb, l, i, lkMinusLq).getResult();
  if (causal != CausalKind::none) {
    Value limit = causal == CausalKind::bottom_right ? pos : i;
    Value ok = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, j, limit);
    visible = arith::AndIOp::create(nb, l, visible, ok);
  }
  if (!includeSparsity)
    return visible;
  Value keep = tru;
  if (WindowAttr w = op.getWindowAttr()) {
    auto idx = [&](int64_t v) {
      return arith::ConstantIndexOp::create(nb, l, v).getResult();
    };
    Value dil = idx(w.getDilation());
    // Floor division/modulo: p is negative for queries before the first key.
    Value ip = arith::FloorDivSIOp::create(nb, l, pos, dil);
    Value g = arith::SubIOp::create(nb, l, pos,
                                    arith::MulIOp::create(nb, l, ip, dil));
    Value jg = arith::RemSIOp::create(nb, l, j, dil);
    Value jp = arith::FloorDivSIOp::create(nb, l, j, dil);
    Value inGroup =
        arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, g, jg);
    Value lo = arith::SubIOp::create(nb, l, ip, idx(w.getLeft()));
    int64_t span = w.getLeft() + w.getRight();
    if (w.getClamp()) {
      // Group length n_g = (Lk - 1 - g) / d + 1; shift the window inside it.
      Value lkV = getValueOrCreateConstantIndexOp(nb, l, ks[2]);
      Value last = arith::SubIOp::create(nb, l, lkV, idx(1));
      Value ng = arith::AddIOp::create(
          nb, l,
          arith::FloorDivSIOp::create(
              nb, l, arith::SubIOp::create(nb, l, last, g), dil),
          idx(1));
      Value maxLo = arith::SubIOp::create(nb, l, ng, idx(span + 1));
      lo = arith::MinSIOp::create(nb, l, lo, maxLo);
      lo = arith::MaxSIOp::create(nb, l, lo, idx(0));
    }
    Value hi = arith::AddIOp::create(nb, l, lo, idx(span));
    Value inWin = arith::AndIOp::create(
        nb, l,
        arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, jp, lo),
        arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, jp, hi));
    inWin = arith::AndIOp::create(nb, l, inWin, inGroup);
    Value sink = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, j,
                                       idx(w.getSinks()));
    keep = arith::OrIOp::create(nb, l, inWin, sink);
  }
  if (blockV)
    keep = arith::AndIOp::create(nb, l, keep, blockV);
  if (sparseV) // dense heads keep everything
    keep = arith::OrIOp::create(
        nb, l, keep,
        arith::XOrIOp::create(nb, l, sparseV, tru));
  return arith::AndIOp::create(nb, l, visible, keep);
}

Value SdpaBuilder::generic4(
    Type resultElt, ValueRange ins, ArrayRef<AffineMap> maps,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto par = IteratorType::parallel;
  SmallVector<AffineMap> all(maps);
  all.push_back(map(4, {d0, d1, d2, d3}));
  Value init = empty(sSizes, resultElt);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ins, ValueRange{init}, all,
             {par, par, par, par},
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(nb, nl, body(nb, nl, a));
             })
      .getResult(0);
}

Value SdpaBuilder::reduceRows(Value x, bool isMax) {
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  Value init = filled(rowSizes, isMax ? kNegInf : 0.0);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x}, ValueRange{init},
             {map(4, {d0, d1, d2, d3}), map(4, {d0, d1, d2})},
             {par, par, par, red},
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value r = isMax ? arith::MaximumFOp::create(nb, nl, a[0], a[1])
                                     .getResult()
                               : arith::AddFOp::create(nb, nl, a[0], a[1])
                                     .getResult();
               linalg::YieldOp::create(nb, nl, r);
             })
      .getResult(0);
}

std::pair<Value, Value> SdpaBuilder::maskedScores() {
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  // Raw scores S = Q K^T, loops (b, h, i, j, d).
  Value s0 = filled(sSizes, 0.0);
  Value raw =
      linalg::GenericOp::create(
          b, loc, s0.getType(), ValueRange{op.getQuery(), op.getKey()},
          ValueRange{s0},
          {map(5, {d0, d1, d2, d4}), map(5, {d0, kvHead, d3, d4}),
           map(5, {d0, d1, d2, d3})},
          {par, par, par, par, red},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value p = arith::MulFOp::create(nb, nl, toAcc(nb, nl, a[0]),
                                            toAcc(nb, nl, a[1]));
            linalg::YieldOp::create(
                nb, nl, arith::AddFOp::create(nb, nl, a[2], p).getResult());
          })
          .getResult(0);

  PredicateInputs in = predicateInputs(raw);
  Value mask = op.getMask();
  bool boolMask = in.boolMask;
  bool zeroTuning = isa_and_nonnull<ZeroTuningAttr>(op.getScoreModAttr());

  double scale = op.getEffectiveScale();
  std::optional<double> softcap;
  if (auto c = op.getSoftcap())
    softcap = c->convertToDouble();
  double logGamma =
      zeroTuning ? std::log(cast<ZeroTuningAttr>(op.getScoreModAttr())
                                .getGamma()
                                .getValueAsDouble())
                 : 0.0;
  bool comp = op.getCompensation();

  auto body = [&](OpBuilder &nb, Location nl, ValueRange a, Value &dropped) {
    Value s = arith::MulFOp::create(nb, nl, a[0], cst(nb, nl, scale));
    if (softcap) {
      Value t = arith::DivFOp::create(nb, nl, s, cst(nb, nl, *softcap));
      s = arith::MulFOp::create(nb, nl, math::TanhOp::create(nb, nl, t),
                                cst(nb, nl, *softcap));
    }
    if (mask && !boolMask)
      s = arith::AddFOp::create(nb, nl, s, toAcc(nb, nl, a[in.mask]));
    if (zeroTuning) {
      Value j = linalg::IndexOp::create(nb, nl, 3);
      Value first = arith::CmpIOp::create(
          nb, nl, arith::CmpIPredicate::eq, j,
          arith::ConstantIndexOp::create(nb, nl, 0));
      if (in.mod >= 0)
        first = arith::AndIOp::create(nb, nl, first, a[in.mod]);
      s = arith::SelectOp::create(
          nb, nl, first,
          arith::AddFOp::create(nb, nl, s, cst(nb, nl, logGamma)), s);
    }
    Value visible;
    Value keep = keepPredicate(nb, nl, boolMask ? a[in.mask] : Value(),
                               in.block >= 0 ? a[in.block] : Value(),
                               in.sparse >= 0 ? a[in.sparse] : Value(),
                               /*includeSparsity=*/true, visible);
    if (comp) {
      Value tru = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true));
      Value drop = arith::AndIOp::create(
          nb, nl, visible, arith::XOrIOp::create(nb, nl, keep, tru));
      dropped = arith::SelectOp::create(nb, nl, drop, cst(nb, nl, 1.0),
                                        cst(nb, nl, 0.0));
    }
    return arith::SelectOp::create(nb, nl, keep, s, cst(nb, nl, kNegInf))
        .getResult();
  };

  SmallVector<AffineMap> maps = in.maps;
  maps.push_back(map(4, {d0, d1, d2, d3}));
  SmallVector<Value> outs = {empty(sSizes, acc)};
  SmallVector<Type> types = {outs[0].getType()};
  if (comp) {
    maps.push_back(map(4, {d0, d1, d2, d3}));
    outs.push_back(empty(sSizes, acc));
    types.push_back(outs[1].getType());
  }
  auto generic = linalg::GenericOp::create(
      b, loc, types, in.values, outs, maps, {par, par, par, par},
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value dropped;
        Value s = body(nb, nl, a, dropped);
        SmallVector<Value> y = {s};
        if (comp)
          y.push_back(dropped);
        linalg::YieldOp::create(nb, nl, y);
      });
  return {generic.getResult(0), comp ? generic.getResult(1) : Value()};
}

Value SdpaBuilder::expScores(Value masked, Value rowMax) {
  // exp(S - m) with a fully masked row (m = -inf) using m = 0 -> all zeros.
  return generic4(acc, {masked, rowMax},
                  {map(4, {d0, d1, d2, d3}), map(4, {d0, d1, d2})},
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    Value isInf = arith::CmpFOp::create(
                        nb, nl, arith::CmpFPredicate::OEQ, a[1],
                        cst(nb, nl, kNegInf));
                    Value m = arith::SelectOp::create(nb, nl, isInf,
                                                      cst(nb, nl, 0.0), a[1]);
                    return math::ExpOp::create(
                               nb, nl, arith::SubFOp::create(nb, nl, a[0], m))
                        .getResult();
                  });
}

SdpaBuilder::PredicateInputs SdpaBuilder::predicateInputs(Value scores) {
  PredicateInputs in;
  if (scores) {
    in.values.push_back(scores);
    in.maps.push_back(map(4, {d0, d1, d2, d3}));
  }
  if (Value mask = op.getMask()) {
    auto mt = cast<RankedTensorType>(mask.getType());
    in.boolMask = mt.getElementType().isInteger(1);
    in.mask = in.values.size();
    in.values.push_back(mask);
    in.maps.push_back(broadcastMap(mt));
  }
  if (Value bm = op.getBlockMask()) {
    auto bs = *op.getBlockSize();
    in.block = in.values.size();
    in.values.push_back(bm);
    in.maps.push_back(
        broadcastMap(cast<RankedTensorType>(bm.getType()), bs[0], bs[1]));
  }
  if (op.getDenseHeads()) {
    in.sparse = in.values.size();
    in.values.push_back(
        headFlags([&](int64_t h) { return op.isSparseHead(h); }));
    in.maps.push_back(map(4, {d1}));
  }
  if (op.getScoreMod() && op.getScoreModHeads()) {
    in.mod = in.values.size();
    in.values.push_back(
        headFlags([&](int64_t h) { return op.isScoreModHead(h); }));
    in.maps.push_back(map(4, {d1}));
  }
  return in;
}

Value SdpaBuilder::contractKeys(Value p, Value kv, OpFoldResult xSize) {
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  Value init = filled({qs[0], qs[1], qs[2], xSize}, 0.0);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{p, kv}, ValueRange{init},
             {map(5, {d0, d1, d2, d4}), map(5, {d0, kvHead, d4, d3}),
              map(5, {d0, d1, d2, d3})},
             {par, par, par, par, red},
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value m = arith::MulFOp::create(nb, nl, a[0],
                                               toAcc(nb, nl, a[1]));
               linalg::YieldOp::create(
                   nb, nl, arith::AddFOp::create(nb, nl, a[2], m).getResult());
             })
      .getResult(0);
}

Value SdpaBuilder::rowsElementwise(
    ValueRange ins,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto par = IteratorType::parallel;
  Value init = empty(rowSizes, acc);
  SmallVector<AffineMap> maps(ins.size() + 1, map(3, {d0, d1, d2}));
  return linalg::GenericOp::create(
             b, loc, init.getType(), ins, ValueRange{init}, maps,
             {par, par, par},
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(nb, nl, body(nb, nl, a));
             })
      .getResult(0);
}

/// ACT: c_j = column mean of A over the queries that see key j; sinks are
/// {j > 0 : c_j > tau} on the modified heads; sink columns are scaled by beta
/// and the removed mass is given to the other columns in proportion.
Value SdpaBuilder::actCalibrate(Value pn, Value masked) {
  auto act = cast<ActAttr>(op.getScoreModAttr());
  double beta = act.getBeta().getValueAsDouble();
  double tau = act.getTau().getValueAsDouble();
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  // Column sums and visible counts, loops (b, h, j, i).
  SmallVector<OpFoldResult> colSizes = {qs[0], qs[1], ks[2]};
  Value z0 = filled(colSizes, 0.0), z1 = filled(colSizes, 0.0);
  auto cols = linalg::GenericOp::create(
      b, loc, TypeRange{z0.getType(), z1.getType()}, ValueRange{pn, masked},
      ValueRange{z0, z1},
      {map(4, {d0, d1, d3, d2}), map(4, {d0, d1, d3, d2}),
       map(4, {d0, d1, d2}), map(4, {d0, d1, d2})},
      {par, par, par, red}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value seen = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::ONE,
                                           a[1], cst(nb, nl, kNegInf));
        Value one = arith::SelectOp::create(nb, nl, seen, cst(nb, nl, 1.0),
                                            cst(nb, nl, 0.0));
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::AddFOp::create(nb, nl, a[2], a[0]).getResult(),
                       arith::AddFOp::create(nb, nl, a[3], one).getResult()});
      });
  Value colSum = cols.getResult(0), colCnt = cols.getResult(1);
  Value modFlags =
      headFlags([&](int64_t h) { return op.isScoreModHead(h); });
  // sink[b,h,j] in {0, 1}.
  Value sinkInit = empty(colSizes, acc);
  Value sink =
      linalg::GenericOp::create(
          b, loc, sinkInit.getType(), ValueRange{colSum, colCnt, modFlags},
          ValueRange{sinkInit},
          {map(3, {d0, d1, d2}), map(3, {d0, d1, d2}), map(3, {d1}),
           map(3, {d0, d1, d2})},
          {par, par, par}, [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value cnt = arith::MaximumFOp::create(nb, nl, a[1],
                                                  cst(nb, nl, 1.0));
            Value mean = arith::DivFOp::create(nb, nl, a[0], cnt);
            Value big = arith::CmpFOp::create(
                nb, nl, arith::CmpFPredicate::OGT, mean, cst(nb, nl, tau));
            Value j = linalg::IndexOp::create(nb, nl, 2);
            Value notFirst = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::sgt, j,
                arith::ConstantIndexOp::create(nb, nl, 0));
            Value isSink = arith::AndIOp::create(
                nb, nl, arith::AndIOp::create(nb, nl, big, notFirst), a[2]);
            linalg::YieldOp::create(
                nb, nl,
                arith::SelectOp::create(nb, nl, isSink, cst(nb, nl, 1.0),
                                        cst(nb, nl, 0.0))
                    .getResult());
          })
          .getResult(0);
  // Row sink mass S_i and the rest R_i, both summed directly: forming
  // 1 - S_i instead cancels catastrophically in f32 when the sinks hold
  // almost all of a row's mass, and the redistribution divides by it.
  Value s0 = filled(rowSizes, 0.0), r0 = filled(rowSizes, 0.0);
  auto rowMass = linalg::GenericOp::create(
      b, loc, TypeRange{s0.getType(), r0.getType()}, ValueRange{pn, sink},
      ValueRange{s0, r0},
      {map(4, {d0, d1, d2, d3}), map(4, {d0, d1, d3}), map(4, {d0, d1, d2}),
       map(4, {d0, d1, d2})},
      {par, par, par, red}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value m = arith::MulFOp::create(nb, nl, a[0], a[1]);
        Value rest = arith::SubFOp::create(nb, nl, a[0], m);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::AddFOp::create(nb, nl, a[2], m).getResult(),
                       arith::AddFOp::create(nb, nl, a[3], rest).getResult()});
      });
  Value rowSink = rowMass.getResult(0), rowRest = rowMass.getResult(1);
  // A' = beta A on sinks, A (R + (1 - beta) S) / R elsewhere (R = 1 - S up
  // to rounding); a row whose mass is (numerically) all on sinks is left
  // alone.
  return generic4(
      acc, {pn, sink, rowSink, rowRest},
      {map(4, {d0, d1, d2, d3}), map(4, {d0, d1, d3}), map(4, {d0, d1, d2}),
       map(4, {d0, d1, d2})},
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value rest = a[3];
        Value degenerate = arith::CmpFOp::create(
            nb, nl, arith::CmpFPredicate::OLT, rest, cst(nb, nl, 1e-6));
        Value factor = arith::DivFOp::create(
            nb, nl,
            arith::AddFOp::create(
                nb, nl, rest,
                arith::MulFOp::create(nb, nl, cst(nb, nl, 1.0 - beta), a[2])),
            arith::MaximumFOp::create(nb, nl, rest, cst(nb, nl, 1e-6)));
        Value isSink = arith::CmpFOp::create(
            nb, nl, arith::CmpFPredicate::OGT, a[1], cst(nb, nl, 0.5));
        Value scaled = arith::SelectOp::create(
            nb, nl, isSink,
            arith::MulFOp::create(nb, nl, a[0], cst(nb, nl, beta)),
            arith::MulFOp::create(nb, nl, a[0], factor));
        return arith::SelectOp::create(nb, nl, degenerate, a[0], scaled)
            .getResult();
      });
}

FailureOr<Value> SdpaBuilder::output() {
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  auto [masked, dropped] = maskedScores();
  AffineMap full4 = map(4, {d0, d1, d2, d3}), row4 = map(4, {d0, d1, d2});
  Value rowMax = reduceRows(masked, /*max=*/true);

  // RazorAttention compensation token: per row, the mean of the dropped
  // keys/values, scored like any other key.
  Value compScore, compValue;
  if (dropped) {
    Value cnt = reduceRows(dropped, /*max=*/false);
    Value kSum = contractKeys(dropped, op.getKey(), ks[3]);
    Value vSum = contractKeys(dropped, op.getValue(), vs[3]);
    double scale = op.getEffectiveScale();
    std::optional<double> softcap;
    if (auto c = op.getSoftcap())
      softcap = c->convertToDouble();
    Value d0init = filled(rowSizes, 0.0);
    Value dot =
        linalg::GenericOp::create(
            b, loc, d0init.getType(), ValueRange{op.getQuery(), kSum},
            ValueRange{d0init},
            {map(4, {d0, d1, d2, d3}), map(4, {d0, d1, d2, d3}), row4},
            {par, par, par, red},
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value m = arith::MulFOp::create(nb, nl, toAcc(nb, nl, a[0]),
                                              a[1]);
              linalg::YieldOp::create(
                  nb, nl, arith::AddFOp::create(nb, nl, a[2], m).getResult());
            })
            .getResult(0);
    compScore = rowsElementwise(
        {dot, cnt}, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value c = arith::MaximumFOp::create(nb, nl, a[1], cst(nb, nl, 1.0));
          Value s = arith::MulFOp::create(
              nb, nl, arith::DivFOp::create(nb, nl, a[0], c),
              cst(nb, nl, scale));
          if (softcap) {
            Value t = arith::DivFOp::create(nb, nl, s, cst(nb, nl, *softcap));
            s = arith::MulFOp::create(nb, nl, math::TanhOp::create(nb, nl, t),
                                      cst(nb, nl, *softcap));
          }
          Value none = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                             a[1], cst(nb, nl, 0.0));
          return arith::SelectOp::create(nb, nl, none, cst(nb, nl, kNegInf), s)
              .getResult();
        });
    // Mean dropped value, 0 where nothing was dropped.
    compValue = linalg::GenericOp::create(
                    b, loc, vSum.getType(), ValueRange{vSum, cnt},
                    ValueRange{empty({qs[0], qs[1], qs[2], vs[3]}, acc)},
                    {full4, row4, full4}, {par, par, par, par},
                    [&](OpBuilder &nb, Location nl, ValueRange a) {
                      Value c = arith::MaximumFOp::create(nb, nl, a[1],
                                                          cst(nb, nl, 1.0));
                      linalg::YieldOp::create(
                          nb, nl,
                          arith::DivFOp::create(nb, nl, a[0], c).getResult());
                    })
                    .getResult(0);
    rowMax = rowsElementwise({rowMax, compScore},
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               return arith::MaximumFOp::create(nb, nl, a[0],
                                                                a[1])
                                   .getResult();
                             });
  }

  Value probs = expScores(masked, rowMax);
  Value rowSum = reduceRows(probs, /*max=*/false);
  Value compWeight;
  if (compScore) {
    compWeight = rowsElementwise(
        {compScore, rowMax}, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value isInf = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                              a[1], cst(nb, nl, kNegInf));
          Value m =
              arith::SelectOp::create(nb, nl, isInf, cst(nb, nl, 0.0), a[1]);
          return math::ExpOp::create(nb, nl,
                                     arith::SubFOp::create(nb, nl, a[0], m))
              .getResult();
        });
    rowSum = rowsElementwise({rowSum, compWeight},
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               return arith::AddFOp::create(nb, nl, a[0], a[1])
                                   .getResult();
                             });
  }

  auto divideRows = [&](Value x, Value denom, Type resultElt,
                        ArrayRef<OpFoldResult> sizes) {
    Value init = empty(sizes, resultElt);
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{x, denom}, ValueRange{init},
               {full4, row4, full4}, {par, par, par, par},
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value zero = arith::CmpFOp::create(
                     nb, nl, arith::CmpFPredicate::OEQ, a[1],
                     cst(nb, nl, 0.0));
                 Value den = arith::SelectOp::create(nb, nl, zero,
                                                     cst(nb, nl, 1.0), a[1]);
                 Value o = arith::DivFOp::create(nb, nl, a[0], den);
                 if (resultElt != acc)
                   o = arith::TruncFOp::create(nb, nl, resultElt, o);
                 linalg::YieldOp::create(nb, nl, o);
               })
        .getResult(0);
  };
  SmallVector<OpFoldResult> oSizes = {qs[0], qs[1], qs[2], vs[3]};

  if (isa_and_nonnull<ActAttr>(op.getScoreModAttr())) {
    if (compScore)
      return op.emitOpError("ACT calibration with a compensation token is not "
                            "supported");
    Value pn = divideRows(probs, rowSum, acc, sSizes);
    Value calibrated = actCalibrate(pn, masked);
    Value o = contractKeys(calibrated, op.getValue(), vs[3]);
    if (et == acc)
      return o;
    Value init = empty(oSizes, et);
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{o}, ValueRange{init},
               {full4, full4}, {par, par, par, par},
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 linalg::YieldOp::create(
                     nb, nl,
                     arith::TruncFOp::create(nb, nl, et, a[0]).getResult());
               })
        .getResult(0);
  }

  Value unnorm = contractKeys(probs, op.getValue(), vs[3]);
  if (compWeight)
    unnorm = linalg::GenericOp::create(
                 b, loc, unnorm.getType(),
                 ValueRange{unnorm, compWeight, compValue},
                 ValueRange{empty(oSizes, acc)}, {full4, row4, full4, full4},
                 {par, par, par, par},
                 [&](OpBuilder &nb, Location nl, ValueRange a) {
                   Value w = arith::MulFOp::create(nb, nl, a[1], a[2]);
                   linalg::YieldOp::create(
                       nb, nl,
                       arith::AddFOp::create(nb, nl, a[0], w).getResult());
                 })
                 .getResult(0);
  return divideRows(unnorm, rowSum, et, oSizes);
}

FailureOr<Value> SdpaBuilder::normalizedProbabilities() {
  Value masked = maskedScores().first;
  Value probs = expScores(masked, reduceRows(masked, /*max=*/true));
  Value rowSum = reduceRows(probs, /*max=*/false);
  auto par = IteratorType::parallel;
  Value init = empty(sSizes, acc);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{probs, rowSum},
             ValueRange{init},
             {map(4, {d0, d1, d2, d3}), map(4, {d0, d1, d2}),
              map(4, {d0, d1, d2, d3})},
             {par, par, par, par},
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value zero = arith::CmpFOp::create(
                   nb, nl, arith::CmpFPredicate::OEQ, a[1], cst(nb, nl, 0.0));
               Value den =
                   arith::SelectOp::create(nb, nl, zero, cst(nb, nl, 1.0), a[1]);
               linalg::YieldOp::create(
                   nb, nl, arith::DivFOp::create(nb, nl, a[0], den).getResult());
             })
      .getResult(0);
}

Value SdpaBuilder::keepMask(bool includeSparsity) {
  PredicateInputs in = predicateInputs(Value());
  SmallVector<Value> ins = in.values;
  SmallVector<AffineMap> maps = in.maps;
  if (ins.empty()) {
    // A generic needs an input to iterate with: use the (b, h) head flags.
    ins.push_back(headFlags([](int64_t) { return true; }));
    maps.push_back(map(4, {d1}));
  }
  return generic4(b.getI1Type(), ins, maps,
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    Value visible;
                    return keepPredicate(
                        nb, nl, in.boolMask ? a[in.mask] : Value(),
                        in.block >= 0 ? a[in.block] : Value(),
                        in.sparse >= 0 ? a[in.sparse] : Value(),
                        includeSparsity, visible);
                  });
}

FailureOr<SmallVector<Value>> SdpaOp::decomposeToLinalg(OpBuilder &builder) {
  SdpaBuilder sb(*this, builder);
  FailureOr<Value> out = sb.output();
  if (failed(out))
    return failure();
  return SmallVector<Value>{*out};
}

FailureOr<Value> mlir::attn::buildAttentionProbabilities(OpBuilder &b,
                                                         SdpaOp op) {
  SdpaBuilder sb(op, b);
  return sb.normalizedProbabilities();
}

FailureOr<Value> mlir::attn::buildKeepMask(OpBuilder &b, SdpaOp op,
                                           bool includeSparsity) {
  SdpaBuilder sb(op, b);
  return sb.keepMask(includeSparsity);
}
