// RUN: tern-opt %s --tern-hls-scalarize-reductions -split-input-file | FileCheck %s

// A sum over k into y[i]: carried in a register across the k loop.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK: affine.for %[[I:.*]] = 0 to 2 {
// CHECK-NEXT: %[[INIT:.*]] = affine.load %[[Y:.*]][%[[I]]] : memref<2xf32>
// CHECK-NEXT: %[[R:.*]] = affine.for %{{.*}} = 0 to 8 iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK-NEXT: %[[A:.*]] = affine.load
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[A]], %[[A]]
// CHECK-NEXT: %[[T:.*]] = arith.addf %[[ACC]], %[[SQ]]
// CHECK-NEXT: affine.yield %[[T]] : f32
// CHECK-NEXT: } {tern.hls.pipeline = 1 : i64}
// CHECK-NEXT: affine.store %[[R]], %[[Y]][%[[I]]] : memref<2xf32>
func.func @sum_of_squares(%x: memref<2x8xf32>, %y: memref<2xf32>) {
  affine.for %i = 0 to 2 {
    affine.for %k = 0 to 8 {
      %a = affine.load %x[%i, %k] : memref<2x8xf32>
      %s = affine.load %y[%i] : memref<2xf32>
      %sq = arith.mulf %a, %a : f32
      %t = arith.addf %s, %sq : f32
      affine.store %t, %y[%i] : memref<2xf32>
    } {tern.hls.pipeline = 1 : i64}
  }
  return
}

// -----

// Nested reductions (k1, k2) into the same element: carried across both.
// CHECK-LABEL: func.func @two_loops
// CHECK: %[[INIT:.*]] = affine.load %{{.*}}[0] : memref<1xi32>
// CHECK-NEXT: %[[OUTER:.*]] = affine.for %{{.*}} = 0 to 4 iter_args(%[[A0:.*]] = %[[INIT]]) -> (i32) {
// CHECK-NEXT: %[[INNER:.*]] = affine.for %{{.*}} = 0 to 4 iter_args(%[[A1:.*]] = %[[A0]]) -> (i32) {
// CHECK: arith.addi %[[A1]]
// CHECK: affine.yield %[[INNER]] : i32
// CHECK: affine.store %[[OUTER]], %{{.*}}[0] : memref<1xi32>
func.func @two_loops(%x: memref<4x4xi32>, %y: memref<1xi32>) {
  affine.for %a = 0 to 4 {
    affine.for %b = 0 to 4 {
      %v = affine.load %x[%a, %b] : memref<4x4xi32>
      %s = affine.load %y[0] : memref<1xi32>
      %t = arith.addi %s, %v : i32
      affine.store %t, %y[0] : memref<1xi32>
    }
  }
  return
}

// -----

// Left alone: the element depends on the loop, or the memref is read
// elsewhere in the loop.
// CHECK-LABEL: func.func @not_invariant
// CHECK-NOT: iter_args
func.func @not_invariant(%x: memref<8xf32>, %y: memref<8xf32>) {
  affine.for %k = 0 to 8 {
    %a = affine.load %x[%k] : memref<8xf32>
    %s = affine.load %y[%k] : memref<8xf32>
    %t = arith.addf %s, %a : f32
    affine.store %t, %y[%k] : memref<8xf32>
  }
  return
}

// CHECK-LABEL: func.func @other_access
// CHECK-NOT: iter_args
func.func @other_access(%x: memref<8xf32>, %y: memref<8xf32>) {
  affine.for %k = 0 to 8 {
    %a = affine.load %y[%k] : memref<8xf32>
    %s = affine.load %y[0] : memref<8xf32>
    %t = arith.addf %s, %a : f32
    affine.store %t, %y[0] : memref<8xf32>
  }
  return
}
