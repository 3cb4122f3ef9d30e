// RUN: tern-opt %s -tern-select-ternary-kernel -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-ternary-to-vector -tern-verify-no-multiply | FileCheck %s --check-prefix=AVX2
// RUN: tern-opt %s -tern-select-ternary-kernel=kernel=avx2-select -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-ternary-to-vector -tern-verify-no-multiply=expect-at-least=1 | FileCheck %s --check-prefix=SEL
// RUN: tern-opt %s --tern-cpu-pipeline=ternary-kernel=avx2 | mlir-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=znver3 | FileCheck %s --check-prefix=ASM --implicit-check-not=zmm

// An AVX2-only CPU (Zen 3): `auto` picks the avx2 kernel, 8-row tiles.
#znver3 = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver3",
                       features = #llvm.target_features<["+avx", "+avx2", "+fma", "-avx512f", "-avx512vnni", "-avxvnni"]>>

// 32 rows = 4 tiles of 8, blocked 2 tiles at a time (3 tokens: 1 per block).
// Groups run in blocks of 8 with four int16 sums (two per tile: scale 1 and
// 4), one vpsrlw per code load, vpmaddubsw per trit position, widened by
// vpmaddwd into one int32 vector per tile after each block.
// The kernel attribute is consumed; the target stays.
// AVX2: module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver3", {{.*}}>} {
// AVX2-LABEL: func.func @tiled
// AVX2: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8 iter_args({{.*}}) -> (vector<8xi32>, vector<8xi32>)
// AVX2: scf.for {{.*}} -> (vector<16xi16>, vector<16xi16>, vector<16xi16>, vector<16xi16>)
// AVX2: memref.prefetch
// AVX2: vector.load %{{.*}} : memref<4x3x32xi8>, vector<32xi8>
// AVX2: arith.shrui %{{.*}}, %{{.*}} : vector<16xi16>
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// AVX2: arith.shrsi %{{.*}}, %{{.*}} : vector<8xi32>
// AVX2: vector.store %{{.*}} : memref<3x4x8xi32>, vector<8xi32>
// AVX2: tern.ternary_kernel = "avx2-pmaddubsw-tiled"
// AVX2-NOT: avx512

// The multiply-free AVX2 kernel: byte selects widened by shifts into one
// int16 sum per tile, blocks of 16 groups, verified multiply-free.
// SEL-LABEL: func.func @tiled
// SEL: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16 iter_args
// SEL: arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<32xi1>, vector<32xi8>
// SEL: arith.shli %{{.*}}, %{{.*}} : vector<16xi16>
// SEL-NOT: llvm.call_intrinsic
// SEL: tern.ternary_accumulation, tern.ternary_kernel = "avx2-select-tiled"

// The machine code: vpmaddubsw/vpmaddwd on ymm, nothing 512-bit.
// ASM-LABEL: tiled:
// ASM-DAG: vpmaddubsw {{.*}}ymm
// ASM-DAG: vpmaddwd {{.*}}ymm
module attributes {tern.target = #znver3} {
func.func @tiled(%x: tensor<3x40xi8>) -> tensor<3x32xi32> attributes {llvm.emit_c_interface} {
  %cst = arith.constant dense<0.5> : tensor<32x40xf32>
  %w = tern.weight_quant %cst : tensor<32x40xf32> -> !tern.ternary<32x40>
  %y = tern.tmatmul %x, %w : tensor<3x40xi8>, !tern.ternary<32x40> -> tensor<3x32xi32>
  return %y : tensor<3x32xi32>
}
}
