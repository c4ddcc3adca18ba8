//===- OnnxImporter.cpp - ONNX protobuf to the onnx dialect -------------===//
//
// A thin, total importer: graph inputs become function arguments (with their
// symbolic dimensions fixed), initializers and Constant nodes become
// `arith.constant`s (large float tensors as resource blobs, copied once from
// the protobuf), and every other node becomes one generic `onnx.node`.
// Nothing here knows the semantics of ONNX ops; that is left to the passes.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/OnnxImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/BuiltinDialect.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <set>
#include <unistd.h>
#include <unordered_map>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx;

namespace {

/// The newest default-domain opset whose operator versions the node
/// handlers were written against (Attention-23, RMSNormalization-23, ...).
constexpr int64_t kNewestOpset = 23;

class Importer {
public:
  Importer(MLIRContext *ctx, const std::string &path,
           const ImportOptions &options)
      : ctx(ctx), path(path), options(options), b(ctx) {
    fileLoc = FileLineColLoc::get(ctx, path, 0, 0);
  }

  OwningOpRef<ModuleOp> run(const ::onnx::ModelProto &model);

private:
  InFlightDiagnostic error(Location loc) { return emitError(loc); }
  Location nodeLoc(const ::onnx::NodeProto &node, int index) {
    std::string name = node.name().empty()
                           ? node.op_type() + "#" + std::to_string(index)
                           : node.name();
    return NameLoc::get(StringAttr::get(ctx, name), fileLoc);
  }
  FailureOr<Type> elementType(int32_t onnxType, Location loc,
                              StringRef what);
  FailureOr<RankedTensorType> inputType(const ::onnx::ValueInfoProto &vi);
  FailureOr<Value> importTensor(const ::onnx::TensorProto &t, Location loc);
  FailureOr<Attribute> importAttribute(const ::onnx::AttributeProto &a,
                                       Location loc, StringRef nodeDesc);
  LogicalResult importConstantNode(const ::onnx::NodeProto &node,
                                   Location loc, StringRef desc);
  LogicalResult readExternal(const ::onnx::TensorProto &t, Location loc,
                             std::string &bytes);
  LogicalResult checkShape(ArrayRef<int64_t> shape, Type et, Location loc,
                           StringRef what);
  LogicalResult define(const std::string &name, Value v, Location loc,
                       StringRef desc);

  MLIRContext *ctx;
  std::string path;
  const ImportOptions &options;
  OpBuilder b;
  Location fileLoc = UnknownLoc::get(ctx);
  std::unordered_map<std::string, Value> values;
  std::map<std::string, int64_t> opsets;
  Value noneValue;
};

} // namespace

FailureOr<Type> Importer::elementType(int32_t t, Location loc,
                                      StringRef what) {
  using TP = ::onnx::TensorProto;
  switch (t) {
  case TP::FLOAT:
    return Type(b.getF32Type());
  case TP::FLOAT16:
    return Type(b.getF16Type());
  case TP::BFLOAT16:
    return Type(b.getBF16Type());
  case TP::DOUBLE:
    return Type(b.getF64Type());
  case TP::INT64:
  case TP::UINT64:
    return Type(b.getI64Type());
  case TP::INT32:
  case TP::UINT32:
    return Type(b.getI32Type());
  case TP::INT16:
  case TP::UINT16:
    return Type(b.getIntegerType(16));
  case TP::INT8:
  case TP::UINT8:
    return Type(b.getIntegerType(8));
  case TP::BOOL:
    return Type(b.getI1Type());
  default:
    error(loc) << what << ": unsupported ONNX element type "
               << ::onnx::TensorProto::DataType_Name(
                      static_cast<::onnx::TensorProto::DataType>(t))
               << " (expected a float, integer or bool type)";
    return failure();
  }
}

