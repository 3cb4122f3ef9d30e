//===- TernDialect.cpp - dialect registration, types, materializer --------===//
#include "Tern/TernOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tern;

#include "Tern/TernDialect.cpp.inc"
#include "Tern/TernEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "Tern/TernTypes.cpp.inc"

void TernDialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "Tern/TernOps.cpp.inc"
      >();
}

void TernDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "Tern/TernTypes.cpp.inc"
      >();
}

Operation *TernDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  if (auto ternary = dyn_cast<TernaryAttr>(value))
    return ConstantOp::create(builder, loc, ternary);
  if (auto typed = dyn_cast<TypedAttr>(value);
      typed && arith::ConstantOp::isBuildableWith(typed, type))
    return arith::ConstantOp::create(builder, loc, type, typed);
  return nullptr;
}

//===----------------------------------------------------------------------===//
// TernaryType: !tern.ternary<NxK>
//===----------------------------------------------------------------------===//

Type TernaryType::parse(AsmParser &parser) {
  SmallVector<int64_t, 2> dims;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false,
                                /*withTrailingX=*/false) ||
      parser.parseGreater())
    return {};
  if (dims.size() != 2) {
    parser.emitError(loc, "ternary weights must be a 2-D [out x in] matrix, got rank ")
        << dims.size();
    return {};
  }
  return parser.getChecked<TernaryType>(loc, parser.getContext(), dims[0], dims[1]);
}

void TernaryType::print(AsmPrinter &printer) const {
  printer << '<' << getRows() << 'x' << getCols() << '>';
}

LogicalResult TernaryType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0)
    return emitError() << "ternary weight dimensions must be positive, got "
                       << rows << "x" << cols;
  return success();
}
