//===- Tensors.cpp - data movement: reshapes, Transpose, Concat, Slice --===//
//
// Shape-changing ops. With static types every reshape-like op (Reshape,
// Flatten, Squeeze, Unsqueeze) is a collapse/expand to the result type;
// Concat, Split, Slice and Pad are insert/extract_slice chains; Expand and
// Tile are broadcasting generics.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/OnnxToLinalg/Handlers.h"

using namespace mlir;
using namespace mlir::attn::onnx_to_linalg;

namespace {
HandlerResult lowerReshapeLike(OpBuilder &b, NodeOp op) {
  RankedTensorType outType = resultType(op);
  auto it = tensorType(input(op, 0));
  if (it.getNumElements() != outType.getNumElements() ||
      it.getElementType() != outType.getElementType())
    return fail(op, "result type " + Twine(outType.getNumElements()) +
                        " elements does not match the input");
  return SmallVector<Value>{reshapeTo(b, op.getLoc(), input(op, 0), outType)};
}

HandlerResult lowerTranspose(OpBuilder &b, NodeOp op) {
  Value x = input(op, 0);
  int64_t rank = tensorType(x).getRank();
  SmallVector<int64_t> perm = op.getIntsAttr("perm");
  if (perm.empty())
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<bool> seen(rank, false);
  if (static_cast<int64_t>(perm.size()) != rank)
    return fail(op, "perm must have one entry per input dim");
  for (int64_t &p : perm) {
    std::optional<int64_t> n = normalizeAxis(p, rank);
    if (!n || seen[*n])
      return fail(op, "perm is not a permutation");
    seen[*n] = true;
    p = *n;
  }
  Value init = emptyTensor(b, op.getLoc(), resultType(op));
  return SmallVector<Value>{
      linalg::TransposeOp::create(b, op.getLoc(), x, init, perm)
          .getResult()[0]};
}

HandlerResult lowerConcat(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  RankedTensorType outType = resultType(op);
  int64_t rank = outType.getRank();
  std::optional<int64_t> axis = normalizeAxis(op.getIntAttr("axis", 0), rank);
  if (!axis)
    return fail(op, "axis out of range");
  Value acc = emptyTensor(b, loc, outType);
  int64_t offset = 0;
  for (Value v : op.getInputs()) {
    auto vt = tensorType(v);
    SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)),
        strides(rank, b.getIndexAttr(1)), sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(b.getIndexAttr(vt.getDimSize(d)));
    offs[*axis] = b.getIndexAttr(offset);
    offset += vt.getDimSize(*axis);
    if (vt.getNumElements() == 0)
      continue;
    acc = tensor::InsertSliceOp::create(b, loc, v, acc, offs, sizes, strides);
  }
  if (offset != outType.getDimSize(*axis))
    return fail(op, "inputs do not add up to the result along the axis");
  return SmallVector<Value>{acc};
}

/// Every Split form (split input/attribute, num_outputs, equal parts) is
/// already encoded in the result types: slice them off one after another.
HandlerResult lowerSplit(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  Value x = input(op, 0);
  auto xt = tensorType(x);
  int64_t rank = xt.getRank();
  std::optional<int64_t> axis = normalizeAxis(op.getIntAttr("axis", 0), rank);
  if (!axis)
    return fail(op, "axis out of range");
  SmallVector<Value> outs;
  int64_t offset = 0;
  for (auto [i, r] : llvm::enumerate(op.getOutputs())) {
    auto rt = dyn_cast<RankedTensorType>(r.getType());
    if (!rt || !rt.hasStaticShape())
      return fail(op, "output " + Twine(i) + " needs a static type");
    SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)),
        strides(rank, b.getIndexAttr(1)), sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(b.getIndexAttr(rt.getDimSize(d)));
    offs[*axis] = b.getIndexAttr(offset);
    offset += rt.getDimSize(*axis);
    if (offset > xt.getDimSize(*axis))
      return fail(op, "outputs exceed the input along the axis");
    outs.push_back(
        tensor::ExtractSliceOp::create(b, loc, rt, x, offs, sizes, strides));
  }
  return outs;
}

