//===- AttnOps.h - attn dialect ---------------------------------*- C++ -*-===//
#ifndef ATTUNE_DIALECTS_ATTN_IR_ATTNOPS_H
#define ATTUNE_DIALECTS_ATTN_IR_ATTNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Attn/IR/AttnDialect.h.inc"
#include "dialects/Attn/IR/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Attn/IR/AttnAttrs.h.inc"

#include "dialects/Attn/IR/AttnInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/Attn/IR/AttnOps.h.inc"

namespace mlir::attn {
/// What a constant mask means for attention of shape Lq x Lk.
enum class ConstMaskKind { NotConstant, AllVisible, TopLeftCausal, BottomRightCausal, Other };
/// Classifies `mask` (a boolean keep-mask or an additive float mask) when it is
/// a constant that is the same for every batch and head. Additive entries
/// count as "masked" when they are <= -1e4 (exporters use -inf, finfo.min or
/// -10000), as "visible" when exactly 0; anything else is `Other`.
ConstMaskKind classifyConstantMask(Value mask, int64_t lq, int64_t lk);
} // namespace mlir::attn

#endif
