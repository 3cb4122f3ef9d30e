#ifndef TERN_ATTRS_TD
#define TERN_ATTRS_TD

include "Tern/TernDialect.td"
include "Tern/TernTypes.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/EnumAttr.td"

def Tern_TernaryAttr : AttrDef<Tern_Dialect, "Ternary"> {
  let mnemonic = "ternary";
  let summary = "constant ternary weights packed at 2 bits per weight";
  let description = [{
    Constant ternary weights with their per-tensor scale. The trits are kept
    packed, four per byte, in a `dense_resource` blob of `i8`
    (`ceil(rows*cols/4)` bytes), so a model with a billion weights never has
    one attribute element or one byte per weight in memory.

    Packing: weight `k` of the row-major flattened matrix lives in byte `k/4`,
    bits `[2*(k%4), 2*(k%4)+1]`, as the code `trit + 1` (`0b00` = -1,
    `0b01` = 0, `0b10` = +1; `0b11` is invalid). Padding trits of the last
    byte are encoded as 0 (`0b01`).

    Small matrices (at most 256 weights) print their values for readability;
    larger ones print the resource handle:

    ```mlir
    #tern.ternary<2x3, scale = 5.000000e-01, [1, 0, -1, 0, 1, 1]>
    #tern.ternary<1024x1024, scale = 2.0, dense_resource<w0> : tensor<262144xi8>>
    ```
  }];
  let parameters = (ins "TernaryType":$type, APFloatParameter<"scale s_w">:$scale,
                        "DenseResourceElementsAttr":$packed);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    // Packs `trits` (values in {-1,0,1}, row-major) into a fresh resource blob.
    AttrBuilder<(ins "int64_t":$rows, "int64_t":$cols, "float":$scale,
                     "::llvm::ArrayRef<int8_t>":$trits)>
  ];
  let extraClassDeclaration = [{
    /// The packed bytes, or an empty ArrayRef when the blob is not loaded.
    ::llvm::ArrayRef<uint8_t> getPackedBytes() const;
    /// Unpacks every weight; fails when the blob is missing or invalid.
    ::llvm::LogicalResult unpack(::llvm::SmallVectorImpl<int8_t> &trits) const;
    float getScaleValue() const { return getScale().convertToFloat(); }
    /// True when every weight is zero (blob loaded and valid).
    bool isAllZero() const;
  }];
}

def Tern_MLGRUVariant : I32EnumAttr<"MLGRUVariant", "MLGRU gate arrangement", [
    I32EnumAttrCase<"released", 0>,
    I32EnumAttrCase<"paper", 1>]> {
  let cppNamespace = "::mlir::tern";
  let genSpecializedAttr = 0;
}

def Tern_MLGRUVariantAttr : EnumAttr<Tern_Dialect, Tern_MLGRUVariant, "variant"> {
  let assemblyFormat = "$value";
}

#endif // TERN_ATTRS_TD
