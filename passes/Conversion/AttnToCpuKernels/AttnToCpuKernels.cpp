//===- AttnToCpuKernels.cpp - attn ops to the CPU kernel library ----------===//
//
// Each supported attn.sdpa becomes: its operands as read-only buffers, an
// output buffer, a call of the kernel library's attune_sdpa_f32 (C interface:
// memref descriptors + i64/f64 parameter arrays, layout in
// include/attune/Runtime/CpuKernels.h), and the output back as a tensor.
// One-shot bufferization then treats the call as an opaque memref user.
// attn.block_select becomes a call of attune_block_select_f32 the same way
// (its reference decomposition materializes Lq x Lk scores for SALE and
// ranks blocks by all-pairs comparison). attn.agent becomes two attention
// calls around its pooled agent tokens; attn.recycle's full-step selection
// is a call of attune_recycle_topk_f32.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/AttnToCpuKernels/KernelCalls.h"
#include "passes/Conversion/Passes.h"

#include "dialects/Attn/IR/AttnDecompose.h"

#include "attune/Runtime/CpuKernels.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOCPUKERNELSPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::kernels;

namespace {

constexpr StringLiteral kSdpaKernel = "attune_sdpa_f32";
constexpr StringLiteral kSelectKernel = "attune_block_select_f32";
constexpr StringLiteral kRecycleTopKKernel = "attune_recycle_topk_f32";

/// Why the kernel cannot run `op` (empty: it can).
std::string unsupportedReason(SdpaOp op) {
  if (!kernelFloat(op.getQuery().getType()) ||
      !kernelFloat(op.getKey().getType()) ||
      !kernelFloat(op.getValue().getType()) || !kernelFloat(op.getType()))
    return "not f32, f16 or bf16";
  for (Value v : {op.getQuery(), op.getKey(), op.getValue()})
    if (!cast<RankedTensorType>(v.getType()).hasStaticShape() ||
        cast<RankedTensorType>(v.getType()).getRank() != 4)
      return "not a static 4-D shape";
  if (op.getCompensation()) {
    // The kernel keeps the dropped keys' sums as sliding ranges: the dropped
    // set must be ranges (no dilation, block map or boolean mask); ACT with
    // a compensation token is an error the reference reports.
    WindowAttr w = op.getWindowAttr();
    Value m = op.getMask();
    if (!w || w.getDilation() > 1 || op.getBlockMask() ||
        (m &&
         cast<RankedTensorType>(m.getType()).getElementType().isInteger(1)) ||
        isa_and_nonnull<ActAttr>(op.getScoreModAttr()))
      return "compensation token with dilation, a block map, a boolean "
             "mask or ACT";
  }
  if (Value m = op.getMask(); m && !kernelMask(m))
    return "mask element type";
  return "";
}

bool supported(SdpaOp op) { return unsupportedReason(op).empty(); }

bool supported(RecycleOp op) {
  // f32, or f16 / bf16 run in f32 (asBuffer converts the operands).
  auto ok = [](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return kernelFloat(t) && t.hasStaticShape();
  };
  if (!ok(op.getQuery()) || !ok(op.getKey()) || !ok(op.getValue()))
    return false;
  Value m = op.getMask();
  return !m || kernelMask(m);
}

bool supported(AgentOp op) {
  return kernelTensor4(op.getQuery()) && kernelTensor4(op.getKey()) &&
         kernelTensor4(op.getValue()) && kernelFloat(op.getType()) &&
         op.getNumAgents() >= 1 &&
         static_cast<int64_t>(op.getNumAgents()) <=
             op.getQuery().getType().getDimSize(2);
}

bool supported(BlockSelectOp op) {
  return kernelTensor4(op.getQuery()) && kernelTensor4(op.getKey()) &&
         op.getType().hasStaticShape();
}

/// func.func private @attune_block_select_f32(q, k, out, iparams, fparams)
func::FuncOp declareSelectKernel(ModuleOp module, OpBuilder &b) {
  Type f32 = b.getF32Type(), i1 = b.getI1Type();
  return declareKernelFunc(module, b, kSelectKernel,
                           {dynMemRef(4, f32), dynMemRef(4, f32),
                            dynMemRef(4, i1), dynMemRef(1, b.getI64Type()),
                            dynMemRef(1, b.getF64Type())});
}

/// func.func private @attune_recycle_topk_f32(scores, full, kept, iparams)
func::FuncOp declareRecycleTopKKernel(ModuleOp module, OpBuilder &b) {
  return declareKernelFunc(
      module, b, kRecycleTopKKernel,
      {dynMemRef(4, b.getF32Type()), dynMemRef(1, b.getI1Type()),
       dynMemRef(3, b.getI64Type()), dynMemRef(1, b.getI64Type())});
}

/// func.func private @attune_sdpa_f32(q, k, v, out, mask_f32, mask_i1,
/// block_mask, kv_index, tail_start, k_tail, v_tail, row_scores, iparams,
/// fparams); with f16 / bf16 `kv`, @attune_sdpa_f32_kvf16 / _kvbf16, whose
/// k, v, k_tail and v_tail are memrefs of that type (the kernel reads a
/// 16-bit KV cache at its own width).
func::FuncOp declareKernel(ModuleOp module, OpBuilder &b, Type kv = {}) {
  Type f4 = dynMemRef(4, b.getF32Type()), b4 = dynMemRef(4, b.getI1Type());
  Type i1d = dynMemRef(1, b.getI64Type());
  std::string name = kSdpaKernel.str();
  Type kv4 = f4;
  if (kv && (kv.isF16() || kv.isBF16())) {
    name += kv.isF16() ? "_kvf16" : "_kvbf16";
    kv4 = dynMemRef(4, kv);
  }
  return declareKernelFunc(module, b, name,
                           {f4, kv4, kv4, f4, f4, b4, b4,
                            dynMemRef(3, b.getI64Type()), i1d, kv4, kv4, f4,
                            i1d, dynMemRef(1, b.getF64Type())});
}

/// Left-pads a tensor's shape with unit dims to rank 4.
Value toRank4(OpBuilder &b, Location loc, Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  int64_t r = t.getRank();
  if (r == 4)
    return v;
  SmallVector<int64_t> shape(4 - r, 1);
  llvm::append_range(shape, t.getShape());
  SmallVector<ReassociationIndices> groups;
  if (r == 0)
    return tensor::ReshapeOp::create(
        b, loc, RankedTensorType::get(shape, t.getElementType()), v,
        arith::ConstantOp::create(
            b, loc,
            DenseIntElementsAttr::get(
                RankedTensorType::get({4}, b.getI64Type()),
                ArrayRef<int64_t>{1, 1, 1, 1})));
  for (int64_t i = 0; i < r; ++i) {
    ReassociationIndices g;
    if (i == 0)
      for (int64_t k = 0; k < 4 - r; ++k)
        g.push_back(k);
    g.push_back(4 - r + i);
    groups.push_back(g);
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, t.getElementType()), v, groups);
}

