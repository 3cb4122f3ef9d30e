//===- DataMovement.cpp - shape and layout ops to tensor/linalg -----------===//
//
// Reshape/Flatten/Squeeze/Unsqueeze (expand/collapse_shape), Transpose
// (linalg.transpose), Concat (tensor.concat), Split and positive-step Slice
// (tensor.extract_slice), negative-step Slice, Tile and Pad modes (generic
// with index arithmetic), Expand (broadcasting generic), Range, and
// Shape/Size/ConstantOfShape when they were not folded at import.
//
//===----------------------------------------------------------------------===//
#include "../ONNXInference.h"
#include "../ONNXUtils.h"
#include "LegalizeUtils.h"
#include "tern/Utils/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

static LogicalResult lowerReshape(ONNXNodeOp op, PatternRewriter &rw) {
  rw.replaceOp(op, reshapeTo(rw, op.getLoc(), op.getInput(0), resultType(op).getShape()));
  return success();
}

static LogicalResult lowerTranspose(ONNXNodeOp op, PatternRewriter &rw) {
  RankedTensorType type = resultType(op);
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm;
  if (auto p = op.getIntsAttr("perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  Value r = linalg::TransposeOp::create(rw, op.getLoc(), op.getInput(0),
                                        emptyTensor(rw, op.getLoc(), type), perm)
                .getResult()[0];
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerConcat(ONNXNodeOp op, PatternRewriter &rw) {
  RankedTensorType type = resultType(op);
  int64_t axis = op.getIntAttr("axis", 0);
  normalizeAxis(axis, type.getRank());
  SmallVector<Value> inputs;
  for (Value v : op.getInputs())
    if (tensorType(v).getDimSize(axis) != 0)
      inputs.push_back(v);
  if (inputs.size() == 1) {
    rw.replaceOp(op, inputs[0]);
    return success();
  }
  if (inputs.empty()) {
    rw.replaceOp(op, emptyTensor(rw, op.getLoc(), type));
    return success();
  }
  rw.replaceOp(op, tensor::ConcatOp::create(rw, op.getLoc(), type, axis, inputs).getResult());
  return success();
}

static LogicalResult lowerSplit(ONNXNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  auto xt = tensorType(x);
  int64_t axis = op.getIntAttr("axis", 0);
  normalizeAxis(axis, xt.getRank());
  SmallVector<int64_t> sizes;
  std::string error;
  if (failed(splitSizes(nodeDescOf(op), xt.getDimSize(axis), op.getNumResults(), sizes, error)))
    return op.emitError() << op.describe() << ": " << error;
  SmallVector<Value> results;
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    SmallVector<OpFoldResult> offsets(xt.getRank(), rw.getIndexAttr(0)),
        strides(xt.getRank(), rw.getIndexAttr(1)), shape;
    for (int64_t d = 0; d < xt.getRank(); ++d)
      shape.push_back(rw.getIndexAttr(d == axis ? size : xt.getDimSize(d)));
    offsets[axis] = rw.getIndexAttr(offset);
    offset += size;
    if (resultType(op, i).getNumElements() == 0) {
      results.push_back(emptyTensor(rw, op.getLoc(), resultType(op, i)));
      continue;
    }
    results.push_back(tensor::ExtractSliceOp::create(rw, op.getLoc(), resultType(op, i), x,
                                                     offsets, shape, strides));
  }
  rw.replaceOp(op, results);
  return success();
}

static LogicalResult lowerSlice(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput(0);
  auto xt = tensorType(x);
  RankedTensorType type = resultType(op);
  SmallVector<int64_t> starts, steps, sizes;
  std::string error;
  if (failed(sliceParams(nodeDescOf(op), xt.getShape(), starts, steps, sizes, error)))
    return op.emitError() << op.describe() << ": " << error;
  if (type.getNumElements() == 0) {
    rw.replaceOp(op, emptyTensor(rw, loc, type));
    return success();
  }
  if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
    SmallVector<OpFoldResult> o, s, st;
    for (int64_t d = 0; d < xt.getRank(); ++d) {
      o.push_back(rw.getIndexAttr(starts[d]));
      s.push_back(rw.getIndexAttr(sizes[d]));
      st.push_back(rw.getIndexAttr(steps[d]));
    }
    rw.replaceOp(op, tensor::ExtractSliceOp::create(rw, loc, type, x, o, s, st).getResult());
    return success();
  }
  // Negative steps: gather element by element.
  Value r = buildElementwise(rw, loc, type, ValueRange{}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
    SmallVector<Value> idx;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      Value i = linalg::IndexOp::create(b, l, d);
      Value step = arith::ConstantIndexOp::create(b, l, steps[d]);
      Value start = arith::ConstantIndexOp::create(b, l, starts[d]);
      idx.push_back(arith::AddIOp::create(b, l, start, arith::MulIOp::create(b, l, i, step)));
    }
    return tensor::ExtractOp::create(b, l, x, idx);
  });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerExpand(ONNXNodeOp op, PatternRewriter &rw) {
  Value r = buildElementwise(rw, op.getLoc(), resultType(op), op.getInput(0),
                             [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerTile(ONNXNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  auto xt = tensorType(x);
  RankedTensorType type = resultType(op);
  Value r = buildElementwise(rw, op.getLoc(), type, ValueRange{}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
    SmallVector<Value> idx;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      Value i = linalg::IndexOp::create(b, l, d);
      Value n = arith::ConstantIndexOp::create(b, l, xt.getDimSize(d));
      idx.push_back(arith::RemUIOp::create(b, l, i, n));
    }
    return tensor::ExtractOp::create(b, l, x, idx);
  });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerPad(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput(0);
  auto xt = tensorType(x);
  RankedTensorType type = resultType(op);
  SmallVector<int64_t> low, high;
  std::string error;
  if (failed(padParams(nodeDescOf(op), xt.getShape(), low, high, error)))
    return op.emitError() << op.describe() << ": " << error;
  std::string mode = op.getStringAttr("mode", "constant");
  Type elem = type.getElementType();
  if (mode == "constant") {
    Value pad = op.getInput(2) ? extractScalar(rw, loc, op.getInput(2))
                               : scalarConst(rw, loc, elem, op.getFloatAttr("value", 0.0f));
    bool negative = llvm::any_of(llvm::concat<int64_t>(low, high), [](int64_t p) { return p < 0; });
    if (!negative) {
      SmallVector<OpFoldResult> lo, hi;
      for (auto [l, h] : llvm::zip(low, high)) {
        lo.push_back(rw.getIndexAttr(l));
        hi.push_back(rw.getIndexAttr(h));
      }
      auto padOp = tensor::PadOp::create(rw, loc, type, x, lo, hi, pad);
      rw.replaceOp(op, padOp.getResult());
      return success();
    }
    Value r = buildElementwise(rw, loc, type, ValueRange{}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
      Value inside = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
      SmallVector<Value> idx;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        Value i = arith::IndexCastOp::create(b, l, b.getI64Type(), linalg::IndexOp::create(b, l, d));
        Value j = arith::SubIOp::create(b, l, i, scalarConst(b, l, b.getI64Type(), low[d]));
        Value ge = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, j, scalarConst(b, l, b.getI64Type(), 0));
        Value lt = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, j, scalarConst(b, l, b.getI64Type(), xt.getDimSize(d)));
        inside = arith::AndIOp::create(b, l, inside, arith::AndIOp::create(b, l, ge, lt));
        Value clamped = arith::MaxSIOp::create(b, l, scalarConst(b, l, b.getI64Type(), 0),
                                               arith::MinSIOp::create(b, l, j, scalarConst(b, l, b.getI64Type(), std::max<int64_t>(xt.getDimSize(d) - 1, 0))));
        idx.push_back(arith::IndexCastOp::create(b, l, b.getIndexType(), clamped));
      }
      Value v = tensor::ExtractOp::create(b, l, x, idx);
      return arith::SelectOp::create(b, l, inside, v, pad);
    });
    rw.replaceOp(op, r);
    return success();
  }
  if (mode != "edge" && mode != "reflect" && mode != "wrap")
    return op.emitError() << op.describe() << ": unsupported pad mode '" << mode << "'";
  for (int64_t d = 0; d < xt.getRank(); ++d)
    if ((low[d] || high[d]) && (xt.getDimSize(d) == 0 || (mode == "reflect" && (low[d] >= xt.getDimSize(d) || high[d] >= xt.getDimSize(d)))))
      return op.emitError() << op.describe() << ": pads too large for mode '" << mode << "'";
  Value r = buildElementwise(rw, loc, type, ValueRange{}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
    Type i64 = b.getI64Type();
    SmallVector<Value> idx;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t n = xt.getDimSize(d);
      Value i = arith::IndexCastOp::create(b, l, i64, linalg::IndexOp::create(b, l, d));
      Value j = arith::SubIOp::create(b, l, i, scalarConst(b, l, i64, low[d]));
      Value zero = scalarConst(b, l, i64, 0), last = scalarConst(b, l, i64, n - 1);
      if (mode == "edge") {
        j = arith::MaxSIOp::create(b, l, zero, arith::MinSIOp::create(b, l, j, last));
      } else if (mode == "wrap") {
        Value nn = scalarConst(b, l, i64, n);
        Value r = arith::RemSIOp::create(b, l, j, nn);
        Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, r, zero);
        j = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, r, nn), r);
      } else {
        // reflect (pads < n): -j for j < 0, 2(n-1) - j for j > n-1.
        Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, j, zero);
        j = arith::SelectOp::create(b, l, neg, arith::SubIOp::create(b, l, zero, j), j);
        Value over = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, j, last);
        Value twice = scalarConst(b, l, i64, 2 * (n - 1));
        j = arith::SelectOp::create(b, l, over, arith::SubIOp::create(b, l, twice, j), j);
      }
      idx.push_back(arith::IndexCastOp::create(b, l, b.getIndexType(), j));
    }
    return tensor::ExtractOp::create(b, l, x, idx);
  });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerRange(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  RankedTensorType type = resultType(op);
  Value start = extractScalar(rw, loc, op.getInput(0));
  Value delta = extractScalar(rw, loc, op.getInput(2));
  Value r = buildElementwise(rw, loc, type, ValueRange{}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
    Value i = arith::IndexCastOp::create(b, l, b.getI64Type(), linalg::IndexOp::create(b, l, 0));
    Value k = castScalar(b, l, i, type.getElementType());
    if (isa<FloatType>(type.getElementType()))
      return arith::AddFOp::create(b, l, start, arith::MulFOp::create(b, l, k, delta));
    return arith::AddIOp::create(b, l, start, arith::MulIOp::create(b, l, k, delta));
  });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerShapeOps(ONNXNodeOp op, PatternRewriter &rw) {
  // Import folds these; they reach here only from hand-written IR.
  SmallVector<Value> results;
  NodeDesc desc = nodeDescOf(op);
  SmallVector<Type> types(op->getResultTypes());
  if (foldNode(rw, op.getLoc(), desc, types, results)) {
    rw.replaceOp(op, results);
    return success();
  }
  // A ConstantOfShape too large to fold is filled at run time.
  if (op.getOpType() == "ConstantOfShape" && resultType(op).hasStaticShape()) {
    RankedTensorType type = resultType(op);
    TypedAttr value = rw.getZeroAttr(type.getElementType());
    if (auto v = dyn_cast_or_null<DenseElementsAttr>(op.getONNXAttr("value"));
        v && v.getNumElements() == 1)
      value = cast<TypedAttr>(v.getValues<Attribute>()[0]);
    rw.replaceOp(op, buildFilled(rw, op.getLoc(), type.getShape(), value));
    return success();
  }
  return op.emitError() << op.describe() << ": needs constant operands";
}

/// Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the
/// last two axes, zeroes the rest.
static LogicalResult lowerTrilu(ONNXNodeOp op, PatternRewriter &rw) {
  RankedTensorType type = resultType(op);
  int64_t rank = type.getRank();
  if (rank < 2)
    return op.emitError() << op.describe() << ": needs rank >= 2";
  int64_t k = 0;
  if (Value kv = op.getInput(1)) {
    auto c = getScalarInt(kv);
    if (!c)
      return op.emitError() << op.describe() << ": k must be a constant" << graphInputHint(kv);
    k = *c;
  }
  bool upper = op.getIntAttr("upper", 1) != 0;
  Value r = buildElementwise(rw, op.getLoc(), type, op.getInput(0), [&](OpBuilder &b, Location l, ValueRange a) -> Value {
    Type i64 = b.getI64Type();
    Value i = arith::IndexCastOp::create(b, l, i64, linalg::IndexOp::create(b, l, rank - 2));
    Value j = arith::IndexCastOp::create(b, l, i64, linalg::IndexOp::create(b, l, rank - 1));
    Value d = arith::SubIOp::create(b, l, j, i);
    Value keep = arith::CmpIOp::create(b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                                       d, scalarConst(b, l, i64, k));
    return arith::SelectOp::create(b, l, keep, a[0], scalarConst(b, l, a[0].getType(), 0));
  });
  rw.replaceOp(op, r);
  return success();
}

void onnx_import::populateONNXDataMovementPatterns(RewritePatternSet &patterns) {
  addLowering(patterns, {"Trilu"}, lowerTrilu);
  addLowering(patterns, {"Reshape", "Flatten", "Squeeze", "Unsqueeze"}, lowerReshape);
  addLowering(patterns, {"Transpose"}, lowerTranspose);
  addLowering(patterns, {"Concat"}, lowerConcat);
  addLowering(patterns, {"Split"}, lowerSplit);
  addLowering(patterns, {"Slice"}, lowerSlice);
  addLowering(patterns, {"Expand"}, lowerExpand);
  addLowering(patterns, {"Tile"}, lowerTile);
  addLowering(patterns, {"Pad"}, lowerPad);
  addLowering(patterns, {"Range"}, lowerRange);
  addLowering(patterns, {"Shape", "Size", "ConstantOfShape"}, lowerShapeOps);
}
