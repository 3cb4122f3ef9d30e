//===- ONNXReader.h - stage 1 of the ONNX import (internal) ---------------===//
//
// The only interface to the protobuf-touching code (ONNXReader.cpp, built
// with exceptions and RTTI; nothing thrown there escapes these functions).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_LIB_IMPORT_ONNX_ONNXREADER_H
#define TERN_LIB_IMPORT_ONNX_ONNXREADER_H

#include "tern/Import/ONNX/ImportONNX.h"

namespace mlir::tern::onnx_import {

/// Reads and imports `path` (binary protobuf, or ONNX text for *.onnxtxt).
OwningOpRef<ModuleOp> readONNXFile(StringRef path, MLIRContext *context,
                                   const ONNXImportOptions &options);

/// Imports a model held in memory; `displayName` names it in diagnostics and
/// external data is looked up in `options.externalDataDir`.
OwningOpRef<ModuleOp> readONNXBuffer(StringRef data, StringRef displayName, bool isText,
                                     MLIRContext *context, const ONNXImportOptions &options);

} // namespace mlir::tern::onnx_import

#endif // TERN_LIB_IMPORT_ONNX_ONNXREADER_H
