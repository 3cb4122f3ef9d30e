//===- FoldWeightQuant.cpp - latent weights to packed ternary constants ---===//
#include "tern/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNFOLDWEIGHTQUANT
#include "tern/Transforms/Passes.h.inc"

namespace {
struct FoldWeightQuantPass : impl::TernFoldWeightQuantBase<FoldWeightQuantPass> {
  void runOnOperation() override {
    auto countConstants = [&] {
      int64_t n = 0;
      getOperation()->walk([&](ConstantOp) { ++n; });
      return n;
    };
    int64_t constantsBefore = countConstants();
    RewritePatternSet patterns(&getContext());
    populateQuantizeLatentWeightsPatterns(patterns);
    // The greedy driver folds weight_quant of constants through its folder.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    numFolded = countConstants() - constantsBefore;
    getOperation()->walk([&](WeightQuantOp) { ++numRuntime; });
  }
};
} // namespace
} // namespace mlir::tern
