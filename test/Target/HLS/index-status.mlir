// RUN: tern-opt %s --tern-hls-index-status -split-input-file -verify-diagnostics | FileCheck %s

// The import's scan of a token tensor (tern_rt_index_error per bad index)
// becomes a reduction that keeps the first failing check's id and index,
// returned as two more results; the runtime declaration and message go.
// CHECK-NOT: tern_rt_index
// CHECK-LABEL: func.func @main(
// CHECK-SAME: -> (tensor<2x4xf32> {tern.name = "y"}, tensor<i32> {tern.name = "status"}, tensor<i64> {tern.name = "bad_index"})
// CHECK-SAME: tern.hls.index_checks = [{dim = 16 : i64, what = "node 'g'"}]
// CHECK-SAME: tern.hls.status_outputs = array<i64: 1, 2>
// CHECK-NOT: scf.for
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-DAG: %[[S0:.*]] = linalg.fill ins(%{{.*}} : i32)
// CHECK-DAG: %[[B0:.*]] = linalg.fill ins(%{{.*}} : i64)
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%arg0 : tensor<2xi64>) outs(%[[S0]], %[[B0]] : tensor<i32>, tensor<i64>)
// CHECK: ^bb0(%[[V:.*]]: i64, %[[S:.*]]: i32, %[[B:.*]]: i64):
// CHECK-DAG: %[[LO:.*]] = arith.constant -16 : i64
// CHECK-DAG: %[[HI:.*]] = arith.constant 16 : i64
// CHECK: arith.cmpi slt, %[[V]], %[[LO]]
// CHECK: arith.cmpi sge, %[[V]], %[[HI]]
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[S]]
// CHECK: %[[TAKE:.*]] = arith.andi %{{.*}}, %[[FIRST]]
// CHECK: %[[NS:.*]] = arith.select %[[TAKE]], %{{.*}}, %[[S]] : i32
// CHECK: %[[NB:.*]] = arith.select %[[TAKE]], %[[V]], %[[B]] : i64
// CHECK: linalg.yield %[[NS]], %[[NB]]
// CHECK: return %[[Y]], %[[R]]#0, %[[R]]#1
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
module {
  memref.global "private" constant @tern_rt_index_check : memref<8xi8> = dense<[110, 111, 100, 101, 32, 39, 103, 39]>
  func.func private @tern_rt_index_error(memref<?xi8>, i64, i64)
  func.func @main(%arg0: tensor<2xi64> {tern.name = "tokens"}) -> (tensor<2x4xf32> {tern.name = "y"}) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %lo = arith.constant -16 : i64
    %hi = arith.constant 16 : i64
    %g = memref.get_global @tern_rt_index_check : memref<8xi8>
    %msg = memref.cast %g : memref<8xi8> to memref<?xi8>
    scf.for %i = %c0 to %c2 step %c1 {
      %v = tensor.extract %arg0[%i] : tensor<2xi64>
      %b = arith.cmpi slt, %v, %lo : i64
      %a = arith.cmpi sge, %v, %hi : i64
      %bad = arith.ori %b, %a : i1
      scf.if %bad {
        func.call @tern_rt_index_error(%msg, %v, %hi) : (memref<?xi8>, i64, i64) -> ()
      }
    }
    %e = tensor.empty() : tensor<2x4xf32>
    %y = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<2xi64>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%t: i64, %out: f32):
      %f = arith.sitofp %t : i64 to f32
      linalg.yield %f : f32
    } -> tensor<2x4xf32>
    return %y : tensor<2x4xf32>
  }
}

// -----

