//===- RecognizeUtils.cpp - matching ONNX graphs by meaning ---------------===//
#include "RecognizeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

#include "llvm/ADT/DenseMap.h"

#include <cmath>
#include <cstdio>

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

Value onnx_import::stripIdentity(Value v) {
  while (ONNXNodeOp id = defNode(v, "Identity"))
    v = id.getInput(0);
  return v;
}

/// A constant's floats (f32, or another float type widened/narrowed to f32).
static std::optional<SmallVector<float>> constantAsF32(Value v) {
  ElementsAttr attr = getConstantElements(v);
  if (!attr || !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  if (attr.getElementType().isF32())
    return getConstantFloats(v);
  auto dense = dyn_cast<DenseFPElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  SmallVector<float> out;
  for (APFloat f : dense.getValues<APFloat>()) {
    bool lost;
    f.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    out.push_back(f.convertToFloat());
  }
  return out;
}

/// True if `cast` is a Cast to f32 (`to` as a type, or TensorProto.FLOAT = 1).
static bool castsToF32(ONNXNodeOp cast) {
  Attribute to = cast.getONNXAttr("to");
  if (auto t = dyn_cast_or_null<TypeAttr>(to))
    return t.getValue().isF32();
  return cast.getIntAttr("to", 0) == 1;
}

/// Skips Identity and Cast to f32.
static Value stripFloatCasts(Value v) {
  while (true) {
    v = stripIdentity(v);
    ONNXNodeOp cast = defNode(v, "Cast");
    if (!cast || !castsToF32(cast) ||
        !isa<FloatType>(getElementTypeOrSelf(cast.getInput(0).getType())))
      return v;
    v = cast.getInput(0);
  }
}

std::optional<float> onnx_import::constScalar(Value v) {
  if (!v)
    return std::nullopt;
  v = stripFloatCasts(v);
  // Cast(integer constant) to f32: torch writes clamp(-128, 127) bounds so.
  if (ONNXNodeOp cast = defNode(v, "Cast"); cast && castsToF32(cast))
    if (std::optional<int64_t> i = getScalarInt(cast.getInput(0)))
      return static_cast<float>(*i);
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.hasStaticShape() || t.getNumElements() != 1)
    return std::nullopt;
  auto data = constantAsF32(v);
  if (!data || data->size() != 1)
    return std::nullopt;
  return (*data)[0];
}

bool onnx_import::isConstF32(Value v, float x) {
  std::optional<float> f = constScalar(v);
  return f && *f == x;
}

std::optional<float> onnx_import::foldedTernaryMagnitude(ArrayRef<float> data, std::string &why) {
  llvm::DenseMap<uint32_t, int64_t> counts; // |v| bit pattern -> occurrences
  float mag = 0.0f;
  int64_t best = 0;
  for (float x : data) {
    if (!std::isfinite(x)) {
      why = "the constant weight has non-finite values";
      return std::nullopt;
    }
    if (x == 0.0f)
      continue;
    float ax = std::fabs(x);
    int64_t &c = counts[llvm::bit_cast<uint32_t>(ax)];
    if (++c > best || (c == best && ax < mag))
      best = c, mag = ax;
  }
  if (mag == 0.0f)
    return 0.0f;
  for (float x : data)
    if (x != 0.0f && std::fabs(std::fabs(x) - mag) > kFoldedTernaryRelTol * mag) {
      why = "the constant weight has values other than {-a, 0, +a} (|" + std::to_string(x) +
            "| vs a = " + std::to_string(mag) + ", tolerance 1e-5 relative)";
      return std::nullopt;
    }
  return mag;
}

namespace {
struct ConstTensor {
  SmallVector<int64_t> shape;
  SmallVector<float> data;
};
} // namespace

static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> st(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    st[i] = st[i + 1] * shape[i + 1];
  return st;
}

/// Offset into a tensor of `shape` broadcast to `out` for the flat output index `i`.
static int64_t broadcastOffset(int64_t i, ArrayRef<int64_t> out, ArrayRef<int64_t> shape) {
  int64_t off = 0, stride = 1;
  for (int64_t d = (int64_t)out.size() - 1, s = (int64_t)shape.size() - 1; d >= 0; --d, --s) {
    int64_t idx = i % out[d];
    i /= out[d];
    if (s >= 0) {
      if (shape[s] != 1)
        off += idx * stride;
      stride *= shape[s];
    }
  }
  return off;
}

