//===- ApplyPolicy.cpp - attn-apply-policy: per-layer/per-head rewrites ---===//
//
// A policy file lists rewrite rules (method, layers, heads, options) that are
// applied in order. Each rule becomes the pass that implements its method,
// with `layers`/`heads` and the rule's other keys as pass options, run as a
// dynamic pipeline on the module; `dense` rules are handled here because they
// undo or exempt what earlier rules did. Everything that can be wrong with a
// rule is reported with the file name and the rule index.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/Passes.h"

#include "lib/Support/JsonLimits.h"
#include "passes/Transforms/SiteSelection.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNAPPLYPOLICYPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr StringLiteral kPass = "attn-apply-policy";

/// The pass behind a policy method and the option that names the variant.
struct MethodInfo {
  StringRef pass;       // "" for dense
  StringRef variantKey; // option set to the method name ("" = none)
  StringRef fixed = ""; // options implied by the method (aliases)
};

std::optional<MethodInfo> lookupMethod(StringRef m) {
  return llvm::StringSwitch<std::optional<MethodInfo>>(m)
      .Case("dense", MethodInfo{"", ""})
      .Cases({"window", "neighborhood", "headwise", "block-static", "dynamic"},
             MethodInfo{"attn-sparsify", "pattern"})
      // Shorthands for `dynamic` with its block selection method.
      .Case("moba",
            MethodInfo{"attn-sparsify", "", "pattern=dynamic method=moba"})
      .Case("sla",
            MethodInfo{"attn-sparsify", "", "pattern=dynamic method=sla"})
      .Case("sale",
            MethodInfo{"attn-sparsify", "", "pattern=dynamic method=sale"})
      .Cases({"elu1", "relu", "mala", "lightning", "agent", "hybrid"},
             MethodInfo{"attn-linearize", "feature"})
      .Cases({"zerotuning", "act"}, MethodInfo{"attn-calibrate", "method"})
      .Case("recycle", MethodInfo{"attn-recycle", ""})
      .Default(std::nullopt);
}

} // namespace

ArrayRef<StringRef> mlir::attn::policyMethods() {
  static const StringRef methods[] = {
      "dense",      "window", "neighborhood", "headwise", "block-static",
      "dynamic",    "moba",   "sla",          "sale",     "elu1",
      "relu",       "mala",   "lightning",    "agent",    "hybrid",
      "zerotuning", "act",    "recycle"};
  return methods;
}

std::optional<std::string> mlir::attn::methodPipeline(StringRef method) {
  std::optional<MethodInfo> info = lookupMethod(method);
  if (!info)
    return std::nullopt;
  if (info->pass.empty())
    return std::string();
  std::string opts;
  if (!info->variantKey.empty())
    opts = (info->variantKey + "=" + method).str();
  if (!info->fixed.empty())
    opts += (opts.empty() ? "" : " ") + info->fixed.str();
  return (info->pass + (opts.empty() ? "" : "{" + opts + "}")).str();
}

namespace {

/// Renders a JSON scalar or a list of scalars as a pass option value.
std::optional<std::string> optionValue(const llvm::json::Value &v) {
  if (auto s = v.getAsString()) {
    // Quoted so that spaces and braces stay inside the value.
    if (s->find_first_of(" \t{}") != StringRef::npos)
      return "\"" + s->str() + "\"";
    return s->str();
  }
  if (auto b = v.getAsBoolean())
    return std::string(*b ? "true" : "false");
  if (auto i = v.getAsInteger())
    return std::to_string(*i);
  if (auto d = v.getAsNumber()) {
    std::string out;
    llvm::raw_string_ostream os(out);
    os << llvm::format("%.17g", *d);
    return out;
  }
  if (auto *a = v.getAsArray()) {
    std::string out;
    for (auto [i, e] : llvm::enumerate(*a)) {
      if (e.kind() == llvm::json::Value::Array ||
          e.kind() == llvm::json::Value::Object)
        return std::nullopt;
      std::optional<std::string> s = optionValue(e);
      if (!s)
        return std::nullopt;
      out += (i ? "," : "") + *s;
    }
    return out;
  }
  return std::nullopt;
}

/// Number of attention sites: one past the largest `attn.site` on any op
/// (sites rewritten into other ops keep their index), or the number of sdpa
/// ops when none carries an index.
int64_t siteCount(ModuleOp module) {
  int64_t n = 0;
  module.walk([&](Operation *op) { n = std::max(n, siteIndex(op) + 1); });
  return std::max<int64_t>(n, collectSites(module).size());
}

struct AttnApplyPolicyPass
    : public attn::impl::AttnApplyPolicyPassBase<AttnApplyPolicyPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (file.empty()) {
      module.emitError() << kPass << ": no policy file given (file=PATH)";
      return signalPassFailure();
    }
    auto buf = llvm::MemoryBuffer::getFile(file);
    if (!buf) {
      module.emitError() << kPass << ": cannot read policy file '" << file
                         << "': " << buf.getError().message();
      return signalPassFailure();
    }
    if (jsonTooDeep((*buf)->getBuffer())) {
      module.emitError() << "policy '" << file << "': nested deeper than "
                         << kMaxJsonDepth << " levels";
      return signalPassFailure();
    }
    llvm::Expected<llvm::json::Value> json =
        llvm::json::parse((*buf)->getBuffer());
    if (!json) {
      module.emitError() << "policy '" << file << "': invalid JSON: "
                         << llvm::toString(json.takeError());
      return signalPassFailure();
    }
    const llvm::json::Array *rules = json->getAsArray();
    if (auto *obj = json->getAsObject()) {
      rules = obj->getArray("rules");
      // (Without "rules" the object is reported below as not a policy.)
      if (rules)
        for (const auto &kv : *obj)
          if (kv.first != "rules" && kv.first != "comment") {
            module.emitError() << "policy '" << file << "': unknown key '"
                               << StringRef(kv.first)
                               << "' (a policy object has \"rules\" and an "
                                  "optional \"comment\")";
            return signalPassFailure();
          }
    }
    if (!rules) {
      module.emitError() << "policy '" << file
                         << "': expected a list of rules or {\"rules\": [...]}";
      return signalPassFailure();
    }
    for (auto [i, rule] : llvm::enumerate(*rules))
      if (failed(applyRule(module, i, rule)))
        return signalPassFailure();
  }

