//===- TernOps.cpp - verifiers, folders and canonicalizations -------------===//
#include "Tern/TernOps.h"
#include "tern/Support/TernaryPacking.h"

#include "mlir/Dialect/CommonFolders.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tern;

#include "Tern/TernInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "Tern/TernOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape helpers shared by the verifiers
//===----------------------------------------------------------------------===//

namespace {
/// [rows, cols] of a weight operand (latent f32 matrix or !tern.ternary);
/// dynamic dimensions stay ShapedType::kDynamic.
struct WeightShape {
  int64_t rows, cols;
};
} // namespace

static WeightShape getWeightShape(Type type) {
  if (auto ternary = dyn_cast<TernaryType>(type))
    return {ternary.getRows(), ternary.getCols()};
  auto tensor = cast<RankedTensorType>(type);
  return {tensor.getDimSize(0), tensor.getDimSize(1)};
}

static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

/// Checks `actual` has `expected`'s shape except that its last dimension is `last`.
static LogicalResult verifyShapeWithLast(Operation *op, StringRef what,
                                         RankedTensorType actual,
                                         RankedTensorType expected, int64_t last) {
  if (actual.getRank() != expected.getRank())
    return op->emitOpError() << what << " must have rank " << expected.getRank()
                             << ", got " << actual;
  for (int64_t i = 0, e = actual.getRank(); i < e; ++i) {
    int64_t want = i + 1 == e ? last : expected.getDimSize(i);
    if (!compatible(actual.getDimSize(i), want))
      return op->emitOpError() << what << " dimension " << i << " must be "
                               << dimStr(want) << ", got " << actual;
  }
  return success();
}

static LogicalResult verifyEps(Operation *op, float eps) {
  if (!std::isfinite(eps) || eps < 0.0f)
    return op->emitOpError() << "eps must be finite and non-negative, got " << eps;
  return success();
}

static LogicalResult verifyBits(Operation *op, StringRef name, int32_t bits) {
  if (bits < 2 || bits > 8)
    return op->emitOpError() << name << " must be in [2, 8], got " << bits;
  return success();
}

/// A per-channel vector operand (norm weight, lower bound) of length `len`.
static LogicalResult verifyChannelVector(Operation *op, StringRef what, Value v,
                                         int64_t len) {
  if (!v)
    return success();
  int64_t got = cast<RankedTensorType>(v.getType()).getDimSize(0);
  if (!compatible(got, len))
    return op->emitOpError() << what << " must have " << dimStr(len)
                             << " elements, got " << got;
  return success();
}

/// Verifies a BitLinear weight against the input width `inFeatures`.
static LogicalResult verifyWeightCols(Operation *op, StringRef what, Value w,
                                      int64_t inFeatures) {
  WeightShape s = getWeightShape(w.getType());
  if (!compatible(s.cols, inFeatures))
    return op->emitOpError() << what << " has " << dimStr(s.cols)
                             << " input columns but the input has " << dimStr(inFeatures)
                             << " features";
  return success();
}

static int64_t lastDim(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getRank() == 0 ? ShapedType::kDynamic : t.getDimSize(t.getRank() - 1);
}

