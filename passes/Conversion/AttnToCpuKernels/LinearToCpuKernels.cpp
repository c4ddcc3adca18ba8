//===- LinearToCpuKernels.cpp - attn.linear to attune_linear_f32 ----------===//
//
// An attn.linear the kernel implements (f32, static 4-D) becomes one call
// of the kernel library's chunked linear attention: the reference
// decomposition keeps the O(L D^2) cost shape, but its causal state prefix
// is a generic over chunk pairs (O(n^2 D^2) in the number of chunks) and
// the SLA hybrid's `exclude` form combines key-block states per query row
// (O(Lq (Lk / bk) D^2)), both as scalar loops. The kernel combines them
// per query block.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/AttnToCpuKernels/KernelCalls.h"

#include "attune/Runtime/CpuKernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::kernels;

namespace {

constexpr StringLiteral kLinearKernel = "attune_linear_f32";

/// func.func private @attune_linear_f32(q, k, v, o, exclude, iparams,
/// fparams)
func::FuncOp declareLinearKernel(ModuleOp module, OpBuilder &b) {
  Type f4 = dynMemRef(4, b.getF32Type());
  return declareKernelFunc(module, b, kLinearKernel,
                           {f4, f4, f4, f4, dynMemRef(4, b.getI1Type()),
                            dynMemRef(1, b.getI64Type()),
                            dynMemRef(1, b.getF64Type())});
}

} // namespace

bool mlir::attn::kernels::supportedByKernel(LinearOp op) {
  if (Value ex = op.getExclude()) {
    // The shapes the reference decomposition accepts (it reports others).
    auto t = cast<RankedTensorType>(ex.getType());
    if (op.getVariant() != LinearVariant::kernelized || !op.getBlockSize() ||
        op.getBlockSize()->size() != 2 || !t.hasStaticShape() ||
        t.getRank() != 4 || !t.getElementType().isInteger(1))
      return false;
    auto qt = cast<RankedTensorType>(op.getQuery().getType());
    auto kt = cast<RankedTensorType>(op.getKey().getType());
    int64_t bq = (*op.getBlockSize())[0], bk = (*op.getBlockSize())[1];
    if (bq <= 0 || bk <= 0)
      return false;
    int64_t want[4] = {qt.getDimSize(0), qt.getDimSize(1),
                       (qt.getDimSize(2) + bq - 1) / bq,
                       (kt.getDimSize(2) + bk - 1) / bk};
    for (int i = 0; i < 4; ++i)
      if (t.getDimSize(i) != want[i] && !(i < 2 && t.getDimSize(i) == 1))
        return false;
  }
  // f32, or f16 / bf16 run in f32 between conversions.
  for (Value v : {op.getQuery(), op.getKey(), op.getValue(), op.getResult()})
    if (!kernelTensor4(v))
      return false;
  auto qt = cast<RankedTensorType>(op.getQuery().getType());
  auto kt = cast<RankedTensorType>(op.getKey().getType());
  // More queries than keys under causality is an error the reference
  // decomposition reports.
  return !op.getCausal() || qt.getDimSize(2) <= kt.getDimSize(2);
}

LogicalResult mlir::attn::kernels::lowerLinearToKernel(LinearOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  func::FuncOp kernel = declareLinearKernel(op->getParentOfType<ModuleOp>(), b);
  auto qt = cast<RankedTensorType>(op.getQuery().getType());
  const int64_t hq = qt.getDimSize(1);
  SmallVector<int64_t> ip(ATTUNE_LINEAR_I_COUNT, 0);
  SmallVector<double> fp(ATTUNE_LINEAR_F_COUNT, 0.0);
  ip[ATTUNE_LINEAR_I_VERSION] = ATTUNE_LINEAR_ABI_VERSION;
  ip[ATTUNE_LINEAR_I_CAUSAL] = op.getCausal() ? 1 : 0;
  ip[ATTUNE_LINEAR_I_CHUNK] = static_cast<int64_t>(op.getChunk());
  ip[ATTUNE_LINEAR_I_FEATURE] = op.getFeature() == FeatureMap::relu
                                    ? ATTUNE_FEATURE_RELU
                                    : ATTUNE_FEATURE_ELU1;
  std::optional<double> scale;
  if (op.getScale())
    scale = op.getScale()->convertToDouble();
  switch (op.getVariant()) {
  case LinearVariant::kernelized:
    ip[ATTUNE_LINEAR_I_VARIANT] = ATTUNE_LINEAR_KERNELIZED;
    break;
  case LinearVariant::mala:
    ip[ATTUNE_LINEAR_I_VARIANT] = ATTUNE_LINEAR_MALA;
    fp[ATTUNE_LINEAR_F_SCALE] =
        scale ? *scale : 1.0 / std::sqrt(double(qt.getDimSize(3)));
    break;
  case LinearVariant::lightning:
    ip[ATTUNE_LINEAR_I_VARIANT] = ATTUNE_LINEAR_LIGHTNING;
    fp[ATTUNE_LINEAR_F_SCALE] = scale ? *scale : 1.0;
    if (auto d = op.getDecay();
        d && llvm::any_of(*d, [](double x) { return x != 0.0; })) {
      ip[ATTUNE_LINEAR_I_HAS_DECAY] = 1;
      for (int64_t h = 0; h < hq; ++h)
        fp.push_back(d->size() == 1 ? (*d)[0] : (*d)[h]);
    }
    break;
  }

  FunctionType ft = kernel.getFunctionType();
  Value exclude = placeholder(b, loc, ft.getInput(4));
  if (Value ex = op.getExclude()) {
    ip[ATTUNE_LINEAR_I_HAS_EXCLUDE] = 1;
    ip[ATTUNE_LINEAR_I_BLOCK_Q] = (*op.getBlockSize())[0];
    ip[ATTUNE_LINEAR_I_BLOCK_K] = (*op.getBlockSize())[1];
    exclude = asBuffer(b, loc, ex, ft.getInput(4));
  }
  // f16 / bf16 operands run in f32 (asBuffer converts them); the result is
  // rounded back.
  FloatType f32 = b.getF32Type();
  auto resultType = cast<RankedTensorType>(op.getType());
  auto f32Type = RankedTensorType::get(resultType.getShape(), f32);
  Value out = memref::AllocOp::create(
      b, loc, MemRefType::get(resultType.getShape(), f32));
  func::CallOp::create(
      b, loc, kernel,
      ValueRange{
          asBuffer(b, loc, op.getQuery(), ft.getInput(0)),
          asBuffer(b, loc, op.getKey(), ft.getInput(1)),
          asBuffer(b, loc, op.getValue(), ft.getInput(2)),
          memref::CastOp::create(b, loc, ft.getInput(3), out),
          exclude,
          constantArray<int64_t>(b, loc, ip, b.getI64Type(), ft.getInput(5)),
          constantArray<double>(b, loc, fp, b.getF64Type(), ft.getInput(6))});
  Value result = convertFloats(
      b, loc,
      bufferization::ToTensorOp::create(b, loc, f32Type, out,
                                        /*restrict=*/true, /*writable=*/true),
      cast<FloatType>(resultType.getElementType()));
  op.replaceAllUsesWith(result);
  op.erase();
  return success();
}
