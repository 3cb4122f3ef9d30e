// RUN: tern-opt %s --tern-hls-split-fanout -split-input-file | FileCheck %s

// One producer, two consumers: the producer writes two buffers.
// CHECK-LABEL: func.func private @producer(
// CHECK-SAME: %[[A:.*]]: memref<4xf32>, %[[B:.*]]: memref<4xf32>)
// CHECK: affine.store %[[V:.*]], %[[A]][%[[I:.*]]]
// CHECK-NEXT: affine.store %[[V]], %[[B]][%[[I]]]
// CHECK-LABEL: func.func @top
// CHECK-SAME: tern.hls.dataflow
// CHECK: %[[B0:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: %[[B1:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: call @producer(%[[B0]], %[[B1]])
// CHECK-NEXT: call @consumer(%[[B0]], %{{.*}})
// CHECK-NEXT: call @consumer2(%[[B1]], %{{.*}})
module {
  func.func private @producer(%a: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    %c = arith.constant 1.0 : f32
    affine.for %i = 0 to 4 {
      affine.store %c, %a[%i] : memref<4xf32>
    }
    return
  }
  func.func private @consumer(%a: memref<4xf32>, %o: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    affine.for %i = 0 to 4 {
      %v = affine.load %a[%i] : memref<4xf32>
      affine.store %v, %o[%i] : memref<4xf32>
    }
    return
  }
  func.func private @consumer2(%a: memref<4xf32>, %o: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    affine.for %i = 0 to 4 {
      %v = affine.load %a[%i] : memref<4xf32>
      %w = arith.addf %v, %v : f32
      affine.store %w, %o[%i] : memref<4xf32>
    }
    return
  }
  func.func @top(%o1: memref<4xf32>, %o2: memref<4xf32>) attributes {tern.hls.top, tern.hls.dataflow, tern.hls.num_inputs = 0 : i64} {
    %b = memref.alloc() : memref<4xf32>
    call @producer(%b) : (memref<4xf32>) -> ()
    call @consumer(%b, %o1) : (memref<4xf32>, memref<4xf32>) -> ()
    call @consumer2(%b, %o2) : (memref<4xf32>, memref<4xf32>) -> ()
    return
  }
}

// -----

// Two producers of one buffer: not a dataflow region any more.
// CHECK-LABEL: func.func @top
// CHECK-SAME: attributes {tern.hls.num_inputs = 0 : i64, tern.hls.top} {
module {
  func.func private @producer(%a: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    %c = arith.constant 1.0 : f32
    affine.for %i = 0 to 4 {
      affine.store %c, %a[%i] : memref<4xf32>
    }
    return
  }
  func.func @top(%o: memref<4xf32>) attributes {tern.hls.top, tern.hls.dataflow, tern.hls.num_inputs = 0 : i64} {
    call @producer(%o) : (memref<4xf32>) -> ()
    call @producer(%o) : (memref<4xf32>) -> ()
    return
  }
}

// -----

// An input port read by two stages: a load stage reads it once into one
// buffer per reader; the port itself is then read by the load stage only.
// CHECK-LABEL: func.func private @top_load0(
// CHECK-SAME: %[[S:.*]]: memref<4xf32>, %[[D0:.*]]: memref<4xf32>, %[[D1:.*]]: memref<4xf32>)
// CHECK-SAME: tern.hls.stage = "load"
// CHECK: %[[V:.*]] = affine.load %[[S]][%[[I:.*]]]
// CHECK-NEXT: affine.store %[[V]], %[[D0]][%[[I]]]
// CHECK-NEXT: affine.store %[[V]], %[[D1]][%[[I]]]
// CHECK-LABEL: func.func @top(
// CHECK-SAME: %[[IN:.*]]: memref<4xf32>, %[[O1:.*]]: memref<4xf32>, %[[O2:.*]]: memref<4xf32>)
// CHECK-SAME: tern.hls.dataflow
// CHECK: %[[B0:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: %[[B1:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: call @top_load0(%[[IN]], %[[B0]], %[[B1]])
// CHECK-NEXT: call @consumer(%[[B0]], %[[O1]])
// CHECK-NEXT: call @consumer(%[[B1]], %[[O2]])
module {
  func.func private @consumer(%a: memref<4xf32>, %o: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    affine.for %i = 0 to 4 {
      %v = affine.load %a[%i] : memref<4xf32>
      affine.store %v, %o[%i] : memref<4xf32>
    }
    return
  }
  func.func @top(%in: memref<4xf32>, %o1: memref<4xf32>, %o2: memref<4xf32>) attributes {tern.hls.top, tern.hls.dataflow, tern.hls.num_inputs = 1 : i64} {
    call @consumer(%in, %o1) : (memref<4xf32>, memref<4xf32>) -> ()
    call @consumer(%in, %o2) : (memref<4xf32>, memref<4xf32>) -> ()
    return
  }
}
