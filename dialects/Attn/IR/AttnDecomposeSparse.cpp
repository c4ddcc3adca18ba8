//===- AttnDecomposeSparse.cpp - reference decomposition of block_select ===//
//
// The reference semantics of `attn.block_select` (dynamic block selection:
// MoBA, SLA, SALE) as linalg on tensors. The block geometry shared by the
// three methods, for query block qb and key block kb, with queries aligned to
// the keys by `off` (0 for causal = top_left, Lk - Lq otherwise, as
// `#attn.window` does):
//
//   p0 = qb*bq + off, p1 = min((qb+1)*bq, Lq) - 1 + off   (position span)
//   future(qb, kb) = causal && kb*bk > p1                   (never kept)
//   local(qb, kb)  = local_blocks > 0 &&
//                    floor(p0/bk) - local_blocks < kb <= floor(p1/bk)
//   sink(kb)       = kb < sink_blocks
//   forced         = (sink || local) && !future             (always kept)
//
// MoBA/SLA rank the pooled scores with forced blocks at +inf and future
// blocks at -inf (ties go to the lower block index) and keep the first k, so
// forced blocks count towards k (MoBA's "own block" is one of its top-k).
// SALE keeps a block when some visible (i, j) in it has an estimated score
// above the row's threshold; see decomposeSale. Everything is computed in f32.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
using utils::IteratorType;
using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Builder state and the block geometry of one block_select op.
struct SelectBuilder {
  SelectBuilder(OpBuilder &b, Location loc)
      : b(b), loc(loc), ctx(b.getContext()), f32(b.getF32Type()) {}

  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  FloatType f32;
  int64_t batch = 0, hq = 0, hkv = 0, lq = 0, lk = 0, dim = 0, bq = 0, bk = 0,
          nq = 0, nk = 0, group = 1, off = 0;
  int64_t sinkBlocks = 0, localBlocks = 0;
  bool causal = false;
  double scale = 1.0;