static LogicalResult verifyNonScalar(Operation *op, Value v) {
  if (cast<RankedTensorType>(v.getType()).getRank() == 0)
    return op->emitOpError("input must have at least one dimension");
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  TernaryAttr value = getValue();
  if (!value.getPacked().getRawHandle().getBlob())
    return emitOpError("packed weights blob '")
           << value.getPacked().getRawHandle().getKey() << "' is not loaded";
  ArrayRef<uint8_t> bytes = value.getPackedBytes();
  int64_t n = value.getType().getNumElements();
  if (static_cast<int64_t>(bytes.size()) != ::tern::packedSize(n))
    return emitOpError("packed weights blob holds ")
           << bytes.size() << " bytes, expected " << ::tern::packedSize(n);
  if (!::tern::isValidPacking(bytes.data(), n))
    return emitOpError("packed weights contain an invalid 2-bit code (0b11) or "
                       "non-zero padding");
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// WeightQuantOp, WeightScaleOp
//===----------------------------------------------------------------------===//

LogicalResult WeightQuantOp::verify() {
  auto in = getInput().getType();
  auto out = getResult().getType();
  if (!compatible(in.getDimSize(0), out.getRows()) ||
      !compatible(in.getDimSize(1), out.getCols()))
    return emitOpError("result ") << out << " does not match the input shape " << in;
  return success();
}

/// The float values of a constant f32 tensor, or false if unavailable.
static bool getConstantFloats(Attribute attr, std::vector<float> &values) {
  if (auto dense = dyn_cast_or_null<DenseFPElementsAttr>(attr)) {
    if (!dense.getElementType().isF32())
      return false;
    values.assign(dense.getNumElements(), 0.0f);
    if (dense.isSplat()) {
      std::fill(values.begin(), values.end(), dense.getSplatValue<float>());
    } else {
      ArrayRef<char> raw = dense.getRawData();
      std::memcpy(values.data(), raw.data(), values.size() * sizeof(float));
    }
    return true;
  }
  if (auto resource = dyn_cast_or_null<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = resource.tryGetAsArrayRef();
    if (!data || static_cast<int64_t>(data->size()) != resource.getNumElements())
      return false;
    values.assign(data->begin(), data->end());
    return true;
  }
  return false;
}

OpFoldResult WeightQuantOp::fold(FoldAdaptor adaptor) {
  std::vector<float> w;
  if (!getConstantFloats(adaptor.getInput(), w))
    return {};
  // Non-finite latent weights stay a run-time computation (and its NaNs).
  if (!llvm::all_of(w, [](float v) { return std::isfinite(v); }))
    return {};
  TernaryType type = getResult().getType();
  std::vector<uint8_t> bytes(::tern::packedSize(w.size()));
  float scale = ::tern::quantizeAndPack(w.data(), w.size(), bytes.data());
  MLIRContext *ctx = getContext();
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<uint8_t>(bytes));
  auto packed = DenseResourceElementsAttr::get(
      RankedTensorType::get({static_cast<int64_t>(bytes.size())}, IntegerType::get(ctx, 8)),
      "ternary", std::move(blob));
  return TernaryAttr::get(ctx, type, APFloat(scale), packed);
}

OpFoldResult WeightScaleOp::fold(FoldAdaptor adaptor) {
  if (auto w = dyn_cast_or_null<TernaryAttr>(adaptor.getWeight()))
    return FloatAttr::get(Float32Type::get(getContext()), w.getScaleValue());
  return {};
}

//===----------------------------------------------------------------------===//
// ActQuantOp, TMatmulOp, RMSNormOp
//===----------------------------------------------------------------------===//

LogicalResult ActQuantOp::verify() {
  if (failed(verifyNonScalar(*this, getInput())) ||
      failed(verifyBits(*this, "bits", getBits())))
    return failure();
  auto in = getInput().getType();
  if (failed(verifyShapeWithLast(*this, "quantized output", getOutput().getType(), in,
                                 lastDim(getInput()))) ||
      failed(verifyShapeWithLast(*this, "scale", getScale().getType(), in, 1)))
    return failure();
  return success();
}

LogicalResult TMatmulOp::verify() {
  if (failed(verifyNonScalar(*this, getInput())))
    return failure();
  WeightShape w = getWeightShape(getWeight().getType());
  if (failed(verifyWeightCols(*this, "weight", getWeight(), lastDim(getInput()))))
    return failure();
  return verifyShapeWithLast(*this, "result", getResult().getType(),
                             getInput().getType(), w.rows);
}

OpFoldResult TMatmulOp::fold(FoldAdaptor adaptor) {
  auto resultType = getResult().getType();
  if (!resultType.hasStaticShape())
    return {};
  auto weights = dyn_cast_or_null<TernaryAttr>(adaptor.getWeight());
  auto input = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput());
  bool zeroWeights = weights && weights.isAllZero();
  bool zeroInput = input && input.getSplatValue<APInt>().isZero();
  if (!zeroWeights && !zeroInput)
    return {};
  return DenseElementsAttr::get(resultType, APInt(32, 0));
}

LogicalResult RMSNormOp::verify() {
  if (failed(verifyNonScalar(*this, getInput())) ||
      failed(verifyEps(*this, getEps().convertToFloat())))
    return failure();
  if (getResult().getType() != getInput().getType())
    return emitOpError("result type ")
           << getResult().getType() << " must equal the input type "
           << getInput().getType();
  return verifyChannelVector(*this, "weight", getWeight(), lastDim(getInput()));
}

//===----------------------------------------------------------------------===//
// IndexCheckOp
//===----------------------------------------------------------------------===//

LogicalResult IndexCheckOp::verify() {
  auto type = getIndices().getType();
  if (!type.hasStaticShape())
    return emitOpError("indices must have a static shape, got ") << type;
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  if (width != 8 && width != 16 && width != 32 && width != 64)
    return emitOpError("indices must be 8-, 16-, 32- or 64-bit integers, got ")
           << type.getElementType();
  return success();
}

