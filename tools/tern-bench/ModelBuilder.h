//===- ModelBuilder.h - synthetic benchmark models as tern IR -------------===//
#ifndef TERN_BENCH_MODELBUILDER_H
#define TERN_BENCH_MODELBUILDER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <string>

namespace tern::bench {

/// A HGRNBit configuration (DESIGN.md): d, layers, GLU width, vocabulary.
struct ModelConfig {
  std::string name;
  int64_t d, layers, inter, vocab;
  /// Ternary weights in the layers and the LM head.
  int64_t ternaryWeights() const { return layers * (4 * d * d + 3 * d * inter) + vocab * d; }
};

/// 370m, 1.3b, 2.7b (DESIGN.md), or a tiny one for tests; false if unknown.
bool lookupConfig(const std::string &name, ModelConfig &config);

/// func @main(%x: tensor<BxCxi8>) -> tensor<BxRxi32>: one ternary product
/// with random weights (P(-1) = P(0) = P(+1)).
mlir::OwningOpRef<mlir::ModuleOp> buildGemvModule(mlir::MLIRContext *ctx, int64_t rows,
                                                  int64_t cols, int64_t batch, uint64_t seed);

/// The full model with random ternary weights: `tokens` = 1 builds a decode
/// step (token, states) -> (logits, states) with mlgru_step; more builds a
/// prefill over that many tokens with mlgru_sequence. With `indexCheck`, token
/// ids are bound-checked before the embedding gather (as ONNX imports are).
mlir::OwningOpRef<mlir::ModuleOp> buildModelModule(mlir::MLIRContext *ctx,
                                                   const ModelConfig &config, int64_t tokens,
                                                   uint64_t seed, bool indexCheck = true);

} // namespace tern::bench

#endif // TERN_BENCH_MODELBUILDER_H
