//===- DecodeCommand.cpp - `attune decode` --------------------------------===//
//
// Runs a decoder-with-past graph step by step: a prompt step over N tokens
// with a zero-length past, then S single-token steps, feeding each step's
// present key/values back as the next past and carrying the state that
// rewrites add to the step function (attn-recycle's `recycle.*` inputs and
// outputs) the same way. Token ids come from a file or a seed (later tokens
// are the greedy argmax of the logits); models without token ids (a single
// attention block) get seeded random inputs for their new positions.
//
// Shapes are static per compilation, so every step, whose cache is one
// token longer than the last, is imported and compiled again (the cost is
// printed per step). `--check` runs onnxruntime on the dense model over the
// same tokens, with its own KV cache, and prints each step's error.
//
//===----------------------------------------------------------------------===//

#include "tools/ToolSupport.h"
#include "tools/attune/Commands.h"
#include "tools/attune/Session.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <map>
#include <random>
#include <set>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::driver;
namespace cl = llvm::cl;

namespace {
cl::OptionCategory decodeCat("attune decode options");
cl::opt<int64_t> promptLen("prompt-len", cl::desc("Tokens of the prompt step"),
                           cl::init(16), cl::cat(decodeCat));
cl::opt<int64_t> numSteps("steps",
                          cl::desc("Single-token steps after the prompt"),
                          cl::init(8), cl::cat(decodeCat));
cl::opt<std::string> inputIds(
    "input-ids",
    cl::desc("Token ids (.npy, int64 [L] or [B, L]): the prompt, then the "
             "tokens fed at each step (greedy argmax after they run out)"),
    cl::cat(decodeCat));

/// What each graph input and output is for.
struct Roles {
  std::string tokens, logits;
  std::vector<std::pair<std::string, std::string>> cache; // present -> past
  std::map<std::string, TensorSpec> inputs;
  int64_t batch = 1;
  /// Last dimension of the logits (the range of generated prompt ids).
  int64_t vocab = 2;
};

bool contains(const std::string &s, StringRef what) {
  return StringRef(s).lower().find(what) != std::string::npos;
}
bool isInt(DType t) {
  return t == DType::I64 || t == DType::I32 || t == DType::I16 ||
         t == DType::I8;
}

HostArray zeros(DType t, std::vector<int64_t> shape) {
  HostArray a{t, std::move(shape), {}};
  a.data.assign(a.numElements() * dtypeSize(t), 0);
  return a;
}

/// Stores integer `v` at element i of an integer or float array.
void put(HostArray &a, int64_t i, double v) {
  char *p = a.data.data() + i * dtypeSize(a.dtype);
  switch (a.dtype) {
  case DType::I64: {
    int64_t x = static_cast<int64_t>(v);
    std::memcpy(p, &x, 8);
    return;
  }
  case DType::I32: {
    int32_t x = static_cast<int32_t>(v);
    std::memcpy(p, &x, 4);
    return;
  }
  case DType::F32: {
    float x = static_cast<float>(v);
    std::memcpy(p, &x, 4);
    return;
  }
  case DType::F64:
    std::memcpy(p, &v, 8);
    return;
  default:
    *p = static_cast<char>(v);
  }
}

/// Finds inputs/outputs by the names exporters use (input_ids, past*,
/// present*, *mask*, position*, logits).
bool findRoles(const Signature &sig, Roles &r, std::string &err) {
  std::vector<std::string> pasts;
  for (const TensorSpec &s : sig.inputs) {
    r.inputs[s.name] = s;
    if (contains(s.name, "past"))
      pasts.push_back(s.name);
    else if (isInt(s.dtype) &&
             (contains(s.name, "input_ids") ||
              (r.tokens.empty() && s.shape.size() == 2 &&
               !contains(s.name, "mask") && !contains(s.name, "position"))))
      r.tokens = s.name;
  }
  std::vector<std::string> presents;
  for (const TensorSpec &s : sig.outputs) {
    if (contains(s.name, "present"))
      presents.push_back(s.name);
    else if (r.logits.empty() || contains(s.name, "logits")) {
      r.logits = s.name;
      r.vocab = s.shape.empty() ? 2 : s.shape.back();
    }
  }
  if (pasts.empty() || pasts.size() != presents.size()) {
    err = "expected a decoder with past: inputs named past* (found " +
          std::to_string(pasts.size()) +
          ") and as many outputs named "
          "present* (found " +
          std::to_string(presents.size()) + ")";
    return false;
  }
  for (size_t i = 0; i < presents.size(); ++i) {
    // present.0.key <-> past_key_values.0.key, present_key <-> past_key;
    // otherwise by order.
    std::string want = presents[i];
    std::string a = StringRef(want).str(), b = a;
    size_t at = a.find("present");
    std::string match = pasts[i];
    for (const char *rep : {"past_key_values", "past"}) {
      b = a.substr(0, at) + rep + a.substr(at + 7);
      if (llvm::is_contained(pasts, b)) {
        match = b;
        break;
      }
    }
    const TensorSpec &p = r.inputs[match];
    if (p.shape.size() != 4) {
      err = "past input '" + match + "' is not [batch, heads, seq, dim]";
      return false;
    }
    r.cache.push_back({want, match});
    r.batch = p.shape[0];
  }
  return true;
}

/// The inputs of one step: n new tokens after a past of `past`.
bool stepInputs(const Roles &r, int64_t past, int64_t n,
                const std::vector<std::vector<int64_t>> &tokens,
                std::mt19937_64 &rng,
                const std::map<std::string, HostArray> &carried,
                std::map<std::string, HostArray> &in, std::string &err) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto &[name, s] : r.inputs) {
    if (auto it = carried.find(name); it != carried.end()) {
      in[name] = it->second;
      continue;
    }
    std::vector<int64_t> shape = s.shape;
    if (name == r.tokens) {
      HostArray a = zeros(s.dtype, {r.batch, n});
      for (int64_t b = 0; b < r.batch; ++b)
        for (int64_t i = 0; i < n; ++i)
          put(a, b * n + i, tokens[b][past + i]);
      in[name] = std::move(a);
    } else if (contains(name, "mask") && shape.size() == 2) {
      HostArray a = zeros(s.dtype, {r.batch, past + n});
      for (int64_t i = 0; i < a.numElements(); ++i)
        put(a, i, 1);
      in[name] = std::move(a);
    } else if (contains(name, "position") && shape.size() == 2) {
      HostArray a = zeros(s.dtype, {r.batch, n});
      for (int64_t b = 0; b < r.batch; ++b)
        for (int64_t i = 0; i < n; ++i)
          put(a, b * n + i, past + i);
      in[name] = std::move(a);
    } else if (!isInt(s.dtype) && (shape.size() == 3 || shape.size() == 4)) {
      // New positions of a float input: [B, S, E] or [B, H, S, D].
      shape[shape.size() == 3 ? 1 : 2] = n;
      HostArray a = zeros(s.dtype, shape);
      for (int64_t i = 0; i < a.numElements(); ++i)
        put(a, i, normal(rng));
      in[name] = std::move(a);
    } else {
      err = "cannot tell how input '" + name +
            "' changes from step to step "
            "(expected token ids, past*, *mask*, position* or a [B, S, E] / "
            "[B, H, S, D] float input)";
      return false;
    }
  }
  return true;
}

