//===- Reductions.cpp - Reduce*, Softmax, LogSoftmax --------------------===//
//
// Reductions produce a tensor of the kept dims (Builders.cpp) that is then
// reshaped to the node's result type, which already encodes keepdims.
// Softmax is written in its stable form: max-subtract, exp, sum, divide.
// f16/bf16 inputs accumulate in f32.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/OnnxToLinalg/Handlers.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn::onnx_to_linalg;
using utils::IteratorType;

namespace {
enum class Red { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LogSumExp };

/// Axes of a Reduce* node as a mask; nullopt on error (already reported).
/// `identity` is set when the node reduces nothing (noop_with_empty_axes).
std::optional<SmallVector<bool>> reductionAxes(NodeOp op, bool &identity) {
  int64_t rank = tensorType(input(op, 0)).getRank();
  // Axes moved from attribute to input in opset 13 for ReduceSum and in
  // opset 18 for the others.
  int64_t inputFrom = op.getOpType() == "ReduceSum" ? 13 : 18;
  SmallVector<int64_t> axes;
  if (static_cast<int64_t>(op.getOpset()) >= inputFrom) {
    if (!op.isAbsentInput(1) && !getConstInts(input(op, 1), axes)) {
      (void)fail(op, "axes input must be a constant");
      return std::nullopt;
    }
  } else {
    axes = op.getIntsAttr("axes");
  }
  identity = false;
  SmallVector<bool> mask(rank, axes.empty());
  if (axes.empty() && op.getIntAttr("noop_with_empty_axes", 0)) {
    identity = true;
    mask.assign(rank, false);
  }
  for (int64_t a : axes) {
    std::optional<int64_t> n = normalizeAxis(a, rank);
    if (!n) {
      (void)fail(op, "axis " + Twine(a) + " out of range");
      return std::nullopt;
    }
    mask[*n] = true;
  }
  return mask;
}

/// Neutral element of the reduction in type `t`.
Value initValue(OpBuilder &b, Location loc, Red kind, Type t) {
  bool isFloat = isa<FloatType>(t);
  if (kind == Red::Max || kind == Red::Min) {
    bool max = kind == Red::Max;
    if (isFloat)
      return scalarConst(b, loc, t, max ? -INFINITY : INFINITY);
    unsigned w = t.getIntOrFloatBitWidth();
    APInt v = max ? APInt::getSignedMinValue(w) : APInt::getSignedMaxValue(w);
    return arith::ConstantOp::create(b, loc, t, b.getIntegerAttr(t, v));
  }
  return scalarConst(b, loc, t, kind == Red::Prod ? 1 : 0);
}

Value combine(OpBuilder &b, Location l, Red kind, Value x, Value acc) {
  bool f = isa<FloatType>(x.getType());
  switch (kind) {
  case Red::Max:
    return f ? arith::MaximumFOp::create(b, l, x, acc).getResult()
             : arith::MaxSIOp::create(b, l, x, acc).getResult();
  case Red::Min:
    return f ? arith::MinimumFOp::create(b, l, x, acc).getResult()
             : arith::MinSIOp::create(b, l, x, acc).getResult();
  case Red::Prod:
    return f ? arith::MulFOp::create(b, l, x, acc).getResult()
             : arith::MulIOp::create(b, l, x, acc).getResult();
  case Red::SumSquare:
  case Red::L2:
    x = f ? arith::MulFOp::create(b, l, x, x).getResult()
          : arith::MulIOp::create(b, l, x, x).getResult();
    break;
  case Red::L1:
    x = f ? math::AbsFOp::create(b, l, x).getResult()
          : math::AbsIOp::create(b, l, x).getResult();
    break;
  default:
    break;
  }
  return f ? arith::AddFOp::create(b, l, x, acc).getResult()
           : arith::AddIOp::create(b, l, x, acc).getResult();
}

HandlerResult lowerReduce(OpBuilder &b, NodeOp op, Red kind) {
  Location loc = op.getLoc();
  RankedTensorType outType = resultType(op);
  Type et = outType.getElementType();
  Value x = input(op, 0);
  auto xt = tensorType(x);
  if (xt.getElementType() != et || et.isInteger(1))
    return fail(op, "unsupported element types");
  bool identity;
  std::optional<SmallVector<bool>> mask = reductionAxes(op, identity);
  if (!mask)
    return failure();
  if (identity)
    return SmallVector<Value>{x};
  auto ft = dyn_cast<FloatType>(et);
  if (!ft && (kind == Red::Mean || kind == Red::L2 || kind == Red::LogSumExp))
    return fail(op, "expected a floating-point input");
  Type acc = ft ? Type(computeType(ft)) : et;
  Value maxv;
  if (kind == Red::LogSumExp) {
    maxv = buildReduction(
        b, loc, x, *mask, acc, scalarConst(b, loc, acc, -INFINITY),
        [](OpBuilder &nb, Location nl, Value v, Value a) -> Value {
          return arith::MaximumFOp::create(nb, nl, v, a);
        });
    // exp(x - max) before summing.
    auto full = RankedTensorType::get(xt.getShape(), acc);
    MLIRContext *ctx = b.getContext();
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(xt.getRank(), ctx),
        keptDimsMap(ctx, *mask),
        AffineMap::getMultiDimIdentityMap(xt.getRank(), ctx)};
    x = linalg::GenericOp::create(
            b, loc, full, ValueRange{x, maxv},
            ValueRange{emptyTensor(b, loc, full)}, maps,
            SmallVector<IteratorType>(xt.getRank(), IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value d = arith::SubFOp::create(
                  nb, nl, castScalar(nb, nl, a[0], acc), a[1]);
              linalg::YieldOp::create(
                  nb, nl, math::ExpOp::create(nb, nl, d).getResult());
            })
            .getResult(0);
  }
  Value r = buildReduction(b, loc, x, *mask, acc, initValue(b, loc, kind, acc),
                           [&](OpBuilder &nb, Location nl, Value v, Value a) {
                             return combine(nb, nl, kind, v, a);
                           });
  int64_t count = 1;
  for (auto [d, m] : llvm::enumerate(*mask))
    if (m)
      count *= xt.getDimSize(d);
  auto rt = tensorType(r);
  SmallVector<Value> ins = {r};
  if (maxv)
    ins.push_back(maxv);
  r = buildElementwise(
      b, loc, ins, RankedTensorType::get(rt.getShape(), et),
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = a[0];
        if (kind == Red::Mean)
          v = arith::DivFOp::create(nb, nl, v, scalarConst(nb, nl, acc, count));
        else if (kind == Red::L2)
          v = math::SqrtOp::create(nb, nl, v);
        else if (kind == Red::LogSumExp)
          v = arith::AddFOp::create(nb, nl, math::LogOp::create(nb, nl, v),
                                    a[1]);
        return castScalar(nb, nl, v, et);
      });
  if (tensorType(r).getNumElements() != outType.getNumElements())
    return fail(op, "result type does not match the reduction");
  return SmallVector<Value>{reshapeTo(b, loc, r, outType)};
}

