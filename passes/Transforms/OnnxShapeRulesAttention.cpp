//===- OnnxShapeRulesAttention.cpp - fused attention op shape rules -----===//
//
// Shape rules for the fused attention ops: ONNX Attention (opset 23/24) and
// com.microsoft Attention, MultiHeadAttention and GroupQueryAttention. Their
// layouts (3-D packed heads vs. 4-D [B,H,S,D], packed QKV, KV caches) are
// checked here so that attn-raise can rely on consistent shapes.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/OnnxShapeRules.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Heads, sequence length and head size of a 3-D [B,S,H*D] or 4-D
/// [B,H,S,D] operand; `heads` must be given (>0) for 3-D ones.
struct Layout {
  int64_t batch = 0, heads = 0, seq = 0, headSize = 0;
};

FailureOr<Layout> splitHeads(ShapeCtx &c, unsigned i, StringRef what,
                             int64_t heads, StringRef headsAttr) {
  ArrayRef<int64_t> s = c.shape(i);
  if (s.size() == 4)
    return Layout{s[0], s[1], s[2], s[3]};
  if (s.size() != 3)
    return c.error() << what << " " << shapeStr(s)
                     << " must be 3-D [B,S,H*D] or 4-D [B,H,S,D]";
  if (heads <= 0)
    return c.error() << "the " << headsAttr << " attribute is required for 3-D "
                     << what;
  if (s[2] % heads != 0)
    return c.error() << what << " hidden size " << s[2]
                     << " is not divisible by " << headsAttr << " = " << heads;
  return Layout{s[0], heads, s[1], s[2] / heads};
}

/// past_* [B,H,P,D] must agree with the new keys/values; returns P.
FailureOr<int64_t> pastLength(ShapeCtx &c, unsigned i, int64_t batch,
                              int64_t heads, int64_t headSize) {
  if (!c.has(i))
    return 0;
  ArrayRef<int64_t> p = c.shape(i);
  if (p.size() != 4 || p[0] != batch || p[1] != heads || p[3] != headSize)
    return c.error() << "input #" << i << " (past) " << shapeStr(p)
                     << " does not match [" << batch << ", " << heads << ", P, "
                     << headSize << "]";
  return p[2];
}

LogicalResult attentionRule(ShapeCtx &c) {
  if (failed(c.need(3)))
    return failure();
  int64_t hq = c.intAttr("q_num_heads", 0), hkv = c.intAttr("kv_num_heads", 0);
  FailureOr<Layout> q = splitHeads(c, 0, "Q", hq, "q_num_heads");
  if (failed(q))
    return failure();
  FailureOr<Layout> k = splitHeads(c, 1, "K", hkv, "kv_num_heads");
  if (failed(k))
    return failure();
  FailureOr<Layout> v = splitHeads(c, 2, "V", hkv, "kv_num_heads");
  if (failed(v))
    return failure();
  if (q->batch != k->batch || q->batch != v->batch ||
      q->headSize != k->headSize || k->heads != v->heads || k->seq != v->seq ||
      k->heads == 0 || q->heads % k->heads != 0)
    return c.error() << "inconsistent Q " << shapeStr(c.shape(0)) << ", K "
                     << shapeStr(c.shape(1)) << ", V " << shapeStr(c.shape(2))
                     << " (expected equal batch, K/V heads dividing Q heads, "
                        "equal Q/K head size and K/V length)";
  FailureOr<int64_t> pk = pastLength(c, 4, k->batch, k->heads, k->headSize);
  if (failed(pk))
    return failure();
  FailureOr<int64_t> pv = pastLength(c, 5, v->batch, v->heads, v->headSize);
  if (failed(pv))
    return failure();
  if (*pk != *pv)
    return c.error() << "past_key and past_value lengths differ";
  int64_t total = *pk + k->seq;
  Type et = c.elem(0);
  if (c.rank(0) == 4)
    c.set(0, {q->batch, q->heads, q->seq, v->headSize}, et);
  else
    c.set(0, {q->batch, q->seq, q->heads * v->headSize}, et);
  c.set(1, {k->batch, k->heads, total, k->headSize}, et);
  c.set(2, {v->batch, v->heads, total, v->headSize}, et);
  c.set(3, {q->batch, q->heads, q->seq, total}, et);
  return success();
}

LogicalResult msAttentionRule(ShapeCtx &c) {
  if (failed(c.need(2)))
    return failure();
  ArrayRef<int64_t> x = c.shape(0), w = c.shape(1);
  int64_t heads = c.intAttr("num_heads", 0);
  if (x.size() != 3 || w.size() != 2 || w[0] != x[2] || heads <= 0)
    return c.error() << "expected input [B,S,hidden] " << shapeStr(x)
                     << ", weights [hidden, Q+K+V] " << shapeStr(w)
                     << " and num_heads > 0";
  SmallVector<int64_t> sizes = c.node.getIntsAttr("qkv_hidden_sizes");
  if (sizes.empty() && w[1] % 3 == 0)
    sizes.assign(3, w[1] / 3);
  if (sizes.size() != 3 || sizes[0] + sizes[1] + sizes[2] != w[1] ||
      sizes[0] != sizes[1] || sizes[1] % heads != 0 || sizes[2] % heads != 0)
    return c.error() << "qkv_hidden_sizes " << shapeStr(sizes)
                     << " must be three sizes summing to " << w[1]
                     << " with Q = K and each divisible by num_heads = "
                     << heads;
  int64_t d = sizes[1] / heads, past = 0;
  if (c.has(4)) {
    ArrayRef<int64_t> p = c.shape(4);
    if (p.size() != 5 || p[0] != 2 || p[1] != x[0] || p[2] != heads ||
        p[4] != d)
      return c.error() << "past " << shapeStr(p) << " does not match [2, "
                       << x[0] << ", " << heads << ", P, " << d << "]";
    past = p[3];
  }
  c.set(0, {x[0], x[1], sizes[2]}, c.elem(0));
  c.set(1, {2, x[0], heads, past + x[1], d}, c.elem(0));
  return success();
}

