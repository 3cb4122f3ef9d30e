// RUN: tern-opt %s --tern-cpu-to-linalg --tern-hls-tile-ternary-matmul --tern-hls-externalize-weights='rom-threshold=4 top=tern_top' | FileCheck %s

func.func @main(%x: tensor<1x6xf32> {tern.name = "x"}) -> (tensor<1x4xf32> {tern.name = "y"}) {
  %w = tern.constant #tern.ternary<4x6, scale = 2.0, [1, 0, -1, 0, 1, 1,
                                                     0, 1, 1, -1, 0, 0,
                                                     -1, -1, 0, 1, 0, 1,
                                                     1, 0, 0, 0, -1, 1]>
  %g = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]> : tensor<6xf32>
  %y = tern.bitlinear %x, %w norm %g {act_bits = 8 : i32, eps = 1.0e-06 : f32}
      : tensor<1x6xf32>, !tern.ternary<4x6>, tensor<6xf32> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// The packed ternary weights and the norm weight (6 > rom-threshold = 4
// elements) become ports after the input; splats stay constants.
// CHECK-LABEL: func.func @tern_top(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x6xf32> {bufferization.writable = false, tern.name = "x"}
// CHECK-SAME: %[[G:[^:]*]]: tensor<6xf32> {bufferization.writable = false, tern.hls.weight = "w0", tern.hls.weight_data = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00]> : tensor<6xf32>, tern.hls.weight_layout = "row-major tensor<6xf32> little-endian"}
// CHECK-SAME: %[[W:[^:]*]]: tensor<4x2x1xi8> {bufferization.writable = false, tern.hls.weight = "w1", tern.hls.weight_data = dense_resource<tern_hls_packed> : tensor<4x2x1xi8>, tern.hls.weight_layout = "ternary codes uint8 [Nt=4][G=2][P=1]
// CHECK-SAME: attributes {tern.hls.num_inputs = 1 : i64, tern.hls.output_names = ["y"], tern.hls.top}
// CHECK-NOT: dense_resource<tern_hls_packed> : tensor
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[W]] : tensor<1x2x4xi8>, tensor<4x2x1xi8>)
