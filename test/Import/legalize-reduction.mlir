// RUN: tern-opt %s -split-input-file --tern-onnx-legalize | FileCheck %s

// ReduceMean over the last axis (axes as input, opset 18) with keepdims.
// CHECK-LABEL: func.func @reduce_mean(
// CHECK:         %[[S:.*]] = linalg.reduce ins(%{{.*}} : tensor<2x6xf32>) outs(%{{.*}} : tensor<2xf32>) dimensions = [1]
// CHECK:           arith.addf
// CHECK:         linalg.generic
// CHECK:           arith.divf
// CHECK:         tensor.expand_shape {{.*}} into tensor<2x1xf32>
func.func @reduce_mean(%x: tensor<2x6xf32>) -> tensor<2x1xf32> {
  %axes = arith.constant dense<[-1]> : tensor<1xi64>
  %0 = onnx.node "ReduceMean"(%x, %axes) {opset = 18 : i64} : (tensor<2x6xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// ReduceMax over every axis (no axes), keepdims = 0: -inf start, maximumf.
// CHECK-LABEL: func.func @reduce_max_all(
// CHECK:         %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         linalg.fill ins(%[[NINF]] : f32)
// CHECK:         linalg.reduce ins(%{{.*}} : tensor<2x6xf32>) outs(%{{.*}} : tensor<f32>) dimensions = [0, 1]
// CHECK:           arith.maximumf
func.func @reduce_max_all(%x: tensor<2x6xf32>) -> tensor<f32> {
  %0 = onnx.node "ReduceMax"(%x) {onnx_attrs = {keepdims = 0 : i64}, opset = 17 : i64} : (tensor<2x6xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Softmax: max-shifted exponentials over one axis, then a real division.
// CHECK-LABEL: func.func @softmax(
// CHECK:         linalg.reduce {{.*}} dimensions = [1]
// CHECK:           arith.maximumf
// CHECK:         arith.subf
// CHECK:         math.exp
// CHECK:         linalg.reduce {{.*}} dimensions = [1]
// CHECK:           arith.addf
// CHECK:         arith.divf
func.func @softmax(%x: tensor<2x6xf32>) -> tensor<2x6xf32> {
  %0 = onnx.node "Softmax"(%x) {onnx_attrs = {axis = -1 : i64}, opset = 13 : i64} : (tensor<2x6xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

// ArgMax: a value/index reduction over the axis, first maximum wins.
// CHECK-LABEL: func.func @argmax(
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:           linalg.index 1
// CHECK:           arith.cmpf ogt
// CHECK:         tensor.expand_shape {{.*}} into tensor<2x1xi64>
func.func @argmax(%x: tensor<2x6xf32>) -> tensor<2x1xi64> {
  %0 = onnx.node "ArgMax"(%x) {onnx_attrs = {axis = 1 : i64}, opset = 13 : i64} : (tensor<2x6xf32>) -> tensor<2x1xi64>
  return %0 : tensor<2x1xi64>
}
