//===- RecognizeBitLinear.cpp - BitLinear in standard ONNX to tern.bitlinear ===//
//
// Candidates: every MatMul and Gemm. Fused when
//  * the left operand is activation quantization dequantized again:
//      q / s_x, q = clip(round(xn * s_x), -2^(b-1), 2^(b-1)-1),
//      s_x = (2^(b-1)-1) / max(ReduceMax(|xn|, last axis, keepdims), 1e-5)
//    (Div or Mul by Reciprocal, Clip or Max/Min, operands in any order);
//    xn produced by a tern.rmsnorm with a weight is fused as the norm;
//  * the right operand is ternary weights, through any Transpose:
//      2a  clip(round(W * s_w), -1, 1) / s_w on a constant latent W with
//          s_w = 1 / max(mean|W|, 1e-5) (or a constant s_w),
//      2b  a constant with values {-a, 0, +a}            (s_w = 1/a), up to
//          kFoldedTernaryRelTol (fp32 rounding of a folded `w + (q(w) - w)`),
//          or any partly folded quantization computed from constants only
//          (evaluated, then the same test),
//      3   DequantizeLinear(int8 {-1,0,1}, c, 0) or Cast(int8) * c (s_w = 1/c).
// Anything else stays a float computation; with `report` every candidate
// gets a remark saying what was fused or why not.
//
//===----------------------------------------------------------------------===//
#include "RecognizeUtils.h"
#include "tern/Import/ONNX/Passes.h"
#include "tern/Support/TernaryPacking.h"

#include <cmath>
#include <map>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZEBITLINEAR
#include "tern/Import/ONNX/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

constexpr float kScaleFloor = 1e-5f;

struct ActMatch {
  Value x;    // BitLinear input
  Value norm; // fused RMSNorm weight, or null
  float eps = 1e-6f;
  int64_t bits = 8;
};

struct WeightMatch {
  std::string form;
  Value latent; // latent f32 [N, K] constant usable as is
  Value source; // the constant the weights come from
  bool transposed = false;
  // Ternary (or latent needing a transpose): computed weights.
  std::optional<TernaryWeights> ternary;
  bool latentTransposed = false;
};

/// True if `mean` reduces over all axes of its input.
static bool reducesAll(ONNXNodeOp mean) {
  auto rank = cast<RankedTensorType>(mean.getInput(0).getType()).getRank();
  std::optional<SmallVector<int64_t>> axes;
  if (Value a = mean.getInput(1))
    axes = getConstantInts(a);
  else
    axes = mean.getIntsAttr("axes");
  if (!axes || axes->empty())
    return !mean.getIntAttr("noop_with_empty_axes", 0);
  SmallVector<bool> seen(rank, false);
  for (int64_t a : *axes) {
    if (!normalizeAxis(a, rank))
      return false;
    seen[a] = true;
  }
  return llvm::all_of(seen, [](bool b) { return b; });
}

static bool isLastAxisReduce(ONNXNodeOp r) {
  int64_t rank = cast<RankedTensorType>(r.getInput(0).getType()).getRank();
  if (r.getIntAttr("keepdims", 1) != 1)
    return false;
  std::optional<SmallVector<int64_t>> axes;
  if (Value a = r.getInput(1))
    axes = getConstantInts(a);
  else
    axes = r.getIntsAttr("axes");
  if (!axes || axes->size() != 1)
    return rank == 1 && (!axes || axes->empty());
  int64_t a = (*axes)[0];
  return normalizeAxis(a, rank) && a == rank - 1;
}