FailureOr<RankedTensorType>
Importer::inputType(const ::onnx::ValueInfoProto &vi) {
  std::string what = "graph input '" + vi.name() + "'";
  if (!vi.type().has_tensor_type()) {
    error(fileLoc) << what << ": only tensor inputs are supported";
    return failure();
  }
  const auto &tt = vi.type().tensor_type();
  FailureOr<Type> et = elementType(tt.elem_type(), fileLoc, what);
  if (failed(et))
    return failure();
  SmallVector<int64_t> shape;
  auto it = options.inputShapes.find(vi.name());
  std::vector<int64_t> provided;
  bool haveShape = it != options.inputShapes.end();
  if (haveShape)
    provided = it->second;
  else if (options.shapeFor)
    haveShape = options.shapeFor(vi.name(), provided);
  if (haveShape) {
    shape.assign(provided.begin(), provided.end());
    if (tt.has_shape() &&
        tt.shape().dim_size() != static_cast<int>(shape.size())) {
      error(fileLoc) << what << ": the given shape has rank " << shape.size()
                     << " but the model declares rank "
                     << tt.shape().dim_size();
      return failure();
    }
    if (tt.has_shape())
      for (int i = 0; i < tt.shape().dim_size(); ++i) {
        const auto &d = tt.shape().dim(i);
        if (d.has_dim_value() && d.dim_value() != shape[i]) {
          error(fileLoc) << what << ": the given shape sets dimension " << i
                         << " to " << shape[i] << " but the model fixes it to "
                         << d.dim_value();
          return failure();
        }
      }
    if (failed(checkShape(shape, *et, fileLoc, what)))
      return failure();
    return RankedTensorType::get(shape, *et);
  }
  if (!tt.has_shape()) {
    error(fileLoc) << what
                   << ": the model gives no shape; pass --input-shape "
                   << vi.name() << "=AxBx...";
    return failure();
  }
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto &d = tt.shape().dim(i);
    if (d.has_dim_value() && d.dim_value() >= 0) {
      shape.push_back(d.dim_value());
      continue;
    }
    std::string param = d.has_dim_param() ? d.dim_param() : "";
    auto p = options.dimParams.find(param);
    if (!param.empty() && p != options.dimParams.end()) {
      shape.push_back(p->second);
      continue;
    }
    std::string lower = StringRef(param).lower();
    bool isBatch = StringRef(lower).contains("batch") ||
                   (param.empty() && i == 0);
    shape.push_back(isBatch ? options.defaultBatch : options.defaultDim);
  }
  if (failed(checkShape(shape, *et, fileLoc, what)))
    return failure();
  return RankedTensorType::get(shape, *et);
}

/// Bytes per element as the ONNX data holds it (bool: one byte).
static int64_t elementBytes(Type et) {
  return et.isInteger(1) ? 1 : (et.getIntOrFloatBitWidth() + 7) / 8;
}

/// Failure (reported) when a dimension of `shape` is negative, or the
/// tensor's byte size overflows or exceeds this machine's memory, which
/// would otherwise end in an allocation failure at run time.
LogicalResult Importer::checkShape(ArrayRef<int64_t> shape, Type et,
                                   Location loc, StringRef what) {
  uint64_t bytes = elementBytes(et);
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (d < 0) {
      error(loc) << what << ": dimension " << i << " is " << d
                 << " (expected a size >= 0)";
      return failure();
    }
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes)) {
      error(loc) << what << ": the shape overflows a 64-bit byte count";
      return failure();
    }
  }
  static const uint64_t memory = [] {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * size
                                 : UINT64_MAX;
  }();
  if (bytes > memory) {
    error(loc) << what << ": "
               << llvm::formatv("{0:F1}", bytes / double(1ull << 30)).str()
               << " GiB, more than this machine's memory ("
               << llvm::formatv("{0:F1}", memory / double(1ull << 30)).str()
               << " GiB)";
    return failure();
  }
  return success();
}

