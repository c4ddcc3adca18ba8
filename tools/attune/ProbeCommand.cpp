//===- ProbeCommand.cpp - `attune probe-heads`: find retrieval heads ------===//
//
// RazorAttention chooses the heads that must keep full attention from how
// they behave on a probe: a random token sequence repeated several times.
// An echo head attends, from a token of copy c, to the same token in copy
// c-1; an induction head attends to the token after it. This command runs
// the dense model on that probe with `attn-expose-sites{probs=true}`,
// computes both scores per site and head, prints them, and writes the
// suggested retrieval heads as a policy file (headwise: those heads dense,
// the others sinks + local window + compensation token).
//
// With --inputs (user data instead of the probe), the scores use every
// earlier occurrence of the query's token: echo = attention to positions s
// < t with x_s = x_t, induction = attention to s + 1 for those s.
//
//===----------------------------------------------------------------------===//

#include "tools/attune/Commands.h"
#include "tools/attune/Session.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::driver;
namespace cl = llvm::cl;

namespace {
cl::OptionCategory probeCat("attune probe-heads options");
cl::opt<std::string> probeKind(
    "probe", cl::desc("Probe input: random-repeat (default; ignored with "
                      "--inputs/--input)"),
    cl::init("random-repeat"), cl::cat(probeCat));
cl::opt<int64_t> probeLen("probe-len",
                          cl::desc("Random tokens per copy (default 64)"),
                          cl::init(64), cl::cat(probeCat));
cl::opt<int64_t> probeRepeats("repeats",
                              cl::desc("Copies of the random sequence "
                                       "(default 4)"),
                              cl::init(4), cl::cat(probeCat));
cl::opt<double> echoTop("echo-top",
                        cl::desc("Fraction of heads kept by echo score "
                                 "(default 0.01)"),
                        cl::init(0.01), cl::cat(probeCat));
cl::opt<double> inductionTop("induction-top",
                             cl::desc("Fraction of heads kept by induction "
                                      "score (default 0.14)"),
                             cl::init(0.14), cl::cat(probeCat));
cl::opt<std::string> policyOut("policy-out",
                               cl::desc("Write the suggested policy here"),
                               cl::cat(probeCat));
cl::opt<int64_t> sinksOpt("sinks",
                          cl::desc("Sinks of the streaming heads in the "
                                   "policy (default 4)"),
                          cl::init(4), cl::cat(probeCat));
cl::opt<int64_t> recentOpt("recent",
                           cl::desc("Local window of the streaming heads in "
                                    "the policy (default 256)"),
                           cl::init(256), cl::cat(probeCat));
cl::opt<std::string> scoresOut("scores-json",
                               cl::desc("Write the scores (and the probe "
                                        "tokens) as JSON here"),
                               cl::cat(probeCat));
cl::opt<std::string> saveInputs("save-inputs",
                                cl::desc("Write the probe inputs as NAME.npy "
                                         "into this directory"),
                                cl::cat(probeCat));

/// Size of the table a Gather indexes with argument `idx` of @main (through
/// casts and reshapes), or 0 when it indexes none.
int64_t tableSize(ModuleOp module, unsigned idx) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || idx >= main.getNumArguments())
    return 0;
  int64_t bound = 0;
  SmallVector<Value> work = {main.getArgument(idx)};
  for (unsigned step = 0; step < work.size() && step < 64; ++step)
    for (Operation *user : work[step].getUsers()) {
      auto node = dyn_cast<onnx::NodeOp>(user);
      if (!node)
        continue;
      StringRef op = node.getOpType();
      if (op == "Gather" && node.getInputs().size() > 1 &&
          node.getInputs()[1] == work[step]) {
        auto t = dyn_cast<RankedTensorType>(node.getInputs()[0].getType());
        if (t && t.getRank() >= 1 && !t.isDynamicDim(0))
          bound = bound ? std::min(bound, t.getDimSize(0)) : t.getDimSize(0);
      } else if (op == "Cast" || op == "Reshape" || op == "Unsqueeze" ||
                 op == "Squeeze" || op == "Flatten") {
        work.push_back(node->getResult(0));
      }
    }
  return bound;
}

bool isIntType(DType t) {
  return t == DType::I64 || t == DType::I32 || t == DType::I16 ||
         t == DType::I8;
}

