//===- LowerTernaryMatmul.cpp - the PE-array loop nest --------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSLOWERTERNARYMATMUL
#include "tern/Target/HLS/Passes.h.inc"

namespace {

/// The buffer or argument a view chain starts from.
Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp, memref::SubViewOp, memref::CastOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// Requests a cyclic partition of the last dimension of `v`'s root buffer.
void requestPartition(Value v, int64_t factor) {
  if (factor <= 1)
    return;
  Value root = rootOf(v);
  auto type = cast<MemRefType>(root.getType());
  MLIRContext *ctx = root.getContext();
  auto attr = DenseI64ArrayAttr::get(ctx, {type.getRank(), factor});
  if (Operation *def = root.getDefiningOp()) {
    if (isa<memref::AllocOp, memref::AllocaOp>(def))
      def->setAttr(hls::kPartition, attr);
    return;
  }
  auto arg = cast<BlockArgument>(root);
  if (auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
    fn.setArgAttr(arg.getArgNumber(), hls::kPartition, attr);
}

struct LowerTernaryMatmulPass : impl::TernHLSLowerTernaryMatmulBase<LowerTernaryMatmulPass> {
  using Base::Base;
  void runOnOperation() override {
    if (simd < 1) {
      getOperation()->emitError("tern-hls-lower-ternary-matmul: simd must be >= 1");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> generics;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op->hasAttr(hls::kTernaryMatmul))
        generics.push_back(op);
    });
    for (linalg::GenericOp op : generics)
      if (failed(lower(op)))
        return signalPassFailure();
  }

  LogicalResult lower(linalg::GenericOp op) {
    if (!op.hasPureBufferSemantics())
      return op.emitOpError("expected a bufferized ternary accumulation");
    Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1], out = op.getDpsInits()[0];
    auto outType = cast<MemRefType>(out.getType());
    auto xType = cast<MemRefType>(x.getType());
    int64_t M = outType.getDimSize(0), Nt = outType.getDimSize(1), P = outType.getDimSize(2),
            G = xType.getDimSize(1);
    MLIRContext *ctx = op.getContext();
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto full = [&](affine::AffineForOp loop) { loop->setAttr(hls::kUnroll, b.getI64IntegerAttr(0)); };

    auto mLoop = affine::AffineForOp::create(b, loc, 0, M);
    b.setInsertionPointToStart(mLoop.getBody());
    Value m = mLoop.getInductionVar();
    auto ntLoop = affine::AffineForOp::create(b, loc, 0, Nt);
    b.setInsertionPointToStart(ntLoop.getBody());
    Value nt = ntLoop.getInductionVar();

    // P accumulators in registers.
    auto accType = MemRefType::get({P}, outType.getElementType());
    auto acc = memref::AllocaOp::create(b, loc, accType);
    acc->setAttr(hls::kPartition, DenseI64ArrayAttr::get(ctx, {1, 0}));
    auto loadLoop = affine::AffineForOp::create(b, loc, 0, P);
    full(loadLoop);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loadLoop.getBody());
      Value p = loadLoop.getInductionVar();
      Value v = affine::AffineLoadOp::create(b, loc, out, ValueRange{m, nt, p});
      affine::AffineStoreOp::create(b, loc, v, acc, ValueRange{p});
    }

    // for g: PIPELINE II=1 (SIMD bytes per cycle)
    auto gLoop = affine::AffineForOp::create(b, loc, 0, G);
    gLoop->setAttr(hls::kPipeline, b.getI64IntegerAttr(1));
    if (simd > 1)
      gLoop->setAttr(hls::kUnroll, b.getI64IntegerAttr(std::min<int64_t>(simd, G)));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(gLoop.getBody());
      Value g = gLoop.getInductionVar();
      auto pLoop = affine::AffineForOp::create(b, loc, 0, P);
      full(pLoop);
      b.setInsertionPointToStart(pLoop.getBody());
      Value p = pLoop.getInductionVar();
      Value wv = affine::AffineLoadOp::create(b, loc, w, ValueRange{nt, g, p});
      auto jLoop = affine::AffineForOp::create(b, loc, 0, 4);
      full(jLoop);
      b.setInsertionPointToStart(jLoop.getBody());
      Value j = jLoop.getInductionVar();
      Value xv = affine::AffineLoadOp::create(b, loc, x, ValueRange{m, g, j});
      Value av = affine::AffineLoadOp::create(b, loc, acc, ValueRange{p});
      Block &body = op.getRegion().front();
      IRMapping mapping;
      mapping.map(body.getArgument(0), xv);
      mapping.map(body.getArgument(1), wv);
      mapping.map(body.getArgument(2), av);
      for (Operation &inner : body.without_terminator()) {
        if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
          if (index.getDim() != 4)
            return op.emitOpError("unexpected linalg.index in a ternary accumulation");
          mapping.map(index.getResult(), j);
          continue;
        }
        b.clone(inner, mapping);
      }
      Value result = mapping.lookupOrDefault(body.getTerminator()->getOperand(0));
      affine::AffineStoreOp::create(b, loc, result, acc, ValueRange{p});
    }

    auto storeLoop = affine::AffineForOp::create(b, loc, 0, P);
    full(storeLoop);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(storeLoop.getBody());
      Value p = storeLoop.getInductionVar();
      Value v = affine::AffineLoadOp::create(b, loc, acc, ValueRange{p});
      affine::AffineStoreOp::create(b, loc, v, out, ValueRange{m, nt, p});
    }
    // 4 * SIMD activations per cycle; P partial sums written per tile.
    requestPartition(x, 4 * simd);
    requestPartition(out, P);
    op.erase();
    return success();
  }
};
} // namespace
} // namespace mlir::tern
