//===- RecognizeCustomOps.cpp - domain `tern` nodes to tern ops (form 4) --===//
//
// tern.RMSNorm / BitLinear / GLU / MLGRU as specified in
// python/tern/ONNX_CUSTOM_OPS.md (and the README's "ONNX import" section).
// Unknown attributes, bad attribute values and non-ternary "ternary" weights
// are errors naming the node.
//
//===----------------------------------------------------------------------===//
#include "RecognizeUtils.h"
#include "tern/Import/ONNX/Passes.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZECUSTOMOPS
#include "tern/Import/ONNX/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {
struct CustomOpConverter {
  ONNXNodeOp op;
  IRRewriter &rw;
  float eps = 1e-6f;
  int64_t actBits = 8;
  bool ternaryForm = false;

  InFlightDiagnostic error() { return op.emitError() << op.describe() << ": "; }

  LogicalResult checkAttrs(ArrayRef<StringRef> allowed) {
    for (NamedAttribute a : op.getOnnxAttrs())
      if (!llvm::is_contained(allowed, a.getName().getValue()))
        return error() << "unknown attribute '" << a.getName().getValue() << "'";
    eps = op.getFloatAttr("eps", 1e-6f);
    actBits = op.getIntAttr("act_bits", 8);
    std::string form = op.getStringAttr("weight_form", "latent");
    if (form != "latent" && form != "ternary")
      return error() << "weight_form must be \"latent\" or \"ternary\", got \"" << form << "\"";
    ternaryForm = form == "ternary";
    if (actBits < 2 || actBits > 8)
      return error() << "act_bits must be in [2, 8], got " << actBits;
    if (!(eps >= 0.0f) || !std::isfinite(eps))
      return error() << "eps must be finite and non-negative";
    return success();
  }

  /// An f32 [D] vector input (norm weight, lower bound), or null if absent.
  FailureOr<Value> vectorInput(unsigned i, StringRef name) {
    Value v = op.getInput(i);
    if (!v)
      return Value();
    auto t = tensorTypeOf(v);
    if (!t || t.getRank() != 1 || !t.getElementType().isF32())
      return error() << name << " must be an f32 vector, got " << v.getType(), failure();
    return v;
  }

  static RankedTensorType tensorTypeOf(Value v) { return dyn_cast<RankedTensorType>(v.getType()); }

  /// The weight operand for a tern op: latent f32 [N, K], or a tern.constant
  /// for "ternary" weights with scale input `scaleIdx`.
  FailureOr<Value> weight(unsigned i, unsigned scaleIdx, StringRef name) {
    Value w = op.getInput(i);
    auto t = w ? tensorTypeOf(w) : RankedTensorType();
    if (!t || t.getRank() != 2)
      return error() << name << " must be a rank-2 [out, in] tensor", failure();
    if (!ternaryForm) {
      if (!t.getElementType().isF32())
        return error() << name << " must be f32 for weight_form \"latent\"", failure();
      return w;
    }
    Value s = op.getInput(scaleIdx);
    std::optional<float> scale = s ? getScalarFloat(s) : std::nullopt;
    if (!scale)
      return error() << "weight_form \"ternary\" needs a constant scalar f32 scale for "
                     << name,
             failure();
    if (!(*scale > 0.0f) || !std::isfinite(*scale))
      return error() << "the scale of " << name << " must be positive and finite", failure();
    TernaryWeights tw;
    std::string why;
    if (failed(readTrits(w, /*transposed=*/false, tw, why)))
      return error() << name << ": " << why << " (weight_form \"ternary\" needs constant "
                     << "{-1, 0, 1} weights)",
             failure();
    tw.scale = *scale;
    return createTernaryConstant(rw, op.getLoc(), tw);
  }

  FloatAttr epsAttr(float e) { return rw.getF32FloatAttr(e); }
  IntegerAttr bitsAttr() { return rw.getI32IntegerAttr(actBits); }

  LogicalResult rmsnorm() {
    if (failed(checkAttrs({"eps"})))
      return failure();
    auto w = vectorInput(1, "weight");
    if (failed(w))
      return failure();
    Value r = RMSNormOp::create(rw, op.getLoc(), op->getResult(0).getType(), op.getInput(0), *w,
                                epsAttr(eps));
    rw.replaceOp(op, r);
    return success();
  }

  LogicalResult bitlinear() {
    if (failed(checkAttrs({"eps", "act_bits", "weight_form"})))
      return failure();
    auto norm = vectorInput(2, "norm_weight");
    auto w = weight(1, 3, "W");
    if (failed(norm) || failed(w))
      return failure();
    Value r = BitLinearOp::create(rw, op.getLoc(), op->getResult(0).getType(), op.getInput(0),
                                  *w, *norm, epsAttr(eps), bitsAttr());
    rw.replaceOp(op, r);
    return success();
  }

  LogicalResult glu() {
    if (failed(checkAttrs({"eps", "act_bits", "weight_form"})))
      return failure();
    auto ngu = vectorInput(3, "norm_gu"), nd = vectorInput(4, "norm_d");
    auto wgu = weight(1, 5, "W_gu"), wd = weight(2, 6, "W_d");
    if (failed(ngu) || failed(nd) || failed(wgu) || failed(wd))
      return failure();
    Value r = GLUOp::create(rw, op.getLoc(), op->getResult(0).getType(), op.getInput(0), *wgu,
                            *ngu, *wd, *nd, epsAttr(eps), bitsAttr());
    rw.replaceOp(op, r);
    return success();
  }