/// One kernel call: operands (tensors; null when absent) and parameters.
struct KernelCall {
  Value q, k, v, mask, blockMask, kvIndex, tailStart;
  Value kTail, vTail; // second pieces of K and V (ATTUNE_SDPA_I_KV_SPLIT)
  SmallVector<int64_t> ip = SmallVector<int64_t>(ATTUNE_SDPA_I_COUNT, 0);
  SmallVector<double> fp = SmallVector<double>(ATTUNE_SDPA_F_COUNT, 0.0);
  RankedTensorType resultType;
  /// Also return the last query row's scores, [B, Hq, 1, Lk] f32
  /// (ATTUNE_SDPA_I_HAS_ROW_SCORES), in `rowScores`.
  bool wantRowScores = false;
  Value rowScores;
};

/// The attributes every attention op shares with attn.sdpa.
void setCommon(KernelCall &c, CausalKind causal, double scale,
               std::optional<APFloat> softcap) {
  c.ip[ATTUNE_SDPA_I_VERSION] = ATTUNE_SDPA_ABI_VERSION;
  switch (causal) {
  case CausalKind::none:
    c.ip[ATTUNE_SDPA_I_CAUSAL] = ATTUNE_CAUSAL_NONE;
    break;
  case CausalKind::top_left:
    c.ip[ATTUNE_SDPA_I_CAUSAL] = ATTUNE_CAUSAL_TOP_LEFT;
    break;
  case CausalKind::bottom_right:
    c.ip[ATTUNE_SDPA_I_CAUSAL] = ATTUNE_CAUSAL_BOTTOM_RIGHT;
    break;
  }
  c.fp[ATTUNE_SDPA_F_SCALE] = scale;
  if (softcap)
    c.fp[ATTUNE_SDPA_F_SOFTCAP] = softcap->convertToDouble();
}

