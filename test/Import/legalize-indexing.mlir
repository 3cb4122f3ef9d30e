// RUN: tern-opt %s -split-input-file --tern-onnx-legalize | FileCheck %s

// Gather with run-time indices: negative indices count from the end.
// CHECK-LABEL: func.func @gather(
// CHECK-SAME:    %[[T:.*]]: tensor<10x8xf32>, %[[I:.*]]: tensor<2xi64>)
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<2x8xf32>)
// CHECK:           %[[K:.*]] = tensor.extract %[[I]]
// CHECK:           arith.cmpi slt, %[[K]]
// CHECK:           arith.addi
// CHECK:           arith.index_cast
// CHECK:           tensor.extract %[[T]]
func.func @gather(%t: tensor<10x8xf32>, %i: tensor<2xi64>) -> tensor<2x8xf32> {
  %0 = onnx.node "Gather"(%t, %i) {onnx_attrs = {axis = 0 : i64}, opset = 17 : i64} : (tensor<10x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// A constant scalar index (e.g. one layer's state) is a slice.
// CHECK-LABEL: func.func @gather_const(
// CHECK:         %[[S:.*]] = tensor.extract_slice %{{.*}}[1, 0, 0] [1, 2, 8] [1, 1, 1] : tensor<3x2x8xf32> to tensor<1x2x8xf32>
// CHECK:         tensor.collapse_shape %[[S]] {{\[\[}}0, 1], [2]] : tensor<1x2x8xf32> into tensor<2x8xf32>
func.func @gather_const(%s: tensor<3x2x8xf32>) -> tensor<2x8xf32> {
  %k = arith.constant dense<-2> : tensor<i64>
  %0 = onnx.node "Gather"(%s, %k) {opset = 17 : i64} : (tensor<3x2x8xf32>, tensor<i64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
