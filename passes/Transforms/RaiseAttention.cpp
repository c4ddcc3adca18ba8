//===- RaiseAttention.cpp - decomposed attention to attn.sdpa -----------===//
//
// The `attn-raise` pass, and its matcher for attention that exporters wrote
// out op by op: MatMul(Q, K^T) -> constant scaling -> optional mask (Add or
// Where) -> Softmax(last axis) -> MatMul(., V). The match anchors on the
// Softmax, walks back to the QK^T product collecting every constant scale
// factor (on the scores, on Q, on K or K^T, FusedMatMul's alpha) into one
// `scale`, and only rewrites when the whole subgraph means exactly
// softmax(scale * Q K^T + mask) V; anything else is left alone.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/Passes.h"
#include "passes/Transforms/RaiseUtils.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNRAISEPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::raise;
using onnx::NodeOp;

namespace {

/// Everything the backward walk learned about one candidate subgraph.
struct Match {
  double scale = 1.0;
  SmallVector<std::string> scaleParts;
  // Mask: an additive tensor, or a boolean condition (negated when the
  // Where picks the fill for `true`).
  Value mask;
  bool maskIsBool = false;
  bool maskNegate = false;
  double fill = 0.0;          // Where's fill value (boolean masks)
  double postMaskScale = 1.0; // scale factors applied after the mask
  Value q, kSource;           // kSource: K, or the tensor K is derived from
  SmallVector<int64_t> kPerm; // transpose of kSource giving K (empty: none)
  std::string pattern;
  SmallVector<Operation *> chain; // nodes that may die
};

NodeOp nodeDef(Value v, StringRef name) {
  auto n = v.getDefiningOp<NodeOp>();
  return n && n.getName() == name ? n : NodeOp();
}

/// HF `repeat_kv` / torch GQA expansion of a [B, Hkv, L, D] tensor x:
/// Reshape(Expand(Unsqueeze(x, axis 2), [B, Hkv, G, L, D]), [B, Hkv*G, L, D]).
/// Returns x and sets `groups` = G, or a null value.
Value unrepeatHeads(Value t, int64_t &groups) {
  NodeOp r = nodeDef(t, "Reshape");
  NodeOp e = r ? nodeDef(r.getInputs()[0], "Expand") : NodeOp();
  NodeOp u = e ? nodeDef(e.getInputs()[0], "Unsqueeze") : NodeOp();
  if (!u)
    return Value();
  SmallVector<int64_t> axes;
  if (u.getInputs().size() > 1) {
    DenseIntElementsAttr a;
    if (!matchPattern(u.getInputs()[1], m_Constant(&a)))
      return Value();
    for (const APInt &x : a.getValues<APInt>())
      axes.push_back(x.getSExtValue());
  } else {
    axes = u.getIntsAttr("axes");
  }
  if (axes.size() != 1 || (axes[0] != 2 && axes[0] != -3))
    return Value();
  Value x = u.getInputs()[0];
  auto xs = staticShape(x), es = staticShape(e->getResult(0)),
       ts = staticShape(t);
  if (!xs || !es || !ts || xs->size() != 4 || es->size() != 5 ||
      ts->size() != 4)
    return Value();
  const auto &X = *xs, &E = *es, &T = *ts;
  if (E[0] != X[0] || E[1] != X[1] || E[3] != X[2] || E[4] != X[3] ||
      T[0] != X[0] || T[1] != X[1] * E[2] || T[2] != X[2] || T[3] != X[3])
    return Value();
  groups = E[2];
  return x;
}

bool isVeryNegative(std::optional<double> v) {
  return v && (std::isinf(*v) ? *v < 0 : *v <= -1e4);
}

/// Peels Mul/Div by constant scalars off `v` (they keep its type), folding
/// them into the match's scale.
Value stripScales(Value v, Match &m, StringRef where) {
  while (auto n = v.getDefiningOp<NodeOp>()) {
    if (n->getNumResults() != 1 || n.getInputs().size() != 2)
      break;
    Value a = n.getInputs()[0], b = n.getInputs()[1];
    std::optional<double> c;
    Value x;
    bool isDiv = n.getName() == "Div";
    if (n.getName() == "Mul") {
      if ((c = scalarConstant(b)))
        x = a;
      else if ((c = scalarConstant(a)))
        x = b;
    } else if (isDiv && (c = scalarConstant(b))) {
      x = a;
    }
    if (!x || !c || x.getType() != n->getResult(0).getType() || *c == 0.0 ||
        !std::isfinite(*c))
      break;
    m.scale *= isDiv ? 1.0 / *c : *c;
    if (*c != 1.0)
      m.scaleParts.push_back(n.getName().str() + " " + formatDouble(*c) +
                             " on " + where.str() + " '" + nodeName(n) + "'");
    m.chain.push_back(n);
    v = x;
  }
  return v;
}

bool isSwapLastTwo(ArrayRef<int64_t> perm) {
  int64_t r = perm.size();
  if (r < 2)
    return false;
  for (int64_t i = 0; i < r - 2; ++i)
    if (perm[i] != i)
      return false;
  return perm[r - 2] == r - 1 && perm[r - 1] == r - 2;
}

SmallVector<int64_t> swapLastTwo(int64_t rank) {
  SmallVector<int64_t> p = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(p[rank - 2], p[rank - 1]);
  return p;
}

/// Matches the QK^T product `n` (MatMul or FusedMatMul).
bool matchProduct(NodeOp n, Match &m) {
  bool fused = n.getName() == "com.microsoft.FusedMatMul";
  if (n.getName() != "MatMul" && !fused)
    return false;
  bool transB = false;
  if (fused) {
    if (n.getIntAttr("transA", 0) || n.getIntAttr("transBatchA", 0) ||
        n.getIntAttr("transBatchB", 0))
      return false;
    transB = n.getIntAttr("transB", 0) != 0;
    double alpha = n.getFloatAttr("alpha", 1.0);
    if (alpha == 0.0 || !std::isfinite(alpha))
      return false;
    m.scale *= alpha;
    if (alpha != 1.0)
      m.scaleParts.push_back("FusedMatMul alpha " + formatDouble(alpha) + " '" +
                             nodeName(n) + "'");
  }
  m.chain.push_back(n);
  m.q = stripScales(n.getInputs()[0], m, "Q");
  Value b = stripScales(n.getInputs()[1], m, transB ? "K" : "K^T");
  auto bt = dyn_cast<RankedTensorType>(b.getType());
  if (!bt)
    return false;
  int64_t rank = bt.getRank();
  if (rank < 3 || rank > 4)
    return false;
  if (transB) {
    m.pattern = "decomposed(FusedMatMul)";
    m.kSource = b;
    return true;
  }
  m.pattern = "decomposed(MatMul)";
  if (NodeOp t = nodeDef(b, "Transpose")) {
    SmallVector<int64_t> perm = t.getIntsAttr("perm");
    if (isSwapLastTwo(perm)) {
      m.chain.push_back(t);
      m.pattern = "decomposed(MatMul+Transpose)";
      m.kSource = stripScales(t.getInputs()[0], m, "K");
      return true;
    }
    // [B, L, H, D] -> [B, H, D, L] straight from the head split.
    if (perm == ArrayRef<int64_t>{0, 2, 3, 1}) {
      m.chain.push_back(t);
      m.pattern = "decomposed(MatMul+Transpose)";
      m.kSource = stripScales(t.getInputs()[0], m, "K");
      m.kPerm = {0, 2, 1, 3};
      return true;
    }
  }
  m.kSource = b;
  m.kPerm = swapLastTwo(rank);
  return true;
}

/// Walks back from the Softmax input `v` (of the scores' type `scoresType`)
/// to the QK^T product.
bool walkScores(Value v, Match &m, Type scoresType) {
  auto n = v.getDefiningOp<NodeOp>();
  if (!n || n->getNumResults() != 1)
    return false;
  if (n.getName() == "MatMul" || n.getName() == "com.microsoft.FusedMatMul")
    return v.getType() == scoresType && matchProduct(n, m);
  if (v.getType() != scoresType || n.getInputs().size() < 2)
    return false;
  auto scoreShape = cast<RankedTensorType>(scoresType).getShape();
  auto broadcastable = [&](Value mask) {
    auto mt = dyn_cast<RankedTensorType>(mask.getType());
    if (!mt || mt.getRank() > static_cast<int64_t>(scoreShape.size()))
      return false;
    auto out = broadcastShapes(mt.getShape(), scoreShape);
    return out && ArrayRef<int64_t>(*out) == scoreShape;
  };
  Type elt = cast<RankedTensorType>(scoresType).getElementType();
  StringRef name = n.getName();
  if (name == "Mul" || name == "Div") {
    Match trial = m;
    Value x = stripScales(v, trial, "scores");
    if (x == v)
      return false;
    // Going backwards, factors seen before any mask act after it.
    if (!trial.mask)
      trial.postMaskScale = trial.scale;
    if (!walkScores(x, trial, scoresType))
      return false;
    m = trial;
    return true;
  }
  if (m.mask)
    return false; // one mask per site
  if (name == "Add" && n.getInputs().size() == 2) {
    for (int i = 0; i < 2; ++i) {
      Value scores = n.getInputs()[i], mask = n.getInputs()[1 - i];
      auto mt = dyn_cast<RankedTensorType>(mask.getType());
      if (!mt || mt.getElementType() != elt || !broadcastable(mask))
        continue;
      Match trial = m;
      trial.mask = mask;
      trial.chain.push_back(n);
      if (!walkScores(scores, trial, scoresType))
        continue;
      m = trial;
      return true;
    }
    return false;
  }
  if (name == "Where" && n.getInputs().size() == 3) {
    Value cond = n.getInputs()[0];
    auto ct = dyn_cast<RankedTensorType>(cond.getType());
    if (!ct || !ct.getElementType().isInteger(1) || !broadcastable(cond))
      return false;
    for (int i = 1; i <= 2; ++i) {
      std::optional<double> fill = scalarConstant(n.getInputs()[3 - i]);
      if (!isVeryNegative(fill))
        continue;
      Match trial = m;
      trial.mask = cond;
      trial.maskIsBool = true;
      trial.maskNegate = i == 2;
      trial.fill = *fill;
      trial.chain.push_back(n);
      if (!walkScores(n.getInputs()[i], trial, scoresType))
        continue;
      m = trial;
      return true;
    }
  }
  return false;
}

/// The scores must really be the masked ones: scaling applied after the mask
/// is only harmless when it keeps a boolean mask's fill very negative.
bool maskOrderIsLegal(const Match &m) {
  if (!m.mask || m.postMaskScale == 1.0)
    return true;
  if (!m.maskIsBool || m.postMaskScale < 0)
    return false;
  return isVeryNegative(m.fill * m.postMaskScale);
}

Value negateMask(NodeBuilder &nb, Value cond) {
  DenseElementsAttr attr;
  if (matchPattern(cond, m_Constant(&attr))) {
    SmallVector<bool> bits;
    for (bool bit : attr.getValues<bool>())
      bits.push_back(!bit);
    auto type = cast<ShapedType>(attr.getType());
    return arith::ConstantOp::create(nb.builder(), nb.getLoc(),
                                     DenseElementsAttr::get(type, bits));
  }
  return nb.notOp(cond);
}

} // namespace

