#ifndef TERN_TRANSFORMS_PASSES_TD
#define TERN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernFoldWeightQuant : Pass<"tern-fold-weight-quant"> {
  let summary = "Quantize constant latent weights at compile time into packed ternary constants";
  let description = [{
    Every latent f32 weight operand of a BitLinear-bearing op (bitlinear, glu,
    mlgru_step, mlgru_sequence) becomes `tern.weight_quant` of it, and every
    `tern.weight_quant` of a constant folds into a `tern.constant` holding the
    weights packed at 2 bits each. Weights computed at run time stay
    `tern.weight_quant`.
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

#endif // TERN_TRANSFORMS_PASSES_TD
