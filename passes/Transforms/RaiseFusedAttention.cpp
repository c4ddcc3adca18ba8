//===- RaiseFusedAttention.cpp - ONNX Attention / MHA to attn.sdpa ------===//
//
// Converts the standard ONNX `Attention` node (opset 23+) and ONNX Runtime's
// `com.microsoft.MultiHeadAttention` into head split/merge glue around one
// `attn.sdpa`, with KV-cache concatenation for their present outputs. Every
// input or attribute whose meaning this does not reproduce exactly is an
// error naming the node, never a silent approximation.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/RaiseUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::raise;
using onnx::NodeOp;

//===----------------------------------------------------------------------===//
// ONNX Attention (opset 23, 24)
//===----------------------------------------------------------------------===//

LogicalResult raise::raiseOnnxAttention(NodeOp node, SiteMap &sites) {
  if (node.getOpset() < 23)
    return node.emitError()
           << node.describe() << ": expected opset 23 or later for Attention";
  if (node.getIntAttr("left_window_size", -1) != -1 ||
      node.getIntAttr("right_window_size", -1) != -1)
    return node.emitError()
           << node.describe() << ": sliding-window attention is not supported";
  if (failed(requireStaticInputs(node)) ||
      failed(requireAbsentInput(node, 6, "nonpad_kv_seqlen")) ||
      failed(requireUnusedResult(node, 3, "qk_matmul_output")))
    return failure();
  if (node.getInputs().size() < 3 || node.isAbsentInput(0) ||
      node.isAbsentInput(1) || node.isAbsentInput(2))
    return node.emitError() << node.describe() << ": expected Q, K and V";
  Value q = node.getInputs()[0], k = node.getInputs()[1],
        v = node.getInputs()[2];
  int64_t rank = dimsOf(q).size();
  if ((rank != 3 && rank != 4) ||
      dimsOf(k).size() != static_cast<size_t>(rank) ||
      dimsOf(v).size() != static_cast<size_t>(rank))
    return node.emitError()
           << node.describe() << ": expected Q, K, V all 3-D or all 4-D";
  Type et = elementTypeOf(q);
  if (!isa<FloatType>(et) || elementTypeOf(k) != et || elementTypeOf(v) != et)
    return node.emitError()
           << node.describe() << ": expected Q, K, V of one float type";
  int64_t hq = 0, hkv = 0;
  if (rank == 3) {
    hq = node.getIntAttr("q_num_heads", 0);
    hkv = node.getIntAttr("kv_num_heads", 0);
    if (hq <= 0 || hkv <= 0 || dimsOf(q)[2] % hq || dimsOf(k)[2] % hkv ||
        dimsOf(v)[2] % hkv)
      return node.emitError()
             << node.describe()
             << ": 3-D inputs need q_num_heads/kv_num_heads attributes that "
                "divide the hidden sizes";
  } else {
    hq = dimsOf(q)[1];
    hkv = dimsOf(k)[1];
  }
  if (hq % hkv)
    return node.emitError()
           << node.describe() << ": query heads (" << hq
           << ") must be a multiple of key/value heads (" << hkv << ")";
  bool hasPastK = !node.isAbsentInput(4), hasPastV = !node.isAbsentInput(5);
  if (hasPastK != hasPastV)
    return node.emitError() << node.describe()
                            << ": past_key and past_value must be given "
                               "together";

  OpBuilder b(node);
  Location loc = node.getLoc();
  NodeBuilder nb(b, loc, defaultOpset(node));
  Value q4 = rank == 3 ? nb.splitHeads(q, hq) : q;
  Value k4 = rank == 3 ? nb.splitHeads(k, hkv) : k;
  Value v4 = rank == 3 ? nb.splitHeads(v, hkv) : v;
  int64_t past = 0;
  if (hasPastK) {
    Value pk = node.getInputs()[4], pv = node.getInputs()[5];
    ArrayRef<int64_t> ks = dimsOf(k4), vs = dimsOf(v4);
    if (dimsOf(pk).size() != 4 || dimsOf(pv).size() != 4 ||
        dimsOf(pk)[0] != ks[0] || dimsOf(pk)[1] != ks[1] ||
        dimsOf(pk)[3] != ks[3] || dimsOf(pv)[0] != vs[0] ||
        dimsOf(pv)[1] != vs[1] || dimsOf(pv)[3] != vs[3] ||
        dimsOf(pk)[2] != dimsOf(pv)[2] || elementTypeOf(pk) != et ||
        elementTypeOf(pv) != et)
      return node.emitError() << node.describe()
                              << ": expected past_key/past_value of shape "
                                 "[B, kv_heads, past, head_size]";
    past = dimsOf(pk)[2];
    k4 = nb.concat({pk, k4}, 2);
    v4 = nb.concat({pv, v4}, 2);
  }
  int64_t batch = dimsOf(q4)[0], lq = dimsOf(q4)[2], lk = dimsOf(k4)[2];
  SmallVector<int64_t> scores = {batch, hq, lq, lk};

  Value mask;
  if (!node.isAbsentInput(3)) {
    mask = node.getInputs()[3];
    Type me = elementTypeOf(mask);
    if (!me.isInteger(1) && me != et)
      return node.emitError() << node.describe()
                              << ": expected a bool attn_mask or one of the "
                                 "query's type "
                              << et << ", got " << me;
    SmallVector<int64_t> ms(dimsOf(mask));
    if (ms.empty())
      return node.emitError()
             << node.describe() << ": expected attn_mask of rank >= 1";
    // A shorter mask is padded with "masked" up to the total length.
    if (ms.back() < lk) {
      SmallVector<int64_t> padShape(ms);
      padShape.back() = lk - ms.back();
      Value pad = nb.splat(RankedTensorType::get(padShape, me),
                           me.isInteger(1) ? 0.0 : -INFINITY);
      mask = nb.concat({mask, pad}, ms.size() - 1);
      ms.back() = lk;
    }
    if (!broadcastsTo(ms, scores))
      return node.emitError() << node.describe()
                              << ": attn_mask does not broadcast to the "
                                 "attention scores";
  }
  FailureOr<CausalKind> causal =
      causalFromFlag(node, "is_causal", past, lq, lk);
  if (failed(causal))
    return failure();
  double scale = node.hasAttr("scale")
                     ? node.getFloatAttr("scale", 1.0)
                     : 1.0 / std::sqrt(static_cast<double>(dimsOf(q4)[3]));
  std::optional<double> softcap = softcapOf(node);

  SdpaOp sdpa = buildSdpa(b, loc, q4, k4, v4, mask, scale, *causal, softcap);
  Value y = rank == 3 ? nb.mergeHeads(sdpa.getResult()) : sdpa.getResult();
  if (failed(replaceResult(node, 0, y)) || failed(replaceResult(node, 1, k4)) ||
      failed(replaceResult(node, 2, v4)))
    return failure();

  recordFusedSite(sites, sdpa, node,
                  "Attention-" + std::to_string(node.getOpset()),
                  rank == 3 ? "bsnh" : "4d", /*zeroScaleIsDefault=*/false,
                  softcap ? "softcap=" + formatDouble(*softcap) : "");
  return success();
}

