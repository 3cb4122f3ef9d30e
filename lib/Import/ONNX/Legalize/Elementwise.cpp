//===- Elementwise.cpp - element-wise ONNX ops to linalg.generic ----------===//
//
// Unary and broadcasting n-ary ops, comparisons, Where, Clip, Cast,
// DequantizeLinear, activations. Numerics follow ONNX exactly: Round is
// half-to-even (math.roundeven), Div is a real division, Max/Min/Clip
// propagate NaN, Sigmoid is 1 / (1 + exp(-x)).
//
//===----------------------------------------------------------------------===//
#include "../ONNXUtils.h"
#include "LegalizeUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

static bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

static Value cst(OpBuilder &b, Location loc, Value like, double v) {
  return scalarConst(b, loc, like.getType(), v);
}

static Value exp(OpBuilder &b, Location loc, Value x) { return math::ExpOp::create(b, loc, x); }

/// The scalar body of a unary op, or null if unsupported.
static Value unaryBody(ONNXNodeOp op, OpBuilder &b, Location loc, Value x) {
  StringRef t = op.getOpType();
  bool f = isFloat(x);
  auto fa = [&](StringRef name, float d) { return cst(b, loc, x, op.getFloatAttr(name, d)); };
  if (t == "Identity" || t == "Dropout" ||
      ((t == "Relu" || t == "Abs") && isUnsignedOperand(op, 0)))
    return x;
  if (t == "Abs")
    return f ? Value(math::AbsFOp::create(b, loc, x)) : Value(math::AbsIOp::create(b, loc, x));
  if (t == "Neg")
    return f ? Value(arith::NegFOp::create(b, loc, x))
             : Value(arith::SubIOp::create(b, loc, cst(b, loc, x, 0), x));
  if (t == "Sign") {
    Value zero = cst(b, loc, x, 0), one = cst(b, loc, x, 1), mone = cst(b, loc, x, -1);
    Value gt = f ? Value(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero))
                 : Value(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, zero));
    Value lt = f ? Value(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero))
                 : Value(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero));
    // 0 stays 0 and NaN stays NaN.
    Value r = arith::SelectOp::create(b, loc, lt, mone, f ? x : zero);
    return arith::SelectOp::create(b, loc, gt, one, r);
  }
  if (t == "Not")
    return arith::XOrIOp::create(b, loc, x, cst(b, loc, x, 1));
  if (t == "Relu")
    return f ? Value(arith::MaximumFOp::create(b, loc, x, cst(b, loc, x, 0)))
             : Value(arith::MaxSIOp::create(b, loc, x, cst(b, loc, x, 0)));
  if (!f)
    return {};
  if (t == "Sqrt") return math::SqrtOp::create(b, loc, x);
  if (t == "Reciprocal") return arith::DivFOp::create(b, loc, cst(b, loc, x, 1), x);
  if (t == "Exp") return exp(b, loc, x);
  if (t == "Log") return math::LogOp::create(b, loc, x);
  if (t == "Tanh") return math::TanhOp::create(b, loc, x);
  if (t == "Round") return math::RoundEvenOp::create(b, loc, x);
  if (t == "Floor") return math::FloorOp::create(b, loc, x);
  if (t == "Ceil") return math::CeilOp::create(b, loc, x);
  if (t == "Erf") return math::ErfOp::create(b, loc, x);
  if (t == "Sin") return math::SinOp::create(b, loc, x);
  if (t == "Cos") return math::CosOp::create(b, loc, x);
  if (t == "Tan") return math::TanOp::create(b, loc, x);
  if (t == "Asin") return math::AsinOp::create(b, loc, x);
  if (t == "Acos") return math::AcosOp::create(b, loc, x);
  if (t == "Atan") return math::AtanOp::create(b, loc, x);
  if (t == "Sinh") return math::SinhOp::create(b, loc, x);
  if (t == "Cosh") return math::CoshOp::create(b, loc, x);
  if (t == "Asinh") return math::AsinhOp::create(b, loc, x);
  if (t == "Acosh") return math::AcoshOp::create(b, loc, x);
  if (t == "Atanh") return math::AtanhOp::create(b, loc, x);
  Value zero = cst(b, loc, x, 0), one = cst(b, loc, x, 1);
  auto lt0 = [&] { return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero); };
  if (t == "Sigmoid") {
    Value e = exp(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
  }
  if (t == "LeakyRelu")
    return arith::SelectOp::create(b, loc, lt0(), arith::MulFOp::create(b, loc, fa("alpha", 0.01f), x), x);
  if (t == "Elu" || t == "Selu") {
    bool selu = t == "Selu";
    Value alpha = fa("alpha", selu ? 1.67326319217681884765625f : 1.0f);
    Value em1 = arith::SubFOp::create(b, loc, exp(b, loc, x), one);
    Value neg = arith::MulFOp::create(b, loc, alpha, em1);
    Value le = arith::CmpFOp::create(b, loc, selu ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT, x, zero);
    Value r = arith::SelectOp::create(b, loc, le, neg, x);
    return selu ? Value(arith::MulFOp::create(b, loc, fa("gamma", 1.05070102214813232421875f), r)) : r;
  }
  if (t == "Celu") {
    Value alpha = fa("alpha", 1.0f);
    Value e = arith::SubFOp::create(b, loc, exp(b, loc, arith::DivFOp::create(b, loc, x, alpha)), one);
    Value neg = arith::MinimumFOp::create(b, loc, zero, arith::MulFOp::create(b, loc, alpha, e));
    return arith::AddFOp::create(b, loc, arith::MaximumFOp::create(b, loc, zero, x), neg);
  }
  if (t == "HardSigmoid" || t == "HardSwish") {
    bool swish = t == "HardSwish";
    Value alpha = swish ? cst(b, loc, x, 1.0 / 6.0) : fa("alpha", 0.2f);
    Value beta = swish ? cst(b, loc, x, 0.5) : fa("beta", 0.5f);
    Value v = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, alpha, x), beta);
    v = arith::MaximumFOp::create(b, loc, zero, arith::MinimumFOp::create(b, loc, one, v));
    return swish ? Value(arith::MulFOp::create(b, loc, x, v)) : v;
  }
  if (t == "Softplus")
    return math::LogOp::create(b, loc, arith::AddFOp::create(b, loc, exp(b, loc, x), one));
  if (t == "Softsign")
    return arith::DivFOp::create(b, loc, x, arith::AddFOp::create(b, loc, one, math::AbsFOp::create(b, loc, x)));
  if (t == "Mish") {
    Value sp = math::LogOp::create(b, loc, arith::AddFOp::create(b, loc, exp(b, loc, x), one));
    return arith::MulFOp::create(b, loc, x, math::TanhOp::create(b, loc, sp));
  }
  if (t == "ThresholdedRelu") {
    Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, fa("alpha", 1.0f));
    return arith::SelectOp::create(b, loc, gt, x, zero);
  }
  if (t == "Shrink") {
    Value lambd = fa("lambd", 0.5f), bias = fa("bias", 0.0f);
    Value lo = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, arith::NegFOp::create(b, loc, lambd));
    Value hi = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, lambd);
    Value r = arith::SelectOp::create(b, loc, hi, arith::SubFOp::create(b, loc, x, bias), zero);
    return arith::SelectOp::create(b, loc, lo, arith::AddFOp::create(b, loc, x, bias), r);
  }
  if (t == "Gelu") {
    Value half = cst(b, loc, x, 0.5);
    if (op.getStringAttr("approximate", "none") == "tanh") {
      Value k = cst(b, loc, x, std::sqrt(2.0 / M_PI));
      Value x3 = arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
      Value in = arith::AddFOp::create(b, loc, x, arith::MulFOp::create(b, loc, cst(b, loc, x, 0.044715), x3));
      Value th = math::TanhOp::create(b, loc, arith::MulFOp::create(b, loc, k, in));
      return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, half, x), arith::AddFOp::create(b, loc, one, th));
    }
    Value e = math::ErfOp::create(b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, x, M_SQRT1_2)));
    return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, half, x), arith::AddFOp::create(b, loc, one, e));
  }
  if (t == "IsNaN")
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  if (t == "IsInf") {
    Value inf = cst(b, loc, x, INFINITY), ninf = cst(b, loc, x, -INFINITY);
    Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, inf);
    Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, ninf);
    Value no = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
    if (!op.getIntAttr("detect_positive", 1))
      pos = no;
    if (!op.getIntAttr("detect_negative", 1))
      neg = no;
    return arith::OrIOp::create(b, loc, pos, neg);
  }
  return {};
}

