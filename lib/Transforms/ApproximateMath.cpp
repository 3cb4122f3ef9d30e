//===- ApproximateMath.cpp - polynomial math.exp for the CPU backend ------===//
//
// The gates' sigmoid and SiLU call expf once per element; as a libm call it
// keeps LLVM from vectorizing their loops and sets errno on underflow. MLIR's
// polynomial form is plain arith, so the loops vectorize.
//
//===----------------------------------------------------------------------===//
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNAPPROXIMATEMATH
#include "tern/Transforms/Passes.h.inc"

namespace {
struct ApproximateMathPass : impl::TernApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns,
                                                [](StringRef name) { return name == math::ExpOp::getOperationName(); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::tern
