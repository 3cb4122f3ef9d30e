//===- ControlFlow.cpp - Scan, Loop and If to scf -------------------------===//
//
// Bodies are lowered before the op that holds them (the pass walks in post
// order) and are then inlined into scf.for / scf.if. Scan slices its scan
// inputs with tensor.extract_slice and assembles its scan outputs with
// tensor.insert_slice (directions and axes as attributed); Loop needs a
// constant trip count M and runs its body under its condition.
//
//===----------------------------------------------------------------------===//
#include "../ONNXUtils.h"
#include "LegalizeUtils.h"

#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

/// Clones the body of `region` (one block ending in onnx.yield) with its
/// arguments bound to `args`; returns the yielded values.
static SmallVector<Value> inlineBody(OpBuilder &b, Region &region, ValueRange args) {
  Block &block = region.front();
  IRMapping mapping;
  for (auto [arg, v] : llvm::zip(block.getArguments(), args))
    mapping.map(arg, v);
  for (Operation &o : block.without_terminator())
    b.clone(o, mapping);
  SmallVector<Value> results;
  for (Value v : block.getTerminator()->getOperands())
    results.push_back(mapping.lookupOrDefault(v));
  return results;
}

static bool bodyIsLowered(ONNXNodeOp op) {
  bool lowered = true;
  for (Region &r : op.getGraphs())
    r.walk([&](ONNXNodeOp) { lowered = false; });
  return lowered;
}

/// The slice of `v` at position `pos` (an index) along `axis`, without that axis.
static Value sliceAt(OpBuilder &b, Location loc, Value v, int64_t axis, Value pos) {
  auto t = tensorType(v);
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0)),
      strides(t.getRank(), b.getIndexAttr(1)), sizes;
  SmallVector<int64_t> shape(t.getShape()), reduced(t.getShape());
  shape[axis] = 1;
  reduced.erase(reduced.begin() + axis);
  for (int64_t d : shape)
    sizes.push_back(b.getIndexAttr(d));
  offsets[axis] = pos;
  Value s = tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(shape, t.getElementType()),
                                           v, offsets, sizes, strides);
  return reshapeTo(b, loc, s, reduced);
}

/// Inserts `slice` (without `axis`) into `dest` at position `pos` along `axis`.
static Value insertAt(OpBuilder &b, Location loc, Value slice, Value dest, int64_t axis,
                      Value pos) {
  auto t = tensorType(dest);
  SmallVector<int64_t> shape(t.getShape());
  shape[axis] = 1;
  Value s = reshapeTo(b, loc, slice, shape);
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0)),
      strides(t.getRank(), b.getIndexAttr(1)), sizes;
  for (int64_t d : shape)
    sizes.push_back(b.getIndexAttr(d));
  offsets[axis] = pos;
  return tensor::InsertSliceOp::create(b, loc, s, dest, offsets, sizes, strides);
}

/// `v` written into `dest` (linalg.copy): a loop-carried value yielded in
/// place of its iteration argument, as one-shot bufferization wants.
static Value copyInto(OpBuilder &b, Location loc, Value v, Value dest) {
  return linalg::CopyOp::create(b, loc, ValueRange{v}, ValueRange{dest}).getResult(0);
}

