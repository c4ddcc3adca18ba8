//===- RaiseUtils.cpp - shared pieces of the attn-raise pass ------------===//
//
// Typed onnx.node construction for the glue around raised attention, constant
// inspection, and the site numbering / report remarks.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/RaiseUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::raise;

//===----------------------------------------------------------------------===//
// Small queries
//===----------------------------------------------------------------------===//

int64_t raise::defaultOpset(Operation *op) {
  int64_t opset = 13;
  Operation *scope = op->getParentOp();
  if (!scope)
    return opset;
  scope->walk([&](onnx::NodeOp n) {
    if (n.getDomain().empty())
      opset = std::max<int64_t>(opset, n.getOpset());
  });
  return opset;
}

std::optional<SmallVector<int64_t>> raise::staticShape(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.hasStaticShape())
    return std::nullopt;
  return SmallVector<int64_t>(t.getShape());
}

std::optional<double> raise::scalarConstant(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (attr.getNumElements() != 1)
    return std::nullopt;
  Type et = attr.getElementType();
  if (isa<FloatType>(et))
    return (*attr.getValues<APFloat>().begin()).convertToDouble();
  if (et.isInteger(1))
    return std::nullopt;
  if (isa<IntegerType>(et))
    return static_cast<double>(
        (*attr.getValues<APInt>().begin()).getSExtValue());
  return std::nullopt;
}

std::string raise::nodeName(Operation *op) {
  if (auto n = op->getAttrOfType<StringAttr>("onnx_name"))
    if (!n.getValue().empty())
      return n.str();
  if (auto node = dyn_cast<onnx::NodeOp>(op))
    return node.getOpType().str();
  return op->getName().getStringRef().str();
}

std::optional<SmallVector<int64_t>>
raise::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::string raise::formatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

//===----------------------------------------------------------------------===//
// NodeBuilder
//===----------------------------------------------------------------------===//

onnx::NodeOp NodeBuilder::node(StringRef name, int64_t version,
                               ValueRange inputs, Type resultType) {
  return onnx::NodeOp::create(b, loc, TypeRange{resultType}, name,
                              static_cast<uint64_t>(version), inputs);
}

static RankedTensorType withShape(Value like, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(
      shape, cast<ShapedType>(like.getType()).getElementType());
}

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

Value NodeBuilder::i64Const(ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getI64Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseIntElementsAttr::get(type, values));
}

Value NodeBuilder::splat(RankedTensorType type, double value) {
  Type et = type.getElementType();
  Attribute attr;
  if (et.isInteger(1))
    attr = DenseElementsAttr::get(type, value != 0.0);
  else
    attr = DenseElementsAttr::get(type, b.getFloatAttr(et, value));
  return arith::ConstantOp::create(b, loc, llvm::cast<TypedAttr>(attr));
}

Value NodeBuilder::reshape(Value x, ArrayRef<int64_t> shape) {
  if (shapeOf(x) == shape)
    return x;
  // Reshaping a constant (typically a mask) stays a constant, so that the
  // sdpa canonicalizer can still recognize an exactly causal mask.
  DenseElementsAttr cst;
  if (matchPattern(x, m_Constant(&cst)))
    return arith::ConstantOp::create(b, loc, cst.reshape(llvm::cast<ShapedType>(
                                                 withShape(x, shape))));
  return node("Reshape", opset, {x, i64Const(shape)}, withShape(x, shape))
      .getResult(0);
}

Value NodeBuilder::transpose(Value x, ArrayRef<int64_t> perm) {
  ArrayRef<int64_t> in = shapeOf(x);
  SmallVector<int64_t> out;
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm)) {
    out.push_back(in[p]);
    identity &= static_cast<int64_t>(i) == p;
  }
  if (identity)
    return x;
  auto n = node("Transpose", opset, {x}, withShape(x, out));
  n->setAttr("perm", b.getI64ArrayAttr(perm));
  return n.getResult(0);
}

