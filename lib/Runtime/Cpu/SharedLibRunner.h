//===- SharedLibRunner.h - run libraries from `attune compile` -*- C++ -*-===//
//
// Loads a shared library written by `attune compile` and runs its model with
// no MLIR at all: the library describes itself through an exported
// descriptor `NAME_attune_model` (ABI version, name, input/output tables,
// entry point; layout in the generated header and below), which gives the
// signature that inputs are checked against.
//
// A library that calls the CPU kernel library carries its own copy of it
// (its own thread pool and profile counters); kernelHooks() reaches that
// copy, not the one linked into the loading program.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_LIB_RUNTIME_CPU_SHAREDLIBRUNNER_H
#define ATTUNE_LIB_RUNTIME_CPU_SHAREDLIBRUNNER_H

#include "lib/Runtime/Cpu/JitRunner.h"
#include "lib/Support/Npy.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir::attn {

/// Version of the descriptor layout that `attune compile` writes.
constexpr int32_t kModelDescriptorAbi = 1;
/// Suffix of the descriptor symbol: NAME + kModelDescriptorSuffix.
constexpr const char *kModelDescriptorSuffix = "_attune_model";

/// The kernel library's control functions as found in a shared library;
/// every member is null when the library does not contain the kernels.
struct KernelHooks {
  int (*numThreads)() = nullptr;
  void (*setNumThreads)(int) = nullptr;
  void (*profileReset)() = nullptr;
  uint64_t (*profileNs)(int) = nullptr;
  explicit operator bool() const {
    return numThreads && setNumThreads && profileReset && profileNs;
  }
};

class SharedLibModule {
public:
  /// dlopens `path` and reads the descriptor of model `name`; with an empty
  /// name, the library must export exactly one descriptor. Errors name the
  /// file.
  static llvm::Expected<std::unique_ptr<SharedLibModule>>
  open(const std::string &path, const std::string &name = "");
  ~SharedLibModule();

  /// Names of the models whose descriptors `path` exports (from its dynamic
  /// symbol table, without loading it).
  static llvm::Expected<std::vector<std::string>>
  listModels(const std::string &path);

  const Signature &signature() const { return sig; }
  const std::string &name() const { return modelName; }
  const KernelHooks &kernelHooks() const { return hooks; }

  /// Runs the model on `inputs` (checked against the signature) and fills
  /// `outputs`.
  llvm::Error run(const std::vector<HostArray> &inputs,
                  std::vector<HostArray> &outputs);

  /// As JitModule: bind once, then invoke() repeatedly without copies.
  llvm::Error prepare(const std::vector<HostArray> &inputs);
  llvm::Error invoke();
  void preparedOutputs(std::vector<HostArray> &outputs) const;

private:
  SharedLibModule() = default;
  void *handle = nullptr;
  std::string path, modelName;
  Signature sig;
  int (*entry)(const void *const *, void *const *) = nullptr;
  KernelHooks hooks;
  std::unique_ptr<BoundTensors> bound;
  std::vector<const void *> inPtrs;
  std::vector<void *> outPtrs;
};

/// True when `path` names an ELF shared object (by its contents, not its
/// extension), i.e. something for SharedLibModule rather than the importer.
bool isSharedLibrary(const std::string &path);

} // namespace mlir::attn

#endif
