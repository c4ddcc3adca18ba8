//===- EvalCommand.cpp - `attune eval`: accuracy and cost of a rewrite ----===//
//
// Compiles a model twice, dense and with a rewrite (--policy or --rewrite),
// both with `attn-expose-sites` so that every attention site's output is a
// result, runs them on the same inputs and reports per site and per model
// output the max/mean absolute error and cosine similarity against the dense
// run, the density and attention-mass recall of sparse sites (from a third
// compilation exposing only those statistics, so that computing them does
// not slow the timed runs), and the median run time of both models.
// `--json` writes the same report for scripts.
//
//===----------------------------------------------------------------------===//

#include "tools/attune/Commands.h"
#include "tools/attune/Session.h"

#include "dialects/Attn/IR/AttnOps.h"
#include "passes/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::driver;
namespace cl = llvm::cl;

namespace {
cl::OptionCategory evalCat("attune eval options");
cl::opt<std::string> jsonOut("json", cl::desc("Write the report as JSON here"),
                             cl::cat(evalCat));
cl::opt<unsigned> runs("runs",
                       cl::desc("Timed runs of each model (median; "
                                "default 5)"),
                       cl::init(5), cl::cat(evalCat));
cl::opt<bool> sweep(
    "sweep",
    cl::desc("Try every rewrite method with its default parameters on all "
             "sites (instead of --rewrite/--policy) and print one row per "
             "method: applicable or why not, density, recall, output error, "
             "run time"),
    cl::cat(evalCat));

/// Prints an attribute without the dialect prefix ("window<...>").
std::string attrText(Attribute a) {
  std::string s;
  llvm::raw_string_ostream os(s);
  a.print(os);
  StringRef r(s);
  r.consume_front("#attn.");
  return r.str();
}

std::string listText(ArrayRef<int64_t> v) {
  std::string s;
  for (auto [i, x] : llvm::enumerate(v))
    s += (i ? "," : "") + std::to_string(x);
  return s;
}

/// What the rewrite made of one site's op, e.g.
/// "window<sinks = 4, left = 255, right = 0> dense_heads[3,7]".
std::string describeOp(Operation *op) {
  auto sdpa = dyn_cast<SdpaOp>(op);
  if (!sdpa) {
    std::string s = op->getName().stripDialect().str();
    if (auto lin = dyn_cast<LinearOp>(op))
      s = attrText(lin.getVariantAttr()) +
          (lin.getVariant() == LinearVariant::lightning
               ? ""
               : " " + attrText(lin.getFeatureAttr())) +
          (lin.getExclude() ? " +exclude" : "");
    else if (auto ag = dyn_cast<AgentOp>(op))
      s = "agent(" + std::to_string(ag.getNumAgents()) + ")";
    auto t = cast<RankedTensorType>(op->getResult(0).getType());
    return s + " heads=" + std::to_string(t.getDimSize(1));
  }
  SmallVector<std::string> parts;
  if (auto w = sdpa.getWindowAttr())
    parts.push_back(attrText(w));
  if (Value bm = sdpa.getBlockMask()) {
    std::string bs = listText(*sdpa.getBlockSize());
    if (auto sel = bm.getDefiningOp<BlockSelectOp>())
      parts.push_back(attrText(sel.getMethodAttr()) + "[" + bs + "]");
    else
      parts.push_back("block-static[" + bs + "]");
  }
  if (auto d = sdpa.getDenseHeads())
    parts.push_back("dense_heads[" + listText(*d) + "]");
  if (sdpa.getCompensation())
    parts.push_back("compensation");
  if (auto m = sdpa.getScoreModAttr()) {
    std::string s = attrText(m);
    if (auto h = sdpa.getScoreModHeads())
      s += " heads[" + listText(*h) + "]";
    parts.push_back(s);
  }
  if (parts.empty())
    return "dense";
  std::string s;
  for (auto [i, p] : llvm::enumerate(parts))
    s += (i ? " " : "") + p;
  return s;
}

/// Site index -> form, from the module after the rewrite.
std::map<int64_t, std::string> describeSites(ModuleOp module) {
  std::map<int64_t, std::string> forms;
  module.walk([&](Operation *op) {
    auto a = op->getAttrOfType<IntegerAttr>("attn.site");
    if (!a || isa<BlockSelectOp>(op) || !op->getDialect() ||
        op->getDialect()->getNamespace() != "attn")
      return;
    std::string &f = forms[a.getInt()];
    f += (f.empty() ? "" : " | ") + describeOp(op);
  });
  return forms;
}

void addExpose(OpPassManager &pm, bool outputs, bool stats) {
  std::string p = std::string("attn-expose-sites{outputs=") +
                  (outputs ? "true" : "false") +
                  " stats=" + (stats ? "true" : "false") + "}";
  (void)parsePassPipeline(p, pm, llvm::errs());
}

/// One run of `m` (its outputs into `outs`): the time in ms, or a negative
/// value on failure (the error printed).
double runOnce(CompiledModel &m, const std::vector<HostArray> &ins,
               std::vector<HostArray> &outs) {
  auto t0 = std::chrono::steady_clock::now();
  if (llvm::Error e = m.jit->run(ins, outs)) {
    llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
    return -1;
  }
  return msSince(t0);
}

/// The median of `times` (the upper middle one of an even count; 0 when
/// empty).
double medianOf(std::vector<double> times) {
  if (times.empty())
    return 0;
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Runs `m` once untimed (first-touch costs; its outputs are kept) and
/// then `n` timed times; returns the median time in ms, or a negative value
/// on failure.
double timedRuns(CompiledModel &m, const std::vector<HostArray> &ins,
                 std::vector<HostArray> &outs, unsigned n) {
  if (runOnce(m, ins, outs) < 0)
    return -1;
  std::vector<double> times;
  for (unsigned r = 0; r < n; ++r) {
    std::vector<HostArray> ignored;
    double t = runOnce(m, ins, ignored);
    if (t < 0)
      return -1;
    times.push_back(t);
  }
  return medianOf(std::move(times));
}

/// Whether `module` carries recycled attention, whose accuracy is a
/// property of a decode run rather than of one step.
bool carriesRecycle(ModuleOp module) {
  bool found = false;
  module.walk([&](RecycleOp) { found = true; });
  return found;
}

/// Inputs of `sig` by name from `have`, generated (seeded) otherwise.
bool inputsFor(const Signature &sig, const Signature &haveSig,
               const std::vector<HostArray> &have, InputSet &given,
               ModuleOp module, std::vector<HostArray> &out) {
  std::string err;
  std::vector<HostArray> generated;
  if (!given.assemble(sig, seed, module, generated, err)) {
    llvm::errs() << "error: " << err << "\n";
    return false;
  }
  out.clear();
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    auto it = llvm::find_if(haveSig.inputs, [&](const TensorSpec &s) {
      return s.name == sig.inputs[i].name;
    });
    out.push_back(it == haveSig.inputs.end()
                      ? generated[i]
                      : have[it - haveSig.inputs.begin()]);
  }
  return true;
}

struct Row {
  std::string name, form;
  Comparison cmp;
  double density = NAN, recall = NAN;
};

/// A rewrite against the dense model: per site and per model output.
struct Evaluation {
  std::vector<Row> sites, outputs;
  double denseMs = 0, sparseMs = 0;
};

llvm::json::Value num(double v) {
  if (std::isnan(v))
    return nullptr;
  return v;
}
/// The dense model compiled once with every site's output exposed, its
/// inputs, outputs and median run time; rewrites are compiled, run and
/// compared against it.
class Evaluator {
public:
  Evaluator(Session &session, ModuleOp module, InputSet &given)
      : session(session), module(module), given(given) {}

