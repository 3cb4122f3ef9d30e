#ifndef TERN_TYPES_TD
#define TERN_TYPES_TD

include "Tern/TernDialect.td"
include "mlir/IR/AttrTypeBase.td"

def Tern_TernaryType : TypeDef<Tern_Dialect, "Ternary"> {
  let mnemonic = "ternary";
  let summary = "ternary weight matrix [out x in] with a per-tensor scale";
  let description = [{
    A weight matrix of `N` output rows by `K` input columns (the layout of a
    PyTorch `Linear` weight) whose entries are in {-1, 0, +1}, together with
    one positive scale `s_w`: the real weight it stands for is `Wt / s_w`.
    Produced by `tern.weight_quant` (at run time, or folded at compile time)
    and by `tern.constant`.

    Example: `!tern.ternary<2048x5632>`
  }];
  let parameters = (ins "int64_t":$rows, "int64_t":$cols);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of weights (rows * cols).
    int64_t getNumElements() const { return getRows() * getCols(); }
  }];
}

#endif // TERN_TYPES_TD
