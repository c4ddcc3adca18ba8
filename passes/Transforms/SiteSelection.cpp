//===- SiteSelection.cpp - which attention sites and heads a rewrite hits ===//

#include "passes/Transforms/SiteSelection.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::attn;

FailureOr<std::optional<SmallVector<int64_t>>>
mlir::attn::parseIndexList(StringRef spec, std::string &error) {
  spec = spec.trim();
  if (spec.empty() || spec == "all")
    return std::optional<SmallVector<int64_t>>();
  SmallVector<int64_t> out;
  SmallVector<StringRef> items;
  spec.split(items, ',', -1, false);
  for (StringRef item : items) {
    item = item.trim();
    auto [lo, hi] = item.split('-');
    int64_t a, b;
    if (lo.trim().getAsInteger(10, a) ||
        (!hi.empty() && hi.trim().getAsInteger(10, b)) || a < 0) {
      error = "expected a list of indices or ranges like '0-3,7', got '" +
              spec.str() + "'";
      return failure();
    }
    if (hi.empty())
      b = a;
    if (b < a) {
      error = "empty range '" + item.str() + "' in '" + spec.str() + "'";
      return failure();
    }
    for (int64_t i = a; i <= b; ++i)
      out.push_back(i);
  }
  llvm::sort(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return std::optional<SmallVector<int64_t>>(out);
}

int64_t mlir::attn::siteIndex(Operation *op) {
  if (auto a = op->getAttrOfType<IntegerAttr>("attn.site"))
    return a.getInt();
  return -1;
}

SmallVector<SdpaOp> mlir::attn::collectSites(ModuleOp module) {
  // (site, program order): ops without a site index go last.
  SmallVector<std::pair<std::pair<int64_t, int64_t>, SdpaOp>> keyed;
  module.walk([&](SdpaOp op) {
    int64_t s = siteIndex(op);
    keyed.push_back({{s < 0 ? INT64_MAX : s, (int64_t)keyed.size()}, op});
  });
  llvm::sort(keyed, [](const auto &a, const auto &b) { return a.first < b.first; });
  SmallVector<SdpaOp> ops;
  for (auto &k : keyed)
    ops.push_back(k.second);
  return ops;
}

LogicalResult mlir::attn::requireSites(ModuleOp module, StringRef passName,
                                      StringRef verb) {
  if (!collectSites(module).empty())
    return success();
  return module.emitError()
         << passName << ": the module has no attention site (attn.sdpa) to "
         << verb << "; run attn-raise first";
}

FailureOr<SmallVector<SdpaOp>>
mlir::attn::selectSites(ModuleOp module, StringRef layers, StringRef passName) {
  std::string error;
  auto list = parseIndexList(layers, error);
  if (failed(list)) {
    module.emitError() << passName << ": layers: " << error;
    return failure();
  }
  SmallVector<SdpaOp> all = collectSites(module);
  if (!*list)
    return all;
  SmallVector<SdpaOp> out;
  // Raised sites are addressed by their `attn.site` index, which stays valid
  // after earlier rewrites turned other sites into non-sdpa ops (policies
  // apply several passes in a row); positions are the fallback for sdpa ops
  // without an index.
  if (!all.empty() && llvm::all_of(all, [](SdpaOp op) {
        return siteIndex(op) >= 0;
      })) {
    int64_t n = 0;
    module.walk([&](Operation *op) { n = std::max(n, siteIndex(op) + 1); });
    for (int64_t i : **list) {
      auto it = llvm::find_if(all, [&](SdpaOp op) { return siteIndex(op) == i; });
      if (it != all.end()) {
        out.push_back(*it);
        continue;
      }
      if (i < n)
        module.emitError() << passName << ": layers: attention site " << i
                           << " is no longer an attn.sdpa (an earlier "
                              "rewrite changed it)";
      else
        module.emitError() << passName << ": layers: site " << i
                           << " does not exist; the model has " << n
                           << " attention site(s) (0-" << n - 1 << ")";
      return failure();
    }
    return out;
  }
  for (int64_t i : **list) {
    if (i >= static_cast<int64_t>(all.size())) {
      module.emitError() << passName << ": layers: site " << i
                         << " does not exist; the model has " << all.size()
                         << " attention site(s) (0-"
                         << static_cast<int64_t>(all.size()) - 1 << ")";
      return failure();
    }
    out.push_back(all[i]);
  }
  return out;
}

FailureOr<std::optional<SmallVector<int64_t>>>
mlir::attn::selectHeads(SdpaOp op, StringRef heads, StringRef passName) {
  std::string error;
  auto list = parseIndexList(heads, error);
  if (failed(list)) {
    op.emitError() << passName << ": heads: " << error;
    return failure();
  }
  int64_t hq = op.getQuery().getType().getDimSize(1);
  if (*list)
    for (int64_t h : **list)
      if (h >= hq) {
        op.emitError() << passName << ": heads: head " << h
                       << " does not exist; attention site " << siteIndex(op)
                       << " has " << hq << " query heads (0-" << hq - 1 << ")";
        return failure();
      }
  return *list;
}
