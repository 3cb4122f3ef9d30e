//===- ValidateSchemas.h - ONNX nodes against libonnx's operator schemas --===//
#ifndef TERN_IMPORT_ONNX_VALIDATESCHEMAS_H
#define TERN_IMPORT_ONNX_VALIDATESCHEMAS_H

#include <cstdint>
#include <string>

namespace onnx {
class NodeProto;
} // namespace onnx

namespace mlir::tern::onnx_import {

/// Checks a default-domain node against the schema libonnx registers for
/// its operator at `opset` (`onnx::OpSchemaRegistry`, `OpSchema::Verify`):
/// input and output counts, attribute names, attribute types and required
/// attributes. False with `why` set when the node breaks its schema. Nodes
/// of the tern domain are checked by RecognizeCustomOps.cpp's own rules.
bool validateNodeSchema(const ::onnx::NodeProto &node, int64_t opset, std::string &why);

} // namespace mlir::tern::onnx_import

#endif // TERN_IMPORT_ONNX_VALIDATESCHEMAS_H
