//===- Passes.h - Tern transformation passes ------------------------------===//
#ifndef TERN_TRANSFORMS_PASSES_H
#define TERN_TRANSFORMS_PASSES_H

#include "Tern/TernOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

/// The attribute marking ternary accumulation kernels (checked multiply-free).
constexpr llvm::StringLiteral kTernaryAccumulationAttr = "tern.ternary_accumulation";
/// The packing group size (bytes) of the weights a ternary accumulation reads.
constexpr llvm::StringLiteral kTernaryGroupBytesAttr = "tern.group_bytes";
/// Row tile of a ternary accumulation's codes (absent: no row tiles).
constexpr llvm::StringLiteral kTernaryTileRowsAttr = "tern.tile_rows";
/// Marks a row-tiled accumulation over 1.6-bit base-3 codes.
constexpr llvm::StringLiteral kTernaryBase3Attr = "tern.base3";

#define GEN_PASS_DECL
#include "tern/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tern/Transforms/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_TRANSFORMS_PASSES_H
