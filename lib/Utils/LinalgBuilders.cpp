//===- LinalgBuilders.cpp - small builders for linalg on tensors ----------===//
#include "tern/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;

namespace mlir::tern {

/// The indexing map of an operand of `operandShape` broadcast to `rank` dims.
static AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                              ArrayRef<int64_t> resultShape) {
  unsigned rank = resultShape.size();
  unsigned offset = rank - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, dim] : llvm::enumerate(operandShape)) {
    bool broadcast = dim == 1 && resultShape[offset + i] != 1;
    exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value buildElementwise(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                       Type elementType, ValueRange tensors, ScalarBodyFn body,
                       ValueRange scalars) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value t : tensors)
    maps.push_back(broadcastMap(ctx, cast<RankedTensorType>(t.getType()).getShape(), shape));
  maps.push_back(b.getMultiDimIdentityMap(shape.size()));
  SmallVector<utils::IteratorType> iterators(shape.size(), utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, shape, elementType);
  SmallVector<Value> captured(scalars);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), tensors, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> operands(args.drop_back());
        operands.append(captured.begin(), captured.end());
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, operands));
      });
  return generic.getResult(0);
}

Value buildLastAxisReduction(OpBuilder &b, Location loc, Value input, TypedAttr init,
                             function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  SmallVector<int64_t> reducedShape(type.getShape().drop_back());
  Value filled = buildFilled(b, loc, reducedShape, init);
  SmallVector<AffineExpr> outExprs;
  for (unsigned i = 0; i + 1 < rank; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(rank - 1, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, filled.getType(), ValueRange{input}, ValueRange{filled}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[0], args[1]));
      });
  SmallVector<int64_t> keptShape(reducedShape);
  keptShape.push_back(1);
  return buildReshape(b, loc, generic.getResult(0), keptShape);
}

Value buildFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, TypedAttr value) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, value.getType());
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

Value buildZeroPadLastAxis(OpBuilder &b, Location loc, Value input, int64_t size) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getShape().back() == size)
    return input;
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = size;
  Value dest = buildFilled(b, loc, shape, b.getZeroAttr(type.getElementType()));
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
      strides(type.getRank(), b.getIndexAttr(1)), sizes;
  for (int64_t d : type.getShape())
    sizes.push_back(b.getIndexAttr(d));
  return tensor::InsertSliceOp::create(b, loc, input, dest, offsets, sizes, strides);
}

Value buildF32(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value buildSigmoid(OpBuilder &b, Location loc, Value x) {
  // 1 / (1 + exp(-x)): exp overflows to inf for very negative x, giving 0.
  Value one = buildF32(b, loc, 1.0f);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
}

Value buildSiLU(OpBuilder &b, Location loc, Value x) {
  return arith::MulFOp::create(b, loc, x, buildSigmoid(b, loc, x));
}

Value buildReshape(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getShape() == shape)
    return input;
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  // Prefer collapse/expand (no shape operand); fall back to collapse-all + expand.
  if (auto reassoc = getReassociationIndicesForReshape(type, resultType)) {
    if (resultType.getRank() < type.getRank())
      return tensor::CollapseShapeOp::create(b, loc, resultType, input, *reassoc);
    return tensor::ExpandShapeOp::create(b, loc, resultType, input, *reassoc);
  }
  int64_t n = type.getNumElements();
  auto flatType = RankedTensorType::get({n}, type.getElementType());
  Value flat = input;
  if (type.getRank() != 1) {
    SmallVector<ReassociationIndices> all(1);
    for (int64_t i = 0; i < type.getRank(); ++i)
      all[0].push_back(i);
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, input, all);
  }
  if (resultType.getRank() == 1)
    return flat;
  SmallVector<ReassociationIndices> all(1);
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    all[0].push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat, all);
}

} // namespace mlir::tern
