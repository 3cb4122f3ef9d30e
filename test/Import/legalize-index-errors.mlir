// RUN: tern-opt %s -split-input-file --tern-onnx-legalize -verify-diagnostics

// Constant indices outside [-dim, dim) are an error (ONNX), not a clamp.
func.func @gather_const_out_of_range(%s: tensor<2x3xf32>) -> tensor<1x3xf32> {
  %k = arith.constant dense<[1000000]> : tensor<1xi64>
  // expected-error @+1 {{index 1000000 is out of range for an axis of size 2 (valid: -2 to 1)}}
  %0 = onnx.node "Gather"(%s, %k) {opset = 17 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

func.func @gather_elements_const_negative(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %k = arith.constant dense<[[0], [-4]]> : tensor<2x1xi64>
  // expected-error @+1 {{index -4 is out of range for an axis of size 3 (valid: -3 to 2)}}
  %0 = onnx.node "GatherElements"(%x, %k) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<2x3xf32>, tensor<2x1xi64>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}