private:
  InFlightDiagnostic ruleError(ModuleOp module, size_t idx, StringRef method) {
    InFlightDiagnostic d = module.emitError();
    d << "policy '" << file << "': rule " << idx;
    if (!method.empty())
      d << " (method " << method << ")";
    d << ": ";
    return d;
  }

  LogicalResult applyRule(ModuleOp module, size_t idx,
                          const llvm::json::Value &ruleV);
  LogicalResult checkSelection(ModuleOp module, size_t idx, StringRef method,
                               StringRef layers, StringRef heads);
  LogicalResult applyDense(ModuleOp module, size_t idx, StringRef layers,
                           StringRef heads);
};

LogicalResult AttnApplyPolicyPass::applyRule(ModuleOp module, size_t idx,
                                             const llvm::json::Value &ruleV) {
  const llvm::json::Object *rule = ruleV.getAsObject();
  if (!rule)
    return ruleError(module, idx, "")
           << "expected an object like {\"method\": \"window\", ...}";
  std::optional<StringRef> method = rule->getString("method");
  if (!method)
    return ruleError(module, idx, "")
           << "missing \"method\" (a string: dense, window, neighborhood, "
              "headwise, block-static, dynamic, elu1, relu, mala, lightning, "
              "agent, hybrid, zerotuning, act, recycle, or moba/sla/sale)";
  std::optional<MethodInfo> info = lookupMethod(*method);
  if (!info)
    return ruleError(module, idx, "")
           << "unknown method '" << *method
           << "'; expected dense, window, neighborhood, headwise, "
              "block-static, dynamic, elu1, relu, mala, lightning, agent, "
              "hybrid, zerotuning, act, recycle, moba, sla or sale";

  std::string layers, heads;
  SmallVector<std::string> options;
  // Keys in a stable order so the built pipeline (and errors) are
  // deterministic.
  SmallVector<StringRef> keys;
  for (const auto &kv : *rule)
    keys.push_back(kv.first);
  llvm::sort(keys);
  for (StringRef key : keys) {
    if (key == "method" || key == "comment")
      continue;
    const llvm::json::Value &v = *rule->get(key);
    std::optional<std::string> value = optionValue(v);
    if (!value)
      return ruleError(module, idx, *method)
             << "key '" << key
             << "': expected a number, a string, a boolean or a list of them";
    if ((key == "layers" || key == "heads") && value->empty())
      return ruleError(module, idx, *method)
             << "'" << key << "' is empty; leave the key out to select every "
             << (key == "layers" ? "site" : "head");
    if (key == "layers") {
      layers = *value;
      continue;
    }
    if (key == "heads") {
      heads = *value;
      continue;
    }
    if (info->pass.empty())
      return ruleError(module, idx, *method)
             << "unknown key '" << key
             << "'; a dense rule takes only layers and heads";
    if (key == info->variantKey)
      return ruleError(module, idx, *method)
             << "key '" << key << "' is set by the method; remove it";
    // "method" names the rule's method, so attn-sparsify's own `method`
    // option (the dynamic block selection) is spelled "select".
    StringRef optName = key;
    if (info->pass == "attn-sparsify" && key == "select")
      optName = "method";
    else if (key == "select")
      return ruleError(module, idx, *method)
             << "key 'select' applies to dynamic sparsity only";
    options.push_back((optName + "=" + *value).str());
  }
  if (failed(checkSelection(module, idx, *method, layers, heads)))
    return failure();
  if (info->pass.empty())
    return applyDense(module, idx, layers, heads);

  std::string pipeline = ("builtin.module(" + info->pass + "{").str();
  if (!info->variantKey.empty())
    pipeline += (info->variantKey + "=" + *method + " ").str();
  if (!info->fixed.empty())
    pipeline += (info->fixed + " ").str();
  if (!layers.empty())
    pipeline += "layers=" + layers + " ";
  if (!heads.empty())
    pipeline += "heads=" + heads + " ";
  for (const std::string &o : options)
    pipeline += o + " ";
  pipeline += "})";
  std::string parseErr;
  llvm::raw_string_ostream errOs(parseErr);
  FailureOr<OpPassManager> pm = parsePassPipeline(pipeline, errOs);
  if (failed(pm))
    return ruleError(module, idx, *method)
           << "invalid options for " << info->pass << ": "
           << StringRef(parseErr).trim() << " (pipeline '" << pipeline << "')";
  if (failed(runPipeline(*pm, module)))
    return ruleError(module, idx, *method)
           << info->pass << " failed (see the error above)";
  return success();
}

