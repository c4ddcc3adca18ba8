//===- AttnDecomposeLinear.cpp - reference decompositions of linear forms ===//
//
// The reference semantics of `attn.linear` (kernelized elu+1 / relu, MALA,
// Lightning with decay, the SLA `exclude` term) as linalg on tensors. Unlike
// the sdpa reference these keep the cost shape of the method: no Lq x Lk
// matrix is built. Non-causal forms contract K^T V first (O(N d^2)); causal
// forms use the chunked Lightning form (a masked chunk x chunk product inside
// each chunk plus a K^T V state of the chunks before it); the exclude form
// uses per-key-block K^T V states selected per query block. Every product
// runs on an "augmented" value [V, 1] where a normalizer is needed, so the
// denominator is one more output column.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/LinearBuilder.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

/// out[b,h,i,:] = qx[b,h,i,:]^T (sum_j kx[b,h/G,j,:] vx[b,h/G,j,:]^T).
Value LinearBuilder::globalProduct(Value qx, Value kx, Value vx) {
  int64_t dk = cast<RankedTensorType>(kx.getType()).getDimSize(3);
  int64_t e = cast<RankedTensorType>(vx.getType()).getDimSize(3);
  auto mac = [&](OpBuilder &nb, Location l, ValueRange a) {
    return madd(nb, l, a[2], a[0], a[1]);
  };
  // (b, hk, d, e, j)
  Value kv = gen({B, Hkv, dk, e}, {kx, vx},
                 {map(5, {dim(0), dim(1), dim(4), dim(2)}),
                  map(5, {dim(0), dim(1), dim(4), dim(3)}),
                  map(5, {dim(0), dim(1), dim(2), dim(3)})},
                 iters(4, 1), mac);
  // (b, h, i, e, d)
  return gen({B, Hq, Lq, e}, {qx, kv},
             {map(5, {dim(0), dim(1), dim(2), dim(4)}),
              map(5, {dim(0), kvHead(), dim(4), dim(3)}),
              map(5, {dim(0), dim(1), dim(2), dim(3)})},
             iters(4, 1), mac);
}

