//===- TernToLinalg.cpp - rmsnorm and act_quant to linalg -----------------===//
#include "tern/Conversion/Passes.h"
#include "tern/Utils/LinalgBuilders.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNCONVERTTOLINALG
#include "tern/Conversion/Passes.h.inc"

namespace {

/// y = x / sqrt(sum(x^2) / K + eps) [* weight]
struct RMSNormToLinalg : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RMSNormOp op, PatternRewriter &b) const override {
    auto type = op.getInput().getType();
    if (!type.hasStaticShape())
      return b.notifyMatchFailure(op, "needs a static shape");
    Location loc = op.getLoc();
    Value sumSq = buildLastAxisReduction(
        b, loc, op.getInput(), b.getF32FloatAttr(0.0f),
        [](OpBuilder &nb, Location l, Value x, Value acc) -> Value {
          return arith::AddFOp::create(nb, l, acc, arith::MulFOp::create(nb, l, x, x));
        });
    SmallVector<Value> inputs = {op.getInput(), sumSq};
    if (op.getWeight())
      inputs.push_back(op.getWeight());
    bool hasWeight = static_cast<bool>(op.getWeight());
    Value count = buildF32(b, loc, static_cast<float>(type.getShape().back()));
    Value eps = buildF32(b, loc, op.getEps().convertToFloat());
    Value y = buildElementwise(
        b, loc, type.getShape(), b.getF32Type(), inputs,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value meanSq = arith::DivFOp::create(nb, l, a[1], a[hasWeight ? 3 : 2]);
          Value rms = math::SqrtOp::create(
              nb, l, arith::AddFOp::create(nb, l, meanSq, a[hasWeight ? 4 : 3]));
          Value n = arith::DivFOp::create(nb, l, a[0], rms);
          return hasWeight ? Value(arith::MulFOp::create(nb, l, n, a[2])) : n;
        },
        ValueRange{count, eps});
    b.replaceOp(op, y);
    return success();
  }
};

/// s = Q / max(max|x|, 1e-5); q = clamp(roundeven(x * s), -Q-1, Q) as i8.
struct ActQuantToLinalg : OpRewritePattern<ActQuantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ActQuantOp op, PatternRewriter &b) const override {
    auto type = op.getInput().getType();
    if (!type.hasStaticShape())
      return b.notifyMatchFailure(op, "needs a static shape");
    Location loc = op.getLoc();
    float qmax = static_cast<float>((1 << (op.getBits() - 1)) - 1);
    Value maxAbs = buildLastAxisReduction(
        b, loc, op.getInput(), b.getF32FloatAttr(0.0f),
        [](OpBuilder &nb, Location l, Value x, Value acc) -> Value {
          return arith::MaximumFOp::create(nb, l, acc, math::AbsFOp::create(nb, l, x));
        });
    auto scaleType = op.getScale().getType();
    Value scale = buildElementwise(
        b, loc, scaleType.getShape(), b.getF32Type(), {maxAbs},
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value floor = buildF32(nb, l, 1e-5f);
          return arith::DivFOp::create(nb, l, buildF32(nb, l, qmax),
                                       arith::MaximumFOp::create(nb, l, a[0], floor));
        });
    Value q = buildElementwise(
        b, loc, type.getShape(), b.getI8Type(), {op.getInput(), scale},
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value r = math::RoundEvenOp::create(nb, l, arith::MulFOp::create(nb, l, a[0], a[1]));
          // maxnum/minnum map NaN to a bound, so the i8 conversion is defined.
          r = arith::MaxNumFOp::create(nb, l, r, buildF32(nb, l, -qmax - 1.0f));
          r = arith::MinNumFOp::create(nb, l, r, buildF32(nb, l, qmax));
          return arith::FPToSIOp::create(nb, l, nb.getI8Type(), r);
        });
    b.replaceOp(op, {q, scale});
    return success();
  }
};

struct ConvertToLinalgPass : impl::TernConvertToLinalgBase<ConvertToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRMSNormToLinalgPatterns(patterns);
    populateActQuantToLinalgPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void populateRMSNormToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<RMSNormToLinalg>(patterns.getContext());
}
void populateActQuantToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ActQuantToLinalg>(patterns.getContext());
}

} // namespace mlir::tern
