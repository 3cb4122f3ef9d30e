//===- ONNXUtils.cpp - helpers shared by the ONNX import stages -----------===//
#include "ONNXUtils.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SmallPtrSet.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

ElementsAttr onnx_import::getConstantElements(Value v) {
  if (!v)
    return {};
  if (auto c = v.getDefiningOp<arith::ConstantOp>())
    return dyn_cast<ElementsAttr>(c.getValue());
  return {};
}

std::optional<SmallVector<int64_t>> onnx_import::getConstantInts(Value v) {
  ElementsAttr attr = getConstantElements(v);
  if (!attr)
    return std::nullopt;
  auto intType = dyn_cast<IntegerType>(attr.getElementType());
  if (!intType)
    return std::nullopt;
  SmallVector<int64_t> result;
  int64_t n = attr.getNumElements();
  result.reserve(n);
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (APInt v : dense)
      result.push_back(intType.getWidth() == 1 || intType.isUnsigned() ? v.getZExtValue()
                                                                       : v.getSExtValue());
    return result;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    unsigned bytes = (intType.getWidth() + 7) / 8;
    if (static_cast<int64_t>(data.size()) != n * static_cast<int64_t>(bytes))
      return std::nullopt;
    for (int64_t i = 0; i < n; ++i) {
      const char *p = data.data() + i * bytes;
      int64_t x = 0;
      switch (bytes) {
      case 1: x = intType.isUnsigned() ? (int64_t)(uint8_t)*p : (int64_t)(int8_t)*p; break;
      case 2: { int16_t t; std::memcpy(&t, p, 2); x = intType.isUnsigned() ? (uint16_t)t : t; break; }
      case 4: { int32_t t; std::memcpy(&t, p, 4); x = intType.isUnsigned() ? (int64_t)(uint32_t)t : t; break; }
      case 8: std::memcpy(&x, p, 8); break;
      default: return std::nullopt;
      }
      result.push_back(x);
    }
    return result;
  }
  return std::nullopt;
}

std::optional<ArrayRef<float>> onnx_import::getConstantFloatData(Value v) {
  ElementsAttr attr = getConstantElements(v);
  if (!attr || !attr.getElementType().isF32())
    return std::nullopt;
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    if (static_cast<int64_t>(data.size()) != attr.getNumElements() * 4 ||
        reinterpret_cast<uintptr_t>(data.data()) % alignof(float) != 0)
      return std::nullopt;
    return ArrayRef<float>(reinterpret_cast<const float *>(data.data()), data.size() / 4);
  }
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    if (dense.isSplat())
      return std::nullopt;
    ArrayRef<char> raw = dense.getRawData();
    return ArrayRef<float>(reinterpret_cast<const float *>(raw.data()), raw.size() / 4);
  }
  return std::nullopt;
}

std::optional<SmallVector<float>> onnx_import::getConstantFloats(Value v) {
  ElementsAttr attr = getConstantElements(v);
  if (!attr || !attr.getElementType().isF32())
    return std::nullopt;
  if (auto data = getConstantFloatData(v))
    return SmallVector<float>(data->begin(), data->end());
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    SmallVector<float> result;
    for (APFloat f : dense)
      result.push_back(f.convertToFloat());
    return result;
  }
  return std::nullopt;
}

std::optional<float> onnx_import::getScalarFloat(Value v) {
  ElementsAttr attr = getConstantElements(v);
  if (!attr || attr.getNumElements() != 1 || !attr.getElementType().isF32())
    return std::nullopt;
  auto values = getConstantFloats(v);
  if (!values || values->size() != 1)
    return std::nullopt;
  return (*values)[0];
}

std::optional<int64_t> onnx_import::getScalarInt(Value v) {
  ElementsAttr attr = getConstantElements(v);
  if (!attr || attr.getNumElements() != 1)
    return std::nullopt;
  auto values = getConstantInts(v);
  if (!values || values->size() != 1)
    return std::nullopt;
  return (*values)[0];
}

bool onnx_import::isScalarFloat(Value v, float x) {
  std::optional<float> f = getScalarFloat(v);
  return f && *f == x;
}