/// The scalar body of a binary op (operands already of the same type, except
/// Pow's exponent), or null if unsupported.
static Value binaryBody(ONNXNodeOp op, OpBuilder &b, Location loc, Value x, Value y,
                        Type resultElem) {
  StringRef t = op.getOpType();
  bool f = isFloat(x);
  using FP = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  // Unsigned integers (Unsigned.cpp): unsigned division, order and remainder.
  if (!f && isUnsignedOperand(op, 0)) {
    if (t == "Div") return arith::DivUIOp::create(b, loc, x, y);
    if (t == "Max") return arith::MaxUIOp::create(b, loc, x, y);
    if (t == "Min") return arith::MinUIOp::create(b, loc, x, y);
    if (t == "Mod") return arith::RemUIOp::create(b, loc, x, y);
    if (t == "Less") return arith::CmpIOp::create(b, loc, IP::ult, x, y);
    if (t == "Greater") return arith::CmpIOp::create(b, loc, IP::ugt, x, y);
    if (t == "LessOrEqual") return arith::CmpIOp::create(b, loc, IP::ule, x, y);
    if (t == "GreaterOrEqual") return arith::CmpIOp::create(b, loc, IP::uge, x, y);
  }
  bool uy = isUnsignedOperand(op, 1);
  if (t == "Add") return f ? Value(arith::AddFOp::create(b, loc, x, y)) : Value(arith::AddIOp::create(b, loc, x, y));
  if (t == "Sub") return f ? Value(arith::SubFOp::create(b, loc, x, y)) : Value(arith::SubIOp::create(b, loc, x, y));
  if (t == "Mul") return f ? Value(arith::MulFOp::create(b, loc, x, y)) : Value(arith::MulIOp::create(b, loc, x, y));
  if (t == "Div") return f ? Value(arith::DivFOp::create(b, loc, x, y)) : Value(arith::DivSIOp::create(b, loc, x, y));
  if (t == "Max") return f ? Value(arith::MaximumFOp::create(b, loc, x, y)) : Value(arith::MaxSIOp::create(b, loc, x, y));
  if (t == "Min") return f ? Value(arith::MinimumFOp::create(b, loc, x, y)) : Value(arith::MinSIOp::create(b, loc, x, y));
  if (t == "And") return arith::AndIOp::create(b, loc, x, y);
  if (t == "Or") return arith::OrIOp::create(b, loc, x, y);
  if (t == "Xor") return arith::XOrIOp::create(b, loc, x, y);
  if (t == "Equal") return f ? Value(arith::CmpFOp::create(b, loc, FP::OEQ, x, y)) : Value(arith::CmpIOp::create(b, loc, IP::eq, x, y));
  if (t == "Less") return f ? Value(arith::CmpFOp::create(b, loc, FP::OLT, x, y)) : Value(arith::CmpIOp::create(b, loc, IP::slt, x, y));
  if (t == "Greater") return f ? Value(arith::CmpFOp::create(b, loc, FP::OGT, x, y)) : Value(arith::CmpIOp::create(b, loc, IP::sgt, x, y));
  if (t == "LessOrEqual") return f ? Value(arith::CmpFOp::create(b, loc, FP::OLE, x, y)) : Value(arith::CmpIOp::create(b, loc, IP::sle, x, y));
  if (t == "GreaterOrEqual") return f ? Value(arith::CmpFOp::create(b, loc, FP::OGE, x, y)) : Value(arith::CmpIOp::create(b, loc, IP::sge, x, y));
  if (t == "PRelu") {
    Value zero = cst(b, loc, x, 0);
    Value lt = f ? Value(arith::CmpFOp::create(b, loc, FP::OLT, x, zero)) : Value(arith::CmpIOp::create(b, loc, IP::slt, x, zero));
    Value m = f ? Value(arith::MulFOp::create(b, loc, x, y)) : Value(arith::MulIOp::create(b, loc, x, y));
    return arith::SelectOp::create(b, loc, lt, m, x);
  }
  if (t == "Mod") {
    if (op.getIntAttr("fmod", 0) || f)
      return f ? Value(arith::RemFOp::create(b, loc, x, y)) : Value(arith::RemSIOp::create(b, loc, x, y));
    // Python-style: the result takes the divisor's sign.
    Value r = arith::RemSIOp::create(b, loc, x, y);
    Value zero = cst(b, loc, x, 0);
    Value nz = arith::CmpIOp::create(b, loc, IP::ne, r, zero);
    Value rneg = arith::CmpIOp::create(b, loc, IP::slt, r, zero);
    Value yneg = arith::CmpIOp::create(b, loc, IP::slt, y, zero);
    Value diff = arith::XOrIOp::create(b, loc, rneg, yneg);
    Value fix = arith::AndIOp::create(b, loc, nz, diff);
    return arith::SelectOp::create(b, loc, fix, arith::AddIOp::create(b, loc, r, y), r);
  }
  if (t == "Pow") {
    if (f) {
      Value e = castScalar(b, loc, y, x.getType(), uy);
      return math::PowFOp::create(b, loc, x, e);
    }
    if (isa<IntegerType>(y.getType())) {
      // Integer power by repeated multiplication (negative exponents
      // truncate to 0 except for bases 1 and -1).
      Type i64 = b.getI64Type();
      Value e = castScalar(b, loc, y, i64, uy);
      Value zero = scalarConst(b, loc, i64, 0);
      Value n = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                           arith::MaxSIOp::create(b, loc, e, zero));
      Value c0 = arith::ConstantIndexOp::create(b, loc, 0), c1 = arith::ConstantIndexOp::create(b, loc, 1);
      Value one = cst(b, loc, x, 1);
      auto loop = scf::ForOp::create(b, loc, c0, n, c1, ValueRange{one},
                                     [&](OpBuilder &nb, Location nl, Value, ValueRange acc) {
                                       scf::YieldOp::create(nb, nl, ValueRange{arith::MulIOp::create(nb, nl, acc[0], x).getResult()});
                                     });
      Value pos = loop.getResult(0);
      Value isOne = arith::CmpIOp::create(b, loc, IP::eq, x, one);
      Value isMinusOne = arith::CmpIOp::create(b, loc, IP::eq, x, cst(b, loc, x, -1));
      Value odd = arith::CmpIOp::create(b, loc, IP::ne, arith::AndIOp::create(b, loc, e, scalarConst(b, loc, i64, 1)), zero);
      Value negResult = arith::SelectOp::create(
          b, loc, isOne, one,
          arith::SelectOp::create(b, loc, isMinusOne,
                                  arith::SelectOp::create(b, loc, odd, cst(b, loc, x, -1), one),
                                  cst(b, loc, x, 0)));
      Value neg = arith::CmpIOp::create(b, loc, IP::slt, e, zero);
      return arith::SelectOp::create(b, loc, neg, negResult, pos);
    }
    Value xf = castScalar(b, loc, x, y.getType(), isUnsignedOperand(op, 0));
    return castScalar(b, loc, math::PowFOp::create(b, loc, xf, y), resultElem, false,
                      isUnsignedResult(op, 0));
  }
  return {};
}

