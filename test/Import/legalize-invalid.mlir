// RUN: tern-opt %s -split-input-file --tern-onnx-legalize -verify-diagnostics

func.func @unsupported(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{unnamed node (Conv, domain 'ai.onnx'): no lowering for this operator}}
  %0 = onnx.node "Conv"(%x) {opset = 17 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @bf16(%x: tensor<2xbf16>) -> tensor<2xbf16> {
  // expected-error @+1 {{unnamed node (Relu, domain 'ai.onnx'): type 'tensor<2xbf16>' is not supported}}
  %0 = onnx.node "Relu"(%x) {opset = 17 : i64} : (tensor<2xbf16>) -> tensor<2xbf16>
  return %0 : tensor<2xbf16>
}

// -----

// An op that would pick signed arith ops is refused on unsigned tensors.
func.func @uint8_reduce(%x: tensor<2x3xui8>) -> tensor<2x1xui8> {
  // expected-error @+1 {{unnamed node (ReduceMax, domain 'ai.onnx'): unsigned integer tensors (uint8/16/32/64) are not supported by this operator}}
  %0 = onnx.node "ReduceMax"(%x) {opset = 17 : i64, axes = [1]} : (tensor<2x3xui8>) -> tensor<2x1xui8>
  return %0 : tensor<2x1xui8>
}

// -----

func.func @custom_left(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{unnamed node (RMSNorm, domain 'tern'): custom-domain node left after recognition (run tern-onnx-recognize-custom-ops first)}}
  %0 = onnx.node "RMSNorm"(%x) {domain = "tern", opset = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @pad_mode(%x: tensor<2x3xf32>) -> tensor<2x5xf32> {
  %p = arith.constant dense<[0, 1, 0, 1]> : tensor<4xi64>
  // expected-error @+1 {{unnamed node (Pad, domain 'ai.onnx'): unsupported pad mode 'mirror'}}
  %0 = onnx.node "Pad"(%x, %p) {onnx_attrs = {mode = "mirror"}, opset = 17 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}
