//===- RaiseAttention.cpp - decomposed attention to attn.sdpa -----------===//
// (skeleton: being written)
#include "passes/Transforms/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNRAISEPASS
#include "passes/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct AttnRaisePass : attn::impl::AttnRaisePassBase<AttnRaisePass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