DenseElementsAttr onnx_import::makeIntElements(RankedTensorType type, ArrayRef<int64_t> ints) {
  auto intType = cast<IntegerType>(type.getElementType());
  SmallVector<APInt> values;
  values.reserve(ints.size());
  for (int64_t x : ints)
    values.push_back(APInt(intType.getWidth(), static_cast<uint64_t>(x),
                           /*isSigned=*/intType.getWidth() > 1, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, values);
}

Value onnx_import::createConstant(OpBuilder &b, Location loc, RankedTensorType type,
                                  ArrayRef<int64_t> ints) {
  return arith::ConstantOp::create(b, loc, type, makeIntElements(type, ints));
}

Value onnx_import::createConstantF32(OpBuilder &b, Location loc, RankedTensorType type,
                                     ArrayRef<float> values) {
  if (static_cast<int64_t>(values.size()) >= kResourceThreshold) {
    auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(values);
    auto attr = DenseResourceElementsAttr::get(type, "onnx_const", std::move(blob));
    return arith::ConstantOp::create(b, loc, type, attr);
  }
  return arith::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, values));
}

bool onnx_import::broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes,
                                  SmallVectorImpl<int64_t> &result) {
  size_t rank = 0;
  for (ArrayRef<int64_t> s : shapes)
    rank = std::max(rank, s.size());
  result.assign(rank, 1);
  for (ArrayRef<int64_t> s : shapes) {
    size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t d = s[i];
      int64_t &r = result[off + i];
      if (d == r || d == 1)
        continue;
      if (r == 1) {
        r = d;
        continue;
      }
      return false;
    }
  }
  return true;
}

bool onnx_import::normalizeAxis(int64_t &axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return false;
  if (axis < 0)
    axis += rank;
  return true;
}

int64_t onnx_import::getIntAttr(DictionaryAttr attrs, StringRef name, int64_t defaultValue) {
  if (auto a = dyn_cast_or_null<IntegerAttr>(attrs.get(name)))
    return a.getValue().getSExtValue();
  return defaultValue;
}

float onnx_import::getFloatAttr(DictionaryAttr attrs, StringRef name, float defaultValue) {
  Attribute a = attrs.get(name);
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return static_cast<float>(f.getValueAsDouble());
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return static_cast<float>(i.getValue().getSExtValue());
  return defaultValue;
}

std::string onnx_import::getStringAttr(DictionaryAttr attrs, StringRef name,
                                       StringRef defaultValue) {
  if (auto s = dyn_cast_or_null<StringAttr>(attrs.get(name)))
    return s.getValue().str();
  return defaultValue.str();
}

std::optional<SmallVector<int64_t>> onnx_import::getIntsAttr(DictionaryAttr attrs,
                                                            StringRef name) {
  Attribute a = attrs.get(name);
  if (auto arr = dyn_cast_or_null<DenseI64ArrayAttr>(a))
    return SmallVector<int64_t>(arr.asArrayRef());
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return SmallVector<int64_t>{i.getValue().getSExtValue()};
  if (auto arr = dyn_cast_or_null<ArrayAttr>(a); arr && arr.empty())
    return SmallVector<int64_t>{};
  return std::nullopt;
}

bool onnx_import::fitsInt64Bytes(RankedTensorType type) {
  int64_t bytes = std::max<int64_t>(1, (type.getElementTypeBitWidth() + 7) / 8);
  for (int64_t d : type.getShape())
    if (d < 0 || __builtin_mul_overflow(bytes, d, &bytes))
      return false;
  return true;
}

std::string onnx_import::shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string onnx_import::typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// When `v` (a shape operand that is not a constant) is computed from a
/// graph input, says which and how to give it a value; else "".
std::string onnx_import::graphInputHint(Value v) {
  SmallVector<Value> work = {v};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty() && seen.size() < 256) {
    Value x = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(x)) {
      Operation *owner = arg.getOwner()->getParentOp();
      auto fn = dyn_cast_or_null<FunctionOpInterface>(owner);
      if (!fn || arg.getOwner() != &fn.getFunctionBody().front())
        continue;
      auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "tern.name");
      std::string n = name ? name.str() : "#" + std::to_string(arg.getArgNumber());
      return "; it comes from graph input '" + n +
             "': give its value (ternc run --input=@FILE.npy specializes on it, or ternc "
             "compile --const-input " + n + "=@FILE.npy)";
    }
    if (Operation *def = x.getDefiningOp(); def && seen.insert(def).second)
      for (Value o : def->getOperands())
        work.push_back(o);
  }
  return "";
}