LogicalResult Importer::readExternal(const ::onnx::TensorProto &t,
                                     Location loc, std::string &bytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : t.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
      continue;
    }
    if (kv.key() != "offset" && kv.key() != "length")
      continue;
    int64_t v;
    if (StringRef(kv.value()).trim().getAsInteger(10, v) || v < 0) {
      error(loc) << "initializer '" << t.name() << "': external data "
                 << kv.key() << " '" << kv.value()
                 << "' is not a non-negative integer";
      return failure();
    }
    (kv.key() == "offset" ? offset : length) = v;
  }
  if (location.empty()) {
    error(loc) << "initializer '" << t.name()
               << "': external data without a 'location'";
    return failure();
  }
  // As the ONNX spec and onnxruntime have it: a path relative to the
  // model's directory that stays inside it.
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                          llvm::sys::path::end(location)),
                         "..")) {
    error(loc) << "initializer '" << t.name() << "': external data location '"
               << location
               << "' must be a relative path inside the model's directory";
    return failure();
  }
  SmallString<256> full(llvm::sys::path::parent_path(path));
  llvm::sys::path::append(full, location);
  uint64_t fileSize = 0;
  if (llvm::sys::fs::file_size(full, fileSize)) {
    error(loc) << "initializer '" << t.name()
               << "': external data file '" << full
               << "' is missing or unreadable";
    return failure();
  }
  if (offset > static_cast<int64_t>(fileSize) ||
      (length >= 0 && length > static_cast<int64_t>(fileSize) - offset)) {
    error(loc) << "initializer '" << t.name() << "': external data range ["
               << offset << ", "
               << (length >= 0 ? std::to_string(offset) + " + " +
                                     std::to_string(length)
                               : std::string("end"))
               << ") is outside '" << full << "' (" << fileSize << " bytes)";
    return failure();
  }
  if (length < 0)
    length = static_cast<int64_t>(fileSize) - offset;
  auto buf = llvm::MemoryBuffer::getFileSlice(full, length, offset);
  if (!buf) {
    error(loc) << "initializer '" << t.name() << "': cannot read '" << full
               << "': " << buf.getError().message();
    return failure();
  }
  bytes.assign((*buf)->getBufferStart(), (*buf)->getBufferSize());
  return success();
}

FailureOr<Value> Importer::importTensor(const ::onnx::TensorProto &t,
                                        Location loc) {
  std::string what = "tensor '" + t.name() + "'";
  FailureOr<Type> etOr = elementType(t.data_type(), loc, what);
  if (failed(etOr))
    return failure();
  Type et = *etOr;
  SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
  if (failed(checkShape(shape, et, loc, what)))
    return failure();
  auto type = RankedTensorType::get(shape, et);
  int64_t n = type.getNumElements();

  // Raw little-endian bytes, from raw_data, external data or the typed fields.
  std::string bytes;
  using TP = ::onnx::TensorProto;
  if (t.data_location() == TP::EXTERNAL) {
    if (failed(readExternal(t, loc, bytes)))
      return failure();
  } else if (t.has_raw_data()) {
    bytes = t.raw_data();
  } else {
    auto append = [&](const void *p, size_t sz) {
      bytes.append(static_cast<const char *>(p), sz);
    };
    switch (t.data_type()) {
    case TP::FLOAT:
      for (float v : t.float_data())
        append(&v, 4);
      break;
    case TP::DOUBLE:
      for (double v : t.double_data())
        append(&v, 8);
      break;
    case TP::INT64:
      for (int64_t v : t.int64_data())
        append(&v, 8);
      break;
    case TP::UINT64:
      for (uint64_t v : t.uint64_data())
        append(&v, 8);
      break;
    case TP::INT32:
    case TP::UINT32:
      for (int32_t v : t.int32_data())
        append(&v, 4);
      break;
    case TP::INT16:
    case TP::UINT16:
    case TP::FLOAT16:
    case TP::BFLOAT16:
      for (int32_t v : t.int32_data()) {
        uint16_t h = static_cast<uint16_t>(v);
        append(&h, 2);
      }
      break;
    case TP::INT8:
    case TP::UINT8:
    case TP::BOOL:
      for (int32_t v : t.int32_data()) {
        uint8_t h = static_cast<uint8_t>(v);
        append(&h, 1);
      }
      break;
    default:
      break;
    }
  }
  int64_t width = elementBytes(et);
  if (static_cast<int64_t>(bytes.size()) != n * width) {
    error(loc) << what << ": expected " << n * width << " bytes of data for "
               << type << ", found " << bytes.size();
    return failure();
  }

  ElementsAttr attr;
  if (isa<FloatType>(et) && n > options.inlineElementLimit) {
    // Large weights: one aligned heap copy owned by the resource manager; the
    // IR refers to it by name and never prints or re-parses the data.
    std::string name = t.name().empty() ? "onnx_tensor" : t.name();
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef<char>(bytes.data(), bytes.size()), /*align=*/64);
    auto &manager = DenseResourceElementsHandle::getManagerInterface(ctx);
    DenseResourceElementsHandle handle = manager.insert(name, std::move(blob));
    attr = DenseResourceElementsAttr::get(type, handle);
  } else if (et.isInteger(1)) {
    SmallVector<bool> vals;
    for (char c : bytes)
      vals.push_back(c != 0);
    attr = DenseElementsAttr::get(type, ArrayRef<bool>(vals));
  } else {
    bool detectedSplat = false;
    if (!DenseElementsAttr::isValidRawBuffer(
            type, ArrayRef<char>(bytes.data(), bytes.size()), detectedSplat)) {
      error(loc) << what << ": malformed raw data for " << type;
      return failure();
    }
    attr = DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(bytes.data(), bytes.size()));
  }
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr)).getResult();
}

