//===- TernaryToArith.cpp - ternary products as select/add/sub ------------===//
//
// The signature rewrite of Tern: after it, a ternary layer is an int8
// activation stream accumulated with add/sub selected by 2-bit weight codes.
//
//===----------------------------------------------------------------------===//
#include "tern/Conversion/Passes.h"
#include "tern/Support/TernaryPacking.h"
#include "tern/Utils/LinalgBuilders.h"

#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNTERNARYTOARITH
#include "tern/Conversion/Passes.h.inc"

namespace {

/// Ternary weights as the kernels read them: codes [N, ceil(K/4)] and s_w.
struct PackedWeights {
  Value codes;
  Value scale;
};

int64_t bytesPerRow(TernaryType t) { return ::tern::packedSize(t.getCols()); }

RankedTensorType packedType(TernaryType t) {
  return RankedTensorType::get({t.getRows(), bytesPerRow(t)}, IntegerType::get(t.getContext(), 8));
}

/// Compile-time weights: the row-padded layout equals the attribute's flat
/// layout when K % 4 == 0, so the blob is shared; otherwise it is repacked.
FailureOr<PackedWeights> packConstant(OpBuilder &b, ConstantOp op) {
  TernaryAttr attr = op.getValue();
  TernaryType type = attr.getType();
  RankedTensorType resultType = packedType(type);
  DenseResourceElementsAttr packed;
  if (type.getCols() % 4 == 0) {
    packed = DenseResourceElementsAttr::get(resultType, attr.getPacked().getRawHandle());
  } else {
    SmallVector<int8_t> trits;
    if (failed(attr.unpack(trits)))
      return op.emitOpError("cannot read its packed weights");
    int64_t rowBytes = bytesPerRow(type);
    std::vector<uint8_t> bytes(type.getRows() * rowBytes);
    for (int64_t n = 0; n < type.getRows(); ++n)
      ::tern::packTrits(trits.data() + n * type.getCols(), type.getCols(),
                        bytes.data() + n * rowBytes);
    packed = DenseResourceElementsAttr::get(
        resultType, "tern_packed",
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<uint8_t>(bytes)));
  }
  Location loc = op.getLoc();
  return PackedWeights{arith::ConstantOp::create(b, loc, resultType, packed),
                       buildF32(b, loc, attr.getScaleValue())};
}

/// Run-time weights: absmean scale, then four codes OR-ed into each byte.
PackedWeights packAtRunTime(OpBuilder &b, WeightQuantOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  TernaryType type = op.getResult().getType();
  int64_t rows = type.getRows(), cols = type.getCols(), kb = bytesPerRow(type);
  Value w = op.getInput();

  // sum |W| over the whole matrix -> s_w = 1 / max(sum / n, 1e-5).
  Value sumInit = buildFilled(b, loc, {}, b.getF32FloatAttr(0.0f));
  auto sum = linalg::GenericOp::create(
      b, loc, sumInit.getType(), ValueRange{w}, ValueRange{sumInit},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2), AffineMap::get(2, 0, {}, ctx)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::reduction, utils::IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(nb, l, Value(arith::AddFOp::create(nb, l, a[1], math::AbsFOp::create(nb, l, a[0]))));
      });
  Value total = tensor::ExtractOp::create(b, loc, sum.getResult(0), ValueRange{});
  Value mean = arith::DivFOp::create(b, loc, total, buildF32(b, loc, static_cast<float>(rows * cols)));
  Value scale = arith::DivFOp::create(
      b, loc, buildF32(b, loc, 1.0f), arith::MaximumFOp::create(b, loc, mean, buildF32(b, loc, 1e-5f)));

  // Zero-pad K to a multiple of 4 (padding quantizes to the 0 code), view as [N, KB, 4].
  w = buildReshape(b, loc, buildZeroPadLastAxis(b, loc, w, kb * 4), {rows, kb, 4});
  Value codesInit = buildFilled(b, loc, {rows, kb}, b.getI8IntegerAttr(0));
  AffineExpr n = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx);
  auto codes = linalg::GenericOp::create(
      b, loc, codesInit.getType(), ValueRange{w}, ValueRange{codesInit},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(3), AffineMap::get(3, 0, {n, k}, ctx)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel,
                                    utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value r = math::RoundEvenOp::create(nb, l, arith::MulFOp::create(nb, l, a[0], scale));
        r = arith::MaxNumFOp::create(nb, l, r, buildF32(nb, l, -1.0f));
        r = arith::MinNumFOp::create(nb, l, r, buildF32(nb, l, 1.0f));
        Value code = arith::AddIOp::create(
            nb, l, arith::FPToSIOp::create(nb, l, nb.getI8Type(), r),
            arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(1)));
        Value j = arith::IndexCastOp::create(nb, l, nb.getI8Type(), linalg::IndexOp::create(nb, l, 2));
        Value shift = arith::AddIOp::create(nb, l, j, j);
        Value shifted = arith::ShLIOp::create(nb, l, code, shift);
        linalg::YieldOp::create(nb, l, Value(arith::OrIOp::create(nb, l, a[1], shifted)));
      });
  return PackedWeights{codes.getResult(0), scale};
}

