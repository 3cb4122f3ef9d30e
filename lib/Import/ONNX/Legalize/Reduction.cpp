//===- Reduction.cpp - reductions, arg-reductions, softmax, layer norm ----===//
//
// Reduce* (axes as attribute before opset 18 / 13 for ReduceSum, as input
// after; keepdims; noop_with_empty_axes), ArgMax/ArgMin, Softmax/LogSoftmax/
// Hardmax (opset 13: one axis), LayerNormalization, CumSum.
//
//===----------------------------------------------------------------------===//
#include "../ONNXUtils.h"
#include "LegalizeUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

static bool isFloat(Type t) { return isa<FloatType>(t); }

/// The reduced axes (sorted, normalized); empty means "reduce nothing".
static FailureOr<SmallVector<int64_t>> reduceAxes(ONNXNodeOp op, int64_t rank) {
  std::optional<SmallVector<int64_t>> axes;
  if (Value a = op.getInput(1)) {
    axes = getConstantInts(a);
    if (!axes) {
      op.emitError() << op.describe() << ": axes must be a constant";
      return failure();
    }
  } else {
    axes = op.getIntsAttr("axes");
  }
  SmallVector<int64_t> result;
  if (!axes || axes->empty()) {
    if (op.getIntAttr("noop_with_empty_axes", 0))
      return result;
    for (int64_t i = 0; i < rank; ++i)
      result.push_back(i);
    return result;
  }
  for (int64_t a : *axes) {
    if (!normalizeAxis(a, rank)) {
      op.emitError() << op.describe() << ": axis out of range";
      return failure();
    }
    if (!llvm::is_contained(result, a))
      result.push_back(a);
  }
  llvm::sort(result);
  return result;
}

static Value add(OpBuilder &b, Location l, Value x, Value y) {
  return isFloat(x.getType()) ? Value(arith::AddFOp::create(b, l, x, y))
                              : Value(arith::AddIOp::create(b, l, x, y));
}
static Value mul(OpBuilder &b, Location l, Value x, Value y) {
  return isFloat(x.getType()) ? Value(arith::MulFOp::create(b, l, x, y))
                              : Value(arith::MulIOp::create(b, l, x, y));
}

static Value mapValues(OpBuilder &b, Location loc, Value v,
                       function_ref<Value(OpBuilder &, Location, Value)> fn) {
  return buildElementwise(b, loc, tensorType(v), v,
                          [&](OpBuilder &nb, Location l, ValueRange a) { return fn(nb, l, a[0]); });
}

static LogicalResult lowerReduce(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput(0);
  RankedTensorType type = resultType(op);
  Type elem = type.getElementType();
  StringRef t = op.getOpType();
  auto axesOr = reduceAxes(op, tensorType(x).getRank());
  if (failed(axesOr))
    return failure();
  SmallVector<int64_t> axes = *axesOr;
  if (axes.empty() && op.getIntAttr("noop_with_empty_axes", 0)) {
    rw.replaceOp(op, x);
    return success();
  }
  bool f = isFloat(elem);
  if (!f && (t == "ReduceL2" || t == "ReduceLogSum" || t == "ReduceLogSumExp"))
    return op.emitError() << op.describe() << ": needs a float element type";
  // Pre-map, combine, init, post-map.
  if (t == "ReduceSumSquare" || t == "ReduceL2")
    x = mapValues(rw, loc, x, [](OpBuilder &b, Location l, Value v) { return mul(b, l, v, v); });
  else if (t == "ReduceL1")
    x = mapValues(rw, loc, x, [&](OpBuilder &b, Location l, Value v) -> Value {
      return f ? Value(math::AbsFOp::create(b, l, v)) : Value(math::AbsIOp::create(b, l, v));
    });
  else if (t == "ReduceLogSumExp")
    x = mapValues(rw, loc, x, [](OpBuilder &b, Location l, Value v) -> Value {
      return math::ExpOp::create(b, l, v);
    });
  Value init;
  std::function<Value(OpBuilder &, Location, Value, Value)> combine = add;
  if (t == "ReduceMax" || t == "ReduceMin") {
    bool isMax = t == "ReduceMax";
    if (f) {
      init = scalarConst(rw, loc, elem, isMax ? -INFINITY : INFINITY);
      combine = [isMax](OpBuilder &b, Location l, Value v, Value acc) -> Value {
        return isMax ? Value(arith::MaximumFOp::create(b, l, v, acc))
                     : Value(arith::MinimumFOp::create(b, l, v, acc));
      };
    } else {
      unsigned w = elem.getIntOrFloatBitWidth();
      APInt bound = isMax ? APInt::getSignedMinValue(w) : APInt::getSignedMaxValue(w);
      init = arith::ConstantOp::create(rw, loc, rw.getIntegerAttr(elem, bound));
      combine = [isMax](OpBuilder &b, Location l, Value v, Value acc) -> Value {
        return isMax ? Value(arith::MaxSIOp::create(b, l, v, acc))
                     : Value(arith::MinSIOp::create(b, l, v, acc));
      };
    }
  } else if (t == "ReduceProd") {
    init = scalarConst(rw, loc, elem, 1);
    combine = mul;
  } else {
    init = scalarConst(rw, loc, elem, 0);
  }
  Value r = buildReduction(rw, loc, x, axes, init, combine);
  int64_t count = 1;
  for (int64_t a : axes)
    count *= tensorType(op.getInput(0)).getDimSize(a);
  if (t == "ReduceMean" || t == "ReduceL2" || t == "ReduceLogSum" || t == "ReduceLogSumExp") {
    r = mapValues(rw, loc, r, [&](OpBuilder &b, Location l, Value v) -> Value {
      if (t == "ReduceMean")
        return f ? Value(arith::DivFOp::create(b, l, v, scalarConst(b, l, elem, count)))
                 : Value(arith::DivSIOp::create(b, l, v, scalarConst(b, l, elem, count)));
      if (t == "ReduceL2")
        return math::SqrtOp::create(b, l, v);
      return math::LogOp::create(b, l, v);
    });
  }
  rw.replaceOp(op, reshapeTo(rw, loc, r, type.getShape()));
  return success();
}

