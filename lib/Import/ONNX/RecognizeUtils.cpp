//===- RecognizeUtils.cpp - matching ONNX graphs by meaning ---------------===//
#include "RecognizeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

ONNXNodeOp onnx_import::defNode(Value v, StringRef opType) {
  if (!v)
    return {};
  auto op = v.getDefiningOp<ONNXNodeOp>();
  if (!op || !op.isDefaultDomain() || op.getOpType() != opType)
    return {};
  return op;
}

ONNXNodeOp onnx_import::defNodeAny(Value v, ArrayRef<StringRef> opTypes) {
  for (StringRef t : opTypes)
    if (ONNXNodeOp op = defNode(v, t))
      return op;
  return {};
}

bool onnx_import::matchEither(ONNXNodeOp op, function_ref<bool(Value)> first, Value &a,
                              Value &b) {
  if (!op || op.getInputs().size() != 2)
    return false;
  Value x = op.getInput(0), y = op.getInput(1);
  if (!x || !y)
    return false;
  if (first(x)) {
    a = x, b = y;
    return true;
  }
  if (first(y)) {
    a = y, b = x;
    return true;
  }
  return false;
}

bool onnx_import::isConstF32(Value v, float x) {
  std::optional<float> f = getScalarFloat(v);
  return f && *f == x;
}

Value onnx_import::matchClampBelow(Value v, float &lo) {
  if (ONNXNodeOp clip = defNode(v, "Clip")) {
    Value l = clip.getInput(1);
    std::optional<float> f = getScalarFloat(l);
    if (!f || clip.getInput(2))
      return {};
    lo = *f;
    return clip.getInput(0);
  }
  if (ONNXNodeOp mx = defNode(v, "Max")) {
    Value c, u;
    if (!matchEither(mx, [](Value x) { return getScalarFloat(x).has_value(); }, c, u))
      return {};
    lo = *getScalarFloat(c);
    return u;
  }
  return {};
}

Value onnx_import::matchClamp(Value v, float &lo, float &hi) {
  if (ONNXNodeOp clip = defNode(v, "Clip")) {
    std::optional<float> l = getScalarFloat(clip.getInput(1)), h = getScalarFloat(clip.getInput(2));
    if (!l || !h)
      return {};
    lo = *l, hi = *h;
    return clip.getInput(0);
  }
  auto scalarOf = [](Value x) { return getScalarFloat(x).has_value(); };
  Value c, u;
  if (ONNXNodeOp mn = defNode(v, "Min"); mn && matchEither(mn, scalarOf, c, u)) {
    hi = *getScalarFloat(c);
    Value c2, u2;
    if (ONNXNodeOp mx = defNode(u, "Max"); mx && matchEither(mx, scalarOf, c2, u2)) {
      lo = *getScalarFloat(c2);
      return u2;
    }
    return {};
  }
  if (ONNXNodeOp mx = defNode(v, "Max"); mx && matchEither(mx, scalarOf, c, u)) {
    lo = *getScalarFloat(c);
    Value c2, u2;
    if (ONNXNodeOp mn = defNode(u, "Min"); mn && matchEither(mn, scalarOf, c2, u2)) {
      hi = *getScalarFloat(c2);
      return u2;
    }
  }
  return {};
}

bool onnx_import::matchDivide(Value v, Value &a, Value &b) {
  if (ONNXNodeOp div = defNode(v, "Div")) {
    a = div.getInput(0), b = div.getInput(1);
    return a && b;
  }
  if (ONNXNodeOp mul = defNode(v, "Mul")) {
    Value r, other;
    if (matchEither(mul, [](Value x) { return static_cast<bool>(defNode(x, "Reciprocal")); },
                    r, other)) {
      a = other;
      b = defNode(r, "Reciprocal").getInput(0);
      return true;
    }
  }
  return false;
}