LogicalResult mhaRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  ArrayRef<int64_t> q = c.shape(0);
  int64_t h = c.intAttr("num_heads", 0);
  if (h <= 0)
    return c.error() << "num_heads must be > 0";
  int64_t b, s, d, dv = 0, l = 0;
  if (q.size() == 5) { // packed QKV [B,S,H,3,D]
    if (q[2] != h || q[3] != 3)
      return c.error() << "packed query " << shapeStr(q)
                       << " must be [B, S, num_heads, 3, D]";
    b = q[0], s = q[1], d = dv = q[4], l = s;
  } else if (q.size() == 3 && q[2] % h == 0) {
    b = q[0], s = q[1], d = q[2] / h;
  } else {
    return c.error() << "query " << shapeStr(q)
                     << " must be [B, S, num_heads*D] or [B, S, H, 3, D]";
  }
  if (q.size() == 3) {
    if (!c.has(1))
      return c.error() << "key is required with an unpacked query";
    ArrayRef<int64_t> k = c.shape(1);
    if (k.size() == 5 && k[2] == h && k[3] == 2 && k[4] == d) { // packed KV
      l = k[1], dv = d;
    } else if (k.size() == 3 && k[2] == h * d) {
      l = k[1];
    } else if (k.size() == 4 && k[1] == h && k[3] == d) {
      l = k[2];
    } else {
      return c.error() << "key " << shapeStr(k) << " does not match query "
                       << shapeStr(q) << " with num_heads = " << h;
    }
    if (!dv) {
      if (!c.has(2))
        return c.error() << "value is required with an unpacked key";
      ArrayRef<int64_t> v = c.shape(2);
      if (v.size() == 3 && v[1] == l && v[2] % h == 0)
        dv = v[2] / h;
      else if (v.size() == 4 && v[1] == h && v[2] == l)
        dv = v[3];
      else
        return c.error() << "value " << shapeStr(v) << " does not match key "
                         << shapeStr(k);
    }
  }
  int64_t past = 0;
  if (c.has(6)) {
    ArrayRef<int64_t> p = c.shape(6);
    if (p.size() != 4 || p[0] != b || p[1] != h || p[3] != d)
      return c.error() << "past_key " << shapeStr(p) << " does not match [" << b
                       << ", " << h << ", P, " << d << "]";
    past = p[2];
  }
  Type et = c.elem(0);
  c.set(0, {b, s, h * dv}, et);
  c.set(1, {b, h, past + l, d}, et);
  c.set(2, {b, h, past + l, dv}, et);
  return success();
}

LogicalResult gqaRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  ArrayRef<int64_t> q = c.shape(0);
  int64_t hq = c.intAttr("num_heads", 0), hkv = c.intAttr("kv_num_heads", 0);
  if (hq <= 0 || hkv <= 0 || hq % hkv != 0)
    return c.error() << "num_heads (" << hq << ") must be a positive multiple"
                     << " of kv_num_heads (" << hkv << ")";
  if (q.size() != 3)
    return c.error() << "query " << shapeStr(q) << " must be 3-D";
  bool packed = !c.has(1);
  int64_t parts = packed ? hq + 2 * hkv : hq;
  if (q[2] % parts != 0)
    return c.error() << "query hidden size " << q[2] << " is not divisible by "
                     << parts << " heads";
  int64_t b = q[0], s = q[1], d = q[2] / parts;
  if (!packed) {
    for (unsigned i : {1u, 2u})
      if (!c.has(i) || c.shape(i) != ArrayRef<int64_t>{b, s, hkv * d})
        return c.error() << "key and value must be [" << b << ", " << s << ", "
                         << hkv * d << "]";
  }
  int64_t past = 0;
  if (c.has(3)) {
    ArrayRef<int64_t> p = c.shape(3);
    if (p.size() != 4 || p[0] != b || p[1] != hkv || p[3] != d)
      return c.error() << "past_key " << shapeStr(p) << " does not match [" << b
                       << ", " << hkv << ", P, " << d << "]";
    past = p[2];
  }
  int64_t len = past + s;
  if (std::optional<SmallVector<int64_t>> t = c.constInts(6);
      t && t->size() == 1)
    len = std::max(past, (*t)[0]);
  Type et = c.elem(0);
  c.set(0, {b, s, hq * d}, et);
  c.set(1, {b, hkv, len, d}, et);
  c.set(2, {b, hkv, len, d}, et);
  return success();
}

} // namespace

void mlir::attn::addAttentionShapeRules(ShapeRuleMap &rules) {
  rules["Attention"] = attentionRule;
  rules["com.microsoft.Attention"] = msAttentionRule;
  rules["com.microsoft.MultiHeadAttention"] = mhaRule;
  rules["com.microsoft.GroupQueryAttention"] = gqaRule;
}