/// The index (i64) of the max/min along `axis`, with that axis removed.
static Value argIndex(OpBuilder &rw, Location loc, Value x, int64_t axis, bool isMax,
                      bool last) {
  auto xt = tensorType(x);
  int64_t rank = xt.getRank();
  Type elem = xt.getElementType();
  Type i64 = rw.getI64Type();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  MLIRContext *ctx = rw.getContext();
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis) {
      outShape.push_back(xt.getDimSize(i));
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
  auto valType = RankedTensorType::get(outShape, elem);
  auto idxType = RankedTensorType::get(outShape, i64);
  Value initVal;
  if (isFloat(elem))
    initVal = scalarConst(rw, loc, elem, isMax ? -INFINITY : INFINITY);
  else
    initVal = arith::ConstantOp::create(
        rw, loc, rw.getIntegerAttr(elem, isMax ? APInt::getSignedMinValue(elem.getIntOrFloatBitWidth())
                                               : APInt::getSignedMaxValue(elem.getIntOrFloatBitWidth())));
  Value vals = filledTensor(rw, loc, valType, initVal);
  Value idxs = filledTensor(rw, loc, idxType, scalarConst(rw, loc, i64, 0));
  SmallVector<AffineMap> maps = {rw.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, outExprs, ctx),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters[axis] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      rw, loc, TypeRange{valType, idxType}, ValueRange{x}, ValueRange{vals, idxs}, maps, iters,
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value v = a[0], best = a[1], bestIdx = a[2];
        Value i = arith::IndexCastOp::create(b, l, i64, linalg::IndexOp::create(b, l, axis));
        Value better;
        if (isFloat(elem)) {
          auto pred = isMax ? (last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
                            : (last ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT);
          better = arith::CmpFOp::create(b, l, pred, v, best);
        } else {
          auto pred = isMax ? (last ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sgt)
                            : (last ? arith::CmpIPredicate::sle : arith::CmpIPredicate::slt);
          better = arith::CmpIOp::create(b, l, pred, v, best);
        }
        // The first element always wins (covers all-(-inf) rows).
        Value first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i,
                                            scalarConst(b, l, i64, 0));
        better = arith::OrIOp::create(b, l, better, first);
        Value nv = arith::SelectOp::create(b, l, better, v, best);
        Value ni = arith::SelectOp::create(b, l, better, i, bestIdx);
        linalg::YieldOp::create(b, l, ValueRange{nv, ni});
      });
  return generic.getResult(1);
}

static LogicalResult lowerArgReduce(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput(0);
  int64_t axis = op.getIntAttr("axis", 0);
  if (!normalizeAxis(axis, tensorType(x).getRank()))
    return op.emitError() << op.describe() << ": axis out of range";
  Value idx = argIndex(rw, loc, x, axis, op.getOpType() == "ArgMax",
                       op.getIntAttr("select_last_index", 0) != 0);
  rw.replaceOp(op, reshapeTo(rw, loc, idx, resultType(op).getShape()));
  return success();
}

