//===- OnnxFoldingMath.cpp - arithmetic folders for small ONNX constants ===//
//
// Folders for elementwise math (unary, broadcasting binary, comparisons,
// logic, Where) and small reductions. Integer tensors are computed in int64
// with ONNX/C semantics (division truncates, Mod follows `fmod`); anything
// undefined (division by zero, INT64_MIN / -1) is left unfolded so the
// runtime decides, rather than the compiler guessing.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/OnnxFolding.h"
#include "passes/Transforms/OnnxShapeRules.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

enum class BinOp {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Mod,
  Min,
  Max,
  Eq,
  Lt,
  Gt,
  Le,
  Ge,
  And,
  Or,
  Xor
};

std::optional<int64_t> intBinary(BinOp op, int64_t a, int64_t b, bool fmod) {
  using U = uint64_t;
  switch (op) {
  case BinOp::Add:
    return static_cast<int64_t>(U(a) + U(b));
  case BinOp::Sub:
    return static_cast<int64_t>(U(a) - U(b));
  case BinOp::Mul:
    return static_cast<int64_t>(U(a) * U(b));
  case BinOp::Div:
    if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1))
      return std::nullopt;
    return a / b;
  case BinOp::Mod: {
    if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1))
      return std::nullopt;
    int64_t r = a % b;
    // fmod = 0: the result takes the sign of the divisor (Python-style).
    if (!fmod && r != 0 && ((r < 0) != (b < 0)))
      r += b;
    return r;
  }
  case BinOp::Pow: {
    double p = std::pow(static_cast<double>(a), static_cast<double>(b));
    if (!std::isfinite(p) || std::fabs(p) > 9.0e18)
      return std::nullopt;
    return static_cast<int64_t>(p);
  }
  case BinOp::Min:
    return std::min(a, b);
  case BinOp::Max:
    return std::max(a, b);
  case BinOp::Eq:
    return a == b;
  case BinOp::Lt:
    return a < b;
  case BinOp::Gt:
    return a > b;
  case BinOp::Le:
    return a <= b;
  case BinOp::Ge:
    return a >= b;
  case BinOp::And:
    return a && b;
  case BinOp::Or:
    return a || b;
  case BinOp::Xor:
    return (a != 0) != (b != 0);
  }
  return std::nullopt;
}

double floatBinary(BinOp op, double a, double b, bool fmod) {
  switch (op) {
  case BinOp::Add:
    return a + b;
  case BinOp::Sub:
    return a - b;
  case BinOp::Mul:
    return a * b;
  case BinOp::Div:
    return a / b;
  case BinOp::Pow:
    return std::pow(a, b);
  case BinOp::Mod: {
    double r = std::fmod(a, b);
    if (!fmod && r != 0 && ((r < 0) != (b < 0)))
      r += b;
    return r;
  }
  case BinOp::Min:
    return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b);
  case BinOp::Max:
    return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
  case BinOp::Eq:
    return a == b;
  case BinOp::Lt:
    return a < b;
  case BinOp::Gt:
    return a > b;
  case BinOp::Le:
    return a <= b;
  case BinOp::Ge:
    return a >= b;
  case BinOp::And:
    return a != 0 && b != 0;
  case BinOp::Or:
    return a != 0 || b != 0;
  case BinOp::Xor:
    return (a != 0) != (b != 0);
  }
  return 0;
}

/// out = op(x, y) with broadcasting; x and y have the same element kind.
FailureOr<HostTensor> binary(BinOp op, bool fmod, const HostTensor &x,
                             const HostTensor &y, RankedTensorType outType) {
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(x.shape, y.shape);
  if (failed(shape))
    return failure();
  HostTensor t = HostTensor::zeros(outType.getElementType(), *shape);
  std::vector<int64_t> mx = broadcastMap(*shape, x.shape),
                       my = broadcastMap(*shape, y.shape);
  bool ints = !x.isFloat() && !y.isFloat();
  for (int64_t e = 0; e < t.numel(); ++e) {
    if (ints) {
      std::optional<int64_t> v = intBinary(op, x.i[mx[e]], y.i[my[e]], fmod);
      if (!v)
        return failure();
      t.setI(e, *v);
    } else {
      t.setF(e, floatBinary(op, x.getF(mx[e]), y.getF(my[e]), fmod));
    }
  }
  return t;
}

template <BinOp Op> FailureOr<HostTensor> binaryFold(FoldArgs &a) {
  bool fmod = a.c.intAttr("fmod", 0) != 0;
  // Variadic Min/Max/Sum fold left to right.
  std::optional<HostTensor> acc;
  for (const std::optional<HostTensor> &in : a.in) {
    if (!in)
      continue;
    if (!acc) {
      acc = *in;
      continue;
    }
    FailureOr<HostTensor> r = binary(Op, fmod, *acc, *in, a.out);
    if (failed(r))
      return failure();
    acc = std::move(*r);
  }
  if (!acc || acc->shape != SmallVector<int64_t>(a.out.getShape()))
    return failure();
  if (acc->elemType != a.out.getElementType()) {
    HostTensor t = HostTensor::zeros(a.out.getElementType(), acc->shape);
    for (int64_t e = 0; e < t.numel(); ++e)
      t.copyFrom(e, *acc, e);
    return t;
  }
  return *acc;
}

