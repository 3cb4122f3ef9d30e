// RUN: tern-opt %s -split-input-file --tern-onnx-legalize | FileCheck %s

// float64 scalar constants with Cast, as torch.onnx.export writes them
// without constant folding: f64 math, then a truncation to f32.
// CHECK-LABEL: func.func @cast_f64(
// CHECK-SAME:    %[[X:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK:         arith.constant dense<1.000000e-08> : tensor<f64>
// CHECK:         linalg.generic
// CHECK:           arith.truncf %{{.*}} : f64 to f32
// CHECK:         linalg.generic
// CHECK:           arith.addf %{{.*}}, %{{.*}} : f32
func.func @cast_f64(%x: tensor<4xf32>) -> tensor<4xf32> {
  %eps = arith.constant dense<1.0e-8> : tensor<f64>
  %0 = onnx.node "Cast"(%eps) {opset = 17 : i64, to = 1 : i64} : (tensor<f64>) -> tensor<f32>
  %1 = onnx.node "Add"(%x, %0) {opset = 17 : i64} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// f64 and f16 tensors compute in their own type; casts extend or truncate.
// CHECK-LABEL: func.func @f64_f16(
// CHECK:           arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK:           arith.truncf %{{.*}} : f64 to f16
// CHECK:           arith.maximumf %{{.*}}, %{{.*}} : f16
// CHECK:           arith.extf %{{.*}} : f16 to f32
func.func @f64_f16(%x: tensor<3xf64>, %h: tensor<3xf16>) -> tensor<3xf32> {
  %0 = onnx.node "Mul"(%x, %x) {opset = 17 : i64} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
  %1 = onnx.node "Cast"(%0) {opset = 17 : i64, to = 10 : i64} : (tensor<3xf64>) -> tensor<3xf16>
  %2 = onnx.node "Max"(%1, %h) {opset = 13 : i64} : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  %3 = onnx.node "Cast"(%2) {opset = 17 : i64, to = 1 : i64} : (tensor<3xf16>) -> tensor<3xf32>
  return %3 : tensor<3xf32>
}

// -----

// Unsigned tensors compute as signless integers with unsigned ops; the
// signature keeps `tern.unsigned` for the C ABI and no bitcast is left.
// CHECK-LABEL: func.func @uint8_div_max(
// CHECK-SAME:    %{{.*}}: tensor<4xi8> {tern.unsigned}, %{{.*}}: tensor<4xi8> {tern.unsigned})
// CHECK-SAME:    -> (tensor<4xi8> {tern.unsigned})
// CHECK-NOT:     tensor.bitcast
// CHECK:           arith.divui
// CHECK:           arith.maxui
// CHECK-NOT:     tensor.bitcast
func.func @uint8_div_max(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %0 = onnx.node "Div"(%a, %b) {opset = 14 : i64} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %1 = onnx.node "Max"(%0, %b) {opset = 13 : i64} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %1 : tensor<4xui8>
}

// -----

// Comparisons and remainders are unsigned; Cast from unsigned zero-extends
// and converts with uitofp; to unsigned with fptoui.
// CHECK-LABEL: func.func @uint16_ops(
// CHECK:           arith.cmpi ult
// CHECK:           arith.remui
// CHECK:           arith.uitofp %{{.*}} : i16 to f32
// CHECK:           arith.extui %{{.*}} : i16 to i64
// CHECK:           arith.fptoui %{{.*}} : f32 to i8
func.func @uint16_ops(%a: tensor<2xui16>, %b: tensor<2xui16>, %f: tensor<2xf32>)
    -> (tensor<2xi1>, tensor<2xui16>, tensor<2xf32>, tensor<2xi64>, tensor<2xui8>) {
  %0 = onnx.node "Less"(%a, %b) {opset = 13 : i64} : (tensor<2xui16>, tensor<2xui16>) -> tensor<2xi1>
  %1 = onnx.node "Mod"(%a, %b) {opset = 13 : i64} : (tensor<2xui16>, tensor<2xui16>) -> tensor<2xui16>
  %2 = onnx.node "Cast"(%a) {opset = 13 : i64, to = 1 : i64} : (tensor<2xui16>) -> tensor<2xf32>
  %3 = onnx.node "Cast"(%a) {opset = 13 : i64, to = 7 : i64} : (tensor<2xui16>) -> tensor<2xi64>
  %4 = onnx.node "Cast"(%f) {opset = 13 : i64, to = 2 : i64} : (tensor<2xf32>) -> tensor<2xui8>
  return %0, %1, %2, %3, %4 : tensor<2xi1>, tensor<2xui16>, tensor<2xf32>, tensor<2xi64>, tensor<2xui8>
}

// -----

// A uint8 constant (initializer) becomes a signless constant of the same bits;
// DequantizeLinear zero-extends x and the zero point.
// CHECK-LABEL: func.func @dequantize_uint8(
// CHECK:         arith.constant dense<-128> : tensor<i8>
// CHECK:           arith.extui %{{.*}} : i8 to i32
// CHECK:           arith.extui %{{.*}} : i8 to i32
// CHECK:           arith.subi
func.func @dequantize_uint8(%x: tensor<4xui8>) -> tensor<4xf32> {
  %s = arith.constant dense<2.0> : tensor<f32>
  %z = arith.constant dense<128> : tensor<ui8>
  %0 = onnx.node "DequantizeLinear"(%x, %s, %z) {opset = 13 : i64} : (tensor<4xui8>, tensor<f32>, tensor<ui8>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A float power with an unsigned exponent converts it with uitofp; int16
// arithmetic stays signed.
// CHECK-LABEL: func.func @pow_uint32_int16(
// CHECK:           arith.uitofp %{{.*}} : i32 to f32
// CHECK:           math.powf
// CHECK:           arith.divsi %{{.*}}, %{{.*}} : i16
func.func @pow_uint32_int16(%x: tensor<3xf32>, %e: tensor<3xui32>, %a: tensor<3xi16>) -> (tensor<3xf32>, tensor<3xi16>) {
  %0 = onnx.node "Pow"(%x, %e) {opset = 15 : i64} : (tensor<3xf32>, tensor<3xui32>) -> tensor<3xf32>
  %1 = onnx.node "Div"(%a, %a) {opset = 14 : i64} : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  return %0, %1 : tensor<3xf32>, tensor<3xi16>
}
