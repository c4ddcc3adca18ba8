//===- OnnxImporter.h - ONNX protobuf to the onnx dialect -------*- C++ -*-===//
//
// Reads an ONNX model (binary protobuf with optional external data, or the
// ONNX text syntax) and builds a module with one `func.func @main` whose body
// is one `onnx.node` per ONNX node. Symbolic input dimensions are fixed here
// from the options; shapes of intermediate values are left to
// `onnx-infer-shapes`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_LIB_IMPORT_ONNXIMPORTER_H
#define ATTUNE_LIB_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mlir::attn::onnx {

struct ImportOptions {
  /// Full shapes for named graph inputs ("input_ids" -> {1, 128}).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Values for symbolic dimension names ("sequence_length" -> 128).
  std::map<std::string, int64_t> dimParams;
  /// Value of an unnamed/unfixed symbolic dimension whose name mentions
  /// "batch", and of every other unfixed symbolic dimension.
  int64_t defaultBatch = 1;
  int64_t defaultDim = 16;
  /// Float initializers with more elements than this become resource blobs
  /// (no textual copy, one binary copy); smaller ones are inline constants.
  int64_t inlineElementLimit = 4096;
  /// Optional: the shape of a graph input known from elsewhere (for example
  /// the .npy file the user gave for it). Consulted after `inputShapes`.
  std::function<bool(const std::string &name, std::vector<int64_t> &shape)>
      shapeFor;
};

/// Imports `path` (`.onnx` binary or `.onnxtext`). Errors are reported through
/// the context's diagnostic engine and yield a null module.
OwningOpRef<ModuleOp> importOnnxFile(MLIRContext *ctx, const std::string &path,
                                     const ImportOptions &options);

/// Parses "name=1x128,other=2x3" (shapes) or "seq=128" (dims) options.
bool parseShapeOption(const std::string &spec, ImportOptions &options,
                      std::string &error);

/// Registers the dialects the importer produces.
void registerImportDialects(DialectRegistry &registry);

} // namespace mlir::attn::onnx

#endif