FailureOr<Attribute> Importer::importAttribute(const ::onnx::AttributeProto &a,
                                               Location loc,
                                               StringRef nodeDesc) {
  using AP = ::onnx::AttributeProto;
  switch (a.type()) {
  case AP::INT:
    return Attribute(b.getI64IntegerAttr(a.i()));
  case AP::FLOAT:
    return Attribute(b.getF32FloatAttr(a.f()));
  case AP::STRING:
    return Attribute(b.getStringAttr(a.s()));
  case AP::INTS: {
    SmallVector<Attribute> v;
    for (int64_t x : a.ints())
      v.push_back(b.getI64IntegerAttr(x));
    return Attribute(b.getArrayAttr(v));
  }
  case AP::FLOATS: {
    SmallVector<Attribute> v;
    for (float x : a.floats())
      v.push_back(b.getF32FloatAttr(x));
    return Attribute(b.getArrayAttr(v));
  }
  case AP::STRINGS: {
    SmallVector<Attribute> v;
    for (const std::string &x : a.strings())
      v.push_back(b.getStringAttr(x));
    return Attribute(b.getArrayAttr(v));
  }
  case AP::TENSOR: {
    OpBuilder::InsertionGuard g(b);
    FailureOr<Value> c = importTensor(a.t(), loc);
    if (failed(c))
      return failure();
    Attribute value = c->getDefiningOp<arith::ConstantOp>().getValue();
    c->getDefiningOp()->erase();
    return value;
  }
  default:
    error(loc) << nodeDesc << ": attribute '" << a.name()
               << "' has unsupported kind "
               << AP::AttributeType_Name(a.type())
               << " (subgraphs and sparse tensors are not supported)";
    return failure();
  }
}

LogicalResult Importer::importConstantNode(const ::onnx::NodeProto &node,
                                           Location loc, StringRef desc) {
  if (node.attribute_size() != 1 || node.output_size() != 1) {
    error(loc) << desc << ": expected exactly one value attribute";
    return failure();
  }
  const auto &a = node.attribute(0);
  Value v;
  if (a.name() == "value") {
    FailureOr<Value> t = importTensor(a.t(), loc);
    if (failed(t))
      return failure();
    v = *t;
  } else if (a.name() == "value_float" || a.name() == "value_floats") {
    SmallVector<float> f(a.floats().begin(), a.floats().end());
    if (a.name() == "value_float")
      f = {a.f()};
    auto type = RankedTensorType::get(
        a.name() == "value_float" ? ArrayRef<int64_t>{}
                                  : ArrayRef<int64_t>{(int64_t)f.size()},
        b.getF32Type());
    v = arith::ConstantOp::create(b, loc,
                                  DenseElementsAttr::get(type, ArrayRef(f)));
  } else if (a.name() == "value_int" || a.name() == "value_ints") {
    SmallVector<int64_t> i(a.ints().begin(), a.ints().end());
    if (a.name() == "value_int")
      i = {a.i()};
    auto type = RankedTensorType::get(
        a.name() == "value_int" ? ArrayRef<int64_t>{}
                                : ArrayRef<int64_t>{(int64_t)i.size()},
        b.getI64Type());
    v = arith::ConstantOp::create(b, loc,
                                  DenseElementsAttr::get(type, ArrayRef(i)));
  } else {
    error(loc) << desc << ": unsupported Constant attribute '" << a.name()
               << "' (expected value, value_float(s) or value_int(s))";
    return failure();
  }
  return define(node.output(0), v, loc, desc);
}

