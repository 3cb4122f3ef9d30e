//===- Decompose.cpp - layers into quantized matmuls and element-wise math ===//
#include "tern/Transforms/Passes.h"
#include "tern/Utils/LinalgBuilders.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNDECOMPOSE
#include "tern/Transforms/Passes.h.inc"

namespace {

RankedTensorType withLastDim(RankedTensorType type, int64_t last, Type elementType) {
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = last;
  return RankedTensorType::get(shape, elementType);
}

int64_t weightRows(Value w) {
  if (auto t = dyn_cast<TernaryType>(w.getType()))
    return t.getRows();
  return cast<RankedTensorType>(w.getType()).getDimSize(0);
}

/// A BitLinear with the attributes of `layer` (eps, act_bits).
template <typename LayerOp>
Value buildBitLinear(PatternRewriter &b, Location loc, LayerOp layer, Value x, Value w,
                     Value norm) {
  auto type = withLastDim(cast<RankedTensorType>(x.getType()), weightRows(w), b.getF32Type());
  return BitLinearOp::create(b, loc, type, x, w, norm, layer.getEpsAttr(),
                             layer.getActBitsAttr());
}

Value elementwise(OpBuilder &b, Location loc, Value like, ValueRange inputs, ScalarBodyFn fn) {
  auto type = cast<RankedTensorType>(like.getType());
  return buildElementwise(b, loc, type.getShape(), type.getElementType(), inputs, fn);
}

/// bitlinear -> [rmsnorm] -> act_quant -> tmatmul -> acc / (s_x * s_w).
struct DecomposeBitLinear : OpRewritePattern<BitLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BitLinearOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    if (!inType.hasStaticShape())
      return b.notifyMatchFailure(op, "needs a static input shape");
    Value x = op.getInput();
    if (op.getNorm())
      x = RMSNormOp::create(b, loc, inType, x, op.getNorm(), op.getEpsAttr());
    Value w = op.getWeight();
    if (auto latent = dyn_cast<RankedTensorType>(w.getType()))
      w = WeightQuantOp::create(
          b, loc, TernaryType::get(getContext(), latent.getDimSize(0), latent.getDimSize(1)), w);
    auto quant = ActQuantOp::create(b, loc, withLastDim(inType, inType.getShape().back(), b.getI8Type()),
                                    withLastDim(inType, 1, b.getF32Type()), x,
                                    op.getActBitsAttr());
    auto resultType = op.getResult().getType();
    Value acc = TMatmulOp::create(b, loc, withLastDim(resultType, resultType.getShape().back(), b.getI32Type()),
                                  quant.getOutput(), w);
    Value sw = WeightScaleOp::create(b, loc, b.getF32Type(), w);
    Value y = buildElementwise(
        b, loc, resultType.getShape(), b.getF32Type(), {acc, quant.getScale()},
        [](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value accF = arith::SIToFPOp::create(nb, l, nb.getF32Type(), a[0]);
          Value denom = arith::MulFOp::create(nb, l, a[1], a[2]);
          return arith::DivFOp::create(nb, l, accF, denom);
        },
        ValueRange{sw});
    b.replaceOp(op, y);
    return success();
  }
};

/// glu -> BL_d(SiLU(gate) * up) with [gate, up] = BL_gu(x).
struct DecomposeGLU : OpRewritePattern<GLUOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GLUOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    if (!inType.hasStaticShape())
      return b.notifyMatchFailure(op, "needs a static input shape");
    Value gu = buildBitLinear(b, loc, op, op.getInput(), op.getGateUpWeight(), op.getGateUpNorm());
    auto guType = cast<RankedTensorType>(gu.getType());
    int64_t rank = guType.getRank(), inter = guType.getShape().back() / 2;
    auto half = withLastDim(guType, inter, b.getF32Type());
    SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
    for (int64_t d : half.getShape())
      sizes.push_back(b.getIndexAttr(d));
    SmallVector<OpFoldResult> gateOff(rank, b.getIndexAttr(0)), upOff = gateOff;
    upOff.back() = b.getIndexAttr(inter);
    Value gate = tensor::ExtractSliceOp::create(b, loc, half, gu, gateOff, sizes, strides);
    Value up = tensor::ExtractSliceOp::create(b, loc, half, gu, upOff, sizes, strides);
    Value h = elementwise(b, loc, gate, {gate, up}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
      return arith::MulFOp::create(nb, l, buildSiLU(nb, l, a[0]), a[1]);
    });
    b.replaceOp(op, buildBitLinear(b, loc, op, h, op.getDownWeight(), op.getDownNorm()));
    return success();
  }
};

/// The MLGRU math shared by the step and the sequence forms: the input
/// projections do not depend on the state, so a sequence computes them for
/// all tokens at once (GEMMs) and loops only over the element-wise recurrence.
template <typename OpTy>
struct MLGRUParts {
  PatternRewriter &b;
  Location loc;
  OpTy op;

  Value norm(int i) { return op.getNorms().empty() ? Value() : op.getNorms()[i]; }
  Value proj(int i, Value x) { return buildBitLinear(b, loc, op, x, op.getWeights()[i], norm(i)); }