  /// Compiles and runs the dense model, `timed` more times for `denseMs`
  /// (each evaluation times it again next to its rewrite); false (error
  /// printed) on failure.
  bool prepare(unsigned timed) {
    CompileSpec dense;
    dense.raise = !noRaise;
    dense.beforeLowering = [](OpPassManager &pm) {
      addExpose(pm, true, false);
    };
    denseM = compile(session, module, dense);
    if (!denseM)
      return false;
    std::string err;
    if (!given.assemble(denseM->signature, seed, module, dIns, err)) {
      llvm::errs() << "error: " << err << "\n";
      return false;
    }
    denseMs = timedRuns(*denseM, dIns, dOuts, timed);
    if (denseMs < 0)
      return false;
    // The sites of the dense model (after the raise phase).
    CompileSpec raised;
    raised.raise = !noRaise;
    Signature ignored;
    OwningOpRef<ModuleOp> base =
        lower(session, module, raised, ignored, Phase::Raise);
    if (!base)
      return false;
    denseSites = describeSites(*base);
    return true;
  }

  /// Why `rewritten` cannot be compared site by site with the dense model
  /// ("" when it can): a site that is no longer an attn op, or recycled
  /// attention, whose accuracy is a property of a decode run.
  std::string lostSite(StringRef pipeline, ModuleOp rewritten) const {
    if (carriesRecycle(rewritten))
      return "after --rewrite '" + pipeline.str() +
             "' the model carries recycled attention (attn.recycle), whose "
             "error builds up over the steps of a decode: one step here "
             "would be a full step, exactly dense; measure it with `attune "
             "decode MODEL --prompt-len N --steps S --rewrite '" +
             pipeline.str() +
             "' --check` (per-step error against onnxruntime and the top "
             "token's agreement)";
    std::map<int64_t, std::string> forms = describeSites(rewritten);
    for (const auto &entry : denseSites)
      if (!forms.count(entry.first))
        return "after --rewrite '" + pipeline.str() + "' attention site " +
               std::to_string(entry.first) +
               " is no longer an attn op (the pipeline lowers or removes "
               "it); eval compares each site of the dense and the rewritten "
               "model, so --rewrite takes rewrite passes (attn-sparsify, "
               "attn-linearize, attn-calibrate, attn-recycle, "
               "attn-apply-policy, ...), not lowerings";
    return "";
  }

