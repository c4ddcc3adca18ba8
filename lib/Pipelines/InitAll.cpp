//===- InitAll.cpp - register everything attune provides -----------------===//

#include "attune/InitAll.h"
#include "attune/Pipelines.h"

#include "dialects/Attn/IR/AttnOps.h"
#include "dialects/Onnx/IR/OnnxOps.h"
#include "passes/Conversion/Passes.h"
#include "passes/Transforms/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

void mlir::attn::registerAllDialects(DialectRegistry &registry) {
  registry.insert<AttnDialect, onnx::OnnxDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

void mlir::attn::registerAllPasses() {
  mlir::registerAllPasses();
  registerAttuneTransformsPasses();
  registerAttuneConversionPasses();
  registerPipelines();
}
