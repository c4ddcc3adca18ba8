//===- InitAll.h - register everything attune provides ----------*- C++ -*-===//
//
// The one entry point tools use: every dialect attune produces or consumes,
// every attune pass and pipeline, and the upstream passes the pipelines use.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_INITALL_H
#define ATTUNE_INITALL_H

namespace mlir {
class DialectRegistry;
namespace attn {
void registerAllDialects(DialectRegistry &registry);
void registerAllPasses();
} // namespace attn
} // namespace mlir

#endif
