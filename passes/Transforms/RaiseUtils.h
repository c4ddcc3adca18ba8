//===- RaiseUtils.h - shared pieces of the attn-raise pass ------*- C++ -*-===//
//
// The attention raisers (decomposed subgraphs in RaiseAttention.cpp, fused
// nodes in RaiseFusedAttention.cpp / RaiseContribAttention.cpp) all build the
// same glue: typed `onnx.node` reshapes/transposes/concats around one
// `attn.sdpa`, and a record of what was raised for the `report` remarks.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_PASSES_TRANSFORMS_RAISEUTILS_H
#define ATTUNE_PASSES_TRANSFORMS_RAISEUTILS_H

#include "dialects/Attn/IR/AttnOps.h"
#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>
#include <string>

namespace mlir::attn::raise {

/// What the report says about one raised site. The op itself carries the
/// shapes; this keeps what only the matcher knew.
struct SiteInfo {
  std::string pattern; // "decomposed(MatMul+Transpose)", "Attention-23", ...
  std::string layout;  // "4d", "3d" or "bsnh"
  std::string scaleSource; // "Div 8 on scores 'div0'", "default 1/sqrt(D)", ...
  std::string note;        // extra assumption worth reporting, may be empty
  SmallVector<std::string> from; // names of the ONNX nodes that were replaced
};

/// The sdpa ops created by this run, with their descriptions.
using SiteMap = llvm::DenseMap<Operation *, SiteInfo>;

/// Builds `onnx.node` ops with static result types at the builder's
/// insertion point, so the generic ONNX lowering handles them like any other
/// node of the graph.
class NodeBuilder {
public:
  NodeBuilder(OpBuilder &b, Location loc, int64_t opset)
      : b(b), loc(loc), opset(opset) {}

  Value i64Const(ArrayRef<int64_t> values);
  /// A constant of `type` with every element `value` (float or i1 types).
  Value splat(RankedTensorType type, double value);
  Value reshape(Value x, ArrayRef<int64_t> shape);
  Value transpose(Value x, ArrayRef<int64_t> perm);
  Value concat(ValueRange xs, int64_t axis);
  /// x[..., start:end, ...] along `axis`.
  Value slice(Value x, int64_t axis, int64_t start, int64_t end);
  Value matmul(Value a, Value b);
  /// Elementwise binary op with numpy broadcasting ("Add", "Mul").
  Value binary(StringRef op, Value a, Value b);
  Value where(Value cond, Value a, Value b);
  Value notOp(Value x);
  /// Cast to `elementType` (bool or a float type).
  Value cast(Value x, Type elementType);

  /// [B, S, N*D] -> [B, N, S, D].
  Value splitHeads(Value x, int64_t heads);
  /// [B, N, S, D] -> [B, S, N*D].
  Value mergeHeads(Value x);

  OpBuilder &builder() { return b; }
  Location getLoc() { return loc; }

private:
  onnx::NodeOp node(StringRef name, int64_t version, ValueRange inputs,
                    Type resultType);
  OpBuilder &b;
  Location loc;
  int64_t opset;
};

/// The default-domain opset to give new nodes of the graph that holds `op`:
/// the graph's own (so new nodes look like the exporter's), at least 13 (the
/// first with Slice/Split/Squeeze taking inputs).
int64_t defaultOpset(Operation *op);

/// Shape of a ranked tensor value, or empty if unranked/dynamic.
std::optional<SmallVector<int64_t>> staticShape(Value v);

/// The value of a constant with exactly one element (any rank).
std::optional<double> scalarConstant(Value v);

/// The causality of a boolean keep-mask that an exporter built as
/// `Trilu(upper=0, k)` of an all-nonzero constant (ConstantOfShape or a
/// splat), possibly through Cast, for Lq x Lk scores: keep = (j <= i + k) is
/// top-left causal for k = 0 and bottom-right for k = Lk - Lq. Recognized
/// from the graph, without folding the Lq x Lk tensor (which long sequences
/// make too large to fold). std::nullopt when the mask is anything else.
std::optional<CausalKind> triluCausalMask(Value mask, int64_t lq, int64_t lk);

/// "name" of an onnx.node (its `onnx_name`, or the op type when unnamed).
std::string nodeName(Operation *op);

/// Shape of numpy-broadcasting `a` and `b`, or nullopt if incompatible.
std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b);

/// attn.sdpa on 4-D query/key/value with an explicit scale; the result is
/// [B, Hq, Lq, Dv].
SdpaOp buildSdpa(OpBuilder &b, Location loc, Value q, Value k, Value v,
                 Value mask, double scale, CausalKind causal,
                 std::optional<double> softcap = std::nullopt);

