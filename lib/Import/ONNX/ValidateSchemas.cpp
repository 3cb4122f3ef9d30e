//===- ValidateSchemas.cpp - ONNX nodes against libonnx's operator schemas ===//
//
// The rules are libonnx's own (ONNX 1.12 knows opsets up to 17). Above the
// registry's last opset, a 1.12 schema still describes most operators, but
// not those whose inputs or attributes changed later (ReduceMean's axes
// became an input in 18, Split gained num_outputs, ...): those are skipped
// there, and their attributes are checked by the lowering that reads them.
// Built with exceptions (OpSchema::Verify throws); nothing escapes.
//
//===----------------------------------------------------------------------===//
#include "ValidateSchemas.h"

#include <onnx/defs/schema.h>

#include <algorithm>
#include <cstring>

using namespace mlir::tern;

/// Operators whose schema changed after opset 17 (ONNX 1.13 to 1.18).
static bool changedAfterRegistry(const std::string &op) {
  static const char *const changed[] = {
      "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceL1",
      "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "Split", "Pad",
      "Resize", "ScatterElements", "ScatterND", "Cast", "CastLike", "DequantizeLinear",
      "QuantizeLinear", "AveragePool", "LpPool", "Constant", "Col2Im", "DFT", "Shape",
      "Attention", "TopK", "Gelu", "GroupNormalization", "Mish", "CenterCropPad",
      "AffineGrid", "RMSNormalization", "RotaryEmbedding", "Scan", "Loop", "If"};
  return std::any_of(std::begin(changed), std::end(changed),
                     [&](const char *c) { return op == c; });
}

bool onnx_import::validateNodeSchema(const ::onnx::NodeProto &node, int64_t opset,
                                     std::string &why) {
  try {
    const auto &ranges = ::onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
    auto range = ranges.find(::onnx::ONNX_DOMAIN);
    int64_t known = range == ranges.end() ? 0 : range->second.second;
    if (opset > known && changedAfterRegistry(node.op_type()))
      return true;
    const ::onnx::OpSchema *schema = ::onnx::OpSchemaRegistry::Schema(
        node.op_type(), static_cast<int>(std::min<int64_t>(opset, known)), ::onnx::ONNX_DOMAIN);
    if (!schema)
      return true; // an operator newer than libonnx: Tern's own checks apply
    if (schema->Deprecated()) {
      why = "operator is deprecated at opset " + std::to_string(opset);
      return false;
    }
    schema->Verify(node);
    return true;
  } catch (const std::exception &e) {
    // libonnx's messages repeat the node; keep its first line.
    why = e.what();
    if (size_t nl = why.find("\n==>"); nl != std::string::npos)
      why.resize(nl);
    why = "does not match the ONNX schema of " + node.op_type() + " at opset " +
          std::to_string(opset) + ": " + why;
  } catch (...) {
    why = "does not match its ONNX schema";
  }
  return false;
}
