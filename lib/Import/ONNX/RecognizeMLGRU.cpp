//===- RecognizeMLGRU.cpp - MLGRU steps and sequences to tern ops ---------===//
//
// Step (root: the `o` BitLinear), over four tern.bitlinear ops whose f, i, g
// projections share their input x:
//   released: f = sigmoid(BL_f(x)) [f = lb + (1 - lb) * f]
//             i = SiLU(BL_i(x)) * (1 - f);  h' = f * h + i
//             y = BL_o(RMSNorm(BL_g(x), g_norm) * SiLU(h'))
//   paper:    f = sigmoid(BL_f(x)); c = SiLU(BL_i(x)); g = sigmoid(BL_g(x))
//             h' = f * h + (1 - f) * c;  y = BL_o(g * h')
// (every product and sum in either operand order) becomes tern.mlgru_step,
// replacing y and h'. A forward Scan over axis 0 with one state and one scan
// input whose body is exactly one such step becomes tern.mlgru_sequence
// between transposes (ONNX sequences are time-major, tern's batch-major).
//
//===----------------------------------------------------------------------===//
#include "Legalize/LegalizeUtils.h"
#include "RecognizeUtils.h"
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZEMLGRU
#include "tern/Import/ONNX/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

struct StepMatch {
  MLGRUVariant variant = MLGRUVariant::released;
  BitLinearOp f, i, g, o;
  Value x, h, hNew, lowerBound, gNorm;
};

/// sigmoid(BL(x)) -> the BitLinear.
static BitLinearOp sigmoidOfBL(Value v) {
  ONNXNodeOp s = defNode(v, "Sigmoid");
  return s ? s.getInput(0).getDefiningOp<BitLinearOp>() : BitLinearOp();
}

/// The forget gate: sigmoid(BL_f(x)) or lb + (1 - lb) * sigmoid(BL_f(x)).
static BitLinearOp matchForget(Value f, Value &lb) {
  if (BitLinearOp bl = sigmoidOfBL(f))
    return bl;
  ONNXNodeOp add = defNode(f, "Add");
  if (!add)
    return {};
  Value l, prod;
  if (!matchEither(add, [](Value v) { return static_cast<bool>(defNode(v, "Mul")); }, prod, l))
    return {};
  ONNXNodeOp mul = defNode(prod, "Mul");
  Value oneMinus, sig;
  if (!matchEither(mul, [&](Value v) { return matchOneMinus(v) == l; }, oneMinus, sig))
    return {};
  BitLinearOp bl = sigmoidOfBL(sig);
  if (!bl)
    return {};
  auto lt = dyn_cast<RankedTensorType>(l.getType());
  if (!lt || lt.getRank() != 1)
    return {};
  lb = l;
  return bl;
}

/// h' = f * h + rest: binds f's value, h and rest.
static bool matchStateUpdate(Value hNew, Value &f, Value &h, Value &rest) {
  ONNXNodeOp add = defNode(hNew, "Add");
  if (!add)
    return false;
  for (int k = 0; k < 2; ++k) {
    Value prod = add.getInput(k), other = add.getInput(1 - k);
    ONNXNodeOp mul = defNode(prod, "Mul");
    if (!mul)
      continue;
    for (int j = 0; j < 2; ++j) {
      Value fv = mul.getInput(j);
      Value lb;
      if (matchForget(fv, lb)) {
        f = fv, h = mul.getInput(1 - j), rest = other;
        return true;
      }
    }
  }
  return false;
}