/// values[name] = v for a node output. ONNX graphs are in SSA form: a
/// second definition would silently replace the first for every later
/// reader.
LogicalResult Importer::define(const std::string &name, Value v, Location loc,
                               StringRef desc) {
  if (!values.try_emplace(name, v).second) {
    error(loc) << desc << ": output '" << name
               << "' is already defined by a graph input, an initializer or "
                  "an earlier node";
    return failure();
  }
  return success();
}

OwningOpRef<ModuleOp> Importer::run(const ::onnx::ModelProto &model) {
  for (const auto &o : model.opset_import())
    opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = o.version();
  if (!opsets.count("")) {
    error(fileLoc) << "the model imports no default-domain opset";
    return nullptr;
  }
  if (opsets[""] > kNewestOpset)
    emitWarning(fileLoc) << "the model imports default-domain opset "
                         << opsets[""] << ", newer than " << kNewestOpset
                         << " (the newest this importer knows): operators are "
                            "read with the semantics of their newest known "
                            "version";
  const ::onnx::GraphProto &g = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  b.setInsertionPointToEnd(module->getBody());

  std::set<std::string> initNames;
  for (const auto &t : g.initializer())
    initNames.insert(t.name());

  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const auto &vi : g.input()) {
    if (initNames.count(vi.name()))
      continue; // old exporters list initializers as inputs too
    if (llvm::is_contained(argNames, vi.name())) {
      error(fileLoc) << "graph input '" << vi.name() << "' is listed twice";
      return nullptr;
    }
    FailureOr<RankedTensorType> t = inputType(vi);
    if (failed(t))
      return nullptr;
    argTypes.push_back(*t);
    argNames.push_back(vi.name());
  }
  // A --dim for a symbolic dimension no graph input has is a typo, not
  // something to ignore.
  {
    std::set<std::string> params;
    for (const auto &vi : g.input())
      if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape())
        for (const auto &d : vi.type().tensor_type().shape().dim())
          if (d.has_dim_param())
            params.insert(d.dim_param());
    for (const auto &[name, value] : options.dimParams)
      if (!params.count(name)) {
        auto d = error(fileLoc);
        d << "--dim: no graph input has a dimension named '" << name << "'";
        if (params.empty())
          d << " (the inputs have no symbolic dimensions)";
        else {
          d << "; the symbolic dimensions are";
          for (auto [i, p] : llvm::enumerate(params))
            d << (i ? ", '" : " '") << p << "'";
        }
        return nullptr;
      }
  }
  // A shape given for an input the graph does not have is a typo, not
  // something to ignore.
  for (const auto &[name, dims] : options.inputShapes)
    if (!llvm::is_contained(argNames, name)) {
      auto d = error(fileLoc);
      d << "--input-shape: the graph has no input named '" << name
        << "'; its inputs are";
      for (auto [i, n] : llvm::enumerate(argNames))
        d << (i ? ", '" : " '") << n << "'";
      return nullptr;
    }
  std::map<std::string, Type> declared;
  for (const auto &vi : g.output())
    if (vi.type().has_tensor_type()) {
      FailureOr<Type> et = elementType(vi.type().tensor_type().elem_type(),
                                       fileLoc, "graph output '" + vi.name() +
                                                    "'");
      if (failed(et))
        return nullptr;
      declared[vi.name()] = *et;
    }
  for (const auto &vi : g.value_info())
    if (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type())
      if (auto et = elementType(vi.type().tensor_type().elem_type(), fileLoc,
                                "value '" + vi.name() + "'");
          succeeded(et))
        declared[vi.name()] = *et;

  auto unranked = [&](const std::string &name) -> Type {
    auto it = declared.find(name);
    return UnrankedTensorType::get(it == declared.end() ? b.getF32Type()
                                                        : it->second);
  };

  SmallVector<Type> resTypes;
  for (const auto &vi : g.output())
    resTypes.push_back(unranked(vi.name()));
  auto func = func::FuncOp::create(b, fileLoc, "main",
                                   b.getFunctionType(argTypes, resTypes));
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  if (!model.graph().name().empty())
    func->setAttr("onnx.graph_name", b.getStringAttr(model.graph().name()));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "onnx.name", b.getStringAttr(name));
    values[name] = entry->getArgument(i);
  }
  for (int i = 0; i < g.output_size(); ++i) {
    func.setResultAttr(i, "onnx.name", b.getStringAttr(g.output(i).name()));
    // The declared type (dynamic where symbolic), checked and dropped by
    // onnx-infer-shapes.
    const auto &ot = g.output(i).type();
    auto it = declared.find(g.output(i).name());
    if (!ot.has_tensor_type() || it == declared.end())
      continue;
    Type decl = UnrankedTensorType::get(it->second);
    if (ot.tensor_type().has_shape()) {
      SmallVector<int64_t> dims;
      for (const auto &d : ot.tensor_type().shape().dim())
        dims.push_back(d.has_dim_value() ? d.dim_value() : ShapedType::kDynamic);
      decl = RankedTensorType::get(dims, it->second);
    }
    func.setResultAttr(i, "onnx.declared_type", TypeAttr::get(decl));
  }
  b.setInsertionPointToStart(entry);

  for (const auto &t : g.initializer()) {
    FailureOr<Value> v = importTensor(t, fileLoc);
    if (failed(v))
      return nullptr;
    values[t.name()] = *v;
  }

  for (int idx = 0; idx < g.node_size(); ++idx) {
    const ::onnx::NodeProto &node = g.node(idx);
    Location loc = nodeLoc(node, idx);
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto os = opsets.find(domain);
    int64_t opset = os == opsets.end() ? 1 : os->second;
    std::string name =
        domain.empty() ? node.op_type() : domain + "." + node.op_type();
    std::string desc = "node '" + (node.name().empty() ? "#" + std::to_string(idx)
                                                       : node.name()) +
                       "' (" + name + ", opset " + std::to_string(opset) + ")";
    if (os == opsets.end()) {
      error(loc) << desc << ": the model imports no opset for domain '"
                 << domain << "'";
      return nullptr;
    }
    if (domain.empty() && node.op_type() == "Constant") {
      if (failed(importConstantNode(node, loc, desc)))
        return nullptr;
      continue;
    }
    SmallVector<Value> operands;
    for (const std::string &in : node.input()) {
      if (in.empty()) {
        if (!noneValue) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(entry);
          noneValue = NoneOp::create(b, fileLoc, b.getNoneType()).getResult();
        }
        operands.push_back(noneValue);
        continue;
      }
      auto it = values.find(in);
      if (it == values.end()) {
        error(loc) << desc << ": input '" << in
                   << "' is not produced by any earlier node, initializer or "
                      "graph input (the graph must be topologically sorted)";
        return nullptr;
      }
      operands.push_back(it->second);
    }
    SmallVector<NamedAttribute> attrs;
    attrs.push_back(b.getNamedAttr("onnx_name",
                                   b.getStringAttr(node.name().empty()
                                                       ? "#" + std::to_string(idx)
                                                       : node.name())));
    for (const auto &a : node.attribute()) {
      FailureOr<Attribute> attr = importAttribute(a, loc, desc);
      if (failed(attr))
        return nullptr;
      if (a.name() == "name" || a.name() == "opset" || a.name() == "onnx_name") {
        error(loc) << desc << ": attribute name '" << a.name()
                   << "' collides with an attune-internal attribute";
        return nullptr;
      }
      attrs.push_back(b.getNamedAttr(a.name(), *attr));
    }
    SmallVector<Type> outTypes;
    for (const std::string &out : node.output())
      outTypes.push_back(out.empty() ? unranked("") : unranked(out));
    OperationState state(loc, NodeOp::getOperationName());
    NodeOp::build(b, state, outTypes, b.getStringAttr(name),
                  b.getI64IntegerAttr(opset), operands);
    state.addAttributes(attrs);
    Operation *op = b.create(state);
    for (auto [i, out] : llvm::enumerate(node.output()))
      if (!out.empty() && failed(define(out, op->getResult(i), loc, desc)))
        return nullptr;
  }

  SmallVector<Value> results;
  for (const auto &vi : g.output()) {
    auto it = values.find(vi.name());
    if (it == values.end()) {
      error(fileLoc) << "graph output '" << vi.name()
                     << "' is not produced by any node";
      return nullptr;
    }
    results.push_back(it->second);
  }
  // Result types are refined by onnx-infer-shapes; keep the signature in sync.
  func.setFunctionType(b.getFunctionType(
      argTypes, ValueRange(results).getTypes()));
  func::ReturnOp::create(b, fileLoc, results);
  return module;
}

