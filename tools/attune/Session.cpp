//===- Session.cpp - what every attune command shares ---------------------===//

#include "tools/attune/Session.h"

#include "attune/InitAll.h"
#include "tools/ToolSupport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::driver;
namespace cl = llvm::cl;

cl::OptionCategory &driver::commonCategory() {
  static cl::OptionCategory cat("attune common options");
  return cat;
}

namespace mlir::attn::driver {
cl::opt<std::string> modelPath(cl::Positional, cl::desc("MODEL"),
                               cl::cat(commonCategory()));
cl::opt<std::string> inputsDir(
    "inputs", cl::desc("Directory with one NAME.npy per graph input"),
    cl::cat(commonCategory()));
cl::list<std::string> inputFiles("input",
                                 cl::desc("NAME=FILE.npy for one graph input"),
                                 cl::cat(commonCategory()));
cl::opt<unsigned> seed("seed", cl::desc("Seed of the random inputs"),
                       cl::init(0), cl::cat(commonCategory()));
cl::opt<std::string> outputDir("output-dir",
                               cl::desc("Where outputs are written as .npy "
                                        "(default attune-out)"),
                               cl::init("attune-out"),
                               cl::cat(commonCategory()));
cl::opt<std::string> rewrite(
    "rewrite",
    cl::desc("Pass pipeline run after raising, e.g. "
             "'attn-sparsify{pattern=window window=256 sinks=4}'"),
    cl::cat(commonCategory()));
cl::opt<std::string> policy(
    "policy",
    cl::desc("Policy file (JSON): shorthand for --rewrite "
             "'attn-apply-policy{file=P}', run before any --rewrite"),
    cl::cat(commonCategory()));
cl::opt<bool> noRaise("no-raise",
                      cl::desc("Do not raise decomposed attention subgraphs"),
                      cl::cat(commonCategory()));
cl::opt<bool> check("check",
                    cl::desc("Compare with onnxruntime on the same inputs"),
                    cl::cat(commonCategory()));
cl::opt<double> rtol("rtol", cl::desc("Relative tolerance (default 1e-4)"),
                     cl::init(1e-4), cl::cat(commonCategory()));
cl::opt<double> atol("atol", cl::desc("Absolute tolerance (default 1e-5)"),
                     cl::init(1e-5), cl::cat(commonCategory()));
cl::opt<std::string> python("python",
                            cl::desc("Python with onnxruntime, for --check"),
                            cl::init(""), cl::cat(commonCategory()));
} // namespace mlir::attn::driver

bool driver::parseCommandLine(int argc, char **argv, StringRef name,
                              StringRef overview,
                              std::vector<cl::OptionCategory *> extra,
                              std::vector<StringRef> unused) {
  std::string toolName = ("attune " + name).str();
  std::vector<char *> args = {const_cast<char *>(toolName.c_str())};
  for (int i = 2; i < argc; ++i)
    args.push_back(argv[i]);
  std::vector<const cl::OptionCategory *> cats = {&commonCategory(),
                                                  &tools::importCategory()};
  for (cl::OptionCategory *c : extra)
    cats.push_back(c);
  cl::HideUnrelatedOptions(cats);
  if (!cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(),
                                   overview))
    return false;
  // Every command's options are registered in one binary: an option of
  // another command (or of LLVM itself) parses, and would be ignored.
  for (auto &entry : cl::getRegisteredOptions()) {
    cl::Option *o = entry.second;
    if (!o->getNumOccurrences())
      continue;
    // MLIR's pass-manager options (--mlir-timing, --mlir-print-ir-after,
    // ...) apply to every command's compilation.
    bool ours = StringRef(o->ArgStr).starts_with("mlir-") ||
                llvm::any_of(o->Categories, [&](cl::OptionCategory *c) {
                  return llvm::is_contained(cats, c);
                });
    if (!ours || llvm::is_contained(unused, o->ArgStr)) {
      llvm::errs() << "error: " << toolName << ": --" << o->ArgStr
                   << " is not an option of this command (see " << toolName
                   << " --help)\n";
      return false;
    }
  }
  if (modelPath.empty()) {
    llvm::errs() << "error: " << toolName << ": no model given\n";
    return false;
  }
  for (auto [opt, name] : {std::pair{&rtol, "--rtol"}, {&atol, "--atol"}})
    if (!(opt->getValue() >= 0.0) || std::isinf(opt->getValue())) {
      llvm::errs() << "error: " << name
                   << ": expected a finite tolerance >= 0, got "
                   << opt->getValue() << "\n";
      return false;
    }
  // --policy P is the pipeline attn-apply-policy{file="P"} (quoted so that
  // any path survives the option parser), ahead of --rewrite.
  if (!policy.empty()) {
    std::string pipe = "attn-apply-policy{file=\"" + policy + "\"}";
    if (!rewrite.empty())
      pipe += "," + rewrite;
    rewrite.setValue(pipe);
  }
  return true;
}

