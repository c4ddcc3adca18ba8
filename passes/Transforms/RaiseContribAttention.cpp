//===- RaiseContribAttention.cpp - com.microsoft Attention/GQA to sdpa --===//
//
// Converts ONNX Runtime's `com.microsoft.Attention` (packed QKV projection
// weights, [2, B, H, P, D] past/present) and
// `com.microsoft.GroupQueryAttention` (GQA decoder attention with a KV cache)
// into projections, head split/merge and cache concatenation as onnx.node ops
// around one `attn.sdpa`, following the semantics of ONNX Runtime's CPU
// kernels.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/RaiseUtils.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::raise;
using onnx::NodeOp;

//===----------------------------------------------------------------------===//
// com.microsoft.Attention
//===----------------------------------------------------------------------===//

LogicalResult raise::raiseContribAttention(NodeOp node, SiteMap &sites) {
  if (failed(requireStaticInputs(node)) ||
      failed(requireAbsentInput(node, 6, "past_sequence_length")))
    return failure();
  if (node.getIntAttr("do_rotary", 0) ||
      node.getIntAttr("past_present_share_buffer", 0))
    return node.emitError() << node.describe()
                            << ": do_rotary and past_present_share_buffer are "
                               "not supported";
  int64_t heads = node.getIntAttr("num_heads", 0);
  if (heads <= 0 || node.isAbsentInput(0) || node.isAbsentInput(1))
    return node.emitError()
           << node.describe() << ": expected input, weights and num_heads";
  Value x = node.getInputs()[0], w = node.getInputs()[1];
  Type et = elementTypeOf(x);
  if (dimsOf(x).size() != 3 || dimsOf(w).size() != 2 ||
      dimsOf(w)[0] != dimsOf(x)[2] || elementTypeOf(w) != et ||
      !isa<FloatType>(et))
    return node.emitError() << node.describe()
                            << ": expected input [B, S, in_hidden] and "
                               "weights [in_hidden, q+k+v hidden] of one "
                               "float type";
  int64_t total = dimsOf(w)[1];
  SmallVector<int64_t> sizes = node.getIntsAttr("qkv_hidden_sizes");
  if (sizes.empty())
    sizes.assign(3, total / 3);
  if (sizes.size() != 3 || sizes[0] + sizes[1] + sizes[2] != total ||
      sizes[0] != sizes[1] || sizes[0] % heads || sizes[2] % heads)
    return node.emitError() << node.describe()
                            << ": qkv_hidden_sizes must split the weights "
                               "into q = k hidden sizes divisible by "
                               "num_heads";
  int64_t batch = dimsOf(x)[0], seq = dimsOf(x)[1];

  OpBuilder b(node);
  Location loc = node.getLoc();
  NodeBuilder nb(b, loc, defaultOpset(node));
  if (!node.isAbsentInput(2)) {
    Value bias = node.getInputs()[2];
    if (dimsOf(bias) != ArrayRef<int64_t>{total} || elementTypeOf(bias) != et)
      return node.emitError()
             << node.describe() << ": expected bias of shape [" << total << "]";
  }
  bool hasPast = !node.isAbsentInput(4);
  int64_t past = 0;
  if (hasPast) {
    ArrayRef<int64_t> ps = dimsOf(node.getInputs()[4]);
    if (ps.size() != 5 || ps[0] != 2 || ps[1] != batch || ps[2] != heads ||
        ps[4] != sizes[0] / heads || sizes[0] != sizes[2])
      return node.emitError() << node.describe()
                              << ": expected past of shape [2, B, num_heads, "
                                 "past, head_size]";
    past = ps[3];
  }
  int64_t lk = past + seq;
  SmallVector<int64_t> scores = {batch, heads, seq, lk};
  Value keep, bias;
  if (!node.isAbsentInput(3)) {
    Value m = node.getInputs()[3];
    ArrayRef<int64_t> ms = dimsOf(m);
    Type me = elementTypeOf(m);
    bool is2d = ms.size() == 2 && ms[0] == batch && ms[1] == lk;
    bool is3d = ms.size() == 3 && ms[0] == batch && ms[1] == seq && ms[2] == lk;
    if (!(is2d || is3d) || !(me.isInteger(32) || me.isInteger(1)))
      return node.emitError()
             << node.describe()
             << ": only a raw 1/0 mask_index of shape [batch, total_length] or "
                "[batch, seq, total_length] is supported (not key lengths or "
                "other formats), got "
             << m.getType();
    Value kb = nb.cast(m, b.getI1Type());
    keep = is2d ? nb.reshape(kb, {batch, 1, 1, lk})
                : nb.reshape(kb, {batch, 1, seq, lk});
  }
  if (!node.isAbsentInput(5)) {
    bias = node.getInputs()[5];
    if (elementTypeOf(bias) != et || dimsOf(bias).size() != 4 ||
        !broadcastsTo(dimsOf(bias), scores))
      return node.emitError() << node.describe()
                              << ": expected attention_bias of shape "
                                 "[B or 1, num_heads, S, T]";
  }

  Value qkv = nb.matmul(x, w);
  if (!node.isAbsentInput(2))
    qkv = nb.binary("Add", qkv, node.getInputs()[2]);
  Value q4 = nb.splitHeads(nb.slice(qkv, 2, 0, sizes[0]), heads);
  Value k4 =
      nb.splitHeads(nb.slice(qkv, 2, sizes[0], sizes[0] + sizes[1]), heads);
  Value v4 = nb.splitHeads(nb.slice(qkv, 2, sizes[0] + sizes[1], total), heads);
  if (hasPast) {
    Value p = node.getInputs()[4];
    SmallVector<int64_t> one(dimsOf(p).drop_front());
    Value pk = nb.reshape(nb.slice(p, 0, 0, 1), one);
    Value pv = nb.reshape(nb.slice(p, 0, 1, 2), one);
    k4 = nb.concat({pk, k4}, 2);
    v4 = nb.concat({pv, v4}, 2);
  }
  FailureOr<SdpaOp> sdpa =
      buildContribSdpa(nb, node, q4, k4, v4, keep, bias, et, past, seq, lk);
  if (failed(sdpa))
    return failure();
  if (failed(replaceResult(node, 0, nb.mergeHeads(sdpa->getResult()))))
    return failure();
  if (node->getNumResults() > 1 && !node->getResult(1).use_empty()) {
    if (sizes[0] != sizes[2])
      return node.emitError()
             << node.describe() << ": present needs equal k and v hidden sizes";
    SmallVector<int64_t> one = {1};
    llvm::append_range(one, dimsOf(k4));
    Value present = nb.concat({nb.reshape(k4, one), nb.reshape(v4, one)}, 0);
    if (failed(replaceResult(node, 1, present)))
      return failure();
  }

  recordFusedSite(sites, *sdpa, node, "com.microsoft.Attention", "bsnh",
                  /*zeroScaleIsDefault=*/true);
  return success();
}