FailureOr<HostTensor> whereFold(FoldArgs &a) {
  HostTensor t = HostTensor::zeros(a.out.getElementType(), a.out.getShape());
  std::vector<int64_t> mc = broadcastMap(t.shape, a.in[0]->shape),
                       mx = broadcastMap(t.shape, a.in[1]->shape),
                       my = broadcastMap(t.shape, a.in[2]->shape);
  for (int64_t e = 0; e < t.numel(); ++e) {
    if (a.in[0]->getI(mc[e]))
      t.copyFrom(e, *a.in[1], mx[e]);
    else
      t.copyFrom(e, *a.in[2], my[e]);
  }
  return t;
}

enum class UnOp {
  Sqrt,
  Neg,
  Recip,
  Abs,
  Floor,
  Ceil,
  Not,
  Exp,
  Log,
  Relu,
  Sigmoid,
  Tanh,
  Erf,
  Sin,
  Cos,
  Round,
  Sign,
  IsNaN
};

template <UnOp Op> FailureOr<HostTensor> unaryFold(FoldArgs &a) {
  const HostTensor &x = *a.in[0];
  HostTensor t = HostTensor::zeros(a.out.getElementType(), x.shape);
  for (int64_t e = 0; e < t.numel(); ++e) {
    if (!x.isFloat()) {
      int64_t v = x.i[e];
      switch (Op) {
      case UnOp::Neg:
        t.setI(e, static_cast<int64_t>(0 - uint64_t(v)));
        continue;
      case UnOp::Abs:
        t.setI(e, v < 0 ? static_cast<int64_t>(0 - uint64_t(v)) : v);
        continue;
      case UnOp::Not:
        t.setI(e, v == 0);
        continue;
      case UnOp::Relu:
        t.setI(e, std::max<int64_t>(v, 0));
        continue;
      case UnOp::Sign:
        t.setI(e, (v > 0) - (v < 0));
        continue;
      case UnOp::Floor:
      case UnOp::Ceil:
      case UnOp::Round:
        t.setI(e, v);
        continue;
      case UnOp::IsNaN:
        t.setI(e, 0);
        continue;
      default:
        return failure(); // not defined for integers in ONNX
      }
    }
    double v = x.f[e], r = 0;
    switch (Op) {
    case UnOp::Sqrt:
      r = std::sqrt(v);
      break;
    case UnOp::Neg:
      r = -v;
      break;
    case UnOp::Recip:
      r = 1.0 / v;
      break;
    case UnOp::Abs:
      r = std::fabs(v);
      break;
    case UnOp::Floor:
      r = std::floor(v);
      break;
    case UnOp::Ceil:
      r = std::ceil(v);
      break;
    case UnOp::Not:
      r = v == 0;
      break;
    case UnOp::Exp:
      r = std::exp(v);
      break;
    case UnOp::Log:
      r = std::log(v);
      break;
    case UnOp::Relu:
      r = v > 0 ? v : 0;
      break;
    case UnOp::Sigmoid:
      r = 1.0 / (1.0 + std::exp(-v));
      break;
    case UnOp::Tanh:
      r = std::tanh(v);
      break;
    case UnOp::Erf:
      r = std::erf(v);
      break;
    case UnOp::Sin:
      r = std::sin(v);
      break;
    case UnOp::Cos:
      r = std::cos(v);
      break;
    case UnOp::Round:
      r = std::nearbyint(v);
      break; // half to even
    case UnOp::Sign:
      r = (v > 0) - (v < 0);
      break;
    case UnOp::IsNaN:
      r = std::isnan(v);
      break;
    }
    t.setF(e, r);
  }
  return t;
}

enum class RedOp { Sum, Mean, Prod, Max, Min };

