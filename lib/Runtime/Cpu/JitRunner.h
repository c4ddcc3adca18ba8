//===- JitRunner.h - run a lowered module with the MLIR JIT -----*- C++ -*-===//
//
// Runs the `@main` of a module in the LLVM dialect produced by the CPU
// pipeline. After `buffer-results-to-out-params`, main takes its inputs and
// then its outputs as memrefs; `_mlir_ciface_main` takes pointers to the
// memref descriptors, which this runner builds from host tensors.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_LIB_RUNTIME_CPU_JITRUNNER_H
#define ATTUNE_LIB_RUNTIME_CPU_JITRUNNER_H

#include "lib/Support/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
namespace attn {

struct TensorSpec {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

/// Inputs and outputs of a compiled model's main function.
struct Signature {
  std::vector<TensorSpec> inputs, outputs;
};

/// Reads the signature of `@main` (tensor types and `onnx.name` argument /
/// result attributes) from a module that has not been bufferized yet.
llvm::Expected<Signature> readSignature(ModuleOp module);

class JitModule {
public:
  /// JIT-compiles `llvmModule` (LLVM dialect) at -O`optLevel` for the host.
  static llvm::Expected<std::unique_ptr<JitModule>>
  create(ModuleOp llvmModule, Signature signature, unsigned optLevel = 3);
  ~JitModule();

  /// Runs main on `inputs` (checked against the signature) and fills
  /// `outputs` (allocated here).
  llvm::Error run(const std::vector<HostArray> &inputs,
                  std::vector<HostArray> &outputs);

  const Signature &signature() const { return sig; }

private:
  JitModule() = default;
  std::unique_ptr<ExecutionEngine> engine;
  Signature sig;
};

} // namespace attn
} // namespace mlir

#endif
