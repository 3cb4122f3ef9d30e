//===- ONNXInputValues.h - graph inputs with values known at compile time -===//
//
// Internal to the reader (touches protobuf): `ternc compile --const-input`
// turns graph inputs into initializers, and `ternc run` specializes the
// inputs that feed shape operands on the arrays it was given.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_LIB_IMPORT_ONNX_ONNXINPUTVALUES_H
#define TERN_LIB_IMPORT_ONNX_ONNXINPUTVALUES_H

#include "tern/Import/ONNX/ImportONNX.h"
#include "llvm/ADT/StringSet.h"

namespace onnx {
class GraphProto;
} // namespace onnx

namespace mlir::tern::onnx_import {

/// Names whose values shape operands depend on (the shape operands, and
/// backwards through the nodes computing them, not through Shape and Size).
llvm::StringSet<> shapeOperandSources(const ::onnx::GraphProto &graph);

/// Adds an initializer for every `options.constInputs` entry (the input then
/// leaves the signature); errors name the input (unknown name, dtype or rank
/// different from the declared one).
LogicalResult addConstInputs(::onnx::GraphProto &graph, const ONNXImportOptions &options,
                             Location loc);

/// For each graph input (not an initializer) with a value in
/// `options.inputValues` that feeds a shape operand, adds an initializer of
/// that name and records it in `specialized`: the caller keeps the input as an
/// argument but binds the name to the constant.
LogicalResult addShapeInputValues(::onnx::GraphProto &graph, const ONNXImportOptions &options,
                                  const llvm::StringSet<> &initNames, Location loc,
                                  llvm::StringSet<> &specialized);

} // namespace mlir::tern::onnx_import

#endif // TERN_LIB_IMPORT_ONNX_ONNXINPUTVALUES_H
