//===- OnnxOps.cpp - onnx dialect ---------------------------------------===//
//
// The generic ONNX node op and its attribute helpers.
//
//===----------------------------------------------------------------------===//

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::attn::onnx;

#include "dialects/Onnx/IR/OnnxDialect.cpp.inc"

/// The opset prints as one token, `v13`.
static ParseResult parseOpset(OpAsmParser &parser, IntegerAttr &opset) {
  StringRef word;
  SMLoc loc = parser.getCurrentLocation();
  int64_t v;
  if (parser.parseKeyword(&word) || !word.consume_front("v") ||
      word.getAsInteger(10, v))
    return parser.emitError(loc, "expected the opset as 'v<N>', e.g. v17");
  opset = parser.getBuilder().getI64IntegerAttr(v);
  return success();
}

static void printOpset(OpAsmPrinter &p, Operation *, IntegerAttr opset) {
  p << "v" << opset.getInt();
}

void OnnxDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Onnx/IR/OnnxOps.cpp.inc"
      >();
}

StringRef NodeOp::getOpType() {
  StringRef n = getName();
  size_t dot = n.rfind('.');
  return dot == StringRef::npos ? n : n.drop_front(dot + 1);
}

StringRef NodeOp::getDomain() {
  StringRef n = getName();
  size_t dot = n.rfind('.');
  return dot == StringRef::npos ? StringRef() : n.take_front(dot);
}

bool NodeOp::isAbsentInput(unsigned i) {
  if (i >= getInputs().size())
    return true;
  return isa<NoneType>(getInputs()[i].getType());
}

int64_t NodeOp::getIntAttr(StringRef attr, int64_t dflt) {
  if (auto a = (*this)->getAttrOfType<IntegerAttr>(attr))
    return a.getValue().getSExtValue();
  return dflt;
}

double NodeOp::getFloatAttr(StringRef attr, double dflt) {
  if (auto a = (*this)->getAttrOfType<FloatAttr>(attr))
    return a.getValueAsDouble();
  if (auto a = (*this)->getAttrOfType<IntegerAttr>(attr))
    return static_cast<double>(a.getValue().getSExtValue());
  return dflt;
}

SmallVector<int64_t> NodeOp::getIntsAttr(StringRef attr) {
  SmallVector<int64_t> out;
  if (auto a = (*this)->getAttrOfType<ArrayAttr>(attr))
    for (Attribute e : a)
      if (auto i = dyn_cast<IntegerAttr>(e))
        out.push_back(i.getValue().getSExtValue());
  return out;
}

std::string NodeOp::describe() {
  std::string s = "node";
  if (auto n = (*this)->getAttrOfType<StringAttr>("onnx_name"))
    s += " '" + n.str() + "'";
  s += " (" + getName().str() + ", opset " + std::to_string(getOpset()) + ")";
  return s;
}

#define GET_OP_CLASSES
#include "dialects/Onnx/IR/OnnxOps.cpp.inc"
