//===- Handlers.h - onnx.node lowering handlers (internal) ------*- C++ -*-===//
//
// The handler table of convert-onnx-to-linalg and the builder helpers that the
// handler files share. A handler builds linalg/tensor/arith/math ops on
// tensors in front of its node and returns one value per node result (null
// for an unused optional result); on an unsupported configuration it emits an
// error on the node and returns failure.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_PASSES_CONVERSION_ONNXTOLINALG_HANDLERS_H
#define ATTUNE_PASSES_CONVERSION_ONNXTOLINALG_HANDLERS_H

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::attn::onnx_to_linalg {

using onnx::NodeOp;
using HandlerResult = FailureOr<SmallVector<Value>>;
using Handler = HandlerResult (*)(OpBuilder &b, NodeOp op);
using HandlerTable = llvm::StringMap<Handler>;

void addElementwiseHandlers(HandlerTable &table);
void addActivationHandlers(HandlerTable &table);
void addMatMulHandlers(HandlerTable &table);
void addReductionHandlers(HandlerTable &table);
void addNormalizationHandlers(HandlerTable &table);
void addTensorHandlers(HandlerTable &table);
void addIndexingHandlers(HandlerTable &table);

//===----------------------------------------------------------------------===//
// Diagnostics and attribute/constant access
//===----------------------------------------------------------------------===//

/// Emits "<node description>: <msg>" on the node and returns failure.
HandlerResult fail(NodeOp op, const Twine &msg);

RankedTensorType tensorType(Value v);
RankedTensorType resultType(NodeOp op, unsigned i = 0);
inline Value input(NodeOp op, unsigned i) { return op.getInputs()[i]; }

/// Values of a constant integer tensor operand (shape, axes, pads, ...).
bool getConstInts(Value v, SmallVectorImpl<int64_t> &out);
/// Value of a constant splat float/int operand (nullopt when not constant
/// or stored as a resource blob).
std::optional<double> getConstSplat(Value v);
/// Axis in [0, rank) or nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

//===----------------------------------------------------------------------===//
// Run-time checks
//===----------------------------------------------------------------------===//

/// Registers a run-time check of `op` on its input data: appends `message`
/// to the module's `attune.checks` list (the runner's report of a failure
/// starts with it) and declares the runtime's
/// `attune_check_failed(site, value, bound)`; returns the site number.
int64_t registerCheck(NodeOp op, const Twine &message);
/// Where `bad` holds: calls attune_check_failed(site, value (any integer,
/// sign-extended), bound). The code after it goes on with its own safe value.
void emitCheck(OpBuilder &b, Location l, Value bad, int64_t site, Value value,
               int64_t bound);

//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

using BodyFn = function_ref<Value(OpBuilder &b, Location loc, ValueRange args)>;

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType t);
/// Scalar constant of a float or integer type (i1: v != 0).
Value scalarConst(OpBuilder &b, Location loc, Type t, double v);
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType t, Value v);
/// Map reading a right-aligned numpy-broadcast operand of type `in` inside a
/// loop nest over `outShape`.
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType in,
                       ArrayRef<int64_t> outShape);
/// Elementwise linalg.generic over `outType` with numpy broadcasting of
/// `ins`; `body` gets the scalar inputs and returns the output scalar.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange ins,
                       RankedTensorType outType, BodyFn body);
/// Scalar conversion with ONNX Cast semantics (float->int truncates toward
/// zero, to bool is != 0, bool->number is 0/1).
Value castScalar(OpBuilder &b, Location loc, Value v, Type to);
/// Float type to compute in for `t` (f32 for f16/bf16).
FloatType computeType(FloatType t);
/// Reshape of a static tensor to another static shape with the same number
/// of elements (collapse/expand when a reassociation exists, else through
/// 1-D).
Value reshapeTo(OpBuilder &b, Location loc, Value v, RankedTensorType to);
/// Reduction of `in` over the dims marked in `reduced`; the result keeps the
/// other dims only. Element type `accType`, initial value `init`, body
/// `combine(b, loc, x, acc)`.
Value buildReduction(
    OpBuilder &b, Location loc, Value in, ArrayRef<bool> reduced, Type accType,
    Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine);
/// Map from the full loop nest of rank reduced.size() to the kept dims.
AffineMap keptDimsMap(MLIRContext *ctx, ArrayRef<bool> reduced);
/// Generic over `outType` whose body computes each element from the loop
/// indices (linalg.index) and the values in `ins` (read with tensor.extract).
Value buildIndexGeneric(
    OpBuilder &b, Location loc, RankedTensorType outType,
    function_ref<Value(OpBuilder &, Location, ValueRange idx)> body);

} // namespace mlir::attn::onnx_to_linalg

#endif
