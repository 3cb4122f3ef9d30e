//===- TileTernaryMatmul.cpp - PE tiling of ternary accumulations ---------===//
//
// [M, N] = x[M, G, 4] (int8 activations, K padded to 4G) "times" packed
// codes [N, G] becomes a generic over (m, nt, g, p, j) with the weights
// interleaved as [N/P, G, P] at compile time (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSTILETERNARYMATMUL
#include "tern/Target/HLS/Passes.h.inc"

namespace {

/// The bytes of an i8 constant (dense or dense_resource).
FailureOr<std::vector<uint8_t>> getI8Data(Attribute attr) {
  std::vector<uint8_t> bytes;
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return failure();
    ArrayRef<char> data = blob->getData();
    if (static_cast<int64_t>(data.size()) != res.getType().getNumElements())
      return failure();
    bytes.assign(data.begin(), data.end());
    return bytes;
  }
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (APInt v : dense.getValues<APInt>())
      bytes.push_back(static_cast<uint8_t>(v.getZExtValue()));
    return bytes;
  }
  return failure();
}

/// The dimension position of `expr` if it is a plain dim, else -1.
int64_t dimOf(AffineExpr expr) {
  if (auto d = dyn_cast<AffineDimExpr>(expr))
    return d.getPosition();
  return -1;
}

