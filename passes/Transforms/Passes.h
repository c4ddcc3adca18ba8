//===- Passes.h - attune transforms -----------------------------*- C++ -*-===//
#ifndef ATTUNE_PASSES_TRANSFORMS_PASSES_H
#define ATTUNE_PASSES_TRANSFORMS_PASSES_H

#include "dialects/Attn/IR/AttnOps.h"
#include "dialects/Onnx/IR/OnnxOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Pass/Pass.h"

namespace mlir::attn {
#define GEN_PASS_DECL
#include "passes/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

#endif
