// RUN: tern-opt %s -split-input-file --tern-cpu-to-linalg --tern-hls-tile-ternary-matmul=pe=2 \
// RUN:   --tern-hls-externalize-weights=top=tern_top --tern-hls-outline-stages \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   --buffer-results-to-out-params="modify-public-functions hoist-static-allocs" \
// RUN:   --tern-hls-legalize-dataflow --tern-hls-lower-ternary-matmul=simd=2 | FileCheck %s
// RUN: tern-opt %s -split-input-file --tern-cpu-to-linalg --tern-hls-tile-ternary-matmul=pe=2 \
// RUN:   --tern-hls-externalize-weights=top=tern_top --tern-hls-outline-stages \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   --buffer-results-to-out-params="modify-public-functions hoist-static-allocs" \
// RUN:   --tern-hls-legalize-dataflow --tern-hls-lower-ternary-matmul=simd=3 | FileCheck %s --check-prefix=S3

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
// CHECK-SAME: %[[Q:[^:]*]]: memref<1x6xi8>, %[[W:[^:]*]]: memref<2x2x2xi8> {tern.hls.weight_codes}, %[[OUT:[^:]*]]: memref<1x2x2xi32> {tern.hls.partition = array<i64: 3, 2>})
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
// The byte loop steps by S = 2 (SIMD) and is pipelined; per PE row p, the
// 4S = 8 lane terms (the generic's body on a zero accumulator: x, -x or 0),
// a 3-level adder tree, and one add into acc[p].
// CHECK-NEXT: affine.for %[[G:.*]] = 0 to 2 step 2 {
// CHECK-NEXT: affine.for %[[P:.*]] = 0 to 2 {
// CHECK-NEXT: %[[L:.*]] = memref.alloca() {tern.hls.partition = array<i64: 1, 0>} : memref<8xi32>
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT: affine.for %[[S:.*]] = 0 to 2 {
// One packed weight byte per row of the tile and byte of the word.
// CHECK-NEXT: %[[WB:.*]] = affine.load %[[W]][%[[NT]], %[[G]] + %[[S]], %[[P]]] : memref<2x2x2xi8>
// CHECK-NEXT: affine.for %[[J:.*]] = 0 to 4 {
// CHECK-NEXT: %[[XB:.*]] = affine.load %[[XV]][%[[M]], %[[G]] + %[[S]], %[[J]]]
// CHECK: arith.shrui %[[WB]]
// CHECK: %[[X32:.*]] = arith.extsi %[[XB]] : i8 to i32
// CHECK: %[[NEG:.*]] = arith.subi %[[ZERO]], %[[X32]] : i32
// CHECK: %[[T0:.*]] = arith.select %{{.*}}, %[[NEG]], %[[ZERO]] : i32
// CHECK-NEXT: %[[T:.*]] = arith.select %{{.*}}, %{{.*}}, %[[T0]] : i32
// CHECK-NEXT: affine.store %[[T]], %[[L]][%[[S]] * 4 + %[[J]]] : memref<8xi32>
// CHECK-NEXT: } {tern.hls.unroll = 0 : i64}
// CHECK-NEXT: } {tern.hls.unroll = 0 : i64}
// CHECK-NEXT: affine.for %[[I1:.*]] = 0 to 4 {
// CHECK-NEXT: %[[A:.*]] = affine.load %[[L]][%[[I1]] * 2] : memref<8xi32>
// CHECK-NEXT: %[[B:.*]] = affine.load %[[L]][%[[I1]] * 2 + 1] : memref<8xi32>
// CHECK-NEXT: %[[AB:.*]] = arith.addi %[[A]], %[[B]] : i32
// CHECK-NEXT: affine.store %[[AB]], %[[L]][%[[I1]]] : memref<8xi32>
// CHECK-NEXT: } {tern.hls.unroll = 0 : i64}
// CHECK-NEXT: affine.for %{{.*}} = 0 to 2 {
// CHECK: } {tern.hls.unroll = 0 : i64}
// CHECK-NEXT: affine.for %{{.*}} = 0 to 1 {
// CHECK: } {tern.hls.unroll = 0 : i64}
// CHECK: %[[SUM:.*]] = affine.load %[[L]][%{{.*}}] : memref<8xi32>
// CHECK-NEXT: %[[OLD:.*]] = affine.load %[[ACC]][%[[P]]] : memref<2xi32>
// CHECK-NEXT: %[[NEW:.*]] = arith.addi %[[OLD]], %[[SUM]] : i32
// CHECK-NEXT: affine.store %[[NEW]], %[[ACC]][%[[P]]] : memref<2xi32>
// CHECK-NEXT: } {tern.hls.unroll = 0 : i64}
// CHECK-NEXT: } {tern.hls.pipeline = 1 : i64}
// CHECK-NEXT: affine.for %[[P1:.*]] = 0 to 2 {
// CHECK-NEXT: affine.load %[[ACC]][%[[P1]]]
// CHECK-NEXT: affine.store %{{.*}}, %[[OUT]][%[[M]], %[[NT]], %[[P1]]]
// CHECK-NOT: linalg.generic {{.*}}tern.hls.ternary_matmul
// CHECK-LABEL: func.func @tern_top

// -----

// G = 3 bytes per row and simd=2: S = 1 (the largest divisor of G not above
// simd), 4 lanes. With simd=3: S = 3, 12 lanes, and the odd level (3 lanes)
// carries its last lane: 12 -> 6 -> 3 -> 2 -> 1.
func.func @main(%x: tensor<1x12xf32>) -> tensor<1x2xf32> {
  %w = tern.constant #tern.ternary<2x12, scale = 1.0, [1, 0, -1, 0, 1, 1, 1, 0, -1, 0, 1, 1,
                                                      0, 1, 1, -1, 0, 0, 1, 0, -1, 0, 1, -1]>
  %y = tern.bitlinear %x, %w {act_bits = 8 : i32, eps = 1.0e-06 : f32}
      : tensor<1x12xf32>, !tern.ternary<2x12> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
// CHECK-LABEL: func.func private @tern_top_s3_ternary_matmul(
// CHECK: affine.for %{{.*}} = 0 to 3 {
// CHECK-NEXT: affine.for %{{.*}} = 0 to 2 {
// CHECK-NEXT: memref.alloca() {tern.hls.partition = array<i64: 1, 0>} : memref<4xi32>
// S3: {{// -{5}$}}
// S3: func.func private @tern_top_s3_ternary_matmul(
// S3-SAME: memref<1x12xi8> {{.*}}, %{{.*}}: memref<1x3x2xi8>
// S3: affine.for %{{.*}} = 0 to 3 step 3 {
// S3: %[[L:.*]] = memref.alloca() {{.*}} : memref<12xi32>
// S3: affine.for %{{.*}} = 0 to 6 {
// S3: affine.for %{{.*}} = 0 to 3 {
// S3: affine.for %{{.*}} = 0 to 1 {
// S3: } {tern.hls.unroll = 0 : i64}
// S3-NEXT: %[[C2:.*]] = arith.constant 2 : index
// S3-NEXT: %[[C1:.*]] = arith.constant 1 : index
// S3-NEXT: %[[LAST:.*]] = affine.load %[[L]][%[[C2]]] : memref<12xi32>
// S3-NEXT: affine.store %[[LAST]], %[[L]][%[[C1]]] : memref<12xi32>
// S3-NEXT: affine.for %{{.*}} = 0 to 1 {
// S3: } {tern.hls.unroll = 0 : i64}
// S3: affine.load %[[L]][%{{.*}}] : memref<12xi32>
// S3-NEXT: affine.load %{{.*}} : memref<2xi32>
// S3-NEXT: arith.addi
