//===- OnnxShapeRulesElementwise.cpp - math op shape rules --------------===//
//
// Shape rules for elementwise ops (unary, broadcasting binary/variadic,
// comparisons, Where), matrix products (MatMul, Gemm, FusedMatMul),
// reductions and normalizations.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/OnnxShapeRules.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

LogicalResult sameAsInput(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  c.set(0, c.shape(0), c.elem(0));
  return success();
}

LogicalResult triluRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  if (c.rank(0) < 2)
    return c.error() << "input " << shapeStr(c.shape(0))
                     << " must have rank >= 2";
  c.set(0, c.shape(0), c.elem(0));
  return success();
}

LogicalResult boolOfInput(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  c.set(0, c.shape(0), IntegerType::get(c.node.getContext(), 1));
  return success();
}

LogicalResult softmaxLike(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  int64_t ax;
  if (failed(c.axis(c.intAttr("axis", c.opset() < 13 ? 1 : -1), c.rank(0), ax,
                    "axis")))
    return failure();
  c.set(0, c.shape(0), c.elem(0));
  return success();
}

LogicalResult castRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  Type t = onnxElementType(c.node.getContext(), c.intAttr("to", 0));
  if (!t)
    return c.error() << "unsupported target data type " << c.intAttr("to", 0);
  c.set(0, c.shape(0), t);
  return success();
}

LogicalResult castLikeRule(ShapeCtx &c) {
  if (failed(c.need(2)))
    return failure();
  c.set(0, c.shape(0), c.elem(1));
  return success();
}

LogicalResult dropoutRule(ShapeCtx &c) {
  if (failed(c.need(1)))
    return failure();
  c.set(0, c.shape(0), c.elem(0));
  c.set(1, c.shape(0), IntegerType::get(c.node.getContext(), 1));
  return success();
}

/// Broadcast shape of all present inputs in [first, numInputs).
FailureOr<SmallVector<int64_t>> broadcastInputs(ShapeCtx &c, unsigned first) {
  SmallVector<int64_t> out;
  bool any = false;
  for (unsigned i = first; i < c.numInputs(); ++i) {
    if (!c.has(i))
      continue;
    if (!any) {
      out.assign(c.shape(i).begin(), c.shape(i).end());
      any = true;
      continue;
    }
    FailureOr<SmallVector<int64_t>> b = broadcastShapes(out, c.shape(i));
    if (failed(b))
      return c.error() << "cannot broadcast input shapes " << shapeStr(out)
                       << " and " << shapeStr(c.shape(i));
    out = *b;
  }
  if (!any)
    return c.error() << "expected at least one input";
  return out;
}

/// ONNX gives these ops one type variable T for all their inputs: mixed
/// element types are an invalid model (onnxruntime rejects it), not
/// something to compute in the first input's type.
LogicalResult sameElementTypes(ShapeCtx &c, unsigned n) {
  for (unsigned i = 1; i < n; ++i)
    if (c.elem(i) != c.elem(0))
      return c.error() << "input " << i << " has element type " << c.elem(i)
                       << " but input 0 has " << c.elem(0)
                       << " (the op takes one element type)";
  return success();
}

template <unsigned MinInputs, bool ToBool>
LogicalResult broadcastRule(ShapeCtx &c) {
  if (failed(c.need(MinInputs)))
    return failure();
  // Pow's exponent has its own type variable.
  if (c.node.getOpType() != "Pow" &&
      failed(sameElementTypes(c, c.node.getInputs().size())))
    return failure();
  FailureOr<SmallVector<int64_t>> s = broadcastInputs(c, 0);
  if (failed(s))
    return failure();
  c.set(0, *s, ToBool ? IntegerType::get(c.node.getContext(), 1) : c.elem(0));
  return success();
}

LogicalResult whereRule(ShapeCtx &c) {
  if (failed(c.need(3)))
    return failure();
  FailureOr<SmallVector<int64_t>> s = broadcastInputs(c, 0);
  if (failed(s))
    return failure();
  c.set(0, *s, c.elem(1));
  return success();
}

