//===- TernaryToArith.cpp - ternary products as select/add/sub ------------===//
//
// The signature rewrite of Tern: after it, a ternary layer is an int8
// activation stream accumulated with add/sub selected by 2-bit weight codes.
//
//===----------------------------------------------------------------------===//
#include "Tern/TernaryKernels.h"
#include "tern/Conversion/Passes.h"
#include "tern/Support/TernaryPacking.h"
#include "tern/Utils/LinalgBuilders.h"

#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNTERNARYTOARITH
#include "tern/Conversion/Passes.h.inc"

namespace {

/// Ternary weights as the kernels read them: codes and s_w.
struct PackedWeights {
  Value codes;
  Value scale;
};

/// The grouped packing layout (see TernaryPacking.h): a row of K trits is
/// `groups` groups of `4 * bytes` trits stored in `bytes` bytes; with
/// tileRows = R > 1 the groups of R consecutive rows are interleaved.
struct Layout {
  int64_t bytes;    // G
  int64_t groups;   // ceil(K / 4G), or ceil(K / 20) for base 3
  int64_t tileRows; // R
  bool base3 = false; // 1.6-bit: 5 trits per byte, G = 4, R = 16

  Layout(int64_t cols, int64_t groupBytes, int64_t tileRows = 1)
      : bytes(groupBytes), groups(::tern::groupedRowBytes(cols, groupBytes) / groupBytes),
        tileRows(tileRows) {}
  static Layout base3Tiles(int64_t cols) {
    Layout l(cols, ::tern::kTileGroupBytes, ::tern::kTileRows);
    l.groups = ::tern::base3Groups(cols);
    l.base3 = true;
    return l;
  }
  /// Trits per byte position of a group (bit pairs, or base-3 digits).
  int64_t digits() const { return base3 ? 5 : 4; }
  int64_t paddedCols() const { return groups * digits() * bytes; }
  /// [N, groups] for G = 1 (plain rows), [N, groups, G] otherwise, and
  /// [N / R, groups, R, G] for row tiles.
  SmallVector<int64_t> codesShape(int64_t rows) const {
    if (tileRows > 1)
      return {rows / tileRows, groups, tileRows, bytes};
    if (bytes == 1)
      return {rows, groups};
    return {rows, groups, bytes};
  }
  /// A [R, paddedCols] tensor viewed as [R, groups, 4, G] (trit = group, bit
  /// pair, byte), [R, groups, 5, 4] for base 3 (trit = group, digit, byte).
  SmallVector<int64_t> tritView(int64_t rows) const { return {rows, groups, digits(), bytes}; }
};

RankedTensorType codesType(MLIRContext *ctx, TernaryType t, const Layout &layout) {
  return RankedTensorType::get(layout.codesShape(t.getRows()), IntegerType::get(ctx, 8));
}

/// Compile-time weights. With G = 1 and K % 4 == 0 the attribute's flat
/// packing is already the layout, so the blob is shared, not copied. Other
/// layouts get a new flat (1-D) blob, viewed in the layout's shape: a 1-D
/// global becomes one LLVM byte array, where a [N/16, K/16, 16, 4] one would
/// be millions of nested array constants (slow to build and translate).
FailureOr<PackedWeights> packConstant(OpBuilder &b, ConstantOp op, const Layout &layout) {
  TernaryAttr attr = op.getValue();
  TernaryType type = attr.getType();
  RankedTensorType resultType = codesType(b.getContext(), type, layout);
  Location loc = op.getLoc();
  Value codes;
  if (layout.bytes == 1 && layout.tileRows == 1 && type.getCols() % 4 == 0) {
    codes = arith::ConstantOp::create(
        b, loc, resultType, DenseResourceElementsAttr::get(resultType, attr.getPacked().getRawHandle()));
  } else {
    SmallVector<int8_t> trits;
    if (failed(attr.unpack(trits)))
      return op.emitOpError("cannot read its packed weights");
    std::vector<uint8_t> bytes(resultType.getNumElements());
    if (layout.base3)
      ::tern::packTritsBase3Tiled(trits.data(), type.getRows(), type.getCols(), bytes.data());
    else
      ::tern::packTritsGrouped(trits.data(), type.getRows(), type.getCols(), layout.bytes,
                               bytes.data(), layout.tileRows);
    auto flatType = RankedTensorType::get({resultType.getNumElements()}, b.getI8Type());
    auto packed = DenseResourceElementsAttr::get(
        flatType, "tern_packed",
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<uint8_t>(bytes)));
    codes = buildReshape(b, loc, arith::ConstantOp::create(b, loc, flatType, packed),
                         resultType.getShape());
  }
  return PackedWeights{codes, buildF32(b, loc, attr.getScaleValue())};
}

