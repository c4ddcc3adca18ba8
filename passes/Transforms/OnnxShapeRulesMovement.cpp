//===- OnnxShapeRulesMovement.cpp - data movement op shape rules --------===//
//
// Shape rules for ops that move or create data without arithmetic: Reshape,
// Flatten, Squeeze/Unsqueeze, Concat, Split, Slice, Gather*, Expand, Tile,
// Transpose, Pad, TopK, and the shape sources Shape, Size, ConstantOfShape
// and Range. Several take their parameters from constant inputs; when those
// are not constants by now the model's shapes are data dependent and the
// rule reports it.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/OnnxFolding.h"
#include "passes/Transforms/OnnxShapeRules.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {

Type i64Type(ShapeCtx &c) { return IntegerType::get(c.node.getContext(), 64); }

LogicalResult reshapeRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  SmallVector<int64_t> shape;
  if (c.opset() < 5) {
    shape = c.node.getIntsAttr("shape");
  } else {
    if (failed(c.need(2)))
      return failure();
    FailureOr<SmallVector<int64_t>> s = c.requireInts(1, "shape");
    if (failed(s))
      return failure();
    shape = *s;
  }
  ArrayRef<int64_t> in = c.shape(0);
  bool allowZero = c.intAttr("allowzero", 0) != 0;
  int64_t known = 1, inferred = -1;
  for (auto [k, d] : llvm::enumerate(shape)) {
    if (d == 0 && !allowZero) {
      if (k >= in.size())
        return c.error() << "shape " << shapeStr(shape) << " copies dim " << k
                         << " (0) but the input " << shapeStr(in)
                         << " has rank " << in.size();
      d = in[k];
    }
    if (d == -1) {
      if (inferred >= 0)
        return c.error() << "shape " << shapeStr(shape)
                         << " has more than one -1";
      inferred = k;
      continue;
    }
    if (d < 0)
      return c.error() << "shape " << shapeStr(shape) << " has a negative dim "
                       << d;
    known *= d;
  }
  int64_t total = numElements(in);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return c.error() << "cannot reshape " << shapeStr(in) << " (" << total
                       << " elements) to " << shapeStr(shape);
    shape[inferred] = total / known;
  } else if (known != total) {
    return c.error() << "cannot reshape " << shapeStr(in) << " (" << total
                     << " elements) to " << shapeStr(shape) << " (" << known
                     << " elements)";
  }
  c.set(0, shape, c.elem(0));
  return success();
}

LogicalResult flattenRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  int64_t r = c.rank(0), a = c.intAttr("axis", 1);
  if (a < -r || a > r)
    return c.error() << "axis " << a << " is out of range for rank " << r;
  if (a < 0)
    a += r;
  ArrayRef<int64_t> s = c.shape(0);
  c.set(0, {numElements(s.take_front(a)), numElements(s.drop_front(a))},
        c.elem(0));
  return success();
}

/// Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input after.
FailureOr<SmallVector<int64_t>> squeezeAxes(ShapeCtx &c, bool required) {
  if (c.opset() < 13)
    return c.node.getIntsAttr("axes");
  if (!c.has(1)) {
    if (required)
      return c.error() << "the axes input (#1) is required";
    return SmallVector<int64_t>();
  }
  return c.requireInts(1, "axes");
}

LogicalResult squeezeRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  FailureOr<SmallVector<int64_t>> axes = squeezeAxes(c, false);
  if (failed(axes))
    return failure();
  ArrayRef<int64_t> in = c.shape(0);
  SmallVector<bool> drop(in.size(), false);
  for (int64_t a : *axes) {
    int64_t ax;
    if (failed(c.axis(a, in.size(), ax, "axis")))
      return failure();
    if (in[ax] != 1)
      return c.error() << "cannot squeeze dim " << a << " of size " << in[ax]
                       << " (input " << shapeStr(in) << ")";
    drop[ax] = true;
  }
  SmallVector<int64_t> out;
  for (auto [k, d] : llvm::enumerate(in))
    if (!(axes->empty() ? d == 1 : drop[k]))
      out.push_back(d);
  c.set(0, out, c.elem(0));
  return success();
}

