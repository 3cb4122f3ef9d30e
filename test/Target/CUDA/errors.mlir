// RUN: tern-opt %s --tern-cuda-prepare -split-input-file | not tern-translate --tern-to-cuda -split-input-file 2>&1 | FileCheck %s

// Weights that are only known at run time cannot be packed for the GPU.
// CHECK: error: CUDA backend: weights must be constant (their quantization is folded at compile time)
func.func @main(%x: tensor<1x4xf32>, %w: tensor<3x4xf32>) -> tensor<1x3xf32> {
  %y = tern.bitlinear %x, %w : tensor<1x4xf32>, tensor<3x4xf32> -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// CHECK: error: input 0 must be a statically shaped tensor
func.func @main(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}
