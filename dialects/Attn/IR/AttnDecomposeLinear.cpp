//===- AttnDecomposeLinear.cpp - reference decompositions of linear forms ===//
//
// (being written)
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnOps.h"

using namespace mlir;
using namespace mlir::attn;

FailureOr<SmallVector<Value>> LinearOp::decomposeToLinalg(OpBuilder &b) {
  return emitOpError("reference decomposition not implemented yet");
}

FailureOr<SmallVector<Value>> AgentOp::decomposeToLinalg(OpBuilder &b) {
  return emitOpError("reference decomposition not implemented yet");
}
