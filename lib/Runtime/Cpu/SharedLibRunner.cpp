//===- SharedLibRunner.cpp - run a library made by `attune compile` -------===//

#include "lib/Runtime/Cpu/SharedLibRunner.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/BinaryFormat/Magic.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"

#include <dlfcn.h>

using namespace mlir;
using namespace mlir::attn;

namespace {
/// The descriptor's C layout (ABI version 1), mirroring what `attune
/// compile` generates as NAME_tensor_info / NAME_model_info.
struct TensorInfoC {
  const char *name;
  const char *dtype;
  int64_t rank;
  const int64_t *shape;
};
struct ModelInfoC {
  int32_t abi;
  const char *name;
  int64_t numInputs;
  const TensorInfoC *inputs;
  int64_t numOutputs;
  const TensorInfoC *outputs;
  int (*run)(const void *const *, void *const *);
};

llvm::Error err(const llvm::Twine &msg) {
  return llvm::make_error<llvm::StringError>(msg,
                                             llvm::inconvertibleErrorCode());
}

bool parseDType(llvm::StringRef s, DType &t) {
  for (DType d : {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I64,
                  DType::I32, DType::I16, DType::I8, DType::Bool})
    if (s == dtypeName(d)) {
      t = d;
      return true;
    }
  return false;
}

/// Reads one tensor table of the descriptor, with sanity limits: the data
/// comes from a file that may not be what it claims to be.
llvm::Error readTable(const std::string &path, const char *what, int64_t n,
                      const TensorInfoC *table,
                      std::vector<TensorSpec> &specs) {
  if (n < 0 || n > (1 << 20) || (n > 0 && !table))
    return err("'" + path + "': malformed model descriptor (" + what +
               " table)");
  for (int64_t i = 0; i < n; ++i) {
    const TensorInfoC &t = table[i];
    TensorSpec s;
    if (!t.name || !t.dtype || t.rank < 0 || t.rank > 64 ||
        (t.rank > 0 && !t.shape) || !parseDType(t.dtype, s.dtype))
      return err("'" + path + "': malformed model descriptor (" + what + " " +
                 llvm::Twine(i) + ")");
    s.name = t.name;
    s.shape.assign(t.shape, t.shape + t.rank);
    for (int64_t d : s.shape)
      if (d < 0)
        return err("'" + path + "': malformed model descriptor (" + what +
                   " '" + s.name + "' has a negative dimension)");
    specs.push_back(std::move(s));
  }
  return llvm::Error::success();
}
} // namespace

bool mlir::attn::isSharedLibrary(const std::string &path) {
  llvm::StringRef p(path);
  if (p.ends_with(".so") || p.contains(".so."))
    return true;
  llvm::file_magic magic;
  return !llvm::identify_magic(path, magic) &&
         magic == llvm::file_magic::elf_shared_object;
}

llvm::Expected<std::vector<std::string>>
SharedLibModule::listModels(const std::string &path) {
  auto binary = llvm::object::ObjectFile::createObjectFile(path);
  if (!binary)
    return err("cannot read '" + path +
               "': " + llvm::toString(binary.takeError()));
  auto *elf =
      llvm::dyn_cast<llvm::object::ELFObjectFileBase>(binary->getBinary());
  if (!elf)
    return err("'" + path + "' is not an ELF shared library");
  std::vector<std::string> names;
  for (const llvm::object::ELFSymbolRef &sym :
       elf->getDynamicSymbolIterators()) {
    auto name = sym.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    // Defined data symbols only: a library that merely references another
    // model's descriptor does not contain that model.
    auto section = sym.getSection();
    if (!section) {
      llvm::consumeError(section.takeError());
      continue;
    }
    if (*section == elf->section_end())
      continue;
    llvm::StringRef n = *name;
    if (n.size() > llvm::StringRef(kModelDescriptorSuffix).size() &&
        n.consume_back(kModelDescriptorSuffix))
      names.push_back(n.str());
  }
  return names;
}