  /// Compiles `pipeline` (already checked to keep the sites; `forms` from
  /// its raise phase), runs it and compares it with the dense model.
  bool evaluate(const std::string &pipeline,
                const std::map<int64_t, std::string> &forms, Evaluation &ev) {
    CompileSpec sparse, stats;
    sparse.raise = stats.raise = !noRaise;
    sparse.rewrite = stats.rewrite = pipeline;
    sparse.beforeLowering = [](OpPassManager &pm) {
      addExpose(pm, true, false);
    };
    stats.beforeLowering = [](OpPassManager &pm) {
      addExpose(pm, false, true);
    };
    auto sparseM = compile(session, module, sparse);
    if (!sparseM)
      return false;
    auto statsM = compile(session, module, stats);
    if (!statsM)
      return false;
    std::vector<HostArray> sIns, tIns, sOuts, tOuts;
    if (!inputsFor(sparseM->signature, denseM->signature, dIns, given, module,
                   sIns) ||
        !inputsFor(statsM->signature, denseM->signature, dIns, given, module,
                   tIns))
      return false;
    // The rewritten model's outputs (one untimed run), then the dense and
    // the rewritten model timed in turn, so that a slow spell of a shared
    // machine falls on both.
    if (timedRuns(*sparseM, sIns, sOuts, 0) < 0 ||
        timedRuns(*statsM, tIns, tOuts, 0) < 0)
      return false;
    std::vector<double> dTimes, sTimes;
    for (unsigned r = 0; r < runs.getValue(); ++r) {
      std::vector<HostArray> ignored;
      double d = runOnce(*denseM, dIns, ignored);
      double t = runOnce(*sparseM, sIns, ignored);
      if (d < 0 || t < 0)
        return false;
      dTimes.push_back(d);
      sTimes.push_back(t);
    }
    ev.denseMs = medianOf(std::move(dTimes));
    ev.sparseMs = medianOf(std::move(sTimes));

    auto byName = [](const Signature &sig, std::vector<HostArray> &outs) {
      std::map<std::string, HostArray *> m;
      for (size_t i = 0; i < outs.size(); ++i)
        m[sig.outputs[i].name] = &outs[i];
      return m;
    };
    auto dMap = byName(denseM->signature, dOuts);
    auto sMap = byName(sparseM->signature, sOuts);
    auto tMap = byName(statsM->signature, tOuts);
    auto scalar = [&](const std::string &name) {
      auto it = tMap.find(name);
      return it == tMap.end() ? NAN : it->second->at(0);
    };
    const unsigned numModelOutputs =
        module.lookupSymbol<func::FuncOp>("main").getNumResults();
    for (size_t i = 0; i < denseM->signature.outputs.size(); ++i) {
      const std::string &name = denseM->signature.outputs[i].name;
      auto it = sMap.find(name);
      if (it == sMap.end()) {
        llvm::errs() << "error: the rewritten model has no output '" << name
                     << "'\n";
        return false;
      }
      Row r;
      r.name = name;
      r.cmp = compare(*it->second, *dMap[name], 0, 0);
      if (i < numModelOutputs) {
        ev.outputs.push_back(r);
        continue;
      }
      // "site<N>.out"
      StringRef n(name);
      int64_t idx = -1;
      if (!n.consume_front("site") || !n.consume_back(".out") ||
          n.getAsInteger(10, idx))
        continue;
      r.name = "site " + std::to_string(idx);
      auto f = forms.find(idx);
      r.form = f == forms.end() ? "?" : f->second;
      r.density = scalar("site" + std::to_string(idx) + ".density");
      r.recall = scalar("site" + std::to_string(idx) + ".recall");
      ev.sites.push_back(r);
    }
    return true;
  }