LogicalResult matchStep(BitLinearOp o, StepMatch &m, std::string &why) {
  m.o = o;
  ONNXNodeOp z = defNode(o.getInput(), "Mul");
  if (!z)
    return why = "the o projection's input is not a product", failure();
  for (int k = 0; k < 2; ++k) {
    Value a = z.getInput(k), b = z.getInput(1 - k);
    // released: RMSNorm(BL_g(x), g_norm) * SiLU(h')
    if (auto rms = a.getDefiningOp<RMSNormOp>()) {
      Value hn = matchSiLU(b);
      if (!hn)
        continue;
      m.g = rms.getInput().getDefiningOp<BitLinearOp>();
      if (!m.g || !rms.getWeight())
        return why = "the g path is not RMSNorm(BitLinear(x)) with a weight", failure();
      if (rms.getEps() != m.g.getEps())
        return why = "the g_norm eps differs from the BitLinear eps (tern.mlgru has one eps)",
               failure();
      m.gNorm = rms.getWeight();
      m.hNew = hn;
      m.variant = MLGRUVariant::released;
      break;
    }
    // paper: sigmoid(BL_g(x)) * h'
    if (BitLinearOp g = sigmoidOfBL(a)) {
      m.g = g;
      m.hNew = b;
      m.variant = MLGRUVariant::paper;
      break;
    }
  }
  if (!m.g)
    return why = "the o projection's input is neither RMSNorm(g) * SiLU(h) nor sigmoid(g) * h",
           failure();
  Value fv, rest;
  if (!matchStateUpdate(m.hNew, fv, m.h, rest))
    return why = "the state update is not f * h + ...", failure();
  m.f = matchForget(fv, m.lowerBound);
  if (m.variant == MLGRUVariant::released) {
    // rest = SiLU(BL_i(x)) * (1 - f)
    ONNXNodeOp mul = defNode(rest, "Mul");
    Value silu, om;
    if (!mul || !matchEither(mul, [&](Value v) { return matchOneMinus(v) == fv; }, om, silu))
      return why = "the input gate is not SiLU(BL_i(x)) * (1 - f)", failure();
    Value in = matchSiLU(silu);
    m.i = in ? in.getDefiningOp<BitLinearOp>() : BitLinearOp();
  } else {
    if (m.lowerBound)
      return why = "the paper variant with a lower bound is not a tern.mlgru", failure();
    ONNXNodeOp mul = defNode(rest, "Mul");
    Value silu, om;
    if (!mul || !matchEither(mul, [&](Value v) { return matchOneMinus(v) == fv; }, om, silu))
      return why = "the candidate is not (1 - f) * SiLU(BL_c(x))", failure();
    Value in = matchSiLU(silu);
    m.i = in ? in.getDefiningOp<BitLinearOp>() : BitLinearOp();
  }
  if (!m.i)
    return why = "the i/c path does not come from a BitLinear", failure();
  m.x = m.f.getInput();
  if (m.i.getInput() != m.x || m.g.getInput() != m.x)
    return why = "the f, i and g projections do not share their input", failure();
  for (BitLinearOp bl : {m.i, m.g, m.o})
    if (bl.getEps() != m.f.getEps() || bl.getActBits() != m.f.getActBits())
      return why = "the projections differ in eps or act_bits", failure();
  int norms = 0;
  for (BitLinearOp bl : {m.f, m.i, m.g, m.o})
    norms += bl.getNorm() ? 1 : 0;
  if (norms != 0 && norms != 4)
    return why = "tern.mlgru needs a norm on all four projections or on none", failure();
  if (m.h.getType() != m.hNew.getType())
    return why = "the state is broadcast (its type differs from the new state's)", failure();
  return success();
}

