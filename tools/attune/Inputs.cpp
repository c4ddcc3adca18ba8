//===- Inputs.cpp - inputs of `attune run` --------------------------------===//

#include "tools/attune/Inputs.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

using namespace mlir;
using namespace mlir::attn;

std::string mlir::attn::sanitizeName(const std::string &name) {
  std::string s = name;
  for (char &c : s)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
          c == '-'))
      c = '_';
  return s;
}

bool InputSet::load(const std::string &d, const std::vector<std::string> &files,
                    std::string &error) {
  dir = d;
  if (!dir.empty() && !llvm::sys::fs::is_directory(dir)) {
    error = "--inputs: '" + dir + "' is not a directory";
    return false;
  }
  for (const std::string &f : files) {
    auto [name, path] = StringRef(f).split('=');
    if (name.empty() || path.empty()) {
      error = "--input: expected NAME=FILE.npy, got '" + f + "'";
      return false;
    }
    HostArray t;
    if (!readNpy(path.str(), t, error))
      return false;
    tensors[name.str()] = std::move(t);
    explicitNames.push_back(name.str());
  }
  return true;
}

bool InputSet::find(const std::string &name, HostArray *&t) {
  auto it = tensors.find(name);
  if (it == tensors.end() && !dir.empty()) {
    std::string path = dir + "/" + sanitizeName(name) + ".npy";
    if (llvm::sys::fs::exists(path)) {
      HostArray h;
      std::string err;
      if (!readNpy(path, h, err)) {
        // Reported by assemble(): a file that is there but unreadable must
        // not quietly become random values.
        if (badFile.empty())
          badFile = err;
        return false;
      }
      it = tensors.emplace(name, std::move(h)).first;
    }
  }
  if (it == tensors.end())
    return false;
  t = &it->second;
  return true;
}

bool InputSet::shapeOf(const std::string &name, std::vector<int64_t> &shape) {
  HostArray *t;
  if (!find(name, t))
    return false;
  shape = t->shape;
  return true;
}

/// Upper bound for generated integer values of argument `idx`: the size of
/// the table a Gather indexes with it, else 2.
static int64_t indexBound(ModuleOp module, unsigned idx) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || idx >= main.getNumArguments())
    return 2;
  int64_t bound = 0;
  SmallVector<Value> work = {main.getArgument(idx)};
  // Follow casts / reshapes to the Gather that uses the ids.
  for (unsigned step = 0; step < work.size() && step < 64; ++step)
    for (Operation *user : work[step].getUsers()) {
      auto node = dyn_cast<onnx::NodeOp>(user);
      if (!node)
        continue;
      StringRef op = node.getOpType();
      if (op == "Gather" && node.getInputs().size() > 1 &&
          node.getInputs()[1] == work[step]) {
        auto t = dyn_cast<RankedTensorType>(node.getInputs()[0].getType());
        int64_t axis = node.getIntAttr("axis", 0);
        if (t && axis < 0)
          axis += t.getRank();
        if (t && axis >= 0 && axis < t.getRank()) {
          int64_t n = t.getDimSize(axis);
          bound = bound == 0 ? n : std::min(bound, n);
        }
      } else if (op == "Cast" || op == "Reshape" || op == "Unsqueeze" ||
                 op == "Squeeze" || op == "Flatten") {
        work.push_back(node->getResult(0));
      }
    }
  return bound > 0 ? bound : 2;
}

bool InputSet::assemble(const Signature &sig, unsigned seed, ModuleOp module,
                        std::vector<HostArray> &inputs, std::string &error) {
  std::mt19937_64 rng(seed);
  inputs.clear();
  // Every --input NAME=FILE must name an input, and every .npy file of the
  // --inputs directory should: a misspelt name would otherwise leave that
  // input to the random generator without a word.
  std::set<std::string> names, files;
  for (const TensorSpec &s : sig.inputs) {
    names.insert(s.name);
    files.insert(sanitizeName(s.name) + ".npy");
  }
  auto inputList = [&] {
    std::string list;
    for (const TensorSpec &s : sig.inputs)
      list += (list.empty() ? "'" : ", '") + s.name + "'";
    return list;
  };
  for (const std::string &name : explicitNames)
    if (!names.count(name)) {
      error = "--input: the model has no input named '" + name +
              "'; its inputs are " + inputList();
      return false;
    }
  if (!dir.empty() && !warnedDir) {
    warnedDir = true;
    std::error_code ec;
    std::vector<std::string> stray;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      std::string file = llvm::sys::path::filename(it->path()).str();
      if (StringRef(file).ends_with(".npy") && !files.count(file))
        stray.push_back(file);
    }
    std::sort(stray.begin(), stray.end());
    for (const std::string &file : stray)
      llvm::errs() << "warning: --inputs: '" << dir << "/" << file
                   << "' matches no input of the model (inputs: "
                   << inputList() << "); ignored\n";
  }
  for (auto [idx, s] : llvm::enumerate(sig.inputs)) {
    HostArray *given;
    bool found = find(s.name, given);
    if (!badFile.empty()) {
      error = badFile;
      return false;
    }
    if (found) {
      if (given->dtype != s.dtype) {
        error = "input '" + s.name + "': the file holds " +
                dtypeName(given->dtype) + " but the model expects " +
                dtypeName(s.dtype);
        return false;
      }
      inputs.push_back(*given);
      continue;
    }
    HostArray t{s.dtype, s.shape, {}};
    int64_t n = t.numElements();
    t.data.resize(n * dtypeSize(s.dtype));
    std::string lower = StringRef(s.name).lower();
    bool isMask = StringRef(lower).contains("mask");
    bool isPos = StringRef(lower).contains("position");
    int64_t last = s.shape.empty() ? 1 : s.shape.back();
    std::normal_distribution<float> normal(0.0f, 1.0f);
    int64_t bound = indexBound(module, idx);
    std::uniform_int_distribution<int64_t> ints(0, bound - 1);
    for (int64_t i = 0; i < n; ++i) {
      char *p = t.data.data() + i * dtypeSize(s.dtype);
      int64_t iv = isMask ? 1 : isPos ? i % last : ints(rng);
      switch (s.dtype) {
      case DType::F32: {
        float v = isMask ? 0.0f : normal(rng);
        std::memcpy(p, &v, 4);
        break;
      }
      case DType::F64: {
        double v = isMask ? 0.0 : normal(rng);
        std::memcpy(p, &v, 8);
        break;
      }
      case DType::F16:
      case DType::BF16:
        error = "input '" + s.name +
                "': random 16-bit float inputs are not supported; pass a "
                ".npy file";
        return false;
      case DType::I64:
        std::memcpy(p, &iv, 8);
        break;
      case DType::I32: {
        int32_t v = static_cast<int32_t>(iv);
        std::memcpy(p, &v, 4);
        break;
      }
      case DType::I16: {
        int16_t v = static_cast<int16_t>(iv);
        std::memcpy(p, &v, 2);
        break;
      }
      case DType::I8:
        *p = static_cast<char>(iv);
        break;
      case DType::Bool:
        *p = 1;
        break;
      }
    }
    inputs.push_back(std::move(t));
  }
  return true;
}