static LogicalResult lowerScan(ONNXNodeOp op, PatternRewriter &rw) {
  if (!bodyIsLowered(op))
    return op.emitError() << op.describe() << ": its body could not be legalized";
  Location loc = op.getLoc();
  Region &body = *op.getGraph("body");
  int64_t numScan = op.getIntAttr("num_scan_inputs", 1);
  int64_t numIn = op.getInputs().size();
  int64_t numState = numIn - numScan;
  int64_t numOut = op.getNumResults() - numState;
  auto inAxes = op.getIntsAttr("scan_input_axes").value_or(SmallVector<int64_t>(numScan, 0));
  auto inDirs = op.getIntsAttr("scan_input_directions").value_or(SmallVector<int64_t>(numScan, 0));
  auto outAxes = op.getIntsAttr("scan_output_axes").value_or(SmallVector<int64_t>(numOut, 0));
  auto outDirs = op.getIntsAttr("scan_output_directions").value_or(SmallVector<int64_t>(numOut, 0));
  if ((int64_t)inDirs.size() != numScan || (int64_t)outDirs.size() != numOut)
    return op.emitError() << op.describe() << ": scan directions have the wrong length";
  for (int64_t i = 0; i < numScan; ++i)
    normalizeAxis(inAxes[i], tensorType(op.getInput(numState + i)).getRank());
  for (int64_t i = 0; i < numOut; ++i)
    normalizeAxis(outAxes[i], resultType(op, numState + i).getRank());
  int64_t seq = tensorType(op.getInput(numState)).getDimSize(inAxes[0]);

  SmallVector<Value> init;
  for (int64_t i = 0; i < numState; ++i)
    init.push_back(op.getInput(i));
  for (int64_t i = 0; i < numOut; ++i)
    init.push_back(emptyTensor(rw, loc, resultType(op, numState + i)));
  Value c0 = arith::ConstantIndexOp::create(rw, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(rw, loc, 1);
  Value cT = arith::ConstantIndexOp::create(rw, loc, seq);
  Value cLast = arith::ConstantIndexOp::create(rw, loc, seq - 1);
  auto loop = scf::ForOp::create(
      rw, loc, c0, cT, c1, init, [&](OpBuilder &b, Location l, Value i, ValueRange iter) {
        Value rev = arith::SubIOp::create(b, l, cLast, i);
        SmallVector<Value> args(iter.take_front(numState));
        for (int64_t j = 0; j < numScan; ++j)
          args.push_back(sliceAt(b, l, op.getInput(numState + j), inAxes[j], inDirs[j] ? rev : i));
        SmallVector<Value> ys = inlineBody(b, body, args);
        // Scan outputs first: one may be a state's old value, which the
        // in-place copy of the new state would overwrite.
        SmallVector<Value> outs;
        for (int64_t j = 0; j < numOut; ++j)
          outs.push_back(insertAt(b, l, ys[numState + j], iter[numState + j], outAxes[j],
                                  outDirs[j] ? rev : i));
        SmallVector<Value> next;
        for (int64_t j = 0; j < numState; ++j)
          next.push_back(copyInto(b, l, ys[j], iter[j]));
        next.append(outs);
        scf::YieldOp::create(b, l, next);
      });
  rw.replaceOp(op, loop.getResults());
  return success();
}

static LogicalResult lowerLoop(ONNXNodeOp op, PatternRewriter &rw) {
  if (!bodyIsLowered(op))
    return op.emitError() << op.describe() << ": its body could not be legalized";
  Location loc = op.getLoc();
  Region &body = *op.getGraph("body");
  std::optional<int64_t> trip = op.getInput(0) ? getScalarInt(op.getInput(0)) : std::nullopt;
  if (!trip)
    return op.emitError() << op.describe()
                          << ": needs a constant trip count M (static shapes only)";
  unsigned numCarried = op.getInputs().size() > 2 ? op.getInputs().size() - 2 : 0;
  unsigned numScan = op.getNumResults() - numCarried;
  Type i1 = rw.getI1Type(), i64 = rw.getI64Type();
  Value cond = op.getInput(1) ? extractScalar(rw, loc, op.getInput(1))
                              : Value(arith::ConstantOp::create(rw, loc, rw.getBoolAttr(true)));
  SmallVector<Value> init = {cond};
  for (unsigned i = 0; i < numCarried; ++i)
    init.push_back(op.getInput(2 + i));
  for (unsigned i = 0; i < numScan; ++i)
    init.push_back(emptyTensor(rw, loc, resultType(op, numCarried + i)));
  Value c0 = arith::ConstantIndexOp::create(rw, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(rw, loc, 1);
  Value cM = arith::ConstantIndexOp::create(rw, loc, std::max<int64_t>(*trip, 0));
  auto loop = scf::ForOp::create(
      rw, loc, c0, cM, c1, init, [&](OpBuilder &b, Location l, Value i, ValueRange iter) {
        SmallVector<Type> types(iter.getTypes());
        auto ifOp = scf::IfOp::create(
            b, l, iter[0],
            [&](OpBuilder &tb, Location tl) {
              Value iv = arith::IndexCastOp::create(tb, tl, i64, i);
              Value iterT = tensor::FromElementsOp::create(tb, tl, RankedTensorType::get({}, i64), iv);
              Value condT = tensor::FromElementsOp::create(tb, tl, RankedTensorType::get({}, i1), iter[0]);
              SmallVector<Value> args = {iterT, condT};
              args.append(iter.begin() + 1, iter.begin() + 1 + numCarried);
              SmallVector<Value> ys = inlineBody(tb, body, args);
              // Scan outputs before the in-place copies (see lowerScan).
              SmallVector<Value> outs;
              for (unsigned j = 0; j < numScan; ++j)
                outs.push_back(insertAt(tb, tl, ys[1 + numCarried + j], iter[1 + numCarried + j], 0, i));
              SmallVector<Value> next = {extractScalar(tb, tl, ys[0])};
              for (unsigned j = 0; j < numCarried; ++j)
                next.push_back(copyInto(tb, tl, ys[1 + j], iter[1 + j]));
              next.append(outs);
              scf::YieldOp::create(tb, tl, next);
            },
            [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, iter); });
        scf::YieldOp::create(b, l, ifOp.getResults());
      });
  rw.replaceOp(op, loop.getResults().drop_front());
  return success();
}

static LogicalResult lowerIf(ONNXNodeOp op, PatternRewriter &rw) {
  if (!bodyIsLowered(op))
    return op.emitError() << op.describe() << ": a branch could not be legalized";
  Location loc = op.getLoc();
  Value cond = extractScalar(rw, loc, op.getInput(0));
  auto ifOp = scf::IfOp::create(
      rw, loc, cond,
      [&](OpBuilder &b, Location l) {
        scf::YieldOp::create(b, l, inlineBody(b, *op.getGraph("then_branch"), {}));
      },
      [&](OpBuilder &b, Location l) {
        scf::YieldOp::create(b, l, inlineBody(b, *op.getGraph("else_branch"), {}));
      });
  rw.replaceOp(op, ifOp.getResults());
  return success();
}

void onnx_import::populateONNXControlFlowPatterns(RewritePatternSet &patterns) {
  addLowering(patterns, {"Scan"}, lowerScan);
  addLowering(patterns, {"Loop"}, lowerLoop);
  addLowering(patterns, {"If"}, lowerIf);
}