static LogicalResult lowerUnary(ONNXNodeOp op, PatternRewriter &rw) {
  RankedTensorType type = resultType(op);
  Location loc = op.getLoc();
  Type inElem = tensorType(op.getInput(0)).getElementType();
  if (!isa<FloatType>(inElem) &&
      !llvm::is_contained({"Abs", "Neg", "Sign", "Not", "Relu", "Identity", "Dropout"},
                          op.getOpType()))
    return op.emitError() << op.describe() << ": unsupported element type " << inElem;
  if (op.getOpType() == "Dropout" && op.getInput(2)) {
    // Training mode with ratio 0 keeps everything: the inference computation.
    auto training = getScalarInt(op.getInput(2));
    std::optional<float> ratio = op.getInput(1) ? getScalarFloat(op.getInput(1)) : 0.5f;
    if (!training || (*training && (!ratio || *ratio != 0.0f)))
      return op.emitError() << op.describe()
                            << ": training mode with a nonzero ratio is not supported (a "
                               "random mask)"
                            << graphInputHint(!training ? op.getInput(2) : op.getInput(1));
  }
  Value r = buildElementwise(rw, loc, type, op.getInput(0), [&](OpBuilder &b, Location l, ValueRange a) {
    return unaryBody(op, b, l, a[0]);
  });
  SmallVector<Value> results = {r};
  if (op.getNumResults() > 1) { // Dropout's mask: all kept in inference
    Value t = arith::ConstantOp::create(rw, loc, rw.getBoolAttr(true));
    results.push_back(filledTensor(rw, loc, resultType(op, 1), t));
  }
  rw.replaceOp(op, results);
  return success();
}