  /// f = sigmoid(BL_f(x)), lifted to lb + (1 - lb) f with a lower bound.
  Value forgetGate(Value x) {
    Value f = proj(0, x);
    if (Value lb = op.getLowerBound())
      return elementwise(b, loc, f, {f, lb}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value one = buildF32(nb, l, 1.0f);
        Value s = buildSigmoid(nb, l, a[0]);
        Value span = arith::SubFOp::create(nb, l, one, a[1]);
        return arith::AddFOp::create(nb, l, a[1], arith::MulFOp::create(nb, l, span, s));
      });
    return elementwise(b, loc, f, {f}, [](OpBuilder &nb, Location l, ValueRange a) {
      return buildSigmoid(nb, l, a[0]);
    });
  }

  /// What both variants add to f * h: (1 - f) * SiLU(BL_i(x)).
  Value input(Value f, Value x) {
    Value i = proj(1, x);
    return elementwise(b, loc, f, {f, i}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
      Value one = buildF32(nb, l, 1.0f);
      return arith::MulFOp::create(nb, l, buildSiLU(nb, l, a[1]),
                                   arith::SubFOp::create(nb, l, one, a[0]));
    });
  }

  /// h_t = f * h_{t-1} + u.
  Value recur(Value f, Value h, Value u) {
    return elementwise(b, loc, h, {f, h, u}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
      return arith::AddFOp::create(nb, l, arith::MulFOp::create(nb, l, a[0], a[1]), a[2]);
    });
  }

  /// o = BL_o(gate(g, h)): released RMSNorm(g) w_g SiLU(h), paper sigmoid(g) h.
  Value output(Value x, Value h) {
    Value g = proj(2, x);
    Value gated;
    if (op.getVariant() == MLGRUVariant::released) {
      Value gn = RMSNormOp::create(b, loc, g.getType(), g, op.getGNorm(), op.getGNormEpsAttr());
      gated = elementwise(b, loc, gn, {gn, h}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::MulFOp::create(nb, l, a[0], buildSiLU(nb, l, a[1]));
      });
    } else {
      gated = elementwise(b, loc, g, {g, h}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::MulFOp::create(nb, l, buildSigmoid(nb, l, a[0]), a[1]);
      });
    }
    return proj(3, gated);
  }
};

struct DecomposeMLGRUStep : OpRewritePattern<MLGRUStepOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MLGRUStepOp op, PatternRewriter &b) const override {
    if (!op.getInput().getType().hasStaticShape() || !op.getState().getType().hasStaticShape())
      return b.notifyMatchFailure(op, "needs static shapes");
    MLGRUParts<MLGRUStepOp> parts{b, op.getLoc(), op};
    Value f = parts.forgetGate(op.getInput());
    Value h = parts.recur(f, op.getState(), parts.input(f, op.getInput()));
    b.replaceOp(op, {parts.output(op.getInput(), h), h});
    return success();
  }
};

/// mlgru_sequence: gates for all tokens, an scf.for over time for the
/// recurrence only, then the gated output projection for all tokens.
struct DecomposeMLGRUSequence : OpRewritePattern<MLGRUSequenceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MLGRUSequenceOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    auto stateType = op.getState().getType();
    if (!inType.hasStaticShape() || !stateType.hasStaticShape())
      return b.notifyMatchFailure(op, "needs static shapes");
    MLGRUParts<MLGRUSequenceOp> parts{b, loc, op};
    Value f = parts.forgetGate(op.getInput());
    Value u = parts.input(f, op.getInput());
    auto seqType = cast<RankedTensorType>(f.getType()); // [..., T, H]
    int64_t rank = seqType.getRank(), timeAxis = rank - 2, steps = seqType.getDimSize(timeAxis);
    SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1)), sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(b.getIndexAttr(d == timeAxis ? 1 : seqType.getDimSize(d)));
    auto offsetsAt = [&](Value t) {
      SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
      offsets[timeAxis] = t;
      return offsets;
    };
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value end = arith::ConstantIndexOp::create(b, loc, steps);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value statesInit = tensor::EmptyOp::create(b, loc, seqType.getShape(), seqType.getElementType());
    auto loop = scf::ForOp::create(
        b, loc, zero, end, one, ValueRange{op.getState(), statesInit},
        [&](OpBuilder &nb, Location l, Value t, ValueRange iter) {
          auto slice = [&](Value seq) -> Value {
            return tensor::ExtractSliceOp::create(nb, l, stateType, seq, offsetsAt(t), sizes, strides);
          };
          Value h = buildElementwise(
              nb, l, stateType.getShape(), stateType.getElementType(), {slice(f), iter[0], slice(u)},
              [](OpBuilder &eb, Location el, ValueRange a) -> Value {
                return arith::AddFOp::create(eb, el, arith::MulFOp::create(eb, el, a[0], a[1]), a[2]);
              });
          Value states = tensor::InsertSliceOp::create(nb, l, h, iter[1], offsetsAt(t), sizes, strides);
          // Copy into the carried state so the loop updates one buffer in
          // place (bufferization needs yields equivalent to iter args).
          Value next = linalg::CopyOp::create(nb, l, h, iter[0]).getResult(0);
          scf::YieldOp::create(nb, l, ValueRange{next, states});
        });
    b.replaceOp(op, {parts.output(op.getInput(), loop.getResult(1)), loop.getResult(0)});
    return success();
  }
};

struct DecomposePass : impl::TernDecomposeBase<DecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeBitLinear, DecomposeGLU, DecomposeMLGRUStep, DecomposeMLGRUSequence>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Layers that could not be decomposed (dynamic shapes) are errors here:
    // no later pass can lower them.
    WalkResult r = getOperation()->walk([](Operation *op) {
      if (isa<BitLinearOp, GLUOp, MLGRUStepOp, MLGRUSequenceOp>(op)) {
        op->emitError("cannot decompose '") << op->getName() << "': it needs static shapes";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::tern