/// Appends the per-head flags (sparse, ZeroTuning) after the fixed params.
void setHeadFlags(KernelCall &c, int64_t hq, function_ref<bool(int64_t)> sparse,
                  function_ref<bool(int64_t)> zeroTuning) {
  c.ip[ATTUNE_SDPA_I_HAS_HEAD_FLAGS] = 1;
  for (int64_t h = 0; h < hq; ++h)
    c.ip.push_back(sparse(h));
  for (int64_t h = 0; h < hq; ++h)
    c.ip.push_back(zeroTuning(h));
}

Value emitCall(OpBuilder &b, Location loc, func::FuncOp kernel, KernelCall &c) {
  // 16-bit keys and values go to the kernel as they are (the decode kernel
  // reads them at their width; the tiled one widens them itself).
  Type kv = cast<RankedTensorType>(c.k.getType()).getElementType();
  if ((kv.isF16() || kv.isBF16()) &&
      cast<RankedTensorType>(c.v.getType()).getElementType() == kv)
    kernel = declareKernel(kernel->getParentOfType<ModuleOp>(), b, kv);
  FunctionType ft = kernel.getFunctionType();
  Value maskAdd = placeholder(b, loc, ft.getInput(4));
  Value maskBool = placeholder(b, loc, ft.getInput(5));
  if (c.mask) {
    Value m4 = toRank4(b, loc, c.mask);
    if (isa<FloatType>(
            cast<RankedTensorType>(c.mask.getType()).getElementType())) {
      c.ip[ATTUNE_SDPA_I_MASK_KIND] = ATTUNE_MASK_ADD;
      maskAdd = asBuffer(b, loc, m4, ft.getInput(4));
    } else {
      c.ip[ATTUNE_SDPA_I_MASK_KIND] = ATTUNE_MASK_BOOL;
      maskBool = asBuffer(b, loc, m4, ft.getInput(5));
    }
  }
  Value blockMask = c.blockMask ? asBuffer(b, loc, toRank4(b, loc, c.blockMask),
                                           ft.getInput(6))
                                : placeholder(b, loc, ft.getInput(6));
  Value kvIndex = placeholder(b, loc, ft.getInput(7));
  Value tail = placeholder(b, loc, ft.getInput(8));
  if (c.kvIndex) {
    c.ip[ATTUNE_SDPA_I_HAS_KV_INDEX] = 1;
    kvIndex = asBuffer(b, loc, c.kvIndex, ft.getInput(7));
    tail = asBuffer(b, loc, c.tailStart, ft.getInput(8));
  }
  Value q = asBuffer(b, loc, c.q, ft.getInput(0));
  Value k = asBuffer(b, loc, c.k, ft.getInput(1));
  Value v = asBuffer(b, loc, c.v, ft.getInput(2));
  Value kTail = c.kTail ? asBuffer(b, loc, c.kTail, ft.getInput(9))
                        : placeholder(b, loc, ft.getInput(9));
  Value vTail = c.vTail ? asBuffer(b, loc, c.vTail, ft.getInput(10))
                        : placeholder(b, loc, ft.getInput(10));
  auto outType =
      MemRefType::get(c.resultType.getShape(), c.resultType.getElementType());
  Value out = memref::AllocOp::create(b, loc, outType);
  Value outArg = memref::CastOp::create(b, loc, ft.getInput(3), out);
  Value scores, scoresArg;
  RankedTensorType scoresType;
  if (!c.wantRowScores) {
    scoresArg = placeholder(b, loc, ft.getInput(11));
  } else {
    c.ip[ATTUNE_SDPA_I_HAS_ROW_SCORES] = 1;
    auto qt = cast<RankedTensorType>(c.q.getType());
    scoresType = RankedTensorType::get(
        {qt.getDimSize(0), qt.getDimSize(1), 1,
         cast<RankedTensorType>(c.k.getType()).getDimSize(2) +
             (c.kTail ? cast<RankedTensorType>(c.kTail.getType()).getDimSize(2)
                      : 0)},
        b.getF32Type());
    scores = memref::AllocOp::create(
        b, loc, MemRefType::get(scoresType.getShape(), b.getF32Type()));
    scoresArg = memref::CastOp::create(b, loc, ft.getInput(11), scores);
  }
  Value iparams =
      constantArray<int64_t>(b, loc, c.ip, b.getI64Type(), ft.getInput(12));
  Value fparams =
      constantArray<double>(b, loc, c.fp, b.getF64Type(), ft.getInput(13));
  func::CallOp::create(b, loc, kernel,
                       ValueRange{q, k, v, outArg, maskAdd, maskBool, blockMask,
                                  kvIndex, tail, kTail, vTail, scoresArg,
                                  iparams, fparams});
  if (scores)
    c.rowScores = bufferization::ToTensorOp::create(b, loc, scoresType, scores,
                                                    /*restrict=*/true,
                                                    /*writable=*/true);
  return bufferization::ToTensorOp::create(b, loc, c.resultType, out,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

/// K and V given as Concat(past, new) along the key axis (an exported
/// decoder's KV cache) are passed as their two pieces, so that a decode step
/// reads the cache in place instead of a fresh copy of it (the Concat stays
/// only if something else uses it). Only where the kernel takes its decode
/// path (key subsets, or at most 8 query rows per key/value head), which
/// addresses keys row by row; ACT always runs the tiled kernel.
void splitConcatenatedKV(KernelCall &c) {
  if (c.ip[ATTUNE_SDPA_I_HAS_ACT])
    return;
  auto qt = cast<RankedTensorType>(c.q.getType());
  auto kt = cast<RankedTensorType>(c.k.getType());
  int64_t rows = qt.getDimSize(2) * (qt.getDimSize(1) / kt.getDimSize(1));
  if (!c.kvIndex && rows > 8)
    return;
  auto pieces = [](Value x) -> onnx::NodeOp {
    auto n = x.getDefiningOp<onnx::NodeOp>();
    if (!n || n.getName() != "Concat" || n.getInputs().size() != 2)
      return {};
    int64_t axis = n.getIntAttr("axis", 0);
    if (axis != 2 && axis != -2)
      return {};
    Type et = cast<RankedTensorType>(x.getType()).getElementType();
    for (Value in : n.getInputs()) {
      auto t = dyn_cast<RankedTensorType>(in.getType());
      if (!t || t.getRank() != 4 || !t.hasStaticShape() ||
          t.getElementType() != et || !kernelFloat(t) ||
          t.getDimSize(2) == 0)
        return {};
    }
    return n;
  };
  onnx::NodeOp kn = pieces(c.k), vn = pieces(c.v);
  if (!kn || !vn)
    return;
  int64_t split =
      cast<RankedTensorType>(kn.getInputs()[0].getType()).getDimSize(2);
  if (cast<RankedTensorType>(vn.getInputs()[0].getType()).getDimSize(2) !=
      split)
    return;
  c.k = kn.getInputs()[0];
  c.kTail = kn.getInputs()[1];
  c.v = vn.getInputs()[0];
  c.vTail = vn.getInputs()[1];
  c.ip[ATTUNE_SDPA_I_KV_SPLIT] = split;
}

void setTiling(KernelCall &c, Operation *op, int64_t tileQ, int64_t tileK) {
  if (auto tiling = op->getAttrOfType<DenseI64ArrayAttr>("attn.tiling");
      tiling && tiling.size() == 2) {
    c.ip[ATTUNE_SDPA_I_TILE_Q] = tiling[0];
    c.ip[ATTUNE_SDPA_I_TILE_K] = tiling[1];
  }
  if (tileQ > 0)
    c.ip[ATTUNE_SDPA_I_TILE_Q] = tileQ;
  if (tileK > 0)
    c.ip[ATTUNE_SDPA_I_TILE_K] = tileK;
}

LogicalResult lowerSdpa(SdpaOp op, func::FuncOp kernel, int64_t tileQ,
                        int64_t tileK) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  KernelCall c;
  // 16-bit operands run in f32 (as the reference computes them): asBuffer
  // converts the query (and a mask) into f32 buffers; 16-bit keys and values
  // go to the kernel as they are (emitCall).
  FloatType f32 = b.getF32Type();
  c.q = op.getQuery();
  c.k = op.getKey();
  c.v = op.getValue();
  c.mask = op.getMask();
  auto resultType = cast<RankedTensorType>(op.getType());
  c.resultType = RankedTensorType::get(resultType.getShape(), f32);
  setCommon(c, op.getCausal(), op.getEffectiveScale(), op.getSoftcap());
  if (Value bm = op.getBlockMask()) {
    c.blockMask = bm;
    c.ip[ATTUNE_SDPA_I_HAS_BLOCK_MASK] = 1;
    ArrayRef<int64_t> bs = *op.getBlockSize();
    c.ip[ATTUNE_SDPA_I_BLOCK_Q] = bs[0];
    c.ip[ATTUNE_SDPA_I_BLOCK_K] = bs[1];
  }
  if (WindowAttr w = op.getWindowAttr()) {
    c.ip[ATTUNE_SDPA_I_HAS_WINDOW] = 1;
    c.ip[ATTUNE_SDPA_I_WINDOW_SINKS] = w.getSinks();
    c.ip[ATTUNE_SDPA_I_WINDOW_LEFT] = w.getLeft();
    c.ip[ATTUNE_SDPA_I_WINDOW_RIGHT] = w.getRight();
    c.ip[ATTUNE_SDPA_I_WINDOW_DILATION] = w.getDilation();
    c.ip[ATTUNE_SDPA_I_WINDOW_CLAMP] = w.getClamp();
  }
  if (op.getCompensation())
    c.ip[ATTUNE_SDPA_I_HAS_COMPENSATION] = 1;
  if (auto zt = dyn_cast_or_null<ZeroTuningAttr>(op.getScoreModAttr())) {
    c.ip[ATTUNE_SDPA_I_HAS_ZERO_TUNING] = 1;
    c.fp[ATTUNE_SDPA_F_ZERO_TUNING_LOG_GAMMA] =
        std::log(zt.getGamma().getValueAsDouble());
  }
  if (auto act = dyn_cast_or_null<ActAttr>(op.getScoreModAttr())) {
    c.ip[ATTUNE_SDPA_I_HAS_ACT] = 1;
    c.fp[ATTUNE_SDPA_F_ACT_BETA] = act.getBeta().getValueAsDouble();
    c.fp[ATTUNE_SDPA_F_ACT_TAU] = act.getTau().getValueAsDouble();
  }
  if (op.getDenseHeads() || op.getScoreModHeads())
    setHeadFlags(
        c, op.getQuery().getType().getDimSize(1),
        [&](int64_t h) { return op.isSparseHead(h); },
        [&](int64_t h) { return op.isScoreModHead(h); });
  setTiling(c, op, tileQ, tileK);
  splitConcatenatedKV(c);
  Value result = convertFloats(b, loc, emitCall(b, loc, kernel, c),
                               cast<FloatType>(resultType.getElementType()));
  op.replaceAllUsesWith(result);
  op.erase();
  return success();
}

/// attn.agent as two dense attentions the kernel runs: the agent tokens A
/// (the means of Q over `num_agents` contiguous segments, the last one
/// taking the remainder: one reduction over each segment's rows), then
/// V_A = sdpa(A, K, V) and O = sdpa(Q, A, V_A), both with the agent's
/// scale: softmax(s Q A^T) softmax(s A K^T) V, computed in O(L n D) by the
/// fused kernel instead of the reference's scalar loops. Returns the two
/// sdpa ops (not yet lowered).
std::pair<SdpaOp, SdpaOp> splitAgent(AgentOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto qt = cast<RankedTensorType>(op.getQuery().getType());
  auto vt = cast<RankedTensorType>(op.getValue().getType());
  const int64_t B = qt.getDimSize(0), H = qt.getDimSize(1);
  const int64_t L = qt.getDimSize(2), D = qt.getDimSize(3);
  const int64_t n = static_cast<int64_t>(op.getNumAgents());
  const int64_t seg = L / n, last = L - (n - 1) * seg;
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // agents[b, h, a, :] = sum_r w[a, r] Q[b, h, a * seg + r, :] over
  // (b, h, a, d, r), with w = 1 / (segment length) for r inside segment a
  // and 0 past it (rows there belong to the next segment; only the last
  // segment reaches r = last - 1, so every row read is inside Q).
  auto f32 = b.getF32Type();
  // 16-bit operands: both attentions and the pooled agents in f32, as the
  // reference decomposition computes them, and only the result rounded. The
  // conversions are tensors made here, before either kernel call, so that
  // no tensor op runs between a call's buffer reads and the call.
  Value query = convertFloats(b, loc, op.getQuery(), f32);
  Value key = convertFloats(b, loc, op.getKey(), f32);
  Value value = convertFloats(b, loc, op.getValue(), f32);
  SmallVector<float> w(n * last, 0.0f);
  for (int64_t ag = 0; ag < n; ++ag) {
    const int64_t len = ag == n - 1 ? last : seg;
    for (int64_t r = 0; r < len; ++r)
      w[ag * last + r] = 1.0f / static_cast<float>(len);
  }
  Value weights = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({n, last}, f32),
                             ArrayRef<float>(w)));
  Value init =
      linalg::FillOp::create(b, loc,
                             ValueRange{arith::ConstantOp::create(
                                 b, loc, b.getFloatAttr(f32, 0.0))},
                             ValueRange{tensor::EmptyOp::create(
                                 b, loc, ArrayRef<int64_t>{B, H, n, D}, f32)})
          .getResult(0);
  SmallVector<AffineMap> maps = {
      AffineMap::get(5, 0, {d(0), d(1), d(2) * seg + d(4), d(3)}, ctx),
      AffineMap::get(5, 0, {d(2), d(4)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  Value agents =
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{query, weights},
          ValueRange{init}, maps, iters,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value x = arith::MulFOp::create(nb, l, a[0], a[1]);
            linalg::YieldOp::create(
                nb, l, arith::AddFOp::create(nb, l, a[2], x).getResult());
          })
          .getResult(0);
  FloatAttr scale = op.getScale()
                        ? op.getScaleAttr()
                        : b.getF64FloatAttr(1.0 / std::sqrt(double(D)));
  auto avType = RankedTensorType::get({B, H, n, vt.getDimSize(3)}, f32);
  auto first = SdpaOp::create(b, loc, avType, agents, key, value, Value(),
                              scale, CausalKind::none, FloatAttr());
  auto outType = cast<RankedTensorType>(op.getType());
  auto second = SdpaOp::create(
      b, loc, RankedTensorType::get(outType.getShape(), f32), query, agents,
      first.getResult(), Value(), scale, CausalKind::none, FloatAttr());
  op.replaceAllUsesWith(
      convertFloats(b, loc, second.getResult(),
                    cast<FloatType>(outType.getElementType())));
  op.erase();
  return {first, second};
}

