//===- AttnOps.cpp - attn op verifiers and accessors --------------------===//
//
// Verifiers reject every shape, element type and attribute combination the
// op's semantics (see AttnOps.td) does not define, and say what was expected.
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ", ";
    s += ShapedType::isDynamic(d) ? "?" : std::to_string(d);
  }
  return s + "]";
}

static int64_t ceilDiv(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? ShapedType::kDynamic : (a + b - 1) / b;
}

/// True when two (possibly dynamic) extents may be equal.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

int64_t SdpaOp::getGroupSize() {
  int64_t hq = getQuery().getType().getDimSize(1);
  int64_t hkv = getKey().getType().getDimSize(1);
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) || hkv == 0)
    return 1;
  return hq / hkv;
}

double SdpaOp::getEffectiveScale() {
  if (auto s = getScale())
    return s->convertToDouble();
  int64_t d = getQuery().getType().getDimSize(3);
  return 1.0 / std::sqrt(static_cast<double>(d));
}

LogicalResult SdpaOp::verify() {
  RankedTensorType q = getQuery().getType(), k = getKey().getType(),
                   v = getValue().getType(), r = getResult().getType();
  for (auto [name, t] : {std::pair<StringRef, RankedTensorType>{"query", q},
                         {"key", k}, {"value", v}, {"result", r}})
    if (t.getRank() != 4)
      return emitOpError() << "expected " << name
                           << " of rank 4 ([batch, heads, seq, head_dim]), got "
                           << t;
  Type et = q.getElementType();
  if (!isa<FloatType>(et))
    return emitOpError() << "expected a floating-point query, got " << q;
  for (auto [name, t] : {std::pair<StringRef, RankedTensorType>{"key", k},
                         {"value", v}, {"result", r}})
    if (t.getElementType() != et)
      return emitOpError() << "expected " << name << " element type " << et
                           << " (same as query), got " << t.getElementType();

  auto qs = q.getShape(), ks = k.getShape(), vs = v.getShape();
  if (!compatible(qs[0], ks[0]) || !compatible(qs[0], vs[0]))
    return emitOpError() << "expected equal batch sizes, got query "
                         << shapeStr(qs) << ", key " << shapeStr(ks)
                         << ", value " << shapeStr(vs);
  if (!compatible(ks[1], vs[1]))
    return emitOpError() << "expected key and value to have the same number of "
                            "heads, got key "
                         << shapeStr(ks) << " and value " << shapeStr(vs);
  if (!compatible(ks[2], vs[2]))
    return emitOpError() << "expected key and value sequence lengths to match, "
                            "got key "
                         << shapeStr(ks) << " and value " << shapeStr(vs);
  if (!compatible(qs[3], ks[3]))
    return emitOpError() << "expected query and key head_dim to match, got "
                            "query "
                         << shapeStr(qs) << " and key " << shapeStr(ks);
  if (!ShapedType::isDynamic(qs[1]) && !ShapedType::isDynamic(ks[1]) &&
      (ks[1] == 0 || qs[1] % ks[1] != 0))
    return emitOpError() << "expected query heads (" << qs[1]
                         << ") to be a multiple of key/value heads (" << ks[1]
                         << ")";
  SmallVector<int64_t> expected = {qs[0], qs[1], qs[2], vs[3]};
  for (int i = 0; i < 4; ++i)
    if (!compatible(expected[i], r.getDimSize(i)))
      return emitOpError() << "expected result shape " << shapeStr(expected)
                           << ", got " << shapeStr(r.getShape());

  if (Value m = getMask()) {
    auto mt = cast<RankedTensorType>(m.getType());
    Type me = mt.getElementType();
    if (!me.isInteger(1) && me != et)
      return emitOpError() << "expected mask element type i1 (boolean keep "
                              "mask) or "
                           << et << " (additive mask), got " << me;
    if (mt.getRank() > 4)
      return emitOpError() << "expected mask of rank <= 4, got " << mt;
    SmallVector<int64_t> scores = {qs[0], qs[1], qs[2], ks[2]};
    for (int64_t i = 0, e = mt.getRank(); i < e; ++i) {
      int64_t md = mt.getDimSize(i), sd = scores[4 - e + i];
      if (md != 1 && !compatible(md, sd))
        return emitOpError() << "expected mask shape broadcastable to scores "
                             << shapeStr(scores) << ", got "
                             << shapeStr(mt.getShape());
    }
  }
  // A zero head size has no default scale (1/sqrt(0)) and nothing to
  // attend with: say so rather than report the infinite scale it implies.
  if (getQuery().getType().getRank() == 4 &&
      getQuery().getType().getDimSize(3) == 0)
    return emitOpError() << "expected a head size (query dim 3) >= 1, got 0";
  if (auto s = getScale())
    if (!std::isfinite(s->convertToDouble()) || s->convertToDouble() == 0.0)
      return emitOpError() << "expected a finite non-zero scale, got "
                           << s->convertToDouble();
  if (auto c = getSoftcap())
    if (!(c->convertToDouble() > 0.0) || !std::isfinite(c->convertToDouble()))
      return emitOpError() << "expected a positive finite softcap, got "
                           << c->convertToDouble();

  int64_t hq = qs[1];
  auto checkHeads = [&](std::optional<ArrayRef<int64_t>> heads,
                        StringRef what) -> LogicalResult {
    if (!heads || ShapedType::isDynamic(hq))
      return success();
    for (int64_t h : *heads)
      if (h < 0 || h >= hq)
        return emitOpError() << what << " lists head " << h
                             << ", expected a query head in [0, " << hq << ")";
    return success();
  };
  if (failed(checkHeads(getDenseHeads(), "dense_heads")) ||
      failed(checkHeads(getScoreModHeads(), "score_mod_heads")))
    return failure();
  if (getCompensation() && !getWindow())
    return emitOpError() << "compensation requires a window";
  if (getScoreModHeads() && !getScoreMod())
    return emitOpError() << "score_mod_heads requires a score_mod";
  if (Value bm = getBlockMask()) {
    auto bs = getBlockSize();
    if (!bs || bs->size() != 2 || (*bs)[0] <= 0 || (*bs)[1] <= 0)
      return emitOpError() << "a block_mask requires block_size = array<i64: "
                              "bq, bk> with positive sizes";
    auto bt = cast<RankedTensorType>(bm.getType());
    SmallVector<int64_t> want = {qs[0], hq, ceilDiv(qs[2], (*bs)[0]),
                                 ceilDiv(ks[2], (*bs)[1])};
    if (!bt.getElementType().isInteger(1) || bt.getRank() != 4)
      return emitOpError() << "expected an i1 block_mask of rank 4, got "
                           << bt;
    for (int i = 0; i < 4; ++i)
      if (bt.getDimSize(i) != 1 && !compatible(bt.getDimSize(i), want[i]))
        return emitOpError() << "expected block_mask shape broadcastable to "
                             << shapeStr(want) << " (blocks of "
                             << (*bs)[0] << "x" << (*bs)[1] << "), got "
                             << shapeStr(bt.getShape());
  } else if (getBlockSize()) {
    return emitOpError() << "block_size without a block_mask";
  }
  return success();
}

