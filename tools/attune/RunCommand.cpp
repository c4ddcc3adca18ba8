//===- RunCommand.cpp - `attune run` --------------------------------------===//
//
// Compile a model for the CPU with the JIT, run it on given (.npy) or seeded
// random inputs, write the outputs as .npy and optionally compare them with
// onnxruntime (`--check`) or with stored reference outputs (`--expected`).
//
//===----------------------------------------------------------------------===//

#include "tools/attune/Commands.h"
#include "tools/attune/Session.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

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
  if (!parseCommandLine(argc, argv, "run",
                        "attune run: compile and run a model on the CPU\n",
                        {&runCat}))
    return 1;
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
    llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
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
  std::string refName;
  if (check) {
    if (!runOnnxruntime(modelPath, sig, ins, refs))
      return 1;
    refName = "onnxruntime";
  } else if (!expectedDir.empty()) {
    for (const TensorSpec &s : sig.outputs) {
      HostArray t;
      if (!readNpy(expectedDir + "/" + sanitizeName(s.name) + ".npy", t,
                   err)) {
        llvm::errs() << "error: reference output: " << err << "\n";
        return 1;
      }
      refs[s.name] = std::move(t);
    }
    refName = expectedDir;
  }
  if (!refs.empty()) {
    llvm::outs() << "compare with " << refName << " (rtol " << rtol.getValue()
                 << ", atol " << atol.getValue() << "):\n";
    for (size_t i = 0; i < outs.size(); ++i) {
      const TensorSpec &s = sig.outputs[i];
      Comparison c = compare(outs[i], refs[s.name], rtol, atol);
      llvm::outs() << llvm::format("  %-24s %-14s max_abs_err %.3e  "
                                   "max_rel_err %.3e  %s\n",
                                   s.name.c_str(), outs[i].shapeStr().c_str(),
                                   c.maxAbs, c.maxRel,
                                   c.ok() ? "OK" : "MISMATCH");
      if (!c.problem.empty())
        llvm::outs() << "    " << c.problem << "\n";
      else if (c.bad)
        llvm::outs() << "    " << c.bad << " element(s) outside tolerance\n";
      if (!c.ok())
        status = 1;
    }
  }
  return status;
}
