//===- OnnxShapeRules.cpp - shared pieces of the ONNX shape rules -------===//
//
// ShapeCtx, shape helpers, and the parameter resolution (Slice windows,
// reduction axes, Shape's window, Transpose's permutation) that a shape rule
// and the matching folder both use. Everything that reads user input checks
// it and reports through the node, so malformed models give diagnostics, not
// crashes.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/OnnxShapeRules.h"
#include "passes/Transforms/OnnxFolding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

RankedTensorType ShapeCtx::type(unsigned i) {
  if (!has(i))
    return nullptr;
  return dyn_cast<RankedTensorType>(node.getInputs()[i].getType());
}

std::optional<SmallVector<int64_t>> ShapeCtx::constInts(unsigned i) {
  if (!has(i))
    return std::nullopt;
  std::optional<HostTensor> t = readConstant(node.getInputs()[i], 1 << 20);
  if (!t || t->isFloat())
    return std::nullopt;
  return SmallVector<int64_t>(t->i.begin(), t->i.end());
}

InFlightDiagnostic ShapeCtx::error() {
  InFlightDiagnostic d = node.emitError();
  d << node.describe() << ": ";
  return d;
}

LogicalResult ShapeCtx::need(unsigned n) {
  for (unsigned i = 0; i < n; ++i)
    if (!has(i))
      return error() << "expected at least " << n << " inputs, input #" << i
                     << " is missing";
  return success();
}

LogicalResult ShapeCtx::axis(int64_t a, int64_t rank, int64_t &out,
                             StringRef what) {
  if (a < -rank || a >= rank)
    return error() << what << " " << a << " is out of range for rank " << rank;
  out = a < 0 ? a + rank : a;
  return success();
}

FailureOr<SmallVector<int64_t>> ShapeCtx::requireInts(unsigned i,
                                                      StringRef what) {
  if (std::optional<SmallVector<int64_t>> v = constInts(i))
    return *v;
  return error() << "the " << what << " input (#" << i
                 << ") is not a compile-time constant";
}

void ShapeCtx::set(unsigned i, ArrayRef<int64_t> shape, Type elem) {
  if (i < numResults())
    node->getResult(i).setType(RankedTensorType::get(shape, elem));
}

std::string mlir::attn::shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [k, d] : llvm::enumerate(shape))
    s += (k ? ", " : "") + std::to_string(d);
  return s + "]";
}

int64_t mlir::attn::numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n = d > 0 && n > std::numeric_limits<int64_t>::max() / d
            ? std::numeric_limits<int64_t>::max()
            : n * d;
  return n;
}

FailureOr<SmallVector<int64_t>>
mlir::attn::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t r = std::max(a.size(), b.size());
  SmallVector<int64_t> out(r);
  for (size_t k = 0; k < r; ++k) {
    int64_t da = k < r - a.size() ? 1 : a[k - (r - a.size())];
    int64_t db = k < r - b.size() ? 1 : b[k - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    out[k] = da == 1 ? db : da;
  }
  return out;
}

Type mlir::attn::onnxElementType(MLIRContext *ctx, int64_t code) {
  Builder b(ctx);
  switch (code) {
  case 1:
    return b.getF32Type();
  case 2: // uint8 maps to i8 like in the importer
  case 3:
    return b.getI8Type();
  case 4:
  case 5:
    return b.getI16Type();
  case 6:
  case 12:
    return b.getI32Type();
  case 7:
  case 13:
    return b.getI64Type();
  case 9:
    return b.getI1Type();
  case 10:
    return b.getF16Type();
  case 11:
    return b.getF64Type();
  case 16:
    return b.getBF16Type();
  default:
    return nullptr;
  }
}

