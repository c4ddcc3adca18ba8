//===- LinalgToCpuKernels.cpp - f32 contractions to the CPU GEMM kernel ---===//
//
// Every f32 linalg contraction on static tensors (linalg.matmul,
// linalg.batch_matmul, and linalg.generic ops that compute
// C[batch.., m, n] += A[.., m, .., k] * B[.., k, .., n] with operand maps
// that are projected permutations) with enough work becomes a call of the
// kernel library's attune_gemm_f32. The layouts of the operands become
// strides of rank-3 [batch, rows, cols] views (memref.reinterpret_cast of
// the operand buffers), so transposed and broadcast operands are read in
// place, including an A or B produced by linalg.transpose (the transpose
// then goes away); batch dims that do not flatten into one strided dim
// become scf.for loops around the call. A zero (or undefined) init is
// overwritten, any other init is passed as the addend C0.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/AttnToCpuKernels/KernelCalls.h"
#include "passes/Conversion/Passes.h"

#include "attune/Runtime/CpuKernels.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTLINALGTOCPUKERNELSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr StringLiteral kGemmKernel = "attune_gemm_f32";
enum Operand { kA = 0, kB = 1, kC = 2 };

/// A contraction the kernel runs.
struct Contraction {
  linalg::LinalgOp op;
  unsigned m = 0, n = 0, k = 0;
  /// Batch loop dims of size > 1, in the order of the result's dims
  /// (including m / n dims beyond the first, see match()).
  SmallVector<unsigned> batch;
  SmallVector<int64_t> sizes; // static loop ranges
  /// strides[operand][loop dim]: element stride of the operand's row-major
  /// buffer along the loop dim (0 where the operand does not depend on it).
  /// The init C0 has the result's shape and map, hence its strides.
  SmallVector<int64_t> strides[3];
  /// The tensors read for A, B, C0: the operands, or the input of a
  /// linalg.transpose that produced A or B (read through permuted strides).
  Value sources[3];
  bool accumulate = false;
};

bool isStaticF32(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && rt.hasStaticShape() && rt.getElementType().isF32();
}

/// A static f32, f16 or bf16 tensor: what A and B may be (16-bit inputs are
/// widened to f32 for the kernel, as an f16 MatMul's f32 accumulation reads
/// them).
bool isStaticInput(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt || !rt.hasStaticShape())
    return false;
  Type e = rt.getElementType();
  return e.isF32() || e.isF16() || e.isBF16();
}

/// `v`, or the block argument an arith.extf to f32 widens.
Value throughExt(Value v) {
  if (auto ext = v.getDefiningOp<arith::ExtFOp>();
      ext && ext.getType().isF32())
    return ext.getIn();
  return v;
}

/// The body is exactly yield(addf(out, mulf(in0, in1))), in any operand
/// order (what linalg.matmul and the reference decompositions build), where
/// a 16-bit input may be widened first (extf: an f16 MatMul accumulating
/// in f32).
bool isMulAddBody(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  if (!body || body->getNumArguments() != 3)
    return false;
  size_t exts = 0;
  for (Operation &o : body->getOperations())
    exts += isa<arith::ExtFOp>(o);
  if (exts > 2 || !llvm::hasNItems(body->getOperations(), 3 + exts))
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!yield || yield->getNumOperands() != 1)
    return false;
  auto addOp = yield->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!addOp)
    return false;
  Value a0 = body->getArgument(0), a1 = body->getArgument(1),
        acc = body->getArgument(2);
  Value other;
  if (addOp.getLhs() == acc)
    other = addOp.getRhs();
  else if (addOp.getRhs() == acc)
    other = addOp.getLhs();
  else
    return false;
  auto mulOp = other.getDefiningOp<arith::MulFOp>();
  if (!mulOp)
    return false;
  Value l = throughExt(mulOp.getLhs()), r = throughExt(mulOp.getRhs());
  return (l == a0 && r == a1) || (l == a1 && r == a0);
}

