// RUN: tern-opt %s --tern-hls-directives=simd=2 | FileCheck %s

// CHECK-LABEL: func.func private @stage(
// The argument gets the partition of the buffer passed to it.
// CHECK-SAME: %{{.*}}: memref<2x8xf32> {tern.hls.partition = array<i64: 2, 2>}
// Innermost loops: PIPELINE II=1 and SIMD lanes.
// CHECK: affine.for
// CHECK: affine.for
// CHECK: } {tern.hls.pipeline = 1 : i64, tern.hls.unroll = 2 : i64}
// A short innermost loop is unrolled and its parent pipelined.
// CHECK: affine.for
// CHECK: affine.for
// CHECK: } {tern.hls.unroll = 0 : i64}
// CHECK-NEXT: } {tern.hls.pipeline = 1 : i64}
// Loops that already carry directives are kept.
// CHECK: } {tern.hls.pipeline = 2 : i64}
// CHECK-LABEL: func.func @top
// Buffers are partitioned for the SIMD lanes (cyclic on the last dimension).
// CHECK: memref.alloc() {tern.hls.partition = array<i64: 2, 2>} : memref<2x8xf32>
module {
  func.func private @stage(%x: memref<2x8xf32>, %y: memref<8x3xf32>) attributes {tern.hls.stage = "elementwise"} {
    %c = arith.constant 1.0 : f32
    affine.for %i = 0 to 2 {
      affine.for %j = 0 to 8 {
        affine.store %c, %x[%i, %j] : memref<2x8xf32>
      }
    }
    affine.for %i = 0 to 8 {
      affine.for %j = 0 to 3 {
        affine.store %c, %y[%i, %j] : memref<8x3xf32>
      }
    }
    affine.for %i = 0 to 8 {
      affine.store %c, %y[%i, 0] : memref<8x3xf32>
    } {tern.hls.pipeline = 2 : i64}
    return
  }
  func.func @top(%o: memref<8x3xf32>) attributes {tern.hls.top, tern.hls.num_inputs = 0 : i64} {
    %b = memref.alloc() : memref<2x8xf32>
    call @stage(%b, %o) : (memref<2x8xf32>, memref<8x3xf32>) -> ()
    return
  }
}