/// out[b,h,i,:] = sum_{j <= p_i} exp(-s_h (p_i - j)) (qx_i . kx_j) vx_j with
/// p_i = i + Lk - Lq (bottom-right), in chunks of `chunk` positions: queries
/// are padded in front so that they line up with their key positions.
Value LinearBuilder::causalProduct(Value qx, Value kx, Value vx, int64_t chunk,
                                   Value decay) {
  int64_t dk = cast<RankedTensorType>(kx.getType()).getDimSize(3);
  int64_t e = cast<RankedTensorType>(vx.getType()).getDimSize(3);
  int64_t off = Lk - Lq, c = chunk, n = (Lk + c - 1) / c, lp = n * c;
  Value qc = chunks(padRows(qx, off, lp), c);
  Value kc = chunks(padRows(kx, 0, lp), c);
  Value vc = chunks(padRows(vx, 0, lp), c);
  AffineExpr kvh = kvHead();
  auto rate = [&](ValueRange a, unsigned i) { return decay ? a[i] : Value(); };
  SmallVector<Value> dIn;
  if (decay)
    dIn.push_back(decay);

  // Intra-chunk scores, (b, h, c, t, u, d).
  Value scores = gen({B, Hq, n, c, c}, {qc, kc},
                     {map(6, {dim(0), dim(1), dim(2), dim(3), dim(5)}),
                      map(6, {dim(0), kvh, dim(2), dim(4), dim(5)}),
                      map(6, {dim(0), dim(1), dim(2), dim(3), dim(4)})},
                     iters(5, 1), [&](OpBuilder &nb, Location l, ValueRange a) {
                       return madd(nb, l, a[2], a[0], a[1]);
                     });
  // Causal mask and decay inside the chunk, (b, h, c, t, u).
  SmallVector<Value> wIn = {scores};
  wIn.append(dIn);
  SmallVector<AffineMap> wMaps = {
      map(5, {dim(0), dim(1), dim(2), dim(3), dim(4)})};
  if (decay)
    wMaps.push_back(map(5, {dim(1)}));
  wMaps.push_back(wMaps[0]);
  Value weighted = gen(
      {B, Hq, n, c, c}, wIn, wMaps, iters(5, 0),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value t = index(nb, l, 3), u = index(nb, l, 4);
        Value x = a[0];
        if (Value s = rate(a, 1))
          x = arith::MulFOp::create(
              nb, l, x, decayed(nb, l, s, arith::SubIOp::create(nb, l, t, u)));
        Value ok =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, u, t);
        return arith::SelectOp::create(nb, l, ok, x, cst(nb, l, 0.0))
            .getResult();
      });
  // Intra-chunk output, (b, h, c, t, e, u).
  Value intra = gen({B, Hq, n, c, e}, {weighted, vc},
                    {map(6, {dim(0), dim(1), dim(2), dim(3), dim(5)}),
                     map(6, {dim(0), kvh, dim(2), dim(5), dim(4)}),
                     map(6, {dim(0), dim(1), dim(2), dim(3), dim(4)})},
                    iters(5, 1), [&](OpBuilder &nb, Location l, ValueRange a) {
                      return madd(nb, l, a[2], a[0], a[1]);
                    });
  // Per-chunk state sum_t exp(-s (c-1-t)) k_t v_t^T, (b, h, c, d, e, t).
  SmallVector<Value> sIn = {kc, vc};
  sIn.append(dIn);
  SmallVector<AffineMap> sMaps = {
      map(6, {dim(0), kvh, dim(2), dim(5), dim(3)}),
      map(6, {dim(0), kvh, dim(2), dim(5), dim(4)})};
  if (decay)
    sMaps.push_back(map(6, {dim(1)}));
  sMaps.push_back(map(6, {dim(0), dim(1), dim(2), dim(3), dim(4)}));
  Value state =
      gen({B, Hq, n, dk, e}, sIn, sMaps, iters(5, 1),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value x = arith::MulFOp::create(nb, l, a[0], a[1]);
            if (Value s = rate(a, 2))
              x = arith::MulFOp::create(
                  nb, l, x,
                  decayed(nb, l, s,
                          arith::SubIOp::create(nb, l, idx(nb, l, c - 1),
                                                index(nb, l, 5))));
            return arith::AddFOp::create(nb, l, a.back(), x).getResult();
          });
  // State entering chunk c: sum_{c' < c} exp(-s C (c-1-c')) state[c'],
  // (b, h, c, d, e, c'). O(n^2 d^2) work, O(n d^2) memory.
  SmallVector<Value> pIn = {state};
  pIn.append(dIn);
  SmallVector<AffineMap> pMaps = {
      map(6, {dim(0), dim(1), dim(5), dim(3), dim(4)})};
  if (decay)
    pMaps.push_back(map(6, {dim(1)}));
  pMaps.push_back(map(6, {dim(0), dim(1), dim(2), dim(3), dim(4)}));
  Value prefix =
      gen({B, Hq, n, dk, e}, pIn, pMaps, iters(5, 1),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value ci = index(nb, l, 2), cp = index(nb, l, 5);
            Value x = a[0];
            if (Value s = rate(a, 1)) {
              Value gap = arith::SubIOp::create(
                  nb, l, arith::SubIOp::create(nb, l, ci, cp), idx(nb, l, 1));
              x = arith::MulFOp::create(
                  nb, l, x,
                  decayed(nb, l, s,
                          arith::MulIOp::create(nb, l, gap, idx(nb, l, c))));
            }
            Value before =
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, cp, ci);
            x = arith::SelectOp::create(nb, l, before, x, cst(nb, l, 0.0));
            return arith::AddFOp::create(nb, l, a.back(), x).getResult();
          });
  // Inter-chunk term exp(-s (t+1)) q_t^T state, accumulated onto the intra
  // output, (b, h, c, t, e, d).
  SmallVector<Value> oIn = {qc, prefix};
  oIn.append(dIn);
  SmallVector<AffineMap> oMaps = {
      map(6, {dim(0), dim(1), dim(2), dim(3), dim(5)}),
      map(6, {dim(0), dim(1), dim(2), dim(5), dim(4)})};
  if (decay)
    oMaps.push_back(map(6, {dim(1)}));
  oMaps.push_back(map(6, {dim(0), dim(1), dim(2), dim(3), dim(4)}));
  Value out = gen(
      {B, Hq, n, c, e}, oIn, oMaps, iters(5, 1),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value x = arith::MulFOp::create(nb, l, a[0], a[1]);
        if (Value s = rate(a, 2))
          x = arith::MulFOp::create(
              nb, l, x,
              decayed(nb, l, s,
                      arith::AddIOp::create(nb, l, index(nb, l, 3),
                                            idx(nb, l, 1))));
        return arith::AddFOp::create(nb, l, a.back(), x).getResult();
      },
      intra);
  auto flatT = RankedTensorType::get({B, Hq, lp, e}, acc);
  Value flat = tensor::CollapseShapeOp::create(
      b, loc, flatT, out,
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4}});
  SmallVector<OpFoldResult> offs = {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(off), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(B), b.getIndexAttr(Hq),
                                     b.getIndexAttr(Lq), b.getIndexAttr(e)};
  SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, flat, offs, sizes, ones);
}

