//===- AttnDecompose.cpp - reference decompositions of attn ops ---------===//
//
// The reference semantics of every attn op, as linalg on tensors. These are
// deliberately plain (scores are materialized): they define what the op means
// and are what optimized kernels are tested against.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
using utils::IteratorType;

/// Small helper bundling the builder state used by the decompositions.
struct Emitter {
  OpBuilder &b;
  Location loc;
  FloatType acc; // accumulation type (f32 for f16/bf16 inputs)

  Value cst(double v) {
    return arith::ConstantOp::create(b, loc, acc, b.getFloatAttr(acc, v));
  }
  Value toAcc(Value v) {
    if (v.getType() == acc)
      return v;
    return arith::ExtFOp::create(b, loc, acc, v);
  }
  Value empty(ArrayRef<OpFoldResult> sizes, Type et) {
    return tensor::EmptyOp::create(b, loc, sizes, et);
  }
  Value filled(ArrayRef<OpFoldResult> sizes, double v) {
    Value e = empty(sizes, acc);
    return linalg::FillOp::create(b, loc, ValueRange{cst(v)}, ValueRange{e})
        .getResult(0);
  }
  AffineMap map(unsigned dims, ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(dims, 0, exprs, b.getContext());
  }
};

/// Indexing map of a right-aligned broadcast operand over the 4 loop dims
/// (b, h, i, j): size-1 dims of the operand read index 0.
AffineMap broadcastMap(MLIRContext *ctx, unsigned numLoops,
                       ArrayRef<int64_t> loopDimsOf4, RankedTensorType t,
                       ArrayRef<int64_t> target) {
  SmallVector<AffineExpr> exprs;
  int64_t r = t.getRank();
  for (int64_t k = 0; k < r; ++k) {
    int64_t tdim = 4 - r + k;
    if (t.getDimSize(k) == 1 && target[tdim] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(loopDimsOf4[tdim], ctx));
  }
  return AffineMap::get(numLoops, 0, exprs, ctx);
}
} // namespace

