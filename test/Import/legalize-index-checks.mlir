// RUN: tern-opt %s -split-input-file --tern-onnx-legalize=index-checks=true | FileCheck %s
// RUN: tern-opt %s -split-input-file --tern-onnx-legalize | FileCheck %s --check-prefix=OFF

// Run-time indices are scanned before the gather; a bad one is reported to
// the runtime with the node's name, the index and the axis size.
// CHECK-DAG:     memref.global "private" constant @tern_rt_index_check{{.*}} : memref<{{[0-9]+}}xi8> = dense<
// CHECK-DAG:     func.func private @tern_rt_index_error(memref<?xi8>, i64, i64)
// CHECK-LABEL: func.func @gather(
// CHECK-SAME:    %[[T:.*]]: tensor<10x8xf32>, %[[I:.*]]: tensor<2xi64>)
// CHECK-DAG:     %[[LO:.*]] = arith.constant -10 : i64
// CHECK-DAG:     %[[HI:.*]] = arith.constant 10 : i64
// CHECK:         scf.for %[[J:.*]] =
// CHECK:           %[[K:.*]] = tensor.extract %[[I]][%[[J]]]
// CHECK:           %[[BELOW:.*]] = arith.cmpi slt, %[[K]], %[[LO]]
// CHECK:           %[[ABOVE:.*]] = arith.cmpi sge, %[[K]], %[[HI]]
// CHECK:           %[[BAD:.*]] = arith.ori %[[BELOW]], %[[ABOVE]]
// CHECK:           scf.if %[[BAD]] {
// CHECK:             func.call @tern_rt_index_error(%{{.*}}, %[[K]], %[[HI]])
// CHECK:         linalg.generic
// OFF-LABEL: func.func @gather(
// OFF-NOT:     tern_rt_index_error
func.func @gather(%t: tensor<10x8xf32>, %i: tensor<2xi64>) -> tensor<2x8xf32> {
  %0 = onnx.node "Gather"(%t, %i) {onnx_attrs = {axis = 0 : i64}, opset = 17 : i64} : (tensor<10x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// GatherElements: every index of the [2, 2] index tensor (two loops), i32 widened.
// CHECK-LABEL: func.func @gather_elements(
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             arith.extsi %{{.*}} : i32 to i64
// CHECK:             func.call @tern_rt_index_error
func.func @gather_elements(%x: tensor<2x3xf32>, %i: tensor<2x2xi32>) -> tensor<2x2xf32> {
  %0 = onnx.node "GatherElements"(%x, %i) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<2x3xf32>, tensor<2x2xi32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Constant indices in range need no run-time check.
// CHECK-LABEL: func.func @gather_const(
// CHECK-NOT:     tern_rt_index_error
// CHECK:         tensor.extract_slice
func.func @gather_const(%s: tensor<3x2x8xf32>) -> tensor<2x8xf32> {
  %k = arith.constant dense<-3> : tensor<i64>
  %0 = onnx.node "Gather"(%s, %k) {opset = 17 : i64} : (tensor<3x2x8xf32>, tensor<i64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