Value NodeBuilder::concat(ValueRange xs, int64_t axis) {
  if (xs.size() == 1)
    return xs[0];
  SmallVector<int64_t> out(shapeOf(xs[0]));
  for (Value x : xs.drop_front())
    out[axis] += shapeOf(x)[axis];
  auto n = node("Concat", opset, xs, withShape(xs[0], out));
  n->setAttr("axis", b.getI64IntegerAttr(axis));
  return n.getResult(0);
}

Value NodeBuilder::slice(Value x, int64_t axis, int64_t start, int64_t end) {
  SmallVector<int64_t> out(shapeOf(x));
  if (start == 0 && end == out[axis])
    return x;
  out[axis] = end - start;
  return node("Slice", opset,
              {x, i64Const({start}), i64Const({end}), i64Const({axis})},
              withShape(x, out))
      .getResult(0);
}

Value NodeBuilder::matmul(Value a, Value bv) {
  ArrayRef<int64_t> sa = shapeOf(a), sb = shapeOf(bv);
  auto batch = broadcastShapes(sa.drop_back(2), sb.drop_back(2));
  SmallVector<int64_t> out = batch ? *batch : SmallVector<int64_t>();
  out.push_back(sa[sa.size() - 2]);
  out.push_back(sb.back());
  return node("MatMul", opset, {a, bv}, withShape(a, out)).getResult(0);
}

Value NodeBuilder::binary(StringRef op, Value a, Value bv) {
  auto out = broadcastShapes(shapeOf(a), shapeOf(bv));
  return node(op, opset, {a, bv}, withShape(a, *out)).getResult(0);
}

Value NodeBuilder::where(Value cond, Value a, Value bv) {
  auto ab = broadcastShapes(shapeOf(a), shapeOf(bv));
  auto out = broadcastShapes(shapeOf(cond), *ab);
  return node("Where", opset, {cond, a, bv}, withShape(a, *out)).getResult(0);
}

Value NodeBuilder::notOp(Value x) {
  return node("Not", 1, {x}, x.getType()).getResult(0);
}

/// ONNX TensorProto data type code of an MLIR element type.
static int64_t onnxDataType(Type t) {
  if (t.isInteger(1))
    return 9;
  if (t.isF16())
    return 10;
  if (t.isBF16())
    return 16;
  if (t.isF64())
    return 11;
  if (t.isInteger(32))
    return 6;
  if (t.isInteger(64))
    return 7;
  return 1;
}

Value NodeBuilder::cast(Value x, Type elementType) {
  if (llvm::cast<ShapedType>(x.getType()).getElementType() == elementType)
    return x;
  auto n =
      node("Cast", opset, {x}, RankedTensorType::get(shapeOf(x), elementType));
  n->setAttr("to", b.getI64IntegerAttr(onnxDataType(elementType)));
  return n.getResult(0);
}

Value NodeBuilder::splitHeads(Value x, int64_t heads) {
  ArrayRef<int64_t> s = shapeOf(x);
  Value r = reshape(x, {s[0], s[1], heads, s[2] / heads});
  return transpose(r, {0, 2, 1, 3});
}

Value NodeBuilder::mergeHeads(Value x) {
  Value t = transpose(x, {0, 2, 1, 3});
  ArrayRef<int64_t> s = shapeOf(t);
  return reshape(t, {s[0], s[1], s[2] * s[3]});
}

SdpaOp raise::buildSdpa(OpBuilder &b, Location loc, Value q, Value k, Value v,
                        Value mask, double scale, CausalKind causal,
                        std::optional<double> softcap) {
  ArrayRef<int64_t> qs = shapeOf(q), vs = shapeOf(v);
  auto type = withShape(q, {qs[0], qs[1], qs[2], vs[3]});
  FloatAttr capAttr = softcap ? b.getF64FloatAttr(*softcap) : FloatAttr();
  return SdpaOp::create(b, loc, type, q, k, v, mask, b.getF64FloatAttr(scale),
                        causal, capAttr);
}

//===----------------------------------------------------------------------===//
// Fused-raiser plumbing
//===----------------------------------------------------------------------===//

