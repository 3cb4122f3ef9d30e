// RUN: tern-opt %s --tern-cuda-prepare -split-input-file | FileCheck %s

// The CUDA backend's prepare pipeline keeps tmatmul and act_quant (the
// emitter's kernels) and fuses the rescale after a tmatmul into one
// element-wise generic: the GEMV epilogue.

// CHECK-LABEL: func.func @bitlinear
// CHECK: %[[W:.*]] = tern.constant #tern.ternary<3x4, scale =
// CHECK: %[[N:.*]] = tern.rmsnorm %arg0 weight
// CHECK: %[[Q:.*]], %[[S:.*]] = tern.act_quant %[[N]]
// CHECK: %[[ACC:.*]] = tern.tmatmul %[[Q]], %[[W]]
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %[[S]] : tensor<2x3xi32>, tensor<2x1xf32>)
// CHECK: arith.sitofp
// CHECK: arith.divf
// CHECK: return %[[Y]]
func.func @bitlinear(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 0.0, 0.2], [2.0, 0.1, -0.3, 1.0], [0.0, 0.0, 1.0, -1.0]]> : tensor<3x4xf32>
  %g = arith.constant dense<[1.0, 2.0, 0.5, 1.0]> : tensor<4xf32>
  %y = tern.bitlinear %x, %w norm %g : tensor<2x4xf32>, tensor<3x4xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// The residual add after a BitLinear fuses into the same epilogue.
// CHECK-LABEL: func.func @residual
// CHECK: %[[ACC:.*]] = tern.tmatmul
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %arg0 :
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @residual(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = tern.constant #tern.ternary<4x4, scale = 2.0, [1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %y = tern.bitlinear %x, %w : tensor<1x4xf32>, !tern.ternary<4x4> -> tensor<1x4xf32>
  %e = tensor.empty() : tensor<1x4xf32>
  %r = linalg.add ins(%y, %x : tensor<1x4xf32>, tensor<1x4xf32>) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
