//===- RecognizeGLU.cpp - GLU channel mixers to tern.glu ------------------===//
//
// Root: a tern.bitlinear (down projection) whose input is SiLU(gate) * up
// (either order, SiLU as x * Sigmoid(x)), where [gate, up] are the two equal
// halves of the last axis (Split, or two Slices) of another tern.bitlinear
// (gate_up projection) with the same eps and act_bits.
//
//===----------------------------------------------------------------------===//
#include "RecognizeUtils.h"
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZEGLU
#include "tern/Import/ONNX/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

static RankedTensorType resultType(ONNXNodeOp op, unsigned i) {
  return cast<RankedTensorType>(op->getResult(i).getType());
}

/// If `v` is half `half` (0 = first, 1 = second) of the last axis of some
/// value, returns that value.
static Value halfOf(Value v, int half) {
  auto vt = dyn_cast<RankedTensorType>(v.getType());
  if (!vt || vt.getRank() < 1)
    return {};
  int64_t rank = vt.getRank();
  if (auto split = v.getDefiningOp<ONNXNodeOp>();
      split && split.isDefaultDomain() && split.getOpType() == "Split" &&
      split.getNumResults() == 2 && cast<OpResult>(v).getResultNumber() == (unsigned)half) {
    Value src = split.getInput(0);
    auto st = cast<RankedTensorType>(src.getType());
    int64_t axis = split.getIntAttr("axis", 0);
    if (!normalizeAxis(axis, st.getRank()) || axis != rank - 1)
      return {};
    if (resultType(split, 0) != resultType(split, 1))
      return {};
    return src;
  }
  if (ONNXNodeOp slice = defNode(v, "Slice")) {
    Value src = slice.getInput(0);
    auto st = cast<RankedTensorType>(src.getType());
    int64_t d = st.getShape().back();
    if (d % 2 || vt.getShape().back() != d / 2)
      return {};
    auto starts = getConstantInts(slice.getInput(1));
    auto axes = slice.getInput(3) ? getConstantInts(slice.getInput(3))
                                  : std::optional<SmallVector<int64_t>>(SmallVector<int64_t>{0});
    auto steps = slice.getInput(4) ? getConstantInts(slice.getInput(4))
                                   : std::optional<SmallVector<int64_t>>(SmallVector<int64_t>{1});
    if (!starts || !axes || !steps || starts->size() != 1 || axes->size() != 1 ||
        steps->size() != 1 || (*steps)[0] != 1)
      return {};
    int64_t axis = (*axes)[0], start = (*starts)[0];
    if (!normalizeAxis(axis, st.getRank()) || axis != rank - 1)
      return {};
    if (start < 0)
      start += d;
    if (start != half * (d / 2))
      return {};
    return src;
  }
  return {};
}

struct RecognizeGLUPass : mlir::tern::impl::TernONNXRecognizeGLUBase<RecognizeGLUPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<BitLinearOp> roots;
    getOperation()->walk([&](BitLinearOp op) { roots.push_back(op); });
    IRRewriter rw(&getContext());
    for (BitLinearOp down : roots)
      tryRoot(down, rw);
    eraseDeadOps(getOperation());
    if (report)
      reportUnfused();
  }

  /// Every SiLU(gate) * up over the two halves of one value that is left (its
  /// projections are not both BitLinears) is a GLU candidate too: the report
  /// names it even when no BitLinear fused.
  void reportUnfused() {
    getOperation()->walk([&](ONNXNodeOp mul) {
      if (!mul.isDefaultDomain() || mul.getOpType() != "Mul")
        return;
      Value silu, up;
      if (!matchEither(mul, [](Value v) { return static_cast<bool>(matchSiLU(v)); }, silu, up))
        return;
      Value src = halfOf(matchSiLU(silu), 0);
      if (!src || halfOf(up, 1) != src)
        return;
      if (llvm::any_of(mul->getUsers(), [](Operation *u) { return isa<BitLinearOp>(u); }))
        return; // reported at its tern.bitlinear root
      reportCandidate(true, mul, "GLU", false,
                      src.getDefiningOp<BitLinearOp>()
                          ? "the down projection is not a recognized BitLinear"
                          : "the gate_up projection is not a recognized BitLinear");
    });
  }

  void tryRoot(BitLinearOp down, IRRewriter &rw) {
    ONNXNodeOp mul = defNode(down.getInput(), "Mul");
    if (!mul)
      return; // not a candidate
    auto notFused = [&](const Twine &why) { reportCandidate(report, down, "GLU", false, why); };
    Value silu, up;
    if (!matchEither(mul, [](Value v) { return static_cast<bool>(matchSiLU(v)); }, silu, up))
      return notFused("the down projection's input is not SiLU(gate) * up");
    Value gate = matchSiLU(silu);
    // Only products of split halves are GLU candidates (an MLGRU's
    // RMSNorm(g) * SiLU(h) is not).
    if (!gate.getDefiningOp<ONNXNodeOp>() && !up.getDefiningOp<ONNXNodeOp>())
      return;
    if (!defNodeAny(gate, {"Split", "Slice"}) && !defNodeAny(up, {"Split", "Slice"}))
      return;
    Value src = halfOf(gate, 0);
    if (!src || halfOf(up, 1) != src)
      return notFused("gate and up are not the two halves of one projection's last axis");
    auto gu = src.getDefiningOp<BitLinearOp>();
    if (!gu)
      return notFused("gate/up do not come from a recognized BitLinear");
    if (gu.getEps() != down.getEps() || gu.getActBits() != down.getActBits())
      return notFused("the two BitLinears differ in eps or act_bits");
    rw.setInsertionPoint(down);
    Value r = GLUOp::create(rw, down.getLoc(), down.getResult().getType(), gu.getInput(),
                            gu.getWeight(), gu.getNorm(), down.getWeight(), down.getNorm(),
                            down.getEpsAttr(), down.getActBitsAttr());
    reportCandidate(report, down, "GLU", true,
                    "gate_up " + std::to_string(cast<RankedTensorType>(src.getType()).getShape().back()) +
                        " channels");
    rw.replaceOp(down, r);
  }
};
} // namespace
