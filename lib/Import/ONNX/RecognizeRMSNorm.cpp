//===- RecognizeRMSNorm.cpp - RMSNorm spelled in ONNX ops to tern.rmsnorm -===//
//
// Root: every Sqrt(Add(ReduceMean(square(x), last axis, keepdims), eps)).
// Its users dividing x by it (Div(x, r), or Mul(x, 1/r) with 1/r spelled
// Reciprocal(r) or Div(1, r)) are the norm; each following Mul by an f32 [D]
// vector is a weighted norm of its own (one normalized x may feed several).
//
//===----------------------------------------------------------------------===//
#include "RecognizeUtils.h"
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZERMSNORM
#include "tern/Import/ONNX/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

/// Square of `v`: Pow(x, 2) or Mul(x, x); returns x.
static Value matchSquare(Value v) {
  if (ONNXNodeOp pow = defNode(v, "Pow"))
    return isConstF32(pow.getInput(1), 2.0f) ? pow.getInput(0) : Value();
  if (ONNXNodeOp mul = defNode(v, "Mul"))
    return mul.getInput(0) == mul.getInput(1) ? mul.getInput(0) : Value();
  return {};
}

/// True if `mean` reduces only the last axis of a rank-`rank` tensor with keepdims.
static bool isLastAxisMean(ONNXNodeOp mean, int64_t rank) {
  if (mean.getIntAttr("keepdims", 1) != 1)
    return false;
  std::optional<SmallVector<int64_t>> axes;
  if (Value a = mean.getInput(1))
    axes = getConstantInts(a);
  else
    axes = mean.getIntsAttr("axes");
  if (!axes || axes->size() != 1)
    return rank == 1 && (!axes || axes->empty()) && !mean.getIntAttr("noop_with_empty_axes", 0);
  int64_t a = (*axes)[0];
  return normalizeAxis(a, rank) && a == rank - 1;
}

/// True if `v` is 1 / r: Reciprocal(r) or Div(1, r).
static bool isReciprocalOf(Value v, Value r) {
  if (ONNXNodeOp rec = defNode(v, "Reciprocal"))
    return rec.getInput(0) == r;
  if (ONNXNodeOp div = defNode(v, "Div"))
    return div.getInput(1) == r && isConstF32(div.getInput(0), 1.0f);
  return false;
}

struct RecognizeRMSNormPass
    : mlir::tern::impl::TernONNXRecognizeRMSNormBase<RecognizeRMSNormPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<ONNXNodeOp> roots;
    getOperation()->walk([&](ONNXNodeOp op) {
      if (op.isDefaultDomain() && op.getOpType() == "Sqrt")
        roots.push_back(op);
    });
    IRRewriter rw(&getContext());
    for (ONNXNodeOp sqrt : roots)
      tryRoot(sqrt, rw);
    eraseDeadOps(getOperation());
  }

  void tryRoot(ONNXNodeOp sqrt, IRRewriter &rw) {
    auto notFused = [&](const Twine &why) {
      reportCandidate(report, sqrt, "RMSNorm", false, why);
    };
    ONNXNodeOp add = defNode(sqrt.getInput(0), "Add");
    if (!add)
      return; // not a candidate
    Value epsV, meanV;
    if (!matchEither(add, [](Value v) { return constScalar(v).has_value(); }, epsV, meanV))
      return notFused("sqrt(mean + eps) needs a constant scalar eps");
    float eps = *constScalar(epsV);
    ONNXNodeOp mean = defNode(meanV, "ReduceMean");
    if (!mean)
      return notFused("no ReduceMean under the Sqrt");
    Value x = matchSquare(mean.getInput(0));
    if (!x)
      return notFused("the mean is not over x^2 (Pow(x, 2) or Mul(x, x))");
    auto xt = cast<RankedTensorType>(x.getType());
    if (xt.getRank() < 1 || !xt.getElementType().isF32())
      return notFused("x must be an f32 tensor of rank >= 1");
    if (!isLastAxisMean(mean, xt.getRank()))
      return notFused("ReduceMean is not over the last axis with keepdims");
    if (!(eps >= 0.0f))
      return notFused("eps is negative");
    // Users dividing x by the root: Div(x, r), or Mul(x, 1/r) with 1/r as
    // Reciprocal(r) or Div(1, r).
    Value root = sqrt->getResult(0);
    auto dividesX = [&](ONNXNodeOp u) {
      Value a, b;
      return u.isDefaultDomain() && u->getResult(0).getType() == x.getType() &&
             ((matchDivide(u->getResult(0), a, b) && a == x && b == root) ||
              (u.getOpType() == "Mul" &&
               matchEither(u, [&](Value v) { return isReciprocalOf(v, root); }, a, b) &&
               b == x));
    };
    SmallVector<ONNXNodeOp> norms;
    auto consider = [&](Operation *user) {
      if (auto u = dyn_cast<ONNXNodeOp>(user); u && dividesX(u) && !llvm::is_contained(norms, u))
        norms.push_back(u);
    };
    for (Operation *user : sqrt->getUsers()) {
      consider(user);
      if (auto u = dyn_cast<ONNXNodeOp>(user); u && isReciprocalOf(u->getResult(0), root))
        for (Operation *ru : u->getUsers())
          consider(ru);
    }
    if (norms.empty())
      return notFused("nothing divides x by the root mean square");
    for (ONNXNodeOp n : norms) {
      // Every Mul by an f32 [D] vector is a weighted norm of its own (exporters
      // share one normalized x among several weights, e.g. the f, i, g
      // projections' norms of an MLGRU).
      SmallVector<std::pair<ONNXNodeOp, Value>> weighted;
      for (Operation *user : n->getUsers()) {
        auto m = dyn_cast<ONNXNodeOp>(user);
        Value w, other;
        if (m && m.isDefaultDomain() && m.getOpType() == "Mul" &&
            matchEither(
                m,
                [&](Value v) {
                  auto t = dyn_cast<RankedTensorType>(v.getType());
                  return v != n->getResult(0) && t && t.getRank() == 1 &&
                         t.getDimSize(0) == xt.getShape().back() && t.getElementType().isF32();
                },
                w, other) &&
            other == n->getResult(0) && m->getResult(0).getType() == x.getType() &&
            !llvm::any_of(weighted, [&](auto &p) { return p.first == m; }))
          weighted.push_back({m, w});
      }
      for (auto &[wmul, weight] : weighted) {
        rw.setInsertionPoint(wmul);
        Value r = RMSNormOp::create(rw, wmul.getLoc(), x.getType(), x, weight,
                                    rw.getF32FloatAttr(eps));
        reportCandidate(report, wmul, "RMSNorm", true, "eps = " + formatEps(eps) + ", with weight");
        rw.replaceOp(wmul, r);
      }
      if (n->use_empty())
        continue;
      rw.setInsertionPoint(n);
      Value r = RMSNormOp::create(rw, n.getLoc(), x.getType(), x, Value(), rw.getF32FloatAttr(eps));
      reportCandidate(report, n, "RMSNorm", true, "eps = " + formatEps(eps) + ", no weight");
      rw.replaceOp(n, r);
    }
  }
};
} // namespace
