//===- FuseElementwise.cpp - bounded fusion of element-wise chains --------===//
//
// Every element-wise node became a loop, a buffer and an allocation that
// each later pass and LLVM carried: a 20,000-node chain spent ~2 ms per node
// in lowering and code generation. Fusing a producer into its only consumer
// keeps the element in a register and leaves one loop per run of ops. The
// fused body is bounded (`max-body-ops`) so no single loop body, and no
// LLVM basic block unrolled from it, grows with the graph.
//
// The walk is one pass in program order: a consumer absorbs its producers
// (which come before it and were already visited, so they are already
// fused themselves), and the result is the producer its own users see.
// Upstream's greedy pattern would do the same fusions with a worklist; this
// walk visits each op once, and touches no op the control rejects (the
// greedy set also folds constants into any generic, kernels included).
//
//===----------------------------------------------------------------------===//
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNFUSEELEMENTWISE
#include "tern/Transforms/Passes.h.inc"

namespace {

/// All loops parallel, on tensors, and nothing a later pass matches on.
bool isPlainElementwise(linalg::GenericOp op) {
  return op && op.hasPureTensorSemantics() &&
         op.getNumLoops() == op.getNumParallelLoops() &&
         op->getDiscardableAttrDictionary().empty();
}

unsigned bodyOps(linalg::GenericOp op) {
  return op.getBody()->getOperations().size() - 1; // without linalg.yield
}

struct FuseElementwisePass : impl::TernFuseElementwiseBase<FuseElementwisePass> {
  using Base::Base;

  /// The operand of `consumer` whose producer may be fused into it, or null.
  OpOperand *findFusable(linalg::GenericOp consumer) {
    for (OpOperand *operand : consumer.getDpsInputOperands()) {
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      if (!isPlainElementwise(producer) || !producer->hasOneUse() ||
          !consumer.getMatchingIndexingMap(operand).isIdentity() ||
          bodyOps(producer) + bodyOps(consumer) > maxBodyOps ||
          !linalg::areElementwiseOpsFusable(operand))
        continue;
      return operand;
    }
    return nullptr;
  }

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> consumers;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (isPlainElementwise(op))
        consumers.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp consumer : consumers) {
      while (OpOperand *operand = findFusable(consumer)) {
        Operation *producer = operand->get().getDefiningOp();
        rewriter.setInsertionPoint(consumer);
        FailureOr<linalg::ElementwiseOpFusionResult> fused =
            linalg::fuseElementwiseOps(rewriter, operand);
        if (failed(fused))
          break;
        for (auto [original, replacement] : fused->replacements)
          rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
            return use.getOwner() != producer && use.getOwner() != consumer;
          });
        rewriter.eraseOp(consumer);
        if (producer->use_empty())
          rewriter.eraseOp(producer);
        consumer = cast<linalg::GenericOp>(fused->fusedOp);
      }
    }
  }
};

} // namespace
} // namespace mlir::tern
