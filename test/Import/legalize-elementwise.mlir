// RUN: tern-opt %s -split-input-file --tern-onnx-legalize | FileCheck %s

// Numpy broadcasting: a size-1 dim and a missing leading dim become constant
// and dropped indexing-map results; Div is a real division.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @div_broadcast(
// CHECK:         linalg.generic {indexing_maps = [#[[ROW]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK:           arith.divf
// CHECK-NOT:       arith.mulf
func.func @div_broadcast(%a: tensor<4xf32>, %b: tensor<3x1xf32>) -> tensor<3x4xf32> {
  %0 = onnx.node "Div"(%a, %b) {opset = 17 : i64} : (tensor<4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Round is half-to-even; Sigmoid is 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @round_sigmoid(
// CHECK:         math.roundeven
// CHECK:         arith.negf
// CHECK:         math.exp
// CHECK:         arith.addf
// CHECK:         arith.divf
func.func @round_sigmoid(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = onnx.node "Round"(%x) {opset = 17 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  %1 = onnx.node "Sigmoid"(%0) {opset = 17 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  return %1 : tensor<8xf32>
}

// -----

// Clip with scalar bounds: max then min, NaN-propagating.
// CHECK-LABEL: func.func @clip(
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<f32>, tensor<f32>)
// CHECK:           arith.maximumf
// CHECK:           arith.minimumf
func.func @clip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %lo = arith.constant dense<-1.0> : tensor<f32>
  %hi = arith.constant dense<1.0> : tensor<f32>
  %0 = onnx.node "Clip"(%x, %lo, %hi) {opset = 17 : i64} : (tensor<2x3xf32>, tensor<f32>, tensor<f32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Comparisons give i1, Where selects, Cast follows ONNX (float -> int truncates).
// CHECK-LABEL: func.func @where_cast(
// CHECK:         arith.cmpf olt
// CHECK:         arith.select
// CHECK:         arith.fptosi {{.*}} : f32 to i32
func.func @where_cast(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xi32> {
  %c = onnx.node "Less"(%x, %y) {opset = 17 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %w = onnx.node "Where"(%c, %x, %y) {opset = 17 : i64} : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %i = onnx.node "Cast"(%w) {onnx_attrs = {to = i32}, opset = 17 : i64} : (tensor<4xf32>) -> tensor<4xi32>
  return %i : tensor<4xi32>
}

// -----

// Pow by a constant 2 is a multiplication (exact, and right for negative bases).
// CHECK-LABEL: func.func @square(
// CHECK:         arith.mulf %[[A:.*]], %[[A]] : f32
// CHECK-NOT:     math.powf
func.func @square(%x: tensor<4xf32>) -> tensor<4xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %0 = onnx.node "Pow"(%x, %two) {opset = 17 : i64} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// DequantizeLinear: (q - zp) * scale, per tensor.
// CHECK-LABEL: func.func @dequantize(
// CHECK:         arith.extsi {{.*}} : i8 to i32
// CHECK:         arith.subi
// CHECK:         arith.sitofp {{.*}} : i32 to f32
// CHECK:         arith.mulf
func.func @dequantize(%q: tensor<3x4xi8>) -> tensor<3x4xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<1> : tensor<i8>
  %0 = onnx.node "DequantizeLinear"(%q, %s, %z) {opset = 17 : i64} : (tensor<3x4xi8>, tensor<f32>, tensor<i8>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Variadic Max over three inputs; integer Mod takes the divisor's sign.
// CHECK-LABEL: func.func @max3_mod(
// CHECK:         arith.maxsi
// CHECK:         arith.maxsi
// CHECK:         arith.remsi
// CHECK:         arith.select
func.func @max3_mod(%a: tensor<4xi64>, %b: tensor<4xi64>, %c: tensor<4xi64>) -> tensor<4xi64> {
  %m = onnx.node "Max"(%a, %b, %c) {opset = 17 : i64} : (tensor<4xi64>, tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %r = onnx.node "Mod"(%m, %c) {opset = 17 : i64} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %r : tensor<4xi64>
}
