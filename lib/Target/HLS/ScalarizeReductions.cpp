//===- ScalarizeReductions.cpp - accumulations in registers ---------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSSCALARIZEREDUCTIONS
#include "tern/Target/HLS/Passes.h.inc"

namespace {

/// One load/store pair of the same loop-invariant element, directly in the
/// loop body, the load first, and no other use of the memref in the loop.
struct Candidate {
  affine::AffineLoadOp load;
  affine::AffineStoreOp store;
};

std::optional<Candidate> findCandidate(affine::AffineForOp loop) {
  Block *body = loop.getBody();
  for (Operation &op : *body) {
    auto load = dyn_cast<affine::AffineLoadOp>(op);
    if (!load)
      continue;
    Value memref = load.getMemRef();
    if (!loop.isDefinedOutsideOfLoop(memref) ||
        !llvm::all_of(load.getMapOperands(),
                      [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      continue;
    affine::AffineStoreOp store;
    bool ok = true;
    for (Operation *user : memref.getUsers()) {
      if (user == load || !loop->isAncestor(user))
        continue;
      auto s = dyn_cast<affine::AffineStoreOp>(user);
      if (!s || store || s->getBlock() != body || s.getMemRef() != memref ||
          s.getAffineMap() != load.getAffineMap() ||
          s.getMapOperands() != load.getMapOperands() || !load->isBeforeInBlock(s)) {
        ok = false;
        break;
      }
      store = s;
    }
    if (ok && store)
      return Candidate{load, store};
  }
  return std::nullopt;
}

struct ScalarizeReductionsPass : impl::TernHLSScalarizeReductionsBase<ScalarizeReductionsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<affine::AffineForOp> loops;
    getOperation()->walk<WalkOrder::PostOrder>([&](affine::AffineForOp loop) { loops.push_back(loop); });
    IRRewriter rewriter(&getContext());
    for (affine::AffineForOp loop : loops) {
      while (std::optional<Candidate> c = findCandidate(loop)) {
        Location loc = c->load.getLoc();
        rewriter.setInsertionPoint(loop);
        Value init = affine::AffineLoadOp::create(rewriter, loc, c->load.getMemRef(),
                                                  c->load.getAffineMap(),
                                                  c->load.getMapOperands());
        Value stored = c->store.getValueToStore();
        FailureOr<LoopLikeOpInterface> replaced =
            cast<LoopLikeOpInterface>(loop.getOperation())
                .replaceWithAdditionalYields(
                    rewriter, ValueRange{init}, /*replaceInitOperandUsesInLoop=*/false,
                    [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                      return SmallVector<Value>{stored};
                    });
        if (failed(replaced))
          break;
        auto newLoop = cast<affine::AffineForOp>(replaced->getOperation());
        for (NamedAttribute attr : loop->getDiscardableAttrs())
          newLoop->setAttr(attr.getName(), attr.getValue());
        rewriter.replaceAllUsesWith(c->load.getResult(), newLoop.getRegionIterArgs().back());
        rewriter.setInsertionPointAfter(newLoop);
        affine::AffineStoreOp::create(rewriter, loc, newLoop.getResults().back(),
                                      c->store.getMemRef(), c->store.getAffineMap(),
                                      c->store.getMapOperands());
        rewriter.eraseOp(c->store);
        rewriter.eraseOp(c->load);
        loop = newLoop;
      }
    }
  }
};
} // namespace
} // namespace mlir::tern