/// The bit shift of trit position j in its byte: 2 * j, as j + j (no multiply).
Value shiftOf(OpBuilder &b, Location loc, unsigned dim) {
  Value j = arith::IndexCastOp::create(b, loc, b.getI8Type(), linalg::IndexOp::create(b, loc, dim));
  return arith::AddIOp::create(b, loc, j, j);
}

/// Run-time weights: absmean scale, then four codes OR-ed into each byte.
PackedWeights packAtRunTime(OpBuilder &b, WeightQuantOp op, const Layout &layout) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  TernaryType type = op.getResult().getType();
  int64_t rows = type.getRows(), cols = type.getCols();
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

  // Zero-pad K (padding quantizes to the 0 code) and view as [N, groups, 4, G].
  w = buildReshape(b, loc, buildZeroPadLastAxis(b, loc, w, layout.paddedCols()),
                   layout.tritView(rows));
  Value codesInit = buildFilled(b, loc, {rows, layout.groups, layout.bytes}, b.getI8IntegerAttr(0));
  AffineExpr n = getAffineDimExpr(0, ctx), g = getAffineDimExpr(1, ctx),
             j = getAffineDimExpr(2, ctx), byte = getAffineDimExpr(3, ctx);
  auto codes = linalg::GenericOp::create(
      b, loc, codesInit.getType(), ValueRange{w}, ValueRange{codesInit},
      ArrayRef<AffineMap>{AffineMap::get(4, 0, {n, g, j, byte}, ctx),
                          AffineMap::get(4, 0, {n, g, byte}, ctx)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel,
                                    utils::IteratorType::reduction, utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value r = math::RoundEvenOp::create(nb, l, arith::MulFOp::create(nb, l, a[0], scale));
        r = arith::MaxNumFOp::create(nb, l, r, buildF32(nb, l, -1.0f));
        r = arith::MinNumFOp::create(nb, l, r, buildF32(nb, l, 1.0f));
        Value code = arith::AddIOp::create(
            nb, l, arith::FPToSIOp::create(nb, l, nb.getI8Type(), r),
            arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(1)));
        Value shifted = arith::ShLIOp::create(nb, l, code, shiftOf(nb, l, 2));
        linalg::YieldOp::create(nb, l, Value(arith::OrIOp::create(nb, l, a[1], shifted)));
      });
  Value result = buildReshape(b, loc, codes.getResult(0), layout.codesShape(rows));
  return PackedWeights{result, scale};
}

/// tensor<256x5xi8>: the five codes of every stored base-3 byte, c_p =
/// floor(3 m_p / 256) with m_0 = byte, m_{p+1} = 3 m_p mod 256.
Value base3Table(OpBuilder &b, Location loc) {
  SmallVector<int8_t> table;
  for (int byte = 0; byte < 256; ++byte)
    for (int p = 0, m = byte; p < 5; ++p, m = (3 * m) % 256)
      table.push_back(static_cast<int8_t>(3 * m / 256));
  auto type = RankedTensorType::get({256, 5}, b.getI8Type());
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, ArrayRef<int8_t>(table)));
}

