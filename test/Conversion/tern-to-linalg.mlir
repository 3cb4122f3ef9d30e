// RUN: tern-opt %s -split-input-file -tern-convert-to-linalg | FileCheck %s

// RMSNorm: a sum-of-squares reduction over the last axis, then one map
// x / sqrt(sum / K + eps) * w.
// CHECK-LABEL: func.func @rmsnorm
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[G:.*]]: tensor<8xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<2x8xf32>) outs(%{{.*}} : tensor<2xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: %[[SUM1:.*]] = tensor.expand_shape %[[SUM]] {{.*}} into tensor<2x1xf32>
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[SUM1]], %[[G]] : tensor<2x8xf32>, tensor<2x1xf32>, tensor<8xf32>)
// CHECK:   %[[MS:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK:   %[[V:.*]] = arith.addf %[[MS]], %{{.*}} : f32
// CHECK:   %[[R:.*]] = math.sqrt %[[V]] : f32
// CHECK:   %[[N:.*]] = arith.divf %{{.*}}, %[[R]] : f32
// CHECK:   arith.mulf %[[N]], %{{.*}} : f32
// CHECK-NOT: tern.rmsnorm
func.func @rmsnorm(%x: tensor<2x8xf32>, %g: tensor<8xf32>) -> tensor<2x8xf32> {
  %y = tern.rmsnorm %x weight %g {eps = 1.0e-5 : f32} : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// act_quant with 4 bits: s = 7 / max(max|x|, 1e-5), q in [-8, 7].
// CHECK-LABEL: func.func @act_quant
// CHECK-DAG: %[[QMIN:.*]] = arith.constant -8.000000e+00 : f32
// CHECK-DAG: %[[QMAX:.*]] = arith.constant 7.000000e+00 : f32
// CHECK-DAG: %[[FLOOR:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   math.absf
// CHECK:   arith.maximumf
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<3x2x1xf32>) outs(%{{.*}} : tensor<3x2x1xf32>)
// CHECK:   %[[M:.*]] = arith.maximumf %{{.*}}, %[[FLOOR]] : f32
// CHECK:   arith.divf %[[QMAX]], %[[M]] : f32
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[S]] : tensor<3x2x5xf32>, tensor<3x2x1xf32>) outs(%{{.*}} : tensor<3x2x5xi8>)
// CHECK:   %[[R:.*]] = math.roundeven
// CHECK:   %[[LO:.*]] = arith.maxnumf %[[R]], %[[QMIN]] : f32
// CHECK:   %[[HI:.*]] = arith.minnumf %[[LO]], %[[QMAX]] : f32
// CHECK:   arith.fptosi %[[HI]] : f32 to i8
// CHECK: return %[[Q]], %[[S]]
func.func @act_quant(%x: tensor<3x2x5xf32>) -> (tensor<3x2x5xi8>, tensor<3x2x1xf32>) {
  %q, %s = tern.act_quant %x {bits = 4 : i32} : tensor<3x2x5xf32> -> tensor<3x2x5xi8>, tensor<3x2x1xf32>
  return %q, %s : tensor<3x2x5xi8>, tensor<3x2x1xf32>
}