//===----------------------------------------------------------------------===//
// com.microsoft.MultiHeadAttention
//===----------------------------------------------------------------------===//

LogicalResult raise::raiseMultiHeadAttention(NodeOp node, SiteMap &sites) {
  if (failed(requireStaticInputs(node)) ||
      failed(requireAbsentInput(node, 8, "past_sequence_length")) ||
      failed(requireAbsentInput(node, 9, "cache_indirection")) ||
      failed(requireUnusedResult(node, 3, "qk output")))
    return failure();
  int64_t heads = node.getIntAttr("num_heads", 0);
  if (heads <= 0)
    return node.emitError()
           << node.describe() << ": expected a positive num_heads attribute";
  if (node.getIntAttr("do_rotary", 0))
    return node.emitError()
           << node.describe() << ": do_rotary is not supported";
  if (node.isAbsentInput(0) || node.isAbsentInput(1) || node.isAbsentInput(2))
    return node.emitError()
           << node.describe()
           << ": packed QKV/KV inputs (key or value absent) are not supported; "
              "expected separate query, key and value";
  Value q = node.getInputs()[0], k = node.getInputs()[1],
        v = node.getInputs()[2];
  Type et = elementTypeOf(q);
  size_t kr = dimsOf(k).size();
  if (dimsOf(q).size() != 3 || (kr != 3 && kr != 4) || dimsOf(v).size() != kr)
    return node.emitError()
           << node.describe()
           << ": expected query [B, S, hidden] and key/value both [B, L, "
              "hidden] or both [B, num_heads, L, head_size]";
  if (elementTypeOf(k) != et || elementTypeOf(v) != et || !isa<FloatType>(et))
    return node.emitError()
           << node.describe() << ": expected query/key/value of one float type";
  int64_t batch = dimsOf(q)[0], lq = dimsOf(q)[1], hiddenQ = dimsOf(q)[2];
  if (hiddenQ % heads)
    return node.emitError() << node.describe()
                            << ": query hidden size is not divisible by "
                               "num_heads";
  bool kv4 = kr == 4;
  if (kv4 && (dimsOf(k)[1] != heads || dimsOf(v)[1] != heads))
    return node.emitError()
           << node.describe() << ": 4-D key/value must have num_heads heads";
  if (!kv4 && (dimsOf(k)[2] % heads || dimsOf(v)[2] % heads))
    return node.emitError() << node.describe()
                            << ": key/value hidden sizes are not divisible by "
                               "num_heads";
  bool hasPast = !node.isAbsentInput(6);
  if (hasPast != !node.isAbsentInput(7))
    return node.emitError() << node.describe()
                            << ": past_key and past_value must be given "
                               "together";
  if (kv4 && (hasPast || !node.isAbsentInput(3)))
    return node.emitError() << node.describe()
                            << ": bias or past with 4-D key/value is not "
                               "supported";

  OpBuilder b(node);
  Location loc = node.getLoc();
  NodeBuilder nb(b, loc, defaultOpset(node));
  if (!node.isAbsentInput(3)) {
    Value bias = node.getInputs()[3];
    int64_t hk = dimsOf(k)[2], hv = dimsOf(v)[2];
    if (dimsOf(bias).size() != 1 || dimsOf(bias)[0] != hiddenQ + hk + hv ||
        elementTypeOf(bias) != et)
      return node.emitError() << node.describe()
                              << ": expected bias of shape [q_hidden + "
                                 "k_hidden + v_hidden]";
    q = nb.binary("Add", q, nb.slice(bias, 0, 0, hiddenQ));
    k = nb.binary("Add", k, nb.slice(bias, 0, hiddenQ, hiddenQ + hk));
    v = nb.binary("Add", v, nb.slice(bias, 0, hiddenQ + hk, hiddenQ + hk + hv));
  }
  Value q4 = nb.splitHeads(q, heads);
  Value k4 = kv4 ? k : nb.splitHeads(k, heads);
  Value v4 = kv4 ? v : nb.splitHeads(v, heads);
  if (dimsOf(k4)[3] != dimsOf(q4)[3])
    return node.emitError()
           << node.describe() << ": query and key head sizes differ";
  int64_t past = 0;
  if (hasPast) {
    Value pk = node.getInputs()[6], pv = node.getInputs()[7];
    if (dimsOf(pk).size() != 4 || dimsOf(pv).size() != 4 ||
        dimsOf(pk).take_front(2) != dimsOf(k4).take_front(2) ||
        dimsOf(pk)[3] != dimsOf(k4)[3] || dimsOf(pv)[3] != dimsOf(v4)[3] ||
        dimsOf(pk)[2] != dimsOf(pv)[2])
      return node.emitError() << node.describe()
                              << ": expected past_key/past_value of shape "
                                 "[B, num_heads, past, head_size]";
    past = dimsOf(pk)[2];
    k4 = nb.concat({pk, k4}, 2);
    v4 = nb.concat({pv, v4}, 2);
  }
  int64_t lk = dimsOf(k4)[2];
  SmallVector<int64_t> scores = {batch, heads, lq, lk};

  Value keep, bias;
  if (!node.isAbsentInput(4)) {
    Value m = node.getInputs()[4];
    Type me = elementTypeOf(m);
    if (dimsOf(m).size() != 2 || dimsOf(m)[0] != batch || dimsOf(m)[1] != lk ||
        !(me.isInteger(32) || me.isInteger(1)))
      return node.emitError()
             << node.describe()
             << ": only a 2-D key_padding_mask [batch, total_sequence_length] "
                "of int32 (1 = keep, 0 = masked) is supported, got "
             << m.getType();
    keep = nb.reshape(nb.cast(m, b.getI1Type()), {batch, 1, 1, lk});
  }
  if (!node.isAbsentInput(5)) {
    bias = node.getInputs()[5];
    if (elementTypeOf(bias) != et || dimsOf(bias).size() != 4 ||
        !broadcastsTo(dimsOf(bias), scores))
      return node.emitError() << node.describe()
                              << ": expected attention_bias of shape "
                                 "[B or 1, num_heads or 1, S, T]";
  }
  FailureOr<SdpaOp> sdpa =
      buildContribSdpa(nb, node, q4, k4, v4, keep, bias, et, past, lq, lk);
  if (failed(sdpa))
    return failure();
  Value y = nb.mergeHeads(sdpa->getResult());
  if (failed(replaceResult(node, 0, y)) || failed(replaceResult(node, 1, k4)) ||
      failed(replaceResult(node, 2, v4)))
    return failure();

  recordFusedSite(sites, *sdpa, node, "com.microsoft.MultiHeadAttention",
                  "bsnh", /*zeroScaleIsDefault=*/true);
  return success();
}