/// Softmax, LogSoftmax, Hardmax over one axis (opset >= 13); before 13 the
/// input is coerced to 2-D [prod(dims < axis), prod(dims >= axis)] (default
/// axis 1) and the op works on its second axis.
static LogicalResult lowerSoftmax(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput(0);
  RankedTensorType type = resultType(op);
  RankedTensorType origType = type;
  int64_t rank = type.getRank();
  bool coerced = op.getOpset() < 13;
  int64_t axis = op.getIntAttr("axis", coerced ? 1 : -1);
  if (rank == 0 || !normalizeAxis(axis, rank))
    return op.emitError() << op.describe() << ": axis out of range";
  if (coerced) {
    int64_t a = 1, b = 1;
    for (int64_t i = 0; i < rank; ++i)
      (i < axis ? a : b) *= type.getDimSize(i);
    x = reshapeTo(rw, loc, x, {a, b});
    type = RankedTensorType::get({a, b}, type.getElementType());
    rank = 2;
    axis = 1;
  }
  auto finish = [&](Value r) {
    rw.replaceOp(op, coerced ? reshapeTo(rw, loc, r, origType.getShape()) : r);
    return success();
  };
  Type elem = type.getElementType();
  if (!isFloat(elem))
    return op.emitError() << op.describe() << ": needs a float element type";
  SmallVector<int64_t> keep(type.getShape());
  keep[axis] = 1;
  auto maxOf = [&](Value v) {
    Value m = buildReduction(rw, loc, v, {axis}, scalarConst(rw, loc, elem, -INFINITY),
                             [](OpBuilder &b, Location l, Value a, Value acc) -> Value {
                               return arith::MaximumFOp::create(b, l, a, acc);
                             });
    return reshapeTo(rw, loc, m, keep);
  };
  Value m = maxOf(x);
  StringRef t = op.getOpType();
  if (t == "Hardmax") {
    // 1 at the first maximum along the axis: compare the argmax index.
    Value arg = argIndex(rw, loc, x, axis, /*isMax=*/true, /*last=*/false);
    Value idx = reshapeTo(rw, loc, arg, keep);
    auto idxMapType = type;
    Value r = buildElementwise(rw, loc, idxMapType, ValueRange{idx}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
      Value i = arith::IndexCastOp::create(b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
      Value eq = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i, a[0]);
      return arith::SelectOp::create(b, l, eq, scalarConst(b, l, elem, 1), scalarConst(b, l, elem, 0));
    });
    return finish(r);
  }
  Value shifted = buildElementwise(rw, loc, type, ValueRange{x, m}, [](OpBuilder &b, Location l, ValueRange a) -> Value {
    return arith::SubFOp::create(b, l, a[0], a[1]);
  });
  Value e = mapValues(rw, loc, shifted, [](OpBuilder &b, Location l, Value v) -> Value {
    return math::ExpOp::create(b, l, v);
  });
  Value s = reshapeTo(rw, loc,
                      buildReduction(rw, loc, e, {axis}, scalarConst(rw, loc, elem, 0),
                                     [](OpBuilder &b, Location l, Value a, Value acc) -> Value {
                                       return arith::AddFOp::create(b, l, a, acc);
                                     }),
                      keep);
  Value r;
  if (t == "Softmax")
    r = buildElementwise(rw, loc, type, ValueRange{e, s}, [](OpBuilder &b, Location l, ValueRange a) -> Value {
      return arith::DivFOp::create(b, l, a[0], a[1]);
    });
  else
    r = buildElementwise(rw, loc, type, ValueRange{shifted, s}, [](OpBuilder &b, Location l, ValueRange a) -> Value {
      return arith::SubFOp::create(b, l, a[0], math::LogOp::create(b, l, a[1]));
    });
  return finish(r);
}

