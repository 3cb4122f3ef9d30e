// RUN: tern-opt %s -split-input-file --tern-onnx-legalize | FileCheck %s

// Reshape/Unsqueeze/Squeeze/Flatten are expand/collapse_shape, no copies.
// CHECK-LABEL: func.func @reshapes(
// CHECK:         tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [1, 6, 4] : tensor<6x4xf32> into tensor<1x6x4xf32>
func.func @reshapes(%x: tensor<2x3x4xf32>) -> tensor<1x6x4xf32> {
  %s = arith.constant dense<[6, -1]> : tensor<2xi64>
  %0 = onnx.node "Reshape"(%x, %s) {opset = 17 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %a = arith.constant dense<[0]> : tensor<1xi64>
  %1 = onnx.node "Unsqueeze"(%0, %a) {opset = 17 : i64} : (tensor<6x4xf32>, tensor<1xi64>) -> tensor<1x6x4xf32>
  return %1 : tensor<1x6x4xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_concat(
// CHECK:         %[[T:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x3xf32>) outs(%{{.*}} : tensor<3x2xf32>) permutation = [1, 0]
// CHECK:         tensor.concat dim(1) %[[T]], %{{.*}} : (tensor<3x2xf32>, tensor<3x4xf32>) -> tensor<3x6xf32>
func.func @transpose_concat(%x: tensor<2x3xf32>, %y: tensor<3x4xf32>) -> tensor<3x6xf32> {
  %t = onnx.node "Transpose"(%x) {opset = 17 : i64} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %c = onnx.node "Concat"(%t, %y) {onnx_attrs = {axis = -1 : i64}, opset = 17 : i64} : (tensor<3x2xf32>, tensor<3x4xf32>) -> tensor<3x6xf32>
  return %c : tensor<3x6xf32>
}

// -----

// Split into explicit sizes; positive-step Slice; both extract_slice.
// CHECK-LABEL: func.func @split_slice(
// CHECK:         tensor.extract_slice %{{.*}}[0, 0] [2, 2] [1, 1] : tensor<2x6xf32> to tensor<2x2xf32>
// CHECK:         tensor.extract_slice %{{.*}}[0, 2] [2, 4] [1, 1] : tensor<2x6xf32> to tensor<2x4xf32>
// CHECK:         %[[S:.*]] = tensor.extract_slice %{{.*}}[0, 1] [2, 3] [1, 2] : tensor<2x6xf32> to tensor<2x3xf32>
// CHECK:         tensor.extract_slice %[[S]][0, 0] [2, 2] [1, 1] : tensor<2x3xf32> to tensor<2x2xf32>
func.func @split_slice(%x: tensor<2x6xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>, tensor<2x2xf32>) {
  %sizes = arith.constant dense<[2, 4]> : tensor<2xi64>
  %a:2 = onnx.node "Split"(%x, %sizes) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x2xf32>, tensor<2x4xf32>)
  %st = arith.constant dense<[1]> : tensor<1xi64>
  %en = arith.constant dense<[9223372036854775807]> : tensor<1xi64>
  %ax = arith.constant dense<[-1]> : tensor<1xi64>
  %sp = arith.constant dense<[2]> : tensor<1xi64>
  %s = onnx.node "Slice"(%x, %st, %en, %ax, %sp) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3xf32>
  %e = arith.constant dense<[0]> : tensor<1xi64>
  %ee = arith.constant dense<[2]> : tensor<1xi64>
  %s2 = onnx.node "Slice"(%s, %e, %ee, %ax) {opset = 17 : i64} : (tensor<2x3xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x2xf32>
  return %a#0, %a#1, %s2 : tensor<2x2xf32>, tensor<2x4xf32>, tensor<2x2xf32>
}

// -----

// Negative steps read element by element.
// CHECK-LABEL: func.func @reverse(
// CHECK:         linalg.generic
// CHECK:           linalg.index 0
// CHECK:           tensor.extract
func.func @reverse(%x: tensor<5xf32>) -> tensor<5xf32> {
  %st = arith.constant dense<[-1]> : tensor<1xi64>
  %en = arith.constant dense<[-9223372036854775807]> : tensor<1xi64>
  %ax = arith.constant dense<[0]> : tensor<1xi64>
  %sp = arith.constant dense<[-1]> : tensor<1xi64>
  %s = onnx.node "Slice"(%x, %st, %en, %ax, %sp) {opset = 17 : i64} : (tensor<5xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xf32>
  return %s : tensor<5xf32>
}

// -----

// Expand broadcasts; constant Pad is tensor.pad.
// CHECK-LABEL: func.func @expand_pad(
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<1x3xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK:         tensor.pad %{{.*}} low[0, 1] high[0, 2]
func.func @expand_pad(%x: tensor<1x3xf32>) -> tensor<2x6xf32> {
  %shape = arith.constant dense<[2, 1]> : tensor<2xi64>
  %e = onnx.node "Expand"(%x, %shape) {opset = 17 : i64} : (tensor<1x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %pads = arith.constant dense<[0, 1, 0, 2]> : tensor<4xi64>
  %p = onnx.node "Pad"(%e, %pads) {opset = 17 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x6xf32>
  return %p : tensor<2x6xf32>
}