LogicalResult unsqueezeRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  FailureOr<SmallVector<int64_t>> axes = squeezeAxes(c, true);
  if (failed(axes))
    return failure();
  ArrayRef<int64_t> in = c.shape(0);
  int64_t outRank = in.size() + axes->size();
  SmallVector<bool> ins(outRank, false);
  for (int64_t a : *axes) {
    int64_t ax;
    if (failed(c.axis(a, outRank, ax, "axis")))
      return failure();
    if (ins[ax])
      return c.error() << "axis " << a << " is repeated";
    ins[ax] = true;
  }
  SmallVector<int64_t> out;
  size_t next = 0;
  for (int64_t k = 0; k < outRank; ++k)
    out.push_back(ins[k] ? 1 : in[next++]);
  c.set(0, out, c.elem(0));
  return success();
}

LogicalResult concatRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  SmallVector<int64_t> out(c.shape(0));
  int64_t ax;
  if (!c.node.hasAttr("axis"))
    return c.error() << "the axis attribute is required";
  if (failed(c.axis(c.intAttr("axis", 0), out.size(), ax, "axis")))
    return failure();
  for (unsigned i = 1; i < c.numInputs(); ++i) {
    if (!c.has(i))
      continue;
    ArrayRef<int64_t> s = c.shape(i);
    bool ok = s.size() == out.size();
    for (size_t k = 0; ok && k < s.size(); ++k)
      ok = k == static_cast<size_t>(ax) || s[k] == out[k];
    if (!ok)
      return c.error() << "input #" << i << " " << shapeStr(s)
                       << " does not match " << shapeStr(c.shape(0))
                       << " outside axis " << ax;
    out[ax] += s[ax];
  }
  c.set(0, out, c.elem(0));
  return success();
}

LogicalResult splitRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  ArrayRef<int64_t> in = c.shape(0);
  int64_t ax;
  if (failed(c.axis(c.intAttr("axis", 0), in.size(), ax, "axis")))
    return failure();
  int64_t d = in[ax], n = c.numResults();
  SmallVector<int64_t> sizes;
  if (c.opset() >= 13 && c.has(1)) {
    FailureOr<SmallVector<int64_t>> s = c.requireInts(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  } else if (c.opset() < 13 && c.node.hasAttr("split")) {
    sizes = c.node.getIntsAttr("split");
  } else if (c.node.hasAttr("num_outputs")) {
    int64_t parts = c.intAttr("num_outputs", 0);
    if (parts <= 0 || parts != n)
      return c.error() << "num_outputs " << parts << " does not match the " << n
                       << " outputs";
    int64_t chunk = (d + parts - 1) / parts;
    for (int64_t k = 0; k < parts; ++k)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, d - k * chunk)));
  } else {
    if (n == 0 || d % n != 0)
      return c.error() << "dim " << ax << " of size " << d
                       << " does not split evenly into " << n << " outputs";
    sizes.assign(n, d / n);
  }
  int64_t sum = 0;
  for (int64_t s : sizes)
    sum += s < 0 ? d + 1 : s;
  if (static_cast<int64_t>(sizes.size()) != n || sum != d)
    return c.error() << "split sizes " << shapeStr(sizes)
                     << " do not partition dim " << ax << " of size " << d
                     << " into " << n << " outputs";
  for (int64_t k = 0; k < n; ++k) {
    SmallVector<int64_t> s(in);
    s[ax] = sizes[k];
    c.set(k, s, c.elem(0));
  }
  return success();
}

LogicalResult sliceRule(ShapeCtx &c) {
  FailureOr<SliceSpec> spec = resolveSlice(c);
  if (failed(spec))
    return failure();
  c.set(0, spec->size, c.elem(0));
  return success();
}