/// Whether the contraction may overwrite its init instead of adding to it:
/// zeros (a fill or a splat constant), or undefined contents.
bool isZeroInit(Value init) {
  if (init.getDefiningOp<tensor::EmptyOp>())
    return true;
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(init, m_AnyZeroFloat());
}

std::optional<Contraction> match(linalg::LinalgOp op, int64_t minMacs) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op->getNumResults() != 1)
    return std::nullopt;
  if (!isStaticInput(op->getOperand(kA).getType()) ||
      !isStaticInput(op->getOperand(kB).getType()) ||
      !isStaticF32(op->getOperand(kC).getType()) ||
      !isStaticF32(op->getResult(0).getType()))
    return std::nullopt;
  if (!linalg::isaContractionOpInterface(op) || !isMulAddBody(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() ||
      dims->k.size() != 1 ||
      dims->batch.size() + dims->m.size() + dims->n.size() + 1 !=
          static_cast<size_t>(op.getNumLoops()))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (AffineMap map : maps)
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return std::nullopt;

  Contraction c;
  c.op = op;
  c.k = dims->k[0];
  // Of several m (n) dims, the innermost one of the result is the kernel's
  // m (n); the others index only one input, which the kernel broadcasts
  // over them as over a batch dim (stride 0).
  SmallVector<unsigned> batchLike(dims->batch.begin(), dims->batch.end());
  for (AffineExpr expr : maps[kC].getResults()) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    if (llvm::is_contained(dims->m, d))
      c.m = d;
    if (llvm::is_contained(dims->n, d))
      c.n = d;
  }
  for (unsigned d : llvm::concat<unsigned>(dims->m, dims->n))
    if (d != c.m && d != c.n)
      batchLike.push_back(d);
  c.sizes = op.getStaticLoopRanges();
  int64_t macs = 1;
  for (int64_t s : c.sizes) {
    if (ShapedType::isDynamic(s) || s == 0)
      return std::nullopt;
    macs *= s;
  }
  if (macs < minMacs)
    return std::nullopt;
  for (int operand = 0; operand < 3; ++operand) {
    Value source = op->getOperand(operand);
    // Dim i of the operand is dim perm[i] of the tensor read.
    SmallVector<int64_t> perm =
        llvm::to_vector(llvm::seq<int64_t>(0, maps[operand].getNumResults()));
    if (auto t = source.getDefiningOp<linalg::TransposeOp>();
        t && operand != kC && t.hasPureTensorSemantics()) {
      source = t.getInput();
      perm = llvm::to_vector(t.getPermutation());
    }
    auto type = cast<RankedTensorType>(source.getType());
    SmallVector<int64_t> rowMajor(type.getRank(), 1);
    for (int64_t d = type.getRank() - 2; d >= 0; --d)
      rowMajor[d] = rowMajor[d + 1] * type.getDimSize(d + 1);
    c.sources[operand] = source;
    c.strides[operand].assign(op.getNumLoops(), 0);
    for (auto [i, expr] : llvm::enumerate(maps[operand].getResults()))
      c.strides[operand][cast<AffineDimExpr>(expr).getPosition()] =
          rowMajor[perm[i]];
  }
  for (AffineExpr expr : maps[kC].getResults()) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    if (llvm::is_contained(batchLike, d) && c.sizes[d] > 1)
      c.batch.push_back(d);
  }
  c.accumulate = !isZeroInit(op.getDpsInits()[0]);
  return c;
}

MemRefType kernelOperandType(MLIRContext *ctx) {
  int64_t dyn = ShapedType::kDynamic;
  return MemRefType::get(
      {dyn, dyn, dyn}, Float32Type::get(ctx),
      StridedLayoutAttr::get(ctx, dyn, ArrayRef<int64_t>{dyn, dyn, dyn}));
}

