// RUN: tern-opt %s --tern-cpu-to-linalg --tern-hls-tile-ternary-matmul=pe=2 \
// RUN:   --tern-hls-externalize-weights=top=tern_top --tern-hls-outline-stages \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   --buffer-results-to-out-params="modify-public-functions hoist-static-allocs" \
// RUN:   --tern-hls-legalize-dataflow --tern-hls-lower-ternary-matmul=simd=2 | FileCheck %s

func.func @main(%x: tensor<1x6xf32>) -> tensor<1x4xf32> {
  %w = tern.constant #tern.ternary<4x6, scale = 2.0, [1, 0, -1, 0, 1, 1,
                                                     0, 1, 1, -1, 0, 0,
                                                     -1, -1, 0, 1, 0, 1,
                                                     1, 0, 0, 0, -1, 1]>
  %y = tern.bitlinear %x, %w {act_bits = 8 : i32, eps = 1.0e-06 : f32}
      : tensor<1x6xf32>, !tern.ternary<4x6> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// CHECK-LABEL: func.func private @tern_top_s3_ternary_matmul(
// CHECK-SAME: %[[Q:[^:]*]]: memref<1x6xi8>, %[[W:[^:]*]]: memref<2x2x2xi8>, %[[OUT:[^:]*]]: memref<1x2x2xi32> {tern.hls.partition = array<i64: 3, 2>})
// The int8 activations zero-padded to 4G = 8, partitioned for 4 * SIMD reads.
// CHECK: %[[X:.*]] = memref.alloc() {{.*}}tern.hls.partition = array<i64: 2, 8>{{.*}} : memref<1x8xi8>
// CHECK: memref.expand_shape %[[X]]
// CHECK: %[[XV:.*]] = memref.collapse_shape
// CHECK: affine.for %[[M:.*]] = 0 to 1 {
// CHECK-NEXT: affine.for %[[NT:.*]] = 0 to 2 {
// P = 2 accumulators in registers.
// CHECK-NEXT: %[[ACC:.*]] = memref.alloca() {tern.hls.partition = array<i64: 1, 0>} : memref<2xi32>
// CHECK-NEXT: affine.for %[[P0:.*]] = 0 to 2 {
// CHECK-NEXT: affine.load %[[OUT]][%[[M]], %[[NT]], %[[P0]]]
// CHECK-NEXT: affine.store %{{.*}}, %[[ACC]][%[[P0]]]
// CHECK-NEXT: } {tern.hls.unroll = 0 : i64}
// CHECK-NEXT: affine.for %[[G:.*]] = 0 to 2 {
// CHECK-NEXT: affine.for %[[P:.*]] = 0 to 2 {
// One packed weight byte per row of the tile.
// CHECK-NEXT: %[[WB:.*]] = affine.load %[[W]][%[[NT]], %[[G]], %[[P]]] : memref<2x2x2xi8>
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 4 {
// CHECK-NEXT: %[[XB:.*]] = affine.load %[[XV]][%[[M]], %[[G]], %[[J]]]
// CHECK-NEXT: %[[A:.*]] = affine.load %[[ACC]][%[[P]]]
// CHECK-NEXT: arith.index_cast %[[J]] : index to i8
// CHECK: arith.shrui %[[WB]]
// CHECK: arith.addi %[[A]]
// CHECK: arith.subi %[[A]]
// CHECK: affine.store %{{.*}}, %[[ACC]][%[[P]]]
// CHECK-NEXT: } {tern.hls.unroll = 0 : i64}
// CHECK-NEXT: } {tern.hls.unroll = 0 : i64}
// CHECK-NEXT: } {tern.hls.pipeline = 1 : i64, tern.hls.unroll = 2 : i64}
// CHECK-NEXT: affine.for %[[P1:.*]] = 0 to 2 {
// CHECK-NEXT: affine.load %[[ACC]][%[[P1]]]
// CHECK-NEXT: affine.store %{{.*}}, %[[OUT]][%[[M]], %[[NT]], %[[P1]]]
// CHECK-NOT: linalg.generic {{.*}}tern.hls.ternary_matmul
// CHECK-LABEL: func.func @tern_top