/// Imports the model with the shapes of `in` and runs the import phase.
OwningOpRef<ModuleOp> importStep(Session &session,
                                 const std::map<std::string, HostArray> &in) {
  onnx::ImportOptions options;
  if (!tools::getImportOptions(options))
    return nullptr;
  options.shapeFor = [&](const std::string &name, std::vector<int64_t> &s) {
    auto it = in.find(name);
    if (it == in.end())
      return false;
    s = it->second.shape;
    return true;
  };
  OwningOpRef<ModuleOp> m = tools::importOnnx(session.context(), modelPath,
                                              options, /*inferShapes=*/false);
  if (!m)
    return nullptr;
  PassManager pm(&session.context());
  buildPhase(pm, PipelineOptions(), Phase::Import);
  if (failed(pm.run(*m)))
    return nullptr;
  return m;
}

/// Greedy next token per batch row from logits [B, n, V] (last position).
std::vector<int64_t> argmaxLast(const HostArray &logits) {
  int64_t v = logits.shape.back(), rows = logits.shape[0];
  int64_t per = logits.numElements() / rows;
  std::vector<int64_t> out;
  for (int64_t b = 0; b < rows; ++b) {
    int64_t base = b * per + per - v, best = 0;
    for (int64_t j = 1; j < v; ++j)
      if (logits.at(base + j) > logits.at(base + best))
        best = j;
    out.push_back(best);
  }
  return out;
}

bool writeDir(const std::string &dir,
              const std::map<std::string, HostArray> &arrays,
              const std::set<std::string> &skip) {
  llvm::sys::fs::create_directories(dir);
  for (auto &[name, a] : arrays)
    if (!skip.count(name) && !writeNpyFile(dir, name, a))
      return false;
  return true;
}
} // namespace