/// func.func private @attune_gemm_f32(A, B, C0, C, flags)
///     attributes {llvm.emit_c_interface}
func::FuncOp declareKernel(ModuleOp module, OpBuilder &b) {
  if (auto f = module.lookupSymbol<func::FuncOp>(kGemmKernel))
    return f;
  MLIRContext *ctx = module.getContext();
  Type m = kernelOperandType(ctx);
  auto type = FunctionType::get(ctx, {m, m, m, m, IntegerType::get(ctx, 64)},
                                {});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto f = func::FuncOp::create(b, module.getLoc(), kGemmKernel, type);
  f.setPrivate();
  f->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  return f;
}

/// `buffer` seen as [batch, rows, cols] with the given strides, starting
/// `offset` elements in, cast to the kernel's operand type.
Value view(OpBuilder &b, Location loc, Value buffer, OpFoldResult offset,
           ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides) {
  MLIRContext *ctx = b.getContext();
  std::optional<int64_t> staticOffset = getConstantIntValue(offset);
  auto layout = StridedLayoutAttr::get(
      ctx, staticOffset ? *staticOffset : ShapedType::kDynamic, strides);
  auto type = MemRefType::get(sizes, b.getF32Type(), layout);
  SmallVector<OpFoldResult> sizeAttrs, strideAttrs;
  for (int64_t s : sizes)
    sizeAttrs.push_back(b.getIndexAttr(s));
  for (int64_t s : strides)
    strideAttrs.push_back(b.getIndexAttr(s));
  Value cast = memref::ReinterpretCastOp::create(b, loc, type, buffer, offset,
                                                 sizeAttrs, strideAttrs);
  return memref::CastOp::create(b, loc, kernelOperandType(ctx), cast);
}

void lower(const Contraction &c, func::FuncOp kernel) {
  Operation *op = c.op;
  Location loc = op->getLoc();
  OpBuilder b(op);
  // A 16-bit A or B is widened into a fresh f32 buffer where it is read.
  auto asBuffer = [&](Value tensor) {
    return kernels::readBuffer(b, loc, tensor, b.getF32Type());
  };
  Value a = asBuffer(c.sources[kA]);
  Value bb = asBuffer(c.sources[kB]);
  Value c0 = c.accumulate ? asBuffer(c.sources[kC]) : Value();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  Value out = memref::AllocOp::create(
      b, loc, MemRefType::get(resultType.getShape(), b.getF32Type()));

  // The innermost batch dims that flatten into one strided dim for every
  // operand form the kernel's batch; the others are loops around the call.
  int64_t kernelBatch = 1;
  int64_t batchStride[3] = {0, 0, 0};
  size_t firstKernelDim = c.batch.size();
  if (!c.batch.empty()) {
    unsigned inner = c.batch.back();
    kernelBatch = c.sizes[inner];
    for (int o = 0; o < 3; ++o)
      batchStride[o] = c.strides[o][inner];
    firstKernelDim = c.batch.size() - 1;
    while (firstKernelDim > 0) {
      unsigned d = c.batch[firstKernelDim - 1],
               g = c.batch[firstKernelDim];
      bool flat = llvm::all_of(llvm::seq(0, 3), [&](int o) {
        return c.strides[o][d] == c.strides[o][g] * c.sizes[g];
      });
      if (!flat)
        break;
      kernelBatch *= c.sizes[d];
      --firstKernelDim;
    }
  }

  // Loops over the remaining batch dims; offsets of each operand.
  OpFoldResult offsets[3] = {b.getIndexAttr(0), b.getIndexAttr(0),
                             b.getIndexAttr(0)};
  OpBuilder::InsertionGuard guard(b);
  for (size_t i = 0; i < firstKernelDim; ++i) {
    unsigned d = c.batch[i];
    Value lb = arith::ConstantIndexOp::create(b, loc, 0);
    Value ub = arith::ConstantIndexOp::create(b, loc, c.sizes[d]);
    Value step = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(b, loc, lb, ub, step);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    Value iv = loop.getInductionVar();
    for (int o = 0; o < 3; ++o) {
      if (c.strides[o][d] == 0)
        continue;
      Value scaled = arith::MulIOp::create(
          b, loc, iv,
          arith::ConstantIndexOp::create(b, loc, c.strides[o][d]));
      if (isZeroInteger(offsets[o])) {
        offsets[o] = scaled;
        continue;
      }
      Value prev = getValueOrCreateConstantIndexOp(b, loc, offsets[o]);
      offsets[o] = arith::AddIOp::create(b, loc, prev, scaled).getResult();
    }
  }

  const int64_t M = c.sizes[c.m], N = c.sizes[c.n], K = c.sizes[c.k];
  Value av = view(b, loc, a, offsets[kA], {kernelBatch, M, K},
                  {batchStride[kA], c.strides[kA][c.m], c.strides[kA][c.k]});
  Value bv = view(b, loc, bb, offsets[kB], {kernelBatch, K, N},
                  {batchStride[kB], c.strides[kB][c.k], c.strides[kB][c.n]});
  SmallVector<int64_t> cStrides = {batchStride[kC], c.strides[kC][c.m],
                                   c.strides[kC][c.n]};
  Value cv = view(b, loc, out, offsets[kC], {kernelBatch, M, N}, cStrides);
  // Without an addend the kernel never reads C0: pass C.
  Value c0v = c.accumulate ? view(b, loc, c0, offsets[kC],
                                  {kernelBatch, M, N}, cStrides)
                           : cv;
  int64_t flags = (int64_t(ATTUNE_GEMM_ABI_VERSION) << 8) |
                  (c.accumulate ? ATTUNE_GEMM_ACCUMULATE : 0);
  Value flagsV = arith::ConstantIntOp::create(b, loc, flags, 64);
  func::CallOp::create(b, loc, kernel, ValueRange{av, bv, c0v, cv, flagsV});

  b.setInsertionPoint(op);
  Value result = bufferization::ToTensorOp::create(b, loc, resultType, out,
                                                   /*restrict=*/true,
                                                   /*writable=*/true);
  op->getResult(0).replaceAllUsesWith(result);
  op->erase();
}

