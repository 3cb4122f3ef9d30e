#ifndef TERN_DIALECT_TD
#define TERN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Tern_Dialect : Dialect {
  let name = "tern";
  let cppNamespace = "::mlir::tern";
  let summary = "Ternary, MatMul-free language model operations";
  let description = [{
    The `tern` dialect names the building blocks of MatMul-free language models
    (Zhu et al. 2024): ternary BitLinear layers, the MLGRU token mixer and the
    GLU channel mixer, together with the quantization steps they are made of.
    Ternary weights are values of type `!tern.ternary<NxK>` (an `[out, in]`
    matrix of {-1, 0, +1} with one per-tensor scale); constant ones are stored
    packed at 2 bits per weight in a resource blob (`#tern.ternary`).
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class Tern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tern_Dialect, mnemonic, traits>;

#endif // TERN_DIALECT_TD