LogicalResult matchActivations(Value a, ActMatch &m, std::string &why) {
  Value q, s;
  if (!matchDivide(a, q, s)) {
    why = "the activations are not dequantized (q / s_x)";
    return failure();
  }
  float lo, hi;
  Value r = matchClamp(q, lo, hi);
  if (!r) {
    why = "q is not clip(round(x * s_x), lo, hi)";
    return failure();
  }
  ONNXNodeOp round = defNode(r, "Round");
  if (!round) {
    why = "no Round before the activation clip";
    return failure();
  }
  m.bits = 0;
  for (int64_t b = 2; b <= 8; ++b)
    if (hi == float((1 << (b - 1)) - 1) && lo == -float(1 << (b - 1)))
      m.bits = b;
  if (!m.bits) {
    why = "activation clip bounds [" + std::to_string(lo) + ", " + std::to_string(hi) +
          "] are not [-2^(b-1), 2^(b-1)-1] for b in 2..8";
    return failure();
  }
  ONNXNodeOp mul = defNode(round.getInput(0), "Mul");
  Value sv, xn;
  if (!mul || !matchEither(mul, [&](Value v) { return v == s; }, sv, xn)) {
    why = "the rounded value is not x * s_x with the same s_x as the dequantization";
    return failure();
  }
  Value num, den;
  if (!matchDivide(s, num, den) || !isConstF32(num, hi)) {
    why = "s_x is not (2^(b-1)-1) / max|x|";
    return failure();
  }
  float floorV;
  Value mx = matchClampBelow(den, floorV);
  if (!mx || floorV != kScaleFloor) {
    why = "max|x| is not clamped below by 1e-5";
    return failure();
  }
  ONNXNodeOp rmax = defNode(mx, "ReduceMax");
  if (!rmax || !isLastAxisReduce(rmax)) {
    why = "s_x does not use ReduceMax over the last axis with keepdims";
    return failure();
  }
  ONNXNodeOp abs = defNode(rmax.getInput(0), "Abs");
  if (!abs || abs.getInput(0) != xn) {
    why = "ReduceMax is not over |x| of the quantized x";
    return failure();
  }
  auto xt = dyn_cast<RankedTensorType>(xn.getType());
  if (!xt || !xt.getElementType().isF32() || xt.getRank() < 1) {
    why = "x must be an f32 tensor";
    return failure();
  }
  m.x = xn;
  if (auto norm = xn.getDefiningOp<RMSNormOp>(); norm && norm.getWeight()) {
    m.x = norm.getInput();
    m.norm = norm.getWeight();
    m.eps = norm.getEps().convertToFloat();
  }
  return success();
}

/// W [rows, cols] constant f32 data (zero-copy when possible).
static std::optional<ArrayRef<float>> floatData(Value w, std::optional<SmallVector<float>> &store) {
  if (auto d = getConstantFloatData(w))
    return d;
  store = getConstantFloats(w);
  if (!store)
    return std::nullopt;
  return ArrayRef<float>(*store);
}

/// Ternary weights from constant floats: clip(round(W * scale), -1, 1).
static void quantizeWith(ArrayRef<float> w, int64_t r, int64_t c, bool transposed, float scale,
                         TernaryWeights &out) {
  out.rows = transposed ? c : r;
  out.cols = transposed ? r : c;
  out.trits.assign(r * c, 0);
  out.scale = scale;
  for (int64_t i = 0; i < r * c; ++i) {
    int64_t at = transposed ? (i % c) * r + i / c : i;
    out.trits[at] = ::tern::quantizeTrit(w[i], scale);
  }
}

LogicalResult matchWeight(Value v, bool isNK, WeightMatch &m, std::string &why);