static std::optional<ConstTensor> evaluate(Value v, int depth) {
  constexpr int64_t kMaxElements = int64_t(1) << 26;
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (depth > 16 || !type || !type.hasStaticShape() || type.getNumElements() > kMaxElements ||
      !isa<FloatType>(type.getElementType()))
    return std::nullopt;
  ConstTensor out;
  out.shape.assign(type.getShape().begin(), type.getShape().end());
  if (getConstantElements(v)) {
    auto data = constantAsF32(v);
    if (!data)
      return std::nullopt;
    out.data = std::move(*data);
    return out;
  }
  auto op = v.getDefiningOp<ONNXNodeOp>();
  if (!op || !op.isDefaultDomain() || op->getNumResults() != 1)
    return std::nullopt;
  StringRef t = op.getOpType();
  int64_t n = type.getNumElements();
  auto in = [&](unsigned k) -> std::optional<ConstTensor> {
    return op.getInput(k) ? evaluate(op.getInput(k), depth + 1) : std::nullopt;
  };
  if (t == "Identity" || (t == "Cast" && castsToF32(op)) || t == "Squeeze" ||
      t == "Unsqueeze" || t == "Reshape") {
    auto a = in(0);
    if (!a || (int64_t)a->data.size() != n)
      return std::nullopt;
    out.data = std::move(a->data);
    return out;
  }
  if (t == "Abs" || t == "Round" || t == "Reciprocal" || t == "Neg") {
    auto a = in(0);
    if (!a || (int64_t)a->data.size() != n)
      return std::nullopt;
    for (float &x : a->data)
      x = t == "Abs" ? std::fabs(x) : t == "Round" ? std::nearbyint(x) // half to even
                                  : t == "Neg" ? -x : 1.0f / x;
    out.data = std::move(a->data);
    return out;
  }
  if (t == "Clip") {
    auto a = in(0);
    std::optional<float> lo = op.getInput(1) ? constScalar(op.getInput(1)) : -INFINITY;
    std::optional<float> hi = op.getInput(2) ? constScalar(op.getInput(2)) : INFINITY;
    if (!a || !lo || !hi || (int64_t)a->data.size() != n)
      return std::nullopt;
    for (float &x : a->data)
      x = std::min(std::max(x, *lo), *hi);
    out.data = std::move(a->data);
    return out;
  }
  if (t == "Transpose") {
    auto a = in(0);
    auto perm = op.getIntsAttr("perm");
    if (!a || a->shape.size() != 2 || (perm && (*perm != SmallVector<int64_t>{1, 0})))
      return std::nullopt;
    int64_t r = a->shape[0], c = a->shape[1];
    out.data.resize(n);
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j)
        out.data[j * r + i] = a->data[i * c + j];
    return out;
  }
  if (t == "ReduceMean" && n == 1) { // the mean over every element
    auto a = in(0);
    if (!a || op.getInputs().size() > 1 || op.getIntsAttr("axes"))
      return std::nullopt;
    double sum = 0.0;
    for (float x : a->data)
      sum += x;
    out.data = {static_cast<float>(sum / a->data.size())};
    return out;
  }
  if (t == "Add" || t == "Sub" || t == "Mul" || t == "Div" || t == "Max" || t == "Min") {
    auto a = in(0), b = in(1);
    if (!a || !b)
      return std::nullopt;
    out.data.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      float x = a->data[broadcastOffset(i, out.shape, a->shape)];
      float y = b->data[broadcastOffset(i, out.shape, b->shape)];
      out.data[i] = t == "Add"   ? x + y
                    : t == "Sub" ? x - y
                    : t == "Mul" ? x * y
                    : t == "Div" ? x / y
                    : t == "Max" ? std::max(x, y)
                                 : std::min(x, y);
    }
    return out;
  }
  if (t == "Softmax" || t == "CumSum") {
    auto a = in(0);
    if (!a)
      return std::nullopt;
    int64_t rank = out.shape.size(), axis;
    if (t == "Softmax") {
      axis = op.getIntAttr("axis", op.getOpset() >= 13 ? -1 : 1);
      if (op.getOpset() < 13)
        return std::nullopt; // older Softmax flattens to 2-D
    } else {
      std::optional<int64_t> ax = getScalarInt(op.getInput(1));
      if (!ax || op.getIntAttr("exclusive", 0) || op.getIntAttr("reverse", 0))
        return std::nullopt;
      axis = *ax;
    }
    if (!normalizeAxis(axis, rank))
      return std::nullopt;
    SmallVector<int64_t> st = stridesOf(out.shape);
    int64_t len = out.shape[axis], stride = st[axis];
    out.data = a->data;
    for (int64_t base = 0; base < n; ++base) {
      if ((base / stride) % len != 0)
        continue; // visit each line once, from its first element
      if (t == "CumSum") {
        for (int64_t k = 1; k < len; ++k)
          out.data[base + k * stride] += out.data[base + (k - 1) * stride];
        continue;
      }
      float mx = -INFINITY, sum = 0.0f;
      for (int64_t k = 0; k < len; ++k)
        mx = std::max(mx, out.data[base + k * stride]);
      for (int64_t k = 0; k < len; ++k)
        sum += out.data[base + k * stride] = std::exp(out.data[base + k * stride] - mx);
      for (int64_t k = 0; k < len; ++k)
        out.data[base + k * stride] /= sum;
    }
    return out;
  }
  if (t == "Gather") {
    auto a = in(0);
    auto idx = getConstantInts(op.getInput(1));
    if (!a || !idx)
      return std::nullopt;
    int64_t axis = op.getIntAttr("axis", 0), rank = a->shape.size();
    if (!normalizeAxis(axis, rank))
      return std::nullopt;
    int64_t outer = 1, inner = 1, len = a->shape[axis];
    for (int64_t d = 0; d < axis; ++d)
      outer *= a->shape[d];
    for (int64_t d = axis + 1; d < rank; ++d)
      inner *= a->shape[d];
    int64_t m = idx->size();
    if (outer * m * inner != n)
      return std::nullopt;
    out.data.resize(n);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < m; ++j) {
        int64_t k = (*idx)[j] < 0 ? (*idx)[j] + len : (*idx)[j];
        if (k < 0 || k >= len)
          return std::nullopt;
        for (int64_t i = 0; i < inner; ++i)
          out.data[(o * m + j) * inner + i] = a->data[(o * len + k) * inner + i];
      }
    return out;
  }
  return std::nullopt;
}