/// Pow with a constant exponent 2 (x*x), 1, 0.5 (sqrt): exact and fast paths
/// that also keep negative bases right on every backend.
static Value specialPow(OpBuilder &b, Location loc, RankedTensorType type, Value x, Value e) {
  std::optional<float> k = getScalarFloat(e);
  if (!k || !tensorType(x).getElementType().isF32() || tensorType(x) != type)
    return {};
  if (*k == 2.0f)
    return buildElementwise(b, loc, type, x, [](OpBuilder &nb, Location l, ValueRange a) {
      return arith::MulFOp::create(nb, l, a[0], a[0]).getResult();
    });
  if (*k == 1.0f)
    return x;
  if (*k == 0.5f)
    return buildElementwise(b, loc, type, x, [](OpBuilder &nb, Location l, ValueRange a) {
      return math::SqrtOp::create(nb, l, a[0]).getResult();
    });
  return {};
}

static LogicalResult lowerNary(ONNXNodeOp op, PatternRewriter &rw) {
  RankedTensorType type = resultType(op);
  Location loc = op.getLoc();
  StringRef t = op.getOpType();
  SmallVector<Value> inputs(op.getInputs());
  if (t == "Pow")
    if (Value r = specialPow(rw, loc, type, inputs[0], inputs[1])) {
      rw.replaceOp(op, r);
      return success();
    }
  bool u = isUnsignedOperand(op, 0);
  Value r = buildElementwise(rw, loc, type, inputs, [&](OpBuilder &b, Location l, ValueRange a) {
    if (t == "Sum" || t == "Mean" || (a.size() > 2 && (t == "Max" || t == "Min")) ||
        a.size() == 1) {
      StringRef combine = t == "Sum" || t == "Mean" ? "Add" : t;
      Value acc = a[0];
      for (Value v : a.drop_front()) {
        Value next = combine == "Add"
                         ? (isFloat(acc) ? Value(arith::AddFOp::create(b, l, acc, v))
                                         : Value(arith::AddIOp::create(b, l, acc, v)))
                     : combine == "Max"
                         ? (isFloat(acc) ? Value(arith::MaximumFOp::create(b, l, acc, v))
                            : u          ? Value(arith::MaxUIOp::create(b, l, acc, v))
                                         : Value(arith::MaxSIOp::create(b, l, acc, v)))
                         : (isFloat(acc) ? Value(arith::MinimumFOp::create(b, l, acc, v))
                            : u          ? Value(arith::MinUIOp::create(b, l, acc, v))
                                         : Value(arith::MinSIOp::create(b, l, acc, v)));
        acc = next;
      }
      if (t == "Mean") {
        Value n = scalarConst(b, l, acc.getType(), a.size());
        acc = isFloat(acc) ? Value(arith::DivFOp::create(b, l, acc, n))
                           : Value(arith::DivSIOp::create(b, l, acc, n));
      }
      return acc;
    }
    return binaryBody(op, b, l, a[0], a[1], type.getElementType());
  });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerWhere(ONNXNodeOp op, PatternRewriter &rw) {
  Value r = buildElementwise(rw, op.getLoc(), resultType(op), op.getInputs(),
                             [](OpBuilder &b, Location l, ValueRange a) {
                               return arith::SelectOp::create(b, l, a[0], a[1], a[2]).getResult();
                             });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerClip(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  RankedTensorType type = resultType(op);
  SmallVector<Value> inputs = {op.getInput(0)};
  Value lo = op.getInput(1), hi = op.getInput(2);
  if (op.getOpset() < 11) { // Clip-6: min/max attributes
    auto scalar = [&](StringRef name) -> Value {
      if (!op.hasONNXAttr(name))
        return {};
      auto t = RankedTensorType::get({}, type.getElementType());
      return arith::ConstantOp::create(
          rw, loc, DenseElementsAttr::get(t, rw.getFloatAttr(type.getElementType(),
                                                              op.getFloatAttr(name, 0.0f))));
    };
    lo = scalar("min");
    hi = scalar("max");
  }
  if (lo)
    inputs.push_back(lo);
  if (hi)
    inputs.push_back(hi);
  for (Value v : ArrayRef<Value>(inputs).drop_front())
    if (tensorType(v).getNumElements() != 1)
      return op.emitError() << op.describe() << ": min and max must be scalars";
  Value r = buildElementwise(rw, loc, type, inputs, [&](OpBuilder &b, Location l, ValueRange a) {
    Value x = a[0];
    unsigned i = 1;
    bool f = isFloat(x), u = isUnsignedOperand(op, 0);
    if (lo) {
      Value m = a[i++];
      x = f ? Value(arith::MaximumFOp::create(b, l, x, m))
          : u ? Value(arith::MaxUIOp::create(b, l, x, m))
              : Value(arith::MaxSIOp::create(b, l, x, m));
    }
    if (hi) {
      Value m = a[i++];
      x = f ? Value(arith::MinimumFOp::create(b, l, x, m))
          : u ? Value(arith::MinUIOp::create(b, l, x, m))
              : Value(arith::MinSIOp::create(b, l, x, m));
    }
    return x;
  });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerCast(ONNXNodeOp op, PatternRewriter &rw) {
  RankedTensorType type = resultType(op);
  Value r = buildElementwise(rw, op.getLoc(), type, op.getInput(0),
                             [&](OpBuilder &b, Location l, ValueRange a) {
                               return castScalar(b, l, a[0], type.getElementType(),
                                                 isUnsignedOperand(op, 0),
                                                 isUnsignedResult(op, 0));
                             });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerDequantize(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  RankedTensorType type = resultType(op);
  Value x = op.getInput(0), scale = op.getInput(1), zp = op.getInput(2);
  int64_t rank = type.getRank();
  // Per-axis: reshape the 1-D scale/zero point to broadcast along `axis`.
  auto align = [&](Value v) -> FailureOr<Value> {
    if (!v)
      return v;
    auto t = tensorType(v);
    if (t.getRank() == 0 || t.getNumElements() == 1)
      return reshapeTo(rw, loc, v, {});
    int64_t axis = op.getIntAttr("axis", 1);
    if (t.getRank() != 1 || !normalizeAxis(axis, rank) || t.getDimSize(0) != type.getDimSize(axis)) {
      op.emitError() << op.describe() << ": scale/zero point " << t
                     << " does not match axis " << op.getIntAttr("axis", 1);
      return failure();
    }
    SmallVector<int64_t> shape(rank - axis, 1);
    shape[0] = t.getDimSize(0);
    return reshapeTo(rw, loc, v, shape);
  };
  FailureOr<Value> s = align(scale), z = align(zp);
  if (failed(s) || failed(z))
    return failure();
  SmallVector<Value> inputs = {x, *s};
  if (*z)
    inputs.push_back(*z);
  Type f = type.getElementType();
  Value r = buildElementwise(rw, loc, type, inputs, [&](OpBuilder &b, Location l, ValueRange a) {
    Value q = a[0];
    if (a.size() > 2) {
      Type i32 = b.getI32Type();
      q = arith::SubIOp::create(b, l, castScalar(b, l, q, i32, isUnsignedOperand(op, 0)),
                                castScalar(b, l, a[2], i32, isUnsignedOperand(op, 2)));
      return arith::MulFOp::create(b, l, castScalar(b, l, q, f), a[1]).getResult();
    }
    return arith::MulFOp::create(b, l, castScalar(b, l, q, f, isUnsignedOperand(op, 0)), a[1])
        .getResult();
  });
  rw.replaceOp(op, r);
  return success();
}

void onnx_import::populateONNXElementwisePatterns(RewritePatternSet &patterns) {
  addLowering(patterns,
              {"Abs", "Neg", "Sqrt", "Reciprocal", "Sigmoid", "Tanh", "Exp", "Log", "Relu",
               "Round", "Floor", "Ceil", "Erf", "Not", "Sign", "Sin", "Cos", "Tan", "Asin",
               "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "LeakyRelu", "Elu",
               "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Identity",
               "Shrink", "ThresholdedRelu", "Mish", "Gelu", "IsNaN", "IsInf", "Dropout"},
              lowerUnary);
  addLowering(patterns,
              {"Add", "Sub", "Mul", "Div", "Pow", "Mod", "And", "Or", "Xor", "PRelu", "Max",
               "Min", "Sum", "Mean", "Equal", "Less", "Greater", "LessOrEqual",
               "GreaterOrEqual"},
              lowerNary);
  addLowering(patterns, {"Where"}, lowerWhere);
  addLowering(patterns, {"Clip"}, lowerClip);
  addLowering(patterns, {"Cast", "CastLike"}, lowerCast);
  addLowering(patterns, {"DequantizeLinear"}, lowerDequantize);
}