FailureOr<SliceSpec> mlir::attn::resolveSlice(ShapeCtx &c) {
  if (failed(c.need(c.opset() < 10 ? 1 : 3)))
    return failure();
  ArrayRef<int64_t> dims = c.shape(0);
  int64_t r = dims.size();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (c.opset() < 10) {
    starts = c.node.getIntsAttr("starts");
    ends = c.node.getIntsAttr("ends");
    axes = c.node.getIntsAttr("axes");
    if (!c.node.hasAttr("axes"))
      for (size_t k = 0; k < starts.size(); ++k)
        axes.push_back(k);
  } else {
    FailureOr<SmallVector<int64_t>> s = c.requireInts(1, "starts");
    if (failed(s))
      return failure();
    FailureOr<SmallVector<int64_t>> e = c.requireInts(2, "ends");
    if (failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (c.has(3)) {
      FailureOr<SmallVector<int64_t>> a = c.requireInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    } else {
      for (size_t k = 0; k < starts.size(); ++k)
        axes.push_back(k);
    }
    if (c.has(4)) {
      FailureOr<SmallVector<int64_t>> st = c.requireInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return c.error() << "starts, ends, axes and steps must have the same "
                        "length (got "
                     << starts.size() << ", " << ends.size() << ", "
                     << axes.size() << ", " << steps.size() << ")";
  SliceSpec spec;
  spec.start.assign(r, 0);
  spec.step.assign(r, 1);
  spec.size.assign(dims.begin(), dims.end());
  SmallVector<bool> seen(r, false);
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t ax;
    if (failed(c.axis(axes[k], r, ax, "slice axis")))
      return failure();
    if (seen[ax])
      return c.error() << "slice axis " << axes[k] << " is repeated";
    seen[ax] = true;
    int64_t d = dims[ax], s = starts[k], e = ends[k], st = steps[k];
    if (st == 0)
      return c.error() << "slice step must not be 0";
    if (s < 0)
      s += d;
    if (e < 0)
      e += d;
    int64_t size = 0;
    if (d == 0) {
      s = 0;
    } else if (st > 0) {
      s = std::clamp<int64_t>(s, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      size = e > s ? (e - s - 1) / st + 1 : 0;
    } else {
      int64_t neg = st == std::numeric_limits<int64_t>::min()
                        ? std::numeric_limits<int64_t>::max()
                        : -st;
      s = std::clamp<int64_t>(s, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      size = s > e ? (s - e - 1) / neg + 1 : 0;
    }
    spec.start[ax] = s;
    spec.step[ax] = st;
    spec.size[ax] = size;
  }
  return spec;
}

FailureOr<ReduceSpec> mlir::attn::resolveReduce(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  int64_t r = c.rank(0);
  StringRef op = c.node.getName();
  ReduceSpec spec;
  spec.keepDims = c.intAttr("keepdims", 1) != 0;
  spec.reduced.assign(r, false);
  SmallVector<int64_t> axes;
  if (op == "ArgMax" || op == "ArgMin") {
    axes.push_back(c.intAttr("axis", 0));
  } else {
    bool fromInput = op == "ReduceSum" ? c.opset() >= 13 : c.opset() >= 18;
    if (fromInput && c.has(1)) {
      FailureOr<SmallVector<int64_t>> a = c.requireInts(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    } else if (!fromInput) {
      axes = c.node.getIntsAttr("axes");
    }
    if (axes.empty()) {
      // Before the input form, no axes always meant "all"; from it on,
      // noop_with_empty_axes can make it an identity.
      bool noop = fromInput && c.intAttr("noop_with_empty_axes", 0) != 0;
      if (!noop)
        spec.reduced.assign(r, true);
      return spec;
    }
  }
  for (int64_t a : axes) {
    int64_t ax;
    if (failed(c.axis(a, r, ax, "reduction axis")))
      return failure();
    spec.reduced[ax] = true;
  }
  return spec;
}

std::pair<int64_t, int64_t> mlir::attn::shapeWindow(ShapeCtx &c, int64_t rank) {
  auto norm = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t start = norm(c.intAttr("start", 0));
  int64_t end = norm(c.intAttr("end", rank));
  return {start, std::max(start, end)};
}

FailureOr<SmallVector<int64_t>> mlir::attn::resolvePerm(ShapeCtx &c) {
  int64_t r = c.rank(0);
  SmallVector<int64_t> perm = c.node.getIntsAttr("perm");
  if (!c.node.hasAttr("perm"))
    for (int64_t k = r - 1; k >= 0; --k)
      perm.push_back(k);
  SmallVector<bool> seen(r, false);
  bool ok = static_cast<int64_t>(perm.size()) == r;
  for (int64_t p : perm) {
    if (!ok || p < 0 || p >= r || seen[p]) {
      ok = false;
      break;
    }
    seen[p] = true;
  }
  if (!ok)
    return c.error() << "perm " << shapeStr(perm)
                     << " is not a permutation of the " << r << " input dims";
  return perm;
}
