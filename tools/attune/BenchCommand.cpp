//===- BenchCommand.cpp - `attune bench` ----------------------------------===//
//
// Times a model: compiles it with the JIT (kernel library, or the reference
// lowering with --reference) or loads a shared library from `attune
// compile`, binds its inputs and outputs once, runs it --warmup times
// untimed and --runs times timed (steady_clock around each call), and prints
// the median, minimum and mean, the kernel library's profile split per run
// (time in SDPA, GEMM, linear-attention and block-selection kernels, the
// rest as "other"), and GFLOP/s when --flops gives the work. --json writes
// the same as JSON.
//
//===----------------------------------------------------------------------===//

#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/SharedLibRunner.h"
#include "tools/ToolSupport.h"
#include "tools/attune/Commands.h"
#include "tools/attune/Session.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <numeric>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::driver;
namespace cl = llvm::cl;

namespace {
/// bench's own options. Some of their names are registered already (`eval`
/// has --runs and --json, libLLVM a hidden --threads); one process runs one
/// command, so bench takes the names over (see benchOptions) rather than
/// inventing other spellings for the same meaning.
struct BenchOptions {
  cl::OptionCategory cat{"attune bench options"};
  cl::opt<unsigned> warmup{"warmup",
                           cl::desc("Untimed runs before timing (default 3)"),
                           cl::init(3), cl::cat(cat)};
  cl::opt<unsigned> runs{"runs", cl::desc("Timed runs (default 20)"),
                         cl::init(20), cl::cat(cat)};
  cl::opt<int> threads{
      "threads",
      cl::desc("Threads of the kernel library (default: its own default, "
               "ATTUNE_NUM_THREADS or the CPUs available)"),
      cl::init(0), cl::cat(cat)};
  cl::opt<std::string> json{
      "json", cl::desc("Also write the results as JSON here"), cl::cat(cat)};
  cl::opt<bool> reference{
      "reference",
      cl::desc("Time the reference lowering (no kernel library) instead"),
      cl::cat(cat)};
  cl::opt<unsigned> evictMib{
      "evict-mib",
      cl::desc("Before every run (warm-up included), read N MiB of another "
               "buffer, so that the model's inputs come from memory rather "
               "than the last-level cache, as for one layer's step of a "
               "many-layer model (e.g. twice the cache's size; default 0: "
               "off)"),
      cl::init(0), cl::cat(cat)};
  cl::opt<double> flops{"flops",
                        cl::desc("Floating-point operations of one run: "
                                 "prints GFLOP/s at the median"),
                        cl::init(0.0), cl::cat(cat)};
};

BenchOptions &benchOptions() {
  static BenchOptions *options = [] {
    for (llvm::StringRef name :
         {"warmup", "runs", "threads", "json", "reference", "flops"})
      if (cl::Option *o = cl::getRegisteredOptions().lookup(name))
        o->removeArgument();
    return new BenchOptions();
  }();
  return *options;
}

/// What the timing loop needs of a backend: bind inputs once, call the
/// model, and the kernel library it calls into (for threads and profiles).
struct Target {
  std::function<llvm::Error(const std::vector<HostArray> &)> prepare;
  std::function<llvm::Error()> invoke;
  KernelHooks hooks;
};

/// The kernel library linked into attune itself, which JIT-compiled code
/// calls.
KernelHooks hostKernelHooks() {
  KernelHooks h;
  h.numThreads = &attune_cpu_num_threads;
  h.setNumThreads = &attune_cpu_set_num_threads;
  h.profileReset = &attune_cpu_profile_reset;
  h.profileNs = &attune_cpu_profile_ns;
  return h;
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Prints `e`; the exit status of a failed bench.
int fail(llvm::Error e) {
  llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
  return 1;
}

/// The kernel families of the split, in print order.
const std::pair<const char *, int> families[] = {
    {"sdpa", ATTUNE_KERNEL_SDPA},
    {"gemm", ATTUNE_KERNEL_GEMM},
    {"linear", ATTUNE_KERNEL_LINEAR},
    {"select", ATTUNE_KERNEL_SELECT}};
} // namespace

int mlir::attn::driver::benchCommand(int argc, char **argv) {
  BenchOptions &opt = benchOptions();
  entryName.addCategory(opt.cat);
  if (!parseCommandLine(argc, argv, "bench",
                        "attune bench: time a model (JIT, or a shared "
                        "library from `attune compile`) on the CPU\n",
                        {&opt.cat},
                        {"check", "rtol", "atol", "python", "output-dir"}))
    return 1;
  if (opt.runs == 0) {
    llvm::errs() << "error: --runs: must be at least 1\n";
    return 1;
  }
  if (opt.threads.getNumOccurrences() && opt.threads < 1) {
    llvm::errs() << "error: --threads: must be at least 1, got " << opt.threads
                 << "\n";
    return 1;
  }
  if (!(opt.flops >= 0) || std::isinf(opt.flops)) {
    llvm::errs() << "error: --flops: expected a finite count >= 0\n";
    return 1;
  }

  Session session;
  InputSet given;
  if (!loadGivenInputs(given))
    return 1;
  Target target;
  Signature sig;
  std::vector<HostArray> ins;
  std::string backend, err;
  double setupMs = 0;
  int64_t sites = -1;
  // Kept alive for the whole loop.
  std::unique_ptr<SharedLibModule> lib;
  std::unique_ptr<CompiledModel> compiled;
  OwningOpRef<ModuleOp> module;

  if (isSharedLibrary(modelPath)) {
    const char *importOpt = tools::givenImportOption();
    const std::pair<bool, const char *> misuse[] = {
        {!rewrite.empty(), "--rewrite/--policy"},
        {noRaise, "--no-raise"},
        {opt.reference, "--reference"},
        {importOpt != nullptr, importOpt}};
    for (auto [set, name] : misuse)
      if (set) {
        llvm::errs() << "error: " << name << " does not apply to a shared "
                     << "library ('" << modelPath
                     << "' is compiled already); bench the model it was "
                        "compiled from instead\n";
        return 1;
      }
    auto t0 = std::chrono::steady_clock::now();
    auto opened = SharedLibModule::open(modelPath, entryName);
    if (!opened)
      return fail(opened.takeError());
    setupMs = msSince(t0);
    lib = std::move(*opened);
    sig = lib->signature();
    backend = "shared library (model " + lib->name() + ")";
    SharedLibModule *l = lib.get();
    target.prepare = [l](const std::vector<HostArray> &in) {
      return l->prepare(in);
    };
    target.invoke = [l] { return l->invoke(); };
    target.hooks = l->kernelHooks();
    // Nothing describes how the library's inputs are used: generated
    // integer inputs stay in [0, 2) (valid ids for any table).
    module = ModuleOp::create(UnknownLoc::get(&session.context()));
  } else {
    if (!entryName.empty()) {
      llvm::errs() << "error: --name applies to shared libraries only, and '"
                   << modelPath << "' is not one\n";
      return 1;
    }
    module = session.load(modelPath, given);
    if (!module)
      return 1;
    CompileSpec spec;
    spec.raise = !noRaise;
    spec.rewrite = rewrite;
    spec.kernels = !opt.reference;
    compiled = compile(session, *module, spec);
    if (!compiled)
      return 1;
    setupMs = compiled->compileMs;
    sig = compiled->signature;
    sites = static_cast<int64_t>(compiled->sites.size());
    backend = opt.reference ? "jit (reference lowering)" : "jit (kernels)";
    JitModule *jit = compiled->jit.get();
    target.prepare = [jit](const std::vector<HostArray> &in) {
      return jit->prepare(in);
    };
    target.invoke = [jit] { return jit->invoke(); };
    target.hooks = hostKernelHooks();
  }
  if (!given.assemble(sig, seed, *module, ins, err)) {
    llvm::errs() << "error: " << err << "\n";
    return 1;
  }

  const KernelHooks &hooks = target.hooks;
  if (opt.threads.getNumOccurrences()) {
    if (hooks)
      hooks.setNumThreads(opt.threads);
    else
      llvm::errs() << "warning: --threads: '" << modelPath
                   << "' does not contain the kernel library (its code runs "
                      "on one thread); ignored\n";
  }
  int threads = hooks ? hooks.numThreads() : 1;

  if (llvm::Error e = target.prepare(ins))
    return fail(std::move(e));
  // --evict-mib: a buffer read before each run displaces the inputs (and
  // everything else) from the caches; its sum goes to a volatile so that the
  // reads are not optimized away.
  std::vector<float> evictBuf(size_t(opt.evictMib) << 18, 1.0f);
  auto evict = [&] {
    if (evictBuf.empty())
      return;
    float sums[16] = {};
    for (size_t i = 0; i < evictBuf.size(); i += 16)
      for (int j = 0; j < 16; ++j)
        sums[j] += evictBuf[i + j];
    volatile float sink = 0;
    for (float x : sums)
      sink = sink + x;
  };
  for (unsigned r = 0; r < opt.warmup; ++r) {
    evict();
    if (llvm::Error e = target.invoke())
      return fail(std::move(e));
  }
  std::vector<double> times;
  std::vector<std::vector<double>> kernelMs(std::size(families));
  std::vector<double> otherMs;
  for (unsigned r = 0; r < opt.runs; ++r) {
    evict();
    if (hooks)
      hooks.profileReset();
    auto t0 = std::chrono::steady_clock::now();
    if (llvm::Error e = target.invoke())
      return fail(std::move(e));
    double ms = msSince(t0);
    times.push_back(ms);
    double inKernels = 0;
    for (auto [i, f] : llvm::enumerate(families)) {
      double k = hooks ? hooks.profileNs(f.second) * 1e-6 : 0.0;
      kernelMs[i].push_back(k);
      inKernels += k;
    }
    // A kernel called from inside another (a GEMM inside attention) is
    // counted by both families: "other" never goes below zero.
    otherMs.push_back(std::max(0.0, ms - inKernels));
  }
  double med = median(times);
  double minMs = *std::min_element(times.begin(), times.end());
  double mean = std::accumulate(times.begin(), times.end(), 0.0) /
                static_cast<double>(times.size());

  llvm::raw_ostream &os = llvm::outs();
  os << "attune bench: " << modelPath << "\n";
  os << "backend: " << backend << "\n";
  if (sites >= 0)
    os << "attention sites: " << sites << "\n";
  os << llvm::format("%s: %.1f ms\n", lib ? "load" : "compile", setupMs);
  os << "threads: " << threads << "\n";
  os << "runs: " << opt.runs << " (after " << opt.warmup << " warm-up)";
  if (opt.evictMib)
    os << ", " << opt.evictMib << " MiB read before each";
  os << "\n";
  os << llvm::format("median: %.3f ms\nmin: %.3f ms\nmean: %.3f ms\n", med,
                     minMs, mean);
  os << "kernels (median ms per run):";
  for (auto [i, f] : llvm::enumerate(families))
    os << llvm::format(" %s %.3f", f.first, median(kernelMs[i]));
  os << llvm::format(" other %.3f", median(otherMs));
  if (!hooks)
    os << " (no kernel library in the shared library)";
  os << "\n";
  if (opt.flops > 0)
    os << llvm::format("GFLOP/s: %.2f (%.4g flop at the median)\n",
                       med > 0 ? opt.flops / (med * 1e6) : 0.0,
                       opt.flops.getValue());

  if (!opt.json.empty()) {
    llvm::json::Array runsMs;
    for (double t : times)
      runsMs.push_back(t);
    llvm::json::Object split;
    for (auto [i, f] : llvm::enumerate(families))
      split[f.first] = median(kernelMs[i]);
    split["other"] = median(otherMs);
    llvm::json::Object root{{"model", modelPath.getValue()},
                            {"backend", backend},
                            {"compile_ms", setupMs},
                            {"median_ms", med},
                            {"min_ms", minMs},
                            {"mean_ms", mean},
                            {"warmup", static_cast<int64_t>(opt.warmup)},
                            {"evict_mib", static_cast<int64_t>(opt.evictMib)},
                            {"runs_ms", std::move(runsMs)},
                            {"threads", static_cast<int64_t>(threads)},
                            {"kernel_ms", std::move(split)}};
    if (opt.flops > 0) {
      root["flops"] = opt.flops.getValue();
      root["gflops"] = med > 0 ? opt.flops / (med * 1e6) : 0.0;
    }
    if (!writeJsonFile(opt.json, "--json", std::move(root)))
      return 1;
    os << "json written to " << opt.json << "\n";
  }
  return 0;
}
