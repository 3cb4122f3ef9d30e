// RUN: tern-opt %s --tern-hls-interleave-reductions=partials=4 -split-input-file | FileCheck %s

// A carried float sum: 4 partial sums (partial 0 starts at the initial
// value, the others at 0), a loop of step 4 at II = the adder latency, and a
// balanced tree.
// CHECK-LABEL: func.func private @sum(
// CHECK: %[[INIT:.*]] = affine.load %{{.*}}[0]
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P:.*]]:4 = affine.for %[[K:.*]] = 0 to 16 step 4 iter_args(%[[A0:.*]] = %[[INIT]], %[[A1:.*]] = %[[ZERO]], %[[A2:.*]] = %[[ZERO]], %[[A3:.*]] = %[[ZERO]])
// CHECK: %[[I0:.*]] = affine.apply #{{.*}}(%[[K]])
// CHECK: %[[X0:.*]] = affine.load %{{.*}}[%[[I0]]]
// CHECK: %[[S0:.*]] = arith.mulf %[[X0]], %[[X0]]
// CHECK: %[[N0:.*]] = arith.addf %[[A0]], %[[S0]]
// CHECK: %[[I3:.*]] = affine.apply #{{.*}}(%[[K]])
// CHECK: %[[N3:.*]] = arith.addf %[[A3]], %{{.*}}
// CHECK: affine.yield %[[N0]], %{{.*}}, %{{.*}}, %[[N3]]
// CHECK-NEXT: } {tern.hls.pipeline = 4 : i64}
// CHECK: %[[T0:.*]] = arith.addf %[[P]]#0, %[[P]]#1
// CHECK: %[[T1:.*]] = arith.addf %[[P]]#2, %[[P]]#3
// CHECK: %[[T:.*]] = arith.addf %[[T0]], %[[T1]]
// CHECK: affine.store %[[T]], %{{.*}}[0]
module {
  func.func private @sum(%x: memref<16xf32>, %s: memref<1xf32>) attributes {tern.hls.stage = "reduction"} {
    %init = affine.load %s[0] : memref<1xf32>
    %r = affine.for %k = 0 to 16 iter_args(%acc = %init) -> (f32) {
      %v = affine.load %x[%k] : memref<16xf32>
      %sq = arith.mulf %v, %v : f32
      %n = arith.addf %acc, %sq : f32
      affine.yield %n : f32
    }
    affine.store %r, %s[0] : memref<1xf32>
    return
  }
}

// -----

// Max: every partial starts at the initial value.
// CHECK-LABEL: func.func private @absmax(
// CHECK: %[[INIT:.*]] = affine.load
// CHECK: affine.for {{.*}} step 4 iter_args(%{{.*}} = %[[INIT]], %{{.*}} = %[[INIT]], %{{.*}} = %[[INIT]], %{{.*}} = %[[INIT]])
// CHECK-COUNT-4: arith.maximumf
// CHECK: tern.hls.pipeline = 4
// CHECK-COUNT-3: arith.maximumf
module {
  func.func private @absmax(%x: memref<8xf32>, %s: memref<1xf32>) attributes {tern.hls.stage = "reduction"} {
    %init = affine.load %s[0] : memref<1xf32>
    %r = affine.for %k = 0 to 8 iter_args(%acc = %init) -> (f32) {
      %v = affine.load %x[%k] : memref<8xf32>
      %a = math.absf %v : f32
      %n = arith.maximumf %acc, %a : f32
      affine.yield %n : f32
    }
    affine.store %r, %s[0] : memref<1xf32>
    return
  }
}

// -----

// Left alone: a trip that is not a multiple of the partials, an integer
// sum, and a loop outside a stage function.
// CHECK-LABEL: func.func private @odd(
// CHECK: affine.for %{{.*}} = 0 to 10 iter_args
// CHECK-LABEL: func.func private @ints(
// CHECK: affine.for %{{.*}} = 0 to 16 iter_args
// CHECK-LABEL: func.func @notastage(
// CHECK: affine.for %{{.*}} = 0 to 16 iter_args
module {
  func.func private @odd(%x: memref<10xf32>, %s: memref<1xf32>) attributes {tern.hls.stage = "reduction"} {
    %init = affine.load %s[0] : memref<1xf32>
    %r = affine.for %k = 0 to 10 iter_args(%acc = %init) -> (f32) {
      %v = affine.load %x[%k] : memref<10xf32>
      %n = arith.addf %acc, %v : f32
      affine.yield %n : f32
    }
    affine.store %r, %s[0] : memref<1xf32>
    return
  }
  func.func private @ints(%x: memref<16xi32>, %s: memref<1xi32>) attributes {tern.hls.stage = "reduction"} {
    %init = affine.load %s[0] : memref<1xi32>
    %r = affine.for %k = 0 to 16 iter_args(%acc = %init) -> (i32) {
      %v = affine.load %x[%k] : memref<16xi32>
      %n = arith.addi %acc, %v : i32
      affine.yield %n : i32
    }
    affine.store %r, %s[0] : memref<1xi32>
    return
  }
  func.func @notastage(%x: memref<16xf32>, %s: memref<1xf32>) {
    %init = affine.load %s[0] : memref<1xf32>
    %r = affine.for %k = 0 to 16 iter_args(%acc = %init) -> (f32) {
      %v = affine.load %x[%k] : memref<16xf32>
      %n = arith.addf %acc, %v : f32
      affine.yield %n : f32
    }
    affine.store %r, %s[0] : memref<1xf32>
    return
  }
}
