//===- Pipelines.h - attune's named compilation phases ----------*- C++ -*-===//
//
// The compiler is a sequence of named phases; each is a registered pipeline
// that attune-opt can run alone and the driver can stop after.
//
//   import      onnx.node graph with static shapes, constants folded
//   raise       attention raised to attn ops (fused ONNX ops always)
//   linalg      everything on linalg/tensor/arith/math
//   llvm        LLVM dialect, ready for the JIT or translation
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_PIPELINES_H
#define ATTUNE_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"

#include <string>

namespace mlir::attn {

struct PipelineOptions {
  /// Raise decomposed attention subgraphs (fused ONNX attention ops are
  /// converted in any case: they have no other lowering).
  bool raise = true;
  /// Emit a remark per raised attention site.
  bool report = false;
  /// Lower attention, contractions, ... to the CPU kernel library
  /// (lib/Runtime/Cpu/Kernels); false keeps the reference lowering (plain
  /// loops from the ops' decompositions), the correctness oracle.
  bool kernels = true;
};

enum class Phase { Import, Raise, Linalg, Llvm };

/// Parses "import|raise|linalg|llvm".
bool parsePhase(const std::string &s, Phase &phase);

/// Adds the passes of one phase (which expect the output of the phase before).
void buildPhase(OpPassManager &pm, const PipelineOptions &options, Phase phase);

/// Adds the passes from the imported module up to and including `last`.
void buildPipeline(OpPassManager &pm, const PipelineOptions &options,
                   Phase last);

/// The phase's name ("import", ...).
const char *phaseName(Phase phase);

/// Registers `attune-import-pipeline`, `attune-raise-pipeline`,
/// `attune-linalg-pipeline`, `attune-cpu-pipeline`.
void registerPipelines();

} // namespace mlir::attn

#endif
