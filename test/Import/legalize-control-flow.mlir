// RUN: tern-opt %s -split-input-file --tern-onnx-legalize | FileCheck %s

// Scan: an scf.for over the sequence; each step's output is inserted at its
// position, then the state is copied into its iteration argument (bufferizes
// in place; after the insertion, which may read the old state).
// CHECK-LABEL: func.func @scan_sum(
// CHECK-SAME:    %[[H0:.*]]: tensor<2xf32>, %[[XS:.*]]: tensor<3x2xf32>)
// CHECK:         %[[R:.*]]:2 = scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[H:.*]] = %[[H0]], %[[ACC:.*]] = %{{.*}}) -> (tensor<2xf32>, tensor<3x2xf32>)
// CHECK:           %[[X:.*]] = tensor.extract_slice %[[XS]][%[[I]], 0] [1, 2] [1, 1]
// CHECK:           arith.addf
// CHECK:           %[[INS:.*]] = tensor.insert_slice %{{.*}} into %[[ACC]][%[[I]], 0] [1, 2] [1, 1]
// CHECK:           %[[NEXT:.*]] = linalg.copy ins(%{{.*}} : tensor<2xf32>) outs(%[[H]] : tensor<2xf32>)
// CHECK:           scf.yield %[[NEXT]], %[[INS]]
// CHECK:         return %[[R]]#0, %[[R]]#1
func.func @scan_sum(%h0: tensor<2xf32>, %xs: tensor<3x2xf32>) -> (tensor<2xf32>, tensor<3x2xf32>) {
  %r:2 = onnx.node "Scan"(%h0, %xs) {graph_names = ["body"], onnx_attrs = {num_scan_inputs = 1 : i64}, opset = 17 : i64}
      : (tensor<2xf32>, tensor<3x2xf32>) -> (tensor<2xf32>, tensor<3x2xf32>) {
  ^bb0(%h: tensor<2xf32>, %x: tensor<2xf32>):
    %s = onnx.node "Add"(%h, %x) {opset = 17 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    onnx.yield %s, %s : tensor<2xf32>, tensor<2xf32>
  }
  return %r#0, %r#1 : tensor<2xf32>, tensor<3x2xf32>
}

// -----

// If: scf.if on the extracted condition, both branches inlined.
// CHECK-LABEL: func.func @if(
// CHECK:         %[[C:.*]] = tensor.extract %{{.*}}[] : tensor<i1>
// CHECK:         scf.if %[[C]] -> (tensor<2xf32>) {
// CHECK:           arith.addf
// CHECK:         } else {
// CHECK:           arith.subf
func.func @if(%c: tensor<i1>, %x: tensor<2xf32>) -> tensor<2xf32> {
  %r = onnx.node "If"(%c) {graph_names = ["then_branch", "else_branch"], opset = 17 : i64} : (tensor<i1>) -> tensor<2xf32> {
    %a = onnx.node "Add"(%x, %x) {opset = 17 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    onnx.yield %a : tensor<2xf32>
  }, {
    %b = onnx.node "Sub"(%x, %x) {opset = 17 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    onnx.yield %b : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}
