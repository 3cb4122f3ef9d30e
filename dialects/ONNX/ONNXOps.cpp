//===- ONNXOps.cpp - the `onnx` dialect: registration and verifiers -------===//
#include "ONNX/ONNXOps.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::tern;

#include "ONNX/ONNXOpsDialect.cpp.inc"

#define GET_OP_CLASSES
#include "ONNX/ONNXOps.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ONNX/ONNXOps.cpp.inc"
      >();
}

LogicalResult ONNXNodeOp::verify() {
  if (getOpType().empty())
    return emitOpError("op_type must not be empty");
  if (getOpset() < 1)
    return emitOpError("opset must be positive, got ") << getOpset();
  if (getGraphNames().size() != getGraphs().size())
    return emitOpError("has ") << getGraphs().size() << " graph regions but "
                               << getGraphNames().size() << " graph names";
  for (Region &region : getGraphs()) {
    Block &block = region.front();
    if (block.empty() || !isa<ONNXYieldOp>(block.back()))
      return emitOpError("graph region must end with onnx.yield");
  }
  for (NamedAttribute attr : getOnnxAttrs()) {
    Attribute value = attr.getValue();
    if (!isa<IntegerAttr, FloatAttr, StringAttr, DenseI64ArrayAttr, DenseF32ArrayAttr,
             ArrayAttr, ElementsAttr, TypeAttr>(value))
      return emitOpError("ONNX attribute '")
             << attr.getName().getValue() << "' has an unsupported kind: " << value;
  }
  return success();
}

Value ONNXNodeOp::getInput(unsigned i) {
  if (i >= getInputs().size())
    return {};
  Value v = getInputs()[i];
  if (isa<NoneType>(v.getType()))
    return {};
  return v;
}

StringRef mlir::tern::getONNXNodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().getValue();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (StringRef name = getONNXNodeName(l); !name.empty())
        return name;
  if (auto site = dyn_cast<CallSiteLoc>(loc))
    return getONNXNodeName(site.getCallee());
  return "";
}

StringRef ONNXNodeOp::getNodeName() { return getONNXNodeName(getLoc()); }

std::string ONNXNodeOp::describe() {
  StringRef name = getNodeName();
  // Unnamed only when the MLIR was printed without locations and read back.
  std::string s = (name.empty() ? std::string("unnamed node") : "node '" + name.str() + "'") +
                  " (" + getOpType().str() + ", domain '" +
                  (isDefaultDomain() ? std::string("ai.onnx") : getDomain().str()) + "')";
  return s;
}

int64_t ONNXNodeOp::getIntAttr(StringRef name, int64_t defaultValue) {
  if (auto a = dyn_cast_or_null<IntegerAttr>(getONNXAttr(name)))
    return a.getValue().getSExtValue();
  return defaultValue;
}

float ONNXNodeOp::getFloatAttr(StringRef name, float defaultValue) {
  Attribute a = getONNXAttr(name);
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return static_cast<float>(f.getValueAsDouble());
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return static_cast<float>(i.getValue().getSExtValue());
  return defaultValue;
}

std::string ONNXNodeOp::getStringAttr(StringRef name, StringRef defaultValue) {
  if (auto s = dyn_cast_or_null<StringAttr>(getONNXAttr(name)))
    return s.getValue().str();
  return defaultValue.str();
}

std::optional<SmallVector<int64_t>> ONNXNodeOp::getIntsAttr(StringRef name) {
  Attribute a = getONNXAttr(name);
  if (auto arr = dyn_cast_or_null<DenseI64ArrayAttr>(a))
    return SmallVector<int64_t>(arr.asArrayRef());
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return SmallVector<int64_t>{i.getValue().getSExtValue()};
  if (auto arr = dyn_cast_or_null<ArrayAttr>(a); arr && arr.empty())
    return SmallVector<int64_t>{};
  return std::nullopt;
}

Region *ONNXNodeOp::getGraph(StringRef name) {
  for (auto [n, region] : llvm::zip(getGraphNames(), getGraphs()))
    if (cast<StringAttr>(n).getValue() == name)
      return &region;
  return nullptr;
}
