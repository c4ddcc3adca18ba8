//===- attune-opt.cpp - attune's opt tool ---------------------------------===//
//
// mlir-opt with attune's dialects, passes and pipelines, which also accepts
// ONNX models (`.onnx`, `.onnxtext`) as input. ONNX input is imported and put
// through `onnx-infer-shapes` (static shapes, folded shape arithmetic) before
// the requested passes run, unless --onnx-raw-import is given.
//
//===----------------------------------------------------------------------===//

#include "attune/InitAll.h"
#include "lib/Import/OnnxImporter.h"
#include "tools/ToolSupport.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

int main(int argc, char **argv) {
  DialectRegistry registry;
  attn::registerAllDialects(registry);
  attn::registerAllPasses();
  attn::tools::registerImportCLOptions();
  static llvm::cl::opt<bool> rawImport(
      "onnx-raw-import",
      llvm::cl::desc("Do not run onnx-infer-shapes on ONNX input"),
      llvm::cl::init(false));

  auto [inputFile, outputFile] =
      registerAndParseCLIOptions(argc, argv, "attune optimizer", registry);
  // A pass error names its op and location; MLIR's default of printing the
  // whole module after it (megabytes for a real model) stays available as
  // --mlir-print-op-on-diagnostic=true.
  if (auto *o = llvm::cl::getRegisteredOptions().lookup(
          "mlir-print-op-on-diagnostic");
      o && !o->getNumOccurrences())
    static_cast<llvm::cl::opt<bool> *>(o)->setValue(false);

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  if (attn::tools::isOnnxFile(inputFile)) {
    MLIRContext ctx(registry);
    ctx.loadAllAvailableDialects();
    buffer = attn::tools::importToBytecode(ctx, inputFile, !rawImport);
    if (!buffer)
      return 1;
  } else {
    buffer = openInputFile(inputFile, &errorMessage);
    if (!buffer) {
      llvm::errs() << errorMessage << "\n";
      return 1;
    }
  }
  auto output = openOutputFile(outputFile, &errorMessage);
  if (!output) {
    llvm::errs() << errorMessage << "\n";
    return 1;
  }
  if (failed(MlirOptMain(output->os(), std::move(buffer), registry,
                         MlirOptMainConfig::createFromCLOptions())))
    return 1;
  output->keep();
  return 0;
}
