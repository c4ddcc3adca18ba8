//===- MatMul.cpp - MatMul, Gemm, com.microsoft.FusedMatMul -------------===//
//
// Matrix products lower to the named linalg.matmul / linalg.batch_matmul on
// collapsed shapes so that later tiling and vectorization can target them:
// numpy batch broadcasting is resolved first (a 2-D right operand folds the
// batch into M; otherwise operands are broadcast to the full batch and the
// batch dims collapsed to one). f16/bf16 products accumulate in f32.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/OnnxToLinalg/Handlers.h"

using namespace mlir;
using namespace mlir::attn::onnx_to_linalg;

namespace {
RankedTensorType withShape(RankedTensorType t, ArrayRef<int64_t> shape,
                           Type et = {}) {
  return RankedTensorType::get(shape, et ? et : t.getElementType());
}

Type accumulatorType(Type et) {
  if (auto ft = dyn_cast<FloatType>(et))
    return computeType(ft);
  return et;
}

/// Swaps the last two dims of a tensor of rank >= 2.
Value transposeLast2(OpBuilder &b, Location loc, Value v) {
  auto t = tensorType(v);
  int64_t r = t.getRank();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, r));
  std::swap(perm[r - 1], perm[r - 2]);
  SmallVector<int64_t> shape(t.getShape());
  std::swap(shape[r - 1], shape[r - 2]);
  Value init = emptyTensor(b, loc, withShape(t, shape));
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}

Value zeroFilled(OpBuilder &b, Location loc, RankedTensorType t) {
  return filledTensor(b, loc, t, scalarConst(b, loc, t.getElementType(), 0));
}

