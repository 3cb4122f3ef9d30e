//===- HoistRowInvariants.cpp - once per row, not once per element --------===//
//
// Element-wise stages read per-row values (the sum of squares of RMSNorm,
// a quantization scale) inside their element loop, and the loop lowering
// recomputes everything derived from them per element: RMSNorm's mean,
// `+ eps`, `sqrt` and a division per element. Hoisting the loop-invariant
// part leaves one `sqrt` and one reciprocal per row and a multiply per
// element. Float division by an invariant becomes a multiply by its
// reciprocal only when asked (float math): it then differs from the
// division by at most one rounding, far inside the testbench's tolerance.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSHOISTROWINVARIANTS
#include "tern/Target/HLS/Passes.h.inc"

namespace {

bool hasDirectives(Operation *op) {
  return op->hasAttr(hls::kPipeline) || op->hasAttr(hls::kUnroll);
}

/// True if nothing in `loop` may write `memref` (stores or calls).
bool notWrittenIn(affine::AffineForOp loop, Value memref) {
  return llvm::none_of(memref.getUsers(), [&](Operation *user) {
    if (!loop->isAncestor(user))
      return false;
    return !isa<affine::AffineLoadOp, memref::LoadOp>(user);
  });
}

/// Moves the ops of `loop`'s body that do not depend on it before it.
/// Returns how many moved.
unsigned hoistInvariants(affine::AffineForOp loop) {
  unsigned moved = 0;
  auto outside = [&](Value v) { return loop.isDefinedOutsideOfLoop(v); };
  for (Operation &op : llvm::make_early_inc_range(loop.getBody()->without_terminator())) {
    if (op.getNumRegions() != 0 || !llvm::all_of(op.getOperands(), outside))
      continue;
    bool invariant = isMemoryEffectFree(&op);
    if (auto load = dyn_cast<affine::AffineLoadOp>(op))
      invariant = notWrittenIn(loop, load.getMemRef());
    if (!invariant)
      continue;
    op.moveBefore(loop);
    ++moved;
  }
  return moved;
}

/// `x / d` with `d` invariant in `loop` -> `x * r`, `r = 1 / d` before the loop.
unsigned useReciprocals(affine::AffineForOp loop) {
  unsigned rewritten = 0;
  DenseMap<Value, Value> reciprocals;
  for (Operation &op : llvm::make_early_inc_range(loop.getBody()->without_terminator())) {
    auto div = dyn_cast<arith::DivFOp>(op);
    if (!div || !div.getType().isF32() || !loop.isDefinedOutsideOfLoop(div.getRhs()))
      continue;
    Value &r = reciprocals[div.getRhs()];
    if (!r) {
      OpBuilder b(loop);
      Location loc = div.getLoc();
      FloatAttr c;
      if (matchPattern(div.getRhs(), m_Constant(&c)))
        r = arith::ConstantOp::create(
            b, loc, b.getF32FloatAttr(1.0f / static_cast<float>(c.getValueAsDouble())));
      else
        r = arith::DivFOp::create(
            b, loc, arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f)), div.getRhs());
    }
    OpBuilder b(div);
    Value mul = arith::MulFOp::create(b, div.getLoc(), div.getLhs(), r, div.getFastmathAttr());
    div.replaceAllUsesWith(mul);
    div.erase();
    ++rewritten;
  }
  return rewritten;
}

struct HoistRowInvariantsPass : impl::TernHLSHoistRowInvariantsBase<HoistRowInvariantsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<affine::AffineForOp> loops;
    // Innermost first, so values climb as far out as they can.
    getOperation()->walk<WalkOrder::PostOrder>([&](affine::AffineForOp loop) {
      for (Operation *p = loop; p; p = p->getParentOp())
        if (hasDirectives(p))
          return;
      if (loop->getParentOfType<func::FuncOp>()->hasAttr(hls::kStage))
        loops.push_back(loop);
    });
    for (affine::AffineForOp loop : loops) {
      hoistInvariants(loop);
      if (reciprocal)
        useReciprocals(loop);
    }
  }
};

} // namespace
} // namespace mlir::tern
