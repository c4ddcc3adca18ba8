//===- Builders.cpp - shared helpers of the onnx.node handlers ----------===//
//
// Broadcasting elementwise generics, reductions, reshapes, casts and access
// to constant operands, shared by every handler file.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/OnnxToLinalg/Handlers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn::onnx_to_linalg;
using utils::IteratorType;

namespace {
constexpr StringLiteral kCheckFailed = "attune_check_failed";
} // namespace

HandlerResult mlir::attn::onnx_to_linalg::fail(NodeOp op, const Twine &msg) {
  op.emitError() << op.describe() << ": " << msg;
  return failure();
}

int64_t mlir::attn::onnx_to_linalg::registerCheck(NodeOp op,
                                                   const Twine &message) {
  auto module = op->getParentOfType<ModuleOp>();
  MLIRContext *ctx = op.getContext();
  constexpr StringLiteral kChecks = "attune.checks";
  SmallVector<Attribute> checks;
  if (auto list = module->getAttrOfType<ArrayAttr>(kChecks))
    llvm::append_range(checks, list.getValue());
  checks.push_back(StringAttr::get(ctx, message));
  module->setAttr(kChecks, ArrayAttr::get(ctx, checks));
  if (!module.lookupSymbol<func::FuncOp>(kCheckFailed)) {
    OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
    Type i64 = mb.getI64Type();
    auto fn = func::FuncOp::create(
        mb, module.getLoc(), kCheckFailed,
        mb.getFunctionType(TypeRange{i64, i64, i64}, TypeRange{}));
    fn.setPrivate();
  }
  return static_cast<int64_t>(checks.size()) - 1;
}

