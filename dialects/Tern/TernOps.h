//===- TernOps.h - the tern dialect's operations --------------------------===//
#ifndef TERN_TERNOPS_H
#define TERN_TERNOPS_H

#include "Tern/TernDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Tern/TernInterfaces.h.inc"

#define GET_OP_CLASSES
#include "Tern/TernOps.h.inc"

namespace mlir::tern {
/// Rewrites every latent float weight operand of a TernaryWeightsOpInterface
/// op into `tern.weight_quant` of it (which folds for constants).
void populateQuantizeLatentWeightsPatterns(RewritePatternSet &patterns);
} // namespace mlir::tern

#endif // TERN_TERNOPS_H