FailureOr<SmallVector<Value>> SdpaOp::decomposeToLinalg(OpBuilder &builder) {
  Location loc = getLoc();
  MLIRContext *ctx = getContext();
  auto qt = getQuery().getType();
  auto et = cast<FloatType>(qt.getElementType());
  FloatType acc = et.getWidth() < 32 ? builder.getF32Type() : et;
  Emitter e{builder, loc, acc};
  OpBuilder &b = builder;

  SmallVector<OpFoldResult> qs = tensor::getMixedSizes(b, loc, getQuery());
  SmallVector<OpFoldResult> ks = tensor::getMixedSizes(b, loc, getKey());
  SmallVector<OpFoldResult> vs = tensor::getMixedSizes(b, loc, getValue());
  int64_t group = getGroupSize();

  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  AffineExpr kvHead = group == 1 ? d1 : d1.floorDiv(group);
  auto par = IteratorType::parallel, red = IteratorType::reduction;

  // S[b,h,i,j] = sum_d Q[b,h,i,d] K[b,h/G,j,d]      loops (b,h,i,j,d)
  SmallVector<OpFoldResult> sSizes = {qs[0], qs[1], qs[2], ks[2]};
  Value s0 = e.filled(sSizes, 0.0);
  Value scores =
      linalg::GenericOp::create(
          b, loc, s0.getType(), ValueRange{getQuery(), getKey()},
          ValueRange{s0},
          {e.map(5, {d0, d1, d2, d4}), e.map(5, {d0, kvHead, d3, d4}),
           e.map(5, {d0, d1, d2, d3})},
          {par, par, par, par, red},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Emitter ne{nb, nl, acc};
            Value p = arith::MulFOp::create(nb, nl, ne.toAcc(a[0]),
                                            ne.toAcc(a[1]));
            linalg::YieldOp::create(nb, nl,
                                    arith::AddFOp::create(nb, nl, a[2], p)
                                        .getResult());
          })
          .getResult(0);

  // Scale, softcap, mask and causal, elementwise over (b,h,i,j).
  SmallVector<int64_t> target = {qt.getDimSize(0), qt.getDimSize(1),
                                 qt.getDimSize(2),
                                 getKey().getType().getDimSize(2)};
  SmallVector<Value> ins = {scores};
  SmallVector<AffineMap> maps = {e.map(4, {d0, d1, d2, d3})};
  Value mask = getMask();
  bool boolMask = false;
  if (mask) {
    auto mt = cast<RankedTensorType>(mask.getType());
    boolMask = mt.getElementType().isInteger(1);
    ins.push_back(mask);
    maps.push_back(broadcastMap(ctx, 4, {0, 1, 2, 3}, mt, target));
  }
  maps.push_back(e.map(4, {d0, d1, d2, d3}));
  double scale = getEffectiveScale();
  std::optional<double> softcap;
  if (auto c = getSoftcap())
    softcap = c->convertToDouble();
  CausalKind causal = getCausal();
  Value lkMinusLq;
  if (causal == CausalKind::bottom_right) {
    Value lqV = getValueOrCreateConstantIndexOp(b, loc, qs[2]);
    Value lkV = getValueOrCreateConstantIndexOp(b, loc, ks[2]);
    lkMinusLq = arith::SubIOp::create(b, loc, lkV, lqV);
  }
  double negInf = -std::numeric_limits<double>::infinity();
  Value masked =
      linalg::GenericOp::create(
          b, loc, s0.getType(), ins, ValueRange{e.empty(sSizes, acc)}, maps,
          {par, par, par, par},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Emitter ne{nb, nl, acc};
            Value s = arith::MulFOp::create(nb, nl, a[0], ne.cst(scale));
            if (softcap) {
              Value t = arith::DivFOp::create(nb, nl, s, ne.cst(*softcap));
              t = math::TanhOp::create(nb, nl, t);
              s = arith::MulFOp::create(nb, nl, t, ne.cst(*softcap));
            }
            if (mask) {
              if (boolMask)
                s = arith::SelectOp::create(nb, nl, a[1], s, ne.cst(negInf));
              else
                s = arith::AddFOp::create(nb, nl, s, ne.toAcc(a[1]));
            }
            if (causal != CausalKind::none) {
              Value i = linalg::IndexOp::create(nb, nl, 2);
              Value j = linalg::IndexOp::create(nb, nl, 3);
              Value limit = i;
              if (lkMinusLq)
                limit = arith::AddIOp::create(nb, nl, i, lkMinusLq);
              Value future = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::sgt, j, limit);
              s = arith::SelectOp::create(nb, nl, future, ne.cst(negInf), s);
            }
            linalg::YieldOp::create(nb, nl, s);
          })
          .getResult(0);

  // Row max m[b,h,i]; a fully masked row (m = -inf) uses 0 so that every
  // exp() is 0 and the row comes out as zeros.
  SmallVector<OpFoldResult> rowSizes = {qs[0], qs[1], qs[2]};
  AffineMap full4 = e.map(4, {d0, d1, d2, d3}), row4 = e.map(4, {d0, d1, d2});
  Value rowMax =
      linalg::GenericOp::create(
          b, loc, e.filled(rowSizes, negInf).getType(), ValueRange{masked},
          ValueRange{e.filled(rowSizes, negInf)}, {full4, row4},
          {par, par, par, red},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            linalg::YieldOp::create(
                nb, nl,
                arith::MaximumFOp::create(nb, nl, a[0], a[1]).getResult());
          })
          .getResult(0);
  Value probs =
      linalg::GenericOp::create(
          b, loc, s0.getType(), ValueRange{masked, rowMax},
          ValueRange{e.empty(sSizes, acc)}, {full4, row4, full4},
          {par, par, par, par},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Emitter ne{nb, nl, acc};
            Value isNegInf = arith::CmpFOp::create(
                nb, nl, arith::CmpFPredicate::OEQ, a[1], ne.cst(negInf));
            Value m = arith::SelectOp::create(nb, nl, isNegInf, ne.cst(0.0),
                                              a[1]);
            Value x = arith::SubFOp::create(nb, nl, a[0], m);
            linalg::YieldOp::create(nb, nl,
                                    math::ExpOp::create(nb, nl, x).getResult());
          })
          .getResult(0);
  Value rowSum =
      linalg::GenericOp::create(
          b, loc, e.filled(rowSizes, 0.0).getType(), ValueRange{probs},
          ValueRange{e.filled(rowSizes, 0.0)}, {full4, row4},
          {par, par, par, red},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            linalg::YieldOp::create(
                nb, nl, arith::AddFOp::create(nb, nl, a[0], a[1]).getResult());
          })
          .getResult(0);

  // O[b,h,i,d] = sum_j P[b,h,i,j] V[b,h/G,j,d]      loops (b,h,i,d,j)
  SmallVector<OpFoldResult> oSizes = {qs[0], qs[1], qs[2], vs[3]};
  Value o0 = e.filled(oSizes, 0.0);
  Value unnorm =
      linalg::GenericOp::create(
          b, loc, o0.getType(), ValueRange{probs, getValue()}, ValueRange{o0},
          {e.map(5, {d0, d1, d2, d4}), e.map(5, {d0, kvHead, d4, d3}),
           e.map(5, {d0, d1, d2, d3})},
          {par, par, par, par, red},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Emitter ne{nb, nl, acc};
            Value p = arith::MulFOp::create(nb, nl, a[0], ne.toAcc(a[1]));
            linalg::YieldOp::create(nb, nl,
                                    arith::AddFOp::create(nb, nl, a[2], p)
                                        .getResult());
          })
          .getResult(0);
  Value result =
      linalg::GenericOp::create(
          b, loc, getResult().getType(), ValueRange{unnorm, rowSum},
          ValueRange{e.empty(oSizes, et)}, {full4, row4, full4},
          {par, par, par, par},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Emitter ne{nb, nl, acc};
            Value zero = arith::CmpFOp::create(
                nb, nl, arith::CmpFPredicate::OEQ, a[1], ne.cst(0.0));
            Value denom =
                arith::SelectOp::create(nb, nl, zero, ne.cst(1.0), a[1]);
            Value o = arith::DivFOp::create(nb, nl, a[0], denom);
            if (et != acc)
              o = arith::TruncFOp::create(nb, nl, et, o);
            linalg::YieldOp::create(nb, nl, o);
          })
          .getResult(0);
  return SmallVector<Value>{result};
}