/// attn.block_select: one kernel call writing the i1 block map.
LogicalResult lowerBlockSelect(BlockSelectOp op, func::FuncOp kernel) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto qt = op.getQuery().getType();
  int64_t nk = op.getType().getDimSize(3);
  SmallVector<int64_t> ip(ATTUNE_SELECT_I_COUNT, 0);
  SmallVector<double> fp(ATTUNE_SELECT_F_COUNT, 0.0);
  ip[ATTUNE_SELECT_I_VERSION] = ATTUNE_SELECT_ABI_VERSION;
  switch (op.getMethod()) {
  case BlockSelectMethod::moba:
    ip[ATTUNE_SELECT_I_METHOD] = ATTUNE_SELECT_MOBA;
    ip[ATTUNE_SELECT_I_TOPK] = *op.getTopk();
    break;
  case BlockSelectMethod::sla:
    // As the reference decomposition: max(1, ceil(ratio * nk)) blocks.
    ip[ATTUNE_SELECT_I_METHOD] = ATTUNE_SELECT_SLA;
    ip[ATTUNE_SELECT_I_TOPK] = std::max<int64_t>(
        1, static_cast<int64_t>(
               std::ceil(op.getTopkRatio()->convertToDouble() * nk - 1e-9)));
    break;
  case BlockSelectMethod::sale:
    ip[ATTUNE_SELECT_I_METHOD] = ATTUNE_SELECT_SALE;
    break;
  }
  switch (op.getCausal()) {
  case CausalKind::none:
    ip[ATTUNE_SELECT_I_CAUSAL] = ATTUNE_CAUSAL_NONE;
    break;
  case CausalKind::top_left:
    ip[ATTUNE_SELECT_I_CAUSAL] = ATTUNE_CAUSAL_TOP_LEFT;
    break;
  case CausalKind::bottom_right:
    ip[ATTUNE_SELECT_I_CAUSAL] = ATTUNE_CAUSAL_BOTTOM_RIGHT;
    break;
  }
  ip[ATTUNE_SELECT_I_BLOCK_Q] = op.getBlockQ();
  ip[ATTUNE_SELECT_I_BLOCK_K] = op.getBlockK();
  ip[ATTUNE_SELECT_I_SINK_BLOCKS] = op.getSinkBlocks();
  ip[ATTUNE_SELECT_I_LOCAL_BLOCKS] = op.getLocalBlocks();
  fp[ATTUNE_SELECT_F_SCALE] =
      op.getScale() ? op.getScale()->convertToDouble()
                    : 1.0 / std::sqrt(static_cast<double>(qt.getDimSize(3)));
  fp[ATTUNE_SELECT_F_TAU] = op.getTau().convertToDouble();

  Value result = callWithResult(b, loc, kernel, {op.getQuery(), op.getKey()},
                                cast<RankedTensorType>(op.getType()), ip, fp);
  op.replaceAllUsesWith(result);
  op.erase();
  return success();
}

