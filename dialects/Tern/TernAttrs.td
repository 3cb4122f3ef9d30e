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


def Tern_TernaryKernelKind : I32EnumAttr<"TernaryKernelKind", "a CPU ternary kernel", [
    I32EnumAttrCase<"portable", 0>,
    I32EnumAttrCase<"select", 1>,
    I32EnumAttrCase<"vnni", 2>,
    I32EnumAttrCase<"vnni_base3", 3>,
    I32EnumAttrCase<"avxvnni", 4>,
    I32EnumAttrCase<"lut", 5>,
    I32EnumAttrCase<"avx2", 6>,
    I32EnumAttrCase<"avx2_select", 7>,
    I32EnumAttrCase<"sdot", 8>,
    I32EnumAttrCase<"neon", 9>]> {
  let cppNamespace = "::mlir::tern";
  let genSpecializedAttr = 0;
}

def Tern_TernaryDot : I32EnumAttr<"TernaryDot", "the instruction a ternary kernel accumulates with", [
    I32EnumAttrCase<"select_add_sub", 0>,
    I32EnumAttrCase<"vpdpbusd", 1>,
    I32EnumAttrCase<"pmaddubsw", 2>,
    I32EnumAttrCase<"pshufb", 3>,
    I32EnumAttrCase<"sdot", 4>,
    I32EnumAttrCase<"smlal", 5>]> {
  let cppNamespace = "::mlir::tern";
  let genSpecializedAttr = 0;
}

def Tern_TernaryKernelAttr : AttrDef<Tern_Dialect, "TernaryKernel"> {
  let mnemonic = "ternary_kernel";
  let summary = "the CPU kernel chosen for the ternary products of a module";
  let description = [{
    Set on the module (as `tern.ternary_kernel`) by `tern-select-ternary-kernel`
    from one table (TernaryKernels.cpp) that gives, per kernel, the target
    architecture and features it needs, the row tile of its compile-time
    weights (`tile_rows` rows x `tile_bytes` bytes per group of trits; 1 x 64
    for the untiled 64-byte-group kernels, 1 x 1 for `portable`) and the
    instruction it accumulates with. `tern-ternary-to-arith` packs weights in
    that layout and `tern-ternary-to-vector` emits that kernel; the verifier
    rejects parameters that disagree with the table.

    ```mlir
    module attributes {tern.ternary_kernel = #tern.ternary_kernel<avx2, tile_rows = 8, tile_bytes = 4, dot = pmaddubsw>} {}
    ```
  }];
  let parameters = (ins EnumParameter<Tern_TernaryKernelKind>:$kind, "int64_t":$tileRows,
                        "int64_t":$tileBytes, EnumParameter<Tern_TernaryDot>:$dot);
  let assemblyFormat = "`<` $kind `,` `tile_rows` `=` $tileRows `,` `tile_bytes` `=` $tileBytes `,` `dot` `=` $dot `>`";
  let genVerifyDecl = 1;
  let builders = [
    // The table's entry for `kind`.
    AttrBuilder<(ins "TernaryKernelKind":$kind)>
  ];
  let skipDefaultBuilders = 0;
}

#endif // TERN_ATTRS_TD
