//===- ONNXInference.h - static result types of ONNX nodes ----------------===//
//
// Stage 1 gives every value a static type: the importer computes the result
// types of each node from its operand types, attributes and constant operands
// (ONNX semantics, opsets 13..23, Tern's custom domain), and folds small
// integer shape computations (Shape, Gather, Concat, ...) into constants.
// No protobuf here.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_LIB_IMPORT_ONNX_ONNXINFERENCE_H
#define TERN_LIB_IMPORT_ONNX_ONNXINFERENCE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

#include <string>

namespace mlir::tern::onnx_import {

/// A node as the importer sees it before the op exists.
struct NodeDesc {
  StringRef opType;
  StringRef domain; // "" (ai.onnx) or "tern"
  int64_t opset = 0;
  SmallVector<Value> inputs; // null Value for an absent optional input
  DictionaryAttr attrs;
  unsigned numResults = 0;
  /// Its results flow into a shape operand (Range bounds, a Loop trip count,
  /// ...): small float computations then fold too.
  bool feedsShapeOperand = false;
  Value input(unsigned i) const { return i < inputs.size() ? inputs[i] : Value(); }
};

/// True if the importer knows the op (has inference and a lowering for it).
bool isSupportedOp(StringRef domain, StringRef opType);

/// The oldest default-domain opset whose semantics Tern implements for
/// `opType` (older versions had different attributes or broadcasting).
int64_t minimumOpsetFor(StringRef opType);

/// Computes the result types. On failure `error` says why (unsupported op,
/// incompatible shapes, non-constant shape operand, bad attribute, ...).
LogicalResult inferResultTypes(const NodeDesc &node, SmallVectorImpl<Type> &types,
                               std::string &error);

/// Folds a node whose relevant inputs are constants into constants: Shape,
/// Size, ConstantOfShape always; small integer computations (Gather, Concat,
/// Slice, Unsqueeze, Squeeze, Reshape, Cast, arithmetic, Range, ...). Returns
/// false (creating nothing) when it does not fold.
bool foldNode(OpBuilder &b, Location loc, const NodeDesc &node, ArrayRef<Type> types,
              SmallVectorImpl<Value> &results);

/// The NodeDesc of an existing op (for stage 2: shared parameter helpers).
NodeDesc nodeDescOf(Operation *onnxNode);

/// Static parameters shared by inference and lowering.
/// Slice: per-dimension start, step and size (numpy clamping).
LogicalResult sliceParams(const NodeDesc &n, ArrayRef<int64_t> shape,
                          SmallVectorImpl<int64_t> &starts, SmallVectorImpl<int64_t> &steps,
                          SmallVectorImpl<int64_t> &sizes, std::string &error);
/// Pad: per-dimension low and high padding.
LogicalResult padParams(const NodeDesc &n, ArrayRef<int64_t> shape,
                        SmallVectorImpl<int64_t> &low, SmallVectorImpl<int64_t> &high,
                        std::string &error);
/// Split: the sizes of the outputs along the axis of size `dim`.
LogicalResult splitSizes(const NodeDesc &n, int64_t dim, unsigned numOutputs,
                         SmallVectorImpl<int64_t> &sizes, std::string &error);

} // namespace mlir::tern::onnx_import

#endif // TERN_LIB_IMPORT_ONNX_ONNXINFERENCE_H