/// Numpy matmul of shapes `a` and `b`; `transA`/`transB` swap the last two
/// dims of a matrix operand first (FusedMatMul).
LogicalResult matmulRule(ShapeCtx &c, bool transA, bool transB) {
  if (failed(c.need(2)) || failed(sameElementTypes(c, 2)))
    return failure();
  SmallVector<int64_t> a(c.shape(0)), b(c.shape(1));
  if (a.empty() || b.empty())
    return c.error() << "operands must have rank >= 1 (got " << shapeStr(a)
                     << " and " << shapeStr(b) << ")";
  bool aVec = a.size() == 1, bVec = b.size() == 1;
  if (aVec)
    a.insert(a.begin(), 1);
  if (bVec)
    b.push_back(1);
  if (transA && !aVec)
    std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (transB && !bVec)
    std::swap(b[b.size() - 1], b[b.size() - 2]);
  int64_t m = a[a.size() - 2], k = a.back(), k2 = b[b.size() - 2], n = b.back();
  if (k != k2)
    return c.error() << "inner dimensions differ: A " << shapeStr(c.shape(0))
                     << " has K = " << k << ", B " << shapeStr(c.shape(1))
                     << " has K = " << k2;
  ArrayRef<int64_t> ba = ArrayRef(a).drop_back(2),
                    bb = ArrayRef(b).drop_back(2);
  FailureOr<SmallVector<int64_t>> out = broadcastShapes(ba, bb);
  if (failed(out))
    return c.error() << "cannot broadcast batch dimensions " << shapeStr(ba)
                     << " and " << shapeStr(bb);
  if (!aVec)
    out->push_back(m);
  if (!bVec)
    out->push_back(n);
  c.set(0, *out, c.elem(0));
  return success();
}

LogicalResult fusedMatMulRule(ShapeCtx &c) {
  if (c.intAttr("transBatchA", 0) || c.intAttr("transBatchB", 0))
    return c.error() << "transBatchA/transBatchB are not supported";
  return matmulRule(c, c.intAttr("transA", 0), c.intAttr("transB", 0));
}

LogicalResult gemmRule(ShapeCtx &c) {
  if (failed(c.need(2)))
    return failure();
  if (c.rank(0) != 2 || c.rank(1) != 2)
    return c.error() << "A and B must be 2-D (got " << shapeStr(c.shape(0))
                     << " and " << shapeStr(c.shape(1)) << ")";
  bool ta = c.intAttr("transA", 0), tb = c.intAttr("transB", 0);
  int64_t m = c.shape(0)[ta ? 1 : 0], k = c.shape(0)[ta ? 0 : 1];
  int64_t k2 = c.shape(1)[tb ? 1 : 0], n = c.shape(1)[tb ? 0 : 1];
  if (k != k2)
    return c.error() << "inner dimensions differ: op(A) is [" << m << ", " << k
                     << "], op(B) is [" << k2 << ", " << n << "]";
  SmallVector<int64_t> out = {m, n};
  if (c.has(2)) {
    FailureOr<SmallVector<int64_t>> b = broadcastShapes(out, c.shape(2));
    if (failed(b) || *b != out)
      return c.error() << "C " << shapeStr(c.shape(2))
                       << " does not broadcast to " << shapeStr(out);
  }
  c.set(0, out, c.elem(0));
  return success();
}

LogicalResult reduceRule(ShapeCtx &c) {
  FailureOr<ReduceSpec> spec = resolveReduce(c);
  if (failed(spec))
    return failure();
  SmallVector<int64_t> out;
  for (auto [d, red] : llvm::zip(c.shape(0), spec->reduced))
    if (!red)
      out.push_back(d);
    else if (spec->keepDims)
      out.push_back(1);
  StringRef op = c.node.getName();
  bool arg = op == "ArgMax" || op == "ArgMin";
  c.set(0, out, arg ? IntegerType::get(c.node.getContext(), 64) : c.elem(0));
  return success();
}

/// Shape of the per-row statistics of a normalization over dims [axis, r).
SmallVector<int64_t> statShape(ArrayRef<int64_t> x, int64_t axis) {
  SmallVector<int64_t> s(x);
  for (size_t k = axis; k < s.size(); ++k)
    s[k] = 1;
  return s;
}

