// RUN: tern-translate %s --emit-hls-cpp -split-input-file -verify-diagnostics

// A multiply in a ternary stage is refused: ternary layers are add/sub/skip.
module {
  func.func private @mm(%x: memref<4xi32>, %y: memref<4xi32>) attributes {tern.hls.stage = "ternary_matmul"} {
    affine.for %i = 0 to 4 {
      %a = affine.load %x[%i] : memref<4xi32>
      // expected-error @+1 {{multiply inside a ternary stage}}
      %b = arith.muli %a, %a : i32
      affine.store %b, %y[%i] : memref<4xi32>
    }
    return
  }
  func.func @top(%x: memref<4xi32>, %y: memref<4xi32>) attributes {tern.hls.top, tern.hls.num_inputs = 1 : i64} {
    call @mm(%x, %y) : (memref<4xi32>, memref<4xi32>) -> ()
    return
  }
}

// -----

// Ops without a C++ translation (here: linalg, which must be lowered first).
module {
  func.func @top(%x: memref<4xf32>, %y: memref<4xf32>) attributes {tern.hls.top, tern.hls.num_inputs = 1 : i64} {
    // expected-error @+1 {{no C++ translation for this op}}
    linalg.copy ins(%x : memref<4xf32>) outs(%y : memref<4xf32>)
    return
  }
}

// -----

// Dynamic shapes are not synthesizable.
module {
  // expected-error @+1 {{HLS top arguments must be static memrefs}}
  func.func @top(%x: memref<?xf32>) attributes {tern.hls.top, tern.hls.num_inputs = 1 : i64} {
    return
  }
}

// -----

// Without a top (run tern-hls-to-loops first).
// expected-error @+1 {{no HLS top function}}
module {
  func.func @f() {
    return
  }
}