/// Dequantized latent weights: clip(round(W * s), -1, 1) / s.
static LogicalResult matchLatent(Value t, Value s, bool isNK, WeightMatch &m, std::string &why) {
  float lo, hi;
  Value r = matchClamp(t, lo, hi);
  if (!r || lo != -1.0f || hi != 1.0f)
    return why = "the weight is not clip(round(W * s_w), -1, 1) / s_w", failure();
  ONNXNodeOp round = defNode(r, "Round");
  ONNXNodeOp mul = round ? defNode(round.getInput(0), "Mul") : ONNXNodeOp();
  Value sv, w;
  if (!mul || !matchEither(mul, [&](Value x) { return x == s; }, sv, w))
    return why = "the weight is not clip(round(W * s_w), -1, 1) / s_w with one s_w", failure();
  auto wt = dyn_cast<RankedTensorType>(w.getType());
  if (!wt || wt.getRank() != 2 || !wt.getElementType().isF32() || !getConstantElements(w))
    return why = "the latent weight W is not a constant f32 matrix", failure();
  int64_t rows = wt.getDimSize(0), cols = wt.getDimSize(1);
  m.source = w;
  if (std::optional<float> c = constScalar(s)) { // scale already folded
    if (!(*c > 0.0f) || !std::isfinite(*c))
      return why = "the weight scale is not positive", failure();
    std::optional<SmallVector<float>> store;
    auto data = floatData(w, store);
    if (!data)
      return why = "cannot read the latent weight", failure();
    TernaryWeights tw;
    quantizeWith(*data, rows, cols, !isNK, *c, tw);
    m.ternary = std::move(tw);
    m.form = "2a (latent weight, constant scale)";
    return success();
  }
  // s = 1 / max(mean|W|, 1e-5)
  Value one, den;
  if (ONNXNodeOp rec = defNode(s, "Reciprocal")) {
    den = rec.getInput(0);
  } else if (!matchDivide(s, one, den) || !isConstF32(one, 1.0f)) {
    return why = "s_w is not 1 / max(mean|W|, 1e-5)", failure();
  }
  float floorV;
  Value mean = matchClampBelow(den, floorV);
  if (!mean || floorV != kScaleFloor)
    return why = "mean|W| is not clamped below by 1e-5", failure();
  ONNXNodeOp rmean = defNode(mean, "ReduceMean");
  if (!rmean || !reducesAll(rmean))
    return why = "s_w does not use ReduceMean over the whole weight", failure();
  ONNXNodeOp abs = defNode(rmean.getInput(0), "Abs");
  if (!abs || abs.getInput(0) != w)
    return why = "s_w is not computed from |W| of the same W", failure();
  m.form = "2a (latent weight)";
  if (isNK) {
    m.latent = w;
    return success();
  }
  std::optional<SmallVector<float>> store;
  auto data = floatData(w, store);
  if (!data)
    return why = "cannot read the latent weight", failure();
  if (!llvm::all_of(*data, [](float x) { return std::isfinite(x); }))
    return why = "the latent weight has non-finite values", failure();
  TernaryWeights tw;
  quantizeWith(*data, rows, cols, /*transposed=*/true,
               ::tern::absmeanScale(data->data(), data->size()), tw);
  m.ternary = std::move(tw);
  return success();
}