ArrayRef<int64_t> raise::dimsOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

Type raise::elementTypeOf(Value v) {
  return cast<ShapedType>(v.getType()).getElementType();
}

/// Every present input must be a static ranked tensor (shape inference ran).
LogicalResult raise::requireStaticInputs(onnx::NodeOp node) {
  for (auto [i, in] : llvm::enumerate(node.getInputs())) {
    if (isa<NoneType>(in.getType()))
      continue;
    if (!staticShape(in))
      return node.emitError()
             << node.describe() << ": input " << i
             << " must have a static shape (run onnx-infer-shapes first), got "
             << in.getType();
  }
  return success();
}

/// True when `mask` broadcasts to `scores` ([B, H, Lq, Lk]).
bool raise::broadcastsTo(ArrayRef<int64_t> mask, ArrayRef<int64_t> scores) {
  if (mask.size() > scores.size())
    return false;
  auto out = broadcastShapes(mask, scores);
  return out && ArrayRef<int64_t>(*out) == scores;
}

/// Causal alignment for a query block that follows `past` cached keys:
/// key j is visible from query i iff j <= i + past.
FailureOr<CausalKind> raise::causalWithOffset(onnx::NodeOp node, int64_t past,
                                              int64_t lq, int64_t lk) {
  if (past == 0)
    return CausalKind::top_left;
  if (lk - lq == past)
    return CausalKind::bottom_right;
  return node.emitError() << node.describe() << ": causal masking with " << past
                          << " past positions needs the new key length to "
                             "equal the query length (got Lq="
                          << lq << ", Lk=" << lk << ")";
}

FailureOr<CausalKind> raise::causalFromFlag(onnx::NodeOp node, StringRef attr,
                                            int64_t past, int64_t lq,
                                            int64_t lk) {
  int64_t flag = node.getIntAttr(attr, 0);
  if (flag != 0 && flag != 1)
    return node.emitError() << node.describe() << ": attribute " << attr
                            << " is " << flag << " (expected 0 or 1)";
  if (!flag)
    return CausalKind::none;
  return causalWithOffset(node, past, lq, lk);
}

std::string raise::scaleSourceOf(onnx::NodeOp node, StringRef attr,
                                 bool zeroIsDefault) {
  if (!node.hasAttr(attr) ||
      (zeroIsDefault && node.getFloatAttr(attr, 0.0) == 0.0))
    return "default 1/sqrt(D)";
  return "attribute " + attr.str();
}

double raise::contribScale(onnx::NodeOp node, int64_t headSize) {
  double scale = node.getFloatAttr("scale", 0.0);
  if (scale == 0.0)
    scale = 1.0 / std::sqrt(static_cast<double>(headSize));
  return scale;
}

std::optional<double> raise::softcapOf(onnx::NodeOp node) {
  if (double c = node.getFloatAttr("softcap", 0.0); c > 0.0)
    return c;
  return std::nullopt;
}

FailureOr<SdpaOp> raise::buildContribSdpa(NodeBuilder &nb, onnx::NodeOp node,
                                          Value q4, Value k4, Value v4,
                                          Value keep, Value bias, Type et,
                                          int64_t past, int64_t lq,
                                          int64_t lk) {
  Value mask = combineMasks(nb, keep, bias, et,
                            node.getFloatAttr("mask_filter_value", -10000.0));
  FailureOr<CausalKind> causal =
      causalFromFlag(node, "unidirectional", past, lq, lk);
  if (failed(causal))
    return failure();
  double scale = contribScale(node, dimsOf(q4)[3]);
  return buildSdpa(nb.builder(), nb.getLoc(), q4, k4, v4, mask, scale,
                   *causal);
}

void raise::recordFusedSite(SiteMap &sites, SdpaOp sdpa, onnx::NodeOp node,
                            std::string pattern, StringRef layout,
                            bool zeroScaleIsDefault, std::string note) {
  SiteInfo info;
  info.pattern = std::move(pattern);
  info.layout = layout.str();
  info.scaleSource = scaleSourceOf(node, "scale", zeroScaleIsDefault);
  info.note = std::move(note);
  info.from.push_back(nodeName(node));
  sites[sdpa] = std::move(info);
}

