//===- OnnxFolding.cpp - constant evaluation of small ONNX subgraphs ----===//
//
// Host tensors (read from dense or resource-blob constants, written back as
// attributes), the folder registry, and the folders for data movement and
// shape sources (Shape, Gather, Concat, Slice, Reshape, Expand, Range, ...).
// Arithmetic folders live in OnnxFoldingMath.cpp. Folders run after the
// node's shape rule, so the result type is known and its parameters have
// been validated; they still refuse (failure) anything odd rather than
// guess.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/OnnxFolding.h"
#include "passes/Transforms/OnnxShapeRules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

static int64_t toInt(double v) {
  if (std::isnan(v))
    return 0;
  if (v >= 9.2e18)
    return std::numeric_limits<int64_t>::max();
  if (v <= -9.2e18)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

HostTensor HostTensor::zeros(Type elemType, ArrayRef<int64_t> shape) {
  HostTensor t;
  t.elemType = elemType;
  t.shape.assign(shape.begin(), shape.end());
  if (t.isFloat())
    t.f.assign(t.numel(), 0.0);
  else
    t.i.assign(t.numel(), 0);
  return t;
}

int64_t HostTensor::numel() const { return numElements(shape); }

int64_t HostTensor::getI(int64_t k) const {
  return isFloat() ? toInt(f[k]) : i[k];
}

void HostTensor::setF(int64_t k, double v) {
  if (isFloat())
    f[k] = v;
  else
    i[k] = elemType.isInteger(1) ? (v != 0) : toInt(v);
}

void HostTensor::setI(int64_t k, int64_t v) {
  if (isFloat())
    f[k] = static_cast<double>(v);
  else
    i[k] = elemType.isInteger(1) ? (v != 0) : v;
}

void HostTensor::copyFrom(int64_t k, const HostTensor &src, int64_t from) {
  if (src.isFloat())
    setF(k, src.f[from]);
  else
    setI(k, src.i[from]);
}

static double toDouble(APFloat x) {
  bool lost;
  x.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return x.convertToDouble();
}

std::optional<HostTensor> mlir::attn::readConstant(Value v,
                                                   int64_t maxElements) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(cst.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  Type et = type.getElementType();
  if (!isa<FloatType, IntegerType>(et) || type.getNumElements() > maxElements)
    return std::nullopt;
  HostTensor t = HostTensor::zeros(et, type.getShape());
  int64_t n = t.numel(), k = 0;
  if (auto d = dyn_cast<DenseElementsAttr>(cst.getValue())) {
    if (isa<FloatType>(et))
      for (const APFloat &x : d.getValues<APFloat>())
        t.f[k++] = toDouble(x);
    else if (et.isInteger(1))
      for (bool x : d.getValues<bool>())
        t.i[k++] = x;
    else
      for (const APInt &x : d.getValues<APInt>())
        t.i[k++] = x.getSExtValue();
    return t;
  }
  auto r = dyn_cast<DenseResourceElementsAttr>(cst.getValue());
  AsmResourceBlob *blob = r ? r.getRawHandle().getBlob() : nullptr;
  if (!blob)
    return std::nullopt;
  ArrayRef<char> data = blob->getData();
  unsigned bits = et.getIntOrFloatBitWidth();
  size_t width = bits < 8 ? 1 : bits / 8;
  if (data.size() != static_cast<size_t>(n) * width)
    return std::nullopt;
  for (k = 0; k < n; ++k) {
    const char *p = data.data() + k * width;
    if (et.isF32()) {
      float x;
      std::memcpy(&x, p, 4);
      t.f[k] = x;
    } else if (et.isF64()) {
      std::memcpy(&t.f[k], p, 8);
    } else if (auto ft = dyn_cast<FloatType>(et)) {
      uint16_t x;
      std::memcpy(&x, p, 2);
      t.f[k] = toDouble(APFloat(ft.getFloatSemantics(), APInt(16, x)));
    } else {
      uint64_t raw = 0;
      std::memcpy(&raw, p, width);
      t.i[k] =
          bits == 1 ? raw != 0 : APInt(bits, raw, false, true).getSExtValue();
    }
  }
  return t;
}

ElementsAttr mlir::attn::toElementsAttr(const HostTensor &t, MLIRContext *ctx) {
  auto type = RankedTensorType::get(t.shape, t.elemType);
  int64_t n = t.numel();
  if (auto ft = dyn_cast<FloatType>(t.elemType)) {
    SmallVector<APFloat> vals;
    vals.reserve(n);
    for (double d : t.f) {
      APFloat x(d);
      bool lost;
      x.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      vals.push_back(x);
    }
    if (n <= 4096)
      return DenseElementsAttr::get(type, vals);
    // Large folded weights are kept as blobs like the importer's.
    unsigned width = ft.getWidth() / 8;
    std::vector<char> bytes(n * width);
    for (int64_t k = 0; k < n; ++k) {
      uint64_t raw = vals[k].bitcastToAPInt().getZExtValue();
      std::memcpy(bytes.data() + k * width, &raw, width);
    }
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64);
    auto &manager = DenseResourceElementsHandle::getManagerInterface(ctx);
    return DenseResourceElementsAttr::get(
        type, manager.insert("onnx_folded", std::move(blob)));
  }
  if (t.elemType.isInteger(1)) {
    SmallVector<bool> vals(t.i.begin(), t.i.end());
    return DenseElementsAttr::get(type, ArrayRef<bool>(vals));
  }
  unsigned bits = t.elemType.getIntOrFloatBitWidth();
  SmallVector<APInt> vals;
  vals.reserve(n);
  for (int64_t v : t.i)
    vals.push_back(APInt(bits, static_cast<uint64_t>(v), /*isSigned=*/true,
                         /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, vals);
}

std::vector<int64_t> mlir::attn::broadcastMap(ArrayRef<int64_t> out,
                                              ArrayRef<int64_t> in) {
  size_t r = out.size(), off = r - in.size();
  SmallVector<int64_t> stride(r, 0), idx(r, 0);
  for (int64_t k = in.size() - 1, s = 1; k >= 0; --k) {
    stride[k + off] = in[k] == 1 ? 0 : s;
    s *= in[k];
  }
  int64_t n = numElements(out), src = 0;
  std::vector<int64_t> map(n);
  for (int64_t e = 0; e < n; ++e) {
    map[e] = src;
    for (int64_t k = r - 1; k >= 0; --k) {
      src += stride[k];
      if (++idx[k] < out[k])
        break;
      src -= stride[k] * out[k];
      idx[k] = 0;
    }
  }
  return map;
}

//===----------------------------------------------------------------------===//
// Data movement and shape sources
//===----------------------------------------------------------------------===//

namespace {

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t k = static_cast<int64_t>(shape.size()) - 2; k >= 0; --k)
    s[k] = s[k + 1] * shape[k + 1];
  return s;
}

