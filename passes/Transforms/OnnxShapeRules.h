//===- OnnxShapeRules.h - per-op static shape rules for onnx.node -*- C++
//-*-===//
//
// The pieces shared by the onnx-infer-shapes pass, its shape rules (one file
// per op family) and its constant folders: a view of one node with typed
// accessors and diagnostics (`ShapeCtx`), the rule registry, and parameter
// resolution that both a rule and the matching folder need (Slice windows,
// reduction axes, Shape's range), so the two can never disagree.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_PASSES_TRANSFORMS_ONNXSHAPERULES_H
#define ATTUNE_PASSES_TRANSFORMS_ONNXSHAPERULES_H

#include "dialects/Onnx/IR/OnnxOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>

namespace mlir::attn {

/// One node under inference. Rules read input types and constant inputs
/// through it and set result types with `set`. The pass only calls a rule
/// once every present input has a static ranked tensor type.
class ShapeCtx {
public:
  explicit ShapeCtx(onnx::NodeOp node) : node(node) {}

  onnx::NodeOp node;

  unsigned numInputs() { return node.getInputs().size(); }
  unsigned numResults() { return node->getNumResults(); }
  bool has(unsigned i) { return !node.isAbsentInput(i); }
  /// Null for an absent input.
  RankedTensorType type(unsigned i);
  ArrayRef<int64_t> shape(unsigned i) { return type(i).getShape(); }
  int64_t rank(unsigned i) { return type(i).getRank(); }
  Type elem(unsigned i) { return type(i).getElementType(); }
  int64_t opset() { return node.getOpset(); }
  int64_t intAttr(StringRef name, int64_t dflt) {
    return node.getIntAttr(name, dflt);
  }
  /// The values of constant integer input `i`, or nullopt when the input is
  /// absent, not an arith.constant, or not integer.
  std::optional<SmallVector<int64_t>> constInts(unsigned i);

  /// Starts an error on the node: "node 'x' (Op, opset N): ".
  InFlightDiagnostic error();
  /// Fails unless inputs 0..n-1 are present.
  LogicalResult need(unsigned n);
  /// Normalizes `axis` into [0, rank); fails with a diagnostic naming `what`.
  LogicalResult axis(int64_t a, int64_t rank, int64_t &out, StringRef what);
  /// Like `constInts` but fails with "input #i (what) is not a compile-time
  /// constant" when the values are not known.
  FailureOr<SmallVector<int64_t>> requireInts(unsigned i, StringRef what);

  /// Sets result `i` (ignored when the node has fewer results).
  void set(unsigned i, ArrayRef<int64_t> shape, Type elem);
};

using ShapeRule = LogicalResult (*)(ShapeCtx &);
using ShapeRuleMap = llvm::StringMap<ShapeRule>;

void addElementwiseShapeRules(ShapeRuleMap &rules);
void addMovementShapeRules(ShapeRuleMap &rules);
void addAttentionShapeRules(ShapeRuleMap &rules);

/// "[2, 3]".
std::string shapeStr(ArrayRef<int64_t> shape);
int64_t numElements(ArrayRef<int64_t> shape);
/// Numpy broadcasting of two shapes; failure when a pair of dims differs and
/// neither is 1.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b);
/// Element type of an ONNX TensorProto data type code, or null.
Type onnxElementType(MLIRContext *ctx, int64_t code);

/// Per-dimension window of a Slice: element k of dim d is start + k*step.
struct SliceSpec {
  SmallVector<int64_t> start, step, size;
};
FailureOr<SliceSpec> resolveSlice(ShapeCtx &c);

/// Which dims a ReduceX/ArgX node reduces and whether they are kept.
struct ReduceSpec {
  SmallVector<bool> reduced;
  bool keepDims = true;
};
FailureOr<ReduceSpec> resolveReduce(ShapeCtx &c);

/// [start, end) of Shape's output window (opset 15 start/end attributes).
std::pair<int64_t, int64_t> shapeWindow(ShapeCtx &c, int64_t rank);

/// Transpose's permutation (default: reversed dims).
FailureOr<SmallVector<int64_t>> resolvePerm(ShapeCtx &c);

} // namespace mlir::attn

#endif // ATTUNE_PASSES_TRANSFORMS_ONNXSHAPERULES_H