llvm::Expected<std::unique_ptr<SharedLibModule>>
SharedLibModule::open(const std::string &path, const std::string &name) {
  std::string model = name;
  if (model.empty()) {
    auto names = listModels(path);
    if (!names)
      return names.takeError();
    if (names->empty())
      return err("'" + path + "' exports no model descriptor (NAME" +
                 kModelDescriptorSuffix +
                 "): not a library written by `attune compile`");
    if (names->size() > 1) {
      std::string list;
      for (const std::string &n : *names)
        list += (list.empty() ? "" : ", ") + n;
      return err("'" + path + "' holds several models (" + list +
                 "): choose one with --name");
    }
    model = names->front();
  }
  // RTLD_LOCAL: the library's symbols (its copy of the kernel library
  // included) do not leak into, or get interposed by, the loading program.
  void *handle =
      dlopen(path.find('/') == std::string::npos ? ("./" + path).c_str()
                                                 : path.c_str(),
             RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return err("cannot load '" + path + "': " + dlerror());
  std::unique_ptr<SharedLibModule> m(new SharedLibModule());
  m->handle = handle;
  m->path = path;
  m->modelName = model;
  std::string symbol = model + kModelDescriptorSuffix;
  auto *info = static_cast<const ModelInfoC *>(dlsym(handle, symbol.c_str()));
  if (!info)
    return err("'" + path + "' has no model '" + model + "' (no symbol " +
               symbol + ")");
  if (info->abi != kModelDescriptorAbi)
    return err("'" + path + "': model descriptor version " +
               llvm::Twine(info->abi) + ", this attune reads version " +
               llvm::Twine(kModelDescriptorAbi) + "; recompile the library");
  if (!info->run)
    return err("'" + path + "': malformed model descriptor (no entry point)");
  if (llvm::Error e = readTable(path, "input", info->numInputs, info->inputs,
                                m->sig.inputs))
    return std::move(e);
  if (llvm::Error e = readTable(path, "output", info->numOutputs, info->outputs,
                                m->sig.outputs))
    return std::move(e);
  m->entry = info->run;
  m->hooks.numThreads =
      reinterpret_cast<int (*)()>(dlsym(handle, "attune_cpu_num_threads"));
  m->hooks.setNumThreads = reinterpret_cast<void (*)(int)>(
      dlsym(handle, "attune_cpu_set_num_threads"));
  m->hooks.profileReset =
      reinterpret_cast<void (*)()>(dlsym(handle, "attune_cpu_profile_reset"));
  m->hooks.profileNs = reinterpret_cast<uint64_t (*)(int)>(
      dlsym(handle, "attune_cpu_profile_ns"));
  if (!m->hooks)
    m->hooks = KernelHooks();
  return m;
}

// The library is not dlclose'd: the kernel library inside it keeps
// detached worker threads alive for the life of the process, and unmapping
// their code under them would crash.
SharedLibModule::~SharedLibModule() = default;

llvm::Error SharedLibModule::prepare(const std::vector<HostArray> &inputs) {
  bound.reset();
  inPtrs.clear();
  outPtrs.clear();
  auto b = BoundTensors::create(sig, inputs);
  if (!b)
    return b.takeError();
  bound = std::move(*b);
  for (size_t i = 0; i < sig.inputs.size(); ++i)
    inPtrs.push_back(bound->input(i));
  for (size_t i = 0; i < sig.outputs.size(); ++i)
    outPtrs.push_back(bound->output(i));
  return llvm::Error::success();
}

llvm::Error SharedLibModule::invoke() {
  if (!bound)
    return err("SharedLibModule::invoke called before prepare");
  int rc = entry(inPtrs.data(), outPtrs.data());
  if (rc != 0)
    return err("'" + path + "': " + modelName + "_run returned " +
               llvm::Twine(rc));
  return llvm::Error::success();
}

void SharedLibModule::preparedOutputs(std::vector<HostArray> &outputs) const {
  outputs.clear();
  if (bound)
    bound->readOutputs(outputs);
}

llvm::Error SharedLibModule::run(const std::vector<HostArray> &inputs,
                                 std::vector<HostArray> &outputs) {
  if (llvm::Error e = prepare(inputs))
    return e;
  if (llvm::Error e = invoke())
    return e;
  preparedOutputs(outputs);
  return llvm::Error::success();
}