struct RecognizeMLGRUPass
    : mlir::tern::impl::TernONNXRecognizeMLGRUBase<RecognizeMLGRUPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rw(&getContext());
    SmallVector<BitLinearOp> roots;
    getOperation()->walk([&](BitLinearOp op) { roots.push_back(op); });
    for (BitLinearOp o : roots)
      tryStep(o, rw);
    eraseDeadOps(getOperation());
    SmallVector<ONNXNodeOp> scans;
    getOperation()->walk([&](ONNXNodeOp op) {
      if (op.isDefaultDomain() && op.getOpType() == "Scan")
        scans.push_back(op);
    });
    for (ONNXNodeOp scan : scans)
      tryScan(scan, rw);
    SmallVector<ONNXNodeOp> loops;
    getOperation()->walk([&](ONNXNodeOp op) {
      if (op.isDefaultDomain() && op.getOpType() == "Loop")
        loops.push_back(op);
    });
    for (ONNXNodeOp loop : loops)
      tryLoop(loop, rw);
    eraseDeadOps(getOperation());
  }

  void tryStep(BitLinearOp o, IRRewriter &rw) {
    // Only products feeding a BitLinear are candidates.
    if (!defNode(o.getInput(), "Mul"))
      return;
    StepMatch m;
    std::string why;
    if (failed(matchStep(o, m, why)))
      return reportCandidate(report, o, "MLGRU step", false, why);
    SmallVector<Value> weights = {m.f.getWeight(), m.i.getWeight(), m.g.getWeight(),
                                  m.o.getWeight()};
    SmallVector<Value> norms;
    if (m.f.getNorm())
      norms = {m.f.getNorm(), m.i.getNorm(), m.g.getNorm(), m.o.getNorm()};
    // Right after the last operand defined in o's block: the step then
    // dominates every use of y and of h' (h' comes after f and i, hence after
    // all the step's operands).
    SmallVector<Value> operands = {m.x, m.h, m.gNorm, m.lowerBound};
    operands.append(weights);
    operands.append(norms);
    Block *block = o->getBlock();
    Operation *last = nullptr;
    for (Value v : operands) {
      Operation *def = v ? v.getDefiningOp() : nullptr;
      if (!def)
        continue;
      Operation *anc = block->findAncestorOpInBlock(*def);
      if (anc && (!last || last->isBeforeInBlock(anc)))
        last = anc;
    }
    if (last)
      rw.setInsertionPointAfter(last);
    else
      rw.setInsertionPointToStart(block);
    auto step = MLGRUStepOp::create(
        rw, o.getLoc(), o.getResult().getType(), m.hNew.getType(), m.x, m.h, weights, norms,
        m.gNorm, m.lowerBound,
        MLGRUVariantAttr::get(rw.getContext(), m.variant), m.f.getEpsAttr(),
        m.f.getActBitsAttr());
    reportCandidate(report, o, "MLGRU step", true,
                    m.variant == MLGRUVariant::paper ? "paper variant"
                                                     : (m.lowerBound ? "released variant, lower bound"
                                                                     : "released variant"));
    rw.replaceAllUsesWith(o.getResult(), step.getOutput());
    rw.replaceAllUsesWith(m.hNew, step.getFinalState());
  }

  /// tern.mlgru_sequence over the time-major `xs` [T, ..., D] from `h0` with
  /// the parameters of `step`, between transposes; `y` is time-major again.
  static void buildSequence(IRRewriter &rw, Operation *at, MLGRUStepOp step, Value xs,
                            Value h0, RankedTensorType yType, Value &y, Value &hT) {
    rw.setInsertionPoint(at);
    Location loc = at->getLoc();
    auto xt = cast<RankedTensorType>(xs.getType());
    int64_t r = xt.getRank();
    auto transpose = [&](Value v, ArrayRef<int64_t> perm) -> Value {
      if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
        return v;
      auto t = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape;
      for (int64_t p : perm)
        shape.push_back(t.getDimSize(p));
      Value empty = tensor::EmptyOp::create(rw, loc, shape, t.getElementType());
      return linalg::TransposeOp::create(rw, loc, v, empty, perm).getResult()[0];
    };
    SmallVector<int64_t> toBatch, toTime;
    for (int64_t i = 1; i < r - 1; ++i)
      toBatch.push_back(i);
    toBatch.push_back(0);
    toBatch.push_back(r - 1);
    toTime.push_back(r - 2);
    for (int64_t i = 0; i < r - 2; ++i)
      toTime.push_back(i);
    toTime.push_back(r - 1);
    Value xb = transpose(xs, toBatch);
    SmallVector<int64_t> ybShape;
    for (int64_t p : toBatch)
      ybShape.push_back(yType.getDimSize(p));
    auto seq = MLGRUSequenceOp::create(
        rw, loc, RankedTensorType::get(ybShape, yType.getElementType()), h0.getType(), xb, h0,
        step.getWeights(), step.getNorms(), step.getGNorm(), step.getLowerBound(),
        step.getVariantAttr(), step.getEpsAttr(), step.getActBitsAttr());
    y = transpose(seq.getOutput(), toTime);
    hT = seq.getFinalState();
  }

  /// The one MLGRU step of `body` (besides constants and `allowed`), or null.
  static MLGRUStepOp soleStep(Block &block, Operation *allowed, std::string &why) {
    MLGRUStepOp step;
    for (Operation &op : block.without_terminator()) {
      if (auto s = dyn_cast<MLGRUStepOp>(op)) {
        if (step) {
          why = "the body holds more than one MLGRU step";
          return {};
        }
        step = s;
        continue;
      }
      if (&op != allowed && !op.hasTrait<OpTrait::ConstantLike>() && !isa<ONNXNoneOp>(op)) {
        why = "the body computes more than one MLGRU step";
        return {};
      }
    }
    if (!step)
      why = "the body is not one MLGRU step";
    return step;
  }

  /// Loop(M = T, cond true, h0) whose body gathers x_t = X[i] and runs one
  /// step, yielding (cond, h_t, y_t).
  void tryLoop(ONNXNodeOp loop, IRRewriter &rw) {
    auto notFused = [&](const Twine &why) {
      reportCandidate(report, loop, "MLGRU sequence", false, why);
    };
    Region *body = loop.getGraph("body");
    if (!body || loop.getInputs().size() != 3 || loop.getNumResults() != 2)
      return notFused("not a Loop with one carried state and one scan output");
    std::optional<int64_t> trip = loop.getInput(0) ? getScalarInt(loop.getInput(0)) : std::nullopt;
    if (!trip)
      return notFused("the Loop has no constant trip count");
    if (Value c = loop.getInput(1)) {
      auto cv = getScalarInt(c);
      if (!cv || *cv == 0)
        return notFused("the Loop's initial condition is not a constant true");
    }
    Block &block = body->front();
    auto yield = cast<ONNXYieldOp>(block.getTerminator());
    // x_t = Gather(X, i) along axis 0, X from outside the body.
    ONNXNodeOp gather;
    for (Operation &op : block.without_terminator())
      if (auto g = dyn_cast<ONNXNodeOp>(op); g && g.getOpType() == "Gather")
        gather = g;
    if (!gather || gather.getInput(1) != block.getArgument(0) ||
        gather.getIntAttr("axis", 0) != 0 || gather.getInput(0).getParentRegion() == body)
      return notFused("the body does not take x_t = Gather(X, iteration, axis 0)");
    std::string why;
    MLGRUStepOp step = soleStep(block, gather, why);
    if (!step)
      return notFused(why);
    Value xs = gather.getInput(0);
    auto xt = cast<RankedTensorType>(xs.getType());
    Value condOut = yield.getValues()[0];
    auto condConst = getScalarInt(condOut);
    if (!(condOut == block.getArgument(1) || (condConst && *condConst)))
      return notFused("the body's condition is not passed through or constant true");
    if (xt.getRank() < 2 || xt.getDimSize(0) != *trip || step.getInput() != gather->getResult(0) ||
        step.getState() != block.getArgument(2) || yield.getValues()[1] != step.getFinalState() ||
        yield.getValues()[2] != step.getOutput())
      return notFused("the body does not map (state, X[i]) to (new state, y_i) over all of X");
    for (Operation &op : llvm::make_early_inc_range(block.without_terminator()))
      if (&op != step.getOperation() && &op != gather.getOperation())
        op.moveBefore(loop);
    for (Value v : step->getOperands())
      if (v != gather->getResult(0) && v.getParentRegion() == body && !isa<BlockArgument>(v))
        return notFused("a step operand is computed in the body");
    Value y, hT;
    buildSequence(rw, loop, step, xs, loop.getInput(2),
                  cast<RankedTensorType>(loop->getResult(1).getType()), y, hT);
    reportCandidate(report, loop, "MLGRU sequence", true,
                    "Loop over " + std::to_string(*trip) + " steps");
    rw.replaceOp(loop, {hT, y});
  }

  void tryScan(ONNXNodeOp scan, IRRewriter &rw) {
    auto notFused = [&](const Twine &why) {
      reportCandidate(report, scan, "MLGRU sequence", false, why);
    };
    Region *body = scan.getGraph("body");
    if (!body || scan.getInputs().size() != 2 || scan.getNumResults() != 2 ||
        scan.getIntAttr("num_scan_inputs", 0) != 1)
      return notFused("not a Scan with one state, one scan input and one scan output");
    for (StringRef a : {"scan_input_axes", "scan_input_directions", "scan_output_axes",
                        "scan_output_directions"})
      if (auto v = scan.getIntsAttr(a); v && llvm::any_of(*v, [](int64_t x) { return x != 0; }))
        return notFused("the Scan is not forward over axis 0");
    Block &block = body->front();
    std::string why;
    MLGRUStepOp step = soleStep(block, nullptr, why);
    if (!step)
      return notFused(why);
    auto yield = cast<ONNXYieldOp>(block.getTerminator());
    if (step.getState() != block.getArgument(0) || step.getInput() != block.getArgument(1) ||
        yield.getValues()[0] != step.getFinalState() || yield.getValues()[1] != step.getOutput())
      return notFused("the body does not map (state, x_t) to (new state, y_t) through one step");
    // Hoist the body's constants out, then build the sequence op.
    for (Operation &op : llvm::make_early_inc_range(block.without_terminator()))
      if (&op != step.getOperation())
        op.moveBefore(scan);
    for (Value v : step->getOperands())
      if (v.getParentRegion() == body && !isa<BlockArgument>(v))
        return notFused("a step operand is computed in the body");
    Value y, hT;
    buildSequence(rw, scan, step, scan.getInput(1), scan.getInput(0),
                  cast<RankedTensorType>(scan->getResult(1).getType()), y, hT);
    reportCandidate(report, scan, "MLGRU sequence", true,
                    "Scan over " +
                        std::to_string(cast<RankedTensorType>(scan.getInput(1).getType()).getDimSize(0)) +
                        " steps");
    rw.replaceOp(scan, {hT, y});
  }
};
} // namespace