Value raise::combineMasks(NodeBuilder &nb, Value keep, Value bias, Type et,
                          double fill) {
  if (!keep || !bias)
    return keep ? keep : bias;
  // One additive mask: ONNX Runtime adds mask_filter_value where the padding
  // mask is 0, on top of the bias.
  auto scalar = RankedTensorType::get({}, et);
  Value pad = nb.where(keep, nb.splat(scalar, 0.0), nb.splat(scalar, fill));
  return nb.binary("Add", bias, pad);
}

LogicalResult raise::replaceResult(onnx::NodeOp node, unsigned idx,
                                   Value replacement) {
  if (idx >= node->getNumResults())
    return success();
  Value result = node->getResult(idx);
  if (result.use_empty())
    return success();
  if (result.getType() != replacement.getType())
    return node.emitError()
           << node.describe() << ": output " << idx << " was inferred as "
           << result.getType() << " but the raised attention computes "
           << replacement.getType();
  result.replaceAllUsesWith(replacement);
  return success();
}

LogicalResult raise::requireAbsentInput(onnx::NodeOp node, unsigned idx,
                                        StringRef what) {
  if (node.isAbsentInput(idx))
    return success();
  return node.emitError() << node.describe() << ": input " << idx << " ("
                          << what << ") is not supported by attn-raise";
}

LogicalResult raise::requireUnusedResult(onnx::NodeOp node, unsigned idx,
                                         StringRef what) {
  if (idx >= node->getNumResults() || node->getResult(idx).use_empty())
    return success();
  return node.emitError() << node.describe() << ": output " << idx << " ("
                          << what << ") is used, which attn-raise does not "
                          << "support; expected it to be absent or unused";
}

bool raise::isFusedAttentionNode(onnx::NodeOp node) {
  StringRef name = node.getName();
  return name == "Attention" || name == "com.microsoft.Attention" ||
         name == "com.microsoft.MultiHeadAttention" ||
         name == "com.microsoft.GroupQueryAttention";
}

LogicalResult raise::raiseFusedAttention(onnx::NodeOp node, SiteMap &sites) {
  StringRef name = node.getName();
  if (name == "Attention")
    return raiseOnnxAttention(node, sites);
  if (name == "com.microsoft.MultiHeadAttention")
    return raiseMultiHeadAttention(node, sites);
  if (name == "com.microsoft.Attention")
    return raiseContribAttention(node, sites);
  return raiseGroupQueryAttention(node, sites);
}

//===----------------------------------------------------------------------===//
// Site numbering and report
//===----------------------------------------------------------------------===//

static std::string maskKind(SdpaOp op) {
  std::string causal;
  switch (op.getCausal()) {
  case CausalKind::top_left:
    causal = "causal(top_left)";
    break;
  case CausalKind::bottom_right:
    causal = "causal(bottom_right)";
    break;
  default:
    break;
  }
  Value mask = op.getMask();
  if (!mask)
    return causal.empty() ? "none" : causal;
  // Report what canonicalization will make of a constant mask.
  int64_t lq = op.getQuery().getType().getDimSize(2);
  int64_t lk = op.getKey().getType().getDimSize(2);
  std::string kind;
  switch (classifyConstantMask(mask, lq, lk)) {
  case ConstMaskKind::AllVisible:
    return causal.empty() ? "none" : causal;
  case ConstMaskKind::TopLeftCausal:
    if (causal.empty() || lq == lk)
      return "causal(top_left)";
    break;
  case ConstMaskKind::BottomRightCausal:
    if (causal.empty() || lq == lk)
      return "causal(bottom_right)";
    break;
  default:
    break;
  }
  kind = cast<ShapedType>(mask.getType()).getElementType().isInteger(1)
             ? "boolean"
             : "additive";
  return causal.empty() ? kind : causal + "+" + kind;
}