bool raise::raiseDecomposedAttention(NodeOp softmax, SiteMap &sites) {
  if (softmax->getNumResults() != 1 || softmax.getInputs().size() != 1)
    return false;
  Value x = softmax.getInputs()[0];
  auto st = dyn_cast<RankedTensorType>(x.getType());
  if (!st || !st.hasStaticShape() || !isa<FloatType>(st.getElementType()))
    return false;
  int64_t rank = st.getRank();
  int64_t axis = softmax.getIntAttr("axis", softmax.getOpset() >= 13 ? -1 : 1);
  if (axis < 0)
    axis += rank;
  if (axis != rank - 1 || (rank != 3 && rank != 4))
    return false;
  // Forward: the probabilities feed exactly one MatMul(P, V).
  Value p = softmax->getResult(0);
  if (!p.hasOneUse())
    return false;
  auto pv = dyn_cast<NodeOp>(*p.getUsers().begin());
  if (!pv || pv.getName() != "MatMul" || pv.getInputs().size() != 2 ||
      pv.getInputs()[0] != p || pv.getInputs()[1] == p)
    return false;
  Value v = pv.getInputs()[1];

  Match m;
  // The scores type is the one the QK product yields; find it by walking.
  if (!walkScores(x, m, x.getType()) || !maskOrderIsLegal(m))
    return false;
  m.chain.push_back(softmax);
  m.chain.push_back(pv);

  // Shapes: Q [.., S, D], K [.., L, D], V [.., L, Dv], all of one rank.
  auto qs = staticShape(m.q), ksrc = staticShape(m.kSource),
       vs = staticShape(v);
  auto os = staticShape(pv->getResult(0));
  if (!qs || !ksrc || !vs || !os || qs->size() != static_cast<size_t>(rank) ||
      ksrc->size() != qs->size() || vs->size() != qs->size())
    return false;
  SmallVector<int64_t> ks = *ksrc;
  if (!m.kPerm.empty())
    for (auto [i, pidx] : llvm::enumerate(m.kPerm))
      ks[i] = (*ksrc)[pidx];
  Type et = st.getElementType();
  for (Value t : {m.q, m.kSource, v})
    if (cast<RankedTensorType>(t.getType()).getElementType() != et)
      return false;
  int64_t S = (*qs)[rank - 2], D = (*qs)[rank - 1], L = ks[rank - 2];
  if (ks[rank - 1] != D || (*vs)[rank - 2] != L ||
      st.getDimSize(rank - 1) != L || st.getDimSize(rank - 2) != S)
    return false;
  if ((*qs)[0] != ks[0] || (*qs)[0] != (*vs)[0])
    return false;
  if (rank == 4) {
    int64_t hq = (*qs)[1], hk = ks[1], hv = (*vs)[1];
    if (hk != hv || (hk != hq && hk != 1))
      return false;
  }
  SmallVector<int64_t> expected = {(*qs)[0]};
  if (rank == 4)
    expected.push_back((*qs)[1]);
  expected.append({S, (*vs)[rank - 1]});
  if (ArrayRef<int64_t>(expected) != ArrayRef<int64_t>(*os) ||
      cast<RankedTensorType>(pv->getResult(0).getType()).getElementType() != et)
    return false;
  // Everything must live in one block so the new ops can go before pv.
  Block *block = pv->getBlock();
  for (Operation *op : m.chain)
    if (op->getBlock() != block)
      return false;

  OpBuilder b(pv);
  NodeBuilder nb(b, pv.getLoc(), defaultOpset(pv));
  Value q = m.q, k = m.kSource, val = v, mask = m.mask;
  if (!m.kPerm.empty())
    k = nb.transpose(k, m.kPerm);
  if (mask && m.maskNegate)
    mask = negateMask(nb, mask);
  // GQA written as repeated key/value heads: attend to the originals.
  std::string gqaNote;
  if (rank == 4 && m.kPerm.empty()) {
    int64_t gk = 0, gv = 0;
    Value k0 = unrepeatHeads(k, gk), v0 = unrepeatHeads(val, gv);
    if (k0 && v0 && gk == gv && gk > 1) {
      k = k0;
      val = v0;
      gqaNote = "GQA from repeated key/value heads (group " +
                std::to_string(gk) + ")";
    }
  }
  if (rank == 3) {
    // [N, S, D] -> [N, 1, S, D]; a rank-3 mask [m0, S, L] follows.
    auto lift = [&](Value t) {
      auto s = *staticShape(t);
      return nb.reshape(t, {s[0], 1, s[1], s[2]});
    };
    q = lift(q);
    k = lift(k);
    val = lift(val);
    if (mask && cast<RankedTensorType>(mask.getType()).getRank() == 3)
      mask = lift(mask);
  }
  // A causal mask too large to have been folded to a constant is still
  // recognized from the graph that builds it.
  CausalKind causal = CausalKind::none;
  if (mask && !m.maskNegate) {
    auto qs = *staticShape(q), ks = *staticShape(k);
    if (auto c = triluCausalMask(mask, qs[qs.size() - 2], ks[ks.size() - 2])) {
      causal = *c;
      mask = Value();
    }
  }
  SdpaOp sdpa = buildSdpa(b, pv.getLoc(), q, k, val, mask, m.scale, causal);
  Value out = sdpa.getResult();
  if (rank == 3)
    out = nb.reshape(out, *os);
  pv->getResult(0).replaceAllUsesWith(out);

  SiteInfo info;
  info.note = gqaNote;
  info.pattern = m.pattern;
  info.layout = rank == 4 ? "4d" : "3d";
  info.scaleSource = m.scaleParts.empty() ? std::string("no scaling")
                                          : llvm::join(m.scaleParts, ", ");
  SmallVector<Operation *> ordered(m.chain);
  llvm::sort(ordered,
             [](Operation *a, Operation *c) { return a->isBeforeInBlock(c); });
  ordered.erase(std::unique(ordered.begin(), ordered.end()), ordered.end());
  for (Operation *op : ordered)
    info.from.push_back(nodeName(op));
  sites[sdpa] = std::move(info);

  // Erase what died, consumers first; nodes with other uses stay.
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation *&op : ordered) {
      if (op && op->use_empty()) {
        op->erase();
        op = nullptr;
        changed = true;
      }
    }
  }
  return true;
}

namespace {
struct AttnRaisePass : attn::impl::AttnRaisePassBase<AttnRaisePass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<NodeOp> softmaxes, fused;
    module.walk([&](NodeOp n) {
      if (n.getName() == "Softmax")
        softmaxes.push_back(n);
      else if (isFusedAttentionNode(n))
        fused.push_back(n);
    });
    SiteMap sites;
    bool anyFailed = false;
    for (NodeOp n : fused) {
      if (failed(raiseFusedAttention(n, sites))) {
        anyFailed = true;
        continue;
      }
      n->erase();
    }
    if (anyFailed)
      return signalPassFailure();
    if (!fusedOnly)
      for (NodeOp n : softmaxes)
        raiseDecomposedAttention(n, sites);
    finalizeSites(module, sites, report);
  }
};
} // namespace
