//===- LowerStridedCopies.cpp - strided memref.copy as memcpy blocks -----===//
//
// finalize-memref-to-llvm turns a memref.copy into one memcpy only when both
// sides are contiguous; any other copy becomes a call of the runtime's
// generic `memrefCopy`, which moves one element at a time with a descriptor
// walk per element (about 4 ns each: 25 ms for the 6M floats of a
// Concat(past_key, new) on a 4K cache). Strided copies come from
// bufferizing tensor.insert_slice / extract_slice (Concat, Pad, Slice), where
// the rows are contiguous and only the outer dimensions jump. This pass
// rewrites such a copy into loops over the outer dimensions around a copy of
// the largest block that is contiguous on both sides, which the LLVM
// lowering emits as a memcpy of a constant size. With `kernel-calls`, f32
// copies of at least `min-call-bytes` (contiguous ones included) become a
// call of the kernel library's `attune_copy_f32`, which splits them over the
// kernel threads (one core's memcpy reaches about half the machine's copy
// bandwidth).
//
// A linalg.transpose on buffers that keeps the innermost dimension in place
// (the head split [B, S, H, D] -> [B, H, S, D] and merge of every exported
// transformer) is first rewritten into a memref.copy from a transposed view
// of its input, so that it moves whole rows the same way instead of one
// element at a time through convert-linalg-to-loops.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"

namespace mlir::attn {
#define GEN_PASS_DEF_LOWERSTRIDEDCOPIESPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

/// True when finalize-memref-to-llvm already copies `t` with one memcpy (the
/// same test as its MemRefCopyOpLowering).
static bool isMemcpyable(MemRefType t) {
  return t.getLayout().isIdentity() ||
         (t.hasStaticShape() && t.getNumElements() > 0 &&
          memref::isStaticShapeAndContiguousRowMajor(t));
}

/// Static strides of `t`, or failure when it has none or a dynamic one.
static FailureOr<SmallVector<int64_t>> staticStrides(MemRefType t) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(t.getStridesAndOffset(strides, offset)) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return failure();
  return strides;
}

/// Rewrites `copy` into loops around contiguous block copies; leaves it
/// alone when it is already a memcpy or its layout is not static.
static void lowerCopy(memref::CopyOp copy) {
  auto st = dyn_cast<MemRefType>(copy.getSource().getType());
  auto dt = dyn_cast<MemRefType>(copy.getTarget().getType());
  if (!st || !dt || !st.hasStaticShape() || st.getRank() == 0 ||
      st.getNumElements() == 0 || (isMemcpyable(st) && isMemcpyable(dt)))
    return;
  FailureOr<SmallVector<int64_t>> ss = staticStrides(st),
                                  ds = staticStrides(dt);
  if (failed(ss) || failed(ds))
    return;
  ArrayRef<int64_t> shape = st.getShape();
  int64_t rank = st.getRank();
  // The block: the innermost dimensions [inner, rank) that are row-major
  // contiguous on both sides (unit dimensions never break contiguity).
  int64_t inner = rank, sRun = 1, dRun = 1;
  while (inner > 0) {
    int64_t d = inner - 1;
    if (shape[d] != 1 && ((*ss)[d] != sRun || (*ds)[d] != dRun))
      break;
    sRun *= shape[d];
    dRun *= shape[d];
    inner = d;
  }
  if (inner == 0)
    return; // contiguous after all (e.g. an identity layout with an offset)

  OpBuilder b(copy);
  Location loc = copy.getLoc();
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value zero = index(0), one = index(1);
  // One loop per outer dimension longer than 1 (constants hoisted before the
  // loops); unit dimensions index 0.
  SmallVector<Value> bounds(inner);
  for (int64_t d = 0; d < inner; ++d)
    if (shape[d] != 1)
      bounds[d] = index(shape[d]);
  SmallVector<Value> ivs;
  for (int64_t d = 0; d < inner; ++d) {
    if (shape[d] == 1) {
      ivs.push_back(Value());
      continue;
    }
    auto loop = scf::ForOp::create(b, loc, zero, bounds[d], one);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    ivs.push_back(loop.getInductionVar());
  }
  if (inner == rank) {
    // Not even the innermost dimension is contiguous: element by element,
    // which LLVM still compiles far better than the runtime's walk.
    SmallVector<Value> at;
    for (Value iv : ivs)
      at.push_back(iv ? iv : zero);
    Value v = memref::LoadOp::create(b, loc, copy.getSource(), at);
    memref::StoreOp::create(b, loc, v, copy.getTarget(), at);
  } else {
    SmallVector<OpFoldResult> offsets, sizes, strides(rank, b.getIndexAttr(1));
    for (int64_t d = 0; d < rank; ++d) {
      bool looped = d < inner && ivs[d];
      offsets.push_back(looped ? OpFoldResult(ivs[d]) : b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(d < inner ? 1 : shape[d]));
    }
    Value src = memref::SubViewOp::create(b, loc, copy.getSource(), offsets,
                                          sizes, strides);
    Value dst = memref::SubViewOp::create(b, loc, copy.getTarget(), offsets,
                                          sizes, strides);
    memref::CopyOp::create(b, loc, src, dst);
  }
  copy.erase();
}

