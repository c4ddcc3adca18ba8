//===- KernelCalls.h - building calls of the CPU kernel library -*- C++ -*-===//
//
// Shared by the conversions to kernel calls: operands become read-only
// buffers cast to the kernel's dynamic memref types, parameters constant
// arrays, absent operands never-read placeholders.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_PASSES_CONVERSION_ATTNTOCPUKERNELS_KERNELCALLS_H
#define ATTUNE_PASSES_CONVERSION_ATTNTOCPUKERNELS_KERNELCALLS_H

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::attn::kernels {

/// A rank-`rank` memref of `element` with dynamic sizes: the operand types
/// of the kernels' C interface.
inline Type dynMemRef(unsigned rank, Type element) {
  return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                         element);
}

/// func.func private @name(inputs) attributes {llvm.emit_c_interface},
/// declared once per module.
inline func::FuncOp declareKernelFunc(ModuleOp module, OpBuilder &b,
                                      StringRef name, TypeRange inputs) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType(inputs, {}));
  f.setPrivate();
  f->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  return f;
}

/// `x` as a float of type `to` (extf or truncf; `x` itself when it already
/// is one).
inline Value castFloat(OpBuilder &b, Location loc, FloatType to, Value x) {
  auto from = cast<FloatType>(x.getType());
  if (from == to)
    return x;
  return to.getWidth() > from.getWidth()
             ? arith::ExtFOp::create(b, loc, to, x).getResult()
             : arith::TruncFOp::create(b, loc, to, x).getResult();
}

/// A linalg.generic body that converts its one input to `to`.
inline auto castBody(FloatType to) {
  return [to](OpBuilder &nb, Location l, ValueRange a) {
    linalg::YieldOp::create(nb, l, castFloat(nb, l, to, a[0]));
  };
}

/// `v` as a read-only buffer of its static shape with elements of type
/// `element`. A float tensor of another float type (f16 / bf16 for an f32
/// kernel) is converted into a fresh buffer, element by element, at the
/// memref level: a converted tensor read through to_buffer could share a
/// buffer with another conversion, which bufferization does not see.
inline Value readBuffer(OpBuilder &b, Location loc, Value v, Type element) {
  auto t = cast<RankedTensorType>(v.getType());
  auto mt = MemRefType::get(t.getShape(), t.getElementType());
  Value buf = bufferization::ToBufferOp::create(b, loc, mt, v,
                                                /*read_only=*/true);
  auto from = dyn_cast<FloatType>(t.getElementType());
  auto to = dyn_cast<FloatType>(element);
  if (!from || !to || from == to)
    return buf;
  Value dst = memref::AllocOp::create(b, loc, MemRefType::get(t.getShape(), to));
  AffineMap id = b.getMultiDimIdentityMap(t.getRank());
  linalg::GenericOp::create(
      b, loc, ValueRange{buf}, ValueRange{dst}, ArrayRef<AffineMap>{id, id},
      SmallVector<utils::IteratorType>(t.getRank(),
                                       utils::IteratorType::parallel),
      castBody(to));
  return dst;
}

/// readBuffer in the element type of `target`, cast to `target` (the
/// kernel's dynamic memref type).
inline Value asBuffer(OpBuilder &b, Location loc, Value v, Type target) {
  return memref::CastOp::create(
      b, loc, target,
      readBuffer(b, loc, v, cast<MemRefType>(target).getElementType()));
}

/// A never-read placeholder buffer for an absent operand.
inline Value placeholder(OpBuilder &b, Location loc, Type target) {
  auto mt = cast<MemRefType>(target);
  SmallVector<int64_t> ones(mt.getRank(), 1);
  Value a = memref::AllocaOp::create(
      b, loc, MemRefType::get(ones, mt.getElementType()));
  return memref::CastOp::create(b, loc, target, a);
}

template <typename T>
Value constantArray(OpBuilder &b, Location loc, ArrayRef<T> values,
                    Type elementType, Type target) {
  auto t =
      RankedTensorType::get({static_cast<int64_t>(values.size())}, elementType);
  Value c = arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(DenseElementsAttr::get(t, values)));
  return asBuffer(b, loc, c, target);
}

/// Calls `kernel(inputs..., out, iparams, fparams)`: the inputs as
/// read-only buffers, `out` a fresh buffer of `resultType`, returned as a
/// tensor.
inline Value callWithResult(OpBuilder &b, Location loc, func::FuncOp kernel,
                            ValueRange inputs, RankedTensorType resultType,
                            ArrayRef<int64_t> ip, ArrayRef<double> fp) {
  FunctionType ft = kernel.getFunctionType();
  SmallVector<Value> args;
  for (auto [i, v] : llvm::enumerate(inputs))
    args.push_back(asBuffer(b, loc, v, ft.getInput(i)));
  unsigned n = inputs.size();
  Value out = memref::AllocOp::create(
      b, loc,
      MemRefType::get(resultType.getShape(), resultType.getElementType()));
  args.push_back(memref::CastOp::create(b, loc, ft.getInput(n), out));
  args.push_back(
      constantArray<int64_t>(b, loc, ip, b.getI64Type(), ft.getInput(n + 1)));
  args.push_back(
      constantArray<double>(b, loc, fp, b.getF64Type(), ft.getInput(n + 2)));
  func::CallOp::create(b, loc, kernel, args);
  return bufferization::ToTensorOp::create(b, loc, resultType, out,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

/// Whether the kernel runs attention on `t`'s elements: f32, or f16 / bf16
/// converted to f32 around the call (the reference computes 16-bit
/// attention in f32 as well and rounds the output).
inline bool kernelFloat(Type t) {
  auto e = cast<RankedTensorType>(t).getElementType();
  return e.isF32() || e.isF16() || e.isBF16();
}

/// A static rank-4 tensor of a kernelFloat type.
inline bool kernelTensor4(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return kernelFloat(t) && t.hasStaticShape() && t.getRank() == 4;
}

/// A mask the attention kernel reads: additive (kernelFloat) or boolean.
inline bool kernelMask(Value m) {
  return kernelFloat(m.getType()) ||
         cast<RankedTensorType>(m.getType()).getElementType().isInteger(1);
}

/// `v` with its float elements converted to `to` (extf / truncf), or `v`:
/// for a kernel's result, read by tensor ops. (Kernel operands convert in
/// asBuffer, at the memref level.)
inline Value convertFloats(OpBuilder &b, Location loc, Value v, FloatType to) {
  auto t = cast<RankedTensorType>(v.getType());
  auto from = cast<FloatType>(t.getElementType());
  if (from == to)
    return v;
  auto rt = RankedTensorType::get(t.getShape(), to);
  Value init = tensor::EmptyOp::create(b, loc, t.getShape(), to);
  AffineMap id = b.getMultiDimIdentityMap(t.getRank());
  return linalg::GenericOp::create(
             b, loc, rt, ValueRange{v}, ValueRange{init},
             ArrayRef<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(t.getRank(),
                                              utils::IteratorType::parallel),
             castBody(to))
      .getResult(0);
}

/// Whether attune_linear_f32 implements `op` (f32, static 4-D, no
/// `exclude`, causal only with Lq <= Lk).
bool supportedByKernel(LinearOp op);
/// Replaces `op` by a call of attune_linear_f32.
LogicalResult lowerLinearToKernel(LinearOp op);

} // namespace mlir::attn::kernels

#endif
