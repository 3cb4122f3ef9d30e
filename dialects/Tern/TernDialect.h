//===- TernDialect.h - the tern dialect, its types and attributes ---------===//
#ifndef TERN_TERNDIALECT_H
#define TERN_TERNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "Tern/TernDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "Tern/TernTypes.h.inc"

#include "Tern/TernEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Tern/TernAttrs.h.inc"

#endif // TERN_TERNDIALECT_H
