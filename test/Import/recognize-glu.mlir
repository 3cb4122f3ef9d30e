// RUN: tern-opt %s -split-input-file --tern-onnx-recognize-glu | FileCheck %s
// RUN: tern-opt %s -split-input-file --tern-onnx-recognize-glu=report \
// RUN:   --mlir-print-op-on-diagnostic=false 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// BL_d(SiLU(gate) * up) with [gate, up] = Split(BL_gu(x)) on the last axis.
// REPORT: remark: GLU fused at tern.bitlinear: gate_up 12 channels
// CHECK-LABEL: func.func @glu(
// CHECK-SAME:    %[[X:.*]]: tensor<2x8xf32>, %[[WGU:.*]]: tensor<12x8xf32>, %[[N:.*]]: tensor<8xf32>, %[[WD:.*]]: tensor<8x6xf32>)
// CHECK:         %[[Y:.*]] = tern.glu %[[X]] gate_up %[[WGU]] norm %[[N]] down %[[WD]]
// CHECK-NEXT:    return %[[Y]]
func.func @glu(%x: tensor<2x8xf32>, %wgu: tensor<12x8xf32>, %n: tensor<8xf32>, %wd: tensor<8x6xf32>) -> tensor<2x8xf32> {
  %gu = tern.bitlinear %x, %wgu norm %n : tensor<2x8xf32>, tensor<12x8xf32>, tensor<8xf32> -> tensor<2x12xf32>
  %c = arith.constant dense<[6, 6]> : tensor<2xi64>
  %g:2 = onnx.node "Split"(%gu, %c) {onnx_attrs = {axis = -1 : i64}, opset = 17 : i64} : (tensor<2x12xf32>, tensor<2xi64>) -> (tensor<2x6xf32>, tensor<2x6xf32>)
  %s = onnx.node "Sigmoid"(%g#0) {opset = 17 : i64} : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %silu = onnx.node "Mul"(%s, %g#0) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  %m = onnx.node "Mul"(%g#1, %silu) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  %y = tern.bitlinear %m, %wd : tensor<2x6xf32>, tensor<8x6xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Near miss: SiLU is applied to the second half (up), not the gate.
// REPORT: remark: GLU not fused at tern.bitlinear: gate and up are not the two halves of one projection's last axis
// CHECK-LABEL: func.func @swapped(
// CHECK-NOT:     tern.glu
// CHECK:         tern.bitlinear
// CHECK:         onnx.node "Split"
// CHECK:         tern.bitlinear
func.func @swapped(%x: tensor<2x8xf32>, %wgu: tensor<12x8xf32>, %wd: tensor<8x6xf32>) -> tensor<2x8xf32> {
  %gu = tern.bitlinear %x, %wgu : tensor<2x8xf32>, tensor<12x8xf32> -> tensor<2x12xf32>
  %g:2 = onnx.node "Split"(%gu) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<2x12xf32>) -> (tensor<2x6xf32>, tensor<2x6xf32>)
  %s = onnx.node "Sigmoid"(%g#1) {opset = 17 : i64} : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %silu = onnx.node "Mul"(%g#1, %s) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  %m = onnx.node "Mul"(%silu, %g#0) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  %y = tern.bitlinear %m, %wd : tensor<2x6xf32>, tensor<8x6xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Near miss: the two projections quantize activations to different widths.
// REPORT: remark: GLU not fused at tern.bitlinear: the two BitLinears differ in eps or act_bits
// CHECK-LABEL: func.func @bits(
// CHECK-NOT:     tern.glu
func.func @bits(%x: tensor<2x8xf32>, %wgu: tensor<12x8xf32>, %wd: tensor<8x6xf32>) -> tensor<2x8xf32> {
  %gu = tern.bitlinear %x, %wgu {act_bits = 4 : i32} : tensor<2x8xf32>, tensor<12x8xf32> -> tensor<2x12xf32>
  %g:2 = onnx.node "Split"(%gu) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<2x12xf32>) -> (tensor<2x6xf32>, tensor<2x6xf32>)
  %s = onnx.node "Sigmoid"(%g#0) {opset = 17 : i64} : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %silu = onnx.node "Mul"(%g#0, %s) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  %m = onnx.node "Mul"(%silu, %g#1) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  %y = tern.bitlinear %m, %wd : tensor<2x6xf32>, tensor<8x6xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// No BitLinear fused (plain MatMuls): the GLU is still a candidate in the report.
// REPORT: remark: {{.*}}GLU not fused at node 'glu_mul' (Mul, domain 'ai.onnx'): the gate_up projection is not a recognized BitLinear
// CHECK-LABEL: func.func @no_bitlinear(
// CHECK-NOT:     tern.glu
func.func @no_bitlinear(%x: tensor<2x8xf32>, %wgu: tensor<8x12xf32>, %wd: tensor<6x8xf32>) -> tensor<2x8xf32> {
  %gu = onnx.node "MatMul"(%x, %wgu) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<8x12xf32>) -> tensor<2x12xf32>
  %g:2 = onnx.node "Split"(%gu) {onnx_attrs = {axis = -1 : i64}, opset = 17 : i64} : (tensor<2x12xf32>) -> (tensor<2x6xf32>, tensor<2x6xf32>)
  %s = onnx.node "Sigmoid"(%g#0) {opset = 17 : i64} : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %silu = onnx.node "Mul"(%g#0, %s) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  %m = onnx.node "Mul"(%silu, %g#1) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xf32> loc("glu_mul")
  %y = onnx.node "MatMul"(%m, %wd) {opset = 17 : i64} : (tensor<2x6xf32>, tensor<6x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