int mlir::attn::driver::decodeCommand(int argc, char **argv) {
  if (!parseCommandLine(
          argc, argv, "decode",
          "attune decode: run a decoder-with-past model step by step, "
          "carrying the KV cache and rewrite state (--check: onnxruntime on "
          "the dense model over the same tokens, with its own KV cache)\n",
          {&decodeCat},
          // The steps' shapes and inputs are the command's own.
          {"input", "inputs", "input-shape", "dim", "default-dim",
           "default-batch"}))
    return 1;
  if (promptLen < 1 || numSteps < 0) {
    llvm::errs() << "error: --prompt-len must be >= 1 and --steps >= 0\n";
    return 1;
  }
  if (!tools::isOnnxFile(modelPath)) {
    llvm::errs() << "error: attune decode needs an ONNX model (.onnx or "
                    ".onnxtext): every step is imported with its own shapes\n";
    return 1;
  }
  // Probe the graph once with the default symbolic sizes to find its roles.
  // Per-step records (inputs and outputs without the caches) only when asked.
  bool save = outputDir.getNumOccurrences() > 0 && !outputDir.empty();
  Roles roles;
  std::string err;
  {
    Session probe;
    std::map<std::string, HostArray> none;
    OwningOpRef<ModuleOp> m = importStep(probe, none);
    if (!m)
      return 1;
    auto sig = readSignature(*m);
    if (!sig) {
      llvm::errs() << "error: " << llvm::toString(sig.takeError()) << "\n";
      return 1;
    }
    if (!findRoles(*sig, roles, err)) {
      llvm::errs() << "error: " << modelPath << ": " << err << "\n";
      return 1;
    }
  }
  int64_t total = promptLen + numSteps;
  std::mt19937_64 rng(seed);

  // Token ids: the file's, then random (prompt) or greedy (steps).
  std::vector<std::vector<int64_t>> tokens(roles.batch);
  int64_t given = 0;
  if (!inputIds.empty()) {
    HostArray ids;
    if (!readNpy(inputIds, ids, err)) {
      llvm::errs() << "error: --input-ids: " << err << "\n";
      return 1;
    }
    int64_t len = ids.shape.empty() ? 1 : ids.shape.back();
    int64_t rows = ids.shape.size() == 2 ? ids.shape[0] : 1;
    if (!isInt(ids.dtype) || ids.shape.size() > 2 ||
        (rows != 1 && rows != roles.batch) || len < promptLen) {
      llvm::errs() << "error: --input-ids: expected integer ids [L] or [B, L] "
                      "with L >= --prompt-len, got "
                   << dtypeName(ids.dtype) << " " << ids.shapeStr() << "\n";
      return 1;
    }
    given = len;
    for (int64_t b = 0; b < roles.batch; ++b)
      for (int64_t i = 0; i < len; ++i)
        tokens[b].push_back(
            static_cast<int64_t>(ids.at((rows == 1 ? 0 : b) * len + i)));
  }
  int64_t vocab = std::max<int64_t>(roles.vocab, 1);
  for (auto &row : tokens)
    row.resize(std::max<int64_t>(row.size(), total + 1), -1);

  std::map<std::string, HostArray> carried, refCache;
  for (auto &[present, past] : roles.cache) {
    std::vector<int64_t> shape = roles.inputs[past].shape;
    shape[2] = 0;
    carried[past] = zeros(roles.inputs[past].dtype, shape);
    refCache[past] = carried[past];
  }
  std::set<std::string> cacheNames;
  for (auto &[present, past] : roles.cache)
    cacheNames.insert({present, past});

  // The last (longest) step first, as shapes only: a model with learned
  // position embeddings or a fixed causal-mask buffer takes a limited
  // number of positions, and a run past it should fail here, naming the
  // limit's cause, not after compiling every step before it.
  {
    const int64_t lastPast = numSteps > 0 ? total - 1 : 0;
    const int64_t lastN = numSteps > 0 ? 1 : promptLen;
    std::map<std::string, HostArray> shapes, in;
    for (auto &[name, a] : carried) {
      HostArray s; // no data: the import reads shapes only
      s.dtype = a.dtype;
      s.shape = a.shape;
      s.shape[2] = lastPast;
      shapes[name] = std::move(s);
    }
    std::mt19937_64 probeRng(seed);
    Session probe;
    if (stepInputs(roles, lastPast, lastN, tokens, probeRng, shapes, in,
                   err) &&
        !importStep(probe, in)) {
      llvm::errs() << "error: attune decode: " << modelPath
                   << ": the model does not take the last step of this run ("
                   << lastN << " token(s) after a cache of " << lastPast
                   << ", from --prompt-len " << promptLen << " and --steps "
                   << numSteps
                   << "); see the error above. Models with learned position "
                      "embeddings or a fixed causal-mask buffer take a "
                      "limited number of positions: use fewer steps\n";
      return 1;
    }
  }
  llvm::outs() << "attune decode: " << modelPath << ": prompt " << promptLen
               << ", " << numSteps << " step(s), batch " << roles.batch << ", "
               << roles.cache.size() << " cache tensor(s)"
               << (rewrite.empty() ? "" : ", rewrite '" + rewrite + "'")
               << "\n";
  int status = 0;
  double worst = 0;
  // Summary figures: run times of the steps after the prompt (by kind when
  // a rewrite recycles), and with --check how often the greedy token is
  // onnxruntime's on the same inputs.
  struct Times {
    double sum = 0;
    int64_t n = 0;
    void add(double ms) { sum += ms, ++n; }
    double mean() const { return n ? sum / n : 0; }
  } allTimes, fullTimes, partialTimes;
  int64_t topAgree = 0, topCompared = 0;
  for (int64_t t = 0, past = 0; t <= numSteps; ++t) {
    int64_t n = t == 0 ? promptLen : 1;
    std::map<std::string, HostArray> in;
    if (t == 0 && !roles.tokens.empty() && given == 0) {
      // Prompt tokens: random ids below the vocabulary (logits' last dim).
      std::uniform_int_distribution<int64_t> ids(0, vocab - 1);
      for (auto &row : tokens)
        for (int64_t i = 0; i < promptLen; ++i)
          row[i] = ids(rng);
    }
    // The diagnostics above name the node; this line says which step (and
    // cache length) they belong to.
    auto stepFailed = [&] {
      llvm::errs() << "error: attune decode: step " << t << " (" << n
                   << " token(s) after a cache of " << past
                   << ") failed; see the error above\n";
      return 1;
    };
    if (!stepInputs(roles, past, n, tokens, rng, carried, in, err)) {
      llvm::errs() << "error: " << err << "\n";
      return stepFailed();
    }
    Session session;
    OwningOpRef<ModuleOp> module = importStep(session, in);
    if (!module)
      return stepFailed();
    // The longest cache of the run: rewrites that size state by the context
    // (attn-recycle's top-K) then keep the same shapes at every step.
    (*module)->setAttr(
        "attn.decode_context",
        IntegerAttr::get(IntegerType::get(&session.context(), 64), total));
    CompileSpec spec;
    spec.raise = !noRaise;
    spec.rewrite = rewrite;
    // A one-token step's generated code (the glue around the kernel calls
    // and element-wise work on one row) runs in about 0.1 ms; its LLVM
    // optimization took more than half of the step's compile time at -O3,
    // and LLVM code generation is still most of it at -O1 (the kernels
    // are precompiled either way). -O0 (no IR optimization, fast
    // instruction selection) takes a fifth less than -O1 for the same run
    // time and tokens.
    spec.optLevel = t == 0 ? 3 : 0;
    std::unique_ptr<CompiledModel> compiled = compile(session, *module, spec);
    if (!compiled)
      return stepFailed();
    const Signature &sig = compiled->signature;
    std::vector<HostArray> ins, outs;
    for (const TensorSpec &s : sig.inputs) {
      // Rewrite state: the last step's output, or zeros ("no state").
      if (!in.count(s.name))
        in[s.name] =
            carried.count(s.name) ? carried[s.name] : zeros(s.dtype, s.shape);
      ins.push_back(in[s.name]);
    }
    auto t0 = std::chrono::steady_clock::now();
    if (llvm::Error e = compiled->jit->run(ins, outs)) {
      llvm::errs() << "error: step " << t << ": "
                   << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
    double runMs = msSince(t0);
    std::map<std::string, HostArray> byName;
    for (size_t i = 0; i < outs.size(); ++i)
      byName[sig.outputs[i].name] = outs[i];

    // Next step's carried tensors: caches and rewrite state.
    carried.clear();
    for (auto &[present, pastName] : roles.cache)
      carried[pastName] = byName[present];
    bool full = false, recycled = false;
    for (auto &[name, a] : byName)
      if (StringRef(name).starts_with("recycle.")) {
        carried[name] = a;
        if (StringRef(name).starts_with("recycle.step.")) {
          recycled = true;
          full |= a.at(0) == 1;
        }
      }

    std::string line =
        llvm::formatv("step {0}: tokens {1} past {2}", t, n, past).str();
    std::vector<int64_t> next;
    if (!roles.tokens.empty() && byName.count(roles.logits)) {
      next = argmaxLast(byName[roles.logits]);
      for (int64_t b = 0; b < roles.batch; ++b)
        if (tokens[b][past + n] < 0)
          tokens[b][past + n] = next[b];
      line += llvm::formatv(" top_token {0}", next[0]).str();
    }
    if (recycled)
      line += full ? " full" : " partial";
    line += llvm::formatv(" (compile {0:F1} ms, run {1:F2} ms)",
                          compiled->compileMs, runMs)
                .str();
    if (t > 0) {
      allTimes.add(runMs);
      if (recycled)
        (full ? fullTimes : partialTimes).add(runMs);
    }

    if (check) {
      // Dense reference: the same inputs with onnxruntime's own cache.
      Signature refSig;
      std::vector<HostArray> refIns;
      for (auto &[name, s] : roles.inputs) {
        HostArray a = refCache.count(name) ? refCache[name] : in[name];
        refSig.inputs.push_back({name, a.dtype, a.shape});
        refIns.push_back(std::move(a));
      }
      for (const TensorSpec &s : sig.outputs)
        if (!StringRef(s.name).starts_with("recycle."))
          refSig.outputs.push_back(s);
      std::map<std::string, HostArray> refs;
      if (!runOnnxruntime(modelPath, refSig, refIns, refs))
        return 1;
      for (auto &[present, pastName] : roles.cache)
        refCache[pastName] = refs[present];
      Comparison c =
          compare(byName[roles.logits], refs[roles.logits], rtol, atol);
      worst = std::max(worst, c.maxAbs);
      line += llvm::formatv(" | {0} vs onnxruntime max_abs_err {1:e}{2}",
                            roles.logits, c.maxAbs,
                            c.ok() ? "" : " (outside tolerance)")
                  .str();
      if (!next.empty() && c.problem.empty()) {
        std::vector<int64_t> refNext = argmaxLast(refs[roles.logits]);
        for (size_t b = 0; b < next.size(); ++b) {
          ++topCompared;
          topAgree += next[b] == refNext[b];
        }
        line += next[0] == refNext[0]
                    ? ", same top token"
                    : llvm::formatv(", top token differs (onnxruntime {0})",
                                    refNext[0])
                          .str();
      }
      // Without a rewrite the run must match; a rewrite's error is the
      // point of the report.
      if (!c.problem.empty() || (rewrite.empty() && !c.ok())) {
        line += " " + c.problem;
        status = 1;
      }
    }
    llvm::outs() << line << "\n";
    if (save) {
      std::string dir = outputDir + "/step" + std::to_string(t);
      if (!writeDir(dir + "/inputs", in, cacheNames) ||
          !writeDir(dir + "/outputs", byName, cacheNames))
        return 1;
    }
    past += n;
  }
  if (save && !roles.tokens.empty()) {
    HostArray ids = zeros(DType::I64, {roles.batch, total + 1});
    for (int64_t b = 0; b < roles.batch; ++b)
      for (int64_t i = 0; i <= total; ++i)
        put(ids, b * (total + 1) + i, tokens[b][i]);
    if (!writeNpy(outputDir + "/tokens.npy", ids, err)) {
      llvm::errs() << "error: " << err << "\n";
      return 1;
    }
  }
  if (save)
    llvm::outs() << "per-step inputs and outputs written to " << outputDir
                 << "/step<N>/\n";
  if (allTimes.n) {
    llvm::outs() << llvm::formatv("run after the prompt: {0:F2} ms per step "
                                  "({1} step(s))",
                                  allTimes.mean(), allTimes.n);
    if (fullTimes.n || partialTimes.n)
      llvm::outs() << llvm::formatv("; full steps {0:F2} ms ({1}), partial "
                                    "steps {2:F2} ms ({3})",
                                    fullTimes.mean(), fullTimes.n,
                                    partialTimes.mean(), partialTimes.n);
    llvm::outs() << " (single runs; `attune bench` times a step)\n";
  }
  if (check) {
    llvm::outs() << llvm::formatv("max abs error vs onnxruntime over all "
                                  "steps: {0:e}\n",
                                  worst);
    if (topCompared)
      llvm::outs() << llvm::formatv(
          "top token agrees with onnxruntime's (the dense model on the same "
          "tokens) at {0} of {1} position(s)\n",
          topAgree, topCompared);
  }
  return status;
}
