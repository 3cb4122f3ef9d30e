//===- Indexing.cpp - Gather and GatherElements ---------------------------===//
//
// Negative indices count from the end (ONNX); indices outside the axis are
// an error in ONNX: a constant one is a compile error, others are checked at
// run time when the pass is asked to (buildIndexBoundCheck: the model call
// fails naming the node and the index). The access itself stays clamped so
// that no read ever leaves the tensor. A constant scalar index becomes a
// tensor.extract_slice.
//
//===----------------------------------------------------------------------===//
#include "../ONNXUtils.h"
#include "LegalizeUtils.h"
#include "tern/Utils/IndexChecks.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

/// `idx` (any int type) as an in-range index into an axis of size `dim`.
static Value normalizeIndex(OpBuilder &b, Location l, Value idx, int64_t dim) {
  Type i64 = b.getI64Type();
  idx = castScalar(b, l, idx, i64);
  Value zero = scalarConst(b, l, i64, 0), n = scalarConst(b, l, i64, dim);
  Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, idx, zero);
  idx = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, idx, n), idx);
  idx = arith::MaxSIOp::create(b, l, zero,
                               arith::MinSIOp::create(b, l, idx, scalarConst(b, l, i64, std::max<int64_t>(dim - 1, 0))));
  return arith::IndexCastOp::create(b, l, b.getIndexType(), idx);
}

/// Constant indices outside [-dim, dim) are a compile error naming the node;
/// others get a run-time check when `runtimeChecks`.
static LogicalResult checkIndices(ONNXNodeOp op, PatternRewriter &rw, Value indices, int64_t dim,
                                  bool runtimeChecks) {
  DenseIntElementsAttr values;
  if (matchPattern(indices, m_Constant(&values))) {
    for (const APInt &v : values) {
      int64_t k = v.getSExtValue();
      if (k < -dim || k >= dim)
        return op.emitError() << op.describe() << ": index " << k
                              << " is out of range for an axis of size " << dim
                              << " (valid: " << -dim << " to " << dim - 1 << ")";
    }
    return success();
  }
  if (runtimeChecks)
    buildIndexBoundCheck(rw, op.getLoc(), indices, dim, op.describe());
  return success();
}

static LogicalResult lowerGather(ONNXNodeOp op, PatternRewriter &rw, bool runtimeChecks) {
  Location loc = op.getLoc();
  Value data = op.getInput(0), indices = op.getInput(1);
  auto dt = tensorType(data), it = tensorType(indices);
  RankedTensorType type = resultType(op);
  int64_t axis = op.getIntAttr("axis", 0);
  normalizeAxis(axis, dt.getRank());
  int64_t dim = dt.getDimSize(axis);
  if (failed(checkIndices(op, rw, indices, dim, runtimeChecks)))
    return failure();
  if (type.getNumElements() == 0) {
    rw.replaceOp(op, emptyTensor(rw, loc, type));
    return success();
  }
  if (auto k = getScalarInt(indices); k && it.getRank() == 0 && *k >= -dim && *k < dim) {
    int64_t at = *k < 0 ? *k + dim : *k;
    SmallVector<OpFoldResult> offsets(dt.getRank(), rw.getIndexAttr(0)),
        strides(dt.getRank(), rw.getIndexAttr(1)), sizes;
    SmallVector<int64_t> sliceShape(dt.getShape());
    sliceShape[axis] = 1;
    for (int64_t d : sliceShape)
      sizes.push_back(rw.getIndexAttr(d));
    offsets[axis] = rw.getIndexAttr(at);
    Value slice = tensor::ExtractSliceOp::create(
        rw, loc, RankedTensorType::get(sliceShape, dt.getElementType()), data, offsets, sizes,
        strides);
    rw.replaceOp(op, reshapeTo(rw, loc, slice, type.getShape()));
    return success();
  }
  int64_t q = it.getRank();
  Value r = buildElementwise(rw, loc, type, ValueRange{}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
    SmallVector<Value> outIdx;
    for (int64_t d = 0; d < type.getRank(); ++d)
      outIdx.push_back(linalg::IndexOp::create(b, l, d));
    SmallVector<Value> iIdx(outIdx.begin() + axis, outIdx.begin() + axis + q);
    Value k = normalizeIndex(b, l, tensor::ExtractOp::create(b, l, indices, iIdx), dim);
    SmallVector<Value> dIdx(outIdx.begin(), outIdx.begin() + axis);
    dIdx.push_back(k);
    dIdx.append(outIdx.begin() + axis + q, outIdx.end());
    return tensor::ExtractOp::create(b, l, data, dIdx);
  });
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerGatherElements(ONNXNodeOp op, PatternRewriter &rw,
                                         bool runtimeChecks) {
  Location loc = op.getLoc();
  Value data = op.getInput(0), indices = op.getInput(1);
  auto dt = tensorType(data);
  RankedTensorType type = resultType(op);
  int64_t axis = op.getIntAttr("axis", 0);
  normalizeAxis(axis, dt.getRank());
  int64_t dim = dt.getDimSize(axis);
  if (failed(checkIndices(op, rw, indices, dim, runtimeChecks)))
    return failure();
  Value r = buildElementwise(rw, loc, type, indices, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
    SmallVector<Value> idx;
    for (int64_t d = 0; d < type.getRank(); ++d)
      idx.push_back(linalg::IndexOp::create(b, l, d));
    idx[axis] = normalizeIndex(b, l, a[0], dim);
    return tensor::ExtractOp::create(b, l, data, idx);
  });
  rw.replaceOp(op, r);
  return success();
}

void onnx_import::populateONNXIndexingPatterns(RewritePatternSet &patterns, bool runtimeChecks) {
  addLowering(patterns, {"Gather"}, [runtimeChecks](ONNXNodeOp op, PatternRewriter &rw) {
    return lowerGather(op, rw, runtimeChecks);
  });
  addLowering(patterns, {"GatherElements"}, [runtimeChecks](ONNXNodeOp op, PatternRewriter &rw) {
    return lowerGatherElements(op, rw, runtimeChecks);
  });
}
