// RUN: tern-opt %s --tern-hls-hoist-row-invariants -split-input-file | FileCheck %s
// RUN: tern-opt %s --tern-hls-hoist-row-invariants=reciprocal=false -split-input-file | FileCheck %s --check-prefix=DIV

// RMSNorm as the loop lowering leaves it: mean, eps, sqrt and a division per
// element. After the pass: once per row, then one multiply per element.
// CHECK-LABEL: func.func private @rmsnorm(
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[INV_N:.*]] = arith.constant 1.250000e-01 : f32
// CHECK: affine.for %[[I:.*]] = 0 to 2 {
// CHECK-NEXT: %[[S:.*]] = affine.load %{{.*}}[%[[I]]]
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[S]], %[[INV_N]]
// CHECK-NEXT: %[[E:.*]] = arith.addf %[[M]], %[[EPS]]
// CHECK-NEXT: %[[R:.*]] = math.sqrt %[[E]]
// CHECK-NEXT: %[[RCP:.*]] = arith.divf %[[ONE]], %[[R]]
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 8 {
// CHECK-NEXT: %[[V:.*]] = affine.load %{{.*}}[%[[I]], %[[J]]]
// CHECK-NEXT: %[[W:.*]] = affine.load %{{.*}}[%[[J]]]
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[V]], %[[RCP]]
// CHECK-NEXT: %[[Z:.*]] = arith.mulf %[[Y]], %[[W]]
// CHECK-NEXT: affine.store %[[Z]]
// CHECK-NOT: arith.divf
// CHECK: return

// Fixed math keeps the divisions (ap_fixed truncates a quotient), still once
// per row for the row-invariant one.
// DIV-LABEL: func.func private @rmsnorm(
// DIV: affine.for %[[I:.*]] = 0 to 2 {
// DIV-NEXT: %[[S:.*]] = affine.load %{{.*}}[%[[I]]]
// DIV-NEXT: %[[M:.*]] = arith.divf %[[S]], %{{.*}}
// DIV-NEXT: %[[E:.*]] = arith.addf %[[M]], %{{.*}}
// DIV-NEXT: %[[R:.*]] = math.sqrt %[[E]]
// DIV-NEXT: affine.for %[[J:.*]] = 0 to 8 {
// DIV-NEXT: %[[V:.*]] = affine.load
// DIV-NEXT: %[[W:.*]] = affine.load
// DIV-NEXT: %[[Y:.*]] = arith.divf %[[V]], %[[R]]
module {
  func.func private @rmsnorm(%x: memref<2x8xf32>, %ss: memref<2xf32>, %g: memref<8xf32>, %o: memref<2x8xf32>) attributes {tern.hls.stage = "elementwise"} {
    %n = arith.constant 8.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    affine.for %i = 0 to 2 {
      affine.for %j = 0 to 8 {
        %v = affine.load %x[%i, %j] : memref<2x8xf32>
        %s = affine.load %ss[%i] : memref<2xf32>
        %w = affine.load %g[%j] : memref<8xf32>
        %m = arith.divf %s, %n : f32
        %e = arith.addf %m, %eps : f32
        %r = math.sqrt %e : f32
        %y = arith.divf %v, %r : f32
        %z = arith.mulf %y, %w : f32
        affine.store %z, %o[%i, %j] : memref<2x8xf32>
      }
    }
    return
  }
}

// -----

// A load of a buffer the loop writes stays in the loop; so does a division
// whose divisor changes per element; loops with directives are left alone.
// CHECK-LABEL: func.func private @carried(
// CHECK: affine.for
// CHECK-NEXT: affine.load %[[A:.*]][0]
// CHECK: arith.divf
// CHECK: affine.store %{{.*}}, %[[A]][0]
// CHECK-LABEL: func.func private @directed(
// CHECK: affine.for
// CHECK-NEXT: affine.load %{{.*}}[0]
// CHECK-NEXT: arith.divf
// CHECK: tern.hls.pipeline = 1
module {
  func.func private @carried(%a: memref<1xf32>, %x: memref<8xf32>) attributes {tern.hls.stage = "reduction"} {
    affine.for %j = 0 to 8 {
      %s = affine.load %a[0] : memref<1xf32>
      %v = affine.load %x[%j] : memref<8xf32>
      %q = arith.divf %s, %v : f32
      affine.store %q, %a[0] : memref<1xf32>
    }
    return
  }
  func.func private @directed(%a: memref<1xf32>, %x: memref<8xf32>, %o: memref<8xf32>) attributes {tern.hls.stage = "elementwise"} {
    affine.for %j = 0 to 8 {
      %s = affine.load %a[0] : memref<1xf32>
      %q = arith.divf %s, %s : f32
      %v = affine.load %x[%j] : memref<8xf32>
      %y = arith.mulf %v, %q : f32
      affine.store %y, %o[%j] : memref<8xf32>
    } {tern.hls.pipeline = 1 : i64}
    return
  }
}
