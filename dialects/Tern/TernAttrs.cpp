//===- TernAttrs.cpp - #tern.ternary packed weights and enum attrs --------===//
#include "Tern/TernOps.h"
#include "Tern/TernaryKernels.h"
#include "tern/Support/TernaryPacking.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tern;

#define GET_ATTRDEF_CLASSES
#include "Tern/TernAttrs.cpp.inc"

void TernDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Tern/TernAttrs.cpp.inc"
      >();
}

/// Weights up to this count print as a value list instead of a blob handle.
static constexpr int64_t kMaxInlineWeights = 256;

static RankedTensorType getPackedType(MLIRContext *ctx, int64_t numWeights) {
  return RankedTensorType::get({::tern::packedSize(numWeights)},
                               IntegerType::get(ctx, 8));
}

/// Packs `trits` into a fresh resource blob named "ternary" (uniqued).
static DenseResourceElementsAttr makePackedResource(MLIRContext *ctx,
                                                    ArrayRef<int8_t> trits) {
  std::vector<uint8_t> bytes(::tern::packedSize(trits.size()));
  bool ok = ::tern::packTrits(trits.data(), trits.size(), bytes.data());
  (void)ok; // Callers pass values in {-1, 0, 1}; tern.constant re-verifies.
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<uint8_t>(bytes));
  return DenseResourceElementsAttr::get(getPackedType(ctx, trits.size()), "ternary",
                                        std::move(blob));
}

TernaryAttr TernaryAttr::get(MLIRContext *context, int64_t rows, int64_t cols,
                             float scale, ArrayRef<int8_t> trits) {
  return get(context, TernaryType::get(context, rows, cols), APFloat(scale),
             makePackedResource(context, trits));
}

ArrayRef<uint8_t> TernaryAttr::getPackedBytes() const {
  AsmResourceBlob *blob = getPacked().getRawHandle().getBlob();
  if (!blob)
    return {};
  ArrayRef<char> data = blob->getData();
  return {reinterpret_cast<const uint8_t *>(data.data()), data.size()};
}

LogicalResult TernaryAttr::unpack(SmallVectorImpl<int8_t> &trits) const {
  ArrayRef<uint8_t> bytes = getPackedBytes();
  int64_t n = getType().getNumElements();
  if (static_cast<int64_t>(bytes.size()) != ::tern::packedSize(n))
    return failure();
  trits.resize(n);
  return success(::tern::unpackTrits(bytes.data(), n, trits.data()));
}

bool TernaryAttr::isAllZero() const {
  ArrayRef<uint8_t> bytes = getPackedBytes();
  int64_t n = getType().getNumElements();
  return static_cast<int64_t>(bytes.size()) == ::tern::packedSize(n) &&
         ::tern::isAllZeroPacking(bytes.data(), n);
}

LogicalResult TernaryAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  TernaryType type, APFloat scale,
                                  DenseResourceElementsAttr packed) {
  if (&scale.getSemantics() != &APFloat::IEEEsingle())
    return emitError() << "ternary weight scale must be an f32 value";
  float s = scale.convertToFloat();
  if (!std::isfinite(s) || s <= 0.0f)
    return emitError() << "ternary weight scale must be finite and positive, got " << s;
  auto packedType = packed.getType();
  if (packedType.getRank() != 1 || !packedType.getElementType().isInteger(8))
    return emitError() << "packed ternary weights must be a 1-D i8 resource, got "
                       << packedType;
  int64_t expected = ::tern::packedSize(type.getNumElements());
  if (packedType.getDimSize(0) != expected)
    return emitError() << "packed ternary weights for " << type.getRows() << "x"
                       << type.getCols() << " need " << expected
                       << " bytes (2 bits per weight), got " << packedType.getDimSize(0);
  return success();
}

// #tern.ternary<NxK, scale = S, [t, t, ...]>  or
// #tern.ternary<NxK, scale = S, dense_resource<key> : tensor<Bxi8>>
Attribute TernaryAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t, 2> dims;
  double scale = 0.0;
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false, /*withTrailingX=*/false) ||
      parser.parseComma() || parser.parseKeyword("scale") || parser.parseEqual() ||
      parser.parseFloat(scale) || parser.parseComma())
    return {};
  if (dims.size() != 2) {
    parser.emitError(loc, "ternary weights must be a 2-D [out x in] matrix, got rank ")
        << dims.size();
    return {};
  }
  auto type = parser.getChecked<TernaryType>(loc, ctx, dims[0], dims[1]);
  if (!type)
    return {};

  SMLoc valuesLoc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalLSquare())) {
    SmallVector<int8_t> trits;
    bool badValue = false;
    if (failed(parser.parseOptionalRSquare())) {
      if (parser.parseCommaSeparatedList([&]() -> ParseResult {
            int64_t v = 0;
            if (parser.parseInteger(v))
              return failure();
            badValue |= v < -1 || v > 1;
            trits.push_back(static_cast<int8_t>(v));
            return success();
          }) ||
          parser.parseRSquare())
        return {};
    }
    if (badValue) {
      parser.emitError(valuesLoc, "ternary weight values must be -1, 0 or 1");
      return {};
    }
    if (static_cast<int64_t>(trits.size()) != type.getNumElements()) {
      parser.emitError(valuesLoc, "expected ")
          << type.getNumElements() << " ternary values for " << dims[0] << "x"
          << dims[1] << ", got " << trits.size();
      return {};
    }
    if (parser.parseGreater())
      return {};
    return parser.getChecked<TernaryAttr>(loc, ctx, type,
                                          APFloat(static_cast<float>(scale)),
                                          makePackedResource(ctx, trits));
  }

  Attribute packed;
  if (parser.parseAttribute(packed) || parser.parseGreater())
    return {};
  auto resource = dyn_cast<DenseResourceElementsAttr>(packed);
  if (!resource) {
    parser.emitError(valuesLoc, "expected a value list or a dense_resource of packed i8");
    return {};
  }
  return parser.getChecked<TernaryAttr>(loc, ctx, type,
                                        APFloat(static_cast<float>(scale)), resource);
}

void TernaryAttr::print(AsmPrinter &printer) const {
  printer << '<' << getType().getRows() << 'x' << getType().getCols() << ", scale = ";
  printer.printFloat(getScale());
  printer << ", ";
  SmallVector<int8_t> trits;
  if (getType().getNumElements() <= kMaxInlineWeights && succeeded(unpack(trits))) {
    printer << '[';
    llvm::interleaveComma(trits, printer, [&](int8_t t) { printer << int(t); });
    printer << ']';
  } else {
    printer.printAttribute(getPacked());
  }
  printer << '>';
}

TernaryKernelAttr TernaryKernelAttr::get(MLIRContext *context, TernaryKernelKind kind) {
  const TernaryKernelInfo &info = getTernaryKernelInfo(kind);
  return get(context, kind, info.tileRows, info.tileBytes, info.dot);
}

LogicalResult TernaryKernelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                        TernaryKernelKind kind, int64_t tileRows, int64_t tileBytes,
                                        TernaryDot dot) {
  const TernaryKernelInfo &info = getTernaryKernelInfo(kind);
  if (tileRows != info.tileRows || tileBytes != info.tileBytes || dot != info.dot)
    return emitError() << "the " << stringifyTernaryKernelKind(kind) << " kernel has tile_rows = "
                       << info.tileRows << ", tile_bytes = " << info.tileBytes
                       << ", dot = " << stringifyTernaryDot(info.dot);
  return success();
}
