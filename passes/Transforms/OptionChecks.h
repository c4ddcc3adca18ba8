//===- OptionChecks.h - pass options that do not apply ---------*- C++ -*-===//
//
// The rewrite passes take the options of all their variants (patterns,
// feature maps, methods, schedules); an option given for another variant
// would be ignored without a word, so the passes reject it. StrayOption
// finds the first such option among those a pass lists.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_PASSES_TRANSFORMS_OPTIONCHECKS_H
#define ATTUNE_PASSES_TRANSFORMS_OPTIONCHECKS_H

#include "llvm/ADT/StringRef.h"

namespace mlir::attn {

/// stray.check(opt, applies)... : `name` is the first option that was given
/// (in the pipeline or on the command line) although it does not apply;
/// empty when there is none.
struct StrayOption {
  llvm::StringRef name;
  template <typename Opt> StrayOption &check(Opt &o, bool applies) {
    if (name.empty() && o.hasValue() && !applies)
      name = o.ArgStr;
    return *this;
  }
};

} // namespace mlir::attn

#endif