/// Gives each sdpa in `sites` its `attn.site` index in graph order and, with
/// `report`, emits its remark.
void finalizeSites(ModuleOp module, SiteMap &sites, bool report);

/// Formats a double the way remarks print scales.
std::string formatDouble(double v);

//===----------------------------------------------------------------------===//
// Entry points of the raisers
//===----------------------------------------------------------------------===//

/// Raises the decomposed attention ending in Softmax `softmax` if it matches;
/// returns false (and changes nothing) otherwise.
bool raiseDecomposedAttention(onnx::NodeOp softmax, SiteMap &sites);

/// True for the fused attention node types this pass converts.
bool isFusedAttentionNode(onnx::NodeOp node);

/// Converts one fused attention node; on unsupported input emits an error on
/// the node and fails (leaving the node in place).
LogicalResult raiseFusedAttention(onnx::NodeOp node, SiteMap &sites);
LogicalResult raiseOnnxAttention(onnx::NodeOp node, SiteMap &sites);
LogicalResult raiseMultiHeadAttention(onnx::NodeOp node, SiteMap &sites);
LogicalResult raiseContribAttention(onnx::NodeOp node, SiteMap &sites);
LogicalResult raiseGroupQueryAttention(onnx::NodeOp node, SiteMap &sites);

/// Shared tail of the fused raisers: checks that `replacement` has the type of
/// `result` and redirects its uses (an unused result needs no replacement).
LogicalResult replaceResult(onnx::NodeOp node, unsigned idx, Value replacement);

ArrayRef<int64_t> dimsOf(Value v);
Type elementTypeOf(Value v);
/// Every present input must be a static ranked tensor (shape inference ran).
LogicalResult requireStaticInputs(onnx::NodeOp node);
/// True when `mask` broadcasts to `scores` ([B, H, Lq, Lk]) without growing.
bool broadcastsTo(ArrayRef<int64_t> mask, ArrayRef<int64_t> scores);
/// Causal alignment for a query block that follows `past` cached keys (key j
/// visible from query i iff j <= i + past); fails with an error when no
/// `causal` kind expresses it.
FailureOr<CausalKind> causalWithOffset(onnx::NodeOp node, int64_t past,
                                       int64_t lq, int64_t lk);
/// The causality of a node whose flag attribute `attr` (is_causal,
/// unidirectional) asks for it: none when the flag is 0, else
/// causalWithOffset.
FailureOr<CausalKind> causalFromFlag(onnx::NodeOp node, StringRef attr,
                                     int64_t past, int64_t lq, int64_t lk);
/// "attribute scale" or "default 1/sqrt(D)".
std::string scaleSourceOf(onnx::NodeOp node, StringRef attr,
                          bool zeroIsDefault);
/// The `scale` attribute of a com.microsoft node, where 0 (its default)
/// means 1/sqrt(headSize).
double contribScale(onnx::NodeOp node, int64_t headSize);
/// The `softcap` attribute when it is positive (0, the default, is off).
std::optional<double> softcapOf(onnx::NodeOp node);
/// The attn.sdpa of a com.microsoft Attention / MultiHeadAttention node on
/// 4-D q/k/v (k/v already holding the `past` cached keys): its `keep` and
/// `bias` masks combined with `mask_filter_value`, causality from
/// `unidirectional`, `scale` as contribScale. Fails after an error on the
/// node when the causality cannot be expressed.
FailureOr<SdpaOp> buildContribSdpa(NodeBuilder &nb, onnx::NodeOp node,
                                   Value q4, Value k4, Value v4, Value keep,
                                   Value bias, Type et, int64_t past,
                                   int64_t lq, int64_t lk);
/// Records `sdpa` as the site that replaced fused node `node` (its remark:
/// `pattern`, `layout`, where the scale came from, and `note`).
void recordFusedSite(SiteMap &sites, SdpaOp sdpa, onnx::NodeOp node,
                     std::string pattern, StringRef layout,
                     bool zeroScaleIsDefault, std::string note = "");
/// The sdpa mask for a boolean keep mask and/or an additive bias (either may
/// be null): both together become one additive mask with `fill` where masked.
Value combineMasks(NodeBuilder &nb, Value keep, Value bias, Type et,
                   double fill);

/// Fails with an error naming `node` unless optional input `idx` is absent.
LogicalResult requireAbsentInput(onnx::NodeOp node, unsigned idx,
                                 StringRef what);
/// Fails with an error naming `node` unless result `idx` is absent or unused.
LogicalResult requireUnusedResult(onnx::NodeOp node, unsigned idx,
                                  StringRef what);

} // namespace mlir::attn::raise

#endif // ATTUNE_PASSES_TRANSFORMS_RAISEUTILS_H
