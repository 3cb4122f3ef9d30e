// UNSUPPORTED: cuda-gpu
// RUN: not ternc run %s --target=cuda --quiet 2>&1 | FileCheck %s

// Without a GPU, `ternc run --target=cuda` says so and fails before compiling.
// CHECK: ternc: error: no CUDA GPU found ({{.*}}): `ternc run --target=cuda` needs an NVIDIA GPU
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  return %x : tensor<1x4xf32>
}
