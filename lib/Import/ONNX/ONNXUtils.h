//===- ONNXUtils.h - helpers shared by the ONNX import stages -------------===//
//
// Constant access (arith.constant with dense or dense_resource payloads),
// ONNX attribute access on dictionaries, numpy broadcasting and axis
// normalization. No protobuf here.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_LIB_IMPORT_ONNX_ONNXUTILS_H
#define TERN_LIB_IMPORT_ONNX_ONNXUTILS_H

#include "ONNX/ONNXOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir::tern::onnx_import {

/// Default-domain opsets the importer accepts: 13..23 is the contract; older
/// models (down to opset 1, as the ONNX node tests stamp them) are accepted
/// op by op where Tern implements that version's semantics
/// (minimumOpsetFor).
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 23;
constexpr int64_t kContractMinOpset = 13;
/// Constants with at least this many elements are stored as dense_resource.
constexpr int64_t kResourceThreshold = 64;

/// The ElementsAttr of a constant value (arith.constant), or null.
ElementsAttr getConstantElements(Value v);
/// Integer values of a constant int/bool tensor, or std::nullopt.
std::optional<SmallVector<int64_t>> getConstantInts(Value v);
/// Float values of a constant f32 tensor (any size; copies), or std::nullopt.
std::optional<SmallVector<float>> getConstantFloats(Value v);
/// Raw f32 data of a constant without copying when possible (dense_resource or
/// non-splat dense); std::nullopt for splats or other types.
std::optional<ArrayRef<float>> getConstantFloatData(Value v);
/// The single value of a one-element (any rank) f32 constant.
std::optional<float> getScalarFloat(Value v);
/// The single value of a one-element integer constant.
std::optional<int64_t> getScalarInt(Value v);
/// True if `v` is a one-element f32 constant equal to `x`.
bool isScalarFloat(Value v, float x);

/// A constant tensor value; large payloads become dense_resource blobs.
Value createConstant(OpBuilder &b, Location loc, RankedTensorType type,
                     ArrayRef<int64_t> ints);
Value createConstantF32(OpBuilder &b, Location loc, RankedTensorType type,
                        ArrayRef<float> values);
/// An elements attribute for `type` (signless int or f32) holding `ints`.
DenseElementsAttr makeIntElements(RankedTensorType type, ArrayRef<int64_t> ints);

/// Numpy-style multidirectional broadcasting; false if incompatible.
bool broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes, SmallVectorImpl<int64_t> &result);
/// Normalizes a possibly negative axis against `rank`; false if out of range.
bool normalizeAxis(int64_t &axis, int64_t rank);

/// The opset version of the default domain used by `op` (its `opset`).
inline int64_t opsetOf(ONNXNodeOp op) { return op.getOpset(); }

/// Attribute helpers on a dictionary (same conventions as ONNXNodeOp).
int64_t getIntAttr(DictionaryAttr attrs, StringRef name, int64_t defaultValue);
float getFloatAttr(DictionaryAttr attrs, StringRef name, float defaultValue);
std::string getStringAttr(DictionaryAttr attrs, StringRef name, StringRef defaultValue);
std::optional<SmallVector<int64_t>> getIntsAttr(DictionaryAttr attrs, StringRef name);

std::string shapeStr(ArrayRef<int64_t> shape);
/// When `v` (an operand that must be a constant) is computed from a graph
/// input: "; it comes from graph input 'NAME': give its value (...)"; else "".
std::string graphInputHint(Value v);

/// True if the element count and the byte size of a static tensor type fit
/// in int64 (every shape the importer makes is checked with it).
bool fitsInt64Bytes(RankedTensorType type);
std::string typeStr(Type t);

} // namespace mlir::tern::onnx_import

#endif // TERN_LIB_IMPORT_ONNX_ONNXUTILS_H
