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
#include "llvm/ADT/DenseSet.h"

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
  float gNormEps = 1e-6f;
  // A prefill unrolled by the exporter: hNew is every h_t stacked on the time
  // axis, hLast the final h_{T-1}.
  Value hLast;
  int64_t steps = 0;
};

/// sigmoid(BL(x)) -> the BitLinear.
static BitLinearOp sigmoidOfBL(Value v) {
  ONNXNodeOp s = defNode(v, "Sigmoid");
  return s ? s.getInput(0).getDefiningOp<BitLinearOp>() : BitLinearOp();
}

/// True if `v` = 1 - l: Sub(1, l), or (folded by an optimizer) a constant
/// equal to 1 - l element by element for a constant l.
static bool isOneMinus(Value v, Value l) {
  if (matchOneMinus(v) == l)
    return true;
  auto c = getConstantFloats(v), lb = getConstantFloats(l);
  if (!c || !lb || c->size() != lb->size() || v.getType() != l.getType())
    return false;
  for (size_t k = 0; k < c->size(); ++k)
    if ((*c)[k] != 1.0f - (*lb)[k])
      return false;
  return true;
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
  if (!matchEither(mul, [&](Value v) { return isOneMinus(v, l); }, oneMinus, sig))
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

/// `v` = Gather(src, t, axis) with a constant scalar index; binds src.
static bool gatherAt(Value v, int64_t axis, int64_t t, Value &src) {
  ONNXNodeOp g = defNode(v, "Gather");
  if (!g)
    return false;
  auto st = cast<RankedTensorType>(g.getInput(0).getType());
  int64_t a = g.getIntAttr("axis", 0);
  std::optional<int64_t> idx = getScalarInt(g.getInput(1));
  auto it = dyn_cast<RankedTensorType>(g.getInput(1).getType());
  if (!normalizeAxis(a, st.getRank()) || a != axis || !idx || !it || it.getRank() != 0)
    return false;
  int64_t i = *idx < 0 ? *idx + st.getDimSize(axis) : *idx;
  if (i != t)
    return false;
  src = g.getInput(0);
  return true;
}

/// A recurrence over T tokens unrolled by the exporter (torch.stack of a
/// Python loop): hs = Concat_t(Unsqueeze(h_t, time axis)) on the time axis
/// r-2 of [..., T, H], h_t = Gather(F, t) * h_{t-1} + Gather(U, t) (either
/// order), h_{-1} = h0. Binds F, U, h0 and h_{T-1}; proves every step reads
/// token t of the same F and U and the previous step's state.
static bool matchUnrolled(Value hs, Value &fSeq, Value &uSeq, Value &h0, Value &hLast,
                          int64_t &steps, std::string &why) {
  auto ht = dyn_cast<RankedTensorType>(hs.getType());
  if (!ht || ht.getRank() < 2 || !ht.hasStaticShape())
    return false;
  int64_t rank = ht.getRank(), axis = rank - 2;
  SmallVector<Value> parts;
  if (ONNXNodeOp cat = defNode(hs, "Concat")) {
    int64_t a = cat.getIntAttr("axis", 0);
    if (!normalizeAxis(a, rank) || a != axis)
      return false;
    for (Value v : cat.getInputs())
      parts.push_back(v);
  } else if (defNode(hs, "Unsqueeze")) {
    parts.push_back(hs);
  } else {
    return false;
  }
  SmallVector<Value> states;
  for (Value p : parts) {
    ONNXNodeOp un = defNode(p, "Unsqueeze");
    if (!un)
      return false;
    std::optional<SmallVector<int64_t>> axes =
        un.getInput(1) ? getConstantInts(un.getInput(1)) : un.getIntsAttr("axes");
    int64_t a = axes && axes->size() == 1 ? (*axes)[0] : -1000;
    if (!normalizeAxis(a, rank) || a != axis ||
        cast<RankedTensorType>(p.getType()).getDimSize(axis) != 1)
      return false;
    states.push_back(un.getInput(0));
  }
  steps = states.size();
  if (steps != ht.getDimSize(axis)) {
    why = "the stacked states do not cover the time axis";
    return false;
  }
  for (int64_t t = steps - 1; t >= 0; --t) {
    ONNXNodeOp add = defNode(states[t], "Add");
    if (!add) {
      why = "unrolled step " + std::to_string(t) + " is not f_t * h + u_t";
      return false;
    }
    bool ok = false;
    for (int k = 0; k < 2 && !ok; ++k) {
      ONNXNodeOp mul = defNode(add.getInput(k), "Mul");
      Value u;
      if (!mul || !gatherAt(add.getInput(1 - k), axis, t, u) || (uSeq && u != uSeq))
        continue;
      for (int j = 0; j < 2 && !ok; ++j) {
        Value f;
        if (!gatherAt(mul.getInput(j), axis, t, f) || (fSeq && f != fSeq))
          continue;
        Value h = mul.getInput(1 - j);
        if (t > 0 && h != states[t - 1])
          continue;
        fSeq = f, uSeq = u, ok = true;
        if (t == 0)
          h0 = h;
      }
    }
    if (!ok) {
      why = "unrolled step " + std::to_string(t) +
            " is not Gather(f, t) * h_{t-1} + Gather(u, t) over one f and u";
      return false;
    }
  }
  if (fSeq.getType() != hs.getType() || uSeq.getType() != hs.getType()) {
    why = "the gates of the unrolled recurrence are broadcast";
    return false;
  }
  hLast = states.back();
  return true;
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
      m.gNorm = rms.getWeight();
      m.gNormEps = rms.getEps().convertToFloat();
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
  if (matchUnrolled(m.hNew, fv, rest, m.h, m.hLast, m.steps, why)) {
    Value lb;
    if (!matchForget(fv, lb))
      return why = "the unrolled recurrence's f is not the forget gate", failure();
  } else if (!why.empty()) {
    return failure();
  } else if (!matchStateUpdate(m.hNew, fv, m.h, rest)) {
    return why = "the state update is not f * h + ...", failure();
  }
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
  if (m.hLast) {
    auto xt = cast<RankedTensorType>(m.x.getType());
    if (m.h.getType() != m.hLast.getType() || xt.getRank() != cast<RankedTensorType>(m.hNew.getType()).getRank())
      return why = "the unrolled state is broadcast (h0 and the tokens' shapes disagree)",
             failure();
    return success();
  }
  if (m.h.getType() != m.hNew.getType())
    return why = "the state is broadcast (its type differs from the new state's)", failure();
  return success();
}

/// The report's summary of a matched step: variant, lower bound, both eps.
static std::string describe(StepMatch &m) {
  if (m.variant == MLGRUVariant::paper)
    return "paper variant, eps = " + formatEps(m.f.getEps().convertToFloat());
  return std::string("released variant") + (m.lowerBound ? ", lower bound" : "") +
         ", eps = " + formatEps(m.f.getEps().convertToFloat()) +
         ", g_norm_eps = " + formatEps(m.gNormEps);
}

/// A lower bound computed in the graph from constants (mmfreelm:
/// `cumsum(softmax(P, 0), 0) - softmax(P, 0)[0]`, then row `l`) becomes a
/// constant, so the step's operands stay outside its computation.
static LogicalResult foldLowerBound(IRRewriter &rw, Value &lb, std::string &why) {
  if (!lb || getConstantElements(lb) || !lb.getDefiningOp())
    return success(); // none, a constant, or a graph input
  std::optional<SmallVector<float>> values = evaluateConstantF32(lb);
  if (!values) {
    why = "the lower bound is computed at run time (not from constants)";
    return failure();
  }
  lb = createConstantF32(rw, lb.getLoc(), cast<RankedTensorType>(lb.getType()), *values);
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
    if (report)
      reportUnfusedSteps();
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

  /// State updates h' = f * h + u with a sigmoid forget gate that are left
  /// (their projections are not BitLinears, or no o projection was matched)
  /// are MLGRU candidates too: the report names each one.
  void reportUnfusedSteps() {
    getOperation()->walk([&](ONNXNodeOp add) {
      if (!add.isDefaultDomain() || add.getOpType() != "Add" ||
          reported.contains(add->getResult(0)))
        return;
      for (int k = 0; k < 2; ++k) {
        ONNXNodeOp mul = defNode(add.getInput(k), "Mul");
        if (!mul)
          continue;
        for (int j = 0; j < 2; ++j) {
          Value f = mul.getInput(j), s = f, h = mul.getInput(1 - j);
          if (!f || !h || matchOneMinus(h) || getConstantElements(h))
            continue; // (1 - lb) * sigmoid(z) is the gate itself
          if (ONNXNodeOp a = defNode(f, "Add")) // lb + (1 - lb) * sigmoid(z)
            for (Value v : a.getInputs())
              if (ONNXNodeOp pm = defNode(v, "Mul"))
                for (Value w : pm.getInputs())
                  if (defNode(w, "Sigmoid"))
                    s = w;
          ONNXNodeOp g = defNode(stripGather(s), "Sigmoid");
          if (g && g.getInput(0) != h) { // x * sigmoid(x) is a SiLU
            reportCandidate(true, add, "MLGRU step", false,
                            g.getInput(0).getDefiningOp<BitLinearOp>()
                                ? "no o projection BL_o(... * SiLU(h')) of this state was matched"
                                : "the f projection is not a recognized BitLinear");
            return;
          }
        }
      }
    });
  }

  /// Gather(v, t) (a token of an unrolled sequence) -> v.
  static Value stripGather(Value v) {
    if (ONNXNodeOp g = defNode(v, "Gather"))
      return g.getInput(0);
    return v;
  }

  /// New states of candidates already reported at their o projection.
  llvm::DenseSet<Value> reported;
  /// Marks `hNew` (and, for an unrolled sequence, every stacked step) reported.
  void markReported(Value hNew) {
    reported.insert(hNew);
    if (ONNXNodeOp cat = defNode(hNew, "Concat"))
      for (Value v : cat.getInputs())
        if (ONNXNodeOp un = defNode(v, "Unsqueeze"))
          reported.insert(un.getInput(0));
    if (ONNXNodeOp un = defNode(hNew, "Unsqueeze"))
      reported.insert(un.getInput(0));
  }

  void tryStep(BitLinearOp o, IRRewriter &rw) {
    // Only products feeding a BitLinear are candidates.
    if (!defNode(o.getInput(), "Mul"))
      return;
    StepMatch m;
    std::string why;
    if (failed(matchStep(o, m, why))) {
      if (m.hNew)
        markReported(m.hNew);
      return reportCandidate(report, o, "MLGRU step", false, why);
    }
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
    if (failed(foldLowerBound(rw, m.lowerBound, why))) {
      markReported(m.hNew);
      return reportCandidate(report, o, m.hLast ? "MLGRU sequence" : "MLGRU step", false, why);
    }
    if (m.hLast) {
      auto seq = MLGRUSequenceOp::create(
          rw, o.getLoc(), o.getResult().getType(), m.hLast.getType(), m.x, m.h, weights, norms,
          m.gNorm, m.lowerBound, MLGRUVariantAttr::get(rw.getContext(), m.variant),
          m.f.getEpsAttr(), m.f.getActBitsAttr(), rw.getF32FloatAttr(m.gNormEps));
      reportCandidate(report, o, "MLGRU sequence", true,
                      "unrolled over " + std::to_string(m.steps) + " steps, " + describe(m));
      rw.replaceAllUsesWith(o.getResult(), seq.getOutput());
      rw.replaceAllUsesWith(m.hLast, seq.getFinalState());
      return;
    }
    auto step = MLGRUStepOp::create(
        rw, o.getLoc(), o.getResult().getType(), m.hNew.getType(), m.x, m.h, weights, norms,
        m.gNorm, m.lowerBound,
        MLGRUVariantAttr::get(rw.getContext(), m.variant), m.f.getEpsAttr(),
        m.f.getActBitsAttr(), rw.getF32FloatAttr(m.gNormEps));
    reportCandidate(report, o, "MLGRU step", true, describe(m));
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
        step.getVariantAttr(), step.getEpsAttr(), step.getActBitsAttr(),
        step.getGNormEpsAttr());
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
