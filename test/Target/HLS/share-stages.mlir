// RUN: tern-opt %s --tern-hls-share-stages | FileCheck %s

// Two layers' norm stages differ only in the ROM they read: the ROMs
// become arguments and the stages merge into one shared instance.
// CHECK-LABEL: func.func private @norm0(
// CHECK-SAME: %{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>, %[[ROM:.*]]: memref<4xf32>)
// CHECK-NOT: memref.get_global
// CHECK: affine.load %[[ROM]]
// CHECK-NOT: func.func private @norm1
// CHECK-LABEL: func.func @top
// CHECK-SAME: attributes {tern.hls.num_inputs = 1 : i64, tern.hls.shared, tern.hls.top}
// CHECK: %[[G0:.*]] = memref.get_global @g0
// CHECK-NEXT: call @norm0(%{{.*}}, %{{.*}}, %[[G0]])
// CHECK: %[[G1:.*]] = memref.get_global @g1
// CHECK-NEXT: call @norm0(%{{.*}}, %{{.*}}, %[[G1]])
module {
  memref.global "private" constant @g0 : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
  memref.global "private" constant @g1 : memref<4xf32> = dense<[5.0, 6.0, 7.0, 8.0]>
  func.func private @norm0(%x: memref<4xf32>, %y: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    %g = memref.get_global @g0 : memref<4xf32>
    affine.for %i = 0 to 4 {
      %a = affine.load %x[%i] : memref<4xf32>
      %b = affine.load %g[%i] : memref<4xf32>
      %c = arith.mulf %a, %b : f32
      affine.store %c, %y[%i] : memref<4xf32>
    }
    return
  }
  func.func private @norm1(%x: memref<4xf32>, %y: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    %g = memref.get_global @g1 : memref<4xf32>
    affine.for %i = 0 to 4 {
      %a = affine.load %x[%i] : memref<4xf32>
      %b = affine.load %g[%i] : memref<4xf32>
      %c = arith.mulf %a, %b : f32
      affine.store %c, %y[%i] : memref<4xf32>
    }
    return
  }
  func.func @top(%x: memref<4xf32>, %y: memref<4xf32>) attributes {tern.hls.top, tern.hls.dataflow, tern.hls.num_inputs = 1 : i64} {
    %t = memref.alloc() : memref<4xf32>
    call @norm0(%x, %t) : (memref<4xf32>, memref<4xf32>) -> ()
    call @norm1(%t, %y) : (memref<4xf32>, memref<4xf32>) -> ()
    return
  }
}