template <RedOp Op> FailureOr<HostTensor> reduceFold(FoldArgs &a) {
  FailureOr<ReduceSpec> spec = resolveReduce(a.c);
  if (failed(spec))
    return failure();
  const HostTensor &x = *a.in[0];
  ArrayRef<int64_t> is = x.shape;
  // Shape of the result with kept (size-1) reduced dims: same linear layout
  // as the real result whether or not keepdims drops them.
  SmallVector<int64_t> kept(is);
  int64_t count = 1;
  for (auto [k, red] : llvm::enumerate(spec->reduced))
    if (red) {
      count *= kept[k];
      kept[k] = 1;
    }
  HostTensor t = HostTensor::zeros(a.out.getElementType(), a.out.getShape());
  if (count == 0 || t.numel() != numElements(kept))
    return failure();
  // Accumulate in double for floats and int64 for integers.
  std::vector<double> fa(t.numel(), Op == RedOp::Prod ? 1.0 : 0.0);
  std::vector<int64_t> ia(t.numel(), Op == RedOp::Prod ? 1 : 0);
  std::vector<bool> seen(t.numel(), false);
  SmallVector<int64_t> idx(is.size(), 0), ks(is.size(), 1);
  for (int64_t k = static_cast<int64_t>(is.size()) - 2; k >= 0; --k)
    ks[k] = ks[k + 1] * kept[k + 1];
  for (int64_t e = 0; e < x.numel(); ++e) {
    int64_t o = 0;
    for (size_t k = 0; k < is.size(); ++k)
      o += (spec->reduced[k] ? 0 : idx[k]) * ks[k];
    double fv = x.getF(e);
    int64_t iv = x.getI(e);
    switch (Op) {
    case RedOp::Sum:
    case RedOp::Mean:
      fa[o] += fv;
      ia[o] = static_cast<int64_t>(uint64_t(ia[o]) + uint64_t(iv));
      break;
    case RedOp::Prod:
      fa[o] *= fv;
      ia[o] = static_cast<int64_t>(uint64_t(ia[o]) * uint64_t(iv));
      break;
    case RedOp::Max:
      fa[o] = seen[o] ? std::max(fa[o], fv) : fv;
      ia[o] = seen[o] ? std::max(ia[o], iv) : iv;
      break;
    case RedOp::Min:
      fa[o] = seen[o] ? std::min(fa[o], fv) : fv;
      ia[o] = seen[o] ? std::min(ia[o], iv) : iv;
      break;
    }
    seen[o] = true;
    for (int64_t k = is.size() - 1; k >= 0 && ++idx[k] == is[k]; --k)
      idx[k] = 0;
  }
  for (int64_t o = 0; o < t.numel(); ++o) {
    if (x.isFloat())
      t.setF(o, Op == RedOp::Mean ? fa[o] / count : fa[o]);
    else
      t.setI(o, Op == RedOp::Mean ? ia[o] / count : ia[o]);
  }
  return t;
}

} // namespace

void mlir::attn::addMathFolders(llvm::StringMap<Folder> &f) {
  f["Add"] = binaryFold<BinOp::Add>;
  f["Sum"] = binaryFold<BinOp::Add>;
  f["Sub"] = binaryFold<BinOp::Sub>;
  f["Mul"] = binaryFold<BinOp::Mul>;
  f["Div"] = binaryFold<BinOp::Div>;
  f["Pow"] = binaryFold<BinOp::Pow>;
  f["Mod"] = binaryFold<BinOp::Mod>;
  f["Min"] = binaryFold<BinOp::Min>;
  f["Max"] = binaryFold<BinOp::Max>;
  f["Equal"] = binaryFold<BinOp::Eq>;
  f["Less"] = binaryFold<BinOp::Lt>;
  f["Greater"] = binaryFold<BinOp::Gt>;
  f["LessOrEqual"] = binaryFold<BinOp::Le>;
  f["GreaterOrEqual"] = binaryFold<BinOp::Ge>;
  f["And"] = binaryFold<BinOp::And>;
  f["Or"] = binaryFold<BinOp::Or>;
  f["Xor"] = binaryFold<BinOp::Xor>;
  f["Where"] = whereFold;
  f["Sqrt"] = unaryFold<UnOp::Sqrt>;
  f["Neg"] = unaryFold<UnOp::Neg>;
  f["Reciprocal"] = unaryFold<UnOp::Recip>;
  f["Abs"] = unaryFold<UnOp::Abs>;
  f["Floor"] = unaryFold<UnOp::Floor>;
  f["Ceil"] = unaryFold<UnOp::Ceil>;
  f["Not"] = unaryFold<UnOp::Not>;
  f["Exp"] = unaryFold<UnOp::Exp>;
  f["Log"] = unaryFold<UnOp::Log>;
  f["Relu"] = unaryFold<UnOp::Relu>;
  f["Sigmoid"] = unaryFold<UnOp::Sigmoid>;
  f["Tanh"] = unaryFold<UnOp::Tanh>;
  f["Erf"] = unaryFold<UnOp::Erf>;
  f["Sin"] = unaryFold<UnOp::Sin>;
  f["Cos"] = unaryFold<UnOp::Cos>;
  f["Round"] = unaryFold<UnOp::Round>;
  f["Sign"] = unaryFold<UnOp::Sign>;
  f["IsNaN"] = unaryFold<UnOp::IsNaN>;
  f["ReduceSum"] = reduceFold<RedOp::Sum>;
  f["ReduceMean"] = reduceFold<RedOp::Mean>;
  f["ReduceProd"] = reduceFold<RedOp::Prod>;
  f["ReduceMax"] = reduceFold<RedOp::Max>;
  f["ReduceMin"] = reduceFold<RedOp::Min>;
}