/// Result of an op that only reinterprets its input's data.
FailureOr<HostTensor> copyFold(FoldArgs &a) {
  if (!a.in[0])
    return failure();
  HostTensor t = HostTensor::zeros(a.out.getElementType(), a.out.getShape());
  if (t.numel() != a.in[0]->numel())
    return failure();
  for (int64_t k = 0; k < t.numel(); ++k)
    t.copyFrom(k, *a.in[0], k);
  return t;
}

FailureOr<HostTensor> shapeFold(FoldArgs &a) {
  ArrayRef<int64_t> dims = a.c.shape(0);
  auto [start, end] = shapeWindow(a.c, dims.size());
  HostTensor t = HostTensor::zeros(a.out.getElementType(), a.out.getShape());
  for (int64_t k = start; k < end; ++k)
    t.i[k - start] = dims[k];
  return t;
}

FailureOr<HostTensor> sizeFold(FoldArgs &a) {
  HostTensor t = HostTensor::zeros(a.out.getElementType(), {});
  t.i[0] = numElements(a.c.shape(0));
  return t;
}

FailureOr<HostTensor> gatherFold(FoldArgs &a) {
  const HostTensor &data = *a.in[0], &idx = *a.in[1];
  int64_t r = data.shape.size(), ax = a.c.intAttr("axis", 0);
  ax = ax < 0 ? ax + r : ax;
  ArrayRef<int64_t> ds = data.shape;
  int64_t outer = numElements(ds.take_front(ax)), dim = ds[ax],
          inner = numElements(ds.drop_front(ax + 1)), n = idx.numel();
  HostTensor t = HostTensor::zeros(a.out.getElementType(), a.out.getShape());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < n; ++j) {
      int64_t g = idx.getI(j);
      g = g < 0 ? g + dim : g;
      if (g < 0 || g >= dim)
        return failure();
      for (int64_t e = 0; e < inner; ++e)
        t.copyFrom((o * n + j) * inner + e, data, (o * dim + g) * inner + e);
    }
  return t;
}