/// Softmax / LogSoftmax. From opset 13 the op works on one axis; before, the
/// input is coerced to 2-D at `axis` (default 1), which means normalizing
/// over all dims from `axis` on.
HandlerResult lowerSoftmax(OpBuilder &b, NodeOp op, bool isLog) {
  Location loc = op.getLoc();
  RankedTensorType outType = resultType(op);
  auto ft = dyn_cast<FloatType>(outType.getElementType());
  if (!ft)
    return fail(op, "expected a floating-point input");
  Value x = input(op, 0);
  int64_t rank = outType.getRank();
  bool legacy = op.getOpset() < 13;
  std::optional<int64_t> axis =
      normalizeAxis(op.getIntAttr("axis", legacy ? 1 : -1), rank);
  if (!axis)
    return fail(op, "axis out of range");
  SmallVector<bool> mask(rank, false);
  for (int64_t d = *axis; d < (legacy ? rank : *axis + 1); ++d)
    mask[d] = true;
  FloatType acc = computeType(ft);
  MLIRContext *ctx = b.getContext();
  Value maxv =
      buildReduction(b, loc, x, mask, acc, scalarConst(b, loc, acc, -INFINITY),
                     [](OpBuilder &nb, Location nl, Value v, Value a) -> Value {
                       return arith::MaximumFOp::create(nb, nl, v, a);
                     });
  auto full = RankedTensorType::get(outType.getShape(), acc);
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap kept = keptDimsMap(ctx, mask);
  SmallVector<IteratorType> par(rank, IteratorType::parallel);
  // e = exp(x - max)
  Value e = linalg::GenericOp::create(
                b, loc, full, ValueRange{x, maxv},
                ValueRange{emptyTensor(b, loc, full)},
                SmallVector<AffineMap>{id, kept, id}, par,
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  Value d = arith::SubFOp::create(
                      nb, nl, castScalar(nb, nl, a[0], acc), a[1]);
                  linalg::YieldOp::create(
                      nb, nl, math::ExpOp::create(nb, nl, d).getResult());
                })
                .getResult(0);
  Value sum =
      buildReduction(b, loc, e, mask, acc, scalarConst(b, loc, acc, 0.0),
                     [](OpBuilder &nb, Location nl, Value v, Value a) -> Value {
                       return arith::AddFOp::create(nb, nl, v, a);
                     });
  SmallVector<Value> ins =
      isLog ? SmallVector<Value>{x, maxv, sum} : SmallVector<Value>{e, sum};
  SmallVector<AffineMap> maps = isLog
                                    ? SmallVector<AffineMap>{id, kept, kept, id}
                                    : SmallVector<AffineMap>{id, kept, id};
  Value y = linalg::GenericOp::create(
                b, loc, outType, ins, ValueRange{emptyTensor(b, loc, outType)},
                maps, par,
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  Value v;
                  if (isLog) {
                    // x - max - log(sum)
                    v = arith::SubFOp::create(
                        nb, nl, castScalar(nb, nl, a[0], acc), a[1]);
                    v = arith::SubFOp::create(
                        nb, nl, v, math::LogOp::create(nb, nl, a[2]));
                  } else {
                    v = arith::DivFOp::create(nb, nl, a[0], a[1]);
                  }
                  linalg::YieldOp::create(nb, nl, castScalar(nb, nl, v, ft));
                })
                .getResult(0);
  return SmallVector<Value>{y};
}