LogicalResult gatherRule(ShapeCtx &c) {
  if (failed(c.need(2)))
    return failure();
  ArrayRef<int64_t> data = c.shape(0);
  int64_t ax;
  if (failed(c.axis(c.intAttr("axis", 0), data.size(), ax, "axis")))
    return failure();
  // Constant indices (shape arithmetic) are checked here so that a bad
  // model fails at compile time instead of reading out of bounds.
  if (std::optional<SmallVector<int64_t>> idx = c.constInts(1))
    for (int64_t i : *idx)
      if (i < -data[ax] || i >= data[ax])
        return c.error() << "index " << i << " is out of range for axis " << ax
                         << " of size " << data[ax];
  SmallVector<int64_t> out(data.take_front(ax));
  llvm::append_range(out, c.shape(1));
  llvm::append_range(out, data.drop_front(ax + 1));
  c.set(0, out, c.elem(0));
  return success();
}

LogicalResult gatherElementsRule(ShapeCtx &c) {
  if (failed(c.need(2)))
    return failure();
  if (c.rank(0) != c.rank(1))
    return c.error() << "data " << shapeStr(c.shape(0)) << " and indices "
                     << shapeStr(c.shape(1)) << " must have the same rank";
  int64_t ax;
  if (failed(c.axis(c.intAttr("axis", 0), c.rank(0), ax, "axis")))
    return failure();
  c.set(0, c.shape(1), c.elem(0));
  return success();
}

LogicalResult gatherNDRule(ShapeCtx &c) {
  if (failed(c.need(2)))
    return failure();
  ArrayRef<int64_t> data = c.shape(0), idx = c.shape(1);
  int64_t b = c.intAttr("batch_dims", 0);
  if (idx.empty() || b < 0 || b >= static_cast<int64_t>(idx.size()) ||
      b + idx.back() > static_cast<int64_t>(data.size()))
    return c.error() << "indices " << shapeStr(idx) << " do not index data "
                     << shapeStr(data) << " with batch_dims " << b;
  SmallVector<int64_t> out(idx.drop_back());
  llvm::append_range(out, data.drop_front(b + idx.back()));
  c.set(0, out, c.elem(0));
  return success();
}

LogicalResult expandRule(ShapeCtx &c) {
  if (failed(c.need(2)))
    return failure();
  FailureOr<SmallVector<int64_t>> s = c.requireInts(1, "shape");
  if (failed(s))
    return failure();
  FailureOr<SmallVector<int64_t>> out = broadcastShapes(c.shape(0), *s);
  if (failed(out))
    return c.error() << "cannot broadcast " << shapeStr(c.shape(0)) << " to "
                     << shapeStr(*s);
  c.set(0, *out, c.elem(0));
  return success();
}

LogicalResult tileRule(ShapeCtx &c) {
  if (failed(c.need(2)))
    return failure();
  FailureOr<SmallVector<int64_t>> reps = c.requireInts(1, "repeats");
  if (failed(reps))
    return failure();
  if (reps->size() != c.shape(0).size())
    return c.error() << "repeats " << shapeStr(*reps)
                     << " must have one entry per dim of "
                     << shapeStr(c.shape(0));
  SmallVector<int64_t> out;
  for (auto [d, r] : llvm::zip(c.shape(0), *reps)) {
    if (r < 0)
      return c.error() << "negative repeat " << r;
    out.push_back(d * r);
  }
  c.set(0, out, c.elem(0));
  return success();
}

LogicalResult transposeRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  FailureOr<SmallVector<int64_t>> perm = resolvePerm(c);
  if (failed(perm))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t p : *perm)
    out.push_back(c.shape(0)[p]);
  c.set(0, out, c.elem(0));
  return success();
}

LogicalResult constantOfShapeRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  FailureOr<SmallVector<int64_t>> s = c.requireInts(0, "shape");
  if (failed(s))
    return failure();
  for (int64_t d : *s)
    if (d < 0)
      return c.error() << "negative dim in shape " << shapeStr(*s);
  Type et = Float32Type::get(c.node.getContext());
  if (auto v = c.node->getAttrOfType<ElementsAttr>("value"))
    et = v.getElementType();
  c.set(0, *s, et);
  return success();
}

