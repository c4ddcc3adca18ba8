//===- Elementwise.cpp - arithmetic, comparison, logic, Cast, Where -----===//
//
// Broadcasting elementwise ops. Every one is a single linalg.generic whose
// indexing maps implement numpy broadcasting (Builders.cpp). f16/bf16
// arithmetic is computed in f32 and rounded once, like onnxruntime's CPU
// kernels.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/OnnxToLinalg/Handlers.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn::onnx_to_linalg;

namespace {
using FloatFn = Value (*)(OpBuilder &, Location, Value, Value);
using IntFn = Value (*)(OpBuilder &, Location, Value, Value);

template <typename OpTy> Value mk(OpBuilder &b, Location l, Value x, Value y) {
  return OpTy::create(b, l, x, y);
}

/// Folds `ins` left to right with `ffn` (float, in the compute type) or `ifn`
/// (integer); a null function means the element type is unsupported.
HandlerResult foldArith(OpBuilder &b, NodeOp op, ValueRange ins, FloatFn ffn,
                        IntFn ifn) {
  RankedTensorType outType = resultType(op);
  Type et = outType.getElementType();
  for (Value v : ins)
    if (tensorType(v).getElementType() != et)
      return fail(op, "expected all inputs to have the output element type");
  auto ft = dyn_cast<FloatType>(et);
  if ((ft && !ffn) || (!ft && !ifn))
    return fail(op, "unsupported element type");
  Value r =
      buildElementwise(b, op.getLoc(), ins, outType,
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         if (!ft) {
                           Value acc = a[0];
                           for (Value x : a.drop_front())
                             acc = ifn(nb, nl, acc, x);
                           return acc;
                         }
                         FloatType ct = computeType(ft);
                         Value acc = castScalar(nb, nl, a[0], ct);
                         for (Value x : a.drop_front())
                           acc = ffn(nb, nl, acc, castScalar(nb, nl, x, ct));
                         return castScalar(nb, nl, acc, ft);
                       });
  return SmallVector<Value>{r};
}

HandlerResult binaryArith(OpBuilder &b, NodeOp op, FloatFn f, IntFn i) {
  if (op.getInputs().size() != 2)
    return fail(op, "expected 2 inputs");
  return foldArith(b, op, op.getInputs(), f, i);
}

/// Integer division and remainder trap on a zero divisor (and on INT_MIN /
/// -1) in hardware; ONNX leaves both undefined. The compiled model must not
/// crash, so such lanes divide by 1 instead and yield 0 (documented in the
/// README).
static Value safeDivisor(OpBuilder &b, Location l, Value y, Value &bad) {
  Value zero = scalarConst(b, l, y.getType(), 0);
  bad = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, y, zero);
  Value one = scalarConst(b, l, y.getType(), 1);
  return arith::SelectOp::create(b, l, bad, one, y);
}

static Value intDiv(OpBuilder &b, Location l, Value x, Value y) {
  Value bad;
  Value d = safeDivisor(b, l, y, bad);
  Value q = arith::DivSIOp::create(b, l, x, d);
  return arith::SelectOp::create(b, l, bad, scalarConst(b, l, x.getType(), 0),
                                 q);
}

static Value intRem(OpBuilder &b, Location l, Value x, Value y) {
  Value bad;
  Value d = safeDivisor(b, l, y, bad);
  Value r = arith::RemSIOp::create(b, l, x, d);
  return arith::SelectOp::create(b, l, bad, scalarConst(b, l, x.getType(), 0),
                                 r);
}

Value intMod(OpBuilder &b, Location l, Value x, Value y) {
  // Python-style: the result takes the sign of the divisor.
  Value r = intRem(b, l, x, y);
  Value zero = scalarConst(b, l, x.getType(), 0);
  Value rNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, r, zero);
  Value yNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, y, zero);
  Value rNz = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, r, zero);
  Value differ = arith::XOrIOp::create(b, l, rNeg, yNeg);
  Value fix = arith::AndIOp::create(b, l, rNz, differ);
  return arith::SelectOp::create(b, l, fix, arith::AddIOp::create(b, l, r, y),
                                 r);
}

HandlerResult lowerMod(OpBuilder &b, NodeOp op) {
  bool fmod = op.getIntAttr("fmod", 0) != 0;
  if (isa<FloatType>(resultType(op).getElementType()) && !fmod)
    return fail(op, "floating-point Mod requires fmod=1");
  return binaryArith(b, op, mk<arith::RemFOp>,
                     fmod ? intRem : intMod);
}