/// ArgMax / ArgMin: first (or last, select_last_index) extreme index.
HandlerResult lowerArg(OpBuilder &b, NodeOp op, bool isMax) {
  Location loc = op.getLoc();
  RankedTensorType outType = resultType(op);
  Value x = input(op, 0);
  auto xt = tensorType(x);
  Type et = xt.getElementType();
  int64_t rank = xt.getRank();
  std::optional<int64_t> axis = normalizeAxis(op.getIntAttr("axis", 0), rank);
  if (!axis)
    return fail(op, "axis out of range");
  bool last = op.getIntAttr("select_last_index", 0) != 0;
  SmallVector<bool> mask(rank, false);
  mask[*axis] = true;
  SmallVector<int64_t> kept;
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis)
      kept.push_back(xt.getDimSize(d));
  auto valT = RankedTensorType::get(kept, et);
  auto idxT = RankedTensorType::get(kept, outType.getElementType());
  Value v0 = filledTensor(b, loc, valT,
                          initValue(b, loc, isMax ? Red::Max : Red::Min, et));
  Value i0 = filledTensor(b, loc, idxT,
                          scalarConst(b, loc, outType.getElementType(), 0));
  MLIRContext *ctx = b.getContext();
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);
  iters[*axis] = IteratorType::reduction;
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{valT, idxT}, ValueRange{x}, ValueRange{v0, i0},
      SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, ctx),
                             keptDimsMap(ctx, mask), keptDimsMap(ctx, mask)},
      iters, [&](OpBuilder &nb, Location nl, ValueRange a) {
        bool f = isa<FloatType>(et);
        Value better;
        if (f)
          better =
              arith::CmpFOp::create(nb, nl,
                                    isMax ? (last ? arith::CmpFPredicate::OGE
                                                  : arith::CmpFPredicate::OGT)
                                          : (last ? arith::CmpFPredicate::OLE
                                                  : arith::CmpFPredicate::OLT),
                                    a[0], a[1]);
        else
          better =
              arith::CmpIOp::create(nb, nl,
                                    isMax ? (last ? arith::CmpIPredicate::sge
                                                  : arith::CmpIPredicate::sgt)
                                          : (last ? arith::CmpIPredicate::sle
                                                  : arith::CmpIPredicate::slt),
                                    a[0], a[1]);
        Value i = linalg::IndexOp::create(nb, nl, *axis);
        i = arith::IndexCastOp::create(nb, nl, a[2].getType(), i);
        // The first element always wins, so the -inf/+inf init never stays.
        Value first =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                  linalg::IndexOp::create(nb, nl, *axis),
                                  arith::ConstantIndexOp::create(nb, nl, 0));
        better = arith::OrIOp::create(nb, nl, better, first);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::SelectOp::create(nb, nl, better, a[0], a[1]),
                       arith::SelectOp::create(nb, nl, better, i, a[2])});
      });
  return SmallVector<Value>{reshapeTo(b, loc, g.getResult(1), outType)};
}
} // namespace

void mlir::attn::onnx_to_linalg::addReductionHandlers(HandlerTable &t) {
  t["ReduceSum"] = [](OpBuilder &b, NodeOp op) {
    return lowerReduce(b, op, Red::Sum);
  };
  t["ReduceMean"] = [](OpBuilder &b, NodeOp op) {
    return lowerReduce(b, op, Red::Mean);
  };
  t["ReduceMax"] = [](OpBuilder &b, NodeOp op) {
    return lowerReduce(b, op, Red::Max);
  };
  t["ReduceMin"] = [](OpBuilder &b, NodeOp op) {
    return lowerReduce(b, op, Red::Min);
  };
  t["ReduceProd"] = [](OpBuilder &b, NodeOp op) {
    return lowerReduce(b, op, Red::Prod);
  };
  t["ReduceSumSquare"] = [](OpBuilder &b, NodeOp op) {
    return lowerReduce(b, op, Red::SumSquare);
  };
  t["ReduceL1"] = [](OpBuilder &b, NodeOp op) {
    return lowerReduce(b, op, Red::L1);
  };
  t["ReduceL2"] = [](OpBuilder &b, NodeOp op) {
    return lowerReduce(b, op, Red::L2);
  };
  t["ReduceLogSumExp"] = [](OpBuilder &b, NodeOp op) {
    return lowerReduce(b, op, Red::LogSumExp);
  };
  t["Softmax"] = [](OpBuilder &b, NodeOp op) {
    return lowerSoftmax(b, op, false);
  };
  t["LogSoftmax"] = [](OpBuilder &b, NodeOp op) {
    return lowerSoftmax(b, op, true);
  };
  t["ArgMax"] = [](OpBuilder &b, NodeOp op) { return lowerArg(b, op, true); };
  t["ArgMin"] = [](OpBuilder &b, NodeOp op) { return lowerArg(b, op, false); };
}