struct TileTernaryMatmulPass : impl::TernHLSTileTernaryMatmulBase<TileTernaryMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    if (pe < 1) {
      getOperation()->emitError("tern-hls-tile-ternary-matmul: pe must be >= 1");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> generics;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kTernaryAccumulationAttr) && !op->hasAttr(hls::kTernaryMatmul))
        generics.push_back(op);
    });
    for (linalg::GenericOp op : generics)
      if (failed(tile(op)))
        return signalPassFailure();
  }

  LogicalResult tile(linalg::GenericOp op) {
    if (auto g = op->getAttrOfType<IntegerAttr>(kTernaryGroupBytesAttr); g && g.getInt() != 1)
      return op.emitOpError("the HLS backend reads row-major packed weights (group-bytes 1), got ")
             << g.getInt();
    if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics())
      return op.emitOpError("unexpected ternary accumulation form (want x, codes -> acc on tensors)");
    Value x = op.getDpsInputs()[0], codes = op.getDpsInputs()[1], init = op.getDpsInits()[0];
    auto xType = cast<RankedTensorType>(x.getType());
    auto wType = cast<RankedTensorType>(codes.getType());
    auto outType = cast<RankedTensorType>(init.getType());
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    // x: (m, g, j[, b]), w: (n, g[, b]), out: (m, n); b (byte in group) is 1.
    if (outType.getRank() != 2 || xType.getRank() < 3 || xType.getRank() > 4 ||
        wType.getRank() < 2 || wType.getRank() > 3 || xType.getDimSize(2) != 4 ||
        (xType.getRank() == 4 && xType.getDimSize(3) != 1) ||
        (wType.getRank() == 3 && wType.getDimSize(2) != 1))
      return op.emitOpError("unexpected ternary accumulation shapes");
    int64_t jDim = dimOf(maps[0].getResult(2));
    if (jDim < 0)
      return op.emitOpError("unexpected ternary accumulation indexing");
    int64_t M = outType.getDimSize(0), N = outType.getDimSize(1), G = xType.getDimSize(1);
    if (wType.getDimSize(0) != N || wType.getDimSize(1) != G || xType.getDimSize(0) != M)
      return op.emitOpError("ternary accumulation operand shapes disagree");

    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    Type i8 = b.getI8Type();

    // P: the largest divisor of N not above pe; runtime weights stay P = 1.
    // Constant weights, possibly behind unit-dim reshapes (same byte order).
    Value root = codes;
    while (Operation *def = root.getDefiningOp()) {
      if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
        break;
      root = def->getOperand(0);
    }
    auto cst = root.getDefiningOp<arith::ConstantOp>();
    int64_t P = 1;
    if (cst)
      for (int64_t p = std::min<int64_t>(pe, N); p >= 1; --p)
        if (N % p == 0) {
          P = p;
          break;
        }
    int64_t Nt = N / P;

    // Weights as [Nt, G, P].
    Value w;
    auto wTiledType = RankedTensorType::get({Nt, G, P}, i8);
    if (cst) {
      FailureOr<std::vector<uint8_t>> data = getI8Data(cst.getValue());
      if (failed(data) || static_cast<int64_t>(data->size()) != N * G)
        return op.emitOpError("cannot read the packed weights");
      std::vector<uint8_t> tiled(data->size());
      for (int64_t nt = 0; nt < Nt; ++nt)
        for (int64_t g = 0; g < G; ++g)
          for (int64_t p = 0; p < P; ++p)
            tiled[(nt * G + g) * P + p] = (*data)[(nt * P + p) * G + g];
      auto attr = DenseResourceElementsAttr::get(
          wTiledType, "tern_hls_packed",
          HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<uint8_t>(tiled)));
      w = arith::ConstantOp::create(b, cst.getLoc(), wTiledType, attr);
    } else {
      w = codes;
      if (wType.getRank() == 2)
        w = tensor::ExpandShapeOp::create(b, loc, wTiledType, w,
                                          ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    }
    if (xType.getRank() == 4)
      x = tensor::CollapseShapeOp::create(b, loc, x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    auto accType = RankedTensorType::get({M, Nt, P}, outType.getElementType());
    // A zero-filled accumulator is filled in its tiled shape (so the stage
    // writes its result buffer directly); any other init is reshaped.
    Value acc;
    if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
      Value empty = tensor::EmptyOp::create(b, loc, accType.getShape(), accType.getElementType());
      acc = linalg::FillOp::create(b, loc, fill.getInputs()[0], empty).getResult(0);
    } else {
      acc = tensor::ExpandShapeOp::create(b, loc, accType, init,
                                          ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    }

    AffineExpr dm = getAffineDimExpr(0, ctx), dnt = getAffineDimExpr(1, ctx),
               dg = getAffineDimExpr(2, ctx), dp = getAffineDimExpr(3, ctx),
               dj = getAffineDimExpr(4, ctx);
    auto par = utils::IteratorType::parallel, red = utils::IteratorType::reduction;
    auto tiled = linalg::GenericOp::create(
        b, loc, TypeRange{accType}, ValueRange{x, w}, ValueRange{acc},
        ArrayRef<AffineMap>{AffineMap::get(5, 0, {dm, dg, dj}, ctx),
                            AffineMap::get(5, 0, {dnt, dg, dp}, ctx),
                            AffineMap::get(5, 0, {dm, dnt, dp}, ctx)},
        ArrayRef<utils::IteratorType>{par, par, red, par, red});
    // The same body: block arguments map one to one, linalg.index of j moves.
    Region &region = tiled.getRegion();
    Block *body = b.createBlock(&region);
    Block &old = op.getRegion().front();
    IRMapping mapping;
    for (BlockArgument arg : old.getArguments())
      mapping.map(arg, body->addArgument(arg.getType(), arg.getLoc()));
    b.setInsertionPointToStart(body);
    for (Operation &inner : old) {
      if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
        if (static_cast<int64_t>(index.getDim()) != jDim)
          return op.emitOpError("unexpected linalg.index in a ternary accumulation body");
        mapping.map(index.getResult(), linalg::IndexOp::create(b, index.getLoc(), 4).getResult());
        continue;
      }
      b.clone(inner, mapping);
    }
    tiled->setAttr(kTernaryAccumulationAttr, UnitAttr::get(ctx));
    tiled->setAttr(hls::kTernaryMatmul, UnitAttr::get(ctx));
    tiled->setAttr(hls::kPE, b.getI64IntegerAttr(P));
    b.setInsertionPointAfter(tiled);
    Value result = tensor::CollapseShapeOp::create(b, loc, outType, tiled.getResult(0),
                                                   ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    op.getResult(0).replaceAllUsesWith(result);
    op.erase();
    // The old weights and accumulator die with the old generic.
    SmallVector<Operation *> dead = {codes.getDefiningOp(), init.getDefiningOp()};
    llvm::SmallPtrSet<Operation *, 8> erased;
    while (!dead.empty()) {
      Operation *d = dead.pop_back_val();
      if (!d || erased.contains(d) || !d->use_empty() || !isPure(d))
        continue;
      erased.insert(d);
      for (Value v : d->getOperands())
        dead.push_back(v.getDefiningOp());
      d->erase();
    }
    return success();
  }
};
} // namespace
} // namespace mlir::tern
