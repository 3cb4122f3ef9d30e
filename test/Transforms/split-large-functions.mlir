// RUN: tern-opt %s --split-input-file --tern-split-large-functions=max-ops=6 | FileCheck %s

// Four element-wise ops (3 ops each, with their bodies) in runs of at least 6
// ops: two private functions called in order. The graph input is passed to
// both; the constant and the tensor.empty ops are cloned just before their
// first use in each run, not passed; the first run's last result reaches both the second run and
// the return.
#map = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @chain(
// CHECK-SAME:    %[[X:.*]]: tensor<4xf32>
// CHECK-NOT:     arith.constant
// CHECK:         %[[A:.*]] = call @chain_part0(%[[X]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK:         %[[B:.*]] = call @chain_part1(%[[A]], %[[X]]) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK:         return %[[B]], %[[A]]
// CHECK:       func.func private @chain_part0(%[[P:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-SAME:    llvm.linkage = #llvm.linkage<internal>
// CHECK-SAME:    passthrough = ["noinline"]
// CHECK:         tensor.empty
// CHECK:         %[[N:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<4xf32>)
// CHECK:           arith.negf
// CHECK:         %[[C:.*]] = arith.constant 2.000000e+00
// CHECK:         tensor.empty
// CHECK:         %[[M:.*]] = linalg.generic {{.*}} ins(%[[N]] : tensor<4xf32>)
// CHECK:           arith.mulf {{.*}}%[[C]]
// CHECK:         return %[[M]]
// CHECK:       func.func private @chain_part1(%[[Q:.*]]: tensor<4xf32>, %[[Y:.*]]: tensor<4xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[Q]], %[[Y]] : tensor<4xf32>, tensor<4xf32>)
// CHECK:         %[[C1:.*]] = arith.constant 2.000000e+00
// CHECK:         linalg.generic
// CHECK:           arith.mulf {{.*}}%[[C1]]
// CHECK:         return
func.func @chain(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %c = arith.constant 2.0 : f32
  %e0 = tensor.empty() : tensor<4xf32>
  %a = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%e0 : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4xf32>
  %e1 = tensor.empty() : tensor<4xf32>
  %b = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%a : tensor<4xf32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4xf32>
  %d = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%b, %x : tensor<4xf32>, tensor<4xf32>) outs(%e2 : tensor<4xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %e3 = tensor.empty() : tensor<4xf32>
  %f = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%d : tensor<4xf32>) outs(%e3 : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %f, %b : tensor<4xf32>, tensor<4xf32>
}

// -----

// A tensor of dynamic shape cannot be a run's result (bufferization returns
// results through out-parameters of static shape): no cut while it is live,
// so the first run grows until its last use. The cast and the dimension of
// the argument are cheap: cloned, not passed.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME:    %[[X:.*]]: tensor<4xf32>
// CHECK-NEXT:    %[[D:.*]] = call @dynamic_part0(%[[X]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %[[G:.*]] = call @dynamic_part1(%[[D]])
// CHECK-NEXT:    return %[[G]]
// CHECK:       func.func private @dynamic_part0(
// CHECK:         tensor.cast {{.*}} to tensor<?xf32>
// CHECK:         tensor.dim
// CHECK:         tensor.empty(%{{.*}}) : tensor<?xf32>
// CHECK:         %[[DYN:.*]] = linalg.copy {{.*}} -> tensor<?xf32>
// CHECK:         linalg.copy ins(%[[DYN]]
// CHECK:         linalg.copy
// CHECK:         linalg.copy
// CHECK:         linalg.copy ins(%[[DYN]]
// CHECK:         return
// CHECK:       func.func private @dynamic_part1(
// CHECK-NOT:     tensor<?xf32>
// CHECK:         return
func.func @dynamic(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %xd = tensor.cast %x : tensor<4xf32> to tensor<?xf32>
  %n = tensor.dim %xd, %c0 : tensor<?xf32>
  %ed = tensor.empty(%n) : tensor<?xf32>
  %dyn = linalg.copy ins(%xd : tensor<?xf32>) outs(%ed : tensor<?xf32>) -> tensor<?xf32>
  %e0 = tensor.empty() : tensor<4xf32>
  %a = linalg.copy ins(%dyn : tensor<?xf32>) outs(%e0 : tensor<4xf32>) -> tensor<4xf32>
  %e1 = tensor.empty() : tensor<4xf32>
  %b = linalg.copy ins(%a : tensor<4xf32>) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4xf32>
  %c = linalg.copy ins(%b : tensor<4xf32>) outs(%e2 : tensor<4xf32>) -> tensor<4xf32>
  %e3 = tensor.empty() : tensor<4xf32>
  %d = linalg.copy ins(%dyn : tensor<?xf32>) outs(%e3 : tensor<4xf32>) -> tensor<4xf32>
  %e4 = tensor.empty() : tensor<4xf32>
  %f = linalg.copy ins(%d : tensor<4xf32>) outs(%e4 : tensor<4xf32>) -> tensor<4xf32>
  %e5 = tensor.empty() : tensor<4xf32>
  %g = linalg.copy ins(%f : tensor<4xf32>) outs(%e5 : tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// A weight (a reshaped constant, hoisted to the top by canonicalization) read
// in two runs is rebuilt in each, not passed from the first: it stays a view
// of its global after bufferization instead of becoming a copied result.
#map = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @weights(
// CHECK-NOT:     tensor.expand_shape
// CHECK:         %[[A:.*]] = call @weights_part0(%{{.*}}) : (tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK-NEXT:    call @weights_part1(%[[A]]) : (tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK:       func.func private @weights_part0(
// CHECK:         %[[W:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-NEXT:    tensor.expand_shape %[[W]]
// CHECK:       func.func private @weights_part1(
// CHECK:         %[[W1:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-NEXT:    tensor.expand_shape %[[W1]]
func.func @weights(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w2 = tensor.expand_shape %w [[0, 1]] output_shape [2, 2] : tensor<4xf32> into tensor<2x2xf32>
  %e0 = tensor.empty() : tensor<2x2xf32>
  %a = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %w2 : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e0 : tensor<2x2xf32>) {
  ^bb0(%in: f32, %win: f32, %out: f32):
    %m = arith.mulf %in, %win : f32
    %s = arith.addf %m, %in : f32
    %n = arith.negf %s : f32
    %r = math.absf %n : f32
    linalg.yield %r : f32
  } -> tensor<2x2xf32>
  %e1 = tensor.empty() : tensor<2x2xf32>
  %b = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%a, %w2 : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e1 : tensor<2x2xf32>) {
  ^bb0(%in: f32, %win: f32, %out: f32):
    %m = arith.addf %in, %win : f32
    %n = arith.negf %m : f32
    linalg.yield %n : f32
  } -> tensor<2x2xf32>
  return %b : tensor<2x2xf32>
}

// -----

// A function of at most max-ops ops is left as it is.
// CHECK-LABEL: func.func @small(
// CHECK-NOT:     call
// CHECK:         arith.addf
// CHECK-NOT:     func.func private
func.func @small(%x: f32) -> f32 {
  %a = arith.addf %x, %x : f32
  %b = arith.addf %a, %a : f32
  return %b : f32
}