/// Like globalProduct / causalProduct, but key block kb contributes to query
/// i only when exclude[b, h, i / bq, kb] is false (the linear term of the
/// sparse + linear hybrid). Key-block states K_kb^T V_kb are combined per
/// query: O(Lq * nblocks * d^2) work, O(N d^2 / bk) memory; with `causal`
/// the query's own key block is a masked direct product.
Value LinearBuilder::excludeProduct(Value qx, Value kx, Value vx, Value excl,
                                    int64_t bq, int64_t bk, bool causal) {
  int64_t dk = cast<RankedTensorType>(kx.getType()).getDimSize(3);
  int64_t e = cast<RankedTensorType>(vx.getType()).getDimSize(3);
  int64_t off = Lk - Lq, n = (Lk + bk - 1) / bk, lp = n * bk;
  Value kp = padRows(kx, 0, lp), vp = padRows(vx, 0, lp);
  Value kc = chunks(kp, bk), vc = chunks(vp, bk);
  AffineExpr kvh = kvHead();
  // Key-block states, (b, hk, kb, d, e, u).
  Value blocks = gen({B, Hkv, n, dk, e}, {kc, vc},
                     {map(6, {dim(0), dim(1), dim(2), dim(5), dim(3)}),
                      map(6, {dim(0), dim(1), dim(2), dim(5), dim(4)}),
                      map(6, {dim(0), dim(1), dim(2), dim(3), dim(4)})},
                     iters(5, 1), [&](OpBuilder &nb, Location l, ValueRange a) {
                       return madd(nb, l, a[2], a[0], a[1]);
                     });
  auto et4 = cast<RankedTensorType>(excl.getType());
  auto exclMap = [&](unsigned nd, AffineExpr kb) {
    AffineExpr z = getAffineConstantExpr(0, ctx);
    return map(nd,
               {et4.getDimSize(0) == 1 ? z : dim(0),
                et4.getDimSize(1) == 1 ? z : dim(1), dim(2).floorDiv(bq), kb});
  };
  AffineExpr pos = dim(2) + off; // the query's key position
  // Fully visible blocks, (b, h, i, e, kb, d).
  Value inter =
      gen({B, Hq, Lq, e}, {qx, blocks, excl},
          {map(6, {dim(0), dim(1), dim(2), dim(5)}),
           map(6, {dim(0), kvh, dim(4), dim(5), dim(3)}), exclMap(6, dim(4)),
           map(6, {dim(0), dim(1), dim(2), dim(3)})},
          iters(4, 2), [&](OpBuilder &nb, Location l, ValueRange a) {
            Value tru = arith::ConstantOp::create(nb, l, nb.getBoolAttr(true));
            Value keep = arith::XOrIOp::create(nb, l, a[2], tru);
            if (causal) {
              Value p = arith::AddIOp::create(nb, l, index(nb, l, 2),
                                              idx(nb, l, off));
              Value own = arith::DivUIOp::create(nb, l, p, idx(nb, l, bk));
              keep = arith::AndIOp::create(
                  nb, l, keep,
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult,
                                        index(nb, l, 4), own));
            }
            Value x = arith::MulFOp::create(nb, l, a[0], a[1]);
            x = arith::SelectOp::create(nb, l, keep, x, cst(nb, l, 0.0));
            return arith::AddFOp::create(nb, l, a[3], x).getResult();
          });
  if (!causal)
    return inter;
  // The query's own key block: keys (p / bk) * bk + u with u <= p mod bk.
  AffineExpr own = pos.floorDiv(bk) * bk;
  Value s = gen({B, Hq, Lq, bk}, {qx, kp},
                {map(5, {dim(0), dim(1), dim(2), dim(4)}),
                 map(5, {dim(0), kvh, own + dim(3), dim(4)}),
                 map(5, {dim(0), dim(1), dim(2), dim(3)})},
                iters(4, 1), [&](OpBuilder &nb, Location l, ValueRange a) {
                  return madd(nb, l, a[2], a[0], a[1]);
                });
  // (b, h, i, e, u)
  return gen(
      {B, Hq, Lq, e}, {s, vp, excl},
      {map(5, {dim(0), dim(1), dim(2), dim(4)}),
       map(5, {dim(0), kvh, own + dim(4), dim(3)}),
       exclMap(5, pos.floorDiv(bk)), map(5, {dim(0), dim(1), dim(2), dim(3)})},
      iters(4, 1),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value p =
            arith::AddIOp::create(nb, l, index(nb, l, 2), idx(nb, l, off));
        Value u = index(nb, l, 4);
        Value ok = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::ule, u,
            arith::RemUIOp::create(nb, l, p, idx(nb, l, bk)));
        Value tru = arith::ConstantOp::create(nb, l, nb.getBoolAttr(true));
        ok = arith::AndIOp::create(nb, l, ok,
                                   arith::XOrIOp::create(nb, l, a[2], tru));
        Value x = arith::MulFOp::create(nb, l, a[0], a[1]);
        x = arith::SelectOp::create(nb, l, ok, x, cst(nb, l, 0.0));
        return arith::AddFOp::create(nb, l, a[3], x).getResult();
      },
      inter);
}

