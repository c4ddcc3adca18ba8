//===- JitRunner.cpp - run a lowered module with the MLIR JIT -------------===//

#include "lib/Runtime/Cpu/JitRunner.h"
#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/Kernels/HostAlloc.h"
#include "lib/Runtime/Cpu/Kernels/Symbols.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/TargetSelect.h"

#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace mlir::attn;

static llvm::Error err(const llvm::Twine &msg) {
  return llvm::make_error<llvm::StringError>(msg,
                                             llvm::inconvertibleErrorCode());
}

static llvm::Expected<DType> dtypeOf(Type t) {
  if (t.isF32())
    return DType::F32;
  if (t.isF16())
    return DType::F16;
  if (t.isBF16())
    return DType::BF16;
  if (t.isF64())
    return DType::F64;
  if (t.isInteger(64))
    return DType::I64;
  if (t.isInteger(32))
    return DType::I32;
  if (t.isInteger(16))
    return DType::I16;
  if (t.isInteger(8))
    return DType::I8;
  if (t.isInteger(1))
    return DType::Bool;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return err("unsupported element type " + s + " in the model signature");
}

llvm::Expected<Signature> mlir::attn::readSignature(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return err("the module has no @main function");
  Signature sig;
  auto spec = [&](Type t, DictionaryAttr attrs, unsigned idx,
                  bool isInput) -> llvm::Expected<TensorSpec> {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt || !rt.hasStaticShape())
      return err(llvm::Twine(isInput ? "input " : "output ") +
                 llvm::Twine(idx) + " of @main has no static shape");
    auto dt = dtypeOf(rt.getElementType());
    if (!dt)
      return dt.takeError();
    TensorSpec s;
    s.name = (isInput ? "input" : "output") + std::to_string(idx);
    if (attrs)
      if (auto n = attrs.getAs<StringAttr>("onnx.name"))
        s.name = n.str();
    s.dtype = *dt;
    s.shape.assign(rt.getShape().begin(), rt.getShape().end());
    return s;
  };
  FunctionType ft = main.getFunctionType();
  for (unsigned i = 0; i < ft.getNumInputs(); ++i) {
    auto s = spec(ft.getInput(i), main.getArgAttrDict(i), i, true);
    if (!s)
      return s.takeError();
    sig.inputs.push_back(*s);
  }
  for (unsigned i = 0; i < ft.getNumResults(); ++i) {
    auto s = spec(ft.getResult(i), main.getResultAttrDict(i), i, false);
    if (!s)
      return s.takeError();
    sig.outputs.push_back(*s);
  }
  return sig;
}

std::vector<std::string> mlir::attn::readChecks(ModuleOp module) {
  std::vector<std::string> checks;
  if (auto list = module->getAttrOfType<ArrayAttr>("attune.checks"))
    for (Attribute a : list)
      if (auto s = dyn_cast<StringAttr>(a))
        checks.push_back(s.str());
  return checks;
}

llvm::Error
mlir::attn::takeCheckFailure(const std::vector<std::string> &checks) {
  int64_t site = 0, value = 0, bound = 0;
  if (!attune_cpu_take_check_failure(&site, &value, &bound))
    return llvm::Error::success();
  std::string what = site >= 0 && site < static_cast<int64_t>(checks.size())
                         ? checks[site]
                         : "run-time check " + std::to_string(site);
  return err(what + ": got index " + llvm::Twine(value) +
             ", expected one in [" + llvm::Twine(-bound) + ", " +
             llvm::Twine(bound) + ")");
}

JitModule::~JitModule() = default;

