//===- MatMul.cpp - MatMul and Gemm to linalg.matmul / batch_matmul -------===//
//
// numpy matmul semantics: 1-D operands are promoted and the added axis
// removed again, batch dimensions broadcast. A 2-D right operand with a
// batched left one collapses the batch into the rows (one linalg.matmul).
//
//===----------------------------------------------------------------------===//
#include "LegalizeUtils.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

static Value zeroFilled(OpBuilder &b, Location loc, RankedTensorType type) {
  return filledTensor(b, loc, type, scalarConst(b, loc, type.getElementType(), 0));
}

static Value matmul2D(OpBuilder &b, Location loc, Value a, Value bm) {
  auto at = tensorType(a), bt = tensorType(bm);
  auto type = RankedTensorType::get({at.getDimSize(0), bt.getDimSize(1)}, at.getElementType());
  return linalg::MatmulOp::create(b, loc, TypeRange{type}, ValueRange{a, bm},
                                  ValueRange{zeroFilled(b, loc, type)})
      .getResult(0);
}

/// Broadcasts `v` ([..., X, Y]) to batch dims `batch`.
static Value broadcastBatch(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> batch) {
  auto t = tensorType(v);
  SmallVector<int64_t> shape(batch);
  shape.push_back(t.getDimSize(t.getRank() - 2));
  shape.push_back(t.getDimSize(t.getRank() - 1));
  if (t.getShape() == ArrayRef<int64_t>(shape))
    return v;
  return buildElementwise(b, loc, RankedTensorType::get(shape, t.getElementType()), v,
                          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

static Value lowerMatMulValues(OpBuilder &b, Location loc, Value a, Value bm,
                               RankedTensorType resultType) {
  auto at = tensorType(a), bt = tensorType(bm);
  if (at.getRank() == 1)
    a = reshapeTo(b, loc, a, {1, at.getDimSize(0)});
  if (bt.getRank() == 1)
    bm = reshapeTo(b, loc, bm, {bt.getDimSize(0), 1});
  at = tensorType(a);
  bt = tensorType(bm);
  int64_t m = at.getDimSize(at.getRank() - 2), k = at.getDimSize(at.getRank() - 1);
  int64_t n = bt.getDimSize(bt.getRank() - 1);
  Value r;
  if (bt.getRank() == 2) {
    int64_t rows = 1;
    for (int64_t i = 0; i + 1 < at.getRank(); ++i)
      rows *= at.getDimSize(i);
    SmallVector<int64_t> rowsShape = {rows, k};
    r = matmul2D(b, loc, reshapeTo(b, loc, a, rowsShape), bm);
  } else {
    SmallVector<int64_t> batch;
    SmallVector<int64_t> ab(at.getShape().drop_back(2)), bb(bt.getShape().drop_back(2));
    size_t rank = std::max(ab.size(), bb.size());
    batch.assign(rank, 1);
    for (size_t i = 0; i < rank; ++i) {
      int64_t x = i + ab.size() >= rank ? ab[i + ab.size() - rank] : 1;
      int64_t y = i + bb.size() >= rank ? bb[i + bb.size() - rank] : 1;
      batch[i] = x == 1 ? y : x;
    }
    a = broadcastBatch(b, loc, a, batch);
    bm = broadcastBatch(b, loc, bm, batch);
    int64_t nb = 1;
    for (int64_t d : batch)
      nb *= d;
    Value a3 = reshapeTo(b, loc, a, {nb, m, k});
    Value b3 = reshapeTo(b, loc, bm, {nb, k, n});
    auto type = RankedTensorType::get({nb, m, n}, at.getElementType());
    r = linalg::BatchMatmulOp::create(b, loc, TypeRange{type}, ValueRange{a3, b3},
                                      ValueRange{zeroFilled(b, loc, type)})
            .getResult(0);
  }
  return reshapeTo(b, loc, r, resultType.getShape());
}

static LogicalResult lowerMatMul(ONNXNodeOp op, PatternRewriter &rw) {
  Value r = lowerMatMulValues(rw, op.getLoc(), op.getInput(0), op.getInput(1), resultType(op));
  rw.replaceOp(op, r);
  return success();
}

static Value transpose2D(OpBuilder &b, Location loc, Value v) {
  auto t = tensorType(v);
  auto type = RankedTensorType::get({t.getDimSize(1), t.getDimSize(0)}, t.getElementType());
  return linalg::TransposeOp::create(b, loc, v, emptyTensor(b, loc, type),
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

static LogicalResult lowerGemm(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  RankedTensorType type = resultType(op);
  Value a = op.getInput(0), bm = op.getInput(1), c = op.getInput(2);
  if (op.getIntAttr("transA", 0))
    a = transpose2D(rw, loc, a);
  if (op.getIntAttr("transB", 0))
    bm = transpose2D(rw, loc, bm);
  Value y = matmul2D(rw, loc, a, bm);
  float alpha = op.getFloatAttr("alpha", 1.0f), beta = op.getFloatAttr("beta", 1.0f);
  bool isFloat = isa<FloatType>(type.getElementType());
  if (alpha != 1.0f || c) {
    SmallVector<Value> ins = {y};
    if (c)
      ins.push_back(c);
    y = buildElementwise(rw, loc, type, ins, [&](OpBuilder &b, Location l, ValueRange v) {
      Type e = v[0].getType();
      Value acc = v[0];
      auto mul = [&](Value x, float k) -> Value {
        if (k == 1.0f)
          return x;
        Value kk = scalarConst(b, l, e, k);
        return isFloat ? Value(arith::MulFOp::create(b, l, x, kk))
                       : Value(arith::MulIOp::create(b, l, x, kk));
      };
      acc = mul(acc, alpha);
      if (v.size() > 1) {
        Value cc = mul(v[1], beta);
        acc = isFloat ? Value(arith::AddFOp::create(b, l, acc, cc))
                      : Value(arith::AddIOp::create(b, l, acc, cc));
      }
      return acc;
    });
  }
  rw.replaceOp(op, y);
  return success();
}

void onnx_import::populateONNXMatMulPatterns(RewritePatternSet &patterns) {
  addLowering(patterns, {"MatMul"}, lowerMatMul);
  addLowering(patterns, {"Gemm"}, lowerGemm);
}
