//===- Activations.cpp - unary math and activation functions ------------===//
//
// Unary elementwise ops: math functions, activations (Relu, Sigmoid, the
// Gelu family, ...), Identity and Dropout (inference). Floats of less than
// 32 bits are computed in f32.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/OnnxToLinalg/Handlers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn::onnx_to_linalg;

namespace {
using ScalarFn = function_ref<Value(OpBuilder &, Location, Value)>;

/// y = fn(x[, extra...]) over float x computed in computeType.
HandlerResult unaryFloat(OpBuilder &b, NodeOp op, ScalarFn fn,
                         ValueRange extra = {}) {
  RankedTensorType outType = resultType(op);
  auto ft = dyn_cast<FloatType>(outType.getElementType());
  if (!ft || tensorType(input(op, 0)).getElementType() != ft)
    return fail(op, "expected a floating-point input and output");
  SmallVector<Value> ins = {input(op, 0)};
  ins.append(extra.begin(), extra.end());
  FloatType ct = computeType(ft);
  Value r = buildElementwise(b, op.getLoc(), ins, outType,
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               Value x = castScalar(nb, nl, a[0], ct);
                               // Extra operands (biases) are added before the
                               // function.
                               for (Value e : a.drop_front())
                                 x = arith::AddFOp::create(
                                     nb, nl, x, castScalar(nb, nl, e, ct));
                               return castScalar(nb, nl, fn(nb, nl, x), ft);
                             });
  return SmallVector<Value>{r};
}

Value cst(OpBuilder &b, Location l, Value like, double v) {
  return scalarConst(b, l, like.getType(), v);
}

template <typename OpTy> HandlerResult mathUnary(OpBuilder &b, NodeOp op) {
  return unaryFloat(b, op, [](OpBuilder &nb, Location nl, Value x) -> Value {
    return OpTy::create(nb, nl, x);
  });
}

Value sigmoid(OpBuilder &b, Location l, Value x) {
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(
      b, l, cst(b, l, x, 1.0),
      arith::AddFOp::create(b, l, cst(b, l, x, 1.0), e));
}

Value geluErf(OpBuilder &b, Location l, Value x) {
  Value t = arith::MulFOp::create(b, l, x, cst(b, l, x, M_SQRT1_2));
  Value e = math::ErfOp::create(b, l, t);
  Value one = arith::AddFOp::create(b, l, e, cst(b, l, x, 1.0));
  Value hx = arith::MulFOp::create(b, l, x, cst(b, l, x, 0.5));
  return arith::MulFOp::create(b, l, hx, one);
}

Value geluTanh(OpBuilder &b, Location l, Value x) {
  Value x3 = arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, x, x), x);
  Value inner = arith::AddFOp::create(
      b, l, x, arith::MulFOp::create(b, l, x3, cst(b, l, x, 0.044715)));
  inner =
      arith::MulFOp::create(b, l, inner, cst(b, l, x, std::sqrt(2.0 / M_PI)));
  Value t = arith::AddFOp::create(b, l, math::TanhOp::create(b, l, inner),
                                  cst(b, l, x, 1.0));
  Value hx = arith::MulFOp::create(b, l, x, cst(b, l, x, 0.5));
  return arith::MulFOp::create(b, l, hx, t);
}

HandlerResult lowerGelu(OpBuilder &b, NodeOp op) {
  auto approx = op->getAttrOfType<StringAttr>("approximate");
  StringRef a = approx ? approx.getValue() : "none";
  if (a == "none")
    return unaryFloat(b, op, geluErf);
  if (a == "tanh")
    return unaryFloat(b, op, geluTanh);
  return fail(op, "unsupported approximate='" + a + "' (expected none/tanh)");
}

/// com.microsoft.FastGelu / BiasGelu: optional bias input 1 added first.
HandlerResult lowerBiasGelu(OpBuilder &b, NodeOp op, ScalarFn fn) {
  SmallVector<Value> extra;
  if (!op.isAbsentInput(1))
    extra.push_back(input(op, 1));
  return unaryFloat(b, op, fn, extra);
}