LogicalResult rangeRule(ShapeCtx &c) {
  if (failed(c.need(3)))
    return failure();
  std::optional<HostTensor> v[3];
  for (unsigned i = 0; i < 3; ++i) {
    v[i] = readConstant(c.node.getInputs()[i], 1);
    if (!v[i] || v[i]->numel() != 1)
      return c.error() << "input #" << i
                       << " (start/limit/delta) is not a compile-time "
                          "constant scalar";
  }
  int64_t n;
  if (v[0]->isFloat()) {
    double delta = v[2]->getF(0);
    if (delta == 0)
      return c.error() << "delta must not be 0";
    n = static_cast<int64_t>(
        std::max(0.0, std::ceil((v[1]->getF(0) - v[0]->getF(0)) / delta)));
  } else {
    int64_t s = v[0]->getI(0), l = v[1]->getI(0), d = v[2]->getI(0);
    if (d == 0)
      return c.error() << "delta must not be 0";
    double span = (static_cast<double>(l) - static_cast<double>(s)) / d;
    n = static_cast<int64_t>(std::max(0.0, std::ceil(span)));
  }
  c.set(0, {n}, c.elem(0));
  return success();
}

LogicalResult shapeRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  auto [start, end] = shapeWindow(c, c.rank(0));
  c.set(0, {end - start}, i64Type(c));
  return success();
}

LogicalResult sizeRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  c.set(0, {}, i64Type(c));
  return success();
}

LogicalResult padRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  int64_t r = c.rank(0);
  SmallVector<int64_t> pads, axes;
  if (c.opset() < 11) {
    pads = c.node.getIntsAttr(c.opset() < 2 ? "paddings" : "pads");
  } else {
    FailureOr<SmallVector<int64_t>> p = c.requireInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (c.has(3)) {
      FailureOr<SmallVector<int64_t>> a = c.requireInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  }
  if (axes.empty())
    for (int64_t k = 0; k < r; ++k)
      axes.push_back(k);
  if (pads.size() != 2 * axes.size())
    return c.error() << "pads " << shapeStr(pads) << " must have "
                     << 2 * axes.size() << " entries";
  SmallVector<int64_t> out(c.shape(0));
  for (auto [k, a] : llvm::enumerate(axes)) {
    int64_t ax;
    if (failed(c.axis(a, r, ax, "axis")))
      return failure();
    out[ax] += pads[k] + pads[k + axes.size()];
    if (out[ax] < 0)
      return c.error() << "pads " << shapeStr(pads) << " remove more than dim "
                       << ax << " holds";
  }
  c.set(0, out, c.elem(0));
  return success();
}

LogicalResult topKRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  int64_t k = c.intAttr("k", -1);
  if (c.opset() >= 10) {
    FailureOr<SmallVector<int64_t>> kv = c.requireInts(1, "K");
    if (failed(kv))
      return failure();
    if (kv->size() != 1)
      return c.error() << "K must hold one value";
    k = (*kv)[0];
  }
  SmallVector<int64_t> out(c.shape(0));
  int64_t ax;
  if (failed(c.axis(c.intAttr("axis", -1), out.size(), ax, "axis")))
    return failure();
  if (k < 0 || k > out[ax])
    return c.error() << "K = " << k << " is out of range for dim of size "
                     << out[ax];
  out[ax] = k;
  c.set(0, out, c.elem(0));
  c.set(1, out, i64Type(c));
  return success();
}

} // namespace

void mlir::attn::addMovementShapeRules(ShapeRuleMap &rules) {
  rules["Reshape"] = reshapeRule;
  rules["Flatten"] = flattenRule;
  rules["Squeeze"] = squeezeRule;
  rules["Unsqueeze"] = unsqueezeRule;
  rules["Concat"] = concatRule;
  rules["Split"] = splitRule;
  rules["Slice"] = sliceRule;
  rules["Gather"] = gatherRule;
  rules["GatherElements"] = gatherElementsRule;
  rules["GatherND"] = gatherNDRule;
  rules["Expand"] = expandRule;
  rules["Tile"] = tileRule;
  rules["Transpose"] = transposeRule;
  rules["ConstantOfShape"] = constantOfShapeRule;
  rules["Range"] = rangeRule;
  rules["Shape"] = shapeRule;
  rules["Size"] = sizeRule;
  rules["Pad"] = padRule;
  rules["TopK"] = topKRule;
}
