//===- Passes.h - stage 2 of the ONNX import -------------------------------===//
#ifndef TERN_IMPORT_ONNX_PASSES_H
#define TERN_IMPORT_ONNX_PASSES_H

#include "ONNX/ONNXOps.h"
#include "Tern/TernOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#include "tern/Import/ONNX/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tern/Import/ONNX/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_IMPORT_ONNX_PASSES_H