bool SdpaOp::isSparseHead(int64_t h) {
  auto heads = getDenseHeads();
  return !heads || !llvm::is_contained(*heads, h);
}

bool SdpaOp::isScoreModHead(int64_t h) {
  auto heads = getScoreModHeads();
  return !heads || llvm::is_contained(*heads, h);
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

LogicalResult WindowAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t sinks, int64_t left, int64_t right,
                                 int64_t dilation, bool clamp) {
  if (sinks < 0 || left < 0 || right < 0)
    return emitError() << "expected non-negative sinks, left and right, got "
                       << sinks << ", " << left << ", " << right;
  if (dilation < 1)
    return emitError() << "expected dilation >= 1, got " << dilation;
  return success();
}

LogicalResult
ZeroTuningAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       FloatAttr gamma) {
  if (!gamma)
    return emitError() << "expected a gamma";
  double g = gamma.getValueAsDouble();
  if (!(g > 0.0) || !std::isfinite(g))
    return emitError() << "expected a positive finite gamma, got " << g;
  return success();
}

LogicalResult ActAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              FloatAttr beta, FloatAttr tau) {
  if (!beta || !tau)
    return emitError() << "expected beta and tau";
  double bv = beta.getValueAsDouble(), tv = tau.getValueAsDouble();
  if (!(bv >= 0.0 && bv <= 1.0))
    return emitError() << "expected beta in [0, 1], got " << bv;
  if (!(tv >= 0.0 && tv <= 1.0))
    return emitError() << "expected tau in [0, 1], got " << tv;
  return success();
}

//===----------------------------------------------------------------------===//
// block_select, linear, agent
//===----------------------------------------------------------------------===//

/// Shared checks of ops that take query [B,Hq,Lq,D] and key [B,Hkv,Lk,D].
static LogicalResult verifyQK(Operation *op, RankedTensorType q,
                              RankedTensorType k) {
  if (q.getRank() != 4 || k.getRank() != 4)
    return op->emitOpError()
           << "expected query and key of rank 4 ([batch, heads, seq, "
              "head_dim]), got "
           << q << " and " << k;
  if (!isa<FloatType>(q.getElementType()) ||
      q.getElementType() != k.getElementType())
    return op->emitOpError() << "expected floating-point query and key of "
                                "the same element type, got "
                             << q << " and " << k;
  if (!compatible(q.getDimSize(0), k.getDimSize(0)) ||
      !compatible(q.getDimSize(3), k.getDimSize(3)))
    return op->emitOpError() << "expected query and key to agree on batch and "
                                "head_dim, got "
                             << shapeStr(q.getShape()) << " and "
                             << shapeStr(k.getShape());
  int64_t hq = q.getDimSize(1), hk = k.getDimSize(1);
  if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hk) &&
      (hk == 0 || hq % hk != 0))
    return op->emitOpError() << "expected query heads (" << hq
                             << ") to be a multiple of key heads (" << hk
                             << ")";
  return success();
}