/// Erases `v`'s producer and, transitively, its operands' producers once
/// they have no uses left (the fill / empty of an overwritten init, a
/// transpose read through strides), so that bufferization allocates and
/// computes nothing for them.
void eraseIfDead(Value v) {
  SmallVector<Operation *> work;
  if (Operation *def = v.getDefiningOp())
    work.push_back(def);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    // Only what an init is made of: never another (contraction) op.
    if (!isa<linalg::FillOp, linalg::TransposeOp, tensor::EmptyOp,
             arith::ConstantOp>(op) ||
        !isOpTriviallyDead(op))
      continue;
    SmallVector<Value> operands(op->getOperands());
    op->erase();
    for (Value o : operands)
      if (Operation *def = o.getDefiningOp())
        work.push_back(def);
  }
}

struct ConvertLinalgToCpuKernelsPass
    : attn::impl::ConvertLinalgToCpuKernelsPassBase<
          ConvertLinalgToCpuKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Matched one by one as they are lowered: an earlier rewrite replaces
    // the values later contractions read. Fills and transposes are never
    // contractions, and eraseIfDead may remove them.
    SmallVector<linalg::LinalgOp> candidates;
    module.walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::FillOp, linalg::TransposeOp>(op))
        candidates.push_back(op);
    });
    OpBuilder b(module.getContext());
    func::FuncOp kernel;
    for (linalg::LinalgOp op : candidates) {
      std::optional<Contraction> c = match(op, minMacs);
      if (!c)
        continue;
      if (!kernel)
        kernel = declareKernel(module, b);
      SmallVector<Value> operands(op->getOperands());
      lower(*c, kernel);
      for (Value v : operands)
        eraseIfDead(v);
    }
  }
};

} // namespace