LogicalResult matchWeight(Value v, bool isNK, WeightMatch &m, std::string &why) {
  auto vt = dyn_cast<RankedTensorType>(v.getType());
  if (!vt || vt.getRank() != 2 || !vt.getElementType().isF32())
    return why = "the weight is not an f32 matrix", failure();
  if (ONNXNodeOp t = defNode(v, "Transpose")) {
    auto perm = t.getIntsAttr("perm");
    if (perm && !(perm->size() == 2 && (*perm)[0] == 1 && (*perm)[1] == 0))
      return why = "the weight transpose is not [1, 0]", failure();
    m.transposed = !m.transposed;
    return matchWeight(t.getInput(0), !isNK, m, why);
  }
  // 3: DequantizeLinear(q, scale, zp)
  if (ONNXNodeOp dq = defNode(v, "DequantizeLinear")) {
    std::optional<float> c = constScalar(dq.getInput(1));
    if (!c || !(*c > 0.0f) || !std::isfinite(*c))
      return why = "DequantizeLinear needs one constant positive scale (per-tensor)", failure();
    if (Value zp = dq.getInput(2)) {
      auto z = getConstantInts(zp);
      if (!z || llvm::any_of(*z, [](int64_t x) { return x != 0; }))
        return why = "DequantizeLinear zero point is not 0", failure();
    }
    TernaryWeights tw;
    if (failed(readTrits(dq.getInput(0), !isNK, tw, why)))
      return failure();
    tw.scale = 1.0f / *c;
    m.ternary = std::move(tw);
    m.source = dq.getInput(0);
    m.form = "3 (int8 through DequantizeLinear)";
    return success();
  }
  Value a, b;
  // 3: Cast(q) * c, or Cast(q) / c'
  if (ONNXNodeOp mul = defNode(v, "Mul")) {
    Value castV, c;
    if (matchEither(mul, [](Value x) { return static_cast<bool>(defNode(x, "Cast")); }, castV, c)) {
      std::optional<float> k = constScalar(c);
      if (!k || !(*k > 0.0f) || !std::isfinite(*k))
        return why = "Cast(q) * c needs a constant positive scalar c", failure();
      TernaryWeights tw;
      if (failed(readTrits(defNode(castV, "Cast").getInput(0), !isNK, tw, why)))
        return failure();
      tw.scale = 1.0f / *k;
      m.ternary = std::move(tw);
      m.source = defNode(castV, "Cast").getInput(0);
      m.form = "3 (int8 through Cast and Mul)";
      return success();
    }
  }
  if (matchDivide(v, a, b)) {
    if (ONNXNodeOp cast = defNode(a, "Cast")) {
      std::optional<float> k = constScalar(b);
      if (!k || !(*k > 0.0f) || !std::isfinite(*k))
        return why = "Cast(q) / c needs a constant positive scalar c", failure();
      TernaryWeights tw;
      if (failed(readTrits(cast.getInput(0), !isNK, tw, why)))
        return failure();
      tw.scale = *k;
      m.ternary = std::move(tw);
      m.source = cast.getInput(0);
      m.form = "3 (int8 through Cast and Div)";
      return success();
    }
    if (succeeded(matchLatent(a, b, isNK, m, why)))
      return success();
    if (!evaluateConstantF32(b))
      return failure();
    // Otherwise a constant computation: evaluated below.
  }
  // 2b: a constant with values {-a, 0, +a} (up to fp32 rounding), or a
  // partly folded quantization computed from constants only.
  std::optional<SmallVector<float>> store;
  std::optional<ArrayRef<float>> data;
  StringRef form = "2b (constant-folded {-a, 0, +a} weight)";
  if (getConstantElements(v)) {
    data = floatData(v, store);
    if (!data)
      return why = "cannot read the weight constant", failure();
  } else if ((store = evaluateConstantF32(v))) {
    data = ArrayRef<float>(*store);
    form = "2b (weight quantization partly folded, evaluated)";
  }
  if (data) {
    std::optional<float> mag = foldedTernaryMagnitude(*data, why);
    if (!mag)
      return failure();
    int64_t r = vt.getDimSize(0), c = vt.getDimSize(1);
    TernaryWeights tw;
    tw.rows = isNK ? r : c;
    tw.cols = isNK ? c : r;
    tw.trits.assign(r * c, 0);
    for (int64_t i = 0; i < r * c; ++i) {
      int64_t at = isNK ? i : (i % c) * r + i / c;
      float x = (*data)[i];
      tw.trits[at] = x > 0 ? 1 : x < 0 ? -1 : 0;
    }
    tw.scale = *mag > 0.0f ? 1.0f / *mag : 1.0f;
    m.ternary = std::move(tw);
    m.source = v;
    m.form = form.str();
    return success();
  }
  return why = "the weight is not a constant (or a recognized quantization of one)", failure();
}

