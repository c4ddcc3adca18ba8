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
  /// Messages of the run-time checks of generated code, by site number
  /// (the module's `attune.checks`; empty before convert-onnx-to-linalg).
  std::vector<std::string> checks;
};

/// The module's `attune.checks` messages (none when it has no such list).
std::vector<std::string> readChecks(ModuleOp module);

/// The first run-time check that failed on this thread since the last call
/// (see attune_check_failed), as an error that starts with its message;
/// success when none failed. Clears the record.
llvm::Error takeCheckFailure(const std::vector<std::string> &checks);

/// Checks `inputs` against `sig` (count, element type, shape); the error
/// names the first input that does not match.
llvm::Error checkInputs(const Signature &sig,
                        const std::vector<HostArray> &inputs);

/// A model's inputs and outputs in 64-byte aligned host buffers, filled once
/// and then reused by every run: what timing loops need so that they measure
/// the model, not copies.
class BoundTensors {
public:
  /// Checks `inputs` against `sig`, copies them, allocates the outputs.
  static llvm::Expected<std::unique_ptr<BoundTensors>>
  create(const Signature &sig, const std::vector<HostArray> &inputs);
  ~BoundTensors();

  void *input(size_t i) const { return ins[i]; }
  void *output(size_t i) const { return outs[i]; }
  /// Copies the output buffers into `outputs` (shaped by the signature).
  void readOutputs(std::vector<HostArray> &outputs) const;
  const Signature &signature() const { return sig; }

private:
  BoundTensors() = default;
  Signature sig;
  std::vector<void *> ins, outs;
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

  /// Binds `inputs` (checked, copied once) and output buffers; invoke()
  /// then runs main on them with no copies and no symbol lookup, so that a
  /// benchmark times the model alone.
  llvm::Error prepare(const std::vector<HostArray> &inputs);
  /// Runs main on the buffers of the last prepare().
  llvm::Error invoke();
  /// The outputs of the last invoke().
  void preparedOutputs(std::vector<HostArray> &outputs) const;

  const Signature &signature() const { return sig; }

private:
  JitModule() = default;
  struct Prepared;
  std::unique_ptr<ExecutionEngine> engine;
  Signature sig;
  std::unique_ptr<Prepared> prepared;
};

} // namespace attn
} // namespace mlir

#endif
