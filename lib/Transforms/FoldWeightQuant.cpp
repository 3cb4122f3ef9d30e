//===- FoldWeightQuant.cpp - latent weights to packed ternary constants ---===//
#include "tern/Transforms/Passes.h"

#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNFOLDWEIGHTQUANT
#include "tern/Transforms/Passes.h.inc"

namespace {
struct FoldWeightQuantPass : impl::TernFoldWeightQuantBase<FoldWeightQuantPass> {
  void runOnOperation() override {
    // 1. Make every latent weight an explicit weight_quant (no folding yet).
    RewritePatternSet patterns(&getContext());
    populateQuantizeLatentWeightsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     GreedyRewriteConfig().enableFolding(false))))
      return signalPassFailure();
    // 2. A weight shared by several layers is quantized (and packed) once.
    IRRewriter rewriter(&getContext());
    eliminateCommonSubExpressions(rewriter, getAnalysis<DominanceInfo>(), getOperation());
    // 3. Fold weight_quant of constants into packed tern.constant ops.
    if (failed(applyPatternsGreedily(getOperation(), RewritePatternSet(&getContext()))))
      return signalPassFailure();
    markAnalysesPreserved<DominanceInfo>();
  }
};
} // namespace
} // namespace mlir::tern