/// y[m, n] = sum_k select(code(n,k)) { +1: +x[m,k], -1: -x[m,k], 0: skip }.
Value lowerTMatmul(OpBuilder &b, TMatmulOp op, const PackedWeights &w, const Layout &layout) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  TernaryType wType = op.getWeight().getType();
  auto inType = op.getInput().getType();
  int64_t cols = wType.getCols(), rows = wType.getRows();
  int64_t m = inType.getNumElements() / cols;
  Value x = buildReshape(b, loc, op.getInput(), {m, cols});
  x = buildReshape(b, loc, buildZeroPadLastAxis(b, loc, x, layout.paddedCols()), layout.tritView(m));
  // Dimensions: (m, n, group, bit pair j, byte), or for row tiles
  // (m, tile, row in tile, group, bit pair j, byte).
  bool tiled = layout.tileRows > 1;
  SmallVector<int64_t> accShape = {m, rows};
  if (tiled)
    accShape = {m, rows / layout.tileRows, layout.tileRows};
  Value codes = buildReshape(b, loc, w.codes,
                             tiled ? layout.codesShape(rows)
                                   : SmallVector<int64_t>{rows, layout.groups, layout.bytes});
  Value accInit = buildFilled(b, loc, accShape, b.getI32IntegerAttr(0));
  unsigned nDims = tiled ? 6 : 5;
  SmallVector<AffineExpr> d;
  for (unsigned i = 0; i < nDims; ++i)
    d.push_back(getAffineDimExpr(i, ctx));
  auto red = utils::IteratorType::reduction, par = utils::IteratorType::parallel;
  SmallVector<AffineMap> maps;
  SmallVector<utils::IteratorType> iterators;
  unsigned bitPairDim;
  if (tiled) {
    maps = {AffineMap::get(6, 0, {d[0], d[3], d[4], d[5]}, ctx),
            AffineMap::get(6, 0, {d[1], d[3], d[2], d[5]}, ctx),
            AffineMap::get(6, 0, {d[0], d[1], d[2]}, ctx)};
    iterators = {par, par, par, red, red, red};
    bitPairDim = 4;
  } else {
    maps = {AffineMap::get(5, 0, {d[0], d[2], d[3], d[4]}, ctx),
            AffineMap::get(5, 0, {d[1], d[2], d[4]}, ctx), AffineMap::get(5, 0, {d[0], d[1]}, ctx)};
    iterators = {par, par, red, red, red};
    bitPairDim = 3;
  }
  Value digitTable = layout.base3 ? base3Table(b, loc) : Value();
  auto generic = linalg::GenericOp::create(
      b, loc, accInit.getType(), ValueRange{x, codes}, ValueRange{accInit}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value code;
        if (layout.base3) {
          // The digit from a table: codes[byte][digit] (see base3Table).
          Value byte = arith::IndexCastUIOp::create(
              nb, l, nb.getIndexType(), arith::ExtUIOp::create(nb, l, nb.getI32Type(), a[1]));
          code = tensor::ExtractOp::create(nb, l, digitTable,
                                           ValueRange{byte, linalg::IndexOp::create(nb, l, bitPairDim)});
        } else {
          code = arith::AndIOp::create(nb, l, arith::ShRUIOp::create(nb, l, a[1], shiftOf(nb, l, bitPairDim)),
                                       arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(3)));
        }
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
  generic->setAttr(kTernaryGroupBytesAttr, b.getI64IntegerAttr(layout.bytes));
  if (tiled)
    generic->setAttr(kTernaryTileRowsAttr, b.getI64IntegerAttr(layout.tileRows));
  if (layout.base3)
    generic->setAttr(kTernaryBase3Attr, UnitAttr::get(ctx));
  return buildReshape(b, loc, generic.getResult(0), op.getResult().getType().getShape());
}

struct TernaryToArithPass : impl::TernTernaryToArithBase<TernaryToArithPass> {
  using Base::Base;
  /// The chosen kernel's weight layout (portable without a kernel attribute).
  const TernaryKernelInfo *kernel = nullptr;

  void runOnOperation() override {
    TernaryKernelAttr attr = getModuleTernaryKernel(getOperation());
    kernel = &getTernaryKernelInfo(attr ? attr.getKind() : TernaryKernelKind::portable);
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
    auto type = cast<TernaryType>(producer->getResult(0).getType());
    // Row tiles for compile-time weights whose row count they divide; run-time
    // quantized weights (and other shapes) keep the plain grouped layout of
    // the kernel's untiled fallback.
    int64_t tileRows = kernel->tileRows;
    int64_t groupBytes = kernel->kind == TernaryKernelKind::portable ? 1 : 64;
    bool tiled = tileRows > 1 && isa<ConstantOp>(producer) && type.getRows() % tileRows == 0;
    // Base 3 keeps the kernel's i32 sums exact up to K = 16384 (its
    // intermediate 256 * dot must fit in 32 bits); wider rows stay 2-bit.
    bool base3 = kernel->kind == TernaryKernelKind::vnni_base3 && tiled && type.getCols() <= 16384;
    Layout layout = base3   ? Layout::base3Tiles(type.getCols())
                    : tiled ? Layout(type.getCols(), kernel->tileBytes, tileRows)
                            : Layout(type.getCols(), groupBytes);
    FailureOr<PackedWeights> packed =
        isa<ConstantOp>(producer)
            ? packConstant(b, cast<ConstantOp>(producer), layout)
            : FailureOr<PackedWeights>(packAtRunTime(b, cast<WeightQuantOp>(producer), layout));
    if (failed(packed))
      return failure();
    for (Operation *user : llvm::make_early_inc_range(producer->getUsers())) {
      b.setInsertionPoint(user);
      if (auto mm = dyn_cast<TMatmulOp>(user)) {
        mm.replaceAllUsesWith(lowerTMatmul(b, mm, *packed, layout));
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
