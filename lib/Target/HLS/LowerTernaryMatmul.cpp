//===- LowerTernaryMatmul.cpp - the PE-array loop nest --------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
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

/// Marks the stage argument the packed codes come from
/// (tern-hls-pack-weight-words widens its reads).
void markWeightCodes(Value w) {
  auto arg = dyn_cast<BlockArgument>(rootOf(w));
  if (!arg)
    return;
  if (auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
    fn.setArgAttr(arg.getArgNumber(), hls::kWeightCodes, UnitAttr::get(fn.getContext()));
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

    // S = the largest divisor of G not above simd: S bytes (4S trits) per
    // row and cycle, so the g loop has no remainder.
    int64_t S = 1;
    for (int64_t d = std::min<int64_t>(simd, G); d >= 1; --d)
      if (G % d == 0) {
        S = d;
        break;
      }
    Block &body = op.getRegion().front();
    // The body is acc' = acc + term(x, w, j): a ternary accumulation is
    // additive in acc, so cloning it with acc = 0 gives the lane's term.
    auto cloneBody = [&](OpBuilder &bb, Value xv, Value wv, Value av, Value j) -> FailureOr<Value> {
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
        bb.clone(inner, mapping);
      }
      return mapping.lookupOrDefault(body.getTerminator()->getOperand(0));
    };

    // for g0 (step S): PIPELINE II=1
    auto gLoop = affine::AffineForOp::create(b, loc, 0, G, S);
    gLoop->setAttr(hls::kPipeline, b.getI64IntegerAttr(1));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(gLoop.getBody());
      Value g0 = gLoop.getInductionVar();
      auto pLoop = affine::AffineForOp::create(b, loc, 0, P);
      full(pLoop);
      b.setInsertionPointToStart(pLoop.getBody());
      Value p = pLoop.getInductionVar();
      AffineExpr d0, d1, d2, d3;
      bindDims(ctx, d0, d1, d2, d3);
      if (!macTree) {
        // The select chain: acc[p] updated trit after trit.
        auto sLoop = affine::AffineForOp::create(b, loc, 0, S);
        full(sLoop);
        b.setInsertionPointToStart(sLoop.getBody());
        Value sIv = sLoop.getInductionVar();
        auto wMap = AffineMap::get(4, 0, {d0, d1 + d2, d3}, ctx);
        Value wv = affine::AffineLoadOp::create(b, loc, w, wMap, ValueRange{nt, g0, sIv, p});
        auto jLoop = affine::AffineForOp::create(b, loc, 0, 4);
        full(jLoop);
        b.setInsertionPointToStart(jLoop.getBody());
        Value j = jLoop.getInductionVar();
        auto xMap = AffineMap::get(4, 0, {d0, d1 + d2, d3}, ctx);
        Value xv = affine::AffineLoadOp::create(b, loc, x, xMap, ValueRange{m, g0, sIv, j});
        Value av = affine::AffineLoadOp::create(b, loc, acc, ValueRange{p});
        FailureOr<Value> result = cloneBody(b, xv, wv, av, j);
        if (failed(result))
          return failure();
        affine::AffineStoreOp::create(b, loc, *result, acc, ValueRange{p});
      } else {
        // The adder tree: the 4S lane terms of row p, summed pairwise in
        // log2(4S) levels, then one add into acc[p].
        int64_t L = 4 * S;
        Type accElem = accType.getElementType();
        auto lanes = memref::AllocaOp::create(b, loc, MemRefType::get({L}, accElem));
        lanes->setAttr(hls::kPartition, DenseI64ArrayAttr::get(ctx, {1, 0}));
        Value zero = arith::ConstantOp::create(b, loc, accElem, b.getZeroAttr(accElem));
        {
          OpBuilder::InsertionGuard g2(b);
          auto sLoop = affine::AffineForOp::create(b, loc, 0, S);
          full(sLoop);
          b.setInsertionPointToStart(sLoop.getBody());
          Value sIv = sLoop.getInductionVar();
          auto wMap = AffineMap::get(4, 0, {d0, d1 + d2, d3}, ctx);
          Value wv = affine::AffineLoadOp::create(b, loc, w, wMap, ValueRange{nt, g0, sIv, p});
          auto jLoop = affine::AffineForOp::create(b, loc, 0, 4);
          full(jLoop);
          b.setInsertionPointToStart(jLoop.getBody());
          Value j = jLoop.getInductionVar();
          auto xMap = AffineMap::get(4, 0, {d0, d1 + d2, d3}, ctx);
          Value xv = affine::AffineLoadOp::create(b, loc, x, xMap, ValueRange{m, g0, sIv, j});
          FailureOr<Value> term = cloneBody(b, xv, wv, zero, j);
          if (failed(term))
            return failure();
          auto laneMap = AffineMap::get(2, 0, {d0 * 4 + d1}, ctx);
          affine::AffineStoreOp::create(b, loc, *term, lanes, laneMap, ValueRange{sIv, j});
        }
        for (int64_t n = L; n > 1; n = (n + 1) / 2) {
          OpBuilder::InsertionGuard g2(b);
          int64_t half = n / 2;
          auto level = affine::AffineForOp::create(b, loc, 0, half);
          full(level);
          b.setInsertionPointToStart(level.getBody());
          Value i = level.getInductionVar();
          Value lo = affine::AffineLoadOp::create(b, loc, lanes,
                                                  AffineMap::get(1, 0, {d0 * 2}, ctx), ValueRange{i});
          Value hi = affine::AffineLoadOp::create(
              b, loc, lanes, AffineMap::get(1, 0, {d0 * 2 + 1}, ctx), ValueRange{i});
          Value sum = arith::AddIOp::create(b, loc, lo, hi);
          affine::AffineStoreOp::create(b, loc, sum, lanes, ValueRange{i});
          if (n % 2) {
            b.setInsertionPointAfter(level);
            Value c1 = arith::ConstantIndexOp::create(b, loc, n - 1);
            Value ch = arith::ConstantIndexOp::create(b, loc, half);
            Value last = affine::AffineLoadOp::create(b, loc, lanes, ValueRange{c1});
            affine::AffineStoreOp::create(b, loc, last, lanes, ValueRange{ch});
          }
        }
        Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
        Value total = affine::AffineLoadOp::create(b, loc, lanes, ValueRange{c0});
        Value av = affine::AffineLoadOp::create(b, loc, acc, ValueRange{p});
        Value next = arith::AddIOp::create(b, loc, av, total);
        affine::AffineStoreOp::create(b, loc, next, acc, ValueRange{p});
      }
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
    markWeightCodes(w);
    requestPartition(x, 4 * S);
    requestPartition(out, P);
    op.erase();
    return success();
  }
};
} // namespace
} // namespace mlir::tern
