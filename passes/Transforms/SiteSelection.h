//===- SiteSelection.h - which attention sites and heads a rewrite hits -*- C++ -*-===//
//
// Every rewrite pass takes `layers` (attention sites, numbered in graph order
// by attn-raise's `attn.site`) and `heads` (query heads) lists such as
// "0-1,4" and applies to those only; empty means all. Out-of-range indices
// are errors that name the pass and the valid range.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_PASSES_TRANSFORMS_SITESELECTION_H
#define ATTUNE_PASSES_TRANSFORMS_SITESELECTION_H

#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>

namespace mlir::attn {

/// Parses "0-3,7,9" into a sorted list; "" means "all" (std::nullopt).
/// On a malformed list returns failure and sets `error`.
FailureOr<std::optional<SmallVector<int64_t>>>
parseIndexList(StringRef spec, std::string &error);

/// The sdpa ops of `module` in site order (by `attn.site`, then program
/// order for ops without one).
SmallVector<SdpaOp> collectSites(ModuleOp module);

/// Fails with "<passName>: the module has no attention site (attn.sdpa) to
/// <verb>; run attn-raise first" on the module when it has no sdpa op (a
/// rewrite on a model that was not raised would otherwise do nothing).
LogicalResult requireSites(ModuleOp module, StringRef passName,
                           StringRef verb);

/// The sites selected by `layers` (a list as above). Emits an error on the
/// module naming `passName` when the list is malformed or names a site that
/// does not exist.
FailureOr<SmallVector<SdpaOp>> selectSites(ModuleOp module, StringRef layers,
                                           StringRef passName);

/// The query heads selected by `heads` for `op`, as a list (nullopt = all);
/// errors on `op` when an index is out of range.
FailureOr<std::optional<SmallVector<int64_t>>>
selectHeads(SdpaOp op, StringRef heads, StringRef passName);

/// Site index of an attention op (its `attn.site`), or -1.
int64_t siteIndex(Operation *op);

} // namespace mlir::attn

#endif