static constexpr StringLiteral kCopyKernel = "attune_copy_f32";

/// The kernel library's copy when `copy` is an f32 copy of at least
/// `minBytes` on static shapes; returns whether it replaced the copy.
static bool callKernel(memref::CopyOp copy, int64_t minBytes) {
  auto st = dyn_cast<MemRefType>(copy.getSource().getType());
  auto dt = dyn_cast<MemRefType>(copy.getTarget().getType());
  if (!st || !dt || !st.getElementType().isF32() || !st.hasStaticShape() ||
      st.getNumElements() * 4 < minBytes)
    return false;
  auto module = copy->getParentOfType<ModuleOp>();
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  auto unranked = UnrankedMemRefType::get(b.getF32Type(), /*memorySpace=*/0);
  if (!module.lookupSymbol<func::FuncOp>(kCopyKernel)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto decl = func::FuncOp::create(
        b, loc, kCopyKernel, b.getFunctionType({unranked, unranked}, {}));
    decl.setPrivate();
    decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  Value src = memref::CastOp::create(b, loc, unranked, copy.getSource());
  Value dst = memref::CastOp::create(b, loc, unranked, copy.getTarget());
  func::CallOp::create(b, loc, kCopyKernel, TypeRange{}, ValueRange{src, dst});
  copy.erase();
  return true;
}

/// Rewrites `t` (on buffers, innermost dimension kept) into a memref.copy
/// from the transposed view of its input, where the copy lowers to row
/// blocks: static strides on both sides, or a kernel call (`minBytes` > 0)
/// for a large f32 transpose; leaves `t` alone otherwise.
static void transposeAsCopy(linalg::TransposeOp t, int64_t minBytes) {
  if (!t.hasPureBufferSemantics())
    return;
  auto in = dyn_cast<MemRefType>(t.getInput().getType());
  auto out = dyn_cast<MemRefType>(t.getInit().getType());
  ArrayRef<int64_t> perm = t.getPermutation();
  // Whole-byte elements only (i1 buffers keep the element loops).
  if (!in || !out || !in.hasStaticShape() || in.getRank() < 2 ||
      perm.back() != in.getRank() - 1 ||
      !in.getElementType().isIntOrFloat() ||
      in.getElementType().getIntOrFloatBitWidth() % 8 != 0)
    return;
  bool kernelCall = minBytes > 0 && in.getElementType().isF32() &&
                    in.getNumElements() * 4 >= minBytes;
  if (!kernelCall && (failed(staticStrides(in)) || failed(staticStrides(out))))
    return;
  OpBuilder b(t);
  SmallVector<unsigned> p(perm.begin(), perm.end());
  Value view = memref::TransposeOp::create(
      b, t.getLoc(), t.getInput(),
      AffineMapAttr::get(AffineMap::getPermutationMap(p, b.getContext())));
  memref::CopyOp::create(b, t.getLoc(), view, t.getInit());
  t.erase();
}

namespace {
struct LowerStridedCopiesPass
    : attn::impl::LowerStridedCopiesPassBase<LowerStridedCopiesPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<linalg::TransposeOp> transposes;
    getOperation().walk([&](linalg::TransposeOp t) { transposes.push_back(t); });
    for (linalg::TransposeOp t : transposes)
      transposeAsCopy(t, kernelCalls ? minCallBytes : 0);
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp c : copies)
      if (!kernelCalls || !callKernel(c, minCallBytes))
        lowerCopy(c);
  }
};
} // namespace