/// Checks value [B,Hkv,Lk,Dv] and result [B,Hq,Lq,Dv] against q/k.
static LogicalResult verifyVO(Operation *op, RankedTensorType q,
                              RankedTensorType k, RankedTensorType v,
                              RankedTensorType r) {
  if (v.getRank() != 4 || v.getElementType() != q.getElementType())
    return op->emitOpError() << "expected a rank-4 value of element type "
                             << q.getElementType() << ", got " << v;
  if (!compatible(v.getDimSize(1), k.getDimSize(1)) ||
      !compatible(v.getDimSize(2), k.getDimSize(2)))
    return op->emitOpError() << "expected key and value to agree on heads and "
                                "sequence length, got "
                             << shapeStr(k.getShape()) << " and "
                             << shapeStr(v.getShape());
  SmallVector<int64_t> want = {q.getDimSize(0), q.getDimSize(1),
                               q.getDimSize(2), v.getDimSize(3)};
  for (int i = 0; i < 4; ++i)
    if (r.getRank() != 4 || !compatible(want[i], r.getDimSize(i)) ||
        r.getElementType() != q.getElementType())
      return op->emitOpError() << "expected result " << shapeStr(want)
                               << " of " << q.getElementType() << ", got "
                               << r;
  return success();
}

LogicalResult BlockSelectOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType();
  if (failed(verifyQK(*this, q, k)))
    return failure();
  if (getBlockQ() <= 0 || getBlockK() <= 0)
    return emitOpError() << "expected positive block sizes, got "
                         << getBlockQ() << "x" << getBlockK();
  switch (getMethod()) {
  case BlockSelectMethod::moba:
    if (!getTopk() || *getTopk() <= 0)
      return emitOpError() << "method moba requires a positive topk";
    break;
  case BlockSelectMethod::sla:
    if (!getTopkRatio() || !(getTopkRatio()->convertToDouble() > 0.0) ||
        getTopkRatio()->convertToDouble() > 1.0)
      return emitOpError() << "method sla requires topk_ratio in (0, 1]";
    break;
  case BlockSelectMethod::sale: {
    double tau = getTau().convertToDouble();
    if (!(tau > 0.0 && tau < 1.0))
      return emitOpError() << "method sale requires tau in (0, 1), got "
                           << tau;
    break;
  }
  }
  auto r = getResult().getType();
  SmallVector<int64_t> want = {q.getDimSize(0), q.getDimSize(1),
                               ceilDiv(q.getDimSize(2), getBlockQ()),
                               ceilDiv(k.getDimSize(2), getBlockK())};
  if (r.getRank() != 4 || !r.getElementType().isInteger(1))
    return emitOpError() << "expected an i1 result of rank 4, got " << r;
  for (int i = 0; i < 4; ++i)
    if (!compatible(want[i], r.getDimSize(i)))
      return emitOpError() << "expected result shape " << shapeStr(want)
                           << ", got " << shapeStr(r.getShape());
  return success();
}

LogicalResult LinearOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType();
  if (failed(verifyQK(*this, q, k)) ||
      failed(verifyVO(*this, q, k, getValue().getType(),
                      getResult().getType())))
    return failure();
  if (getChunk() <= 0)
    return emitOpError() << "expected a positive chunk, got " << getChunk();
  if (auto d = getDecay()) {
    int64_t hq = q.getDimSize(1);
    if (d->size() != 1 && static_cast<int64_t>(d->size()) != hq)
      return emitOpError() << "expected 1 or " << hq << " decay values, got "
                           << d->size();
    for (double x : *d)
      if (!(x >= 0.0) || !std::isfinite(x))
        return emitOpError() << "expected non-negative decay, got " << x;
  }
  if (getVariant() == LinearVariant::lightning && !getCausal())
    return emitOpError() << "the lightning variant is causal; set causal";
  if (getExclude()) {
    auto bs = getBlockSize();
    if (!bs || bs->size() != 2 || (*bs)[0] <= 0 || (*bs)[1] <= 0)
      return emitOpError() << "exclude requires block_size = array<i64: bq, "
                              "bk>";
  }
  return success();
}

LogicalResult AgentOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType();
  if (failed(verifyQK(*this, q, k)) ||
      failed(verifyVO(*this, q, k, getValue().getType(),
                      getResult().getType())))
    return failure();
  int64_t lq = q.getDimSize(2);
  int64_t agents = static_cast<int64_t>(getNumAgents());
  if (agents <= 0 || (!ShapedType::isDynamic(lq) && agents > lq))
    return emitOpError() << "expected 1 <= num_agents <= Lq (" << lq
                         << "), got " << getNumAgents();
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Attn/IR/AttnOps.cpp.inc"