/// attn.recycle: the reference state update around a kernel call whose key
/// subset is the kept positions plus the tokens since the full step
/// (tail_start = full_len), or every key on a full step (tail_start = 0);
/// on a full step the kept positions are selected by
/// attune_recycle_topk_f32 from the scores that call wrote.
LogicalResult lowerRecycle(RecycleOp op, func::FuncOp kernel,
                           func::FuncOp topKKernel, int64_t tileQ,
                           int64_t tileK) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto topK = [&](Value scores, Value full) -> Value {
    FunctionType ft = topKKernel.getFunctionType();
    auto keptType = cast<RankedTensorType>(op.getKeptIndices().getType());
    Value kept = memref::AllocOp::create(
        b, loc,
        MemRefType::get(keptType.getShape(), keptType.getElementType()));
    SmallVector<int64_t> ip(ATTUNE_RECYCLE_I_COUNT, 0);
    ip[ATTUNE_RECYCLE_I_VERSION] = ATTUNE_RECYCLE_ABI_VERSION;
    ip[ATTUNE_RECYCLE_I_POOL] = op.getPool();
    func::CallOp::create(
        b, loc, topKKernel,
        ValueRange{asBuffer(b, loc, scores, ft.getInput(0)),
                   asBuffer(b, loc, full, ft.getInput(1)),
                   memref::CastOp::create(b, loc, ft.getInput(2), kept),
                   constantArray<int64_t>(b, loc, ip, b.getI64Type(),
                                          ft.getInput(3))});
    return bufferization::ToTensorOp::create(b, loc, keptType, kept,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  };
  auto attention = [&](Value full) -> FailureOr<RecycleAttention> {
    auto lenType = cast<RankedTensorType>(op.getFullLen().getType());
    Value init = tensor::EmptyOp::create(b, loc, lenType.getShape(),
                                         lenType.getElementType());
    AffineMap id = AffineMap::getMultiDimIdentityMap(1, b.getContext());
    Value tail =
        linalg::GenericOp::create(
            b, loc, lenType, ValueRange{full, op.getFullLen()},
            ValueRange{init}, ArrayRef<AffineMap>{id, id, id},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
            [&](OpBuilder &nb, Location l, ValueRange a) {
              Value zero = arith::ConstantOp::create(
                  nb, l, nb.getIntegerAttr(a[1].getType(), 0));
              linalg::YieldOp::create(
                  nb, l,
                  arith::SelectOp::create(nb, l, a[0], zero, a[1]).getResult());
            })
            .getResult(0);
    KernelCall c;
    c.q = op.getQuery();
    c.k = op.getKey();
    c.v = op.getValue();
    c.mask = op.getMask();
    c.kvIndex = op.getKeptIndices();
    c.tailStart = tail;
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    c.resultType = RankedTensorType::get(resultType.getShape(), b.getF32Type());
    setCommon(c, op.getCausal(), op.getEffectiveScale(), op.getSoftcap());
    if (auto dense = op.getDenseHeads())
      setHeadFlags(
          c, op.getQuery().getType().getDimSize(1),
          [&](int64_t h) { return !llvm::is_contained(*dense, h); },
          [](int64_t) { return false; });
    setTiling(c, op, tileQ, tileK);
    splitConcatenatedKV(c);
    // The full step ranks keys by the kernel's scores of the last row
    // instead of recomputing them from the whole cache (the key subset
    // always runs the decode kernel, which writes them).
    c.wantRowScores = true;
    Value out = convertFloats(b, loc, emitCall(b, loc, kernel, c),
                              cast<FloatType>(resultType.getElementType()));
    return RecycleAttention{out, c.rowScores};
  };
  FailureOr<SmallVector<Value>> results =
      decomposeRecycle(b, op, attention, topK);
  if (failed(results))
    return op.emitError("cannot lower to the CPU attention kernel");
  op->replaceAllUsesWith(*results);
  op.erase();
  return success();
}

