//===- SplitGLU.cpp - GLU gate/up as two BitLinears (CUDA) ----------------===//
//
// `tern-cuda-split-glu`: a GLU with constant ternary weights becomes two
// BitLinears over the same input (gate rows, up rows of W_gu, with W_gu's
// scale), SiLU(gate) * up, and the down BitLinear. After decomposition and
// CSE both halves share one quantization, and element-wise fusion makes both
// rescales and SiLU(gate) * up one generic over two tmatmuls: the CUDA
// emitter runs them as one GEMV whose epilogue writes SiLU(gate) * up, with
// no [.., 2I] intermediate and no slicing.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/CUDA/CUDATarget.h"
#include "tern/Utils/LinalgBuilders.h"

#include "Tern/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNCUDASPLITGLU
#include "tern/Target/CUDA/Passes.h.inc"

namespace {

struct SplitGLU : OpRewritePattern<GLUOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GLUOp op, PatternRewriter &b) const override {
    auto wConst = op.getGateUpWeight().getDefiningOp<ConstantOp>();
    if (!wConst)
      return b.notifyMatchFailure(op, "gate/up weights are not constant");
    auto inType = op.getInput().getType();
    if (!inType.hasStaticShape())
      return b.notifyMatchFailure(op, "needs a static input shape");
    TernaryAttr attr = wConst.getValue();
    int64_t rows = attr.getType().getRows(), cols = attr.getType().getCols();
    if (rows % 2)
      return b.notifyMatchFailure(op, "odd gate/up rows");
    SmallVector<int8_t> trits;
    if (failed(attr.unpack(trits)))
      return b.notifyMatchFailure(op, "gate/up blob not loaded");
    int64_t half = rows / 2;
    Location loc = op.getLoc();
    float scale = attr.getScaleValue();
    auto halfWeight = [&](int64_t first) -> Value {
      ArrayRef<int8_t> part(trits.data() + first * cols, half * cols);
      return ConstantOp::create(b, loc, TernaryAttr::get(getContext(), half, cols, scale, part));
    };
    SmallVector<int64_t> shape(inType.getShape());
    shape.back() = half;
    auto halfType = RankedTensorType::get(shape, b.getF32Type());
    auto bitlinear = [&](Value x, Value w, Value norm, RankedTensorType type) -> Value {
      return BitLinearOp::create(b, loc, type, x, w, norm, op.getEpsAttr(), op.getActBitsAttr());
    };
    Value gate = bitlinear(op.getInput(), halfWeight(0), op.getGateUpNorm(), halfType);
    Value up = bitlinear(op.getInput(), halfWeight(half), op.getGateUpNorm(), halfType);
    Value h = buildElementwise(b, loc, shape, b.getF32Type(), {gate, up},
                               [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                 return arith::MulFOp::create(nb, l, buildSiLU(nb, l, a[0]), a[1]);
                               });
    b.replaceOp(op, bitlinear(h, op.getDownWeight(), op.getDownNorm(), op.getResult().getType()));
    return success();
  }
};

struct SplitGLUPass : impl::TernCUDASplitGLUBase<SplitGLUPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitGLU>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

} // namespace mlir::tern