  /// Moves the time-major axis 0 of `v` to position rank-2 (or back).
  Value transposeTime(Value v, bool toBatchMajor) {
    auto t = cast<RankedTensorType>(v.getType());
    int64_t r = t.getRank();
    if (r <= 2)
      return v;
    SmallVector<int64_t> perm;
    if (toBatchMajor) { // [T, B.., D] -> [B.., T, D]
      for (int64_t i = 1; i < r - 1; ++i)
        perm.push_back(i);
      perm.push_back(0);
      perm.push_back(r - 1);
    } else { // [B.., T, D] -> [T, B.., D]
      perm.push_back(r - 2);
      for (int64_t i = 0; i < r - 2; ++i)
        perm.push_back(i);
      perm.push_back(r - 1);
    }
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(t.getDimSize(p));
    auto type = RankedTensorType::get(shape, t.getElementType());
    Value empty = tensor::EmptyOp::create(rw, op.getLoc(), type.getShape(), t.getElementType());
    return linalg::TransposeOp::create(rw, op.getLoc(), v, empty, perm).getResult()[0];
  }

  LogicalResult mlgru() {
    if (failed(checkAttrs({"variant", "mode", "eps", "g_norm_eps", "act_bits", "weight_form"})))
      return failure();
    std::string variant = op.getStringAttr("variant", "released");
    std::string mode = op.getStringAttr("mode", "step");
    float gEps = op.getFloatAttr("g_norm_eps", 1e-6f);
    if (variant != "released" && variant != "paper")
      return error() << "variant must be \"released\" or \"paper\", got \"" << variant << "\"";
    if (mode != "step" && mode != "sequence")
      return error() << "mode must be \"step\" or \"sequence\", got \"" << mode << "\"";
    bool paper = variant == "paper";
    // Spec order: W_i, W_f, W_g, W_o (2..5), norms (6..9), g_norm 10, lb 11, s_* 12..15.
    // tern op order: f, i, g, o.
    static constexpr unsigned order[4] = {1, 0, 2, 3};
    static constexpr const char *names[4] = {"W_i", "W_f", "W_g", "W_o"};
    SmallVector<Value> weights, norms;
    unsigned present = 0;
    for (unsigned k : order) {
      auto w = weight(2 + k, 12 + k, names[k]);
      auto n = vectorInput(6 + k, "norm");
      if (failed(w) || failed(n))
        return failure();
      weights.push_back(*w);
      if (*n) {
        norms.push_back(*n);
        ++present;
      }
    }
    if (present != 0 && present != 4)
      return error() << "tern.mlgru needs the four BitLinear norm weights or none (got "
                     << present << ")";
    auto gNorm = vectorInput(10, "g_norm"), lb = vectorInput(11, "lower_bound");
    if (failed(gNorm) || failed(lb))
      return failure();
    Value g = paper ? Value() : *gNorm;
    if (!paper && !g)
      return error() << "the released variant needs g_norm";
    if (paper && *lb)
      return error() << "a lower_bound with the paper variant is not supported by tern.mlgru";
    if (!(gEps >= 0.0f) || !std::isfinite(gEps))
      return error() << "g_norm_eps must be finite and non-negative";
    // The paper variant has no g_norm: its g_norm_eps is ignored.
    auto variantAttr = MLGRUVariantAttr::get(rw.getContext(), paper ? MLGRUVariant::paper
                                                                    : MLGRUVariant::released);
    Value x = op.getInput(0), h = op.getInput(1);
    if (!x || !h)
      return error() << "X and H are required";
    if (mode == "step") {
      auto step = MLGRUStepOp::create(rw, op.getLoc(), op->getResult(0).getType(),
                                      op->getResult(1).getType(), x, h, weights, norms, g, *lb,
                                      variantAttr, epsAttr(eps), bitsAttr(),
                                      epsAttr(paper ? 1e-6f : gEps));
      rw.replaceOp(op, step.getResults());
      return success();
    }
    auto xt = cast<RankedTensorType>(x.getType());
    if (xt.getRank() < 2)
      return error() << "sequence mode needs X of rank >= 2 ([T, ..., D])";
    Value xb = transposeTime(x, true);
    SmallVector<int64_t> yShape(cast<RankedTensorType>(xb.getType()).getShape());
    yShape.back() = cast<RankedTensorType>(op->getResult(0).getType()).getShape().back();
    auto ybType = RankedTensorType::get(yShape, xt.getElementType());
    auto seq = MLGRUSequenceOp::create(rw, op.getLoc(), ybType, op->getResult(1).getType(), xb,
                                       h, weights, norms, g, *lb, variantAttr, epsAttr(eps),
                                       bitsAttr(), epsAttr(paper ? 1e-6f : gEps));
    Value y = transposeTime(seq.getOutput(), false);
    rw.replaceOp(op, {y, seq.getFinalState()});
    return success();
  }

  LogicalResult run() {
    rw.setInsertionPoint(op);
    StringRef t = op.getOpType();
    if (t == "RMSNorm")
      return rmsnorm();
    if (t == "BitLinear")
      return bitlinear();
    if (t == "GLU")
      return glu();
    if (t == "MLGRU")
      return mlgru();
    return error() << "unknown operator of domain 'tern'";
  }
};

struct RecognizeCustomOpsPass
    : mlir::tern::impl::TernONNXRecognizeCustomOpsBase<RecognizeCustomOpsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<ONNXNodeOp> nodes;
    getOperation()->walk([&](ONNXNodeOp op) {
      if (op.getDomain() == "tern")
        nodes.push_back(op);
    });
    IRRewriter rw(&getContext());
    bool failedAny = false;
    for (ONNXNodeOp op : nodes) {
      std::string name = op.describe();
      Location loc = op.getLoc();
      CustomOpConverter conv{op, rw};
      if (failed(conv.run())) {
        failedAny = true;
        continue;
      }
      if (report)
        emitRemark(loc) << "custom op fused at " << name;
    }
    if (failedAny)
      signalPassFailure();
  }
};
} // namespace