/// LayerNormalization (Y, Mean, InvStdDev) and the simplified (RMS) forms
/// (Y, InvStdDev).
LogicalResult layerNormRule(ShapeCtx &c) {
  if (failed(c.need(2)))
    return failure();
  int64_t ax;
  if (failed(c.axis(c.intAttr("axis", -1), c.rank(0), ax, "axis")))
    return failure();
  Type f32 = Float32Type::get(c.node.getContext());
  SmallVector<int64_t> stat = statShape(c.shape(0), ax);
  c.set(0, c.shape(0), c.elem(0));
  c.set(1, stat, f32);
  c.set(2, stat, f32);
  return success();
}

/// com.microsoft.Skip(Simplified)LayerNormalization: output, mean,
/// inv_std_var, input_skip_bias_sum.
LogicalResult skipLayerNormRule(ShapeCtx &c) {
  if (failed(c.need(3)))
    return failure();
  if (c.rank(0) < 1)
    return c.error() << "input must have rank >= 1";
  FailureOr<SmallVector<int64_t>> s = broadcastShapes(c.shape(0), c.shape(1));
  if (failed(s) || *s != SmallVector<int64_t>(c.shape(0)))
    return c.error() << "skip " << shapeStr(c.shape(1))
                     << " does not broadcast to input " << shapeStr(c.shape(0));
  Type f32 = Float32Type::get(c.node.getContext());
  SmallVector<int64_t> stat = statShape(c.shape(0), c.rank(0) - 1);
  c.set(0, c.shape(0), c.elem(0));
  c.set(1, stat, f32);
  c.set(2, stat, f32);
  c.set(3, c.shape(0), c.elem(0));
  return success();
}

} // namespace

void mlir::attn::addElementwiseShapeRules(ShapeRuleMap &rules) {
  // Ops whose single output has the input's shape and element type.
  // Ops whose single output has the input's shape and element type.
  SmallVector<StringRef> sameShape;
  StringRef(
      "Sqrt Erf Tanh Exp Log Neg Reciprocal Abs Relu Gelu Sigmoid Softplus "
      "Softsign Floor Ceil Round Sign Identity Clip LeakyRelu HardSigmoid "
      "HardSwish Sin Cos Tan Asin Acos Atan Sinh Cosh Elu Selu Celu Mish "
      "ThresholdedRelu Shrink Not CumSum ScatterElements ScatterND "
      "RotaryEmbedding BatchNormalization InstanceNormalization "
      "GroupNormalization RMSNormalization com.microsoft.Gelu "
      "com.microsoft.QuickGelu com.microsoft.FastGelu "
      "com.microsoft.BiasGelu com.microsoft.RotaryEmbedding")
      .split(sameShape, ' ');
  for (StringRef op : sameShape)
    rules[op] = sameAsInput;
  for (StringRef op : {"Softmax", "LogSoftmax", "Hardmax"})
    rules[op] = softmaxLike;
  rules["Trilu"] = triluRule;
  rules["IsNaN"] = boolOfInput;
  rules["IsInf"] = boolOfInput;
  rules["Cast"] = castRule;
  rules["CastLike"] = castLikeRule;
  rules["Dropout"] = dropoutRule;
  for (StringRef op : {"Add", "Sub", "Mul", "Div", "Pow", "Mod", "PRelu",
                       "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor"})
    rules[op] = broadcastRule<2, false>;
  for (StringRef op : {"Max", "Min", "Sum", "Mean"})
    rules[op] = broadcastRule<1, false>;
  for (StringRef op : {"Equal", "Less", "Greater", "LessOrEqual",
                       "GreaterOrEqual", "And", "Or", "Xor"})
    rules[op] = broadcastRule<2, true>;
  rules["Where"] = whereRule;
  rules["MatMul"] = [](ShapeCtx &c) { return matmulRule(c, false, false); };
  rules["com.microsoft.FusedMatMul"] = fusedMatMulRule;
  rules["Gemm"] = gemmRule;
  for (StringRef op :
       {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
        "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
        "ReduceSumSquare", "ArgMax", "ArgMin"})
    rules[op] = reduceRule;
  for (StringRef op : {"LayerNormalization", "SimplifiedLayerNormalization",
                       "com.microsoft.LayerNormalization",
                       "com.microsoft.SimplifiedLayerNormalization"})
    rules[op] = layerNormRule;
  rules["com.microsoft.SkipLayerNormalization"] = skipLayerNormRule;
  rules["com.microsoft.SkipSimplifiedLayerNormalization"] = skipLayerNormRule;
}
