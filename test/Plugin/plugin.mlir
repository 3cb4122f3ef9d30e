// The stock mlir-opt of the LLVM 22 packages loads Tern as a plugin: it parses
// and round-trips tern IR, and runs Tern passes.
// RUN: %stock_mlir_opt --load-dialect-plugin=%tern_plugin %s | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: %stock_mlir_opt --load-dialect-plugin=%tern_plugin %s | %stock_mlir_opt --load-dialect-plugin=%tern_plugin | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: %stock_mlir_opt --load-pass-plugin=%tern_plugin --load-dialect-plugin=%tern_plugin \
// RUN:   --pass-pipeline='builtin.module(func.func(tern-fold-weight-quant))' %s | FileCheck %s --check-prefix=PASS
// RUN: not %stock_mlir_opt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN

// ROUNDTRIP-LABEL: func.func @layer
// ROUNDTRIP: %[[W:.*]] = tern.constant #tern.ternary<2x4, scale = 5.000000e-01, [1, 0, -1, 1, 0, 0, 1, -1]>
// ROUNDTRIP: tern.bitlinear %{{.*}}, %[[W]] : tensor<3x4xf32>, !tern.ternary<2x4> -> tensor<3x2xf32>
// ROUNDTRIP: tern.bitlinear %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<2x4xf32> -> tensor<3x2xf32>

// PASS-LABEL: func.func @layer
// PASS: %[[F:.*]] = tern.constant #tern.ternary<2x4, scale = 1.000000e+00, [1, 1, 1, 1, -1, -1, -1, -1]>
// PASS: tern.bitlinear %{{.*}}, %[[F]]

// NOPLUGIN: Dialect `tern' not found
func.func @layer(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = tern.constant #tern.ternary<2x4, scale = 0.5, [1, 0, -1, 1, 0, 0, 1, -1]>
  %y = tern.bitlinear %x, %w : tensor<3x4xf32>, !tern.ternary<2x4> -> tensor<3x2xf32>
  %l = arith.constant dense<[[1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, -1.0, -1.0]]> : tensor<2x4xf32>
  %z = tern.bitlinear %x, %l : tensor<3x4xf32>, tensor<2x4xf32> -> tensor<3x2xf32>
  return %y, %z : tensor<3x2xf32>, tensor<3x2xf32>
}
