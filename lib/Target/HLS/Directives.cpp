//===- Directives.cpp - PIPELINE / UNROLL / ARRAY_PARTITION choices -------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <numeric>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSDIRECTIVES
#include "tern/Target/HLS/Passes.h.inc"

namespace {

std::optional<int64_t> tripCount(affine::AffineForOp loop) {
  if (!loop.hasConstantBounds())
    return std::nullopt;
  int64_t n = loop.getConstantUpperBound() - loop.getConstantLowerBound();
  return n <= 0 ? 0 : (n + loop.getStepAsInt() - 1) / loop.getStepAsInt();
}

bool hasDirective(Operation *op) {
  bool found = false;
  op->walk([&](affine::AffineForOp l) {
    if (l->hasAttr(hls::kPipeline) || l->hasAttr(hls::kUnroll))
      found = true;
  });
  return found;
}

bool containsCall(Operation *op) {
  return op->walk([](func::CallOp) { return WalkResult::interrupt(); }).wasInterrupted();
}

SmallVector<affine::AffineForOp> childLoops(affine::AffineForOp loop) {
  SmallVector<affine::AffineForOp> children;
  for (Operation &op : *loop.getBody())
    if (auto l = dyn_cast<affine::AffineForOp>(op))
      children.push_back(l);
  return children;
}

/// Merges two cyclic partitions of the same dimension (lcm of factors).
DenseI64ArrayAttr merge(MLIRContext *ctx, DenseI64ArrayAttr a, DenseI64ArrayAttr b,
                        MemRefType type) {
  if (!a)
    return b;
  if (!b || a == b)
    return a;
  if (a[0] != b[0])
    return a; // different dimensions: keep the first request
  int64_t factor = (a[1] == 0 || b[1] == 0) ? 0 : std::lcm(a[1], b[1]);
  if (factor >= type.getDimSize(a[0] - 1))
    factor = 0;
  return DenseI64ArrayAttr::get(ctx, {a[0], factor});
}

struct DirectivesPass : impl::TernHLSDirectivesBase<DirectivesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    FailureOr<func::FuncOp> top = getHLSTop(module);
    if (failed(top))
      return signalPassFailure();

    // Loops.
    module.walk([&](affine::AffineForOp loop) {
      if (loop->getParentOfType<affine::AffineForOp>())
        return; // handled from its outermost loop
      if (hasDirective(loop))
        return;
      SmallVector<affine::AffineForOp> innermost;
      loop.walk([&](affine::AffineForOp l) {
        if (childLoops(l).empty())
          innermost.push_back(l);
      });
      for (affine::AffineForOp l : innermost) {
        if (containsCall(l) || l->hasAttr(hls::kPipeline) || l->hasAttr(hls::kUnroll))
          continue;
        auto parent = dyn_cast<affine::AffineForOp>(l->getParentOp());
        std::optional<int64_t> n = tripCount(l);
        bool allChildrenShort =
            parent && !containsCall(parent) && llvm::all_of(childLoops(parent), [&](auto c) {
              std::optional<int64_t> m = tripCount(c);
              return m && *m <= fullUnrollLimit && childLoops(c).empty();
            });
        if (n && *n <= fullUnrollLimit && allChildrenShort) {
          for (affine::AffineForOp c : childLoops(parent))
            c->setAttr(hls::kUnroll, IntegerAttr::get(IntegerType::get(ctx, 64), 0));
          parent->setAttr(hls::kPipeline, IntegerAttr::get(IntegerType::get(ctx, 64), 1));
          continue;
        }
        l->setAttr(hls::kPipeline, IntegerAttr::get(IntegerType::get(ctx, 64), 1));
        if (simd > 1 && n && *n >= simd)
          l->setAttr(hls::kUnroll, IntegerAttr::get(IntegerType::get(ctx, 64), simd));
      }
    });

    // Buffers: SIMD lanes read consecutive elements of the last dimension.
    if (simd > 1)
      module.walk([&](Operation *op) {
        if (!isa<memref::AllocOp, memref::AllocaOp>(op) || op->hasAttr(hls::kPartition))
          return;
        auto type = cast<MemRefType>(op->getResult(0).getType());
        if (type.getRank() == 0 || type.getShape().back() <= 1)
          return;
        int64_t factor = simd >= type.getShape().back() ? 0 : simd;
        op->setAttr(hls::kPartition, DenseI64ArrayAttr::get(ctx, {type.getRank(), factor}));
      });

    // Stage arguments and the buffers passed to them agree; m_axi ports of
    // the top cannot be partitioned.
    for (int round = 0; round < 4; ++round) {
      module.walk([&](func::CallOp call) {
        auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
        if (!callee)
          return;
        for (auto [i, operand] : llvm::enumerate(call.getOperands())) {
          auto type = dyn_cast<MemRefType>(operand.getType());
          if (!type)
            continue;
          auto want = callee.getArgAttrOfType<DenseI64ArrayAttr>(i, hls::kPartition);
          if (auto arg = dyn_cast<BlockArgument>(operand)) {
            auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
            if (fn == *top) {
              callee.removeArgAttr(i, hls::kPartition);
              continue;
            }
            auto have = fn.getArgAttrOfType<DenseI64ArrayAttr>(arg.getArgNumber(), hls::kPartition);
            if (auto merged = merge(ctx, have, want, type))
              fn.setArgAttr(arg.getArgNumber(), hls::kPartition, merged);
            continue;
          }
          Operation *def = operand.getDefiningOp();
          if (!def || !isa<memref::AllocOp, memref::AllocaOp>(def))
            continue;
          auto have = def->getAttrOfType<DenseI64ArrayAttr>(hls::kPartition);
          if (auto merged = merge(ctx, have, want, type))
            def->setAttr(hls::kPartition, merged);
        }
      });
      module.walk([&](func::CallOp call) {
        auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
        if (!callee)
          return;
        for (auto [i, operand] : llvm::enumerate(call.getOperands())) {
          DenseI64ArrayAttr have;
          if (Operation *def = operand.getDefiningOp())
            have = def->getAttrOfType<DenseI64ArrayAttr>(hls::kPartition);
          else if (auto arg = dyn_cast<BlockArgument>(operand))
            if (auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()); fn && fn != *top)
              have = fn.getArgAttrOfType<DenseI64ArrayAttr>(arg.getArgNumber(), hls::kPartition);
          if (have)
            callee.setArgAttr(i, hls::kPartition, have);
          else
            callee.removeArgAttr(i, hls::kPartition);
        }
      });
    }
  }
};
} // namespace
} // namespace mlir::tern
