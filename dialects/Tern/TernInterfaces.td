#ifndef TERN_INTERFACES_TD
#define TERN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Tern_TernaryWeightsOpInterface : OpInterface<"TernaryWeightsOpInterface"> {
  let cppNamespace = "::mlir::tern";
  let description = [{
    An op that holds BitLinear weights: each weight operand is either a latent
    float matrix `tensor<NxKxf32>` (quantized by the op's semantics) or an
    already ternary `!tern.ternary<NxK>`. Passes use this to quantize, fold and
    report weights without knowing each op's operand layout.
  }];
  let methods = [
    InterfaceMethod<"The weight operands, in a fixed per-op order.",
      "::llvm::SmallVector<::mlir::OpOperand *>", "getWeightOperands">,
  ];
}

#endif // TERN_INTERFACES_TD
