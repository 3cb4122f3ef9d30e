//===- ONNXOps.h - the `onnx` dialect (imported ONNX nodes) ---------------===//
#ifndef TERN_ONNX_ONNXOPS_H
#define TERN_ONNX_ONNXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>
#include <string>

#include "ONNX/ONNXOpsDialect.h.inc"

#define GET_OP_CLASSES
#include "ONNX/ONNXOps.h.inc"

namespace mlir::tern {
/// The ONNX node name a location carries: the importer gives each node (and
/// every op recognized from it) `loc("NAME"(file))`; rewrites may wrap it in a
/// fused or call-site location. "" when there is none (e.g. MLIR printed
/// without --mlir-print-debuginfo and parsed back).
llvm::StringRef getONNXNodeName(Location loc);
} // namespace mlir::tern

#endif // TERN_ONNX_ONNXOPS_H
