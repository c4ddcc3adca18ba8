//===- AttnDecomposeAgent.cpp - reference decomposition of attn.agent ----===//
//
// Agent attention as linalg on tensors: agent tokens are segment means of Q,
// then two small softmax attentions (agents over keys, queries over agents),
// so the cost is O(N n d) for n agents and no Lq x Lk matrix is built.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/LinearBuilder.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

/// softmax over the last axis of scale * x (rank 4, acc).
Value LinearBuilder::softmaxLast(Value x, double scale) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  SmallVector<int64_t> rows(shape.take_front(3));
  AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
  AffineMap row = map(4, {dim(0), dim(1), dim(2)});
  Value scaled = map4(x, [&](OpBuilder &nb, Location l, Value a) {
    return arith::MulFOp::create(nb, l, a, cst(nb, l, scale)).getResult();
  });
  Value mx = gen(
      rows, {scaled}, {id, row}, iters(3, 1),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return arith::MaximumFOp::create(nb, l, a[0], a[1]).getResult();
      },
      filled(rows, -std::numeric_limits<double>::infinity()));
  Value ex = gen(shape, {scaled, mx}, {id, row, id}, iters(4, 0),
                 [&](OpBuilder &nb, Location l, ValueRange a) {
                   return math::ExpOp::create(
                              nb, l, arith::SubFOp::create(nb, l, a[0], a[1]))
                       .getResult();
                 });
  Value sum = gen(rows, {ex}, {id, row}, iters(3, 1),
                  [&](OpBuilder &nb, Location l, ValueRange a) {
                    return arith::AddFOp::create(nb, l, a[0], a[1]).getResult();
                  });
  return gen(shape, {ex, sum}, {id, row, id}, iters(4, 0),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               return arith::DivFOp::create(nb, l, a[0], a[1]).getResult();
             });
}
FailureOr<SmallVector<Value>> AgentOp::decomposeToLinalg(OpBuilder &b) {
  LinearBuilder lb(*this, getQuery(), getKey(), getValue(), b);
  if (!lb.isStatic())
    return emitOpError("reference decomposition needs static shapes");
  int64_t n = static_cast<int64_t>(getNumAgents());
  int64_t seg = lb.Lq / n, lastStart = (n - 1) * seg;
  double scale = getScale() ? getScale()->convertToDouble()
                            : 1.0 / std::sqrt(static_cast<double>(lb.D));
  Value q = lb.accOf(getQuery()), k = lb.accOf(getKey()),
        v = lb.accOf(getValue());
  auto dim = [&](unsigned i) { return lb.dim(i); };
  auto mac = [&](OpBuilder &nb, Location l, ValueRange a) {
    return lb.madd(nb, l, a[2], a[0], a[1]);
  };
  // Agent tokens: means of Q over n contiguous segments of `seg` rows (the
  // last takes the remainder), (b, h, a, d, i).
  Value agents = lb.gen(
      {lb.B, lb.Hq, n, lb.D}, {q},
      {lb.map(5, {dim(0), dim(1), dim(4), dim(3)}),
       lb.map(5, {dim(0), dim(1), dim(2), dim(3)})},
      lb.iters(4, 1), [&](OpBuilder &nb, Location l, ValueRange a) {
        Value ag = lb.index(nb, l, 2), i = lb.index(nb, l, 4);
        Value of = arith::MinUIOp::create(
            nb, l, arith::DivUIOp::create(nb, l, i, lb.idx(nb, l, seg)),
            lb.idx(nb, l, n - 1));
        Value mine =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, of, ag);
        Value isLast = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                             ag, lb.idx(nb, l, n - 1));
        Value w = arith::SelectOp::create(
            nb, l, isLast, lb.cst(nb, l, 1.0 / double(lb.Lq - lastStart)),
            lb.cst(nb, l, 1.0 / double(seg)));
        Value x = arith::MulFOp::create(nb, l, a[0], w);
        x = arith::SelectOp::create(nb, l, mine, x, lb.cst(nb, l, 0.0));
        return arith::AddFOp::create(nb, l, a[1], x).getResult();
      });
  // Agents attend to the keys, (b, h, a, j, d).
  Value s1 = lb.gen({lb.B, lb.Hq, n, lb.Lk}, {agents, k},
                    {lb.map(5, {dim(0), dim(1), dim(2), dim(4)}),
                     lb.map(5, {dim(0), lb.kvHead(), dim(3), dim(4)}),
                     lb.map(5, {dim(0), dim(1), dim(2), dim(3)})},
                    lb.iters(4, 1), mac);
  Value p1 = lb.softmaxLast(s1, scale);
  // Agent values, (b, h, a, e, j).
  Value av = lb.gen({lb.B, lb.Hq, n, lb.Dv}, {p1, v},
                    {lb.map(5, {dim(0), dim(1), dim(2), dim(4)}),
                     lb.map(5, {dim(0), lb.kvHead(), dim(4), dim(3)}),
                     lb.map(5, {dim(0), dim(1), dim(2), dim(3)})},
                    lb.iters(4, 1), mac);
  // Queries attend to the agents, (b, h, i, a, d).
  Value s2 = lb.gen({lb.B, lb.Hq, lb.Lq, n}, {q, agents},
                    {lb.map(5, {dim(0), dim(1), dim(2), dim(4)}),
                     lb.map(5, {dim(0), dim(1), dim(3), dim(4)}),
                     lb.map(5, {dim(0), dim(1), dim(2), dim(3)})},
                    lb.iters(4, 1), mac);
  Value p2 = lb.softmaxLast(s2, scale);
  // (b, h, i, e, a)
  Value o = lb.gen({lb.B, lb.Hq, lb.Lq, lb.Dv}, {p2, av},
                   {lb.map(5, {dim(0), dim(1), dim(2), dim(4)}),
                    lb.map(5, {dim(0), dim(1), dim(4), dim(3)}),
                    lb.map(5, {dim(0), dim(1), dim(2), dim(3)})},
                   lb.iters(4, 1), mac);
  return SmallVector<Value>{lb.finish(o)};
}