/// Broadcasts the batch dims of `v` ([..., R, C]) to `batch`.
Value broadcastBatch(OpBuilder &b, Location loc, Value v,
                     ArrayRef<int64_t> batch) {
  auto t = tensorType(v);
  SmallVector<int64_t> shape(batch);
  shape.append({t.getDimSize(t.getRank() - 2), t.getDimSize(t.getRank() - 1)});
  if (shape == SmallVector<int64_t>(t.getShape()))
    return v;
  return buildElementwise(
      b, loc, {v}, withShape(t, shape),
      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

/// numpy matmul of A and B, result of type `outType` (elements of the
/// accumulator type returned, converted by the caller).
FailureOr<Value> buildMatMul(OpBuilder &b, NodeOp op, Value A, Value B,
                             Type accType) {
  Location loc = op.getLoc();
  auto at = tensorType(A), bt = tensorType(B);
  if (at.getRank() == 0 || bt.getRank() == 0)
    return (void)fail(op, "MatMul operands must have rank >= 1"), failure();
  bool vecA = at.getRank() == 1, vecB = bt.getRank() == 1;
  if (vecA)
    A = reshapeTo(b, loc, A, withShape(at, {1, at.getDimSize(0)}));
  if (vecB)
    B = reshapeTo(b, loc, B, withShape(bt, {bt.getDimSize(0), 1}));
  at = tensorType(A);
  bt = tensorType(B);
  int64_t ra = at.getRank(), rb = bt.getRank();
  int64_t M = at.getDimSize(ra - 2), K = at.getDimSize(ra - 1);
  int64_t N = bt.getDimSize(rb - 1);
  if (bt.getDimSize(rb - 2) != K)
    return (void)fail(op, "contraction dims differ"), failure();
  // Right-aligned broadcast of the batch dims.
  int64_t nb = std::max(ra, rb) - 2;
  SmallVector<int64_t> batch(nb, 1);
  for (int64_t i = 0; i < nb; ++i) {
    int64_t ia = i - (nb - (ra - 2)), ib = i - (nb - (rb - 2));
    int64_t da = ia >= 0 ? at.getDimSize(ia) : 1;
    int64_t db = ib >= 0 ? bt.getDimSize(ib) : 1;
    if (da != db && da != 1 && db != 1)
      return (void)fail(op, "batch dims do not broadcast"), failure();
    batch[i] = std::max(da, db);
  }
  int64_t P = 1;
  for (int64_t d : batch)
    P *= d;
  SmallVector<int64_t> full(batch);
  full.append({M, N});
  auto fullType = RankedTensorType::get(full, accType);
  Value result;
  if (rb == 2) {
    // [batch..., M, K] x [K, N]: fold the batch into the rows.
    Value a2 = reshapeTo(b, loc, A, withShape(at, {P * M, K}));
    auto t2 = RankedTensorType::get({P * M, N}, accType);
    result = linalg::MatmulOp::create(b, loc, TypeRange{t2}, ValueRange{a2, B},
                                      ValueRange{zeroFilled(b, loc, t2)})
                 .getResult(0);
  } else {
    Value a3 = reshapeTo(b, loc, broadcastBatch(b, loc, A, batch),
                         withShape(at, {P, M, K}));
    Value b3 = reshapeTo(b, loc, broadcastBatch(b, loc, B, batch),
                         withShape(bt, {P, K, N}));
    auto t3 = RankedTensorType::get({P, M, N}, accType);
    result =
        linalg::BatchMatmulOp::create(b, loc, TypeRange{t3}, ValueRange{a3, b3},
                                      ValueRange{zeroFilled(b, loc, t3)})
            .getResult(0);
  }
  return reshapeTo(b, loc, result, fullType);
}

/// out = alpha * acc (+ beta * C), converted to the result element type.
Value epilogue(OpBuilder &b, Location loc, Value acc, RankedTensorType outType,
               double alpha, Value C, double beta) {
  Type et = outType.getElementType();
  Type accType = tensorType(acc).getElementType();
  acc = reshapeTo(b, loc, acc,
                  RankedTensorType::get(outType.getShape(), accType));
  if (alpha == 1.0 && !C && accType == et)
    return acc;
  SmallVector<Value> ins = {acc};
  if (C)
    ins.push_back(C);
  return buildElementwise(
      b, loc, ins, outType, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = a[0];
        if (alpha != 1.0)
          v = isa<FloatType>(accType)
                  ? arith::MulFOp::create(nb, nl, v,
                                          scalarConst(nb, nl, accType, alpha))
                        .getResult()
                  : arith::MulIOp::create(nb, nl, v,
                                          scalarConst(nb, nl, accType, alpha))
                        .getResult();
        if (C) {
          Value c = castScalar(nb, nl, a[1], accType);
          if (isa<FloatType>(accType)) {
            if (beta != 1.0)
              c = arith::MulFOp::create(nb, nl, c,
                                        scalarConst(nb, nl, accType, beta));
            v = arith::AddFOp::create(nb, nl, v, c);
          } else {
            if (beta != 1.0)
              c = arith::MulIOp::create(nb, nl, c,
                                        scalarConst(nb, nl, accType, beta));
            v = arith::AddIOp::create(nb, nl, v, c);
          }
        }
        return castScalar(nb, nl, v, et);
      });
}

HandlerResult lowerMatMul(OpBuilder &b, NodeOp op) {
  RankedTensorType outType = resultType(op);
  Type acc = accumulatorType(outType.getElementType());
  FailureOr<Value> r = buildMatMul(b, op, input(op, 0), input(op, 1), acc);
  if (failed(r))
    return failure();
  return SmallVector<Value>{
      epilogue(b, op.getLoc(), *r, outType, 1.0, Value(), 0.0)};
}

HandlerResult lowerGemm(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  RankedTensorType outType = resultType(op);
  Value A = input(op, 0), B = input(op, 1);
  if (tensorType(A).getRank() != 2 || tensorType(B).getRank() != 2)
    return fail(op, "expected 2-D A and B");
  if (op.getIntAttr("transA", 0))
    A = transposeLast2(b, loc, A);
  if (op.getIntAttr("transB", 0))
    B = transposeLast2(b, loc, B);
  Type acc = accumulatorType(outType.getElementType());
  FailureOr<Value> r = buildMatMul(b, op, A, B, acc);
  if (failed(r))
    return failure();
  Value C = op.isAbsentInput(2) ? Value() : input(op, 2);
  return SmallVector<Value>{epilogue(b, loc, *r, outType,
                                     op.getFloatAttr("alpha", 1.0), C,
                                     op.getFloatAttr("beta", 1.0))};
}

HandlerResult lowerFusedMatMul(OpBuilder &b, NodeOp op) {
  Location loc = op.getLoc();
  if (op.getIntAttr("transBatchA", 0) || op.getIntAttr("transBatchB", 0))
    return fail(op, "transBatchA/transBatchB are not supported");
  RankedTensorType outType = resultType(op);
  Value A = input(op, 0), B = input(op, 1);
  if (op.getIntAttr("transA", 0) && tensorType(A).getRank() >= 2)
    A = transposeLast2(b, loc, A);
  if (op.getIntAttr("transB", 0) && tensorType(B).getRank() >= 2)
    B = transposeLast2(b, loc, B);
  Type acc = accumulatorType(outType.getElementType());
  FailureOr<Value> r = buildMatMul(b, op, A, B, acc);
  if (failed(r))
    return failure();
  return SmallVector<Value>{epilogue(
      b, loc, *r, outType, op.getFloatAttr("alpha", 1.0), Value(), 0.0)};
}
} // namespace

void mlir::attn::onnx_to_linalg::addMatMulHandlers(HandlerTable &t) {
  t["MatMul"] = lowerMatMul;
  t["Gemm"] = lowerGemm;
  t["com.microsoft.FusedMatMul"] = lowerFusedMatMul;
}
