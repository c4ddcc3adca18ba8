//===- RunCommand.cpp - `attune run` --------------------------------------===//
//
// Compile a model for the CPU with the JIT, run it on given (.npy) or seeded
// random inputs, write the outputs as .npy and optionally compare them with
// onnxruntime (`--check`) or with stored reference outputs (`--expected`).
// MODEL may also be a shared library written by `attune compile`: it is
// loaded and called through the descriptor it exports (no MLIR involved);
// `--source` names the model it was compiled from, for --check and for
// generated inputs that respect the model (token ids inside the table).
//
//===----------------------------------------------------------------------===//

#include "lib/Runtime/Cpu/SharedLibRunner.h"
#include "tools/ToolSupport.h"
#include "tools/attune/Commands.h"
#include "tools/attune/Session.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::driver;
namespace cl = llvm::cl;

namespace {
cl::OptionCategory runCat("attune run options");
cl::opt<std::string> expectedDir(
    "expected", cl::desc("Compare with reference outputs NAME.npy in DIR"),
    cl::cat(runCat));
cl::opt<bool> report("report", cl::desc("Print every raised attention site"),
                     cl::cat(runCat));
cl::opt<int> expectSites(
    "expect-sites",
    cl::desc("Fail unless raising finds exactly this many attention sites"),
    cl::init(-1), cl::cat(runCat));
cl::opt<std::string> dumpInputs(
    "dump-inputs", cl::desc("Also write the inputs used (given or generated) "
                            "as NAME.npy into DIR"),
    cl::cat(runCat));
cl::opt<std::string> compileTo(
    "compile-to",
    cl::desc("Stop after a phase (import|raise|linalg|llvm) and print its IR"),
    cl::cat(runCat));
cl::opt<std::string> sourceModel(
    "source",
    cl::desc("MODEL is a shared library: the model it was compiled from "
             "(needed by --check; makes generated inputs the same as the "
             "JIT's)"),
    cl::cat(runCat));

/// Prints the comparison of `outs` with `refs` (by output name); 1 when an
/// output differs beyond the tolerances.
int compareOutputs(const Signature &sig, const std::vector<HostArray> &outs,
                   std::map<std::string, HostArray> &refs,
                   const std::string &refName) {
  int status = 0;
  llvm::outs() << "compare with " << refName << " (rtol " << rtol.getValue()
               << ", atol " << driver::atol.getValue() << "):\n";
  for (size_t i = 0; i < outs.size(); ++i) {
    const TensorSpec &s = sig.outputs[i];
    // A 16-bit output is rounded to its type by both sides: unless the
    // tolerances were given, allow two units in its last place.
    double rt = rtol, at = driver::atol;
    if (!rtol.getNumOccurrences() && !driver::atol.getNumOccurrences() &&
        (s.dtype == DType::F16 || s.dtype == DType::BF16)) {
      rt = s.dtype == DType::F16 ? 2e-3 : 1.6e-2;
      at = rt;
      llvm::outs() << "  (" << s.name << ": " << dtypeName(s.dtype)
                   << ", rtol = atol = " << rt << ", two units in the last "
                   << "place; --rtol/--atol override)\n";
    }
    Comparison c = compare(outs[i], refs[s.name], rt, at);
    if (!c.problem.empty()) {
      // No error figures for outputs that cannot be compared at all.
      llvm::outs() << llvm::format("  %-24s %-14s MISMATCH: ", s.name.c_str(),
                                   outs[i].shapeStr().c_str())
                   << c.problem << "\n";
      status = 1;
      continue;
    }
    llvm::outs() << llvm::format("  %-24s %-14s max_abs_err %.3e  "
                                 "max_rel_err %.3e  %s\n",
                                 s.name.c_str(), outs[i].shapeStr().c_str(),
                                 c.maxAbs, c.maxRel,
                                 c.ok() ? "OK" : "MISMATCH");
    if (c.bad)
      llvm::outs() << "    " << c.bad << " element(s) outside tolerance\n";
    if (!c.ok() && (s.dtype == DType::F16 || s.dtype == DType::BF16)) {
      // The largest error in units of the type's last place at the
      // output's largest magnitude: a few units is rounding that both sides
      // compound layer by layer (near-zero elements lose more digits).
      const int mant = s.dtype == DType::F16 ? 10 : 7;
      const int minExp = s.dtype == DType::F16 ? -14 : -126;
      double top = 0;
      for (int64_t e = 0; e < refs[s.name].numElements(); ++e)
        top = std::max(top, std::abs(refs[s.name].at(e)));
      const int ex = top == 0 ? minExp : std::max(minExp, std::ilogb(top));
      llvm::outs() << llvm::format(
          "    largest error %.2f units in the last place of %s at the "
          "output's largest value (%.3g); 16-bit models round at every "
          "layer, on both sides: set --rtol/--atol for a whole model\n",
          c.maxAbs / std::ldexp(1.0, ex - mant), dtypeName(s.dtype), top);
    }
    if (!c.ok())
      status = 1;
  }
  return status;
}

/// Reads DIR/NAME.npy for every output of `sig` into `refs`.
bool readExpected(const Signature &sig,
                  std::map<std::string, HostArray> &refs) {
  std::string err;
  for (const TensorSpec &s : sig.outputs) {
    HostArray t;
    if (!readNpy(expectedDir + "/" + sanitizeName(s.name) + ".npy", t, err)) {
      llvm::errs() << "error: reference output: " << err << "\n";
      return false;
    }
    refs[s.name] = std::move(t);
  }
  return true;
}

/// Imports --source (after the import phase) with its symbolic dimensions
/// fixed by the library's signature, and checks that its inputs are the
/// library's. Null (after the error was printed) on failure.
OwningOpRef<ModuleOp> loadSource(Session &session, InputSet &given,
                                 const Signature &libSig) {
  OwningOpRef<ModuleOp> module;
  if (StringRef(sourceModel).ends_with(".mlir")) {
    module = session.load(sourceModel, given);
  } else {
    onnx::ImportOptions options;
    if (!tools::getImportOptions(options))
      return nullptr;
    options.shapeFor = [&](const std::string &name,
                           std::vector<int64_t> &shape) {
      for (const TensorSpec &s : libSig.inputs)
        if (s.name == name) {
          shape = s.shape;
          return true;
        }
      return given.shapeOf(name, shape);
    };
    module = tools::importOnnx(session.context(), sourceModel, options,
                               /*inferShapes=*/true);
  }
  if (!module)
    return nullptr;
  auto srcSig = readSignature(*module);
  if (!srcSig) {
    llvm::errs() << "error: --source: " << sourceModel << ": "
                 << llvm::toString(srcSig.takeError()) << "\n";
    return nullptr;
  }
  // Only the inputs: a rewrite may have added outputs to the library.
  auto describe = [](const TensorSpec &s) {
    return s.name + " " + dtypeName(s.dtype) + " " +
           HostArray{s.dtype, s.shape, {}}.shapeStr();
  };
  bool same = srcSig->inputs.size() == libSig.inputs.size();
  for (size_t i = 0; same && i < libSig.inputs.size(); ++i)
    same = describe(srcSig->inputs[i]) == describe(libSig.inputs[i]);
  if (!same) {
    llvm::errs() << "error: --source: '" << sourceModel
                 << "' does not match the library '" << modelPath
                 << "': inputs (";
    for (auto [i, t] : llvm::enumerate(srcSig->inputs))
      llvm::errs() << (i ? ", " : "") << describe(t);
    llvm::errs() << ") vs (";
    for (auto [i, t] : llvm::enumerate(libSig.inputs))
      llvm::errs() << (i ? ", " : "") << describe(t);
    llvm::errs() << ")\n";
    return nullptr;
  }
  return module;
}

/// `attune run model.so`: the same flow as the JIT path, through the
/// library's exported descriptor and C entry point.
int runSharedLibrary() {
  // Options that choose how MODEL is compiled cannot apply: it was compiled.
  const char *importOpt = tools::givenImportOption();
  const std::pair<bool, const char *> misuse[] = {
      {!rewrite.empty(), "--rewrite/--policy"},
      {noRaise, "--no-raise"},
      {!compileTo.empty(), "--compile-to"},
      {report, "--report"},
      {expectSites >= 0, "--expect-sites"},
      // ... unless they shape the --source model the library is checked
      // against.
      {importOpt && sourceModel.empty(), importOpt}};
  for (auto [set, opt] : misuse)
    if (set) {
      llvm::errs() << "error: " << opt << " does not apply to a shared "
                   << "library ('" << modelPath
                   << "' is compiled already); pass the model it was "
                   << "compiled from instead\n";
      return 1;
    }
  if (check && sourceModel.empty()) {
    llvm::errs() << "error: --check of a shared library ('" << modelPath
                 << "') needs --source MODEL.onnx, the model it was compiled "
                    "from\n";
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto lib = SharedLibModule::open(modelPath, entryName);
  if (!lib) {
    llvm::errs() << "error: " << llvm::toString(lib.takeError()) << "\n";
    return 1;
  }
  double loadMs = msSince(t0);
  const Signature &sig = (*lib)->signature();
  llvm::outs() << "attune: " << modelPath << ": shared library, model "
               << (*lib)->name() << ", " << sig.inputs.size() << " input(s), "
               << sig.outputs.size() << " output(s)\n";

  Session session;
  InputSet given;
  if (!loadGivenInputs(given))
    return 1;
  // Generated inputs look at the model (the tables token ids index); with
  // no source there is nothing to look at, and ids stay in [0, 2).
  OwningOpRef<ModuleOp> source;
  if (!sourceModel.empty()) {
    source = loadSource(session, given, sig);
    if (!source)
      return 1;
  } else {
    source = ModuleOp::create(UnknownLoc::get(&session.context()));
  }
  std::vector<HostArray> ins;
  std::string err;
  if (!given.assemble(sig, seed, *source, ins, err)) {
    llvm::errs() << "error: " << err << "\n";
    return 1;
  }
  if (!dumpInputs.empty() && !writeNpyDir(dumpInputs, sig.inputs, ins))
    return 1;
  std::vector<HostArray> outs;
  auto t1 = std::chrono::steady_clock::now();
  if (llvm::Error e = (*lib)->run(ins, outs)) {
    llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  double runMs = msSince(t1);
  llvm::outs() << llvm::format("load %.1f ms, run %.2f ms\n", loadMs, runMs);
  if (!outputDir.empty()) {
    if (!writeNpyDir(outputDir, sig.outputs, outs))
      return 1;
    llvm::outs() << "outputs written to " << outputDir << "/\n";
  }
  std::map<std::string, HostArray> refs;
  if (check) {
    if (!runOnnxruntime(sourceModel, sig, ins, refs))
      return 1;
    return compareOutputs(sig, outs, refs, "onnxruntime");
  }
  if (!expectedDir.empty()) {
    if (!readExpected(sig, refs))
      return 1;
    return compareOutputs(sig, outs, refs, expectedDir);
  }
  return 0;
}

/// --compile-to: the IR after phase `last`, exactly as `compile` lowers it
/// (raise, the rewrite, linalg, llvm).
int printPhase(Session &session, ModuleOp module, Phase last) {
  OwningOpRef<ModuleOp> lowered;
  if (last != Phase::Import) {
    CompileSpec spec;
    spec.raise = !noRaise;
    spec.rewrite = rewrite;
    Signature sig;
    lowered = lower(session, module, spec, sig, last);
    if (!lowered)
      return 1;
    module = *lowered;
  }
  module->print(llvm::outs());
  llvm::outs() << "\n";
  return 0;
}
} // namespace

int mlir::attn::driver::runCommand(int argc, char **argv) {
  entryName.addCategory(runCat);
  if (!parseCommandLine(argc, argv, "run",
                        "attune run: compile and run a model on the CPU "
                        "(or a shared library from `attune compile`)\n",
                        {&runCat}))
    return 1;
  if (isSharedLibrary(modelPath))
    return runSharedLibrary();
  if (!sourceModel.empty() || !entryName.empty()) {
    llvm::errs() << "error: " << (sourceModel.empty() ? "--name" : "--source")
                 << " applies to shared libraries only, and '" << modelPath
                 << "' is not one\n";
    return 1;
  }
  Phase last = Phase::Llvm;
  if (!compileTo.empty() && !parsePhase(compileTo, last)) {
    llvm::errs() << "error: --compile-to: expected import, raise, linalg or "
                    "llvm, got '"
                 << compileTo << "'\n";
    return 1;
  }
  Session session;
  InputSet given;
  if (!loadGivenInputs(given))
    return 1;
  std::string err;
  auto t0 = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module = session.load(modelPath, given);
  if (!module)
    return 1;
  double importMs = msSince(t0);
  if (!compileTo.empty())
    return printPhase(session, *module, last);

  CompileSpec spec;
  spec.raise = !noRaise;
  spec.rewrite = rewrite;
  std::unique_ptr<CompiledModel> compiled = compile(session, *module, spec);
  if (!compiled)
    return 1;
  const Signature &sig = compiled->signature;
  llvm::outs() << "attune: " << modelPath << ": " << sig.inputs.size()
               << " input(s), " << sig.outputs.size() << " output(s)\n";
  llvm::outs() << "attention sites: " << compiled->sites.size() << "\n";
  if (report)
    for (const std::string &s : compiled->sites)
      llvm::outs() << "  " << s << "\n";

  std::vector<HostArray> ins;
  if (!given.assemble(sig, seed, *module, ins, err)) {
    llvm::errs() << "error: " << err << "\n";
    return 1;
  }
  if (!dumpInputs.empty() && !writeNpyDir(dumpInputs, sig.inputs, ins))
    return 1;
  std::vector<HostArray> outs;
  auto t2 = std::chrono::steady_clock::now();
  if (llvm::Error e = compiled->jit->run(ins, outs)) {
    llvm::errs() << "error: " << modelPath << ": "
                 << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  double runMs = msSince(t2);
  llvm::outs() << llvm::format("import %.1f ms, compile %.1f ms, run %.2f ms\n",
                               importMs, compiled->compileMs, runMs);

  if (!outputDir.empty()) {
    if (!writeNpyDir(outputDir, sig.outputs, outs))
      return 1;
    llvm::outs() << "outputs written to " << outputDir << "/\n";
  }

  int status = 0;
  if (expectSites >= 0 &&
      static_cast<int>(compiled->sites.size()) != expectSites) {
    llvm::errs() << "error: expected " << expectSites
                 << " attention site(s), raising found "
                 << compiled->sites.size() << "\n";
    status = 1;
  }
  std::map<std::string, HostArray> refs;
  if (check) {
    if (!runOnnxruntime(modelPath, sig, ins, refs))
      return 1;
    status |= compareOutputs(sig, outs, refs, "onnxruntime");
  } else if (!expectedDir.empty()) {
    if (!readExpected(sig, refs))
      return 1;
    status |= compareOutputs(sig, outs, refs, expectedDir);
  }
  return status;
}
