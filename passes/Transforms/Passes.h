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

/// The methods a policy rule names (docs/policies.md), "dense" first, then
/// in the order of the README's method list.
llvm::ArrayRef<llvm::StringRef> policyMethods();

/// The rewrite pipeline that applies policy method `method` to every site
/// with the pass's default parameters (e.g. "attn-sparsify{pattern=window}";
/// "" for dense), or nullopt for an unknown method.
std::optional<std::string> methodPipeline(llvm::StringRef method);
} // namespace mlir::attn

#endif