void mlir::attn::onnx_to_linalg::emitCheck(OpBuilder &b, Location l, Value bad,
                                           int64_t site, Value value,
                                           int64_t bound) {
  auto ifOp = scf::IfOp::create(b, l, bad, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  Type i64 = b.getI64Type();
  if (value.getType() != i64)
    value = arith::ExtSIOp::create(b, l, i64, value);
  func::CallOp::create(
      b, l, kCheckFailed, TypeRange{},
      ValueRange{arith::ConstantOp::create(b, l, b.getI64IntegerAttr(site)),
                 value,
                 arith::ConstantOp::create(b, l, b.getI64IntegerAttr(bound))});
}

RankedTensorType mlir::attn::onnx_to_linalg::tensorType(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

RankedTensorType mlir::attn::onnx_to_linalg::resultType(NodeOp op, unsigned i) {
  return dyn_cast<RankedTensorType>(op.getOutputs()[i].getType());
}

bool mlir::attn::onnx_to_linalg::getConstInts(Value v,
                                              SmallVectorImpl<int64_t> &out) {
  DenseIntElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return false;
  out.clear();
  for (const APInt &x : attr.getValues<APInt>())
    out.push_back(attr.getElementType().isInteger(1) ? x.getZExtValue()
                                                     : x.getSExtValue());
  return true;
}

std::optional<double> mlir::attn::onnx_to_linalg::getConstSplat(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  if (auto f = dyn_cast<DenseFPElementsAttr>(attr))
    return f.getSplatValue<APFloat>().convertToDouble();
  if (auto i = dyn_cast<DenseIntElementsAttr>(attr))
    return static_cast<double>(i.getSplatValue<APInt>().getSExtValue());
  return std::nullopt;
}

std::optional<int64_t> mlir::attn::onnx_to_linalg::normalizeAxis(int64_t axis,
                                                                 int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

Value mlir::attn::onnx_to_linalg::emptyTensor(OpBuilder &b, Location loc,
                                              RankedTensorType t) {
  return tensor::EmptyOp::create(b, loc, t.getShape(), t.getElementType());
}

Value mlir::attn::onnx_to_linalg::scalarConst(OpBuilder &b, Location loc,
                                              Type t, double v) {
  if (auto ft = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(b, loc, ft, b.getFloatAttr(ft, v));
  if (t.isInteger(1))
    return arith::ConstantOp::create(b, loc, t,
                                     b.getIntegerAttr(t, v != 0 ? 1 : 0));
  if (t.isIndex())
    return arith::ConstantIndexOp::create(b, loc, static_cast<int64_t>(v));
  return arith::ConstantOp::create(
      b, loc, t, b.getIntegerAttr(t, static_cast<int64_t>(v)));
}

Value mlir::attn::onnx_to_linalg::filledTensor(OpBuilder &b, Location loc,
                                               RankedTensorType t, Value v) {
  return linalg::FillOp::create(b, loc, ValueRange{v},
                                ValueRange{emptyTensor(b, loc, t)})
      .getResult(0);
}

AffineMap mlir::attn::onnx_to_linalg::broadcastMap(MLIRContext *ctx,
                                                   RankedTensorType in,
                                                   ArrayRef<int64_t> outShape) {
  int64_t r = in.getRank(), n = outShape.size();
  SmallVector<AffineExpr> exprs;
  for (int64_t k = 0; k < r; ++k) {
    int64_t d = n - r + k;
    if (in.getDimSize(k) == 1 && outShape[d] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(d, ctx));
  }
  return AffineMap::get(n, 0, exprs, ctx);
}

Value mlir::attn::onnx_to_linalg::buildElementwise(OpBuilder &b, Location loc,
                                                   ValueRange ins,
                                                   RankedTensorType outType,
                                                   BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value v : ins)
    maps.push_back(broadcastMap(ctx, tensorType(v), outType.getShape()));
  maps.push_back(AffineMap::getMultiDimIdentityMap(outType.getRank(), ctx));
  SmallVector<IteratorType> iters(outType.getRank(), IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, outType, ins, ValueRange{emptyTensor(b, loc, outType)},
             maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value r = body(nb, nl, args.drop_back());
               linalg::YieldOp::create(nb, nl, r);
             })
      .getResult(0);
}

FloatType mlir::attn::onnx_to_linalg::computeType(FloatType t) {
  if (t.getWidth() < 32)
    return Float32Type::get(t.getContext());
  return t;
}

Value mlir::attn::onnx_to_linalg::castScalar(OpBuilder &b, Location loc,
                                             Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  auto ff = dyn_cast<FloatType>(from), tf = dyn_cast<FloatType>(to);
  if (ff && tf) {
    if (ff.getWidth() < tf.getWidth())
      return arith::ExtFOp::create(b, loc, tf, v);
    if (ff.getWidth() > tf.getWidth())
      return arith::TruncFOp::create(b, loc, tf, v);
    // f16 <-> bf16: go through f32.
    Value w = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return arith::TruncFOp::create(b, loc, tf, w);
  }
  if (to.isInteger(1)) {
    if (ff)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   scalarConst(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 scalarConst(b, loc, from, 0));
  }
  if (ff)
    return arith::FPToSIOp::create(b, loc, to, v);
  bool fromBool = from.isInteger(1);
  if (tf)
    return fromBool ? arith::UIToFPOp::create(b, loc, to, v).getResult()
                    : arith::SIToFPOp::create(b, loc, to, v).getResult();
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw < tw)
    return fromBool ? arith::ExtUIOp::create(b, loc, to, v).getResult()
                    : arith::ExtSIOp::create(b, loc, to, v).getResult();
  return arith::TruncIOp::create(b, loc, to, v);
}

Value mlir::attn::onnx_to_linalg::reshapeTo(OpBuilder &b, Location loc, Value v,
                                            RankedTensorType to) {
  auto from = tensorType(v);
  if (from.getShape() == to.getShape())
    return v;
  if (to.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, to, v,
                                           ArrayRef<ReassociationIndices>{});
  if (from.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, to, v,
                                         ArrayRef<ReassociationIndices>{});
  if (from.getRank() > to.getRank()) {
    if (auto re =
            getReassociationIndicesForCollapse(from.getShape(), to.getShape()))
      return tensor::CollapseShapeOp::create(b, loc, to, v, *re);
  } else if (from.getRank() < to.getRank()) {
    if (auto re =
            getReassociationIndicesForCollapse(to.getShape(), from.getShape()))
      return tensor::ExpandShapeOp::create(b, loc, to, v, *re);
  }
  auto flatType =
      RankedTensorType::get({from.getNumElements()}, from.getElementType());
  Value flat = reshapeTo(b, loc, v, flatType);
  return reshapeTo(b, loc, flat, to);
}

AffineMap mlir::attn::onnx_to_linalg::keptDimsMap(MLIRContext *ctx,
                                                  ArrayRef<bool> reduced) {
  SmallVector<AffineExpr> exprs;
  for (auto [d, r] : llvm::enumerate(reduced))
    if (!r)
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(reduced.size(), 0, exprs, ctx);
}

Value mlir::attn::onnx_to_linalg::buildReduction(
    OpBuilder &b, Location loc, Value in, ArrayRef<bool> reduced, Type accType,
    Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto it = tensorType(in);
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> kept;
  SmallVector<IteratorType> iters;
  for (int64_t d = 0; d < it.getRank(); ++d) {
    iters.push_back(reduced[d] ? IteratorType::reduction
                               : IteratorType::parallel);
    if (!reduced[d])
      kept.push_back(it.getDimSize(d));
  }
  auto outType = RankedTensorType::get(kept, accType);
  Value acc = filledTensor(b, loc, outType, init);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(it.getRank(), ctx),
      keptDimsMap(ctx, reduced)};
  return linalg::GenericOp::create(
             b, loc, outType, ValueRange{in}, ValueRange{acc}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value x = castScalar(nb, nl, a[0], accType);
               linalg::YieldOp::create(nb, nl, combine(nb, nl, x, a[1]));
             })
      .getResult(0);
}

Value mlir::attn::onnx_to_linalg::buildIndexGeneric(
    OpBuilder &b, Location loc, RankedTensorType outType,
    function_ref<Value(OpBuilder &, Location, ValueRange idx)> body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<IteratorType> iters(outType.getRank(), IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, outType, ValueRange{},
             ValueRange{emptyTensor(b, loc, outType)},
             {AffineMap::getMultiDimIdentityMap(outType.getRank(), ctx)}, iters,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t d = 0; d < outType.getRank(); ++d)
                 idx.push_back(linalg::IndexOp::create(nb, nl, d));
               linalg::YieldOp::create(nb, nl, body(nb, nl, idx));
             })
      .getResult(0);
}