//===----------------------------------------------------------------------===//
// BitLinearOp, GLUOp
//===----------------------------------------------------------------------===//

LogicalResult BitLinearOp::verify() {
  if (failed(verifyNonScalar(*this, getInput())) ||
      failed(verifyEps(*this, getEps().convertToFloat())) ||
      failed(verifyBits(*this, "act_bits", getActBits())))
    return failure();
  int64_t in = lastDim(getInput());
  if (failed(verifyWeightCols(*this, "weight", getWeight(), in)) ||
      failed(verifyChannelVector(*this, "norm weight", getNorm(), in)))
    return failure();
  return verifyShapeWithLast(*this, "result", getResult().getType(),
                             getInput().getType(), getWeightShape(getWeight().getType()).rows);
}

SmallVector<OpOperand *> BitLinearOp::getWeightOperands() {
  return {&getWeightMutable()};
}

LogicalResult GLUOp::verify() {
  if (failed(verifyNonScalar(*this, getInput())) ||
      failed(verifyEps(*this, getEps().convertToFloat())) ||
      failed(verifyBits(*this, "act_bits", getActBits())))
    return failure();
  int64_t d = lastDim(getInput());
  WeightShape gu = getWeightShape(getGateUpWeight().getType());
  WeightShape down = getWeightShape(getDownWeight().getType());
  if (failed(verifyWeightCols(*this, "gate_up weight", getGateUpWeight(), d)) ||
      failed(verifyChannelVector(*this, "gate_up norm weight", getGateUpNorm(), d)))
    return failure();
  if (!ShapedType::isDynamic(gu.rows) && gu.rows % 2 != 0)
    return emitOpError("gate_up weight must have an even number of rows (gate and "
                       "up halves), got ")
           << gu.rows;
  int64_t inter = ShapedType::isDynamic(gu.rows) ? gu.rows : gu.rows / 2;
  if (failed(verifyWeightCols(*this, "down weight", getDownWeight(), inter)) ||
      failed(verifyChannelVector(*this, "down norm weight", getDownNorm(), inter)))
    return failure();
  return verifyShapeWithLast(*this, "result", getResult().getType(),
                             getInput().getType(), down.rows);
}

SmallVector<OpOperand *> GLUOp::getWeightOperands() {
  return {&getGateUpWeightMutable(), &getDownWeightMutable()};
}

//===----------------------------------------------------------------------===//
// MLGRUStepOp, MLGRUSequenceOp
//===----------------------------------------------------------------------===//

template <typename OpTy>
static LogicalResult verifyMLGRU(OpTy op, bool isSequence) {
  Operation *o = op.getOperation();
  if (failed(verifyEps(o, op.getEps().convertToFloat())) ||
      failed(verifyBits(o, "act_bits", op.getActBits())))
    return failure();
  float gEps = op.getGNormEps().convertToFloat();
  if (!std::isfinite(gEps) || gEps < 0.0f)
    return op.emitOpError() << "g_norm_eps must be finite and non-negative, got " << gEps;
  if (op.getVariant() == MLGRUVariant::paper && gEps != 1.0e-6f)
    return op.emitOpError() << "g_norm_eps (" << gEps
                            << ") is set but the paper variant has no g_norm";
  if (op.getWeights().size() != 4)
    return op.emitOpError("expects 4 weights (f, i|c, g, o), got ")
           << op.getWeights().size();
  if (!op.getNorms().empty() && op.getNorms().size() != 4)
    return op.emitOpError("expects no norm weights or one per weight (4), got ")
           << op.getNorms().size();

  auto input = op.getInput().getType();
  int64_t minRank = isSequence ? 2 : 1;
  if (input.getRank() < minRank)
    return op.emitOpError("input must have rank >= ")
           << minRank << (isSequence ? " ([..., T, D])" : " ([..., D])") << ", got "
           << input;
  int64_t d = lastDim(op.getInput());
  WeightShape wo = getWeightShape(op.getWeights()[3].getType());
  int64_t h = getWeightShape(op.getWeights()[0].getType()).rows;
  static constexpr const char *names[] = {"f weight", "i|c weight", "g weight"};
  for (int i = 0; i < 3; ++i) {
    Value w = op.getWeights()[i];
    WeightShape s = getWeightShape(w.getType());
    if (failed(verifyWeightCols(o, names[i], w, d)))
      return failure();
    if (!compatible(s.rows, h))
      return op.emitOpError() << names[i] << " must have " << dimStr(h)
                              << " rows like the f weight, got " << dimStr(s.rows);
  }
  if (failed(verifyWeightCols(o, "o weight", op.getWeights()[3], h)))
    return failure();
  if (!op.getNorms().empty()) {
    for (int i = 0; i < 3; ++i)
      if (failed(verifyChannelVector(o, std::string(names[i]) + " norm",
                                     op.getNorms()[i], d)))
        return failure();
    if (failed(verifyChannelVector(o, "o weight norm", op.getNorms()[3], h)))
      return failure();
  }

  // The state drops the time axis of a sequence and has H channels.
  SmallVector<int64_t> stateShape(input.getShape());
  if (isSequence)
    stateShape.erase(stateShape.end() - 2);
  auto expectedState = RankedTensorType::get(stateShape, input.getElementType());
  if (failed(verifyShapeWithLast(o, "state", op.getState().getType(), expectedState, h)) ||
      failed(verifyShapeWithLast(o, "final state", op.getFinalState().getType(),
                                 expectedState, h)) ||
      failed(verifyShapeWithLast(o, "output", op.getOutput().getType(), input, wo.rows)))
    return failure();

  if (op.getVariant() == MLGRUVariant::paper) {
    if (op.getGNorm() || op.getLowerBound())
      return op.emitOpError("the paper variant takes no g_norm or lower_bound");
  } else if (!op.getGNorm()) {
    return op.emitOpError("the released variant requires a g_norm weight");
  }
  if (failed(verifyChannelVector(o, "g_norm weight", op.getGNorm(), h)) ||
      failed(verifyChannelVector(o, "lower_bound", op.getLowerBound(), h)))
    return failure();
  return success();
}

