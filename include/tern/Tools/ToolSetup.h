//===- ToolSetup.h - the registry every Tern tool starts from -------------===//
//
// ternc, tern-opt and tern-bench parse and lower through the same dialects:
// upstream's, their interface extensions and tern. One function registers them
// (tools add what only they need, e.g. tern-opt the onnx dialect and passes);
// with Options.h (enumerated options) and Version.h (--version) it is the
// tools' shared setup.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TOOLSETUP_H
#define TERN_TOOLS_TOOLSETUP_H

#include "Tern/TernOps.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"

namespace tern {

inline void registerToolDialects(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::tern::TernDialect>();
}

/// Loads every registered dialect up front, as pipelines built at run time need.
inline void loadToolDialects(mlir::MLIRContext &ctx) { ctx.loadAllAvailableDialects(); }

} // namespace tern

#endif // TERN_TOOLS_TOOLSETUP_H
