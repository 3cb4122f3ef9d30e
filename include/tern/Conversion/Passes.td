#ifndef TERN_CONVERSION_PASSES_TD
#define TERN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernConvertToLinalg : Pass<"tern-convert-to-linalg"> {
  let summary = "Lower tern.rmsnorm and tern.act_quant to linalg on tensors";
  let description = [{
    RMSNorm becomes a sum-of-squares reduction and one element-wise map;
    activation quantization a max-abs reduction, the scale, and a map that
    rounds half to even, clamps and truncates to i8.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::math::MathDialect", "::mlir::arith::ArithDialect"];
}

def TernTernaryToArith : Pass<"tern-ternary-to-arith"> {
  let summary = "Rewrite ternary products into select/add/sub over packed weights";
  let description = [{
    Ternary weights become packed `i8` codes (code `trit + 1`) and an f32
    scale: constant ones at compile time, `tern.weight_quant` ones by a
    run-time packing kernel. Every `tern.tmatmul` becomes a `linalg.generic`
    marked `tern.ternary_accumulation` whose body decodes a 2-bit code and
    adds the activation for +1, subtracts it for -1 and skips 0: no multiply.

    The layout is the one of the module's `#tern.ternary_kernel` (see
    `tern-select-ternary-kernel`; `portable` when the module has none).
    Layout (G bytes per group, see TernaryPacking.h): each row is cut into
    groups of 4G trits in G bytes; trit k sits in byte k % G of group
    k / (4G), bits 2*((k / G) % 4). G = 1 (`portable`) gives `[N, ceil(K/4)]`,
    the plain row-major packing; G = 64 (every other kernel's untiled layout:
    run-time quantized weights, N not a multiple of the tile) gives
    `[N, ceil(K/256), 64]`, where one shift+mask of a 64-byte vector yields 64
    consecutive codes.

    Kernels with `tile_rows` R = 8 or 16 and `tile_bytes` 4 (compile-time
    weights, N % R == 0): G = 4 and the groups of R consecutive rows
    interleaved, `[N/R, ceil(K/16), R, 4]`: one 4R-byte vector holds 16 trits
    of each of R rows, so a kernel that broadcasts 4 activation bytes
    accumulates R output rows in R lanes. The accumulation is marked
    `tern.tile_rows = R`. `vnni-base3` packs 5 trits per byte in the same
    16-row tiles (rows of at most 16384 trits; wider ones stay 2-bit).

    `tile_rows` R = 64, `tile_bytes` 1 (the lookup-table kernel): G = 1 and
    the bytes of 64 consecutive rows interleaved, `[N/64, ceil(K/4), 64, 1]`:
    one 64-byte vector holds the same 4 trits of 64 rows (trit 4 g + j at
    bits 2j), so a byte's low nibble indexes the table of trits 4g, 4g+1 and
    its high nibble that of 4g+2, 4g+3 for all 64 rows at once.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::math::MathDialect", "::mlir::arith::ArithDialect"];
}

def TernTernaryToVector : Pass<"tern-ternary-to-vector"> {
  let summary = "Vectorized CPU kernels for bufferized ternary accumulations";
  let description = [{
    Replaces each bufferized `linalg.generic` marked `tern.ternary_accumulation`
    by the kernel that the module's `#tern.ternary_kernel` names (set by
    `tern-select-ternary-kernel`; none means `portable`); it fails when the
    module's `tern.target` cannot run that kernel. The attribute is consumed:
    the lowered module keeps only LLVM-dialect attributes. Rows run in parallel
    (`scf.parallel`, so OpenMP threads split the output rows) with register
    blocking over rows and tokens. An accumulation whose layout (row tile,
    group size, base 3) differs from the kernel's is an error, never a silent
    scalar loop; `portable` leaves the generic loops as they are.

    Untiled accumulations (64-byte groups: run-time quantized weights, row
    counts the tile does not divide) take the kernel's `untiled` entry:
    * `select`: add the activation where the code is +1, subtract it where it
      is -1 (portable vector compare/select and add): multiply-free; the
      kernel keeps the `tern.ternary_accumulation` mark, so
      `tern-verify-no-multiply` checks it.
    * `vnni`: offset-int8 dot products (`vpdpbusd` on `c = t + 1`, `sum(x)`
      subtracted once per token).

    Row-tiled accumulations (`tern.tile_rows` = R): one 4R-byte load holds 16
    trits of each of R rows; the 4 activation bytes of a trit position are
    broadcast to every 32-bit lane, so lane i accumulates row i: no
    horizontal sums. Codes `c = t + 1` are accumulated as `sum(c x)` and
    `sum(x)` is subtracted once per token. The code stream is prefetched 4
    KiB ahead. The families (one file each):
    * `vnni` / `vnni-base3` / `avxvnni` (X86VNNI.cpp): bit pair j masked in
      place (`w & 3 << 2j` = 4^j c) into `vpdpbusd`; 16-row zmm or 8-row ymm
      tiles.
    * `avx2` (X86AVX2.cpp): `vpmaddubsw` into int16 sums (bit pairs 0, 2 at
      scale 1, 1, 3 at scale 4 after one `vpsrlw`), widened by `vpmaddwd`
      every 8 groups; 8-row tiles.
    * `avx2-select` (X86AVX2.cpp; multiply-free): `c x` as two byte selects
      widened into int16 by shifts, widened every 16 groups.
    * `sdot` (AArch64NEON.cpp): `sdot` on bit pairs 0, 1, 2 masked in place
      and pair 3 shifted down; 16-row tiles in four q registers.
    * `neon` (AArch64NEON.cpp, armv8.0): int16 multiply-accumulate
      (`smlal`) of decoded codes, widened every 32 groups.
    * `lut` (SelectAndLUT.cpp; AVX-512 BW, multiply-free): 64-row tiles
      (`tern.tile_rows` = 64). Per token and group of 4 trits, two 16-entry
      tables of the possible sums of a trit pair, `(c0-1) x0 + (c1-1) x1` at
      index `c0 + 4 c1`, built once with selects and split into low and high
      bytes; per 64-byte load of codes, `vpshufb` looks up 64 rows' pair
      sums from each nibble, the bytes are interleaved into int16 and added.
      The int16 sums are widened into int32 every 32 groups.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
}

#endif // TERN_CONVERSION_PASSES_TD