template <typename OpTy>
static SmallVector<OpOperand *> mlgruWeightOperands(OpTy op) {
  SmallVector<OpOperand *> result;
  for (OpOperand &operand : op.getWeightsMutable())
    result.push_back(&operand);
  return result;
}

LogicalResult MLGRUStepOp::verify() { return verifyMLGRU(*this, /*isSequence=*/false); }
LogicalResult MLGRUSequenceOp::verify() { return verifyMLGRU(*this, /*isSequence=*/true); }
SmallVector<OpOperand *> MLGRUStepOp::getWeightOperands() { return mlgruWeightOperands(*this); }
SmallVector<OpOperand *> MLGRUSequenceOp::getWeightOperands() {
  return mlgruWeightOperands(*this);
}

//===----------------------------------------------------------------------===//
// Canonicalization: latent float weights become weight_quant of them
//===----------------------------------------------------------------------===//

namespace {
/// The canonical form of a layer holds ternary weights: a latent f32 weight
/// operand W is replaced by `tern.weight_quant W`, which is the op's own
/// semantics spelled out and folds away for constant weights.
template <typename OpTy>
struct QuantizeLatentWeights : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    bool changed = false;
    for (OpOperand *operand : op.getWeightOperands()) {
      auto latent = dyn_cast<RankedTensorType>(operand->get().getType());
      if (!latent || !latent.hasStaticShape())
        continue;
      auto type = TernaryType::get(op.getContext(), latent.getDimSize(0),
                                   latent.getDimSize(1));
      rewriter.setInsertionPoint(op);
      Value quantized =
          WeightQuantOp::create(rewriter, operand->get().getLoc(), type, operand->get());
      rewriter.modifyOpInPlace(op, [&] { operand->set(quantized); });
      changed = true;
    }
    return success(changed);
  }
};
} // namespace

void mlir::tern::populateQuantizeLatentWeightsPatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeLatentWeights<BitLinearOp>, QuantizeLatentWeights<GLUOp>,
               QuantizeLatentWeights<MLGRUStepOp>, QuantizeLatentWeights<MLGRUSequenceOp>>(
      patterns.getContext());
}

void BitLinearOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *ctx) {
  results.add<QuantizeLatentWeights<BitLinearOp>>(ctx);
}
void GLUOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *ctx) {
  results.add<QuantizeLatentWeights<GLUOp>>(ctx);
}
void MLGRUStepOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *ctx) {
  results.add<QuantizeLatentWeights<MLGRUStepOp>>(ctx);
}
void MLGRUSequenceOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                  MLIRContext *ctx) {
  results.add<QuantizeLatentWeights<MLGRUSequenceOp>>(ctx);
}