  Session &session;
  ModuleOp module;
  InputSet &given;
  std::unique_ptr<CompiledModel> denseM;
  std::vector<HostArray> dIns, dOuts;
  double denseMs = 0;
  std::map<int64_t, std::string> denseSites;
};

std::string fmtNum(double v, const char *f) {
  if (std::isnan(v))
    return "-";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format(f, v);
  return s;
}

/// One row per policy method (`attune eval --sweep`).
int sweepMethods(Evaluator &ev) {
  struct MethodRow {
    std::string method, pipeline, status, form;
    int64_t rewritten = 0;
    double density = NAN, recall = NAN, cosine = NAN, maxAbs = NAN;
    double ms = NAN, denseMs = NAN;
  };
  std::vector<MethodRow> rows;
  const size_t nsites = ev.denseSites.size();
  for (StringRef method : policyMethods()) {
    if (method == "dense")
      continue;
    MethodRow row;
    row.method = method.str();
    row.pipeline = *methodPipeline(method);
    // The rewrite alone, its errors collected rather than printed: a method
    // that does not apply to this model is a row, not a failure.
    std::string firstError;
    OwningOpRef<ModuleOp> rewritten;
    {
      ScopedDiagnosticHandler capture(
          &ev.session.context(), [&](Diagnostic &d) {
            if (d.getSeverity() == DiagnosticSeverity::Error &&
                firstError.empty())
              firstError = d.str();
            return success();
          });
      CompileSpec spec;
      spec.raise = !noRaise;
      spec.rewrite = row.pipeline;
      Signature ignored;
      rewritten = lower(ev.session, ev.module, spec, ignored, Phase::Raise);
    }
    if (!rewritten) {
      row.status = "not applicable: " +
                   (firstError.empty() ? std::string("see the error above")
                                       : firstError);
      rows.push_back(row);
      continue;
    }
    std::map<int64_t, std::string> forms = describeSites(*rewritten);
    if (carriesRecycle(*rewritten)) {
      row.status = "applies (a decode graph); one step here would be a full "
                   "step, exactly dense: measure it over a decode with "
                   "`attune decode MODEL --prompt-len N --steps S --rewrite "
                   "'" +
                   row.pipeline + "' --check`";
      rows.push_back(row);
      continue;
    }
    std::string lost = ev.lostSite(row.pipeline, *rewritten);
    if (!lost.empty()) {
      row.status = "not applicable: " + lost;
      rows.push_back(row);
      continue;
    }
    std::map<std::string, int> formCount;
    for (const auto &[site, form] : forms)
      if (form != "dense") {
        ++row.rewritten;
        ++formCount[form];
      }
    if (!formCount.empty()) {
      auto most = std::max_element(
          formCount.begin(), formCount.end(),
          [](const auto &x, const auto &y) { return x.second < y.second; });
      row.form = most->first;
      if (formCount.size() > 1)
        row.form +=
            " (+" + std::to_string(formCount.size() - 1) + " other form(s))";
    }
    Evaluation e;
    if (!ev.evaluate(row.pipeline, forms, e)) {
      row.status = "failed (see the error above)";
      rows.push_back(row);
      continue;
    }
    row.status = row.rewritten ? "ok" : "no site rewritten";
    double dsum = 0, rsum = 0;
    int dn = 0, rn = 0;
    for (const Row &r : e.sites) {
      if (r.form == "dense")
        continue;
      if (!std::isnan(r.density))
        dsum += r.density, ++dn;
      if (!std::isnan(r.recall))
        rsum += r.recall, ++rn;
    }
    row.density = dn ? dsum / dn : NAN;
    row.recall = rn ? rsum / rn : NAN;
    for (const Row &r : e.outputs) {
      row.cosine = std::isnan(row.cosine) ? r.cmp.cosine
                                          : std::min(row.cosine, r.cmp.cosine);
      row.maxAbs = std::isnan(row.maxAbs) ? r.cmp.maxAbs
                                          : std::max(row.maxAbs, r.cmp.maxAbs);
    }
    row.ms = e.sparseMs;
    row.denseMs = e.denseMs;
    rows.push_back(row);
  }

  llvm::outs() << "attune eval --sweep: " << modelPath << "\n  inputs: "
               << (inputsDir.empty() && inputFiles.empty()
                       ? "seed " + std::to_string(seed)
                       : "given (others seed " + std::to_string(seed) + ")")
               << "\n  dense: " << nsites << " attention site(s), "
               << llvm::format("%.3f", ev.denseMs) << " ms (median of "
               << runs.getValue() << ")\n"
               << "  each method with its default parameters on every site "
                  "(`attune-opt --help` lists them); density and recall: "
                  "mean over the rewritten sites; cosine and max_abs: the "
                  "model outputs against the dense run (worst output)\n\n";
  llvm::outs() << llvm::format("%-13s %6s %8s %8s %10s %10s %10s %8s  %s\n",
                               "method", "sites", "density", "recall", "cosine",
                               "max_abs", "time ms", "speedup", "form");
  for (const MethodRow &r : rows) {
    if (r.status != "ok" && r.status != "no site rewritten") {
      llvm::outs() << llvm::format("%-13s %6s  ", r.method.c_str(), "-")
                   << r.status << "\n";
      continue;
    }
    std::string sites =
        std::to_string(r.rewritten) + "/" + std::to_string(nsites);
    llvm::outs() << llvm::format(
        "%-13s %6s %8s %8s %10s %10s %10s %8s  %s\n", r.method.c_str(),
        sites.c_str(), fmtNum(r.density, "%.4f").c_str(),
        fmtNum(r.recall, "%.4f").c_str(), fmtNum(r.cosine, "%.6f").c_str(),
        fmtNum(r.maxAbs, "%.3e").c_str(), fmtNum(r.ms, "%.3f").c_str(),
        (r.ms > 0 ? fmtNum(r.denseMs / r.ms, "%.2f") + "x" : "-").c_str(),
        r.rewritten ? r.form.c_str() : "(every site stays dense)");
  }
  llvm::outs() << "\nrewrites:";
  for (const MethodRow &r : rows)
    llvm::outs() << " " << r.method << " = " << r.pipeline
                 << (&r == &rows.back() ? "\n" : ";");
  llvm::outs() << "speedup: the dense model's median time over the "
                  "rewritten model's, the two timed in turn (--runs each) "
                  "for every row; pass one method's pipeline to `attune "
                  "eval --rewrite` for its per-site report\n";

  if (!jsonOut.empty()) {
    llvm::json::Array jr;
    for (const MethodRow &r : rows)
      jr.push_back(llvm::json::Object{{"method", r.method},
                                      {"rewrite", r.pipeline},
                                      {"status", r.status},
                                      {"sites_rewritten", r.rewritten},
                                      {"form", r.form},
                                      {"density", num(r.density)},
                                      {"recall", num(r.recall)},
                                      {"cosine", num(r.cosine)},
                                      {"max_abs", num(r.maxAbs)},
                                      {"time_ms", num(r.ms)},
                                      {"dense_time_ms", num(r.denseMs)}});
    llvm::json::Object root{{"model", modelPath.getValue()},
                            {"seed", static_cast<int64_t>(seed)},
                            {"runs", static_cast<int64_t>(runs.getValue())},
                            {"sites", static_cast<int64_t>(nsites)},
                            {"dense_ms", ev.denseMs},
                            {"methods", std::move(jr)}};
    if (!writeJsonFile(jsonOut, "--json", std::move(root)))
      return 1;
  }
  return 0;
}
} // namespace