LogicalResult AttnApplyPolicyPass::checkSelection(ModuleOp module, size_t idx,
                                                  StringRef method,
                                                  StringRef layers,
                                                  StringRef heads) {
  std::string err;
  auto layerList = parseIndexList(layers, err);
  if (failed(layerList))
    return ruleError(module, idx, method) << "layers: " << err;
  auto headList = parseIndexList(heads, err);
  if (failed(headList))
    return ruleError(module, idx, method) << "heads: " << err;
  int64_t n = siteCount(module);
  if (n == 0)
    return ruleError(module, idx, method)
           << "the module has no attention site (attn.sdpa); run attn-raise "
              "first";
  if (*layerList)
    for (int64_t l : **layerList)
      if (l >= n)
        return ruleError(module, idx, method)
               << "layers: site " << l << " does not exist; the model has " << n
               << " attention site(s) (0-" << n - 1 << ")";
  if (!*headList)
    return success();
  for (SdpaOp op : collectSites(module)) {
    int64_t s = siteIndex(op);
    if (*layerList && !llvm::is_contained(**layerList, s))
      continue;
    int64_t hq = op.getQuery().getType().getDimSize(1);
    for (int64_t h : **headList)
      if (h >= hq)
        return ruleError(module, idx, method)
               << "heads: head " << h << " does not exist; attention site " << s
               << " has " << hq << " query heads (0-" << hq - 1 << ")";
  }
  return success();
}

/// `dense`: heads listed -> exempt them from structured sparsity and score
/// modifiers; no heads -> drop every rewrite of the site.
LogicalResult AttnApplyPolicyPass::applyDense(ModuleOp module, size_t idx,
                                              StringRef layers,
                                              StringRef heads) {
  std::string err;
  auto layerList = *parseIndexList(layers, err);
  auto headList = *parseIndexList(heads, err);
  auto selected = [&](int64_t s) {
    return !layerList || llvm::is_contained(*layerList, s);
  };
  // Sites that earlier rules turned into other ops cannot be made dense.
  Operation *other = nullptr;
  module.walk([&](Operation *op) {
    if (!isa<SdpaOp>(op) && op->getDialect() &&
        op->getDialect()->getNamespace() == "attn" &&
        op->hasAttr("attn.site") && selected(siteIndex(op)) && !other)
      other = op;
  });
  if (other)
    return ruleError(module, idx, "dense")
           << "attention site " << siteIndex(other) << " was rewritten into "
           << other->getName()
           << " by an earlier rule; only sdpa sites can be made dense (put "
              "the dense rule first or exclude the site)";
  for (SdpaOp op : collectSites(module)) {
    if (!selected(siteIndex(op)))
      continue;
    if (headList) {
      if (op.getWindow() || op.getBlockMask()) {
        llvm::SetVector<int64_t> dense;
        if (auto d = op.getDenseHeads())
          dense.insert(d->begin(), d->end());
        dense.insert(headList->begin(), headList->end());
        SmallVector<int64_t> sorted = dense.takeVector();
        llvm::sort(sorted);
        op.setDenseHeadsAttr(DenseI64ArrayAttr::get(op.getContext(), sorted));
      }
      if (op.getScoreMod()) {
        int64_t hq = op.getQuery().getType().getDimSize(1);
        SmallVector<int64_t> keep;
        for (int64_t h = 0; h < hq; ++h)
          if (op.isScoreModHead(h) && !llvm::is_contained(*headList, h))
            keep.push_back(h);
        if (keep.empty()) {
          op.removeScoreModAttr();
          op.removeScoreModHeadsAttr();
        } else {
          op.setScoreModHeadsAttr(
              DenseI64ArrayAttr::get(op.getContext(), keep));
        }
      }
      continue;
    }
    Value blockMask = op.getBlockMask();
    op.getBlockMaskMutable().clear();
    op.removeWindowAttr();
    op.removeBlockSizeAttr();
    op.removeDenseHeadsAttr();
    op.removeCompensationAttr();
    op.removeScoreModAttr();
    op.removeScoreModHeadsAttr();
    // The block map producer (constant or attn.block_select) is now dead.
    if (blockMask && blockMask.use_empty())
      if (Operation *def = blockMask.getDefiningOp())
        if (isPure(def))
          def->erase();
  }
  return success();
}
} // namespace