FailureOr<HostTensor> concatFold(FoldArgs &a) {
  ArrayRef<int64_t> os = a.out.getShape();
  int64_t ax = a.c.intAttr("axis", 0);
  ax = ax < 0 ? ax + os.size() : ax;
  int64_t outer = numElements(os.take_front(ax)),
          inner = numElements(os.drop_front(ax + 1));
  HostTensor t = HostTensor::zeros(a.out.getElementType(), os);
  int64_t k = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const std::optional<HostTensor> &in : a.in) {
      if (!in)
        continue;
      int64_t block = in->shape[ax] * inner;
      for (int64_t e = 0; e < block; ++e)
        t.copyFrom(k++, *in, o * block + e);
    }
  if (k != t.numel())
    return failure();
  return t;
}

/// Folds ops whose output element at index `idx` reads input element
/// `src(idx)` (given as per-dim source indices).
template <typename SrcFn>
FailureOr<HostTensor> gatherByIndex(FoldArgs &a, const HostTensor &in,
                                    SrcFn src) {
  HostTensor t = HostTensor::zeros(a.out.getElementType(), a.out.getShape());
  ArrayRef<int64_t> os = t.shape;
  SmallVector<int64_t> inStrides = stridesOf(in.shape), idx(os.size(), 0);
  for (int64_t e = 0, n = t.numel(); e < n; ++e) {
    int64_t off = 0;
    for (size_t k = 0; k < os.size(); ++k)
      off += src(k, idx) * inStrides[k];
    t.copyFrom(e, in, off);
    for (int64_t k = os.size() - 1; k >= 0 && ++idx[k] == os[k]; --k)
      idx[k] = 0;
  }
  return t;
}

FailureOr<HostTensor> sliceFold(FoldArgs &a) {
  FailureOr<SliceSpec> s = resolveSlice(a.c);
  if (failed(s))
    return failure();
  return gatherByIndex(a, *a.in[0], [&](size_t k, ArrayRef<int64_t> idx) {
    return s->start[k] + idx[k] * s->step[k];
  });
}

FailureOr<HostTensor> tileFold(FoldArgs &a) {
  ArrayRef<int64_t> is = a.in[0]->shape;
  if (is.size() != a.out.getShape().size())
    return failure();
  return gatherByIndex(a, *a.in[0], [&](size_t k, ArrayRef<int64_t> idx) {
    return idx[k] % is[k];
  });
}

FailureOr<HostTensor> transposeFold(FoldArgs &a) {
  FailureOr<SmallVector<int64_t>> perm = resolvePerm(a.c);
  if (failed(perm))
    return failure();
  // Output dim k is input dim perm[k]: invert to get the source indices.
  SmallVector<int64_t> inv(perm->size());
  for (auto [k, p] : llvm::enumerate(*perm))
    inv[p] = k;
  return gatherByIndex(a, *a.in[0], [&](size_t k, ArrayRef<int64_t> idx) {
    return idx[inv[k]];
  });
}

FailureOr<HostTensor> expandFold(FoldArgs &a) {
  HostTensor t = HostTensor::zeros(a.out.getElementType(), a.out.getShape());
  std::vector<int64_t> map = broadcastMap(t.shape, a.in[0]->shape);
  for (int64_t e = 0; e < t.numel(); ++e)
    t.copyFrom(e, *a.in[0], map[e]);
  return t;
}