static LogicalResult lowerLayerNorm(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput(0), scale = op.getInput(1), bias = op.getInput(2);
  RankedTensorType type = resultType(op);
  int64_t rank = type.getRank();
  int64_t axis = op.getIntAttr("axis", -1);
  if (!normalizeAxis(axis, rank))
    return op.emitError() << op.describe() << ": axis out of range";
  Type elem = type.getElementType();
  if (!elem.isF32())
    return op.emitError() << op.describe() << ": needs f32";
  float eps = op.getFloatAttr("epsilon", 1e-5f);
  SmallVector<int64_t> dims, keep(type.getShape());
  int64_t count = 1;
  for (int64_t i = axis; i < rank; ++i) {
    dims.push_back(i);
    keep[i] = 1;
    count *= type.getDimSize(i);
  }
  auto keepType = RankedTensorType::get(keep, elem);
  auto sumOf = [&](Value v) {
    return reshapeTo(rw, loc,
                     buildReduction(rw, loc, v, dims, scalarConst(rw, loc, elem, 0),
                                    [](OpBuilder &b, Location l, Value a, Value acc) -> Value {
                                      return arith::AddFOp::create(b, l, a, acc);
                                    }),
                     keep);
  };
  auto divCount = [&](Value v) {
    return mapValues(rw, loc, v, [&](OpBuilder &b, Location l, Value a) -> Value {
      return arith::DivFOp::create(b, l, a, scalarConst(b, l, elem, count));
    });
  };
  Value mean = divCount(sumOf(x));
  Value d = buildElementwise(rw, loc, type, ValueRange{x, mean}, [](OpBuilder &b, Location l, ValueRange a) -> Value {
    return arith::SubFOp::create(b, l, a[0], a[1]);
  });
  Value var = divCount(sumOf(mapValues(rw, loc, d, [](OpBuilder &b, Location l, Value a) -> Value {
    return arith::MulFOp::create(b, l, a, a);
  })));
  Value inv = buildElementwise(rw, loc, keepType, ValueRange{var}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
    Value s = math::SqrtOp::create(b, l, arith::AddFOp::create(b, l, a[0], scalarConst(b, l, elem, eps)));
    return arith::DivFOp::create(b, l, scalarConst(b, l, elem, 1), s);
  });
  SmallVector<Value> ins = {d, inv, scale};
  if (bias)
    ins.push_back(bias);
  Value y = buildElementwise(rw, loc, type, ins, [](OpBuilder &b, Location l, ValueRange a) -> Value {
    Value v = arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, a[0], a[1]), a[2]);
    return a.size() > 3 ? Value(arith::AddFOp::create(b, l, v, a[3])) : v;
  });
  SmallVector<Value> results = {y};
  if (op.getNumResults() > 1)
    results.push_back(mean);
  if (op.getNumResults() > 2)
    results.push_back(inv);
  rw.replaceOp(op, results);
  return success();
}

static LogicalResult lowerCumSum(ONNXNodeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput(0);
  RankedTensorType type = resultType(op);
  auto axisOr = getScalarInt(op.getInput(1));
  int64_t axis = axisOr ? *axisOr : 0;
  if (!axisOr || !normalizeAxis(axis, type.getRank()))
    return op.emitError() << op.describe() << ": axis must be a constant in range"
                          << graphInputHint(op.getInput(1));
  bool exclusive = op.getIntAttr("exclusive", 0), reverse = op.getIntAttr("reverse", 0);
  int64_t n = type.getDimSize(axis);
  // out[..., i, ...] = sum over j of x[..., j, ...] with j < i (or <=, reversed).
  Value r = buildElementwise(rw, loc, type, ValueRange{}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
    SmallVector<Value> idx;
    for (int64_t d = 0; d < type.getRank(); ++d)
      idx.push_back(linalg::IndexOp::create(b, l, d));
    Value zero = scalarConst(b, l, type.getElementType(), 0);
    Value c0 = arith::ConstantIndexOp::create(b, l, 0), c1 = arith::ConstantIndexOp::create(b, l, 1);
    Value cn = arith::ConstantIndexOp::create(b, l, n);
    Value i = idx[axis];
    Value lo, hi;
    if (!reverse) {
      lo = c0;
      hi = exclusive ? i : Value(arith::AddIOp::create(b, l, i, c1));
    } else {
      lo = exclusive ? Value(arith::AddIOp::create(b, l, i, c1)) : i;
      hi = cn;
    }
    auto loop = scf::ForOp::create(b, l, lo, hi, c1, ValueRange{zero},
                                   [&](OpBuilder &nb, Location nl, Value j, ValueRange acc) {
                                     SmallVector<Value> at(idx);
                                     at[axis] = j;
                                     Value v = tensor::ExtractOp::create(nb, nl, x, at);
                                     scf::YieldOp::create(nb, nl, add(nb, nl, acc[0], v));
                                   });
    return loop.getResult(0);
  });
  rw.replaceOp(op, r);
  return success();
}

void onnx_import::populateONNXReductionPatterns(RewritePatternSet &patterns) {
  addLowering(patterns,
              {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd",
               "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp"},
              lowerReduce);
  addLowering(patterns, {"ArgMax", "ArgMin"}, lowerArgReduce);
  addLowering(patterns, {"Softmax", "LogSoftmax", "Hardmax"}, lowerSoftmax);
  addLowering(patterns, {"LayerNormalization"}, lowerLayerNorm);
  addLowering(patterns, {"CumSum"}, lowerCumSum);
}
