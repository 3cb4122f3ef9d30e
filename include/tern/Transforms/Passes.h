//===- Passes.h - Tern transformation passes ------------------------------===//
#ifndef TERN_TRANSFORMS_PASSES_H
#define TERN_TRANSFORMS_PASSES_H

#include "Tern/TernOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#include "tern/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tern/Transforms/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_TRANSFORMS_PASSES_H
