//===- RecognizeRMSNorm.cpp - RMSNorm spelled in ONNX ops to tern.rmsnorm -===//
//
// Root: every Sqrt(Add(ReduceMean(square(x), last axis, keepdims), eps)).
// Its users dividing x by it (Div, or Mul by its Reciprocal) are the norm;
// a following Mul by an f32 [D] vector is its weight.
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
    if (!matchEither(add, [](Value v) { return getScalarFloat(v).has_value(); }, epsV, meanV))
      return notFused("sqrt(mean + eps) needs a constant scalar eps");
    float eps = *getScalarFloat(epsV);
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
    // Users dividing x by the root.
    SmallVector<ONNXNodeOp> norms;
    for (Operation *user : sqrt->getUsers()) {
      auto u = dyn_cast<ONNXNodeOp>(user);
      if (!u)
        continue;
      Value a, b;
      if (matchDivide(u->getResult(0), a, b) && a == x && b == sqrt->getResult(0) &&
          u->getResult(0).getType() == x.getType())
        norms.push_back(u);
      else if (u.getOpType() == "Reciprocal")
        for (Operation *ru : u->getUsers())
          if (auto m = dyn_cast<ONNXNodeOp>(ru);
              m && matchDivide(m->getResult(0), a, b) && a == x && b == sqrt->getResult(0) &&
              m->getResult(0).getType() == x.getType())
            norms.push_back(m);
    }
    if (norms.empty())
      return notFused("nothing divides x by the root mean square");
    for (ONNXNodeOp n : norms) {
      // A single Mul by an f32 [D] vector is the weight.
      Value weight;
      ONNXNodeOp wmul;
      if (n->hasOneUse())
        if (auto m = dyn_cast<ONNXNodeOp>(*n->getUsers().begin());
            m && m.isDefaultDomain() && m.getOpType() == "Mul") {
          Value w, other;
          if (matchEither(
                  m,
                  [&](Value v) {
                    auto t = dyn_cast<RankedTensorType>(v.getType());
                    return v != n->getResult(0) && t && t.getRank() == 1 &&
                           t.getDimSize(0) == xt.getShape().back() &&
                           t.getElementType().isF32();
                  },
                  w, other) &&
              other == n->getResult(0) && m->getResult(0).getType() == x.getType()) {
            weight = w;
            wmul = m;
          }
        }
      rw.setInsertionPoint(wmul ? wmul : n);
      Value r = RMSNormOp::create(rw, (wmul ? wmul : n).getLoc(), x.getType(), x, weight,
                                  rw.getF32FloatAttr(eps));
      reportCandidate(report, wmul ? wmul : n, "RMSNorm", true,
                      Twine("eps = ") + std::to_string(eps) +
                          (weight ? ", with weight" : ", no weight"));
      rw.replaceOp(wmul ? wmul : n, r);
    }
  }
};
} // namespace