HandlerResult lowerPow(OpBuilder &b, NodeOp op) {
  RankedTensorType outType = resultType(op);
  auto ft = dyn_cast<FloatType>(outType.getElementType());
  if (!ft)
    return fail(op, "only floating-point bases are supported");
  Location loc = op.getLoc();
  Value x = input(op, 0), y = input(op, 1);
  FloatType ct = computeType(ft);
  std::optional<double> e = getConstSplat(y);
  bool special = e && (*e == 1.0 || *e == 2.0 || *e == 0.5 || *e == 3.0);
  SmallVector<Value> ins = {x};
  if (!special)
    ins.push_back(y);
  Value r = buildElementwise(
      b, loc, ins, outType, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = castScalar(nb, nl, a[0], ct);
        Value p;
        if (special && *e == 1.0)
          p = v;
        else if (special && *e == 2.0)
          p = arith::MulFOp::create(nb, nl, v, v);
        else if (special && *e == 3.0)
          p = arith::MulFOp::create(nb, nl, arith::MulFOp::create(nb, nl, v, v),
                                    v);
        else if (special)
          p = math::SqrtOp::create(nb, nl, v);
        else
          p = math::PowFOp::create(nb, nl, v, castScalar(nb, nl, a[1], ct));
        return castScalar(nb, nl, p, ft);
      });
  return SmallVector<Value>{r};
}

template <arith::CmpFPredicate FP, arith::CmpIPredicate IP>
HandlerResult lowerCompare(OpBuilder &b, NodeOp op) {
  if (op.getInputs().size() != 2)
    return fail(op, "expected 2 inputs");
  Type et = tensorType(input(op, 0)).getElementType();
  if (tensorType(input(op, 1)).getElementType() != et)
    return fail(op, "expected inputs of the same element type");
  Value r =
      buildElementwise(b, op.getLoc(), op.getInputs(), resultType(op),
                       [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                         if (isa<FloatType>(et))
                           return arith::CmpFOp::create(nb, nl, FP, a[0], a[1]);
                         return arith::CmpIOp::create(nb, nl, IP, a[0], a[1]);
                       });
  return SmallVector<Value>{r};
}

template <typename OpTy> HandlerResult lowerLogic(OpBuilder &b, NodeOp op) {
  Value r =
      buildElementwise(b, op.getLoc(), op.getInputs(), resultType(op),
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         return OpTy::create(nb, nl, a[0], a[1]).getResult();
                       });
  return SmallVector<Value>{r};
}

HandlerResult lowerNot(OpBuilder &b, NodeOp op) {
  Value r = buildElementwise(
      b, op.getLoc(), op.getInputs(), resultType(op),
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        return arith::XOrIOp::create(nb, nl, a[0],
                                     scalarConst(nb, nl, a[0].getType(), 1));
      });
  return SmallVector<Value>{r};
}

HandlerResult lowerWhere(OpBuilder &b, NodeOp op) {
  Value r = buildElementwise(
      b, op.getLoc(), op.getInputs(), resultType(op),
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        return arith::SelectOp::create(nb, nl, a[0], a[1], a[2]);
      });
  return SmallVector<Value>{r};
}

HandlerResult lowerCast(OpBuilder &b, NodeOp op) {
  RankedTensorType outType = resultType(op);
  Type et = outType.getElementType();
  if (!et.isIntOrFloat())
    return fail(op, "unsupported target element type");
  Value r = buildElementwise(b, op.getLoc(), {input(op, 0)}, outType,
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               return castScalar(nb, nl, a[0], et);
                             });
  return SmallVector<Value>{r};
}