Value onnx_import::matchSiLU(Value v) {
  ONNXNodeOp mul = defNode(v, "Mul");
  if (!mul)
    return {};
  Value s, x;
  if (!matchEither(mul, [](Value y) { return static_cast<bool>(defNode(y, "Sigmoid")); }, s, x))
    return {};
  if (defNode(s, "Sigmoid").getInput(0) != x)
    return {};
  return x;
}

Value onnx_import::matchOneMinus(Value v) {
  ONNXNodeOp sub = defNode(v, "Sub");
  if (!sub || !isConstF32(sub.getInput(0), 1.0f))
    return {};
  return sub.getInput(1);
}

LogicalResult onnx_import::readTrits(Value w, bool transposed, TernaryWeights &out,
                                     std::string &why) {
  auto type = dyn_cast<RankedTensorType>(w.getType());
  if (!type || type.getRank() != 2) {
    why = "weight is not a rank-2 tensor";
    return failure();
  }
  int64_t r = type.getDimSize(0), c = type.getDimSize(1);
  out.rows = transposed ? c : r;
  out.cols = transposed ? r : c;
  out.trits.assign(r * c, 0);
  auto put = [&](int64_t i, int64_t v) {
    int64_t row = i / c, col = i % c;
    int64_t at = transposed ? col * r + row : i;
    out.trits[at] = static_cast<int8_t>(v);
  };
  if (isa<IntegerType>(type.getElementType())) {
    auto ints = getConstantInts(w);
    if (!ints) {
      why = "weight is not a constant";
      return failure();
    }
    for (int64_t i = 0, e = ints->size(); i < e; ++i) {
      int64_t v = (*ints)[i];
      if (v < -1 || v > 1) {
        why = "weight value " + std::to_string(v) + " is not in {-1, 0, 1}";
        return failure();
      }
      put(i, v);
    }
    return success();
  }
  auto data = getConstantFloatData(w);
  std::optional<SmallVector<float>> copy;
  if (!data) {
    copy = getConstantFloats(w);
    if (!copy) {
      why = "weight is not a constant";
      return failure();
    }
    data = ArrayRef<float>(*copy);
  }
  for (int64_t i = 0, e = data->size(); i < e; ++i) {
    float v = (*data)[i];
    if (v != -1.0f && v != 0.0f && v != 1.0f) {
      why = "weight value " + std::to_string(v) + " is not in {-1, 0, 1}";
      return failure();
    }
    put(i, static_cast<int64_t>(v));
  }
  return success();
}

Value onnx_import::createTernaryConstant(OpBuilder &b, Location loc,
                                         const TernaryWeights &w) {
  auto attr = TernaryAttr::get(b.getContext(), w.rows, w.cols, w.scale, w.trits);
  return ConstantOp::create(b, loc, attr);
}

void onnx_import::reportCandidate(bool enabled, Operation *op, StringRef pattern, bool fused,
                                  const Twine &detail) {
  if (!enabled)
    return;
  std::string who;
  if (auto node = dyn_cast<ONNXNodeOp>(op))
    who = node.describe();
  else
    who = op->getName().getStringRef().str();
  InFlightDiagnostic d = op->emitRemark();
  d << pattern << (fused ? " fused" : " not fused") << " at " << who;
  std::string s = detail.str();
  if (!s.empty())
    d << ": " << s;
}

void onnx_import::eraseDeadOps(Operation *root) {
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<Operation *> dead;
    root->walk<WalkOrder::PostOrder>([&](Operation *op) {
      if (op == root || !op->use_empty() || op->getNumResults() == 0)
        return;
      if (isa<ONNXNodeOp, ONNXNoneOp, arith::ConstantOp>(op) ||
          op->getDialect() == root->getContext()->getLoadedDialect<TernDialect>())
        dead.push_back(op);
    });
    for (Operation *op : dead) {
      if (op->use_empty()) {
        op->erase();
        changed = true;
      }
    }
  }
}