  AffineMap map(unsigned n, ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(n, 0, exprs, ctx);
  }
  Value fcst(OpBuilder &nb, Location nl, double v) {
    return arith::ConstantOp::create(nb, nl, f32, nb.getFloatAttr(f32, v));
  }
  Value icst(OpBuilder &nb, Location nl, int64_t v) {
    return arith::ConstantIndexOp::create(nb, nl, v);
  }
  Value toF32(OpBuilder &nb, Location nl, Value v) {
    return v.getType() == f32 ? v : arith::ExtFOp::create(nb, nl, f32, v);
  }
  /// A tensor of `shape` filled with the scalar attribute `fill`.
  Value filled(ArrayRef<int64_t> shape, TypedAttr fill) {
    Value e = tensor::EmptyOp::create(b, loc, shape, fill.getType());
    Value c = arith::ConstantOp::create(b, loc, fill);
    return linalg::FillOp::create(b, loc, ValueRange{c}, ValueRange{e})
        .getResult(0);
  }
  Value zeros(ArrayRef<int64_t> shape) {
    return filled(shape, b.getFloatAttr(f32, 0.0));
  }
  Value generic(Value init, ValueRange ins, ArrayRef<AffineMap> maps,
                ArrayRef<IteratorType> iters, BodyFn body) {
    return linalg::GenericOp::create(
               b, loc, init.getType(), ins, ValueRange{init}, maps, iters,
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 linalg::YieldOp::create(nb, nl, body(nb, nl, a));
               })
        .getResult(0);
  }
  /// `x` [B, H, L, D] (f32) padded with `pad` rows at the end to `rows`.
  Value padRows(Value x, int64_t rows, TypedAttr pad) {
    auto t = cast<RankedTensorType>(x.getType());
    if (t.getDimSize(2) == rows)
      return x;
    SmallVector<int64_t> shape(t.getShape());
    shape[2] = rows;
    Value dst = filled(shape, pad);
    SmallVector<OpFoldResult> offs(4, b.getIndexAttr(0)),
        strides(4, b.getIndexAttr(1)), sizes;
    for (int64_t d : t.getShape())
      sizes.push_back(b.getIndexAttr(d));
    return tensor::InsertSliceOp::create(b, loc, x, dst, offs, sizes, strides);
  }
  /// [B, H, n*block, D] -> [B, H, n, block, D], so that block rows are a
  /// loop dimension of their own (linalg infers loop bounds from shapes).
  Value splitRows(Value x, int64_t n, int64_t block) {
    auto t = cast<RankedTensorType>(x.getType());
    auto type = RankedTensorType::get(
        {t.getDimSize(0), t.getDimSize(1), n, block, t.getDimSize(3)},
        t.getElementType());
    return tensor::ExpandShapeOp::create(
        b, loc, type, x,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4}});
  }
  Value asF32(Value x) {
    auto t = cast<RankedTensorType>(x.getType());
    if (t.getElementType() == f32)
      return x;
    AffineMap id = b.getMultiDimIdentityMap(4);
    auto par = IteratorType::parallel;
    return generic(tensor::EmptyOp::create(b, loc, t.getShape(), f32), {x},
                   {id, id}, {par, par, par, par},
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return toF32(nb, nl, a[0]);
                   });
  }

  /// Mean of the rows of each block of `block` rows of `x` [B, H, L, D]; the
  /// last block averages only the rows it has.
  Value poolBlocks(Value x, int64_t block, int64_t len, int64_t n) {
    auto t = cast<RankedTensorType>(x.getType());
    int64_t h = t.getDimSize(1);
    Value split =
        splitRows(padRows(x, n * block, b.getFloatAttr(f32, 0.0)), n, block);
    AffineExpr d0, d1, d2, d3, d4;
    bindDims(ctx, d0, d1, d2, d3, d4);
    auto par = IteratorType::parallel, red = IteratorType::reduction;
    Value sums =
        generic(zeros({batch, h, n, dim}), {split},
                {map(5, {d0, d1, d2, d4, d3}), map(5, {d0, d1, d2, d3})},
                {par, par, par, par, red},
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  return arith::AddFOp::create(nb, nl, a[1], a[0]).getResult();
                });
    AffineMap id = b.getMultiDimIdentityMap(4);
    return generic(
        tensor::EmptyOp::create(b, loc, {batch, h, n, dim}, f32), {sums},
        {id, id}, {par, par, par, par},
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          // rows in block r: min(block, len - r*block)
          Value r = linalg::IndexOp::create(nb, nl, 2);
          Value start = arith::MulIOp::create(nb, nl, r, icst(nb, nl, block));
          Value rest = arith::SubIOp::create(nb, nl, icst(nb, nl, len), start);
          Value cnt = arith::MinSIOp::create(nb, nl, rest, icst(nb, nl, block));
          Value c = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), cnt);
          Value cf = arith::SIToFPOp::create(nb, nl, f32, c);
          return arith::DivFOp::create(nb, nl, a[0], cf).getResult();
        });
  }

  /// mean_j K[b, h, j, :] over the sequence, [B, Hkv, D].
  Value seqMean(Value k) {
    AffineExpr d0, d1, d2, d3;
    bindDims(ctx, d0, d1, d2, d3);
    auto par = IteratorType::parallel, red = IteratorType::reduction;
    Value sums = generic(
        zeros({batch, hkv, dim}), {k},
        {map(4, {d0, d1, d3, d2}), map(4, {d0, d1, d2})}, {par, par, par, red},
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          return arith::AddFOp::create(nb, nl, a[1], a[0]).getResult();
        });
    AffineMap id = b.getMultiDimIdentityMap(3);
    return generic(tensor::EmptyOp::create(b, loc, {batch, hkv, dim}, f32),
                   {sums}, {id, id}, {par, par, par},
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return arith::DivFOp::create(nb, nl, a[0],
                                                  fcst(nb, nl, lk))
                         .getResult();
                   });
  }

  /// x [B, H, N, D] - m [B, H, D].
  Value subRowVector(Value x, Value m) {
    auto t = cast<RankedTensorType>(x.getType());
    AffineExpr d0, d1, d2, d3;
    bindDims(ctx, d0, d1, d2, d3);
    AffineMap id = b.getMultiDimIdentityMap(4);
    auto par = IteratorType::parallel;
    return generic(
        tensor::EmptyOp::create(b, loc, t.getShape(), f32), {x, m},
        {id, map(4, {d0, d1, d3}), id}, {par, par, par, par},
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          return arith::SubFOp::create(nb, nl, a[0], a[1]).getResult();
        });
  }

  /// scale * A[b, h, m, :] . C[b, h/G, n, :] for A [B, Hq, M, D] and
  /// C [B, Hkv, N, D] (both f32), [B, Hq, M, N].
  Value scores(Value a, Value c) {
    int64_t m = cast<RankedTensorType>(a.getType()).getDimSize(2);
    int64_t n = cast<RankedTensorType>(c.getType()).getDimSize(2);
    AffineExpr d0, d1, d2, d3, d4;
    bindDims(ctx, d0, d1, d2, d3, d4);
    AffineExpr kvHead = group == 1 ? d1 : d1.floorDiv(group);
    auto par = IteratorType::parallel, red = IteratorType::reduction;
    Value dots =
        generic(zeros({batch, hq, m, n}), {a, c},
                {map(5, {d0, d1, d2, d4}), map(5, {d0, kvHead, d3, d4}),
                 map(5, {d0, d1, d2, d3})},
                {par, par, par, par, red},
                [&](OpBuilder &nb, Location nl, ValueRange x) {
                  Value p = arith::MulFOp::create(nb, nl, x[0], x[1]);
                  return arith::AddFOp::create(nb, nl, x[2], p).getResult();
                });
    AffineMap id = b.getMultiDimIdentityMap(4);
    return generic(tensor::EmptyOp::create(b, loc, {batch, hq, m, n}, f32),
                   {dots}, {id, id}, {par, par, par, par},
                   [&](OpBuilder &nb, Location nl, ValueRange x) {
                     return arith::MulFOp::create(nb, nl, x[0],
                                                  fcst(nb, nl, scale))
                         .getResult();
                   });
  }

  /// {forced, future} for block indices (qb, kb), as i1 values.
  std::pair<Value, Value> blockFlags(OpBuilder &nb, Location nl, Value qb,
                                     Value kb) {
    auto c = [&](int64_t v) { return icst(nb, nl, v); };
    Value start = arith::MulIOp::create(nb, nl, qb, c(bq));
    Value p0 = arith::AddIOp::create(nb, nl, start, c(off));
    Value endQ = arith::MinSIOp::create(
        nb, nl, arith::AddIOp::create(nb, nl, start, c(bq)), c(lq));
    Value p1 = arith::AddIOp::create(nb, nl, endQ, c(off - 1));
    Value fls = arith::ConstantIntOp::create(nb, nl, 0, 1);
    Value future = fls;
    if (causal)
      future =
          arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt,
                                arith::MulIOp::create(nb, nl, kb, c(bk)), p1);
    Value local = fls;
    if (localBlocks > 0) {
      Value hi = arith::FloorDivSIOp::create(nb, nl, p1, c(bk));
      Value lo = arith::SubIOp::create(
          nb, nl, arith::FloorDivSIOp::create(nb, nl, p0, c(bk)),
          c(localBlocks));
      local = arith::AndIOp::create(
          nb, nl,
          arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sle, kb, hi),
          arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt, kb, lo));
    }
    Value sink = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, kb,
                                       c(sinkBlocks));
    Value notFuture = arith::XOrIOp::create(
        nb, nl, future, arith::ConstantIntOp::create(nb, nl, 1, 1));
    Value forced = arith::AndIOp::create(
        nb, nl, arith::OrIOp::create(nb, nl, sink, local), notFuture);
    return {forced, future};
  }

  /// Query i may see key j (causal only; the op's mask is not known here).
  Value visible(OpBuilder &nb, Location nl, Value i, Value j) {
    if (!causal)
      return arith::ConstantIntOp::create(nb, nl, 1, 1);
    Value p = arith::AddIOp::create(nb, nl, i, icst(nb, nl, off));
    return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sle, j, p);
  }

  Value decomposeTopK(Value q, Value k, bool centerKeys, int64_t topk);
  Value decomposeSale(Value q, Value k, double tau);
  Value quantize(Value x, int64_t block, int64_t n);
};
} // namespace

