//===- OnnxInferShapes.cpp - static shapes and constant folding ---------===//
//
// The onnx-infer-shapes pass. The importer leaves node results unranked; this
// pass walks each function in program order, infers every node's static
// result types with the per-op rules (OnnxShapeRules*.cpp), and replaces
// nodes whose inputs are all constant and whose result is small by
// arith.constant (OnnxFolding.cpp). Shape arithmetic thereby disappears
// before it can block a later node (a Reshape needs its shape input to be a
// constant). Finally, function signatures are synced with the returned
// values and dead nodes are dropped.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/OnnxFolding.h"
#include "passes/Transforms/OnnxShapeRules.h"
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ONNXINFERSHAPESPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

const ShapeRuleMap &shapeRules() {
  static const ShapeRuleMap rules = [] {
    ShapeRuleMap m;
    addElementwiseShapeRules(m);
    addMovementShapeRules(m);
    addAttentionShapeRules(m);
    return m;
  }();
  return rules;
}

bool isStaticTensor(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.hasStaticShape();
}

struct OnnxInferShapesPass
    : attn::impl::OnnxInferShapesPassBase<OnnxInferShapesPass> {
  using Base::Base;

  LogicalResult inferNode(onnx::NodeOp node) {
    ShapeCtx c(node);
    for (auto [i, v] : llvm::enumerate(node.getInputs())) {
      if (isa<NoneType>(v.getType()) || isStaticTensor(v.getType()))
        continue;
      return c.error() << "input #" << i << " has type " << v.getType()
                       << "; expected a tensor with a static shape";
    }
    auto it = shapeRules().find(node.getName());
    if (it == shapeRules().end())
      return c.error() << "no shape rule for op type '" << node.getName()
                       << "' (unsupported ONNX operator)";
    if (failed(it->second(c)))
      return failure();
    for (auto [i, r] : llvm::enumerate(node->getResults()))
      if (!isStaticTensor(r.getType()))
        return c.error() << "cannot infer a static type for output #" << i
                         << " (the op defines fewer outputs)";
    return success();
  }

  /// Replaces `node` by constants when its inputs are known and the result
  /// is small. Returns true when folded.
  bool tryFold(onnx::NodeOp node) {
    StringRef name = node.getName();
    if (!hasFolder(name))
      return false;
    for (Value r : node->getResults())
      if (numElements(cast<RankedTensorType>(r.getType()).getShape()) >
          maxFoldElements)
        return false;
    bool typesOnly = foldsFromTypes(name);
    SmallVector<std::optional<HostTensor>> in;
    for (auto [i, v] : llvm::enumerate(node.getInputs())) {
      if (node.isAbsentInput(i)) {
        in.push_back(std::nullopt);
        continue;
      }
      in.push_back(readConstant(v, maxFoldElements));
      if (!in.back() && !typesOnly)
        return false;
    }
    ShapeCtx c(node);
    FailureOr<SmallVector<HostTensor>> out = foldNode(c, in);
    if (failed(out) || out->size() != node->getNumResults())
      return false;
    SmallVector<ElementsAttr> attrs;
    for (auto [r, t] : llvm::zip(node->getResults(), *out)) {
      attrs.push_back(toElementsAttr(t, &getContext()));
      if (!attrs.back() || attrs.back().getType() != r.getType())
        return false;
    }
    OpBuilder b(node);
    for (auto [r, attr] : llvm::zip(node->getResults(), attrs)) {
      auto cst =
          arith::ConstantOp::create(b, node.getLoc(), cast<TypedAttr>(attr));
      r.replaceAllUsesWith(cst.getResult());
    }
    return true;
  }

  LogicalResult runOnFunc(func::FuncOp func) {
    SmallVector<onnx::NodeOp> nodes;
    func.walk([&](onnx::NodeOp n) { nodes.push_back(n); });
    for (onnx::NodeOp node : nodes) {
      if (failed(inferNode(node)))
        return failure();
      tryFold(node);
    }
    if (func.isExternal())
      return success();
    Operation *ret = func.getBody().back().getTerminator();
    // What the graph declares for its outputs against what it computes: a
    // different element type is an invalid model (onnxruntime rejects it);
    // a different shape is reported (onnxruntime warns and runs).
    for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
      if (i >= func.getNumResults())
        break;
      auto declAttr = func.getResultAttrOfType<TypeAttr>(i, "onnx.declared_type");
      if (!declAttr)
        continue;
      func.removeResultAttr(
          i, StringAttr::get(&getContext(), "onnx.declared_type"));
      auto declared = dyn_cast<TensorType>(declAttr.getValue());
      auto actual = dyn_cast<RankedTensorType>(v.getType());
      if (!declared || !actual)
        continue;
      auto nameAttr = func.getResultAttrOfType<StringAttr>(i, "onnx.name");
      std::string name = nameAttr ? nameAttr.str() : std::to_string(i);
      if (declared.getElementType() != actual.getElementType())
        return func.emitError()
               << "graph output '" << name << "' is declared "
               << declared.getElementType() << " but computes "
               << actual.getElementType();
      auto ranked = dyn_cast<RankedTensorType>(declared);
      if (!ranked)
        continue;
      bool same = ranked.getRank() == actual.getRank();
      for (int64_t d = 0; same && d < actual.getRank(); ++d)
        same = ranked.isDynamicDim(d) || actual.isDynamicDim(d) ||
               ranked.getDimSize(d) == actual.getDimSize(d);
      if (!same)
        func.emitWarning() << "graph output '" << name << "' is declared "
                           << ranked << " but computes " << actual;
    }
    func.setFunctionType(FunctionType::get(
        &getContext(), func.getArgumentTypes(), ret->getOperandTypes()));
    // Folded nodes and the shape arithmetic that fed them are now dead.
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) { ops.push_back(op); });
    for (Operation *op : llvm::reverse(ops))
      if (op != func && isOpTriviallyDead(op))
        op->erase();
    return success();
  }

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (failed(runOnFunc(func)))
        return signalPassFailure();
  }
};

} // namespace