/// y[m, n] = sum_k select(code(n,k)) { +1: +x[m,k], -1: -x[m,k], 0: skip }.
Value lowerTMatmul(OpBuilder &b, TMatmulOp op, const PackedWeights &w) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  TernaryType wType = op.getWeight().getType();
  auto inType = op.getInput().getType();
  int64_t cols = wType.getCols(), rows = wType.getRows(), kb = bytesPerRow(wType);
  int64_t m = inType.getNumElements() / cols;
  Value x = buildReshape(b, loc, op.getInput(), {m, cols});
  x = buildReshape(b, loc, buildZeroPadLastAxis(b, loc, x, kb * 4), {m, kb, 4});
  Value accInit = buildFilled(b, loc, {m, rows}, b.getI32IntegerAttr(0));
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
             dk = getAffineDimExpr(2, ctx), dj = getAffineDimExpr(3, ctx);
  auto generic = linalg::GenericOp::create(
      b, loc, accInit.getType(), ValueRange{x, w.codes}, ValueRange{accInit},
      ArrayRef<AffineMap>{AffineMap::get(4, 0, {dm, dk, dj}, ctx), AffineMap::get(4, 0, {dn, dk}, ctx),
                          AffineMap::get(4, 0, {dm, dn}, ctx)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel,
                                    utils::IteratorType::reduction, utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value j = arith::IndexCastOp::create(nb, l, nb.getI8Type(), linalg::IndexOp::create(nb, l, 3));
        Value shift = arith::AddIOp::create(nb, l, j, j);
        Value code = arith::AndIOp::create(nb, l, arith::ShRUIOp::create(nb, l, a[1], shift),
                                           arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(3)));
        Value xv = arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[0]);
        Value plus = arith::AddIOp::create(nb, l, a[2], xv);
        Value minus = arith::SubIOp::create(nb, l, a[2], xv);
        Value isPlus = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, code,
                                             arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(2)));
        Value isMinus = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, code,
                                              arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(0)));
        Value r = arith::SelectOp::create(nb, l, isPlus, plus,
                                          arith::SelectOp::create(nb, l, isMinus, minus, a[2]));
        linalg::YieldOp::create(nb, l, r);
      });
  generic->setAttr(kTernaryAccumulationAttr, UnitAttr::get(ctx));
  return buildReshape(b, loc, generic.getResult(0), op.getResult().getType().getShape());
}

struct TernaryToArithPass : impl::TernTernaryToArithBase<TernaryToArithPass> {
  void runOnOperation() override {
    SmallVector<Operation *> producers;
    getOperation()->walk([&](Operation *op) {
      if (isa<ConstantOp, WeightQuantOp>(op))
        producers.push_back(op);
    });
    for (Operation *producer : producers)
      if (failed(lowerProducer(producer)))
        return signalPassFailure();
    WalkResult r = getOperation()->walk([](Operation *op) {
      for (Value v : op->getOperands())
        if (isa<TernaryType>(v.getType())) {
          op->emitOpError("uses ternary weights that do not come from tern.constant or "
                          "tern.weight_quant; the CPU backend cannot lower it");
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }

  LogicalResult lowerProducer(Operation *producer) {
    OpBuilder b(producer);
    b.setInsertionPointAfter(producer);
    FailureOr<PackedWeights> packed =
        isa<ConstantOp>(producer) ? packConstant(b, cast<ConstantOp>(producer))
                                  : FailureOr<PackedWeights>(packAtRunTime(b, cast<WeightQuantOp>(producer)));
    if (failed(packed))
      return failure();
    for (Operation *user : llvm::make_early_inc_range(producer->getUsers())) {
      b.setInsertionPoint(user);
      if (auto mm = dyn_cast<TMatmulOp>(user)) {
        mm.replaceAllUsesWith(lowerTMatmul(b, mm, *packed));
        mm.erase();
      } else if (auto scale = dyn_cast<WeightScaleOp>(user)) {
        scale.replaceAllUsesWith(packed->scale);
        scale.erase();
      } else {
        return user->emitOpError("must be decomposed (tern-decompose) before "
                                 "tern-ternary-to-arith lowers its weights");
      }
    }
    producer->erase();
    return success();
  }
};
} // namespace
} // namespace mlir::tern