struct RecognizeBitLinearPass
    : mlir::tern::impl::TernONNXRecognizeBitLinearBase<RecognizeBitLinearPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<ONNXNodeOp> candidates;
    getOperation()->walk([&](ONNXNodeOp op) {
      if (op.isDefaultDomain() && (op.getOpType() == "MatMul" || op.getOpType() == "Gemm"))
        candidates.push_back(op);
    });
    IRRewriter rw(&getContext());
    for (ONNXNodeOp op : candidates)
      tryCandidate(op, rw);
    eraseDeadOps(getOperation());
  }

  void tryCandidate(ONNXNodeOp op, IRRewriter &rw) {
    auto notFused = [&](const Twine &why) { reportCandidate(report, op, "BitLinear", false, why); };
    bool nk = false;
    Value bias;
    if (op.getOpType() == "Gemm") {
      // A bias (an optimizer's MatMul + Add fusion, e.g. onnxruntime folding
      // the residual into the o projection) stays an Add after the BitLinear.
      bias = op.getInput(2);
      if (bias && op.getFloatAttr("beta", 1.0f) != 1.0f)
        return notFused("Gemm with a bias C and beta != 1");
      if (op.getIntAttr("transA", 0) || op.getFloatAttr("alpha", 1.0f) != 1.0f)
        return notFused("Gemm with transA or alpha != 1");
      nk = op.getIntAttr("transB", 0) != 0;
    }
    auto bt = dyn_cast<RankedTensorType>(op.getInput(1).getType());
    if (!bt || bt.getRank() != 2)
      return notFused("the right operand is not a matrix");
    ActMatch act;
    std::string why;
    if (failed(matchActivations(op.getInput(0), act, why)))
      return notFused(why);
    WeightMatch wm;
    if (failed(matchWeight(op.getInput(1), nk, wm, why)))
      return notFused(why);
    // Shapes: x [..., K], W [N, K], y [..., N].
    auto xt = cast<RankedTensorType>(act.x.getType());
    int64_t n, k;
    if (wm.latent) {
      auto lt = cast<RankedTensorType>(wm.latent.getType());
      n = lt.getDimSize(0), k = lt.getDimSize(1);
    } else {
      n = wm.ternary->rows, k = wm.ternary->cols;
    }
    SmallVector<int64_t> expected(xt.getShape());
    expected.back() = n;
    if (xt.getShape().back() != k ||
        cast<RankedTensorType>(op->getResult(0).getType()).getShape() != ArrayRef<int64_t>(expected))
      return notFused("the shapes do not form a BitLinear (x [..., K], W [N, K])");
    rw.setInsertionPoint(op);
    Value weight = wm.latent;
    if (!weight) {
      auto key = std::make_tuple(wm.source.getAsOpaquePointer(), wm.transposed != nk,
                                 wm.ternary->scale);
      auto it = cache.find(key);
      if (it != cache.end() && it->second.first == rw.getInsertionBlock()) {
        weight = it->second.second;
      } else {
        weight = createTernaryConstant(rw, op.getLoc(), *wm.ternary);
        cache[key] = {rw.getInsertionBlock(), weight};
      }
    }
    Value y = BitLinearOp::create(rw, op.getLoc(), op->getResult(0).getType(), act.x, weight,
                                  act.norm, rw.getF32FloatAttr(act.eps),
                                  rw.getI32IntegerAttr(act.bits));
    reportCandidate(report, op, "BitLinear", true,
                    "form " + wm.form + ", " + std::to_string(act.bits) + "-bit activations" +
                        (act.norm ? ", RMSNorm fused" : "") + (bias ? ", Gemm bias added" : ""));
    if (bias)
      y = ONNXNodeOp::create(rw, op.getLoc(), TypeRange{y.getType()}, ValueRange{y, bias}, "Add",
                             "", op.getOpset(), rw.getDictionaryAttr({}), rw.getStrArrayAttr({}),
                             0u)
              ->getResult(0);
    rw.replaceOp(op, y);
  }

  /// Ternary constants already made, by (source, transposed).
  std::map<std::tuple<void *, bool, float>, std::pair<Block *, Value>> cache;
};
} // namespace
