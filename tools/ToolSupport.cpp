//===- ToolSupport.cpp - shared pieces of the attune tools ----------------===//

#include "tools/ToolSupport.h"

#include "passes/Transforms/Passes.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <memory>

using namespace mlir;
using namespace mlir::attn;

namespace {
llvm::cl::OptionCategory importCat("ONNX import options");
llvm::cl::list<std::string> *inputShapes;
llvm::cl::list<std::string> *dims;
llvm::cl::opt<int64_t> *defaultDim;
llvm::cl::opt<int64_t> *defaultBatch;
} // namespace

llvm::cl::OptionCategory &tools::importCategory() { return importCat; }

void tools::registerImportCLOptions() {
  static llvm::cl::list<std::string> shapesOpt(
      "input-shape",
      llvm::cl::desc("Shape of an ONNX graph input: NAME=1x128 (repeatable, "
                     "or comma separated)"),
      llvm::cl::cat(importCat));
  static llvm::cl::list<std::string> dimsOpt(
      "dim",
      llvm::cl::desc("Value of a symbolic ONNX dimension: NAME=128 "
                     "(repeatable, or comma separated)"),
      llvm::cl::cat(importCat));
  static llvm::cl::opt<int64_t> defaultDimOpt(
      "default-dim",
      llvm::cl::desc("Value of any other symbolic dimension (default 16)"),
      llvm::cl::init(16), llvm::cl::cat(importCat));
  static llvm::cl::opt<int64_t> defaultBatchOpt(
      "default-batch",
      llvm::cl::desc("Value of symbolic batch dimensions (default 1)"),
      llvm::cl::init(1), llvm::cl::cat(importCat));
  inputShapes = std::addressof(shapesOpt);
  dims = std::addressof(dimsOpt);
  defaultDim = &defaultDimOpt;
  defaultBatch = &defaultBatchOpt;
}

const char *tools::givenImportOption() {
  if (inputShapes->getNumOccurrences())
    return "--input-shape";
  if (dims->getNumOccurrences())
    return "--dim";
  if (defaultDim->getNumOccurrences())
    return "--default-dim";
  if (defaultBatch->getNumOccurrences())
    return "--default-batch";
  return nullptr;
}

bool tools::getImportOptions(onnx::ImportOptions &options) {
  for (auto [opt, name] : {std::pair{defaultDim, "--default-dim"},
                           std::pair{defaultBatch, "--default-batch"}})
    if (opt->getValue() < 0) {
      llvm::errs() << "error: " << name << ": expected a size >= 0, got "
                   << opt->getValue() << "\n";
      return false;
    }
  options.defaultDim = *defaultDim;
  options.defaultBatch = *defaultBatch;
  std::string err;
  for (const std::string &s : *inputShapes)
    if (!onnx::parseShapeOption(s, options, err)) {
      llvm::errs() << "error: --input-shape: " << err << "\n";
      return false;
    }
  for (const std::string &s : *dims) {
    SmallVector<StringRef> items;
    StringRef(s).split(items, ',', -1, false);
    for (StringRef item : items) {
      auto [name, value] = item.split('=');
      int64_t v;
      if (name.empty() || value.getAsInteger(10, v) || v < 0) {
        llvm::errs() << "error: --dim: expected NAME=VALUE, got '" << item
                     << "'\n";
        return false;
      }
      auto [it, fresh] = options.dimParams.try_emplace(name.str(), v);
      if (!fresh && it->second != v) {
        llvm::errs() << "error: --dim: '" << name << "' is given twice ("
                     << it->second << " and " << v << ")\n";
        return false;
      }
    }
  }
  return true;
}

bool tools::isOnnxFile(const std::string &path) {
  StringRef ext = llvm::sys::path::extension(path);
  return ext == ".onnx" || ext == ".onnxtext";
}

OwningOpRef<ModuleOp> tools::importOnnx(MLIRContext &ctx,
                                        const std::string &path,
                                        bool inferShapes) {
  onnx::ImportOptions options;
  if (!getImportOptions(options))
    return nullptr;
  return importOnnx(ctx, path, options, inferShapes);
}

OwningOpRef<ModuleOp> tools::importOnnx(MLIRContext &ctx,
                                        const std::string &path,
                                        const onnx::ImportOptions &options,
                                        bool inferShapes) {
  // Import errors read "model.onnx: error: node 'x' (Op, opset N): ...".
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (d.getSeverity() != DiagnosticSeverity::Error &&
        d.getSeverity() != DiagnosticSeverity::Warning)
      return failure(); // remarks go to the enclosing handler
    llvm::errs() << path << ": "
                 << (d.getSeverity() == DiagnosticSeverity::Error ? "error: "
                                                                   : "warning: ")
                 << d.str() << "\n";
    for (Diagnostic &n : d.getNotes())
      llvm::errs() << "  note: " << n.str() << "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = onnx::importOnnxFile(&ctx, path, options);
  if (!module)
    return nullptr;
  if (inferShapes) {
    PassManager pm(&ctx);
    pm.addPass(createOnnxInferShapesPass());
    pm.addPass(createCanonicalizerPass());
    if (failed(pm.run(*module)))
      return nullptr;
  }
  return module;
}

std::unique_ptr<llvm::MemoryBuffer>
tools::importToBytecode(MLIRContext &ctx, const std::string &path,
                        bool inferShapes) {
  OwningOpRef<ModuleOp> module = importOnnx(ctx, path, inferShapes);
  if (!module)
    return nullptr;
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  if (failed(writeBytecodeToFile(*module, os)))
    return nullptr;
  // Bytecode sections (resource blobs) require an aligned buffer.
  auto buf = llvm::WritableMemoryBuffer::getNewUninitMemBuffer(
      bytes.size(), path, llvm::Align(64));
  std::memcpy(buf->getBufferStart(), bytes.data(), bytes.size());
  return buf;
}