HandlerResult lowerSlice(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  Value x = input(op, 0);
  auto xt = tensorType(x);
  RankedTensorType outType = resultType(op);
  int64_t rank = xt.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (op.getOpset() < 10) {
    starts = op.getIntsAttr("starts");
    ends = op.getIntsAttr("ends");
    axes = op.getIntsAttr("axes");
  } else {
    if (!getConstInts(input(op, 1), starts) ||
        !getConstInts(input(op, 2), ends) ||
        (!op.isAbsentInput(3) && !getConstInts(input(op, 3), axes)) ||
        (!op.isAbsentInput(4) && !getConstInts(input(op, 4), steps)))
      return fail(op, "starts/ends/axes/steps must be constants");
  }
  if (axes.empty())
    for (int64_t i = 0; i < static_cast<int64_t>(starts.size()); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return fail(op, "starts/ends/axes/steps lengths differ");
  SmallVector<int64_t> offs(rank, 0), sizes(xt.getShape()), strides(rank, 1);
  bool negative = false;
  for (auto [i, a] : llvm::enumerate(axes)) {
    std::optional<int64_t> d = normalizeAxis(a, rank);
    if (!d)
      return fail(op, "axis " + Twine(a) + " out of range");
    int64_t dim = xt.getDimSize(*d), step = steps[i];
    if (step == 0)
      return fail(op, "step must not be 0");
    int64_t s = starts[i], e = ends[i];
    if (s < 0)
      s = s < -dim ? -1 : s + dim;
    if (e < 0)
      e = e < -dim ? -1 : e + dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      negative = true;
    }
    int64_t n =
        step > 0 ? (e - s + step - 1) / step : (s - e - step - 1) / -step;
    offs[*d] = s;
    sizes[*d] = std::max<int64_t>(n, 0);
    strides[*d] = step;
  }
  if (ArrayRef<int64_t>(sizes) != outType.getShape())
    return fail(op, "result type does not match the slice");
  if (!negative)
    return SmallVector<Value>{tensor::ExtractSliceOp::create(
        b, loc, outType, x, getAsIndexOpFoldResult(b.getContext(), offs),
        getAsIndexOpFoldResult(b.getContext(), sizes),
        getAsIndexOpFoldResult(b.getContext(), strides))};
  // Negative steps: read x[off + i * stride] element by element.
  Value r = buildIndexGeneric(
      b, loc, outType, [&](OpBuilder &nb, Location nl, ValueRange idx) {
        SmallVector<Value> src;
        for (int64_t d = 0; d < rank; ++d) {
          Value v = arith::MulIOp::create(
              nb, nl, idx[d],
              arith::ConstantIndexOp::create(nb, nl, strides[d]));
          src.push_back(arith::AddIOp::create(
              nb, nl, v, arith::ConstantIndexOp::create(nb, nl, offs[d])));
        }
        return tensor::ExtractOp::create(nb, nl, x, src).getResult();
      });
  return SmallVector<Value>{r};
}

