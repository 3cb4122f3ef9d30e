// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=vnni -tern-fold-weight-quant -tern-ternary-to-arith | FileCheck %s --check-prefix=TILE
// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=vnni -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-ternary-to-vector | FileCheck %s --check-prefix=VNNI
// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=avxvnni -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-ternary-to-vector | FileCheck %s --check-prefix=AVX
// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=select -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-ternary-to-vector -tern-verify-no-multiply | FileCheck %s --check-prefix=SELECT
// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=vnni-base3 -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   | FileCheck %s --check-prefix=B3
// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=lut -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-ternary-to-vector -tern-verify-no-multiply | FileCheck %s --check-prefix=LUT
// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=vnni-base3 -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-ternary-to-vector | FileCheck %s --check-prefix=B3VNNI

// Every module pins an x86 target with the features of every x86 kernel
// (the kernel is chosen by name, so the test does not depend on the host).
#x86 = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "sapphirerapids", features = #llvm.target_features<["+avx2", "+avx512bw", "+avx512f", "+avx512vnni", "+avxvnni"]>>


// 32 x 40 compile-time weights: two tiles of 16 rows, K = 40 pads to 3 groups
// of 16 trits; the activations are viewed as [M, groups, bit pair, byte].
// TILE-LABEL: func.func @tiled
// TILE: arith.constant dense_resource<{{.*}}> : tensor<384xi8>
// TILE: tensor.expand_shape {{.*}} : tensor<384xi8> into tensor<2x3x16x4xi8>
// TILE: tensor.expand_shape %{{.*}} output_shape [3, 3, 4, 4] : tensor<3x48xi8> into tensor<3x3x4x4xi8>
// TILE: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// TILE-SAME: ins(%{{.*}}, %{{.*}} : tensor<3x3x4x4xi8>, tensor<2x3x16x4xi8>) outs(%{{.*}} : tensor<3x2x16xi32>)
// TILE-SAME: tern.tile_rows = 16 : i64
// TILE: linalg.index 4 : index
// TILE: tensor.collapse_shape %{{.*}} : tensor<3x2x16xi32> into tensor<3x32xi32>

// The VNNI kernel: per 64-byte load of codes, four masks (bit pair j kept in
// place) and four dot products against 4 broadcast activation bytes; the
// accumulators are 16 output rows, stored whole (no horizontal reduction in
// the group loop). Three tokens block as 1, two tiles as 2.
// VNNI-LABEL: func.func @tiled
// VNNI: scf.for
// VNNI: vector.reduction <add>
// VNNI: scf.for %[[T0:.*]] = %{{.*}} to %{{.*}} step %c2
// VNNI: scf.for
// VNNI: scf.for %[[G:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// VNNI-NOT: vector.reduction
// VNNI: memref.prefetch
// VNNI: vector.load %{{.*}}[%[[T0]], %[[G]], %{{.*}}] : memref<2x3x64xi8>, vector<64xi8>
// VNNI: vector.load %{{.*}} : memref<3x3x16xi8>, vector<4xi8>
// VNNI: vector.broadcast %{{.*}} : vector<1xi32> to vector<16xi32>
// VNNI: arith.andi %{{.*}}, %{{.*}} : vector<64xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-NOT: vector.reduction
// VNNI: arith.shrsi %{{.*}}, %{{.*}} : vector<16xi32>
// VNNI: vector.store %{{.*}} : memref<3x2x16xi32>, vector<16xi32>
// VNNI: tern.ternary_kernel = "vnni-offset-dot-tiled"