//===----------------------------------------------------------------------===//
// com.microsoft.GroupQueryAttention
//===----------------------------------------------------------------------===//

/// Integer values of a constant, if it is one.
static std::optional<SmallVector<int64_t>> intConstant(Value v) {
  DenseIntElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> out;
  for (const APInt &i : attr.getValues<APInt>())
    out.push_back(i.getSExtValue());
  return out;
}

LogicalResult raise::raiseGroupQueryAttention(NodeOp node, SiteMap &sites) {
  if (failed(requireStaticInputs(node)) ||
      failed(requireAbsentInput(node, 11, "head_sink")) ||
      failed(requireUnusedResult(node, 3, "output_qk")))
    return failure();
  if (node.getIntAttr("do_rotary", 0))
    return node.emitError() << node.describe()
                            << ": do_rotary (rotary embedding inside the node) "
                               "is not supported";
  if (node.getIntAttr("local_window_size", -1) != -1)
    return node.emitError() << node.describe()
                            << ": local_window_size (sliding window) is not "
                               "supported";
  if (node.getIntAttr("smooth_softmax", 0))
    return node.emitError()
           << node.describe() << ": smooth_softmax is not supported";
  int64_t hq = node.getIntAttr("num_heads", 0);
  int64_t hkv = node.getIntAttr("kv_num_heads", 0);
  if (hq <= 0 || hkv <= 0 || hq % hkv || node.isAbsentInput(0))
    return node.emitError() << node.describe()
                            << ": expected query and num_heads a positive "
                               "multiple of kv_num_heads";
  Value q = node.getInputs()[0];
  Type et = elementTypeOf(q);
  if (dimsOf(q).size() != 3 || !isa<FloatType>(et))
    return node.emitError()
           << node.describe() << ": expected a float query [B, S, hidden]";
  int64_t batch = dimsOf(q)[0], seq = dimsOf(q)[1], hidden = dimsOf(q)[2];
  bool packed = node.isAbsentInput(1);
  if (packed != node.isAbsentInput(2))
    return node.emitError()
           << node.describe() << ": key and value must be given together";
  int64_t d = hidden / (packed ? hq + 2 * hkv : hq);
  if (d * (packed ? hq + 2 * hkv : hq) != hidden)
    return node.emitError() << node.describe()
                            << ": query hidden size does not split into heads";
  if (!packed) {
    for (int i = 1; i <= 2; ++i) {
      Value t = node.getInputs()[i];
      if (dimsOf(t) != ArrayRef<int64_t>{batch, seq, hkv * d} ||
          elementTypeOf(t) != et)
        return node.emitError()
               << node.describe() << ": expected key/value of shape [" << batch
               << ", " << seq << ", " << hkv * d << "]";
    }
  }
  bool hasPast = !node.isAbsentInput(3);
  if (hasPast != !node.isAbsentInput(4))
    return node.emitError() << node.describe()
                            << ": past_key and past_value must be given "
                               "together";
  int64_t past = 0;
  if (hasPast) {
    ArrayRef<int64_t> pk = dimsOf(node.getInputs()[3]);
    if (pk.size() != 4 || pk[0] != batch || pk[1] != hkv || pk[3] != d ||
        dimsOf(node.getInputs()[4]) != pk)
      return node.emitError() << node.describe()
                              << ": expected past_key/past_value of shape "
                                 "[B, kv_num_heads, past, head_size]";
    past = pk[2];
  }
  int64_t lk = past + seq;
  // Only caches that hold exactly `past` valid tokens are supported:
  // total_sequence_length == past + S and seqlens_k == total - 1 everywhere.
  std::string note;
  auto total =
      intConstant(node.isAbsentInput(6) ? Value() : node.getInputs()[6]);
  auto seqlens =
      intConstant(node.isAbsentInput(5) ? Value() : node.getInputs()[5]);
  if (total && (total->size() != 1 || (*total)[0] != lk))
    return node.emitError() << node.describe() << ": total_sequence_length "
                            << "must equal past + sequence length (" << lk
                            << "); padded or partially filled caches are not "
                               "supported";
  if (seqlens && llvm::any_of(*seqlens, [&](int64_t s) { return s != lk - 1; }))
    return node.emitError()
           << node.describe() << ": seqlens_k must be " << lk - 1
           << " for every batch entry (a cache "
              "holding exactly past + S valid tokens); "
              "per-batch lengths are not supported";
  if (!total || !seqlens)
    note = "assumed seqlens_k = total_sequence_length - 1 = " +
           std::to_string(lk - 1) + " for every batch (not constant)";
  Value bias;
  SmallVector<int64_t> scores = {batch, hq, seq, lk};
  if (!node.isAbsentInput(10)) {
    bias = node.getInputs()[10];
    if (elementTypeOf(bias) != et || !broadcastsTo(dimsOf(bias), scores))
      return node.emitError() << node.describe()
                              << ": expected attention_bias broadcastable to "
                                 "[B, num_heads, S, T]";
  }

  OpBuilder b(node);
  Location loc = node.getLoc();
  NodeBuilder nb(b, loc, defaultOpset(node));
  Value qs = q, ks, vs;
  if (packed) {
    qs = nb.slice(q, 2, 0, hq * d);
    ks = nb.slice(q, 2, hq * d, (hq + hkv) * d);
    vs = nb.slice(q, 2, (hq + hkv) * d, hidden);
  } else {
    ks = node.getInputs()[1];
    vs = node.getInputs()[2];
  }
  Value q4 = nb.splitHeads(qs, hq);
  Value k4 = nb.splitHeads(ks, hkv);
  Value v4 = nb.splitHeads(vs, hkv);
  if (hasPast && past > 0) {
    k4 = nb.concat({node.getInputs()[3], k4}, 2);
    v4 = nb.concat({node.getInputs()[4], v4}, 2);
  }
  double scale = contribScale(node, d);
  std::optional<double> softcap = softcapOf(node);

  SdpaOp sdpa = buildSdpa(b, loc, q4, k4, v4, bias, scale,
                          CausalKind::bottom_right, softcap);
  if (failed(replaceResult(node, 0, nb.mergeHeads(sdpa.getResult()))) ||
      failed(replaceResult(node, 1, k4)) || failed(replaceResult(node, 2, v4)))
    return failure();

  if (softcap)
    note =
        "softcap=" + formatDouble(*softcap) + (note.empty() ? "" : "; ") + note;
  recordFusedSite(sites, sdpa, node, "com.microsoft.GroupQueryAttention",
                  "bsnh", /*zeroScaleIsDefault=*/true, note);
  return success();
}
