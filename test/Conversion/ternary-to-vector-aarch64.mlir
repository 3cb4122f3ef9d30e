// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel -tern-fold-weight-quant -tern-ternary-to-arith \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -tern-ternary-to-vector | FileCheck %s

// AArch64 with dotprod (Neoverse N1): the sdot kernel on 16-row tiles, three
// accumulators (scale 1, 4, 16) per q register; only aarch64 intrinsics.
// CHECK-LABEL: func.func @sdot
// CHECK-NOT: llvm.x86
// CHECK: vector.load %{{.*}} : memref<2x3x64xi8>, vector<64xi8>
// CHECK: arith.shrui %{{.*}}, %{{.*}} : vector<64xi8>
// CHECK: vector.extract_strided_slice %{{.*}} {offsets = [0], sizes = [16], strides = [1]} : vector<64xi8> to vector<16xi8>
// CHECK: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// CHECK-NOT: llvm.x86
// CHECK: tern.ternary_kernel = "sdot-tiled"
module attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "neoverse-n1",
                                              features = #llvm.target_features<["+dotprod", "+neon"]>>} {
func.func @sdot(%x: tensor<3x40xi8>) -> tensor<3x32xi32> attributes {llvm.emit_c_interface} {
  %cst = arith.constant dense<0.5> : tensor<32x40xf32>
  %w = tern.weight_quant %cst : tensor<32x40xf32> -> !tern.ternary<32x40>
  %y = tern.tmatmul %x, %w : tensor<3x40xi8>, !tern.ternary<32x40> -> tensor<3x32xi32>
  return %y : tensor<3x32xi32>
}
}

// -----

// armv8.0 (Cortex-A53, no dotprod): int16 multiply-accumulate of decoded
// codes in blocks of 32 groups, widened by pairwise adds; no intrinsic at all.
// CHECK-LABEL: func.func @neon
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32 iter_args({{.*}}) -> (vector<16xi32>)
// CHECK: arith.muli %{{.*}}, %{{.*}} : vector<64xi16>
// CHECK-NOT: llvm.call_intrinsic
// CHECK: tern.ternary_kernel = "neon-smlal-tiled"
module attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "cortex-a53",
                                              features = #llvm.target_features<["+neon"]>>} {
func.func @neon(%x: tensor<3x40xi8>) -> tensor<3x32xi32> attributes {llvm.emit_c_interface} {
  %cst = arith.constant dense<0.5> : tensor<32x40xf32>
  %w = tern.weight_quant %cst : tensor<32x40xf32> -> !tern.ternary<32x40>
  %y = tern.tmatmul %x, %w : tensor<3x40xi8>, !tern.ternary<32x40> -> tensor<3x32xi32>
  return %y : tensor<3x32xi32>
}
}