/// MoBA / SLA: pooled block scores, forced blocks at +inf, rank, keep top-k.
Value SelectBuilder::decomposeTopK(Value q, Value k, bool centerKeys,
                                   int64_t topk) {
  Value qp = poolBlocks(q, bq, lq, nq);
  Value kp = poolBlocks(k, bk, lk, nk);
  if (centerKeys) // mean of (K - mean K) over a block = mean - mean K
    kp = subRowVector(kp, seqMean(k));
  Value s = scores(qp, kp);

  AffineMap id = b.getMultiDimIdentityMap(4);
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  SmallVector<IteratorType> par4(4, par);
  Value adj = generic(
      tensor::EmptyOp::create(b, loc, {batch, hq, nq, nk}, f32), {s}, {id, id},
      par4, [&](OpBuilder &nb, Location nl, ValueRange a) {
        auto [forced, future] =
            blockFlags(nb, nl, linalg::IndexOp::create(nb, nl, 2),
                       linalg::IndexOp::create(nb, nl, 3));
        Value v =
            arith::SelectOp::create(nb, nl, future, fcst(nb, nl, -kInf), a[0]);
        return arith::SelectOp::create(nb, nl, forced, fcst(nb, nl, kInf), v)
            .getResult();
      });

  // rank[kb] = #{kb2 : adj[kb2] > adj[kb] or (== and kb2 < kb)}
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  Value rank = generic(
      filled({batch, hq, nq, nk}, b.getI64IntegerAttr(0)), {adj, adj},
      {map(5, {d0, d1, d2, d3}), map(5, {d0, d1, d2, d4}),
       map(5, {d0, d1, d2, d3})},
      {par, par, par, par, red}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value gt = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT,
                                         a[1], a[0]);
        Value eq = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                         a[1], a[0]);
        Value lower = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                            linalg::IndexOp::create(nb, nl, 4),
                                            linalg::IndexOp::create(nb, nl, 3));
        Value before = arith::OrIOp::create(
            nb, nl, gt, arith::AndIOp::create(nb, nl, eq, lower));
        Value one = arith::ExtUIOp::create(nb, nl, nb.getI64Type(), before);
        return arith::AddIOp::create(nb, nl, a[2], one).getResult();
      });

  return generic(
      tensor::EmptyOp::create(b, loc, {batch, hq, nq, nk}, b.getI1Type()),
      {rank}, {id, id}, par4, [&](OpBuilder &nb, Location nl, ValueRange a) {
        auto [forced, future] =
            blockFlags(nb, nl, linalg::IndexOp::create(nb, nl, 2),
                       linalg::IndexOp::create(nb, nl, 3));
        Value inTop = arith::CmpIOp::create(
            nb, nl, arith::CmpIPredicate::slt, a[0],
            arith::ConstantIntOp::create(nb, nl, topk, 64));
        Value notFuture = arith::XOrIOp::create(
            nb, nl, future, arith::ConstantIntOp::create(nb, nl, 1, 1));
        return arith::OrIOp::create(
                   nb, nl, forced,
                   arith::AndIOp::create(nb, nl, inTop, notFuture))
            .getResult();
      });
}

