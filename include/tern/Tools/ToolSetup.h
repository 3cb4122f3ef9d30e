//===- ToolSetup.h - the registry every Tern tool starts from -------------===//
//
// ternc, tern-opt, tern-translate, tern-bench and the mlir-opt plugin parse and
// lower through the same dialects and passes: upstream's dialects and their
// interface extensions, tern, and the onnx dialect of imported models. The
// functions here (lib/Tools, library TernToolSetup) are the one place that
// lists them; with Options.h (enumerated options) and Version.h (--version)
// they are the tools' shared setup. Tools add only what is theirs (tern-opt:
// upstream passes; tern-translate: upstream translations).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TOOLSETUP_H
#define TERN_TOOLS_TOOLSETUP_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

namespace tern {

/// Tern's own dialects: tern, and onnx when the importer is built.
void registerTernDialects(mlir::DialectRegistry &registry);

/// Every dialect a tool parses or lowers through: upstream's, their
/// extensions, and registerTernDialects'.
void registerToolDialects(mlir::DialectRegistry &registry);

/// Loads every registered dialect up front, as pipelines built at run time need.
void loadToolDialects(mlir::MLIRContext &ctx);

/// Tern's passes and pass pipelines: transforms, conversions, the ONNX
/// recognition/legalization passes and the CPU, CUDA and HLS pipelines.
void registerToolPasses();

/// Tern's translations: --import-onnx and the CPU, CUDA and HLS emitters.
void registerToolTranslations();

} // namespace tern

#endif // TERN_TOOLS_TOOLSETUP_H