FailureOr<HostTensor> trilFold(FoldArgs &a) {
  const HostTensor &x = *a.in[0];
  int64_t r = x.shape.size();
  if (r < 2)
    return failure();
  int64_t k = a.in.size() > 1 && a.in[1] ? a.in[1]->getI(0) : 0;
  bool upper = a.c.intAttr("upper", 1) != 0;
  int64_t rows = x.shape[r - 2], cols = x.shape[r - 1];
  HostTensor t = HostTensor::zeros(x.elemType, x.shape);
  for (int64_t e = 0; e < t.numel(); ++e) {
    int64_t i = (e / cols) % rows, j = e % cols;
    if (upper ? j - i >= k : j - i <= k)
      t.copyFrom(e, x, e);
  }
  return t;
}

FailureOr<HostTensor> rangeFold(FoldArgs &a) {
  HostTensor t = HostTensor::zeros(a.out.getElementType(), a.out.getShape());
  const HostTensor &s = *a.in[0], &d = *a.in[2];
  for (int64_t k = 0; k < t.numel(); ++k)
    if (t.isFloat())
      t.f[k] = s.getF(0) + k * d.getF(0);
    else
      t.setI(k, s.getI(0) + k * d.getI(0));
  return t;
}

FailureOr<HostTensor> constantOfShapeFold(FoldArgs &a) {
  HostTensor t = HostTensor::zeros(a.out.getElementType(), a.out.getShape());
  auto v = a.c.node->getAttrOfType<DenseElementsAttr>("value");
  if (!v) {
    if (a.c.node->hasAttr("value"))
      return failure();
    return t;
  }
  double fv = 0;
  int64_t iv = 0;
  if (isa<FloatType>(v.getElementType()))
    fv = toDouble(*v.getValues<APFloat>().begin());
  else if (v.getElementType().isInteger(1))
    iv = *v.getValues<bool>().begin();
  else
    iv = (*v.getValues<APInt>().begin()).getSExtValue();
  for (int64_t k = 0; k < t.numel(); ++k)
    if (t.isFloat())
      t.f[k] = fv;
    else
      t.i[k] = iv;
  return t;
}

const llvm::StringMap<Folder> &folders() {
  static const llvm::StringMap<Folder> m = [] {
    llvm::StringMap<Folder> f;
    for (StringRef op : {"Identity", "Reshape", "Squeeze", "Unsqueeze",
                         "Flatten", "Dropout", "Cast", "CastLike"})
      f[op] = copyFold;
    f["Shape"] = shapeFold;
    f["Size"] = sizeFold;
    f["Gather"] = gatherFold;
    f["Concat"] = concatFold;
    f["Slice"] = sliceFold;
    f["Tile"] = tileFold;
    f["Transpose"] = transposeFold;
    f["Expand"] = expandFold;
    f["Trilu"] = trilFold;
    f["Range"] = rangeFold;
    f["ConstantOfShape"] = constantOfShapeFold;
    addMathFolders(f);
    return f;
  }();
  return m;
}

} // namespace

bool mlir::attn::hasFolder(StringRef name) { return folders().count(name); }

bool mlir::attn::foldsFromTypes(StringRef name) {
  return name == "Shape" || name == "Size";
}

FailureOr<SmallVector<HostTensor>>
mlir::attn::foldNode(ShapeCtx &c, ArrayRef<std::optional<HostTensor>> in) {
  auto it = folders().find(c.node.getName());
  if (it == folders().end() || c.numResults() != 1)
    return failure();
  auto out = dyn_cast<RankedTensorType>(c.node->getResult(0).getType());
  if (!out || !out.hasStaticShape())
    return failure();
  FoldArgs args{c, in, out};
  FailureOr<HostTensor> t = it->second(args);
  if (failed(t))
    return failure();
  return SmallVector<HostTensor>{std::move(*t)};
}