/// Symmetric 4-bit fake quantization of `x` [B, H, L, D] (f32) per block of
/// `block` rows: s = max|x| / 7 over the block, x ~ clamp(roundeven(x / s),
/// -7, 7) * s (0 where the block is all zeros).
Value SelectBuilder::quantize(Value x, int64_t block, int64_t n) {
  auto t = cast<RankedTensorType>(x.getType());
  int64_t h = t.getDimSize(1), len = t.getDimSize(2);
  Value split =
      splitRows(padRows(x, n * block, b.getFloatAttr(f32, 0.0)), n, block);
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  Value amax = generic(
      zeros({batch, h, n}), {split},
      {map(5, {d0, d1, d2, d3, d4}), map(5, {d0, d1, d2})},
      {par, par, par, red, red}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = math::AbsFOp::create(nb, nl, a[0]);
        return arith::MaximumFOp::create(nb, nl, a[1], v).getResult();
      });
  AffineMap id = b.getMultiDimIdentityMap(4);
  return generic(
      tensor::EmptyOp::create(b, loc, {batch, h, len, dim}, f32), {x, amax},
      {id, map(4, {d0, d1, d2.floorDiv(block)}), id}, {par, par, par, par},
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value s = arith::DivFOp::create(nb, nl, a[1], fcst(nb, nl, 7.0));
        Value zero = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, s,
                                           fcst(nb, nl, 0.0));
        Value safe =
            arith::SelectOp::create(nb, nl, zero, fcst(nb, nl, 1.0), s);
        Value r = math::RoundEvenOp::create(
            nb, nl, arith::DivFOp::create(nb, nl, a[0], safe));
        r = arith::MinimumFOp::create(nb, nl, r, fcst(nb, nl, 7.0));
        r = arith::MaximumFOp::create(nb, nl, r, fcst(nb, nl, -7.0));
        return arith::MulFOp::create(nb, nl, r, s).getResult();
      });
}