OwningOpRef<ModuleOp>
mlir::attn::onnx::importOnnxFile(MLIRContext *ctx, const std::string &path,
                                 const ImportOptions &options) {
  Location loc = FileLineColLoc::get(ctx, path, 0, 0);
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf) {
    emitError(loc) << "cannot open ONNX model: " << buf.getError().message();
    return nullptr;
  }
  ::onnx::ModelProto model;
  StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".onnxtext" || ext == ".txt") {
    std::string text = (*buf)->getBuffer().str();
    ::onnx::Status st = ::onnx::OnnxParser::Parse(model, text.c_str());
    if (!st.IsOK()) {
      emitError(loc) << "malformed ONNX text model: " << st.ErrorMessage();
      return nullptr;
    }
  } else {
    google::protobuf::io::ArrayInputStream raw(
        (*buf)->getBufferStart(), static_cast<int>((*buf)->getBufferSize()));
    google::protobuf::io::CodedInputStream coded(&raw);
    coded.SetTotalBytesLimit(INT32_MAX);
    if (!model.ParseFromCodedStream(&coded) ||
        !coded.ConsumedEntireMessage()) {
      emitError(loc) << "malformed ONNX model: the file is not a valid "
                        "ModelProto protobuf";
      return nullptr;
    }
    if (!model.has_graph()) {
      emitError(loc) << "malformed ONNX model: no graph";
      return nullptr;
    }
  }
  buf->reset();
  Importer importer(ctx, path, options);
  return importer.run(model);
}

bool mlir::attn::onnx::parseShapeOption(const std::string &spec,
                                        ImportOptions &options,
                                        std::string &err) {
  SmallVector<StringRef> items;
  StringRef(spec).split(items, ',', -1, false);
  for (StringRef item : items) {
    auto [name, value] = item.split('=');
    if (name.empty() || !item.contains('=')) {
      err = "expected NAME=DIMS, got '" + item.str() + "'";
      return false;
    }
    std::vector<int64_t> dims; // "NAME=" is a scalar
    if (value.empty()) {
      options.inputShapes[name.str()] = dims;
      continue;
    }
    SmallVector<StringRef> parts;
    value.split(parts, 'x', -1, true);
    for (StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0) {
        err = "expected dimensions like 1x128 in '" + item.str() + "'";
        return false;
      }
      dims.push_back(d);
    }
    options.inputShapes[name.str()] = dims;
  }
  return true;
}

void mlir::attn::onnx::registerImportDialects(DialectRegistry &registry) {
  registry.insert<OnnxDialect, arith::ArithDialect, func::FuncDialect>();
}
