//===- RecognizeUtils.h - matching ONNX graphs by meaning -----------------===//
//
// Small matchers shared by the recognition passes: look through to the
// onnx.node defining a value, commutative operands, scalar constants,
// constant ternary weights, the fusion report, dead-node cleanup.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_LIB_IMPORT_ONNX_RECOGNIZEUTILS_H
#define TERN_LIB_IMPORT_ONNX_RECOGNIZEUTILS_H

#include "ONNXUtils.h"
#include "Tern/TernOps.h"

#include <string>

namespace mlir::tern::onnx_import {

/// The default-domain onnx.node of type `opType` defining `v`, or null.
ONNXNodeOp defNode(Value v, StringRef opType);
/// Same, for any of `opTypes`.
ONNXNodeOp defNodeAny(Value v, ArrayRef<StringRef> opTypes);

/// For a commutative binary node: if one operand satisfies `first`, binds
/// (a, b) = (that operand, the other) and returns true.
bool matchEither(ONNXNodeOp op, function_ref<bool(Value)> first, Value &a, Value &b);

/// `v` with any chain of Identity nodes skipped.
Value stripIdentity(Value v);
/// The value of a one-element float constant (any rank, f32 or f64), seen
/// through Identity and Cast-to-float (exporters without constant folding
/// write `Cast(Constant)`), or std::nullopt.
std::optional<float> constScalar(Value v);

/// True if `v` is a float scalar constant (any rank, one element) equal to x.
bool isConstF32(Value v, float x);

/// `v` clamped from below by a scalar (Clip(v, lo) / Clip(v, lo, none) /
/// Max(v, lo)): returns the clamped operand and lo, or null.
Value matchClampBelow(Value v, float &lo);
/// `v` = clip(u, lo, hi) spelled Clip(u, lo, hi), Min(Max(u, lo), hi) or
/// Max(Min(u, hi), lo): returns u, lo and hi, or null.
Value matchClamp(Value v, float &lo, float &hi);
/// `v` = a / b spelled Div(a, b) or Mul(a, Reciprocal(b)) (either order);
/// binds a and b.
bool matchDivide(Value v, Value &a, Value &b);
/// `v` = x * sigmoid(x) (SiLU); returns x or null.
Value matchSiLU(Value v);
/// `v` = 1 - u (Sub(1, u)); returns u or null.
Value matchOneMinus(Value v);

/// Relative tolerance of a constant-folded ternary weight: every nonzero |v|
/// within kFoldedTernaryRelTol * a of the magnitude a. `w + (q(w) - w)`
/// folded in fp32 is a only up to (K + 1) * 2^-24 * a for |w| <= K * a, so
/// 1e-5 accepts latent weights up to ~160x their absmean (far beyond any
/// trained weight) and rejects real non-ternary values.
constexpr float kFoldedTernaryRelTol = 1e-5f;

/// If the f32 values `data` are {-a, 0, +a} up to kFoldedTernaryRelTol, returns
/// a (exactly: the most frequent nonzero magnitude, which the fp32 round trip
/// leaves untouched for |w| in [a/2, 2a]) and the trits; 0 if all are zero.
std::optional<float> foldedTernaryMagnitude(ArrayRef<float> data, std::string &why);

/// The f32 constant that `v` evaluates to when it is a small computation on
/// constants exporters leave in the graph (Softmax, CumSum, Gather, Add, Sub,
/// Mul, Div, Max, Min, Abs, Neg, Reciprocal, Round, Clip, whole-tensor
/// ReduceMean, 2-D Transpose, Identity, Cast to float, Squeeze, Unsqueeze,
/// Reshape), e.g. mmfreelm's lower bounds `cumsum(softmax(P, 0), 0) -
/// softmax(P, 0)[0]` or a partly folded weight quantization; else std::nullopt.
std::optional<SmallVector<float>> evaluateConstantF32(Value v);

/// Constant ternary weights as the !tern.ternary [out, in] layout.
struct TernaryWeights {
  int64_t rows = 0, cols = 0;
  SmallVector<int8_t> trits;
  float scale = 1.0f; // s_w: real weight = trit / s_w
};

/// Reads a constant tensor of values in {-1, 0, 1} (int or float) laid out
/// [rows, cols] (or [cols, rows] if `transposed`) into `out`; fails with a
/// reason otherwise.
LogicalResult readTrits(Value w, bool transposed, TernaryWeights &out, std::string &why);

/// A tern.constant of `weights`.
Value createTernaryConstant(OpBuilder &b, Location loc, const TernaryWeights &weights);

/// An eps for the report, in scientific notation ("1e-08", "1e-06").
std::string formatEps(float eps);

/// Emits the fusion report remark at `op` when `enabled`.
void reportCandidate(bool enabled, Operation *op, StringRef pattern, bool fused,
                     const Twine &detail);

/// Erases onnx.node / arith.constant / tern ops without uses (repeatedly).
void eraseDeadOps(Operation *root);

} // namespace mlir::tern::onnx_import

#endif // TERN_LIB_IMPORT_ONNX_RECOGNIZEUTILS_H