void raise::finalizeSites(ModuleOp module, SiteMap &sites, bool report) {
  int64_t index = 0;
  module.walk([&](SdpaOp op) {
    auto it = sites.find(op);
    if (it == sites.end())
      return;
    op->setAttr("attn.site",
                IntegerAttr::get(IntegerType::get(op.getContext(), 64), index));
    if (report) {
      const SiteInfo &info = it->second;
      auto q = op.getQuery().getType(), k = op.getKey().getType();
      auto diag = op.emitRemark();
      diag << "attention site " << index << ": " << info.pattern
           << " layout=" << info.layout << " heads=" << q.getDimSize(1) << "/"
           << k.getDimSize(1) << " Lq=" << q.getDimSize(2)
           << " Lk=" << k.getDimSize(2) << " D=" << q.getDimSize(3)
           << " scale=" << formatDouble(op.getEffectiveScale()) << " ("
           << info.scaleSource << ") mask=" << maskKind(op) << " from "
           << llvm::join(info.from, ",");
      if (!info.note.empty())
        diag << " [" << info.note << "]";
    }
    ++index;
  });
}

std::optional<CausalKind> mlir::attn::raise::triluCausalMask(Value mask,
                                                             int64_t lq,
                                                             int64_t lk) {
  auto maskType = dyn_cast<RankedTensorType>(mask.getType());
  if (!maskType || !maskType.getElementType().isInteger(1))
    return std::nullopt;
  Value v = mask;
  while (auto n = v.getDefiningOp<onnx::NodeOp>()) {
    if (n.getName() != "Cast")
      break;
    v = n.getInputs()[0];
  }
  auto trilu = v.getDefiningOp<onnx::NodeOp>();
  if (!trilu || trilu.getName() != "Trilu" || trilu.getIntAttr("upper", 1) != 0)
    return std::nullopt;
  int64_t k = 0;
  if (trilu.getInputs().size() > 1 && !trilu.isAbsentInput(1)) {
    std::optional<double> kv = scalarConstant(trilu.getInputs()[1]);
    if (!kv)
      return std::nullopt;
    k = static_cast<int64_t>(*kv);
  }
  // Shape: [1, ..., 1, Lq, Lk].
  auto tt = dyn_cast<RankedTensorType>(trilu.getResult(0).getType());
  if (!tt || !tt.hasStaticShape() || tt.getRank() < 2)
    return std::nullopt;
  ArrayRef<int64_t> shape = tt.getShape();
  for (int64_t d : shape.drop_back(2))
    if (d != 1)
      return std::nullopt;
  if (shape[shape.size() - 2] != lq || shape.back() != lk)
    return std::nullopt;
  // The input: every element non-zero.
  Value src = trilu.getInputs()[0];
  bool allNonZero = false;
  DenseElementsAttr attr;
  if (matchPattern(src, m_Constant(&attr)) && attr.isSplat()) {
    Type et = attr.getElementType();
    if (isa<FloatType>(et))
      allNonZero = !attr.getSplatValue<APFloat>().isZero();
    else if (et.isInteger(1))
      allNonZero = attr.getSplatValue<bool>();
    else
      allNonZero = !attr.getSplatValue<APInt>().isZero();
  } else if (auto cos = src.getDefiningOp<onnx::NodeOp>();
             cos && cos.getName() == "ConstantOfShape") {
    auto value = cos->getAttrOfType<DenseElementsAttr>("value");
    if (value && value.getNumElements() == 1) {
      Type et = value.getElementType();
      if (isa<FloatType>(et))
        allNonZero = !(*value.getValues<APFloat>().begin()).isZero();
      else if (et.isInteger(1))
        allNonZero = *value.getValues<bool>().begin();
      else
        allNonZero = !(*value.getValues<APInt>().begin()).isZero();
    }
  }
  if (!allNonZero)
    return std::nullopt;
  if (k == 0)
    return CausalKind::top_left;
  if (k == lk - lq)
    return CausalKind::bottom_right;
  return std::nullopt;
}