/// Ops that also accept integers: Neg, Abs, Relu, Sign.
template <int Kind> HandlerResult signedUnary(OpBuilder &b, NodeOp op) {
  RankedTensorType outType = resultType(op);
  Type et = outType.getElementType();
  if (isa<FloatType>(et))
    return unaryFloat(b, op, [](OpBuilder &nb, Location nl, Value x) -> Value {
      Value zero = cst(nb, nl, x, 0.0);
      switch (Kind) {
      case 0:
        return arith::NegFOp::create(nb, nl, x);
      case 1:
        return math::AbsFOp::create(nb, nl, x);
      case 2:
        return arith::MaximumFOp::create(nb, nl, x, zero);
      default: {
        Value pos =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, x, zero);
        Value neg =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, x, zero);
        Value s = arith::SelectOp::create(nb, nl, neg, cst(nb, nl, x, -1.0), x);
        return arith::SelectOp::create(nb, nl, pos, cst(nb, nl, x, 1.0), s);
      }
      }
    });
  if (et.isInteger(1))
    return fail(op, "unsupported boolean input");
  Value r = buildElementwise(
      b, op.getLoc(), {input(op, 0)}, outType,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value x = a[0], zero = cst(nb, nl, x, 0);
        switch (Kind) {
        case 0:
          return arith::SubIOp::create(nb, nl, zero, x);
        case 1:
          return math::AbsIOp::create(nb, nl, x);
        case 2:
          return arith::MaxSIOp::create(nb, nl, x, zero);
        default: {
          Value pos =
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt, x, zero);
          Value neg =
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, x, zero);
          Value s =
              arith::SelectOp::create(nb, nl, neg, cst(nb, nl, x, -1), zero);
          return arith::SelectOp::create(nb, nl, pos, cst(nb, nl, x, 1), s);
        }
        }
      });
  return SmallVector<Value>{r};
}

HandlerResult floatPredicate(OpBuilder &b, NodeOp op, bool isNan) {
  auto ft = dyn_cast<FloatType>(tensorType(input(op, 0)).getElementType());
  if (!ft)
    return fail(op, "expected a floating-point input");
  bool detectPos = op.getIntAttr("detect_positive", 1) != 0;
  bool detectNeg = op.getIntAttr("detect_negative", 1) != 0;
  Value r = buildElementwise(
      b, op.getLoc(), {input(op, 0)}, resultType(op),
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value x = a[0];
        if (isNan)
          return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNO, x, x);
        Value r = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, x,
                                        cst(nb, nl, x, INFINITY));
        Value n = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, x,
                                        cst(nb, nl, x, -INFINITY));
        Value fl = scalarConst(nb, nl, nb.getI1Type(), 0);
        return arith::OrIOp::create(nb, nl, detectPos ? r : fl,
                                    detectNeg ? n : fl);
      });
  return SmallVector<Value>{r};
}

HandlerResult identity(OpBuilder &, NodeOp op) {
  return SmallVector<Value>{input(op, 0)};
}

HandlerResult lowerDropout(OpBuilder &b, NodeOp op) {
  SmallVector<Value> out = {input(op, 0)};
  if (op.getOutputs().size() > 1 && !op.getOutputs()[1].use_empty()) {
    RankedTensorType mt = resultType(op, 1);
    out.push_back(
        filledTensor(b, op.getLoc(), mt,
                     scalarConst(b, op.getLoc(), mt.getElementType(), 1)));
  }
  return out;
}
} // namespace