// AVX-VNNI: 8-row tiles in 32-byte vectors, 8 i32 lanes, the 256-bit dot
// product; four tiles block as 2.
// AVX-LABEL: func.func @tiled
// AVX: vector.load %{{.*}} : memref<4x3x32xi8>, vector<32xi8>
// AVX: vector.broadcast %{{.*}} : vector<1xi32> to vector<8xi32>
// AVX: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// AVX-NOT: vpdpbusd.512
// AVX: vector.store %{{.*}} : memref<3x4x8xi32>, vector<8xi32>
// AVX: tern.ternary_kernel = "avxvnni-offset-dot-tiled"
// 24 rows are 3 tiles of 8 under AVX-VNNI.
// AVX-LABEL: func.func @untiled_rows
// AVX: tern.ternary_kernel = "avxvnni-offset-dot-tiled"
// Run-time weights take the multiply-free select kernel (no 512-bit code).
// AVX-LABEL: func.func @runtime_weights
// AVX-NOT: vpdpbusd
// AVX: tern.ternary_kernel = "select-add-sub"

// The 1.6-bit base-3 layout: 5 trits per byte, 4 bytes (20 trits) per row and
// group, so K = 40 is 2 groups and the tile blob is 2 x 2 x 16 x 4 bytes; the
// activations are viewed as [M, groups, digit, byte] and the generic decodes a
// byte's digits through a 256 x 5 table.
// B3-LABEL: func.func @tiled
// B3: arith.constant dense_resource<{{.*}}> : tensor<256xi8>
// B3: tensor.expand_shape {{.*}} : tensor<256xi8> into tensor<2x2x16x4xi8>
// B3: tensor.expand_shape %{{.*}} output_shape [3, 2, 5, 4] : tensor<3x40xi8> into tensor<3x2x5x4xi8>
// B3: arith.constant dense<{{.*}}> : tensor<256x5xi8>
// B3: linalg.generic
// B3-SAME: tern.base3
// B3-SAME: tern.tile_rows = 16
// B3: tensor.extract %{{.*}} : tensor<256x5xi8>
// The base-3 VNNI kernel: one 64-byte load per tile and group, each digit's
// byte m is tripled by two byte adds (m' = 3m mod 256) and dotted twice (m and
// m' against the digit's 4 activation bytes); the epilogue recovers the
// trits' sum as (3 C - D) / 256.
// B3VNNI-LABEL: func.func @tiled
// B3VNNI: vector.load %{{.*}} : memref<2x2x64xi8>, vector<64xi8>
// B3VNNI: vector.load %{{.*}} : memref<3x2x20xi8>, vector<4xi8>
// B3VNNI: %[[D:.*]] = arith.addi %[[M:.*]], %[[M]] : vector<64xi8>
// B3VNNI: %[[M3:.*]] = arith.addi %[[D]], %[[M]] : vector<64xi8>
// B3VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[M]], %{{.*}})
// B3VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[M3]], %{{.*}})
// B3VNNI: arith.shrsi %{{.*}}, %{{.*}} : vector<16xi32>
// B3VNNI: vector.store %{{.*}} : memref<3x2x16xi32>, vector<16xi32>
// B3VNNI: tern.ternary_kernel = "vnni-offset-dot-base3"

// `select` reads untiled 64-byte groups: no row tiles, no dot products,
// verified multiply-free.
// SELECT-LABEL: func.func @tiled
// SELECT-NOT: vpdpbusd
// SELECT: tern.ternary_accumulation, tern.ternary_kernel = "select-add-sub"
module attributes {tern.target = #x86} {
func.func @tiled(%x: tensor<3x40xi8>) -> tensor<3x32xi32> {
  %cst = arith.constant dense<0.5> : tensor<32x40xf32>
  %w = tern.weight_quant %cst : tensor<32x40xf32> -> !tern.ternary<32x40>
  %y = tern.tmatmul %x, %w : tensor<3x40xi8>, !tern.ternary<32x40> -> tensor<3x32xi32>
  return %y : tensor<3x32xi32>
}
}

// -----

#x86 = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "sapphirerapids", features = #llvm.target_features<["+avx2", "+avx512bw", "+avx512f", "+avx512vnni", "+avxvnni"]>>

