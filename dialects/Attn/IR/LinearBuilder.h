//===- LinearBuilder.h - linalg building blocks of the linear forms -*- C++
//-*-===//
//
// Shared by the reference decompositions of `attn.linear`
// (AttnDecomposeLinear.cpp) and `attn.agent` (AttnDecomposeAgent.cpp): the
// static shapes of a q/k/v triple, the accumulation type (f32 for 16-bit
// inputs) and terse helpers around linalg.generic.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_DIALECTS_ATTN_IR_LINEARBUILDER_H
#define ATTUNE_DIALECTS_ATTN_IR_LINEARBUILDER_H

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::attn::detail {
using utils::IteratorType;
using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Shared builder state: static shapes, the accumulation type and small
/// helpers to write linalg.generic ops tersely. Loop dims are d0.. in the
/// order each helper documents; `h / G` maps a query head to its kv head.
class LinearBuilder {
public:
  LinearBuilder(Operation *op, Value q, Value k, Value v, OpBuilder &b)
      : op(op), b(b), loc(op->getLoc()), ctx(op->getContext()) {
    auto qt = cast<RankedTensorType>(q.getType());
    auto kt = cast<RankedTensorType>(k.getType());
    auto vt = cast<RankedTensorType>(v.getType());
    et = cast<FloatType>(qt.getElementType());
    acc = et.getWidth() < 32 ? b.getF32Type() : et;
    static_ = qt.hasStaticShape() && kt.hasStaticShape() && vt.hasStaticShape();
    B = qt.getDimSize(0), Hq = qt.getDimSize(1), Lq = qt.getDimSize(2);
    D = qt.getDimSize(3), Hkv = kt.getDimSize(1), Lk = kt.getDimSize(2);
    Dv = vt.getDimSize(3);
    G = static_ && Hkv > 0 ? Hq / Hkv : 1;
  }

  bool isStatic() const { return static_; }

  Value cst(OpBuilder &nb, Location l, double x) {
    return arith::ConstantOp::create(nb, l, acc, nb.getFloatAttr(acc, x));
  }
  Value idx(OpBuilder &nb, Location l, int64_t x) {
    return arith::ConstantIndexOp::create(nb, l, x);
  }
  Value index(OpBuilder &nb, Location l, unsigned dim) {
    return linalg::IndexOp::create(nb, l, dim);
  }
  AffineExpr dim(unsigned i) { return getAffineDimExpr(i, ctx); }
  AffineExpr kvHead() { return G == 1 ? dim(1) : dim(1).floorDiv(G); }
  AffineMap map(unsigned n, ArrayRef<AffineExpr> e) {
    return AffineMap::get(n, 0, e, ctx);
  }
  Value filled(ArrayRef<int64_t> shape, double x) {
    Value e = tensor::EmptyOp::create(b, loc, shape, acc);
    return linalg::FillOp::create(b, loc, ValueRange{cst(b, loc, x)},
                                  ValueRange{e})
        .getResult(0);
  }

  /// A linalg.generic with result `shape` (elements `elt`, default acc).
  /// `maps` has one map per input plus the output map; the output starts as
  /// `init` when given, else zeros for reductions / empty otherwise.
  Value gen(ArrayRef<int64_t> shape, ValueRange ins, ArrayRef<AffineMap> maps,
            ArrayRef<IteratorType> its, BodyFn body, Value init = {},
            Type elt = {}) {
    if (!elt)
      elt = acc;
    if (!init) {
      bool reduces = llvm::is_contained(its, IteratorType::reduction);
      init = reduces ? filled(shape, 0.0)
                     : tensor::EmptyOp::create(b, loc, shape, elt).getResult();
    }
    return linalg::GenericOp::create(
               b, loc, init.getType(), ins, ValueRange{init}, maps, its,
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 linalg::YieldOp::create(nb, nl, body(nb, nl, a));
               })
        .getResult(0);
  }
  static SmallVector<IteratorType> iters(unsigned par, unsigned red) {
    SmallVector<IteratorType> its(par, IteratorType::parallel);
    its.append(red, IteratorType::reduction);
    return its;
  }
  /// Elementwise map over a rank-4 tensor into acc (or `elt`).
  Value map4(Value x, function_ref<Value(OpBuilder &, Location, Value)> f,
             Type elt = {}) {
    auto t = cast<RankedTensorType>(x.getType());
    AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
    return gen(
        t.getShape(), {x}, {id, id}, iters(4, 0),
        [&](OpBuilder &nb, Location l, ValueRange a) { return f(nb, l, a[0]); },
        {}, elt);
  }
  Value toAcc(OpBuilder &nb, Location l, Value x) {
    return x.getType() == acc ? x : arith::ExtFOp::create(nb, l, acc, x);
  }
  Value accOf(Value x) {
    if (cast<RankedTensorType>(x.getType()).getElementType() == acc)
      return x;
    return map4(
        x, [&](OpBuilder &nb, Location l, Value a) { return toAcc(nb, l, a); });
  }
  /// elu(x) + 1 or relu(x), in acc.
  Value feature(Value x, FeatureMap f) {
    return map4(x, [&](OpBuilder &nb, Location l, Value a) -> Value {
      a = toAcc(nb, l, a);
      if (f == FeatureMap::relu)
        return arith::MaximumFOp::create(nb, l, a, cst(nb, l, 0.0));
      Value pos = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, a,
                                        cst(nb, l, 0.0));
      return arith::SelectOp::create(
          nb, l, pos, arith::AddFOp::create(nb, l, a, cst(nb, l, 1.0)),
          math::ExpOp::create(nb, l, a));
    });
  }
  /// [x, 1] along the last axis: the extra column carries the normalizer.
  Value withOnes(Value x) {
    auto t = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(t.getShape());
    shape[3] += 1;
    return insertAt(x, filled(shape, 1.0), 3, 0);
  }
  /// `x` inserted into `dest` at offset `at` along `axis`.
  Value insertAt(Value x, Value dest, unsigned axis, int64_t at) {
    auto t = cast<RankedTensorType>(x.getType());
    SmallVector<OpFoldResult> offs(t.getRank(), b.getIndexAttr(0)), sizes,
        strides(t.getRank(), b.getIndexAttr(1));
    for (int64_t d : t.getShape())
      sizes.push_back(b.getIndexAttr(d));
    offs[axis] = b.getIndexAttr(at);
    return tensor::InsertSliceOp::create(b, loc, x, dest, offs, sizes, strides);
  }
  /// The first `n` columns (last axis) of a rank-4 tensor.
  Value columns(Value x, int64_t n) {
    auto t = cast<RankedTensorType>(x.getType());
    SmallVector<OpFoldResult> offs(4, b.getIndexAttr(0)), sizes,
        strides(4, b.getIndexAttr(1));
    for (int64_t d : t.getShape())
      sizes.push_back(b.getIndexAttr(d));
    sizes[3] = b.getIndexAttr(n);
    return tensor::ExtractSliceOp::create(b, loc, x, offs, sizes, strides);
  }
  /// Rows [front, front + L) of a zero tensor with `total` rows.
  Value padRows(Value x, int64_t front, int64_t total) {
    auto t = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(t.getShape());
    if (front == 0 && shape[2] == total)
      return x;
    shape[2] = total;
    return insertAt(x, filled(shape, 0.0), 2, front);
  }
  /// [B, H, n*c, X] -> [B, H, n, c, X].
  Value chunks(Value x, int64_t c) {
    auto t = cast<RankedTensorType>(x.getType());
    auto s = t.getShape();
    auto rt = RankedTensorType::get({s[0], s[1], s[2] / c, c, s[3]},
                                    t.getElementType());
    return tensor::ExpandShapeOp::create(
        b, loc, rt, x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4}});
  }
  /// Per-query-head decay rates as a constant [Hq] tensor.
  Value decayTensor(ArrayRef<double> decay) {
    SmallVector<Attribute> vals;
    for (int64_t h = 0; h < Hq; ++h)
      vals.push_back(
          b.getFloatAttr(acc, decay.size() == 1 ? decay[0] : decay[h]));
    auto t = RankedTensorType::get({Hq}, acc);
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, vals));
  }
  /// exp(-s * n) for an index n, in a generic body.
  Value decayed(OpBuilder &nb, Location l, Value s, Value n) {
    Value nf = arith::SIToFPOp::create(
        nb, l, acc, arith::IndexCastOp::create(nb, l, nb.getI64Type(), n));
    return math::ExpOp::create(
        nb, l,
        arith::NegFOp::create(nb, l, arith::MulFOp::create(nb, l, s, nf)));
  }
  Value madd(OpBuilder &nb, Location l, Value accV, Value x, Value y) {
    return arith::AddFOp::create(nb, l, accV,
                                 arith::MulFOp::create(nb, l, x, y));
  }

  Value globalProduct(Value qx, Value kx, Value vx);
  Value causalProduct(Value qx, Value kx, Value vx, int64_t chunk, Value decay);
  Value excludeProduct(Value qx, Value kx, Value vx, Value excl, int64_t bq,
                       int64_t bk, bool causal);
  Value softmaxLast(Value x, double scale);
  Value finish(Value x) {
    if (acc == et)
      return x;
    return map4(
        x,
        [&](OpBuilder &nb, Location l, Value a) {
          return arith::TruncFOp::create(nb, l, et, a).getResult();
        },
        et);
  }

  Operation *op;
  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  FloatType et, acc;
  bool static_;
  int64_t B, Hq, Lq, D, Hkv, Lk, Dv, G;
};

} // namespace mlir::attn::detail

#endif
