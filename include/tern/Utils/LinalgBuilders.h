//===- LinalgBuilders.h - small builders for linalg on tensors ------------===//
//
// Element-wise maps with numpy broadcasting and last-axis reductions as
// linalg.generic on static tensors: what the decomposition and lowering
// passes are made of.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_UTILS_LINALGBUILDERS_H
#define TERN_UTILS_LINALGBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::tern {

using ScalarBodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// A linalg.generic computing `body` element-wise. Inputs are broadcast to
/// `shape` numpy-style (trailing alignment; size-1 dims repeat); scalars
/// (non-tensor values) are passed to the body as they are, after the
/// tensor elements.
Value buildElementwise(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                       Type elementType, ValueRange tensors, ScalarBodyFn body,
                       ValueRange scalars = {});

/// Reduces the last axis of `input` with `combine(elem, acc)` from `init`,
/// keeping it as size 1: [..., K] -> [..., 1].
Value buildLastAxisReduction(OpBuilder &b, Location loc, Value input, TypedAttr init,
                             function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

/// Scalar helpers for bodies (f32).
Value buildF32(OpBuilder &b, Location loc, float value);
Value buildSigmoid(OpBuilder &b, Location loc, Value x);
Value buildSiLU(OpBuilder &b, Location loc, Value x);

/// A tensor of `shape` filled with `value` (linalg.fill of tensor.empty).
Value buildFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, TypedAttr value);

/// Pads the last axis of a static tensor with zeros up to `size`.
Value buildZeroPadLastAxis(OpBuilder &b, Location loc, Value input, int64_t size);

/// Reshapes a static tensor (collapse/expand through tensor.reshape-free ops).
Value buildReshape(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> shape);

} // namespace mlir::tern

#endif // TERN_UTILS_LINALGBUILDERS_H
