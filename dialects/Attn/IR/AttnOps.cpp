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
  if (auto s = getScale())
    if (!std::isfinite(s->convertToDouble()) || s->convertToDouble() == 0.0)
      return emitOpError() << "expected a finite non-zero scale, got "
                           << s->convertToDouble();
  if (auto c = getSoftcap())
    if (!(c->convertToDouble() > 0.0) || !std::isfinite(c->convertToDouble()))
      return emitOpError() << "expected a positive finite softcap, got "
                           << c->convertToDouble();
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Attn/IR/AttnOps.cpp.inc"
