//===- Session.h - what every attune command shares -------------*- C++ -*-===//
//
// Loading a model (ONNX or MLIR), compiling it through the named phases with
// an optional rewrite pipeline, running it with the JIT, comparing outputs,
// and the options every command takes (model, inputs, seed, rewrite, ...).
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_TOOLS_ATTUNE_SESSION_H
#define ATTUNE_TOOLS_ATTUNE_SESSION_H

#include "attune/Pipelines.h"
#include "lib/Runtime/Cpu/JitRunner.h"
#include "lib/Support/Npy.h"
#include "tools/attune/Inputs.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/JSON.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir::attn::driver {

// Options shared by the commands (each command adds its own).
llvm::cl::OptionCategory &commonCategory();
extern llvm::cl::opt<std::string> modelPath;
extern llvm::cl::opt<std::string> inputsDir;
extern llvm::cl::list<std::string> inputFiles;
extern llvm::cl::opt<unsigned> seed;
extern llvm::cl::opt<std::string> outputDir;
extern llvm::cl::opt<std::string> rewrite;
extern llvm::cl::opt<std::string> policy;
extern llvm::cl::opt<bool> noRaise;
extern llvm::cl::opt<bool> check;
extern llvm::cl::opt<double> rtol, atol;
extern llvm::cl::opt<std::string> python;

/// Parses argv[2..] for command `name`: the common and import options and
/// those of the `extra` categories (the ones --help shows). Options of other
/// commands, and common options the command does not use (`unused`, names
/// without the dashes), are errors rather than silently ignored. Returns
/// false on such an error, a parse error or a missing model.
bool parseCommandLine(int argc, char **argv, llvm::StringRef name,
                      llvm::StringRef overview,
                      std::vector<llvm::cl::OptionCategory *> extra,
                      std::vector<llvm::StringRef> unused = {});

double msSince(std::chrono::steady_clock::time_point t0);

/// A context with every attune dialect and a diagnostic handler that prints
/// errors/warnings (with their location) to stderr and collects remarks (the
/// raise report) into `remarks`.
class Session {
public:
  Session();
  MLIRContext &context() { return ctx; }
  std::vector<std::string> remarks;

  /// Imports MODEL (.onnx/.onnxtext, or .mlir with a `func.func @main` on
  /// tensors) and runs the import phase. `given` supplies input shapes.
  OwningOpRef<ModuleOp> load(const std::string &path, InputSet &given);

private:
  MLIRContext ctx;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
};

/// Reads the inputs that --inputs / --input name into `given`; prints the
/// error and returns false when one cannot be read.
bool loadGivenInputs(InputSet &given);

/// loadGivenInputs, then Session::load of MODEL with the shapes they fix.
/// Null (after the error was printed) on failure.
OwningOpRef<ModuleOp> loadCommandModel(Session &session, InputSet &given);

/// Writes `array` as DIR/NAME.npy (the name passed through sanitizeName);
/// prints the error and returns false when it cannot be written.
/// Writes `value` pretty-printed as JSON to `path`; false (after printing an
/// error that names `option`) when the file cannot be written.
bool writeJsonFile(const std::string &path, llvm::StringRef option,
                   llvm::json::Value value);

bool writeNpyFile(const std::string &dir, const std::string &name,
                  const HostArray &array);

/// Creates DIR and writes `arrays[i]` into it under `specs[i]`'s name, as
/// writeNpyFile does; false (after the error was printed) on the first
/// failure.
bool writeNpyDir(const std::string &dir, const std::vector<TensorSpec> &specs,
                 const std::vector<HostArray> &arrays);

/// How to compile an imported module.
struct CompileSpec {
  bool raise = true;
  /// Textual pass pipeline run after the raise phase ("" = none).
  std::string rewrite;
  /// Passes run after `rewrite`, before lowering (e.g. exposing sites).
  std::function<void(OpPassManager &)> beforeLowering;
  /// Lower to the CPU kernel library (false: the reference lowering).
  bool kernels = true;
  /// LLVM optimization level of the JIT (3: what benchmarks time; 0 or 1:
  /// for graphs whose generated code does little, e.g. a one-token decode
  /// step, where compile time dominates; 0 also selects instructions with
  /// LLVM's fast path).
  unsigned optLevel = 3;
};

struct CompiledModel {
  Signature signature;
  std::unique_ptr<JitModule> jit;
  /// Remarks produced while compiling (the raise report).
  std::vector<std::string> sites;
  double compileMs = 0;
};

/// Lowers a clone of `imported` (output of the import phase) through the
/// phases up to `last` (raise + rewrite, linalg, llvm); `sig` receives the
/// signature after the rewrite. Errors are printed; null on failure.
OwningOpRef<ModuleOp> lower(Session &session, ModuleOp imported,
                            const CompileSpec &spec, Signature &sig,
                            Phase last);

/// Compiles a clone of `imported` (output of the import phase) with the JIT;
/// `imported` itself is left unchanged. Errors are printed; null on failure.
std::unique_ptr<CompiledModel> compile(Session &session, ModuleOp imported,
                                       const CompileSpec &spec);

struct Comparison {
  double maxAbs = 0, maxRel = 0, meanAbs = 0, cosine = 1;
  int64_t bad = 0;
  std::string problem;
  bool ok() const { return problem.empty() && bad == 0; }
};

/// Element-wise comparison with `atol + rtol * |ref|`; maxRel is relative to
/// max |ref|.
Comparison compare(const HostArray &got, const HostArray &ref, double rtol,
                   double atol);

/// Runs onnxruntime on `model` with `inputs` (through test/python/ort_run.py
/// in the project's Python) and reads back its outputs by name.
bool runOnnxruntime(const std::string &model, const Signature &sig,
                    const std::vector<HostArray> &inputs,
                    std::map<std::string, HostArray> &refs);

} // namespace mlir::attn::driver

#endif
