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

    Layout (`group-bytes` G, see TernaryPacking.h): each row is cut into
    groups of 4G trits in G bytes; trit k sits in byte k % G of group
    k / (4G), bits 2*((k / G) % 4). G = 1 gives `[N, ceil(K/4)]`, the plain
    row-major packing; G = 64 gives `[N, ceil(K/256), 64]`, where one
    shift+mask of a 64-byte vector yields 64 consecutive codes (the CPU
    kernels' layout).

    `tile-rows` R = 16 (compile-time weights, N % 16 == 0): G = 4 and the
    groups of 16 consecutive rows interleaved, `[N/16, ceil(K/16), 16, 4]`:
    one 64-byte vector holds 16 trits of each of 16 rows, so a kernel that
    broadcasts 4 activation bytes accumulates 16 output rows in 16 lanes. The
    accumulation is marked `tern.tile_rows = 16`.

    `tile-rows` R = 64 (the lookup-table kernel): G = 1 and the bytes of 64
    consecutive rows interleaved, `[N/64, ceil(K/4), 64, 1]`: one 64-byte
    vector holds the same 4 trits of 64 rows (trit 4 g + j at bits 2j), so a
    byte's low nibble indexes the table of trits 4g, 4g+1 and its high nibble
    that of 4g+2, 4g+3 for all 64 rows at once.
  }];
  let options = [
    Option<"groupBytes", "group-bytes", "int64_t", "1",
           "Bytes per packing group: 1 (row-major) or 64 (AVX-512 kernels)">,
    Option<"tileRows", "tile-rows", "int64_t", "1",
           "1, 8, 16 or 64: compile-time weights with N % R == 0 use row tiles "
           "of R rows x 16 trits in 4R bytes (the VNNI kernels' layout: 16 for "
           "AVX-512, 8 for AVX-VNNI), or for R = 64 of 64 rows x 4 trits in 64 "
           "bytes (the lookup-table kernel's)">,
    Option<"base3Weights", "base3", "bool", "false",
           "With tile-rows=16: 1.6-bit base-3 weights (5 trits per byte, groups "
           "of 20 trits) for rows of at most 16384 trits">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::math::MathDialect", "::mlir::arith::ArithDialect"];
}

def TernTernaryToVector : Pass<"tern-ternary-to-vector"> {
  let summary = "Vectorized CPU kernels for bufferized ternary accumulations";
  let description = [{
    Replaces each bufferized `linalg.generic` marked `tern.ternary_accumulation`
    over 64-byte groups (`tern-ternary-to-arith{group-bytes=64}`) by a loop nest
    of vector ops: rows in parallel (`scf.parallel`, so OpenMP threads split the
    output rows), register blocking over rows (and tokens for prefill), one
    64-byte load of codes per row and group, decoded with shift+mask.

    Strategies:
    * `select`: add the activation where the code is +1, subtract it where it
      is -1 (vector compare/select and add): multiply-free; the kernel keeps
      the `tern.ternary_accumulation` mark, so `tern-verify-no-multiply`
      checks it.
    * `vnni`: offset-int8 dot products: the codes `c = t + 1` are unsigned
      bytes, `vpdpbusd` accumulates `c * x` four at a time and
      `sum(x)` is subtracted once per token (`sum(t x) = sum(c x) - sum(x)`).
      Needs AVX-512 VNNI; it uses the dot-product instruction, so it is not
      marked multiply-free.
    * `avxvnni`: the same dot products on 256-bit vectors (AVX-VNNI hosts
      without AVX-512); untiled accumulations take `select`.

    Row-tiled accumulations (`tern.tile_rows` = 16 under `vnni`, 8 under
    `avxvnni`) get the tiled kernel: one vector load holds 16 trits of each
    of R rows; bit pair j is masked in place (`w & 3 << 2j` = 4^j c, no shift)
    and dot-multiplied with the 4 activation bytes of that pair broadcast to
    every lane, so lane i accumulates row i: no horizontal sums. The four
    bit-pair accumulators are shifted back exactly and added after the loop.
    The code stream is prefetched 4 KiB ahead (into the next tile block at
    the end of a block). Row-tiled accumulations under other strategies stay
    generic (scalar loops).

    * `lut` (AVX-512 BW; multiply-free): 64-row tiles (`tern.tile_rows` =
      64). Per token and group of 4 trits, two 16-entry tables of the
      possible sums of a trit pair, `(c0-1) x0 + (c1-1) x1` at index
      `c0 + 4 c1`, built once with selects and split into low and high
      bytes; per 64-byte load of codes, `vpshufb` looks up 64 rows' pair
      sums from each nibble, the bytes are interleaved into int16 and added.
      The int16 sums are widened into int32 every 32 groups (|sum| <= 32 *
      512 < 2^15). Untiled accumulations take `select`.
  }];
  let options = [
    Option<"strategy", "strategy", "std::string", "\"select\"", "select, vnni, avxvnni or lut">,
  ];
  let dependentDialects = ["::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
}

#endif // TERN_CONVERSION_PASSES_TD