// Two checks: each fills its own registers, a combine picks the first
// failing one in id order (one producer per dataflow channel).
// CHECK-LABEL: func.func @two(
// CHECK-SAME: tern.hls.index_checks = [{dim = 16 : i64, what = "node 'a'"}, {dim = 5 : i64, what = "node 'b'"}]
// CHECK: %[[A:.*]]:2 = linalg.generic {{.*}} ins(%arg0 : tensor<2xi64>)
// CHECK: arith.constant 1 : i32
// CHECK: %[[B:.*]]:2 = linalg.generic {{.*}} ins(%arg1 : tensor<3xi32>)
// CHECK: arith.extsi
// CHECK: arith.constant 2 : i32
// CHECK: %[[C:.*]]:2 = linalg.generic {{.*}} ins(%[[A]]#0, %[[A]]#1, %[[B]]#0, %[[B]]#1 : tensor<i32>, tensor<i64>, tensor<i32>, tensor<i64>)
// CHECK: ^bb0(%[[S0:.*]]: i32, %[[K0:.*]]: i64, %[[S1:.*]]: i32, %[[K1:.*]]: i64,
// CHECK: %[[F:.*]] = arith.cmpi ne, %[[S0]], %{{.*}} : i32
// CHECK: %[[S:.*]] = arith.select %[[F]], %[[S0]], %[[S1]] : i32
// CHECK: %[[K:.*]] = arith.select %[[F]], %[[K0]], %[[K1]] : i64
// CHECK: linalg.yield %[[S]], %[[K]]
// CHECK: return %{{.*}}, %[[C]]#0, %[[C]]#1
module {
  memref.global "private" constant @tern_rt_index_check : memref<8xi8> = dense<[110, 111, 100, 101, 32, 39, 97, 39]>
  memref.global "private" constant @tern_rt_index_check_0 : memref<8xi8> = dense<[110, 111, 100, 101, 32, 39, 98, 39]>
  func.func private @tern_rt_index_error(memref<?xi8>, i64, i64)
  func.func @two(%arg0: tensor<2xi64>, %arg1: tensor<3xi32>) -> tensor<2xi64> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %lo = arith.constant -16 : i64
    %hi = arith.constant 16 : i64
    %lo5 = arith.constant -5 : i64
    %hi5 = arith.constant 5 : i64
    %g = memref.get_global @tern_rt_index_check : memref<8xi8>
    %msg = memref.cast %g : memref<8xi8> to memref<?xi8>
    scf.for %i = %c0 to %c2 step %c1 {
      %v = tensor.extract %arg0[%i] : tensor<2xi64>
      %b = arith.cmpi slt, %v, %lo : i64
      %a = arith.cmpi sge, %v, %hi : i64
      %bad = arith.ori %b, %a : i1
      scf.if %bad {
        func.call @tern_rt_index_error(%msg, %v, %hi) : (memref<?xi8>, i64, i64) -> ()
      }
    }
    %g2 = memref.get_global @tern_rt_index_check_0 : memref<8xi8>
    %msg2 = memref.cast %g2 : memref<8xi8> to memref<?xi8>
    scf.for %i = %c0 to %c3 step %c1 {
      %x = tensor.extract %arg1[%i] : tensor<3xi32>
      %v = arith.extsi %x : i32 to i64
      %b = arith.cmpi slt, %v, %lo5 : i64
      %a = arith.cmpi sge, %v, %hi5 : i64
      %bad = arith.ori %b, %a : i1
      scf.if %bad {
        func.call @tern_rt_index_error(%msg2, %v, %hi5) : (memref<?xi8>, i64, i64) -> ()
      }
    }
    return %arg0 : tensor<2xi64>
  }
}

// -----

// Without checks the model is unchanged.
// CHECK-LABEL: func.func @plain(
// CHECK-SAME: -> tensor<4xf32>
// CHECK-NOT: tern.hls.index_checks
module {
  func.func @plain(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// A check the pass does not recognize is an error, not a silent drop.
module {
  func.func private @tern_rt_index_error(memref<?xi8>, i64, i64)
  func.func @main(%m: memref<?xi8>, %v: i64) {
    %hi = arith.constant 16 : i64
    // expected-error @+1 {{cannot turn this index check into a status output}}
    func.call @tern_rt_index_error(%m, %v, %hi) : (memref<?xi8>, i64, i64) -> ()
    return
  }
}
