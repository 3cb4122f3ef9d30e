// RUN: tern-opt %s --tern-cuda-split-glu | FileCheck %s
// RUN: tern-opt %s --tern-cuda-prepare | FileCheck %s --check-prefix=PREP

// A GLU with constant weights: gate and up BitLinears over the same input
// (rows 0..I-1 and I..2I-1 of W_gu, W_gu's scale on both), SiLU(gate) * up,
// then the down BitLinear.

// CHECK-LABEL: func.func @glu
// CHECK-DAG: %[[G:.*]] = tern.constant #tern.ternary<2x4, scale = 3.000000e+00, [1, 0, -1, 0, 1, 1, 0, 0]>
// CHECK-DAG: %[[U:.*]] = tern.constant #tern.ternary<2x4, scale = 3.000000e+00, [-1, -1, 1, 0, 0, 0, 0, 1]>
// CHECK: %[[GATE:.*]] = tern.bitlinear %arg0, %[[G]] norm %[[N:.*]] {{.*}} -> tensor<1x2xf32>
// CHECK: %[[UP:.*]] = tern.bitlinear %arg0, %[[U]] norm %[[N]] {{.*}} -> tensor<1x2xf32>
// CHECK: %[[H:.*]] = linalg.generic {{.*}} ins(%[[GATE]], %[[UP]] :
// CHECK: tern.bitlinear %[[H]], %{{.*}} : tensor<1x2xf32>, !tern.ternary<4x2> -> tensor<1x4xf32>
// CHECK-NOT: tern.glu

// After the prepare pipeline both halves share one quantization and one
// epilogue generic over two tmatmuls.
// PREP-LABEL: func.func @glu
// PREP: %[[Q:.*]], %[[S:.*]] = tern.act_quant
// PREP: %[[A:.*]] = tern.tmatmul %[[Q]], %{{.*}} : {{.*}} -> tensor<1x2xi32>
// PREP: %[[B:.*]] = tern.tmatmul %[[Q]], %{{.*}} : {{.*}} -> tensor<1x2xi32>
// PREP: linalg.generic {{.*}} ins(%[[A]], %[[S]], %[[B]] :
// PREP-NOT: tensor.extract_slice
func.func @glu(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %gu = tern.constant #tern.ternary<4x4, scale = 3.0, [1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %d = tern.constant #tern.ternary<4x2, scale = 2.0, [1, -1, 0, 1, -1, 0, 1, 1]>
  %n = arith.constant dense<[1.0, 2.0, 0.5, 1.0]> : tensor<4xf32>
  %y = tern.glu %x gate_up %gu norm %n down %d : (tensor<1x4xf32>, !tern.ternary<4x4>, tensor<4xf32>, !tern.ternary<4x2>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