double driver::msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

static DialectRegistry makeRegistry() {
  DialectRegistry registry;
  attn::registerAllDialects(registry);
  return registry;
}

Session::Session() : ctx(makeRegistry()) {
  ctx.loadAllAvailableDialects();
  // An error names its op and location; a dump of the whole module after it
  // (MLIR's default) would bury it, for a real model under megabytes of IR.
  ctx.printOpOnDiagnostic(false);
  handler = std::make_unique<ScopedDiagnosticHandler>(&ctx, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Remark) {
      remarks.push_back(d.str());
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
}

OwningOpRef<ModuleOp> Session::load(const std::string &path, InputSet &given) {
  OwningOpRef<ModuleOp> module;
  if (StringRef(path).ends_with(".mlir")) {
    module = parseSourceFile<ModuleOp>(path, &ctx);
    if (!module)
      return nullptr;
  } else {
    onnx::ImportOptions options;
    if (!tools::getImportOptions(options))
      return nullptr;
    options.shapeFor = [&](const std::string &name,
                           std::vector<int64_t> &shape) {
      return given.shapeOf(name, shape);
    };
    module = tools::importOnnx(ctx, path, options, /*inferShapes=*/false);
    if (!module)
      return nullptr;
  }
  PassManager pm(&ctx);
  buildPhase(pm, PipelineOptions(), Phase::Import);
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}

bool driver::loadGivenInputs(InputSet &given) {
  std::string err;
  if (given.load(inputsDir, inputFiles, err))
    return true;
  llvm::errs() << "error: " << err << "\n";
  return false;
}

OwningOpRef<ModuleOp> driver::loadCommandModel(Session &session,
                                               InputSet &given) {
  if (!loadGivenInputs(given))
    return nullptr;
  return session.load(modelPath, given);
}

bool driver::writeNpyFile(const std::string &dir, const std::string &name,
                          const HostArray &array) {
  std::string err;
  if (writeNpy(dir + "/" + sanitizeName(name) + ".npy", array, err))
    return true;
  llvm::errs() << "error: " << err << "\n";
  return false;
}

bool driver::writeNpyDir(const std::string &dir,
                         const std::vector<TensorSpec> &specs,
                         const std::vector<HostArray> &arrays) {
  llvm::sys::fs::create_directories(dir);
  for (size_t i = 0; i < arrays.size(); ++i)
    if (!writeNpyFile(dir, specs[i].name, arrays[i]))
      return false;
  return true;
}

OwningOpRef<ModuleOp> driver::lower(Session &session, ModuleOp imported,
                                    const CompileSpec &spec, Signature &sig,
                                    Phase last) {
  MLIRContext &ctx = session.context();
  OwningOpRef<ModuleOp> module = cast<ModuleOp>(imported->clone());
  PipelineOptions popts;
  popts.raise = spec.raise;
  popts.report = true;
  popts.kernels = spec.kernels;
  // MLIR's own instrumentation from the command line (--mlir-timing,
  // --mlir-print-ir-after-all, ...): one report per pipeline run below.
  auto instrument = [](PassManager &pm) {
    if (failed(applyPassManagerCLOptions(pm)))
      return false;
    applyDefaultTimingPassManagerCLOptions(pm);
    return true;
  };
  {
    PassManager pm(&ctx);
    if (!instrument(pm))
      return nullptr;
    buildPhase(pm, popts, Phase::Raise);
    if (!spec.rewrite.empty() &&
        failed(parsePassPipeline(spec.rewrite, pm, llvm::errs()))) {
      llvm::errs() << "error: --rewrite: cannot parse pass pipeline '"
                   << spec.rewrite << "'\n";
      return nullptr;
    }
    if (spec.beforeLowering)
      spec.beforeLowering(pm);
    if (failed(pm.run(*module)))
      return nullptr;
  }
  // The signature may have grown (exposed sites, recycled state).
  auto s = readSignature(*module);
  if (!s) {
    llvm::errs() << "error: " << llvm::toString(s.takeError()) << "\n";
    return nullptr;
  }
  sig = *s;
  if (last == Phase::Raise || last == Phase::Import)
    return module;
  // ONNX names live on in the signature; LLVM translation has no use for
  // them (and warns about unknown parameter attributes).
  if (auto main = module->lookupSymbol<func::FuncOp>("main")) {
    for (unsigned i = 0; i < main.getNumArguments(); ++i)
      main.removeArgAttr(i, "onnx.name");
    for (unsigned i = 0; i < main.getNumResults(); ++i)
      main.removeResultAttr(i, StringAttr::get(&ctx, "onnx.name"));
  }
  PassManager pm(&ctx);
  if (!instrument(pm))
    return nullptr;
  buildPhase(pm, popts, Phase::Linalg);
  if (last == Phase::Llvm)
    buildPhase(pm, popts, Phase::Llvm);
  if (failed(pm.run(*module)))
    return nullptr;
  sig.checks = readChecks(*module);
  return module;
}

std::unique_ptr<CompiledModel> driver::compile(Session &session,
                                               ModuleOp imported,
                                               const CompileSpec &spec) {
  auto t0 = std::chrono::steady_clock::now();
  auto result = std::make_unique<CompiledModel>();
  size_t firstRemark = session.remarks.size();
  OwningOpRef<ModuleOp> module =
      lower(session, imported, spec, result->signature, Phase::Llvm);
  if (!module)
    return nullptr;
  auto jit = JitModule::create(*module, result->signature, spec.optLevel);
  if (!jit) {
    llvm::errs() << "error: JIT compilation failed: "
                 << llvm::toString(jit.takeError()) << "\n";
    return nullptr;
  }
  result->jit = std::move(*jit);
  result->sites.assign(session.remarks.begin() + firstRemark,
                       session.remarks.end());
  result->compileMs = msSince(t0);
  return result;
}

Comparison driver::compare(const HostArray &got, const HostArray &ref,
                           double rtol, double atol) {
  Comparison c;
  if (got.shape != ref.shape) {
    c.problem = "shape " + got.shapeStr() + " vs reference " + ref.shapeStr();
    return c;
  }
  double refMax = 0, dot = 0, na = 0, nb = 0, sumAbs = 0;
  int64_t n = ref.numElements(), finite = 0;
  for (int64_t i = 0; i < n; ++i)
    refMax = std::max(refMax, std::fabs(ref.at(i)));
  for (int64_t i = 0; i < n; ++i) {
    double a = got.at(i), b = ref.at(i);
    if (std::isnan(a) != std::isnan(b) || (std::isinf(b) && a != b)) {
      ++c.bad;
      c.maxAbs = INFINITY;
      continue;
    }
    if (std::isnan(b) || std::isinf(b))
      continue;
    double d = std::fabs(a - b);
    c.maxAbs = std::max(c.maxAbs, d);
    sumAbs += d;
    ++finite;
    dot += a * b;
    na += a * a;
    nb += b * b;
    if (d > atol + rtol * std::fabs(b))
      ++c.bad;
  }
  c.maxRel = refMax > 0 ? c.maxAbs / refMax : c.maxAbs;
  c.meanAbs = finite ? sumAbs / finite : 0;
  c.cosine = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb)
                                : (na == nb ? 1.0 : 0.0);
  return c;
}

static std::string pythonPath() {
  if (!python.empty())
    return python;
  if (const char *p = std::getenv("ATTUNE_PYTHON"))
    return p;
  return ATTUNE_PYTHON;
}

static std::string ortScript() {
  if (const char *p = std::getenv("ATTUNE_ORT_SCRIPT"))
    return p;
  return std::string(ATTUNE_SOURCE_DIR) + "/test/python/ort_run.py";
}

bool driver::runOnnxruntime(const std::string &model, const Signature &sig,
                            const std::vector<HostArray> &ins,
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
  SmallVector<StringRef> args = {py, script, model, "--inputs", inDir,
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

bool driver::writeJsonFile(const std::string &path, StringRef option,
                           llvm::json::Value value) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    llvm::errs() << "error: " << option << ": cannot write '" << path
                 << "': " << ec.message() << "\n";
    return false;
  }
  os << llvm::formatv("{0:2}", std::move(value)) << "\n";
  return true;
}
