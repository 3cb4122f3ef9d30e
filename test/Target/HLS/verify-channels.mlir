// RUN: tern-opt %s --tern-hls-verify-channels -split-input-file -verify-diagnostics | FileCheck %s

// One producer (which reads its accumulator back) and one consumer per
// buffer: accepted, unchanged.
// CHECK-LABEL: func.func @top
// CHECK: call @sum
// CHECK: call @scale
module {
  func.func private @sum(%a: memref<4xf32>, %s: memref<1xf32>) attributes {tern.hls.stage = "reduction"} {
    affine.for %i = 0 to 4 {
      %v = affine.load %a[%i] : memref<4xf32>
      %acc = affine.load %s[0] : memref<1xf32>
      %w = arith.addf %acc, %v : f32
      affine.store %w, %s[0] : memref<1xf32>
    }
    return
  }
  func.func private @scale(%s: memref<1xf32>, %o: memref<1xf32>) attributes {tern.hls.stage = "elementwise"} {
    %v = affine.load %s[0] : memref<1xf32>
    affine.store %v, %o[0] : memref<1xf32>
    return
  }
  func.func @top(%in: memref<4xf32>, %o: memref<1xf32>) attributes {tern.hls.top, tern.hls.dataflow, tern.hls.num_inputs = 1 : i64} {
    %s = memref.alloc() : memref<1xf32>
    call @sum(%in, %s) : (memref<4xf32>, memref<1xf32>) -> ()
    call @scale(%s, %o) : (memref<1xf32>, memref<1xf32>) -> ()
    return
  }
}

// -----

// Two consumers of one buffer in a dataflow region.
module {
  func.func private @fill(%a: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    %c = arith.constant 1.0 : f32
    affine.for %i = 0 to 4 {
      affine.store %c, %a[%i] : memref<4xf32>
    }
    return
  }
  func.func private @copy(%a: memref<4xf32>, %o: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    affine.for %i = 0 to 4 {
      %v = affine.load %a[%i] : memref<4xf32>
      affine.store %v, %o[%i] : memref<4xf32>
    }
    return
  }
  func.func @top(%o1: memref<4xf32>, %o2: memref<4xf32>) attributes {tern.hls.top, tern.hls.dataflow, tern.hls.num_inputs = 0 : i64} {
    // expected-error @+1 {{HLS dataflow channel has 2 consumers}}
    %b = memref.alloc() : memref<4xf32>
    call @fill(%b) : (memref<4xf32>) -> ()
    // expected-note @+1 {{used by @copy}}
    call @copy(%b, %o1) : (memref<4xf32>, memref<4xf32>) -> ()
    // expected-note @+1 {{used by @copy}}
    call @copy(%b, %o2) : (memref<4xf32>, memref<4xf32>) -> ()
    return
  }
}

// -----

// An input port streamed to two stages.
module {
  func.func private @copy(%a: memref<4xf32>, %o: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    affine.for %i = 0 to 4 {
      %v = affine.load %a[%i] : memref<4xf32>
      affine.store %v, %o[%i] : memref<4xf32>
    }
    return
  }
  // expected-error @+1 {{HLS dataflow channel has 2 consumers}}
  func.func @top(%in: memref<4xf32>, %o1: memref<4xf32>, %o2: memref<4xf32>) attributes {tern.hls.top, tern.hls.dataflow, tern.hls.num_inputs = 1 : i64} {
    // expected-note @+1 {{used by @copy}}
    call @copy(%in, %o1) : (memref<4xf32>, memref<4xf32>) -> ()
    // expected-note @+1 {{used by @copy}}
    call @copy(%in, %o2) : (memref<4xf32>, memref<4xf32>) -> ()
    return
  }
}

// -----

// Two producers of one buffer.
module {
  func.func private @fill(%a: memref<4xf32>) attributes {tern.hls.stage = "elementwise"} {
    %c = arith.constant 1.0 : f32
    affine.for %i = 0 to 4 {
      affine.store %c, %a[%i] : memref<4xf32>
    }
    return
  }
  // expected-error @+1 {{HLS dataflow channel has 2 producers}}
  func.func @top(%o: memref<4xf32>) attributes {tern.hls.top, tern.hls.dataflow, tern.hls.num_inputs = 0 : i64} {
    // expected-note @+1 {{used by @fill}}
    call @fill(%o) : (memref<4xf32>) -> ()
    // expected-note @+1 {{used by @fill}}
    call @fill(%o) : (memref<4xf32>) -> ()
    return
  }
}