void mlir::attn::onnx_to_linalg::addActivationHandlers(HandlerTable &t) {
  t["Sqrt"] = mathUnary<math::SqrtOp>;
  t["Erf"] = mathUnary<math::ErfOp>;
  t["Tanh"] = mathUnary<math::TanhOp>;
  t["Exp"] = mathUnary<math::ExpOp>;
  t["Log"] = mathUnary<math::LogOp>;
  t["Floor"] = mathUnary<math::FloorOp>;
  t["Ceil"] = mathUnary<math::CeilOp>;
  t["Round"] = mathUnary<math::RoundEvenOp>;
  t["Sin"] = mathUnary<math::SinOp>;
  t["Cos"] = mathUnary<math::CosOp>;
  t["Neg"] = signedUnary<0>;
  t["Abs"] = signedUnary<1>;
  t["Relu"] = signedUnary<2>;
  t["Sign"] = signedUnary<3>;
  t["Reciprocal"] = [](OpBuilder &b, NodeOp op) {
    return unaryFloat(b, op, [](OpBuilder &nb, Location nl, Value x) -> Value {
      return arith::DivFOp::create(nb, nl, cst(nb, nl, x, 1.0), x);
    });
  };
  t["Sigmoid"] = [](OpBuilder &b, NodeOp op) {
    return unaryFloat(b, op, sigmoid);
  };
  t["Softplus"] = [](OpBuilder &b, NodeOp op) {
    // max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|.
    return unaryFloat(b, op, [](OpBuilder &nb, Location nl, Value x) -> Value {
      Value ax = math::AbsFOp::create(nb, nl, x);
      Value e = math::ExpOp::create(nb, nl, arith::NegFOp::create(nb, nl, ax));
      Value l = math::Log1pOp::create(nb, nl, e);
      Value m = arith::MaximumFOp::create(nb, nl, x, cst(nb, nl, x, 0.0));
      return arith::AddFOp::create(nb, nl, m, l);
    });
  };
  t["LeakyRelu"] = [](OpBuilder &b, NodeOp op) {
    double alpha = op.getFloatAttr("alpha", 0.01);
    return unaryFloat(b, op, [&](OpBuilder &nb, Location nl, Value x) -> Value {
      Value neg = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, x,
                                        cst(nb, nl, x, 0.0));
      Value ax = arith::MulFOp::create(nb, nl, x, cst(nb, nl, x, alpha));
      return arith::SelectOp::create(nb, nl, neg, ax, x);
    });
  };
  t["Elu"] = [](OpBuilder &b, NodeOp op) {
    double alpha = op.getFloatAttr("alpha", 1.0);
    return unaryFloat(b, op, [&](OpBuilder &nb, Location nl, Value x) -> Value {
      Value neg = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, x,
                                        cst(nb, nl, x, 0.0));
      Value em1 = math::ExpM1Op::create(nb, nl, x);
      Value ax = arith::MulFOp::create(nb, nl, em1, cst(nb, nl, x, alpha));
      return arith::SelectOp::create(nb, nl, neg, ax, x);
    });
  };
  t["HardSigmoid"] = [](OpBuilder &b, NodeOp op) {
    double alpha = op.getFloatAttr("alpha", 0.2);
    double beta = op.getFloatAttr("beta", 0.5);
    return unaryFloat(b, op, [&](OpBuilder &nb, Location nl, Value x) -> Value {
      Value v = arith::AddFOp::create(
          nb, nl, arith::MulFOp::create(nb, nl, x, cst(nb, nl, x, alpha)),
          cst(nb, nl, x, beta));
      v = arith::MaximumFOp::create(nb, nl, v, cst(nb, nl, x, 0.0));
      return arith::MinimumFOp::create(nb, nl, v, cst(nb, nl, x, 1.0));
    });
  };
  t["Gelu"] = lowerGelu;
  t["com.microsoft.Gelu"] = [](OpBuilder &b, NodeOp op) {
    return unaryFloat(b, op, geluErf);
  };
  t["com.microsoft.BiasGelu"] = [](OpBuilder &b, NodeOp op) {
    return lowerBiasGelu(b, op, geluErf);
  };
  t["com.microsoft.FastGelu"] = [](OpBuilder &b, NodeOp op) {
    return lowerBiasGelu(b, op, geluTanh);
  };
  t["IsNaN"] = [](OpBuilder &b, NodeOp op) {
    return floatPredicate(b, op, true);
  };
  t["IsInf"] = [](OpBuilder &b, NodeOp op) {
    return floatPredicate(b, op, false);
  };
  t["Identity"] = identity;
  t["Dropout"] = lowerDropout;
}
