// RUN: tern-opt %s -tern-fold-weight-quant | FileCheck %s

// Constant latent weights of every layer op fold to packed ternary constants;
// run-time ones stay as weight_quant.

// CHECK-LABEL: func.func @mixed
// CHECK-DAG: %[[E:.*]] = tern.constant #tern.ternary<2x2, scale = 1.33333337, [1, 1, -1, 0]>
// CHECK-DAG: %[[C:.*]] = tern.constant #tern.ternary<2x2, scale = 1.000000e+00, [1, -1, 0, 1]>
// CHECK: tern.bitlinear %{{.*}}, %[[C]]
// CHECK: %[[Q:.*]] = tern.weight_quant %{{.*}} : tensor<4x2xf32> -> !tern.ternary<4x2>
// CHECK: tern.glu %{{.*}} gate_up %[[Q]] down %[[E]]
// CHECK-NOT: arith.constant
func.func @mixed(%x: tensor<3x2xf32>, %wgu: tensor<4x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %c = arith.constant dense<[[1.0, -1.0], [0.4, 1.6]]> : tensor<2x2xf32>
  %e = arith.constant dense<[[1.0, 1.0], [-1.0, 0.0]]> : tensor<2x2xf32>
  %y = tern.bitlinear %x, %c : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
  %z = tern.glu %x gate_up %wgu down %e : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %y, %z : tensor<3x2xf32>, tensor<3x2xf32>
}
