//===- Normalization.cpp - LayerNormalization and its com.microsoft kin -===//
//
// LayerNormalization, com.microsoft.SkipLayerNormalization and the RMS
// variants (SimplifiedLayerNormalization, SkipSimplifiedLayerNormalization).
// Statistics are computed in two passes (mean, then the centered sum of
// squares) in f32 or wider, which is at least as accurate as onnxruntime's
// one-pass kernel.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/OnnxToLinalg/Handlers.h"

using namespace mlir;
using namespace mlir::attn::onnx_to_linalg;
using utils::IteratorType;

namespace {
struct Normalized {
  Value y;      // result, element type of x
  Value mean;   // kept dims, accumulator type (null for RMS)
  Value invStd; // kept dims, accumulator type
};

/// Normalizes `x` over the dims from `axis` on, then multiplies by `scale`
/// and adds `bias` (optional), both broadcast against x.
Normalized normalize(OpBuilder &b, Location loc, Value x, Value scale,
                     Value bias, int64_t axis, double eps, bool rms) {
  MLIRContext *ctx = b.getContext();
  auto xt = tensorType(x);
  auto ft = cast<FloatType>(xt.getElementType());
  FloatType acc = computeType(ft);
  int64_t rank = xt.getRank();
  SmallVector<bool> mask(rank, false);
  int64_t n = 1;
  for (int64_t d = axis; d < rank; ++d) {
    mask[d] = true;
    n *= xt.getDimSize(d);
  }
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap kept = keptDimsMap(ctx, mask);
  SmallVector<IteratorType> redIters;
  for (bool m : mask)
    redIters.push_back(m ? IteratorType::reduction : IteratorType::parallel);
  auto add = [](OpBuilder &nb, Location nl, Value v, Value a) -> Value {
    return arith::AddFOp::create(nb, nl, v, a);
  };
  Value zero = scalarConst(b, loc, acc, 0.0);
  Value mean;
  if (!rms) {
    Value sum = buildReduction(b, loc, x, mask, acc, zero, add);
    mean =
        buildElementwise(b, loc, {sum}, tensorType(sum),
                         [&](OpBuilder &nb, Location nl, ValueRange a) {
                           return arith::DivFOp::create(
                                      nb, nl, a[0], scalarConst(nb, nl, acc, n))
                               .getResult();
                         });
  }
  // Sum of squares of (x - mean), or of x for RMS.
  SmallVector<int64_t> keptShape;
  for (int64_t d = 0; d < axis; ++d)
    keptShape.push_back(xt.getDimSize(d));
  Value sq0 = filledTensor(b, loc, RankedTensorType::get(keptShape, acc), zero);
  SmallVector<Value> ins = {x};
  SmallVector<AffineMap> maps = {id};
  if (mean) {
    ins.push_back(mean);
    maps.push_back(kept);
  }
  maps.push_back(kept);
  Value sq =
      linalg::GenericOp::create(
          b, loc, sq0.getType(), ins, ValueRange{sq0}, maps, redIters,
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value v = castScalar(nb, nl, a[0], acc);
            if (mean)
              v = arith::SubFOp::create(nb, nl, v, a[1]);
            v = arith::MulFOp::create(nb, nl, v, v);
            linalg::YieldOp::create(
                nb, nl, arith::AddFOp::create(nb, nl, v, a.back()).getResult());
          })
          .getResult(0);
  Value invStd = buildElementwise(
      b, loc, {sq}, tensorType(sq),
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value var =
            arith::DivFOp::create(nb, nl, a[0], scalarConst(nb, nl, acc, n));
        var = arith::AddFOp::create(nb, nl, var, scalarConst(nb, nl, acc, eps));
        return math::RsqrtOp::create(nb, nl, var);
      });
  ins = {x, invStd};
  maps = {id, kept};
  if (mean) {
    ins.push_back(mean);
    maps.push_back(kept);
  }
  int scaleIdx = -1, biasIdx = -1;
  if (scale) {
    scaleIdx = ins.size();
    ins.push_back(scale);
    maps.push_back(broadcastMap(ctx, tensorType(scale), xt.getShape()));
  }
  if (bias) {
    biasIdx = ins.size();
    ins.push_back(bias);
    maps.push_back(broadcastMap(ctx, tensorType(bias), xt.getShape()));
  }
  maps.push_back(id);
  Value y = linalg::GenericOp::create(
                b, loc, xt, ins, ValueRange{emptyTensor(b, loc, xt)}, maps,
                SmallVector<IteratorType>(rank, IteratorType::parallel),
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  Value v = castScalar(nb, nl, a[0], acc);
                  if (mean)
                    v = arith::SubFOp::create(nb, nl, v, a[2]);
                  v = arith::MulFOp::create(nb, nl, v, a[1]);
                  if (scaleIdx >= 0)
                    v = arith::MulFOp::create(
                        nb, nl, v, castScalar(nb, nl, a[scaleIdx], acc));
                  if (biasIdx >= 0)
                    v = arith::AddFOp::create(
                        nb, nl, v, castScalar(nb, nl, a[biasIdx], acc));
                  linalg::YieldOp::create(nb, nl, castScalar(nb, nl, v, ft));
                })
                .getResult(0);
  return {y, mean, invStd};
}