std::optional<SmallVector<float>> onnx_import::evaluateConstantF32(Value v) {
  if (!v)
    return std::nullopt;
  auto r = evaluate(v, 0);
  if (!r)
    return std::nullopt;
  return std::move(r->data);
}

Value onnx_import::matchClampBelow(Value v, float &lo) {
  if (ONNXNodeOp clip = defNode(v, "Clip")) {
    Value l = clip.getInput(1);
    std::optional<float> f = constScalar(l);
    if (!f || clip.getInput(2))
      return {};
    lo = *f;
    return clip.getInput(0);
  }
  if (ONNXNodeOp mx = defNode(v, "Max")) {
    Value c, u;
    if (!matchEither(mx, [](Value x) { return constScalar(x).has_value(); }, c, u))
      return {};
    lo = *constScalar(c);
    return u;
  }
  return {};
}

Value onnx_import::matchClamp(Value v, float &lo, float &hi) {
  if (ONNXNodeOp clip = defNode(v, "Clip")) {
    std::optional<float> l = constScalar(clip.getInput(1)), h = constScalar(clip.getInput(2));
    if (!l || !h)
      return {};
    lo = *l, hi = *h;
    return clip.getInput(0);
  }
  auto scalarOf = [](Value x) { return constScalar(x).has_value(); };
  Value c, u;
  if (ONNXNodeOp mn = defNode(v, "Min"); mn && matchEither(mn, scalarOf, c, u)) {
    hi = *constScalar(c);
    Value c2, u2;
    if (ONNXNodeOp mx = defNode(u, "Max"); mx && matchEither(mx, scalarOf, c2, u2)) {
      lo = *constScalar(c2);
      return u2;
    }
    return {};
  }
  if (ONNXNodeOp mx = defNode(v, "Max"); mx && matchEither(mx, scalarOf, c, u)) {
    lo = *constScalar(c);
    Value c2, u2;
    if (ONNXNodeOp mn = defNode(u, "Min"); mn && matchEither(mn, scalarOf, c2, u2)) {
      hi = *constScalar(c2);
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

std::string onnx_import::formatEps(float eps) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(eps));
  std::string s = buf;
  // %g picks fixed notation for 1e-4 and above; always use scientific.
  if (s.find('e') == std::string::npos && eps != 0.0f) {
    std::snprintf(buf, sizeof buf, "%.5e", static_cast<double>(eps));
    s = buf;
    // trim zeros of the mantissa: 1.00000e-03 -> 1e-03
    size_t e = s.find('e'), last = e;
    while (last > 0 && s[last - 1] == '0')
      --last;
    if (last > 0 && s[last - 1] == '.')
      --last;
    s = s.substr(0, last) + s.substr(e);
  }
  return s;
}

void onnx_import::reportCandidate(bool enabled, Operation *op, StringRef pattern, bool fused,
                                  const Twine &detail) {
  if (!enabled)
    return;
  std::string who;
  if (auto node = dyn_cast<ONNXNodeOp>(op))
    who = node.describe();
  else {
    who = op->getName().getStringRef().str();
    // A recognized op keeps the ONNX node's name as its location.
    if (StringRef name = getONNXNodeName(op->getLoc()); !name.empty())
      who += " '" + name.str() + "'";
  }
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