/// SALE. With Kc = K - mean_j K, S~ = scale Q Kc^T exact and E = scale
/// quant(Q) quant(Kc)^T the 4-bit estimate, and R_i the visible keys of the
/// forced (sink + local) blocks of row i's query block:
///   m_i = max_{j in R_i} S~_ij,  l_i = sum_{j in R_i} exp(S~_ij - m_i)
///   keep (qb, kb) iff forced, or some visible (i, j) in it has
///   E_ij > m_i + ln(tau l_i)   (relative score exp(E - m) / l > tau).
/// Centering K shifts every score of a row by the same amount, so the
/// relative score is the one of the original scores.
Value SelectBuilder::decomposeSale(Value q, Value k, double tau) {
  Value kc = subRowVector(k, seqMean(k));
  Value est = scores(quantize(q, bq, nq), quantize(kc, bk, nk));
  Value exact = scores(q, kc);

  AffineExpr d0, d1, d2, d3, d4, d5;
  bindDims(ctx, d0, d1, d2, d3, d4, d5);
  AffineMap id = b.getMultiDimIdentityMap(4), row = map(4, {d0, d1, d2});
  auto par = IteratorType::parallel, red = IteratorType::reduction;
  auto inRegion = [&](OpBuilder &nb, Location nl) {
    Value i = linalg::IndexOp::create(nb, nl, 2);
    Value j = linalg::IndexOp::create(nb, nl, 3);
    Value qb = arith::DivUIOp::create(nb, nl, i, icst(nb, nl, bq));
    Value kb = arith::DivUIOp::create(nb, nl, j, icst(nb, nl, bk));
    Value forced = blockFlags(nb, nl, qb, kb).first;
    return arith::AndIOp::create(nb, nl, forced, visible(nb, nl, i, j))
        .getResult();
  };
  Value m = generic(
      filled({batch, hq, lq}, b.getFloatAttr(f32, -kInf)), {exact}, {id, row},
      {par, par, par, red}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = arith::SelectOp::create(nb, nl, inRegion(nb, nl), a[0],
                                          fcst(nb, nl, -kInf));
        return arith::MaximumFOp::create(nb, nl, a[1], v).getResult();
      });
  Value l = generic(
      zeros({batch, hq, lq}), {exact, m}, {id, row, row}, {par, par, par, red},
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        // An empty region has m = -inf: use 0 so that exp() gives 0, not NaN.
        Value noRow = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                            a[1], fcst(nb, nl, -kInf));
        Value mm =
            arith::SelectOp::create(nb, nl, noRow, fcst(nb, nl, 0.0), a[1]);
        Value e = math::ExpOp::create(nb, nl,
                                      arith::SubFOp::create(nb, nl, a[0], mm));
        Value v = arith::SelectOp::create(nb, nl, inRegion(nb, nl), e,
                                          fcst(nb, nl, 0.0));
        return arith::AddFOp::create(nb, nl, a[2], v).getResult();
      });
  // hit[i, j] = visible && E_ij > m_i + ln(tau l_i), padded with false.
  Value hit = generic(
      tensor::EmptyOp::create(b, loc, {batch, hq, lq, lk}, b.getI1Type()),
      {est, m, l}, {id, row, row, id}, {par, par, par, par},
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value tl = arith::MulFOp::create(nb, nl, a[2], fcst(nb, nl, tau));
        Value thr = arith::AddFOp::create(nb, nl, a[1],
                                          math::LogOp::create(nb, nl, tl));
        Value above =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, a[0], thr);
        Value i = linalg::IndexOp::create(nb, nl, 2);
        Value j = linalg::IndexOp::create(nb, nl, 3);
        return arith::AndIOp::create(nb, nl, above, visible(nb, nl, i, j))
            .getResult();
      });
  if (nq * bq != lq || nk * bk != lk) {
    Value dst = filled({batch, hq, nq * bq, nk * bk}, b.getBoolAttr(false));
    SmallVector<OpFoldResult> offs(4, b.getIndexAttr(0)),
        strides(4, b.getIndexAttr(1)),
        sizes = {b.getIndexAttr(batch), b.getIndexAttr(hq), b.getIndexAttr(lq),
                 b.getIndexAttr(lk)};
    hit = tensor::InsertSliceOp::create(b, loc, hit, dst, offs, sizes, strides);
  }
  // [B, Hq, nq*bq, nk*bk] -> [B, Hq, nq, bq, nk, bk]
  auto tiled =
      RankedTensorType::get({batch, hq, nq, bq, nk, bk}, b.getI1Type());
  hit = tensor::ExpandShapeOp::create(
      b, loc, tiled, hit,
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4, 5}});
  Value anyHit =
      generic(filled({batch, hq, nq, nk}, b.getBoolAttr(false)), {hit},
              {map(6, {d0, d1, d2, d4, d3, d5}), map(6, {d0, d1, d2, d3})},
              {par, par, par, par, red, red},
              [&](OpBuilder &nb, Location nl, ValueRange a) {
                return arith::OrIOp::create(nb, nl, a[1], a[0]).getResult();
              });
  return generic(
      tensor::EmptyOp::create(b, loc, {batch, hq, nq, nk}, b.getI1Type()),
      {anyHit}, {id, id}, {par, par, par, par},
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value forced = blockFlags(nb, nl, linalg::IndexOp::create(nb, nl, 2),
                                  linalg::IndexOp::create(nb, nl, 3))
                           .first;
        return arith::OrIOp::create(nb, nl, forced, a[0]).getResult();
      });
}

