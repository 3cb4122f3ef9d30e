//===- SplitSharedEmptyTensors.cpp - one tensor.empty per use -------------===//
//
// CSE merges identical `tensor.empty` ops, so a chain of N element-wise ops
// ends up with N destinations tied to one value. One-shot bufferization then
// sees every result alias that value and checks each in-place write against
// all the others: compile time grew with the cube of the chain (a 1000-node
// chain took 70 s). Giving each use its own `tensor.empty` (it carries no
// data) leaves nothing to conflict; the analysis is linear again.
//
//===----------------------------------------------------------------------===//
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNSPLITSHAREDEMPTYTENSORS
#include "tern/Transforms/Passes.h.inc"

namespace {
struct SplitSharedEmptyTensorsPass
    : impl::TernSplitSharedEmptyTensorsBase<SplitSharedEmptyTensorsPass> {
  void runOnOperation() override {
    SmallVector<tensor::EmptyOp> shared;
    getOperation()->walk([&](tensor::EmptyOp op) {
      if (!op->hasOneUse() && !op->use_empty())
        shared.push_back(op);
    });
    for (tensor::EmptyOp op : shared) {
      // Every use gets a clone, placed just before its user.
      for (OpOperand &use : llvm::make_early_inc_range(op->getUses())) {
        OpBuilder b(use.getOwner());
        Operation *clone = b.clone(*op);
        use.set(clone->getResult(0));
      }
      op->erase();
    }
  }
};
} // namespace
} // namespace mlir::tern
