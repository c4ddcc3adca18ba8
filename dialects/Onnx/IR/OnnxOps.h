//===- OnnxOps.h - onnx dialect ---------------------------------*- C++ -*-===//
#ifndef ATTUNE_DIALECTS_ONNX_IR_ONNXOPS_H
#define ATTUNE_DIALECTS_ONNX_IR_ONNXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Onnx/IR/OnnxDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/Onnx/IR/OnnxOps.h.inc"

#endif
