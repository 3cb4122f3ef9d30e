//===- Passes.h - Tern conversion passes ----------------------------------===//
#ifndef TERN_CONVERSION_PASSES_H
#define TERN_CONVERSION_PASSES_H

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#include "tern/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tern/Conversion/Passes.h.inc"

/// Patterns lowering tern.rmsnorm to linalg.
void populateRMSNormToLinalgPatterns(RewritePatternSet &patterns);
/// Patterns lowering tern.act_quant to linalg.
void populateActQuantToLinalgPatterns(RewritePatternSet &patterns);

} // namespace mlir::tern

#endif // TERN_CONVERSION_PASSES_H
