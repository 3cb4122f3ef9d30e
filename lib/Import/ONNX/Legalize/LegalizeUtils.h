//===- LegalizeUtils.h - shared pieces of the onnx.node lowerings ---------===//
//
// Every op family (Elementwise.cpp, MatMul.cpp, ...) adds its lowerings with a
// populate...Patterns function; a lowering is a function from one default-
// domain onnx.node (whose operand and result types are static) to upstream
// ops on tensors. A lowering that cannot handle a node emits an error naming
// it and fails; the pass then fails.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_LIB_IMPORT_ONNX_LEGALIZE_LEGALIZEUTILS_H
#define TERN_LIB_IMPORT_ONNX_LEGALIZE_LEGALIZEUTILS_H

#include "ONNX/ONNXOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>

namespace mlir::tern::onnx_import {

/// Lowers one node; on failure it has emitted an error at the node.
using LoweringFn = std::function<LogicalResult(ONNXNodeOp, PatternRewriter &)>;

/// Registers `fn` for the default-domain op types `opTypes`.
void addLowering(RewritePatternSet &patterns, ArrayRef<StringRef> opTypes, LoweringFn fn);

// The op families.
void populateONNXElementwisePatterns(RewritePatternSet &patterns);
void populateONNXMatMulPatterns(RewritePatternSet &patterns);
void populateONNXReductionPatterns(RewritePatternSet &patterns);
void populateONNXDataMovementPatterns(RewritePatternSet &patterns);
void populateONNXIndexingPatterns(RewritePatternSet &patterns, bool runtimeChecks = false);
void populateONNXControlFlowPatterns(RewritePatternSet &patterns);

/// Element types the lowerings (and Tern's backends) support.
bool isSupportedElementType(Type t);

// Unsigned tensors (Unsigned.cpp). Before a node's lowering runs: when it
// touches unsigned tensors, bitcasts its operands and results to signless and
// flags which were unsigned (true), or fails with an error naming the node
// when its op cannot be lowered on unsigned data. False when nothing is unsigned.
FailureOr<bool> prepareUnsignedNode(ONNXNodeOp op, PatternRewriter &rw);
/// Whether operand / result `i` of a node was an unsigned tensor.
bool isUnsignedOperand(ONNXNodeOp op, unsigned i);
bool isUnsignedResult(ONNXNodeOp op, unsigned i);
/// After legalization: every unsigned type under `root` becomes signless;
/// function arguments and results that were unsigned get `tern.unsigned`.
LogicalResult makeUnsignedSignless(Operation *root);

RankedTensorType resultType(ONNXNodeOp op, unsigned i = 0);
RankedTensorType tensorType(Value v);

using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// linalg.generic over `type`'s shape; `inputs` are broadcast numpy-style
/// (trailing alignment, size-1 dims repeat, rank-0 tensors everywhere).
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType type, ValueRange inputs,
                       ScalarFn body);

/// A scalar constant of `type` (int or float) holding `value`.
Value scalarConst(OpBuilder &b, Location loc, Type type, double value);

/// Converts a scalar between element types with ONNX Cast semantics
/// (`fromUnsigned` / `toUnsigned`: the signless integer holds an unsigned value).
Value castScalar(OpBuilder &b, Location loc, Value v, Type to, bool fromUnsigned = false,
                 bool toUnsigned = false);

/// tensor.empty of `type`, filled with `fill` if given.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type);
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type, Value fill);

/// Reshapes a static tensor with expand/collapse_shape (no data movement).
Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape);

/// The scalar value of a one-element tensor (tensor.extract).
Value extractScalar(OpBuilder &b, Location loc, Value oneElement);

/// Reduces `input` over `dims` (sorted) with `combine(elem, acc)` from `init`,
/// giving the shape without those dims.
Value buildReduction(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> dims,
                     Value init, function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

} // namespace mlir::tern::onnx_import

#endif // TERN_LIB_IMPORT_ONNX_LEGALIZE_LEGALIZEUTILS_H
