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

#endif // TERN_ONNX_ONNXOPS_H
