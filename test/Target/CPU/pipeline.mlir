// RUN: tern-opt %s --tern-cpu-pipeline | FileCheck %s
// RUN: tern-opt %s --tern-cpu-to-linalg -tern-verify-no-multiply=expect-at-least=1 | FileCheck %s --check-prefix=LINALG
// RUN: not tern-opt %s --tern-cpu-pipeline=ternary-kernel=simd 2>&1 | FileCheck %s --check-prefix=BADKERNEL
// BADKERNEL: error: unknown ternary kernel 'simd' (auto, portable, select, vnni, vnni-base3, avxvnni, lut, avx2, avx2-select, sdot, neon)
// RUN: not tern-opt %s -tern-verify-no-multiply=expect-at-least=1 2>&1 | FileCheck %s --check-prefix=COUNT

// The whole CPU pipeline takes a BitLinear with latent constant weights to
// the LLVM dialect; the middle stage holds packed weights and one verified
// multiply-free kernel.

// COUNT: expected at least 1 ternary accumulations, found 0

// LINALG-LABEL: func.func @layer
// LINALG-NOT: tern.
// LINALG: arith.constant dense_resource<{{.*}}> : tensor<4xi8>
// LINALG: tensor.expand_shape {{.*}} : tensor<4xi8> into tensor<2x2x1xi8>
// LINALG: attrs = {tern.group_bytes = {{[0-9]+}} : i64, tern.ternary_accumulation}
// LINALG-NOT: tern.

// CHECK: llvm.mlir.global private constant {{.*}}dense_resource<{{.*}}> : tensor<4xi8>
// CHECK: llvm.func @layer(
// CHECK-NOT: tern.
// CHECK-NOT: linalg.
// CHECK: llvm.func @_mlir_ciface_layer(
func.func @layer(%x: tensor<3x5xf32>) -> tensor<3x2xf32> attributes {llvm.emit_c_interface} {
  %w = arith.constant dense<[[0.5, -1.0, 0.0, 0.2, 0.3], [2.0, 0.1, -0.3, 1.0, 1.0]]> : tensor<2x5xf32>
  %g = arith.constant dense<[1.0, 2.0, 0.5, 1.0, 1.0]> : tensor<5xf32>
  %y = tern.bitlinear %x, %w norm %g : tensor<3x5xf32>, tensor<2x5xf32>, tensor<5xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
