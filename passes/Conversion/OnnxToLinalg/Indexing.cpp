//===- Indexing.cpp - Gather, GatherElements, Trilu, Range, constants ---===//
//
// Ops whose bodies compute addresses from the loop indices (linalg.index +
// tensor.extract), and the shape-derived constants (Shape, Size,
// ConstantOfShape) that onnx-infer-shapes normally folds already.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/OnnxToLinalg/Handlers.h"

using namespace mlir;
using namespace mlir::attn::onnx_to_linalg;
using utils::IteratorType;

namespace {
/// Index value of an integer index element, negative values wrapped by
/// `dim`. An index outside [-dim, dim) is reported through run-time check
/// `site` (onnxruntime rejects it too) and clamped into [0, dim), so that it
/// cannot read out of bounds before the runner reports it.
Value wrapIndex(OpBuilder &b, Location l, Value i, int64_t dim, int64_t site) {
  Value idx = arith::IndexCastOp::create(b, l, b.getIndexType(), i);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value d = arith::ConstantIndexOp::create(b, l, dim);
  Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, idx, zero);
  idx = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, idx, d),
                                idx);
  // One unsigned comparison: negative (still, after wrapping) or >= dim.
  Value bad = arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge, idx, d);
  emitCheck(b, l, bad, site, i, dim);
  idx = arith::MaxSIOp::create(b, l, idx, zero);
  return arith::MinSIOp::create(b, l, idx,
                                arith::ConstantIndexOp::create(b, l, dim - 1));
}

/// The run-time check of `op`'s indices along `axis` (size `dim`), or
/// failure (reported) when the axis is empty and there are indices to read:
/// no index is valid, and the clamp could not keep the read in bounds.
FailureOr<int64_t> indexCheck(NodeOp op, int64_t axis, int64_t dim,
                              RankedTensorType result) {
  if (dim == 0 && result.getNumElements() > 0) {
    (void)fail(op, "axis " + Twine(axis) +
                       " of the data has size 0: no index is valid");
    return failure();
  }
  return registerCheck(op, op.describe() + ": index out of range for axis " +
                               Twine(axis) + " of its data (size " +
                               Twine(dim) + ")");
}

HandlerResult lowerGather(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  Value data = input(op, 0), indices = input(op, 1);
  auto dt = tensorType(data), it = tensorType(indices);
  RankedTensorType outType = resultType(op);
  int64_t r = dt.getRank(), q = it.getRank();
  std::optional<int64_t> axis = normalizeAxis(op.getIntAttr("axis", 0), r);
  if (!axis || r == 0)
    return fail(op, "axis out of range");
  if (outType.getRank() != r + q - 1)
    return fail(op, "result rank must be rank(data) + rank(indices) - 1");
  if (!isa<IntegerType>(it.getElementType()))
    return fail(op, "indices must be integers");
  int64_t n = outType.getRank();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t k = 0; k < q; ++k)
    idxExprs.push_back(getAffineDimExpr(*axis + k, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(n, 0, idxExprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(n, ctx)};
  int64_t dim = dt.getDimSize(*axis);
  FailureOr<int64_t> check = indexCheck(op, *axis, dim, outType);
  if (failed(check))
    return failure();
  int64_t site = *check;
  Value r0 =
      linalg::GenericOp::create(
          b, loc, outType, ValueRange{indices},
          ValueRange{emptyTensor(b, loc, outType)}, maps,
          SmallVector<IteratorType>(n, IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            SmallVector<Value> src;
            for (int64_t d = 0; d < *axis; ++d)
              src.push_back(linalg::IndexOp::create(nb, nl, d));
            src.push_back(wrapIndex(nb, nl, a[0], dim, site));
            for (int64_t d = *axis + 1; d < r; ++d)
              src.push_back(linalg::IndexOp::create(nb, nl, d + q - 1));
            linalg::YieldOp::create(
                nb, nl,
                tensor::ExtractOp::create(nb, nl, data, src).getResult());
          })
          .getResult(0);
  return SmallVector<Value>{r0};
}

HandlerResult lowerGatherElements(OpBuilder &b, NodeOp op) {
  Value data = input(op, 0), indices = input(op, 1);
  auto dt = tensorType(data);
  int64_t r = dt.getRank();
  std::optional<int64_t> axis = normalizeAxis(op.getIntAttr("axis", 0), r);
  if (!axis || r == 0)
    return fail(op, "axis out of range");
  if (tensorType(indices).getShape() != resultType(op).getShape())
    return fail(op, "result shape must equal the indices shape");
  int64_t dim = dt.getDimSize(*axis);
  FailureOr<int64_t> check = indexCheck(op, *axis, dim, resultType(op));
  if (failed(check))
    return failure();
  int64_t site = *check;
  Value out = buildElementwise(
      b, op.getLoc(), {indices}, resultType(op),
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        SmallVector<Value> src;
        for (int64_t d = 0; d < r; ++d)
          src.push_back(d == *axis ? wrapIndex(nb, nl, a[0], dim, site)
                                   : linalg::IndexOp::create(nb, nl, d));
        return tensor::ExtractOp::create(nb, nl, data, src).getResult();
      });
  return SmallVector<Value>{out};
}