struct ConvertAttnToCpuKernelsPass
    : attn::impl::ConvertAttnToCpuKernelsPassBase<ConvertAttnToCpuKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<SdpaOp> ops;
    SmallVector<RecycleOp> recycles;
    SmallVector<BlockSelectOp> selects;
    SmallVector<LinearOp> linears;
    SmallVector<AgentOp> agents;
    module.walk([&](Operation *op) {
      if (auto ag = dyn_cast<AgentOp>(op); ag && supported(ag))
        agents.push_back(ag);
      if (auto l = dyn_cast<LinearOp>(op); l && supportedByKernel(l))
        linears.push_back(l);
      if (auto sdpa = dyn_cast<SdpaOp>(op); sdpa && supported(sdpa))
        ops.push_back(sdpa);
      if (auto r = dyn_cast<RecycleOp>(op); r && supported(r))
        recycles.push_back(r);
      if (auto s = dyn_cast<BlockSelectOp>(op); s && supported(s))
        selects.push_back(s);
    });
    OpBuilder b(module.getContext());
    if (!selects.empty()) {
      func::FuncOp select = declareSelectKernel(module, b);
      for (BlockSelectOp op : selects)
        if (failed(lowerBlockSelect(op, select)))
          return signalPassFailure();
    }
    for (LinearOp op : linears)
      if (failed(lowerLinearToKernel(op)))
        return signalPassFailure();
    for (AgentOp op : agents) {
      auto [first, second] = splitAgent(op);
      ops.push_back(first);
      ops.push_back(second);
    }
    if (ops.empty() && recycles.empty())
      return;
    func::FuncOp kernel = declareKernel(module, b);
    for (SdpaOp op : ops)
      if (failed(lowerSdpa(op, kernel, tileQ, tileK)))
        return signalPassFailure();
    func::FuncOp topKKernel;
    if (!recycles.empty())
      topKKernel = declareRecycleTopKKernel(module, b);
    for (RecycleOp op : recycles)
      if (failed(lowerRecycle(op, kernel, topKKernel, tileQ, tileK)))
        return signalPassFailure();
  }
};

} // namespace