llvm::Expected<std::unique_ptr<JitModule>>
JitModule::create(ModuleOp llvmModule, Signature signature, unsigned optLevel) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  llvmModule->getContext()->appendDialectRegistry(registry);

  auto tmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmb)
    return tmb.takeError();
  auto tm = tmb->createTargetMachine();
  if (!tm)
    return tm.takeError();
  // The options keep a non-owning reference: the transformer must outlive
  // ExecutionEngine::create.
  auto transformer =
      makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, tm->get());
  ExecutionEngineOptions options;
  options.transformer = transformer;
  options.jitCodeGenOptLevel = optLevel >= 2   ? llvm::CodeGenOptLevel::Aggressive
                               : optLevel == 1 ? llvm::CodeGenOptLevel::Less
                                               : llvm::CodeGenOptLevel::None;
  SmallVector<StringRef, 1> libs = {ATTUNE_C_RUNNER_UTILS};
  options.sharedLibPaths = libs;
  auto engine = ExecutionEngine::create(llvmModule, options, std::move(*tm));
  if (!engine)
    return engine.takeError();
  // Generated code calls the kernel library by name.
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    size_t count = 0;
    const attune::cpu::KernelSymbol *symbols =
        attune::cpu::kernelSymbols(count);
    for (size_t i = 0; i < count; ++i)
      map[interner(symbols[i].name)] = {
          llvm::orc::ExecutorAddr::fromPtr(symbols[i].address),
          llvm::JITSymbolFlags::Exported};
    return map;
  });
  // ORC compiles on first lookup: do it now so that code generation counts
  // as compile time, not as the first run.
  if (auto fn = (*engine)->lookupPacked("_mlir_ciface_main"); !fn)
    return fn.takeError();
  std::unique_ptr<JitModule> m(new JitModule());
  m->engine = std::move(*engine);
  m->sig = std::move(signature);
  return m;
}

namespace {
/// A strided memref descriptor for rank R laid out as the C interface expects:
/// {allocated, aligned, offset, sizes[R], strides[R]}.
struct Descriptor {
  std::vector<int64_t> words;
  Descriptor(void *data, const std::vector<int64_t> &shape) {
    words.resize(3 + 2 * shape.size());
    std::memcpy(&words[0], &data, sizeof(void *));
    std::memcpy(&words[1], &data, sizeof(void *));
    words[2] = 0;
    int64_t stride = 1;
    for (size_t i = shape.size(); i-- > 0;) {
      words[3 + i] = shape[i];
      words[3 + shape.size() + i] = stride;
      stride *= shape[i];
    }
  }
};

/// 64-byte aligned scratch buffer.
struct Aligned {
  void *p = nullptr;
  explicit Aligned(size_t bytes) { p = attune::cpu::allocHostBuffer(bytes); }
  ~Aligned() { std::free(p); }
};
} // namespace

llvm::Error JitModule::run(const std::vector<HostArray> &inputs,
                           std::vector<HostArray> &outputs) {
  if (inputs.size() != sig.inputs.size())
    return err("expected " + llvm::Twine(sig.inputs.size()) + " inputs, got " +
               llvm::Twine(inputs.size()));
  std::vector<std::unique_ptr<Aligned>> buffers;
  std::vector<Descriptor> descs;
  descs.reserve(sig.inputs.size() + sig.outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec &s = sig.inputs[i];
    if (inputs[i].dtype != s.dtype || inputs[i].shape != s.shape)
      return err("input '" + s.name + "': expected " + dtypeName(s.dtype) +
                 " " + HostArray{s.dtype, s.shape, {}}.shapeStr() + ", got " +
                 dtypeName(inputs[i].dtype) + " " + inputs[i].shapeStr());
    buffers.push_back(std::make_unique<Aligned>(inputs[i].data.size()));
    std::memcpy(buffers.back()->p, inputs[i].data.data(),
                inputs[i].data.size());
    descs.emplace_back(buffers.back()->p, s.shape);
  }
  outputs.clear();
  for (const TensorSpec &s : sig.outputs) {
    HostArray t{s.dtype, s.shape, {}};
    t.data.resize(t.numElements() * dtypeSize(s.dtype));
    outputs.push_back(std::move(t));
    buffers.push_back(std::make_unique<Aligned>(outputs.back().data.size()));
    descs.emplace_back(buffers.back()->p, s.shape);
  }
  std::vector<void *> descPtrs;
  for (Descriptor &d : descs)
    descPtrs.push_back(d.words.data());
  SmallVector<void *> args;
  for (void *&p : descPtrs)
    args.push_back(&p);
  consumeError(takeCheckFailure(sig.checks)); // none left from elsewhere
  if (llvm::Error e = engine->invokePacked("_mlir_ciface_main", args))
    return e;
  if (llvm::Error e = takeCheckFailure(sig.checks))
    return e;
  for (size_t i = 0; i < outputs.size(); ++i)
    std::memcpy(outputs[i].data.data(), buffers[inputs.size() + i]->p,
                outputs[i].data.size());
  return llvm::Error::success();
}

