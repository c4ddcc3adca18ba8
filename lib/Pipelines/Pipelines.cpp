//===- Pipelines.cpp - attune's named compilation phases ----------------===//
//
// Upstream passes are named by their textual pipeline names: those are the
// stable interface across MLIR releases (the C++ factory names are not).
//
//===----------------------------------------------------------------------===//

#include "attune/Pipelines.h"

#include "passes/Conversion/Passes.h"
#include "passes/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::attn;

bool mlir::attn::parsePhase(const std::string &s, Phase &phase) {
  if (s == "import")
    phase = Phase::Import;
  else if (s == "raise")
    phase = Phase::Raise;
  else if (s == "linalg")
    phase = Phase::Linalg;
  else if (s == "llvm")
    phase = Phase::Llvm;
  else
    return false;
  return true;
}

static void addText(OpPassManager &pm, StringRef pipeline) {
  if (failed(parsePassPipeline(pipeline, pm)))
    llvm::report_fatal_error(llvm::Twine("attune: bad built-in pipeline: ") +
                             pipeline);
}

const char *mlir::attn::phaseName(Phase phase) {
  switch (phase) {
  case Phase::Import:
    return "import";
  case Phase::Raise:
    return "raise";
  case Phase::Linalg:
    return "linalg";
  case Phase::Llvm:
    return "llvm";
  }
  return "?";
}

void mlir::attn::buildPhase(OpPassManager &pm, const PipelineOptions &options,
                            Phase phase) {
  switch (phase) {
  case Phase::Import:
    pm.addPass(createOnnxInferShapesPass());
    pm.addPass(createCanonicalizerPass());
    return;
  case Phase::Raise: {
    AttnRaisePassOptions raise;
    raise.fusedOnly = !options.raise;
    raise.report = options.report;
    pm.addPass(createAttnRaisePass(raise));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    return;
  }
  case Phase::Linalg:
    if (options.kernels) {
      AttnTilePassOptions tile;
      tile.target = "cpu";
      pm.addPass(createAttnTilePass(tile));
      pm.addPass(createConvertAttnToCpuKernelsPass());
      // Values only a recycled step's full-step branch reads move into that
      // branch, so partial steps never compute them. (The branch ranks keys
      // by the scores the kernel returns, so a Concat of the KV cache whose
      // pieces the kernel reads in place is no longer among them: unless the
      // model outputs it, it is dead.)
      pm.addPass(createControlFlowSinkPass());
    }
    pm.addPass(createConvertAttnToLinalgPass());
    pm.addPass(createConvertOnnxToLinalgPass());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createFuseElementwisePass());
    pm.addPass(createCSEPass());
    return;
  case Phase::Llvm:
    if (options.kernels)
      pm.addPass(createConvertLinalgToCpuKernelsPass());
    pm.addNestedPass<func::FuncOp>(createMaterializeReturnsPass());
    addText(pm, "one-shot-bufferize{bufferize-function-boundaries "
                "function-boundary-type-conversion=identity-layout-map}");
    addText(pm, "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}");
    addText(pm, "buffer-deallocation-pipeline");
    // Strided copies (bufferized Concat/Pad/Slice) as memcpy blocks, not
    // the runtime's per-element memrefCopy; large ones on the kernel threads.
    addText(pm, options.kernels ? "attn-lower-strided-copies{kernel-calls}"
                                : "attn-lower-strided-copies");
    addText(pm, "func.func(convert-linalg-to-loops)");
    addText(pm, "expand-strided-metadata,lower-affine,convert-scf-to-cf");
    // tanh, erf, exp, log, ... as polynomials, so that element-wise loops
    // vectorize instead of calling libm per element.
    addText(pm, "attn-approximate-math");
    addText(pm, "convert-math-to-llvm,convert-math-to-libm");
    // Heap buffers through the kernel library's allocator, which reuses
    // large blocks across runs (lib/Runtime/Cpu/Kernels/BufferCache.cpp).
    addText(pm, "convert-arith-to-llvm,convert-cf-to-llvm,"
                "finalize-memref-to-llvm{use-generic-functions},"
                "convert-func-to-llvm,"
                "convert-ub-to-llvm,reconcile-unrealized-casts");
    return;
  }
}

void mlir::attn::buildPipeline(OpPassManager &pm,
                               const PipelineOptions &options, Phase last) {
  for (Phase p : {Phase::Import, Phase::Raise, Phase::Linalg, Phase::Llvm}) {
    buildPhase(pm, options, p);
    if (p == last)
      return;
  }
}

namespace {
struct CliOptions : public PassPipelineOptions<CliOptions> {
  Option<bool> raise{*this, "raise",
                     llvm::cl::desc("Raise decomposed attention subgraphs"),
                     llvm::cl::init(true)};
  Option<bool> report{*this, "report",
                      llvm::cl::desc("Remark per raised attention site"),
                      llvm::cl::init(false)};
  Option<bool> kernels{
      *this, "kernels",
      llvm::cl::desc("Lower attention and contractions to the CPU kernel "
                     "library (false: reference loops)"),
      llvm::cl::init(true)};
};

void registerPhase(StringRef name, StringRef desc, Phase phase) {
  PassPipelineRegistration<CliOptions>(
      name, desc, [phase](OpPassManager &pm, const CliOptions &o) {
        PipelineOptions opts;
        opts.raise = o.raise;
        opts.report = o.report;
        opts.kernels = o.kernels;
        buildPipeline(pm, opts, phase);
      });
}
} // namespace

void mlir::attn::registerPipelines() {
  registerPhase("attune-import-pipeline",
                "Imported ONNX graph to static shapes with folded constants",
                Phase::Import);
  registerPhase("attune-raise-pipeline",
                "Import phase, then raise attention to attn ops", Phase::Raise);
  registerPhase("attune-linalg-pipeline",
                "Raise phase, then lower everything to linalg on tensors",
                Phase::Linalg);
  registerPhase("attune-cpu-pipeline",
                "Full CPU lowering to the LLVM dialect", Phase::Llvm);
}