FailureOr<SmallVector<Value>> BlockSelectOp::decomposeToLinalg(OpBuilder &b) {
  auto qt = getQuery().getType(), kt = getKey().getType();
  if (!qt.hasStaticShape() || !kt.hasStaticShape())
    return emitOpError("reference decomposition needs static shapes, got ")
           << qt << " and " << kt;
  SelectBuilder sb(b, getLoc());
  sb.batch = qt.getDimSize(0);
  sb.hq = qt.getDimSize(1);
  sb.lq = qt.getDimSize(2);
  sb.dim = qt.getDimSize(3);
  sb.hkv = kt.getDimSize(1);
  sb.lk = kt.getDimSize(2);
  sb.bq = getBlockQ();
  sb.bk = getBlockK();
  sb.nq = (sb.lq + sb.bq - 1) / sb.bq;
  sb.nk = (sb.lk + sb.bk - 1) / sb.bk;
  sb.group = sb.hq / sb.hkv;
  sb.causal = getCausal() != CausalKind::none;
  sb.off = getCausal() == CausalKind::top_left ? 0 : sb.lk - sb.lq;
  sb.sinkBlocks = getSinkBlocks();
  sb.localBlocks = getLocalBlocks();
  sb.scale = getScale() ? getScale()->convertToDouble()
                        : 1.0 / std::sqrt(static_cast<double>(sb.dim));

  Value q = sb.asF32(getQuery()), k = sb.asF32(getKey());
  Value keep;
  switch (getMethod()) {
  case BlockSelectMethod::moba:
    keep = sb.decomposeTopK(q, k, /*centerKeys=*/false, *getTopk());
    break;
  case BlockSelectMethod::sla: {
    // k = ceil(ratio * number of key blocks), at least 1.
    double ratio = getTopkRatio()->convertToDouble();
    int64_t topk = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(ratio * sb.nk - 1e-9)));
    keep = sb.decomposeTopK(q, k, /*centerKeys=*/true, topk);
    break;
  }
  case BlockSelectMethod::sale:
    keep = sb.decomposeSale(q, k, getTau().convertToDouble());
    break;
  }
  return SmallVector<Value>{keep};
}