FailureOr<SmallVector<Value>> LinearOp::decomposeToLinalg(OpBuilder &b) {
  LinearBuilder lb(*this, getQuery(), getKey(), getValue(), b);
  if (!lb.isStatic())
    return emitOpError("reference decomposition needs static shapes");
  bool causal = getCausal();
  if (causal && lb.Lq > lb.Lk)
    return emitOpError("causal linear attention with more queries (")
           << lb.Lq << ") than keys (" << lb.Lk << ") is not supported";
  LinearVariant variant = getVariant();
  Value excl = getExclude();
  int64_t bq = 0, bk = 0;
  if (excl) {
    if (variant != LinearVariant::kernelized)
      return emitOpError("exclude is only defined for the kernelized variant");
    bq = (*getBlockSize())[0], bk = (*getBlockSize())[1];
    auto t = cast<RankedTensorType>(excl.getType());
    int64_t want[4] = {lb.B, lb.Hq, (lb.Lq + bq - 1) / bq,
                       (lb.Lk + bk - 1) / bk};
    bool ok = t.getRank() == 4 && t.getElementType().isInteger(1) &&
              t.hasStaticShape();
    for (int i = 0; ok && i < 4; ++i)
      ok = t.getDimSize(i) == want[i] || (i < 2 && t.getDimSize(i) == 1);
    if (!ok)
      return emitOpError("expected an i1 exclude map of shape [")
             << want[0] << "|1, " << want[1] << "|1, " << want[2] << ", "
             << want[3] << "], got " << t;
  }
  int64_t chunk = static_cast<int64_t>(getChunk());
  auto product = [&](Value qx, Value kx, Value vx, Value decay) {
    if (excl)
      return lb.excludeProduct(qx, kx, vx, excl, bq, bk, causal);
    return causal ? lb.causalProduct(qx, kx, vx, chunk, decay)
                  : lb.globalProduct(qx, kx, vx);
  };
  AffineMap id = AffineMap::getMultiDimIdentityMap(4, getContext());
  int64_t dv = lb.Dv;
  // Reads column dv (the normalizer) of an augmented product.
  AffineMap last =
      AffineMap::get(4, 0,
                     {b.getAffineDimExpr(0), b.getAffineDimExpr(1),
                      b.getAffineDimExpr(2), b.getAffineConstantExpr(dv)},
                     getContext());
  SmallVector<int64_t> oShape = {lb.B, lb.Hq, lb.Lq, dv};

  if (variant == LinearVariant::lightning) {
    double s = getScale() ? getScale()->convertToDouble() : 1.0;
    Value qx = lb.map4(getQuery(), [&](OpBuilder &nb, Location l, Value a) {
      return arith::MulFOp::create(nb, l, lb.toAcc(nb, l, a), lb.cst(nb, l, s))
          .getResult();
    });
    Value decay;
    if (auto d = getDecay())
      if (llvm::any_of(*d, [](double x) { return x != 0.0; }))
        decay = lb.decayTensor(*d);
    Value r = product(qx, lb.accOf(getKey()), lb.accOf(getValue()), decay);
    return SmallVector<Value>{lb.finish(r)};
  }

  Value fq = lb.feature(getQuery(), getFeature());
  Value fk = lb.feature(getKey(), getFeature());
  Value v1 = lb.withOnes(lb.accOf(getValue()));
  Value r = product(fq, fk, v1, Value());

  if (variant == LinearVariant::kernelized) {
    // num / den; a row with no (positive) feature mass is zero.
    Value o = lb.gen(
        oShape, {lb.columns(r, dv), r}, {id, last, id}, lb.iters(4, 0),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value zero = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                             a[1], lb.cst(nb, l, 0.0));
          Value den =
              arith::SelectOp::create(nb, l, zero, lb.cst(nb, l, 1.0), a[1]);
          return arith::DivFOp::create(nb, l, a[0], den).getResult();
        });
    return SmallVector<Value>{lb.finish(o)};
  }

  // MALA. `sums` holds sum_j v_j and the key count per query (over j <= p_i
  // when causal), as the product of ones with [V, 1].
  double s = getScale() ? getScale()->convertToDouble()
                        : 1.0 / std::sqrt(static_cast<double>(lb.D));
  Value sums;
  if (causal) {
    Value oq = lb.filled({lb.B, lb.Hq, lb.Lq, 1}, 1.0);
    Value ok = lb.filled({lb.B, lb.Hkv, lb.Lk, 1}, 1.0);
    sums = lb.causalProduct(oq, ok, v1, chunk, Value());
  } else {
    Value oq = lb.filled({lb.B, lb.Hq, lb.Lq, 1}, 1.0);
    Value ok = lb.filled({lb.B, lb.Hkv, lb.Lk, 1}, 1.0);
    sums = lb.globalProduct(oq, ok, v1);
  }
  // z = s phi(q) . mean phi(k); O = (s^2/N) num (1 + 1/z) - z mean v.
  Value o = lb.gen(
      oShape, {lb.columns(r, dv), r, lb.columns(sums, dv), sums},
      {id, last, id, last, id}, lb.iters(4, 0),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value n = arith::MaximumFOp::create(nb, l, a[3], lb.cst(nb, l, 1.0));
        Value z = arith::DivFOp::create(
            nb, l, arith::MulFOp::create(nb, l, lb.cst(nb, l, s), a[1]), n);
        Value zero = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, z,
                                           lb.cst(nb, l, 0.0));
        Value zs = arith::SelectOp::create(nb, l, zero, lb.cst(nb, l, 1.0), z);
        Value gain = arith::AddFOp::create(
            nb, l, lb.cst(nb, l, 1.0),
            arith::DivFOp::create(nb, l, lb.cst(nb, l, 1.0), zs));
        Value num = arith::DivFOp::create(
            nb, l, arith::MulFOp::create(nb, l, lb.cst(nb, l, s * s), a[0]), n);
        Value mean = arith::DivFOp::create(nb, l, a[2], n);
        Value x = arith::SubFOp::create(nb, l,
                                        arith::MulFOp::create(nb, l, num, gain),
                                        arith::MulFOp::create(nb, l, z, mean));
        return arith::SelectOp::create(nb, l, zero, lb.cst(nb, l, 0.0), x)
            .getResult();
      });
  return SmallVector<Value>{lb.finish(o)};
}
