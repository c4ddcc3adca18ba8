//===- attune.cpp - the attune driver -------------------------------------===//
//
// `attune run MODEL`: import an ONNX model, raise its attention, compile it
// for the CPU with the MLIR JIT, run it on given (.npy) or seeded random
// inputs, write the outputs as .npy and optionally compare them with
// onnxruntime (`--check`) or with stored reference outputs (`--expected`).
//
//===----------------------------------------------------------------------===//

#include "attune/InitAll.h"
#include "attune/Pipelines.h"
#include "lib/Runtime/Cpu/JitRunner.h"
#include "lib/Support/Npy.h"
#include "tools/ToolSupport.h"
#include "tools/attune/Inputs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::attn;
namespace cl = llvm::cl;

namespace {
cl::OptionCategory runCat("attune run options");
cl::opt<std::string> modelPath(cl::Positional, cl::desc("MODEL.onnx"),
                               cl::cat(runCat));
cl::opt<std::string> inputsDir(
    "inputs", cl::desc("Directory with one NAME.npy per graph input"),
    cl::cat(runCat));
cl::list<std::string> inputFiles("input",
                                 cl::desc("NAME=FILE.npy for one graph input"),
                                 cl::cat(runCat));
cl::opt<unsigned> seed("seed", cl::desc("Seed of the random inputs"),
                       cl::init(0), cl::cat(runCat));
cl::opt<std::string> outputDir("output-dir",
                               cl::desc("Where outputs are written as .npy "
                                        "(default attune-out)"),
                               cl::init("attune-out"), cl::cat(runCat));
cl::opt<bool> check("check",
                    cl::desc("Run onnxruntime on the same inputs and compare"),
                    cl::cat(runCat));
cl::opt<std::string> expectedDir(
    "expected", cl::desc("Compare with reference outputs NAME.npy in DIR"),
    cl::cat(runCat));
cl::opt<double> rtol("rtol", cl::desc("Relative tolerance (default 1e-4)"),
                     cl::init(1e-4), cl::cat(runCat));
cl::opt<double> atol("atol", cl::desc("Absolute tolerance (default 1e-5)"),
                     cl::init(1e-5), cl::cat(runCat));
cl::opt<bool> report("report", cl::desc("Print every raised attention site"),
                     cl::cat(runCat));
cl::opt<int> expectSites(
    "expect-sites",
    cl::desc("Fail unless raising finds exactly this many attention sites"),
    cl::init(-1), cl::cat(runCat));
cl::opt<bool> noRaise("no-raise",
                      cl::desc("Do not raise decomposed attention subgraphs"),
                      cl::cat(runCat));
cl::opt<std::string> rewrite(
    "rewrite",
    cl::desc("Pass pipeline run after raising, e.g. "
             "'attn-sparsify{pattern=window window=256 sinks=4}'"),
    cl::cat(runCat));
cl::opt<std::string> compileTo(
    "compile-to",
    cl::desc("Stop after a phase (import|raise|linalg|llvm) and print its IR"),
    cl::cat(runCat));
cl::opt<std::string> python(
    "python", cl::desc("Python with onnxruntime, for --check"),
    cl::init(""), cl::cat(runCat));

void usage() {
  llvm::outs() << "usage: attune <command> [options]\n\n"
               << "commands:\n"
               << "  run MODEL    compile MODEL for the CPU, run it, write "
                  "outputs; --check compares with onnxruntime\n\n"
               << "`attune run --help` lists the options.\n";
}

double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

struct Comparison {
  double maxAbs = 0, maxRel = 0;
  int64_t bad = 0;
  std::string problem;
};

Comparison compare(const HostArray &got, const HostArray &ref) {
  Comparison c;
  if (got.shape != ref.shape) {
    c.problem = "shape " + got.shapeStr() + " vs reference " + ref.shapeStr();
    return c;
  }
  double refMax = 0;
  for (int64_t i = 0, n = ref.numElements(); i < n; ++i)
    refMax = std::max(refMax, std::fabs(ref.at(i)));
  for (int64_t i = 0, n = ref.numElements(); i < n; ++i) {
    double a = got.at(i), b = ref.at(i);
    if (std::isnan(a) != std::isnan(b) ||
        (std::isinf(b) && a != b)) {
      ++c.bad;
      c.maxAbs = INFINITY;
      continue;
    }
    if (std::isnan(b) || std::isinf(b))
      continue;
    double d = std::fabs(a - b);
    c.maxAbs = std::max(c.maxAbs, d);
    if (d > atol + rtol * std::fabs(b))
      ++c.bad;
  }
  c.maxRel = refMax > 0 ? c.maxAbs / refMax : c.maxAbs;
  return c;
}

std::string pythonPath() {
  if (!python.empty())
    return python;
  if (const char *p = std::getenv("ATTUNE_PYTHON"))
    return p;
  return ATTUNE_PYTHON;
}

std::string ortScript() {
  if (const char *p = std::getenv("ATTUNE_ORT_SCRIPT"))
    return p;
  return std::string(ATTUNE_SOURCE_DIR) + "/test/python/ort_run.py";
}

/// Runs onnxruntime through the project's Python helper; reference outputs
/// land in `<outDir>/onnxruntime/`.
bool runOnnxruntime(const Signature &sig, const std::vector<HostArray> &ins,
                    std::map<std::string, HostArray> &refs) {
  SmallString<128> tmp;
  if (llvm::sys::fs::createUniqueDirectory("attune-check", tmp)) {
    llvm::errs() << "error: cannot create a temporary directory\n";
    return false;
  }
  std::string inDir = (tmp + "/inputs").str(), outDir = (tmp + "/outputs").str();
  llvm::sys::fs::create_directories(inDir);
  llvm::sys::fs::create_directories(outDir);
  std::string err;
  for (size_t i = 0; i < ins.size(); ++i)
    if (!writeNpy(inDir + "/" + sanitizeName(sig.inputs[i].name) + ".npy",
                  ins[i], err)) {
      llvm::errs() << "error: " << err << "\n";
      return false;
    }
  std::string py = pythonPath(), script = ortScript();
  SmallVector<StringRef> args = {py, script, modelPath, "--inputs", inDir,
                                 "--outputs", outDir};
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(py, args, std::nullopt, {}, 0, 0, &msg);
  if (rc != 0) {
    llvm::errs() << "error: onnxruntime reference run failed (" << py << " "
                 << script << ", exit " << rc << ") " << msg << "\n";
    return false;
  }
  for (const TensorSpec &s : sig.outputs) {
    HostArray t;
    if (!readNpy(outDir + "/" + sanitizeName(s.name) + ".npy", t, err)) {
      llvm::errs() << "error: onnxruntime output: " << err << "\n";
      return false;
    }
    refs[s.name] = std::move(t);
  }
  llvm::sys::fs::remove_directories(tmp);
  return true;
}

int runCommand() {
  DialectRegistry registry;
  attn::registerAllDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  // Remarks of the raise pass are the attention-site report; errors go to
  // stderr with their location (file, node).
  std::vector<std::string> sites;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Remark) {
      sites.push_back(d.str());
      return success();
    }
    std::string loc;
    llvm::raw_string_ostream os(loc);
    d.getLocation().print(os);
    llvm::errs() << (d.getSeverity() == DiagnosticSeverity::Error ? "error: "
                                                                   : "warning: ")
                 << d.str() << "\n  at " << loc << "\n";
    for (Diagnostic &n : d.getNotes())
      llvm::errs() << "  note: " << n.str() << "\n";
    return success();
  });

  // Inputs given as files fix the shapes of their graph inputs.
  InputSet given;
  std::string err;
  if (!given.load(inputsDir, inputFiles, err)) {
    llvm::errs() << "error: " << err << "\n";
    return 1;
  }
  onnx::ImportOptions options;
  if (!tools::getImportOptions(options))
    return 1;
  options.shapeFor = [&](const std::string &name, std::vector<int64_t> &shape) {
    return given.shapeOf(name, shape);
  };

  auto t0 = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module =
      tools::importOnnx(ctx, modelPath, options, /*inferShapes=*/false);
  if (!module)
    return 1;
  PipelineOptions popts;
  popts.raise = !noRaise;
  popts.report = true;
  Phase last = Phase::Llvm;
  if (!compileTo.empty() && !parsePhase(compileTo, last)) {
    llvm::errs() << "error: --compile-to: expected import, raise, linalg or "
                    "llvm, got '"
                 << compileTo << "'\n";
    return 1;
  }
  {
    PassManager pm(&ctx);
    buildPhase(pm, popts, Phase::Import);
    if (failed(pm.run(*module)))
      return 1;
  }
  double importMs = msSince(t0);
  auto sig = readSignature(*module);
  if (!sig) {
    llvm::errs() << "error: " << modelPath << ": "
                 << llvm::toString(sig.takeError()) << "\n";
    return 1;
  }

  // ONNX names live on in the signature; LLVM translation has no use for
  // them (and warns about unknown parameter attributes).
  if (auto main = module->lookupSymbol<func::FuncOp>("main")) {
    for (unsigned i = 0; i < main.getNumArguments(); ++i)
      main.removeArgAttr(i, "onnx.name");
    for (unsigned i = 0; i < main.getNumResults(); ++i)
      main.removeResultAttr(i, StringAttr::get(&ctx, "onnx.name"));
  }

  auto t1 = std::chrono::steady_clock::now();
  {
    PassManager pm(&ctx);
    for (Phase p : {Phase::Raise, Phase::Linalg, Phase::Llvm}) {
      if (last == Phase::Import)
        break;
      buildPhase(pm, popts, p);
      if (p == Phase::Raise && !rewrite.empty() &&
          failed(parsePassPipeline(rewrite, pm, llvm::errs()))) {
        llvm::errs() << "error: --rewrite: cannot parse pass pipeline '"
                     << rewrite << "'\n";
        return 1;
      }
      if (p == last)
        break;
    }
    if (failed(pm.run(*module)))
      return 1;
  }
  if (!compileTo.empty()) {
    module->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }

  llvm::outs() << "attune: " << modelPath << ": " << sig->inputs.size()
               << " input(s), " << sig->outputs.size() << " output(s)\n";
  llvm::outs() << "attention sites: " << sites.size() << "\n";
  if (report)
    for (const std::string &s : sites)
      llvm::outs() << "  " << s << "\n";

  auto jit = JitModule::create(*module, *sig);
  if (!jit) {
    llvm::errs() << "error: JIT compilation failed: "
                 << llvm::toString(jit.takeError()) << "\n";
    return 1;
  }
  double compileMs = msSince(t1);

  std::vector<HostArray> ins;
  if (!given.assemble(*sig, seed, *module, ins, err)) {
    llvm::errs() << "error: " << err << "\n";
    return 1;
  }
  std::vector<HostArray> outs;
  auto t2 = std::chrono::steady_clock::now();
  if (llvm::Error e = (*jit)->run(ins, outs)) {
    llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  double runMs = msSince(t2);
  llvm::outs() << llvm::format("import %.1f ms, compile %.1f ms, run %.2f ms\n",
                               importMs, compileMs, runMs);

  if (!outputDir.empty()) {
    llvm::sys::fs::create_directories(outputDir);
    for (size_t i = 0; i < outs.size(); ++i)
      if (!writeNpy(outputDir + "/" + sanitizeName(sig->outputs[i].name) +
                        ".npy",
                    outs[i], err)) {
        llvm::errs() << "error: " << err << "\n";
        return 1;
      }
    llvm::outs() << "outputs written to " << outputDir << "/\n";
  }

  int status = 0;
  if (expectSites >= 0 && static_cast<int>(sites.size()) != expectSites) {
    llvm::errs() << "error: expected " << expectSites
                 << " attention site(s), raising found " << sites.size()
                 << "\n";
    status = 1;
  }
  std::map<std::string, HostArray> refs;
  std::string refName;
  if (check) {
    if (!runOnnxruntime(*sig, ins, refs))
      return 1;
    refName = "onnxruntime";
  } else if (!expectedDir.empty()) {
    for (const TensorSpec &s : sig->outputs) {
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
      const TensorSpec &s = sig->outputs[i];
      Comparison c = compare(outs[i], refs[s.name]);
      bool ok = c.problem.empty() && c.bad == 0;
      llvm::outs() << llvm::format("  %-24s %-14s max_abs_err %.3e  "
                                   "max_rel_err %.3e  %s\n",
                                   s.name.c_str(), outs[i].shapeStr().c_str(),
                                   c.maxAbs, c.maxRel,
                                   ok ? "OK" : "MISMATCH");
      if (!c.problem.empty())
        llvm::outs() << "    " << c.problem << "\n";
      else if (c.bad)
        llvm::outs() << "    " << c.bad << " element(s) outside tolerance\n";
      if (!ok)
        status = 1;
    }
  }
  return status;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc < 2 || StringRef(argv[1]) == "-h" ||
      StringRef(argv[1]) == "--help" || StringRef(argv[1]) == "help") {
    usage();
    return argc < 2 ? 1 : 0;
  }
  StringRef command = argv[1];
  tools::registerImportCLOptions();
  attn::registerAllPasses();
  std::string toolName = ("attune " + command).str();
  std::vector<char *> args = {const_cast<char *>(toolName.c_str())};
  for (int i = 2; i < argc; ++i)
    args.push_back(argv[i]);
  if (command == "run") {
    cl::HideUnrelatedOptions({&runCat, &tools::importCategory()});
    if (!cl::ParseCommandLineOptions(static_cast<int>(args.size()),
                                     args.data(), "attune run: compile and "
                                     "run an ONNX model on the CPU\n"))
      return 1;
    if (modelPath.empty()) {
      llvm::errs() << "error: attune run: no model given\n";
      return 1;
    }
    return runCommand();
  }
  llvm::errs() << "error: unknown command '" << command << "'\n";
  usage();
  return 1;
}