/// Scalar (as i64) of a one-element tensor operand.
Value extractScalar(OpBuilder &b, Location loc, Value t) {
  SmallVector<Value> zeros(tensorType(t).getRank(),
                           arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, t, zeros);
}

HandlerResult lowerTrilu(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  Value x = input(op, 0);
  int64_t rank = tensorType(x).getRank();
  if (rank < 2)
    return fail(op, "expected an input of rank >= 2");
  bool upper = op.getIntAttr("upper", 1) != 0;
  Value k =
      op.isAbsentInput(1)
          ? arith::ConstantIndexOp::create(b, loc, 0).getResult()
          : arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                       extractScalar(b, loc, input(op, 1)))
                .getResult();
  Type et = resultType(op).getElementType();
  Value r = buildElementwise(
      b, loc, {x}, resultType(op),
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value i = linalg::IndexOp::create(nb, nl, rank - 2);
        Value j = linalg::IndexOp::create(nb, nl, rank - 1);
        Value diff = arith::SubIOp::create(nb, nl, j, i);
        Value keep = arith::CmpIOp::create(nb, nl,
                                           upper ? arith::CmpIPredicate::sge
                                                 : arith::CmpIPredicate::sle,
                                           diff, k);
        return arith::SelectOp::create(nb, nl, keep, a[0],
                                       scalarConst(nb, nl, et, 0));
      });
  return SmallVector<Value>{r};
}

HandlerResult lowerRange(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  RankedTensorType outType = resultType(op);
  Type et = outType.getElementType();
  Value start = extractScalar(b, loc, input(op, 0));
  Value delta = extractScalar(b, loc, input(op, 2));
  Value r = buildIndexGeneric(
      b, loc, outType,
      [&](OpBuilder &nb, Location nl, ValueRange idx) -> Value {
        Value i = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), idx[0]);
        if (auto ft = dyn_cast<FloatType>(et)) {
          Value fi = arith::SIToFPOp::create(nb, nl, ft, i);
          return arith::AddFOp::create(
              nb, nl, start, arith::MulFOp::create(nb, nl, fi, delta));
        }
        i = castScalar(nb, nl, i, et);
        return arith::AddIOp::create(nb, nl, start,
                                     arith::MulIOp::create(nb, nl, i, delta));
      });
  return SmallVector<Value>{r};
}

HandlerResult lowerConstantOfShape(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  RankedTensorType outType = resultType(op);
  Type et = outType.getElementType();
  Value v = scalarConst(b, loc, et, 0);
  if (auto attr = op->getAttrOfType<DenseElementsAttr>("value")) {
    if (attr.getNumElements() != 1 || attr.getElementType() != et)
      return fail(op, "value must be a one-element tensor of the result type");
    v = arith::ConstantOp::create(
        b, loc, et, cast<TypedAttr>(*attr.value_begin<Attribute>()));
  }
  return SmallVector<Value>{filledTensor(b, loc, outType, v)};
}

HandlerResult lowerShape(OpBuilder &b, NodeOp op) {
  RankedTensorType outType = resultType(op);
  ArrayRef<int64_t> shape = tensorType(input(op, 0)).getShape();
  int64_t rank = shape.size();
  int64_t start = op.getIntAttr("start", 0);
  if (start < 0)
    start += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  if (outType.getRank() != 1 || start + outType.getDimSize(0) > rank)
    return fail(op, "result type does not match the input shape");
  SmallVector<APInt> vals;
  for (int64_t i = 0; i < outType.getDimSize(0); ++i)
    vals.push_back(APInt(outType.getElementTypeBitWidth(), shape[start + i]));
  return SmallVector<Value>{arith::ConstantOp::create(
      b, op.getLoc(), outType, DenseElementsAttr::get(outType, vals))};
}

HandlerResult lowerSize(OpBuilder &b, NodeOp op) {
  RankedTensorType outType = resultType(op);
  APInt n(outType.getElementTypeBitWidth(),
          tensorType(input(op, 0)).getNumElements());
  return SmallVector<Value>{arith::ConstantOp::create(
      b, op.getLoc(), outType, DenseElementsAttr::get(outType, n))};
}
} // namespace

void mlir::attn::onnx_to_linalg::addIndexingHandlers(HandlerTable &t) {
  t["Gather"] = lowerGather;
  t["GatherElements"] = lowerGatherElements;
  t["Trilu"] = lowerTrilu;
  t["Range"] = lowerRange;
  t["ConstantOfShape"] = lowerConstantOfShape;
  t["Shape"] = lowerShape;
  t["Size"] = lowerSize;
}