int64_t getInt(const HostArray &a, int64_t i) {
  return static_cast<int64_t>(a.at(i));
}

void setInt(HostArray &a, int64_t i, int64_t v) {
  char *p = a.data.data() + i * dtypeSize(a.dtype);
  switch (a.dtype) {
  case DType::I64:
    std::memcpy(p, &v, 8);
    break;
  case DType::I32: {
    int32_t x = static_cast<int32_t>(v);
    std::memcpy(p, &x, 4);
    break;
  }
  case DType::I16: {
    int16_t x = static_cast<int16_t>(v);
    std::memcpy(p, &x, 2);
    break;
  }
  default:
    *p = static_cast<char>(v);
  }
}

struct HeadScore {
  int64_t site, head;
  double echo = 0, induction = 0;
  bool byEcho = false, byInduction = false;
};

/// Indices of the ceil(frac * n) largest values of `key` (ties by order).
std::vector<size_t> topFraction(const std::vector<HeadScore> &s, double frac,
                                double HeadScore::*key) {
  std::vector<size_t> idx(s.size());
  std::iota(idx.begin(), idx.end(), 0);
  // Highest score first; ties keep (site, head) order.
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    if (s[a].*key != s[b].*key)
      return s[a].*key > s[b].*key;
    return a < b;
  });
  size_t k = std::min(
      s.size(), static_cast<size_t>(std::ceil(frac * s.size() - 1e-9)));
  idx.resize(k);
  return idx;
}
} // namespace

