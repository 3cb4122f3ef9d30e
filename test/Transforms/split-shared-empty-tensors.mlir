// RUN: tern-opt %s --tern-split-shared-empty-tensors | FileCheck %s

// Two element-wise ops whose destinations CSE tied to one tensor.empty: each
// gets its own, placed before it (bufferization then sees no conflict).
#map = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @chain(
// CHECK:         %[[E0:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} outs(%[[E0]] : tensor<4xf32>)
// CHECK:         %[[E1:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[A]] : tensor<4xf32>) outs(%[[E1]] : tensor<4xf32>)
func.func @chain(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %a = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4xf32>
  %b = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4xf32>
  return %b : tensor<4xf32>
}

// Dynamic sizes are reused.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME:    %[[N:.*]]: index
// CHECK:         tensor.empty(%[[N]])
// CHECK:         tensor.empty(%[[N]])
func.func @dynamic(%n: index, %x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %e = tensor.empty(%n) : tensor<?xf32>
  %a = linalg.copy ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %b = linalg.copy ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  return %a, %b : tensor<?xf32>, tensor<?xf32>
}