/// Statistic `v` (kept dims, accumulator type) as optional output `i`.
Value statOutput(OpBuilder &b, Location loc, NodeOp op, unsigned i, Value v) {
  if (i >= op.getOutputs().size() || op.getOutputs()[i].use_empty() || !v)
    return Value();
  RankedTensorType rt = resultType(op, i);
  auto vt = tensorType(v);
  if (vt.getElementType() != rt.getElementType())
    v = buildElementwise(
        b, loc, {v}, RankedTensorType::get(vt.getShape(), rt.getElementType()),
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          return castScalar(nb, nl, a[0], rt.getElementType());
        });
  return reshapeTo(b, loc, v, rt);
}

Value optionalInput(NodeOp op, unsigned i) {
  return op.isAbsentInput(i) ? Value() : input(op, i);
}

HandlerResult lowerLayerNorm(OpBuilder &b, NodeOp op, bool rms) {
  Location loc = op.getLoc();
  Value x = input(op, 0);
  auto xt = tensorType(x);
  if (!isa<FloatType>(xt.getElementType()))
    return fail(op, "expected a floating-point input");
  std::optional<int64_t> axis =
      normalizeAxis(op.getIntAttr("axis", -1), xt.getRank());
  if (!axis)
    return fail(op, "axis out of range");
  Normalized r = normalize(b, loc, x, optionalInput(op, 1),
                           rms ? Value() : optionalInput(op, 2), *axis,
                           op.getFloatAttr("epsilon", 1e-5), rms);
  if (rms)
    return SmallVector<Value>{r.y, statOutput(b, loc, op, 1, r.invStd)};
  return SmallVector<Value>{r.y, statOutput(b, loc, op, 1, r.mean),
                            statOutput(b, loc, op, 2, r.invStd)};
}

/// com.microsoft.Skip[Simplified]LayerNormalization: normalize
/// input + skip (+ bias) over the last dim. Outputs: output, mean,
/// inv_std_var, input_skip_bias_sum.
HandlerResult lowerSkipLayerNorm(OpBuilder &b, NodeOp op, bool rms) {
  Location loc = op.getLoc();
  Value x = input(op, 0);
  auto xt = tensorType(x);
  auto ft = dyn_cast<FloatType>(xt.getElementType());
  if (!ft)
    return fail(op, "expected a floating-point input");
  unsigned biasIdx = rms ? 3 : 4;
  SmallVector<Value> terms = {x, input(op, 1)};
  if (Value bias = optionalInput(op, biasIdx))
    terms.push_back(bias);
  FloatType acc = computeType(ft);
  Value sum = buildElementwise(
      b, loc, terms, xt, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = castScalar(nb, nl, a[0], acc);
        for (Value t : a.drop_front())
          v = arith::AddFOp::create(nb, nl, v, castScalar(nb, nl, t, acc));
        return castScalar(nb, nl, v, ft);
      });
  Normalized r =
      normalize(b, loc, sum, input(op, 2), rms ? Value() : optionalInput(op, 3),
                xt.getRank() - 1, op.getFloatAttr("epsilon", 1e-12), rms);
  return SmallVector<Value>{r.y, statOutput(b, loc, op, 1, r.mean),
                            statOutput(b, loc, op, 2, r.invStd), sum};
}
} // namespace

void mlir::attn::onnx_to_linalg::addNormalizationHandlers(HandlerTable &t) {
  t["LayerNormalization"] = [](OpBuilder &b, NodeOp op) {
    return lowerLayerNorm(b, op, false);
  };
  t["SimplifiedLayerNormalization"] = [](OpBuilder &b, NodeOp op) {
    return lowerLayerNorm(b, op, true);
  };
  t["com.microsoft.SimplifiedLayerNormalization"] =
      t["SimplifiedLayerNormalization"];
  t["com.microsoft.SkipLayerNormalization"] = [](OpBuilder &b, NodeOp op) {
    return lowerSkipLayerNorm(b, op, false);
  };
  t["com.microsoft.SkipSimplifiedLayerNormalization"] =
      [](OpBuilder &b, NodeOp op) { return lowerSkipLayerNorm(b, op, true); };
}
