//===- OnnxFolding.h - host evaluation of small ONNX subgraphs --*- C++ -*-===//
//
// Exporters compute shapes, masks and scales at run time (Shape -> Gather ->
// Concat -> Reshape, ConstantOfShape, Range, Trilu of a causal mask, Sqrt of
// the head size, ...). Once input shapes are fixed these are constants; the
// folders here evaluate such nodes on a tiny host tensor so onnx-infer-shapes
// can replace them by arith.constant. Floats are computed in double, integers
// in int64; results are rounded/wrapped to the node's element type on the way
// back into an attribute.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_PASSES_TRANSFORMS_ONNXFOLDING_H
#define ATTUNE_PASSES_TRANSFORMS_ONNXFOLDING_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <vector>

namespace mlir::attn {

class ShapeCtx;

/// A dense host copy of a tensor. Exactly one of `f` (float element types)
/// and `i` (integers, i1 as 0/1) holds the row-major data.
struct HostTensor {
  Type elemType;
  SmallVector<int64_t> shape;
  std::vector<double> f;
  std::vector<int64_t> i;

  static HostTensor zeros(Type elemType, ArrayRef<int64_t> shape);
  bool isFloat() const { return isa<FloatType>(elemType); }
  int64_t numel() const;
  double getF(int64_t k) const {
    return isFloat() ? f[k] : static_cast<double>(i[k]);
  }
  int64_t getI(int64_t k) const;
  /// Stores `v` converted to the element type (truncation toward zero for
  /// integers, != 0 for i1).
  void setF(int64_t k, double v);
  void setI(int64_t k, int64_t v);
  /// Copies element `from` of `src` into element `k` without going through
  /// double when both sides are integers.
  void copyFrom(int64_t k, const HostTensor &src, int64_t from);
};

/// The host value of `v` when it is an arith.constant (dense or resource
/// blob) of a supported element type with at most `maxElements` elements.
std::optional<HostTensor> readConstant(Value v, int64_t maxElements);

/// An attribute holding `t`; large float tensors become resource blobs like
/// the importer's weights.
ElementsAttr toElementsAttr(const HostTensor &t, MLIRContext *ctx);

/// True for op types (domain-qualified) with a folder.
bool hasFolder(StringRef name);
/// True for ops that fold from their input types alone (Shape, Size).
bool foldsFromTypes(StringRef name);

/// Evaluates the node of `c`, whose result types are already inferred.
/// `in[k]` is nullopt for absent (or, for Shape/Size, non-constant) inputs.
/// Failure means "not folded" (unsupported case), never an error.
FailureOr<SmallVector<HostTensor>>
foldNode(ShapeCtx &c, ArrayRef<std::optional<HostTensor>> in);

/// Internal to the folders: one single-result folder per op type.
struct FoldArgs {
  ShapeCtx &c;
  ArrayRef<std::optional<HostTensor>> in;
  RankedTensorType out;
};
using Folder = FailureOr<HostTensor> (*)(FoldArgs &);
void addMathFolders(llvm::StringMap<Folder> &folders);
/// For each element of `out` (row-major), the offset of the element of a
/// tensor of shape `in` that numpy broadcasting reads.
std::vector<int64_t> broadcastMap(ArrayRef<int64_t> out, ArrayRef<int64_t> in);

} // namespace mlir::attn

#endif // ATTUNE_PASSES_TRANSFORMS_ONNXFOLDING_H
