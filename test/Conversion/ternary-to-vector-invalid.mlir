// RUN: not tern-opt %s -split-input-file -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-ternary-to-vector 2>&1 | FileCheck %s
// RUN: not tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=vnni -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-select-ternary-kernel=kernel=avx2 -tern-ternary-to-vector 2>&1 | FileCheck %s --check-prefix=RETILE

// A kernel/target or kernel/layout mismatch is an error, never a scalar loop.

// An x86 kernel recorded on an AArch64 module: no x86 intrinsic may reach it.
// CHECK: error: tern-ternary-to-vector: the vnni ternary kernel needs an x86-64 target, not 'aarch64-unknown-linux-gnu'
// RETILE: error: the vnni ternary kernel needs an x86-64 target, not 'aarch64-unknown-linux-gnu'
module attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "neoverse-n1",
                                              features = #llvm.target_features<["+dotprod", "+neon"]>>,
                   tern.ternary_kernel = #tern.ternary_kernel<vnni, tile_rows = 16, tile_bytes = 4, dot = vpdpbusd>} {
func.func @wrong_arch(%x: tensor<1x40xi8>) -> tensor<1x32xi32> {
  %cst = arith.constant dense<0.5> : tensor<32x40xf32>
  %w = tern.weight_quant %cst : tensor<32x40xf32> -> !tern.ternary<32x40>
  %y = tern.tmatmul %x, %w : tensor<1x40xi8>, !tern.ternary<32x40> -> tensor<1x32xi32>
  return %y : tensor<1x32xi32>
}
}

// -----

// Weights packed in 16-row tiles, then a kernel that reads 8-row tiles.
// RETILE: error: 'linalg.generic' op is tiled in 16-row tiles, but the avx2 kernel reads 8-row tiles
// (Without a kernel attribute both passes take `portable`: no error.)
// CHECK-NOT: error: {{.*}}retiled
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "sapphirerapids",
                                              features = #llvm.target_features<["+avx2", "+avx512f", "+avx512vnni"]>>} {
func.func @retiled(%x: tensor<1x40xi8>) -> tensor<1x32xi32> {
  %cst = arith.constant dense<0.5> : tensor<32x40xf32>
  %w = tern.weight_quant %cst : tensor<32x40xf32> -> !tern.ternary<32x40>
  %y = tern.tmatmul %x, %w : tensor<1x40xi8>, !tern.ternary<32x40> -> tensor<1x32xi32>
  return %y : tensor<1x32xi32>
}
}

// -----

// Weights packed for a vector kernel under a module whose kernel is portable.
// CHECK: error: 'linalg.generic' op is packed for a vector kernel, but the module's kernel is portable{{$}}
module attributes {tern.ternary_kernel = #tern.ternary_kernel<portable, tile_rows = 1, tile_bytes = 1, dot = select_add_sub>} {
func.func @portable(%x: tensor<1x40xi8>, %b: memref<1x1x4x64xi8>, %c: memref<2x1x64xi8>, %o: memref<1x2xi32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%b, %c : memref<1x1x4x64xi8>, memref<2x1x64xi8>) outs(%o : memref<1x2xi32>) attrs = {tern.group_bytes = 64 : i64, tern.ternary_accumulation} {
  ^bb0(%in: i8, %w: i8, %acc: i32):
    linalg.yield %acc : i32
  }
  return
}
}