llvm::Error mlir::attn::checkInputs(const Signature &sig,
                                    const std::vector<HostArray> &inputs) {
  if (inputs.size() != sig.inputs.size())
    return err("expected " + llvm::Twine(sig.inputs.size()) + " inputs, got " +
               llvm::Twine(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec &s = sig.inputs[i];
    if (inputs[i].dtype != s.dtype || inputs[i].shape != s.shape)
      return err("input '" + s.name + "': expected " + dtypeName(s.dtype) +
                 " " + HostArray{s.dtype, s.shape, {}}.shapeStr() + ", got " +
                 dtypeName(inputs[i].dtype) + " " + inputs[i].shapeStr());
  }
  return llvm::Error::success();
}

static size_t bytesOf(const TensorSpec &s) {
  return HostArray{s.dtype, s.shape, {}}.numElements() * dtypeSize(s.dtype);
}

/// 64-byte aligned (huge pages when large), never empty (a zero-element
/// tensor still gets a valid pointer), zero-filled so that outputs read
/// before a run are defined.
static void *alignedBuffer(size_t bytes) {
  void *p = attune::cpu::allocHostBuffer(bytes);
  if (p)
    std::memset(p, 0, bytes);
  return p;
}

llvm::Expected<std::unique_ptr<BoundTensors>>
BoundTensors::create(const Signature &sig,
                     const std::vector<HostArray> &inputs) {
  if (llvm::Error e = checkInputs(sig, inputs))
    return std::move(e);
  std::unique_ptr<BoundTensors> b(new BoundTensors());
  b->sig = sig;
  for (size_t i = 0; i < inputs.size(); ++i) {
    b->ins.push_back(alignedBuffer(inputs[i].data.size()));
    if (!b->ins.back())
      return err("cannot allocate input '" + sig.inputs[i].name + "'");
    std::memcpy(b->ins.back(), inputs[i].data.data(), inputs[i].data.size());
  }
  for (const TensorSpec &s : sig.outputs) {
    b->outs.push_back(alignedBuffer(bytesOf(s)));
    if (!b->outs.back())
      return err("cannot allocate output '" + s.name + "'");
  }
  return b;
}

BoundTensors::~BoundTensors() {
  for (void *p : ins)
    std::free(p);
  for (void *p : outs)
    std::free(p);
}

void BoundTensors::readOutputs(std::vector<HostArray> &outputs) const {
  outputs.clear();
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    const TensorSpec &s = sig.outputs[i];
    HostArray t{s.dtype, s.shape, {}};
    t.data.resize(bytesOf(s));
    std::memcpy(t.data.data(), outs[i], t.data.size());
    outputs.push_back(std::move(t));
  }
}

/// The bound buffers, their memref descriptors and the packed argument
/// array of `_mlir_ciface_main`, built once by prepare().
struct JitModule::Prepared {
  std::unique_ptr<BoundTensors> tensors;
  std::vector<Descriptor> descs;
  std::vector<void *> descPtrs;
  std::vector<void *> args;
  void (*fn)(void **) = nullptr;
};

llvm::Error JitModule::prepare(const std::vector<HostArray> &inputs) {
  prepared.reset();
  auto tensors = BoundTensors::create(sig, inputs);
  if (!tensors)
    return tensors.takeError();
  auto fn = engine->lookupPacked("_mlir_ciface_main");
  if (!fn)
    return fn.takeError();
  auto p = std::make_unique<Prepared>();
  p->tensors = std::move(*tensors);
  p->fn = *fn;
  p->descs.reserve(sig.inputs.size() + sig.outputs.size());
  for (size_t i = 0; i < sig.inputs.size(); ++i)
    p->descs.emplace_back(p->tensors->input(i), sig.inputs[i].shape);
  for (size_t i = 0; i < sig.outputs.size(); ++i)
    p->descs.emplace_back(p->tensors->output(i), sig.outputs[i].shape);
  // Packed calling convention: args[i] points at the i-th argument, which is
  // a pointer to a descriptor; both arrays must stay put (sized up front).
  for (Descriptor &d : p->descs)
    p->descPtrs.push_back(d.words.data());
  for (void *&d : p->descPtrs)
    p->args.push_back(&d);
  prepared = std::move(p);
  return llvm::Error::success();
}

llvm::Error JitModule::invoke() {
  if (!prepared)
    return err("JitModule::invoke called before prepare");
  consumeError(takeCheckFailure(sig.checks)); // none left from elsewhere
  prepared->fn(prepared->args.data());
  return takeCheckFailure(sig.checks);
}

void JitModule::preparedOutputs(std::vector<HostArray> &outputs) const {
  outputs.clear();
  if (prepared)
    prepared->tensors->readOutputs(outputs);
}