int mlir::attn::driver::probeHeadsCommand(int argc, char **argv) {
  if (!parseCommandLine(argc, argv, "probe-heads",
                        "attune probe-heads: echo/induction scores of every "
                        "attention head and the suggested retrieval heads\n",
                        {&probeCat},
                        {"check", "rtol", "atol", "python", "output-dir"}))
    return 1;
  bool userInputs = !inputsDir.empty() || !inputFiles.empty();
  if (!userInputs && probeKind != "random-repeat") {
    llvm::errs() << "error: --probe: expected random-repeat, got '"
                 << probeKind << "'\n";
    return 1;
  }
  if (probeLen < 2 || probeRepeats < 2) {
    llvm::errs() << "error: --probe-len and --repeats must be >= 2\n";
    return 1;
  }
  // The probe is one sequence of probe-len x repeats tokens.
  if (probeLen > (int64_t{1} << 14) / probeRepeats) {
    llvm::errs() << "error: --probe-len x --repeats is "
                 << probeLen * probeRepeats << " tokens (at most "
                 << (int64_t{1} << 14) << ")\n";
    return 1;
  }
  for (auto [v, name] : {std::pair{echoTop.getValue(), "--echo-top"},
                         {inductionTop.getValue(), "--induction-top"}})
    if (!(v >= 0.0 && v <= 1.0)) {
      llvm::errs() << "error: " << name
                   << ": expected a fraction in [0, 1], got " << v << "\n";
      return 1;
    }
  if (sinksOpt < 0 || recentOpt < 1) {
    llvm::errs() << "error: --sinks must be >= 0 and --recent >= 1\n";
    return 1;
  }
  Session session;
  InputSet given;
  OwningOpRef<ModuleOp> module = loadCommandModel(session, given);
  if (!module)
    return 1;
  std::string err;
  auto sig0 = readSignature(*module);
  if (!sig0) {
    llvm::errs() << "error: " << llvm::toString(sig0.takeError()) << "\n";
    return 1;
  }
  // The token-id input: an integer input that indexes an embedding table.
  int tokenIdx = -1;
  int64_t vocab = 0;
  for (auto [i, s] : llvm::enumerate(sig0->inputs)) {
    std::string lower = StringRef(s.name).lower();
    if (!isIntType(s.dtype) || StringRef(lower).contains("mask") ||
        StringRef(lower).contains("position"))
      continue;
    if (int64_t v = tableSize(*module, i)) {
      tokenIdx = i;
      vocab = v;
      break;
    }
  }
  if (tokenIdx < 0) {
    llvm::errs() << "error: attune probe-heads: " << modelPath
                 << " has no integer token-id input that indexes an "
                    "embedding table\n";
    return 1;
  }
  const TensorSpec tokSpec = sig0->inputs[tokenIdx];
  if (tokSpec.shape.empty() || tokSpec.shape.size() > 2) {
    llvm::errs() << "error: token input '" << tokSpec.name
                 << "' must be [L] or [B, L]\n";
    return 1;
  }

  std::vector<HostArray> ins;
  int64_t n = probeLen, reps = probeRepeats;
  if (!userInputs) {
    // Inputs shaped like the token ids (mask, positions) follow its new
    // length; they are generated as `attune run` does, then written to
    // files so that the model is re-imported with these shapes.
    Signature sig = *sig0;
    std::vector<int64_t> oldShape = tokSpec.shape, newShape = oldShape;
    newShape.back() = n * reps;
    for (TensorSpec &s : sig.inputs)
      if (s.shape == oldShape)
        s.shape = newShape;
    if (!given.assemble(sig, seed, *module, ins, err)) {
      llvm::errs() << "error: " << err << "\n";
      return 1;
    }
    HostArray &tok = ins[tokenIdx];
    std::mt19937_64 rng(seed);
    int64_t rows = tok.numElements() / (n * reps);
    for (int64_t r = 0; r < rows; ++r) {
      // Distinct tokens when the vocabulary allows, so that "the same token
      // in the previous copy" is one position.
      std::vector<int64_t> seq(vocab);
      std::iota(seq.begin(), seq.end(), 0);
      std::shuffle(seq.begin(), seq.end(), rng);
      seq.resize(std::min(n, vocab));
      std::uniform_int_distribution<int64_t> any(0, vocab - 1);
      while (static_cast<int64_t>(seq.size()) < n)
        seq.push_back(any(rng));
      for (int64_t c = 0; c < reps; ++c)
        for (int64_t t = 0; t < n; ++t)
          setInt(tok, r * n * reps + c * n + t, seq[t]);
    }
    SmallString<128> dir;
    if (!saveInputs.empty()) {
      dir = saveInputs.getValue();
      llvm::sys::fs::create_directories(dir);
    } else if (llvm::sys::fs::createUniqueDirectory("attune-probe", dir)) {
      llvm::errs() << "error: cannot create a temporary directory\n";
      return 1;
    }
    if (!writeNpyDir(dir.str().str(), sig.inputs, ins))
      return 1;
    given = InputSet();
    if (!given.load(dir.str().str(), {}, err)) {
      llvm::errs() << "error: " << err << "\n";
      return 1;
    }
    module = session.load(modelPath, given);
    if (!module)
      return 1;
    if (saveInputs.empty())
      llvm::sys::fs::remove_directories(dir);
  }

  CompileSpec spec;
  spec.raise = !noRaise;
  spec.rewrite = rewrite;
  spec.beforeLowering = [](OpPassManager &pm) {
    (void)parsePassPipeline(
        "attn-expose-sites{outputs=false stats=false probs=true}", pm,
        llvm::errs());
  };
  auto compiled = compile(session, *module, spec);
  if (!compiled)
    return 1;
  const Signature &sig = compiled->signature;
  if (!given.assemble(sig, seed, *module, ins, err)) {
    llvm::errs() << "error: " << err << "\n";
    return 1;
  }
  std::vector<HostArray> outs;
  if (llvm::Error e = compiled->jit->run(ins, outs)) {
    llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  const HostArray &tok = ins[tokenIdx];
  int64_t len = tok.shape.back();
  int64_t rows = tok.numElements() / len;

  std::vector<HeadScore> scores;
  for (size_t o = 0; o < outs.size(); ++o) {
    StringRef name(sig.outputs[o].name);
    int64_t site;
    if (!name.consume_front("site") || !name.consume_back(".probs") ||
        name.getAsInteger(10, site))
      continue;
    const HostArray &p = outs[o]; // [B, H, Lq, Lk]
    if (p.shape.size() != 4 || p.shape[0] != rows || p.shape[2] != len ||
        p.shape[3] != len) {
      llvm::errs() << "warning: site " << site << " attends over "
                   << p.shapeStr() << ", not the " << len
                   << " token positions; skipped\n";
      continue;
    }
    int64_t heads = p.shape[1];
    for (int64_t h = 0; h < heads; ++h) {
      HeadScore s{site, h};
      double echo = 0, ind = 0;
      int64_t count = 0;
      for (int64_t b = 0; b < rows; ++b)
        for (int64_t t = 0; t < len; ++t) {
          auto prob = [&](int64_t j) {
            return p.at(((b * heads + h) * len + t) * len + j);
          };
          if (!userInputs) {
            if (t < n)
              continue;
            echo += prob(t - n);
            ind += prob(t - n + 1);
            ++count;
            continue;
          }
          int64_t x = getInt(tok, b * len + t);
          bool any = false;
          for (int64_t j = 0; j < t; ++j)
            if (getInt(tok, b * len + j) == x) {
              any = true;
              echo += prob(j);
              ind += prob(j + 1);
            }
          count += any;
        }
      s.echo = count ? echo / count : 0;
      s.induction = count ? ind / count : 0;
      scores.push_back(s);
    }
  }
  if (scores.empty()) {
    llvm::errs() << "error: attune probe-heads: no attention site to probe\n";
    return 1;
  }
  for (size_t i : topFraction(scores, echoTop, &HeadScore::echo))
    scores[i].byEcho = true;
  for (size_t i : topFraction(scores, inductionTop, &HeadScore::induction))
    scores[i].byInduction = true;
  // At least one retrieval head per model.
  if (llvm::none_of(scores, [](const HeadScore &s) {
        return s.byEcho || s.byInduction;
      }))
    scores[topFraction(scores, 1.0, &HeadScore::induction)[0]].byInduction =
        true;

  llvm::outs() << "attune probe-heads: " << modelPath << "\n  probe: ";
  if (userInputs)
    llvm::outs() << "given inputs, " << len << " positions\n";
  else
    llvm::outs() << n << " random tokens x " << reps << " copies (seed "
                 << seed << "), " << len << " positions, vocabulary "
                 << vocab << "\n";
  llvm::outs() << llvm::format("\n%-6s %-6s %10s %10s  %s\n", "site", "head",
                               "echo", "induction", "retrieval");
  for (const HeadScore &s : scores)
    llvm::outs() << llvm::format(
        "%-6lld %-6lld %10.4f %10.4f  %s\n", (long long)s.site,
        (long long)s.head, s.echo, s.induction,
        s.byEcho && s.byInduction ? "echo+induction"
        : s.byEcho                ? "echo"
        : s.byInduction           ? "induction"
                                  : "");
  std::map<int64_t, std::vector<int64_t>> retrieval;
  for (const HeadScore &s : scores) {
    retrieval[s.site];
    if (s.byEcho || s.byInduction)
      retrieval[s.site].push_back(s.head);
  }
  size_t total = 0;
  for (auto &[site, hs] : retrieval)
    total += hs.size();
  llvm::outs() << "\nretrieval heads: " << total << " of " << scores.size()
               << llvm::format(" (top %g%% by echo, top %g%% by induction)\n",
                               echoTop * 100, inductionTop * 100);

  if (!policyOut.empty()) {
    llvm::json::Array rules;
    for (auto &[site, hs] : retrieval) {
      std::string list;
      for (auto [i, h] : llvm::enumerate(hs))
        list += (i ? "," : "") + std::to_string(h);
      llvm::json::Object r{{"layers", std::to_string(site)},
                           {"method", "headwise"},
                           {"sinks", sinksOpt.getValue()},
                           {"recent", recentOpt.getValue()},
                           {"compensation", true}};
      if (!list.empty())
        r["retrieval-heads"] = list;
      rules.push_back(std::move(r));
    }
    if (!writeJsonFile(policyOut, "--policy-out",
                       llvm::json::Object{{"rules", std::move(rules)}}))
      return 1;
    llvm::outs() << "policy written to " << policyOut << "\n";
  }
  if (!scoresOut.empty()) {
    llvm::json::Array heads;
    for (const HeadScore &s : scores)
      heads.push_back(llvm::json::Object{{"site", s.site},
                                         {"head", s.head},
                                         {"echo", s.echo},
                                         {"induction", s.induction},
                                         {"retrieval", s.byEcho ||
                                                           s.byInduction}});
    llvm::json::Object root{{"token_input", tokSpec.name},
                            {"positions", len},
                            {"probe_len", userInputs ? 0 : n},
                            {"heads", std::move(heads)}};
    if (!writeJsonFile(scoresOut, "--scores-json", std::move(root)))
      return 1;
  }
  return 0;
}