/// Pad, constant mode. Negative pads crop first.
HandlerResult lowerPad(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  auto mode = op->getAttrOfType<StringAttr>("mode");
  if (mode && mode.getValue() != "constant")
    return fail(op, "unsupported mode '" + mode.getValue() +
                        "' (only 'constant' is implemented)");
  Value x = input(op, 0);
  auto xt = tensorType(x);
  RankedTensorType outType = resultType(op);
  Type et = outType.getElementType();
  int64_t rank = xt.getRank();
  SmallVector<int64_t> pads, axes;
  Value padValue;
  if (op.getOpset() < 11) {
    pads = op.getIntsAttr("pads");
    padValue = scalarConst(b, loc, et, op.getFloatAttr("value", 0.0));
  } else {
    if (!getConstInts(input(op, 1), pads))
      return fail(op, "pads must be a constant");
    if (!op.isAbsentInput(3) && !getConstInts(input(op, 3), axes))
      return fail(op, "axes must be a constant");
    if (!op.isAbsentInput(2)) {
      Value c = input(op, 2);
      SmallVector<Value> zeros(tensorType(c).getRank(),
                               arith::ConstantIndexOp::create(b, loc, 0));
      padValue = tensor::ExtractOp::create(b, loc, c, zeros);
    } else {
      padValue = scalarConst(b, loc, et, 0);
    }
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  int64_t na = axes.size();
  if (static_cast<int64_t>(pads.size()) != 2 * na)
    return fail(op, "expected " + Twine(2 * na) + " pads");
  SmallVector<int64_t> lo(rank, 0), hi(rank, 0);
  for (int64_t i = 0; i < na; ++i) {
    std::optional<int64_t> d = normalizeAxis(axes[i], rank);
    if (!d)
      return fail(op, "axis out of range");
    lo[*d] = pads[i];
    hi[*d] = pads[i + na];
  }
  // Crop the negative pads.
  SmallVector<int64_t> cOff(rank, 0), cSize(xt.getShape());
  bool crop = false;
  for (int64_t d = 0; d < rank; ++d) {
    if (lo[d] < 0) {
      cOff[d] = -lo[d];
      cSize[d] += lo[d];
      lo[d] = 0;
      crop = true;
    }
    if (hi[d] < 0) {
      cSize[d] += hi[d];
      hi[d] = 0;
      crop = true;
    }
    if (cSize[d] < 0 || cSize[d] + lo[d] + hi[d] != outType.getDimSize(d))
      return fail(op, "result type does not match the pads");
  }
  MLIRContext *ctx = b.getContext();
  if (crop)
    x = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(cSize, et), x,
        getAsIndexOpFoldResult(ctx, cOff), getAsIndexOpFoldResult(ctx, cSize),
        getAsIndexOpFoldResult(ctx, SmallVector<int64_t>(rank, 1)));
  Value filled = filledTensor(b, loc, outType, padValue);
  if (tensorType(x).getNumElements() == 0)
    return SmallVector<Value>{filled};
  Value r = tensor::InsertSliceOp::create(
      b, loc, x, filled, getAsIndexOpFoldResult(ctx, lo),
      getAsIndexOpFoldResult(ctx, cSize),
      getAsIndexOpFoldResult(ctx, SmallVector<int64_t>(rank, 1)));
  return SmallVector<Value>{r};
}

HandlerResult lowerExpand(OpBuilder &b, NodeOp op) {
  Value r = buildElementwise(
      b, op.getLoc(), {input(op, 0)}, resultType(op),
      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  return SmallVector<Value>{r};
}

HandlerResult lowerTile(OpBuilder &b, NodeOp op) {
  Value x = input(op, 0);
  auto xt = tensorType(x);
  RankedTensorType outType = resultType(op);
  if (xt.getRank() != outType.getRank())
    return fail(op, "result rank differs from the input rank");
  Value r = buildIndexGeneric(
      b, op.getLoc(), outType, [&](OpBuilder &nb, Location nl, ValueRange idx) {
        SmallVector<Value> src;
        for (int64_t d = 0; d < xt.getRank(); ++d) {
          Value i = idx[d];
          if (xt.getDimSize(d) != outType.getDimSize(d))
            i = arith::RemUIOp::create(
                nb, nl, i,
                arith::ConstantIndexOp::create(nb, nl, xt.getDimSize(d)));
          src.push_back(i);
        }
        return tensor::ExtractOp::create(nb, nl, x, src).getResult();
      });
  return SmallVector<Value>{r};
}
} // namespace

void mlir::attn::onnx_to_linalg::addTensorHandlers(HandlerTable &t) {
  for (StringRef n : {"Reshape", "Flatten", "Squeeze", "Unsqueeze"})
    t[n] = lowerReshapeLike;
  t["Transpose"] = lowerTranspose;
  t["Concat"] = lowerConcat;
  t["Split"] = lowerSplit;
  t["Slice"] = lowerSlice;
  t["Pad"] = lowerPad;
  t["Expand"] = lowerExpand;
  t["Tile"] = lowerTile;
}
