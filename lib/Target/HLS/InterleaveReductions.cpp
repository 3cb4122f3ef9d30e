//===- InterleaveReductions.cpp - partial sums for float accumulations ----===//
//
// A float sum carried from one iteration to the next (`acc = acc + t`) can
// start a new add only when the previous one is done: the loop's II is the
// adder latency. With P interleaved partial sums in registers, each
// iteration of the new loop feeds P independent adders, so a pipeline at II
// = latency still consumes P / latency elements per cycle; a balanced tree
// adds the partial sums at the end.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSINTERLEAVEREDUCTIONS
#include "tern/Target/HLS/Passes.h.inc"

namespace {

/// The combiner of a one-value float reduction loop: the yielded op that
/// takes the iteration argument (used nowhere else) and one value.
Operation *combinerOf(affine::AffineForOp loop, int64_t partials) {
  if (loop.getNumIterOperands() != 1 || !loop.hasConstantBounds() || loop.getStepAsInt() != 1 ||
      loop->hasAttr(hls::kPipeline) || loop->hasAttr(hls::kUnroll))
    return nullptr;
  int64_t trip = loop.getConstantUpperBound() - loop.getConstantLowerBound();
  if (trip < 2 * partials || trip % partials != 0)
    return nullptr;
  Value acc = loop.getRegionIterArgs()[0];
  if (!acc.getType().isF32() || !acc.hasOneUse())
    return nullptr;
  Operation *op = loop.getBody()->getTerminator()->getOperand(0).getDefiningOp();
  if (!op || !isa<arith::AddFOp, arith::MaximumFOp, arith::MaxNumFOp>(op) ||
      op->getBlock() != loop.getBody() || *acc.getUsers().begin() != op)
    return nullptr;
  return op;
}

void interleave(affine::AffineForOp loop, Operation *combiner, int64_t partials,
                int64_t latency) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  Value init = loop.getInits()[0];
  // Extra partial sums start at the identity (0 for +; the initial value is
  // already folded into partial 0), or at the initial value for max.
  Value identity =
      isa<arith::AddFOp>(combiner)
          ? arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f)).getResult()
          : init;
  SmallVector<Value> inits(partials, identity);
  inits[0] = init;
  int64_t lb = loop.getConstantLowerBound();
  auto wide = affine::AffineForOp::create(b, loc, lb, loop.getConstantUpperBound(), partials,
                                          inits);
  OpBuilder body = OpBuilder::atBlockBegin(wide.getBody());
  SmallVector<Value> next;
  AffineExpr d0 = body.getAffineDimExpr(0);
  for (int64_t j = 0; j < partials; ++j) {
    IRMapping map;
    Value iv = affine::AffineApplyOp::create(body, loc, AffineMap::get(1, 0, d0 + j),
                                             ValueRange{wide.getInductionVar()});
    map.map(loop.getInductionVar(), iv);
    map.map(loop.getRegionIterArgs()[0], wide.getRegionIterArgs()[j]);
    for (Operation &op : loop.getBody()->without_terminator())
      body.clone(op, map);
    next.push_back(map.lookup(combiner->getResult(0)));
  }
  affine::AffineYieldOp::create(body, loc, next);
  // II = the adder latency: every partial sum is one add per iteration.
  wide->setAttr(hls::kPipeline, b.getI64IntegerAttr(latency));
  // A balanced tree of the partial sums.
  b.setInsertionPointAfter(wide);
  SmallVector<Value> level(wide.getResults());
  while (level.size() > 1) {
    SmallVector<Value> up;
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      IRMapping map;
      map.map(combiner->getOperand(0), level[i]);
      map.map(combiner->getOperand(1), level[i + 1]);
      up.push_back(b.clone(*combiner, map)->getResult(0));
    }
    if (level.size() % 2)
      up.push_back(level.back());
    level = std::move(up);
  }
  loop.getResult(0).replaceAllUsesWith(level[0]);
  loop.erase();
}

struct InterleaveReductionsPass
    : impl::TernHLSInterleaveReductionsBase<InterleaveReductionsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (partials < 2 || latency < 1) {
      getOperation().emitError("tern-hls-interleave-reductions: partials must be >= 2 and "
                               "latency >= 1");
      return signalPassFailure();
    }
    SmallVector<std::pair<affine::AffineForOp, Operation *>> work;
    getOperation()->walk([&](affine::AffineForOp loop) {
      auto fn = loop->getParentOfType<func::FuncOp>();
      if (!fn || !fn->hasAttr(hls::kStage))
        return;
      if (Operation *combiner = combinerOf(loop, partials))
        work.emplace_back(loop, combiner);
    });
    for (auto [loop, combiner] : work)
      interleave(loop, combiner, partials, latency);
  }
};

} // namespace
} // namespace mlir::tern
