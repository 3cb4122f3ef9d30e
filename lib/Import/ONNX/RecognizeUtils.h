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

/// True if `v` is an f32 scalar constant (any rank, one element) equal to x.
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

/// Emits the fusion report remark at `op` when `enabled`.
void reportCandidate(bool enabled, Operation *op, StringRef pattern, bool fused,
                     const Twine &detail);

/// Erases onnx.node / arith.constant / tern ops without uses (repeatedly).
void eraseDeadOps(Operation *root);

} // namespace mlir::tern::onnx_import

#endif // TERN_LIB_IMPORT_ONNX_RECOGNIZEUTILS_H
