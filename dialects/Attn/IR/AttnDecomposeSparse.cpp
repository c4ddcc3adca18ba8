//===- AttnDecomposeSparse.cpp - reference decomposition of block_select ===//
//
// (being written)
//
//===----------------------------------------------------------------------===//

#include "dialects/Attn/IR/AttnOps.h"

using namespace mlir;
using namespace mlir::attn;

FailureOr<SmallVector<Value>> BlockSelectOp::decomposeToLinalg(OpBuilder &b) {
  return emitOpError("reference decomposition not implemented yet");
}
