//===- ToolSupport.h - shared pieces of the attune tools --------*- C++ -*-===//
#ifndef ATTUNE_TOOLS_TOOLSUPPORT_H
#define ATTUNE_TOOLS_TOOLSUPPORT_H

#include "lib/Import/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace mlir::attn::tools {
/// Registers --input-shape, --dim, --default-dim, --default-batch.
void registerImportCLOptions();
/// Their option category (for --help filtering).
llvm::cl::OptionCategory &importCategory();
/// Import options from those flags; false (with a message on stderr) on a
/// malformed flag.
bool getImportOptions(onnx::ImportOptions &options);
/// The first import option given on the command line ("--dim", ...), or
/// null: for commands whose model is compiled already.
const char *givenImportOption();
bool isOnnxFile(const std::string &path);
/// Imports an ONNX file; with `inferShapes`, also runs onnx-infer-shapes and
/// canonicalize. Diagnostics go to stderr; returns null on failure.
OwningOpRef<ModuleOp> importOnnx(MLIRContext &ctx, const std::string &path,
                                 bool inferShapes);
OwningOpRef<ModuleOp> importOnnx(MLIRContext &ctx, const std::string &path,
                                 const onnx::ImportOptions &options,
                                 bool inferShapes);
/// Same, serialized as MLIR bytecode for MlirOptMain.
std::unique_ptr<llvm::MemoryBuffer>
importToBytecode(MLIRContext &ctx, const std::string &path, bool inferShapes);
} // namespace mlir::attn::tools

#endif