int mlir::attn::driver::evalCommand(int argc, char **argv) {
  if (!parseCommandLine(argc, argv, "eval",
                        "attune eval: accuracy and run time of a rewrite "
                        "against the dense model\n",
                        {&evalCat},
                        {"check", "rtol", "atol", "python", "output-dir"}))
    return 1;
  if (runs < 1) {
    llvm::errs() << "error: --runs: must be at least 1\n";
    return 1;
  }
  if (sweep && !rewrite.empty()) {
    llvm::errs() << "error: attune eval: --sweep tries every method itself; "
                    "drop --rewrite/--policy (or drop --sweep)\n";
    return 1;
  }
  if (!sweep && rewrite.empty()) {
    llvm::errs() << "error: attune eval: nothing to evaluate; give --policy "
                    "FILE, --rewrite PIPELINE or --sweep\n";
    return 1;
  }
  Session session;
  InputSet given;
  OwningOpRef<ModuleOp> module = loadCommandModel(session, given);
  if (!module)
    return 1;
  if (!module->lookupSymbol<func::FuncOp>("main")) {
    llvm::errs() << "error: " << modelPath << ": no func.func @main\n";
    return 1;
  }
  Evaluator ev(session, *module, given);
  if (sweep) {
    if (!ev.prepare(runs.getValue()))
      return 1;
    return sweepMethods(ev);
  }

  // The rewritten module, for the per-site forms (and early errors).
  CompileSpec spec;
  spec.raise = !noRaise;
  spec.rewrite = rewrite;
  Signature rsig;
  OwningOpRef<ModuleOp> rewritten =
      lower(session, *module, spec, rsig, Phase::Raise);
  if (!rewritten)
    return 1;
  std::map<int64_t, std::string> forms = describeSites(*rewritten);
  if (!ev.prepare(0))
    return 1;
  if (std::string lost = ev.lostSite(rewrite, *rewritten); !lost.empty()) {
    llvm::errs() << "error: attune eval: " << modelPath << ": " << lost << "\n";
    return 1;
  }
  Evaluation e;
  if (!ev.evaluate(rewrite, forms, e))
    return 1;
  const std::vector<Row> &sites = e.sites, &outputs = e.outputs;
  const double denseMs = e.denseMs, sparseMs = e.sparseMs;

  llvm::outs() << "attune eval: " << modelPath << "\n  rewrite: " << rewrite
               << "\n  inputs: "
               << (inputsDir.empty() && inputFiles.empty()
                       ? "seed " + std::to_string(seed)
                       : "given (others seed " + std::to_string(seed) + ")")
               << "\n\n";
  llvm::outs() << llvm::format("%-26s %10s %10s %10s %8s %8s  %s\n", "",
                               "max_abs", "mean_abs", "cosine", "density",
                               "recall", "form");
  auto fmt = [](double v, const char *f) {
    if (std::isnan(v))
      return std::string("-");
    std::string s;
    llvm::raw_string_ostream os(s);
    os << llvm::format(f, v);
    return s;
  };
  auto print = [&](const Row &r, bool site) {
    llvm::outs() << llvm::format(
        "%-26s %10s %10s %10s %8s %8s  %s\n",
        (site ? r.name : "output " + r.name).c_str(),
        fmt(r.cmp.maxAbs, "%.3e").c_str(), fmt(r.cmp.meanAbs, "%.3e").c_str(),
        fmt(r.cmp.cosine, "%.6f").c_str(), fmt(r.density, "%.4f").c_str(),
        fmt(r.recall, "%.4f").c_str(), r.form.c_str());
    if (!r.cmp.problem.empty())
      llvm::outs() << "    " << r.cmp.problem << "\n";
  };
  for (const Row &r : sites)
    print(r, true);
  for (const Row &r : outputs)
    print(r, false);
  llvm::outs() << llvm::format(
      "\nrun time (median of %u): dense %.3f ms, rewritten %.3f ms (%.2fx)\n",
      runs.getValue(), denseMs, sparseMs,
      sparseMs > 0 ? denseMs / sparseMs : 0.0);

  if (!jsonOut.empty()) {
    auto rowJson = [&](const Row &r) {
      llvm::json::Object o{{"max_abs", num(r.cmp.maxAbs)},
                           {"mean_abs", num(r.cmp.meanAbs)},
                           {"cosine", num(r.cmp.cosine)}};
      return o;
    };
    llvm::json::Array js, jo;
    for (const Row &r : sites) {
      llvm::json::Object o = rowJson(r);
      o["site"] = std::stoll(r.name.substr(5));
      o["form"] = r.form;
      o["density"] = num(r.density);
      o["recall"] = num(r.recall);
      js.push_back(std::move(o));
    }
    for (const Row &r : outputs) {
      llvm::json::Object o = rowJson(r);
      o["name"] = r.name;
      jo.push_back(std::move(o));
    }
    llvm::json::Object root{
        {"model", modelPath.getValue()},
        {"rewrite", rewrite.getValue()},
        {"seed", static_cast<int64_t>(seed)},
        {"runs", static_cast<int64_t>(runs.getValue())},
        {"time_ms",
         llvm::json::Object{{"dense", denseMs}, {"rewritten", sparseMs}}},
        {"sites", std::move(js)},
        {"outputs", std::move(jo)}};
    if (!writeJsonFile(jsonOut, "--json", std::move(root)))
      return 1;
  }
  return 0;
}
