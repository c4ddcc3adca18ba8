//===- JsonLimits.h - bounds on JSON input before parsing ------*- C++ -*-===//
//
// llvm::json::parse recurses once per nesting level, so a policy or layout
// file of a hundred thousand '[' overflows the stack. Files the passes read
// are checked against a nesting bound first.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_LIB_SUPPORT_JSONLIMITS_H
#define ATTUNE_LIB_SUPPORT_JSONLIMITS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir::attn {

/// Deepest nesting of arrays and objects the passes accept.
constexpr unsigned kMaxJsonDepth = 256;

/// Whether `text` nests arrays/objects deeper than `limit` (string contents
/// and escapes are skipped).
inline bool jsonTooDeep(llvm::StringRef text, unsigned limit = kMaxJsonDepth) {
  unsigned depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    else if ((c == '[' || c == '{') && ++depth > limit)
      return true;
    else if ((c == ']' || c == '}') && depth > 0)
      --depth;
  }
  return false;
}

} // namespace mlir::attn

#endif
