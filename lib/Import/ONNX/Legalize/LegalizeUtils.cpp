//===- LegalizeUtils.cpp - shared pieces of the onnx.node lowerings -------===//
#include "LegalizeUtils.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {
struct NodeLowering : OpRewritePattern<ONNXNodeOp> {
  NodeLowering(MLIRContext *ctx, ArrayRef<StringRef> ops, LoweringFn fn)
      : OpRewritePattern(ctx), fn(std::move(fn)) {
    for (StringRef op : ops)
      opTypes.insert(op);
  }
  LogicalResult matchAndRewrite(ONNXNodeOp op, PatternRewriter &rewriter) const override {
    if (!op.isDefaultDomain() || !opTypes.contains(op.getOpType()))
      return failure();
    for (Type t : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
      if (isa<NoneType>(t))
        continue;
      auto tensor = dyn_cast<RankedTensorType>(t);
      if (!tensor || !tensor.hasStaticShape() ||
          !isSupportedElementType(tensor.getElementType())) {
        op.emitError() << op.describe() << ": type " << t
                       << " is not supported (Tern compiles static tensors of f16, f32, f64, "
                          "i64, i32, i16, i8, i1 and unsigned ui64, ui32, ui16, ui8)";
        return failure();
      }
    }
    if (failed(prepareUnsignedNode(op, rewriter)))
      return failure();
    rewriter.setInsertionPoint(op);
    return fn(op, rewriter);
  }
  llvm::StringSet<> opTypes;
  LoweringFn fn;
};
} // namespace

void onnx_import::addLowering(RewritePatternSet &patterns, ArrayRef<StringRef> opTypes,
                              LoweringFn fn) {
  patterns.add<NodeLowering>(patterns.getContext(), opTypes, std::move(fn));
}

bool onnx_import::isSupportedElementType(Type t) {
  if (t.isF32() || t.isF64() || t.isF16())
    return true;
  if (auto i = dyn_cast<IntegerType>(t))
    return !i.isSigned() && llvm::is_contained({1u, 8u, 16u, 32u, 64u}, i.getWidth()) &&
           !(i.isUnsigned() && i.getWidth() == 1);
  return false;
}

RankedTensorType onnx_import::resultType(ONNXNodeOp op, unsigned i) {
  return cast<RankedTensorType>(op->getResult(i).getType());
}

RankedTensorType onnx_import::tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value onnx_import::buildElementwise(OpBuilder &b, Location loc, RankedTensorType type,
                                    ValueRange inputs, ScalarFn body) {
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs) {
    auto t = tensorType(in);
    SmallVector<AffineExpr> exprs;
    int64_t off = rank - t.getRank();
    for (int64_t i = 0; i < t.getRank(); ++i)
      exprs.push_back(t.getDimSize(i) == 1 && type.getDimSize(off + i) != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(off + i, ctx));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value r = body(nb, nl, args.drop_back());
        linalg::YieldOp::create(nb, nl, r);
      });
  return generic.getResult(0);
}

Value onnx_import::scalarConst(OpBuilder &b, Location loc, Type type, double value) {
  if (auto f = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, value));
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value onnx_import::castScalar(OpBuilder &b, Location loc, Value v, Type to, bool fromUnsigned,
                              bool toUnsigned) {
  Type from = v.getType();
  if (from == to)
    return v;
  bool fromF = isa<FloatType>(from), toF = isa<FloatType>(to);
  if (fromF && toF) {
    return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
               ? Value(arith::ExtFOp::create(b, loc, to, v))
               : Value(arith::TruncFOp::create(b, loc, to, v));
  }
  if (fromF) {
    if (to.isInteger(1)) {
      Value zero = scalarConst(b, loc, from, 0.0);
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, zero);
    }
    if (toUnsigned)
      return arith::FPToUIOp::create(b, loc, to, v);
    return arith::FPToSIOp::create(b, loc, to, v);
  }
  if (toF) {
    if (from.isInteger(1) || fromUnsigned)
      return arith::UIToFPOp::create(b, loc, to, v);
    return arith::SIToFPOp::create(b, loc, to, v);
  }
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (tw == 1) {
    Value zero = scalarConst(b, loc, from, 0);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v, zero);
  }
  if (fw == 1 || (fromUnsigned && fw < tw))
    return arith::ExtUIOp::create(b, loc, to, v);
  if (fw < tw)
    return arith::ExtSIOp::create(b, loc, to, v);
  return arith::TruncIOp::create(b, loc, to, v);
}

Value onnx_import::emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
}

Value onnx_import::filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                                Value fill) {
  Value empty = emptyTensor(b, loc, type);
  return linalg::FillOp::create(b, loc, ValueRange{fill}, ValueRange{empty}).getResult(0);
}

Value onnx_import::reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto from = tensorType(v);
  if (from.getShape() == shape)
    return v;
  auto to = RankedTensorType::get(shape, from.getElementType());
  if (from.getRank() > to.getRank()) {
    if (auto reassoc = getReassociationIndicesForCollapse(from.getShape(), shape))
      return tensor::CollapseShapeOp::create(b, loc, to, v, *reassoc);
  } else if (from.getRank() < to.getRank()) {
    if (auto reassoc = getReassociationIndicesForCollapse(shape, from.getShape()))
      return tensor::ExpandShapeOp::create(b, loc, to, v, *reassoc);
  }
  // General case: through a rank-1 tensor (rank 0: through [1]).
  int64_t n = from.getNumElements();
  auto flatType = RankedTensorType::get({n}, from.getElementType());
  Value flat = v;
  if (from.getRank() == 0) {
    flat = tensor::ExpandShapeOp::create(b, loc, flatType, v, SmallVector<ReassociationIndices>{});
  } else if (from.getRank() != 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < from.getRank(); ++i)
      all.push_back(i);
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, v,
                                           SmallVector<ReassociationIndices>{all});
  }
  if (to.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, to, flat, SmallVector<ReassociationIndices>{});
  if (to.getRank() == 1)
    return flat;
  ReassociationIndices all;
  for (int64_t i = 0; i < to.getRank(); ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, to, flat, SmallVector<ReassociationIndices>{all});
}

Value onnx_import::extractScalar(OpBuilder &b, Location loc, Value oneElement) {
  auto t = tensorType(oneElement);
  SmallVector<Value> idx(t.getRank(), arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, oneElement, idx);
}

Value onnx_import::buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> dims, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto t = tensorType(input);
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < t.getRank(); ++i)
    if (!llvm::is_contained(dims, i))
      shape.push_back(t.getDimSize(i));
  auto outType = RankedTensorType::get(shape, t.getElementType());
  Value acc = filledTensor(b, loc, outType, init);
  auto reduce = linalg::ReduceOp::create(
      b, loc, ValueRange{input}, ValueRange{acc}, dims,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, combine(nb, nl, args[0], args[1]));
      });
  return reduce.getResult(0);
}