// 24 rows are not whole tiles: the weights keep 64-byte groups per row.
// TILE-LABEL: func.func @untiled_rows
// TILE: arith.constant dense_resource<{{.*}}> : tensor<1536xi8>
// TILE: tensor.expand_shape {{.*}} : tensor<1536xi8> into tensor<24x1x64xi8>
// TILE-NOT: tern.tile_rows
// VNNI-LABEL: func.func @untiled_rows
// VNNI: tern.ternary_kernel = "vnni-offset-dot"
module attributes {tern.target = #x86} {
func.func @untiled_rows(%x: tensor<1x40xi8>) -> tensor<1x24xi32> {
  %cst = arith.constant dense<0.5> : tensor<24x40xf32>
  %w = tern.weight_quant %cst : tensor<24x40xf32> -> !tern.ternary<24x40>
  %y = tern.tmatmul %x, %w : tensor<1x40xi8>, !tern.ternary<24x40> -> tensor<1x24xi32>
  return %y : tensor<1x24xi32>
}
}

// -----

#x86 = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "sapphirerapids", features = #llvm.target_features<["+avx2", "+avx512bw", "+avx512f", "+avx512vnni", "+avxvnni"]>>

// Run-time quantized weights keep 64-byte groups per row as well.
// TILE-LABEL: func.func @runtime_weights
// TILE-NOT: tern.tile_rows
// TILE: tern.group_bytes = 64
module attributes {tern.target = #x86} {
func.func @runtime_weights(%x: tensor<1x40xi8>, %wf: tensor<32x40xf32>) -> tensor<1x32xi32> {
  %w = tern.weight_quant %wf : tensor<32x40xf32> -> !tern.ternary<32x40>
  %y = tern.tmatmul %x, %w : tensor<1x40xi8>, !tern.ternary<32x40> -> tensor<1x32xi32>
  return %y : tensor<1x32xi32>
}
}

// -----

#x86 = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "sapphirerapids", features = #llvm.target_features<["+avx2", "+avx512bw", "+avx512f", "+avx512vnni", "+avxvnni"]>>

// 128 rows are two 64-row tiles for the lookup-table kernel: the codes are
// [tiles, K/4, 64, 1] (4 trits of each of 64 rows per 64-byte vector). The
// tables are built first (selects, marked and verified multiply-free), then
// per tile and token (the codes viewed as [tiles * K/4, 64], prefetched 64
// groups ahead): groups in blocks of 32 with int16 sums, four vpshufb
// per group, in-lane interleaves into int16, widening into i32 per block,
// and one shuffle back to row order before the store.
// LUT-LABEL: func.func @lut_tiles
// LUT: %[[TABLES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x10x64xi8>
// LUT: scf.for
// LUT: arith.select
// LUT: vector.store %{{.*}}, %[[TABLES]]
// LUT: } {tern.ternary_accumulation}
// LUT: scf.for
// LUT: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<32xi32>, vector<32xi32>)
// LUT: scf.for {{.*}} -> (vector<32xi16>, vector<32xi16>)
// LUT: memref.prefetch %{{.*}} : memref<20x64xi8>
// LUT: vector.load %{{.*}} : memref<20x64xi8>, vector<64xi8>
// LUT-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"
// LUT: vector.shuffle %{{.*}}, %{{.*}} [0, 64, 1, 65,
// LUT: arith.extsi %{{.*}} : vector<32xi16> to vector<32xi32>
// LUT: vector.store %{{.*}} : memref<2x2x64xi32>, vector<64xi32>
// LUT: tern.ternary_accumulation, tern.ternary_kernel = "lut-pshufb"
// LUT: memref.dealloc %[[TABLES]]
module attributes {tern.target = #x86} {
func.func @lut_tiles(%x: tensor<2x40xi8>) -> tensor<2x128xi32> {
  %cst = arith.constant dense<0.5> : tensor<128x40xf32>
  %w = tern.weight_quant %cst : tensor<128x40xf32> -> !tern.ternary<128x40>
  %y = tern.tmatmul %x, %w : tensor<2x40xi8>, !tern.ternary<128x40> -> tensor<2x128xi32>
  return %y : tensor<2x128xi32>
}
}
