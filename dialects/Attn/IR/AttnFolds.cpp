//===- AttnFolds.cpp - attn canonicalization patterns -------------------===//
//
// Canonical form of `attn.sdpa`: constant masks that mean "everything is
// visible" are dropped, and constant masks that are exactly causal become the
// `causal` attribute (kernels then skip the masked half instead of reading a
// mask).
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::attn;

/// The classification of a constant mask whose element at flat index e
/// keeps (1), masks (0) or biases (-1) per keep(e).
template <typename Keep>
static ConstMaskKind classifyMask(ShapedType type, bool splat, int64_t lq,
                                  int64_t lk, Keep keep) {
  if (splat)
    return keep(0) == 1 ? ConstMaskKind::AllVisible : ConstMaskKind::Other;
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = shape.size();
  // Only masks shared by every batch and head are classified.
  for (int64_t i = 0; i + 2 < rank; ++i)
    if (shape[i] != 1)
      return ConstMaskKind::Other;
  int64_t mq = rank >= 2 ? shape[rank - 2] : 1;
  int64_t mk = rank >= 1 ? shape[rank - 1] : 1;
  if ((mq != lq && mq != 1) || (mk != lk && mk != 1))
    return ConstMaskKind::Other;
  bool all = true, topLeft = true, bottomRight = true;
  for (int64_t i = 0; i < lq; ++i) {
    for (int64_t j = 0; j < lk; ++j) {
      int64_t flat = (mq == 1 ? 0 : i) * mk + (mk == 1 ? 0 : j);
      int k = keep(flat);
      if (k < 0)
        return ConstMaskKind::Other;
      all &= k == 1;
      topLeft &= (k == 1) == (j <= i);
      bottomRight &= (k == 1) == (j <= i + lk - lq);
    }
    if (!all && !topLeft && !bottomRight)
      return ConstMaskKind::Other;
  }
  if (all)
    return ConstMaskKind::AllVisible;
  if (topLeft)
    return ConstMaskKind::TopLeftCausal;
  if (bottomRight)
    return ConstMaskKind::BottomRightCausal;
  return ConstMaskKind::Other;
}

ConstMaskKind mlir::attn::classifyConstantMask(Value mask, int64_t lq,
                                                int64_t lk) {
  DenseElementsAttr attr;
  if (!mask || !matchPattern(mask, m_Constant(&attr)))
    return ConstMaskKind::NotConstant;
  auto type = cast<ShapedType>(attr.getType());
  Type et = type.getElementType();
  bool splat = attr.isSplat();
  // One iterator per mask, indexed per element: building the element range
  // per element (type checks and all) made this loop most of the time to
  // compile a model with a 2048 x 2048 constant mask.
  auto additive = [](double v) { return v == 0.0 ? 1 : v <= -1e4 ? 0 : -1; };
  if (et.isInteger(1)) {
    auto it = attr.value_begin<bool>();
    return classifyMask(type, splat, lq, lk,
                        [&](int64_t e) { return it[e] ? 1 : 0; });
  }
  if (et.isF32()) {
    auto it = attr.value_begin<float>();
    return classifyMask(type, splat, lq, lk,
                        [&](int64_t e) { return additive(it[e]); });
  }
  if (isa<FloatType>(et)) {
    auto it = attr.value_begin<APFloat>();
    return classifyMask(type, splat, lq, lk, [&](int64_t e) {
      return additive((*(it + e)).convertToDouble());
    });
  }
  return ConstMaskKind::Other;
}

namespace {
/// sdpa(mask = constant causal or all-visible) -> sdpa{causal} without mask.
///   mask[i, j] = (j <= i)            ==>  causal = top_left
///   mask[i, j] = (j <= i + Lk - Lq)  ==>  causal = bottom_right
///   mask[i, j] = true / 0.0          ==>  no mask
struct FoldConstantMask : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SdpaOp op,
                                PatternRewriter &rewriter) const override {
    Value mask = op.getMask();
    if (!mask)
      return failure();
    int64_t lq = op.getQuery().getType().getDimSize(2);
    int64_t lk = op.getKey().getType().getDimSize(2);
    if (ShapedType::isDynamic(lq) || ShapedType::isDynamic(lk))
      return failure();
    ConstMaskKind kind = classifyConstantMask(mask, lq, lk);
    CausalKind causal = op.getCausal();
    CausalKind newCausal = causal;
    switch (kind) {
    case ConstMaskKind::AllVisible:
      break;
    case ConstMaskKind::TopLeftCausal:
      if (causal == CausalKind::bottom_right && lq != lk)
        return failure();
      if (causal == CausalKind::none)
        newCausal = CausalKind::top_left;
      break;
    case ConstMaskKind::BottomRightCausal:
      if (causal == CausalKind::top_left && lq != lk)
        return failure();
      if (causal == CausalKind::none)
        newCausal = CausalKind::bottom_right;
      break;
    default:
      return failure();
    }
    rewriter.modifyOpInPlace(op, [&] {
      op.getMaskMutable().clear();
      op.setCausal(newCausal);
    });
    return success();
  }
};
} // namespace

void SdpaOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<FoldConstantMask>(context);
}