/// Clip bounds: inputs 1 and 2 (optional) from opset 11, `min`/`max`
/// attributes before.
HandlerResult lowerClip(OpBuilder &b, NodeOp op) {
  RankedTensorType outType = resultType(op);
  Type et = outType.getElementType();
  auto ft = dyn_cast<FloatType>(et);
  Location loc = op.getLoc();
  SmallVector<Value> ins = {input(op, 0)};
  int loIdx = -1, hiIdx = -1;
  std::optional<double> loAttr, hiAttr;
  if (op.getOpset() >= 11) {
    if (!op.isAbsentInput(1)) {
      loIdx = ins.size();
      ins.push_back(input(op, 1));
    }
    if (!op.isAbsentInput(2)) {
      hiIdx = ins.size();
      ins.push_back(input(op, 2));
    }
  } else {
    if (!ft)
      return fail(op, "expected a floating-point input");
    if (op.hasAttr("min"))
      loAttr = op.getFloatAttr("min", 0);
    if (op.hasAttr("max"))
      hiAttr = op.getFloatAttr("max", 0);
  }
  Value r = buildElementwise(
      b, loc, ins, outType, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = a[0];
        Value lo = loIdx >= 0 ? a[loIdx]
                   : loAttr   ? scalarConst(nb, nl, et, *loAttr)
                              : Value();
        Value hi = hiIdx >= 0 ? a[hiIdx]
                   : hiAttr   ? scalarConst(nb, nl, et, *hiAttr)
                              : Value();
        if (ft) {
          if (lo)
            v = arith::MaximumFOp::create(nb, nl, v, lo);
          if (hi)
            v = arith::MinimumFOp::create(nb, nl, v, hi);
        } else {
          if (lo)
            v = arith::MaxSIOp::create(nb, nl, v, lo);
          if (hi)
            v = arith::MinSIOp::create(nb, nl, v, hi);
        }
        return v;
      });
  return SmallVector<Value>{r};
}

HandlerResult lowerMean(OpBuilder &b, NodeOp op) {
  HandlerResult sum =
      foldArith(b, op, op.getInputs(), mk<arith::AddFOp>, nullptr);
  if (failed(sum))
    return sum;
  auto ft = cast<FloatType>(resultType(op).getElementType());
  double n = op.getInputs().size();
  Value r = buildElementwise(b, op.getLoc(), {(*sum)[0]}, resultType(op),
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               FloatType ct = computeType(ft);
                               Value v = arith::DivFOp::create(
                                   nb, nl, castScalar(nb, nl, a[0], ct),
                                   scalarConst(nb, nl, ct, n));
                               return castScalar(nb, nl, v, ft);
                             });
  return SmallVector<Value>{r};
}
} // namespace

void mlir::attn::onnx_to_linalg::addElementwiseHandlers(HandlerTable &t) {
  using CF = arith::CmpFPredicate;
  using CI = arith::CmpIPredicate;
  t["Add"] = [](OpBuilder &b, NodeOp op) {
    return binaryArith(b, op, mk<arith::AddFOp>, mk<arith::AddIOp>);
  };
  t["Sub"] = [](OpBuilder &b, NodeOp op) {
    return binaryArith(b, op, mk<arith::SubFOp>, mk<arith::SubIOp>);
  };
  t["Mul"] = [](OpBuilder &b, NodeOp op) {
    return binaryArith(b, op, mk<arith::MulFOp>, mk<arith::MulIOp>);
  };
  t["Div"] = [](OpBuilder &b, NodeOp op) {
    return binaryArith(b, op, mk<arith::DivFOp>, intDiv);
  };
  t["Max"] = [](OpBuilder &b, NodeOp op) {
    return foldArith(b, op, op.getInputs(), mk<arith::MaximumFOp>,
                     mk<arith::MaxSIOp>);
  };
  t["Min"] = [](OpBuilder &b, NodeOp op) {
    return foldArith(b, op, op.getInputs(), mk<arith::MinimumFOp>,
                     mk<arith::MinSIOp>);
  };
  t["Sum"] = [](OpBuilder &b, NodeOp op) {
    return foldArith(b, op, op.getInputs(), mk<arith::AddFOp>,
                     mk<arith::AddIOp>);
  };
  t["Mean"] = lowerMean;
  t["Mod"] = lowerMod;
  t["Pow"] = lowerPow;
  t["Equal"] = lowerCompare<CF::OEQ, CI::eq>;
  t["Less"] = lowerCompare<CF::OLT, CI::slt>;
  t["Greater"] = lowerCompare<CF::OGT, CI::sgt>;
  t["LessOrEqual"] = lowerCompare<CF::OLE, CI::sle>;
  t["GreaterOrEqual"] = lowerCompare<CF::OGE, CI::sge>;
  t["And"] = lowerLogic<arith::AndIOp>;
  t["Or"] = lowerLogic<arith::OrIOp>;
  t["Xor"] = lowerLogic<arith::XOrIOp>;
  t["Not"] = lowerNot;
  t["Where"] = lowerWhere;
  t["Cast"] = lowerCast;
  t["Clip"] = lowerClip;
}
