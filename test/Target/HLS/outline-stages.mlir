// RUN: tern-opt %s --tern-cpu-to-linalg --tern-hls-tile-ternary-matmul --tern-hls-externalize-weights=top=tern_top --tern-hls-outline-stages | FileCheck %s

func.func @main(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %w = tern.constant #tern.ternary<4x6, scale = 2.0, [1, 0, -1, 0, 1, 1,
                                                     0, 1, 1, -1, 0, 0,
                                                     -1, -1, 0, 1, 0, 1,
                                                     1, 0, 0, 0, -1, 1]>
  %y = tern.bitlinear %x, %w {act_bits = 8 : i32, eps = 1.0e-06 : f32}
      : tensor<2x6xf32>, !tern.ternary<4x6> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// Each compute op is a private stage function; the glue it reads (fills,
// reshapes, the zero padding of K) is cloned into it.
// CHECK-LABEL: func.func private @tern_top_s0_reduction(
// CHECK-SAME: %{{.*}}: tensor<2x6xf32>) -> tensor<2xf32>
// CHECK-SAME: attributes {tern.hls.stage = "reduction"}
// The max-abs reduction initializes its own accumulator.
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: math.absf
// CHECK-LABEL: func.func private @tern_top_s1_elementwise
// CHECK-LABEL: func.func private @tern_top_s2_elementwise
// CHECK-SAME: -> tensor<2x6xi8>
// CHECK-LABEL: func.func private @tern_top_s3_ternary_matmul(
// CHECK-SAME: %[[Q:.*]]: tensor<2x6xi8>, %[[W:.*]]: tensor<4x2x1xi8>) -> tensor<2x4x1xi32>
// CHECK-SAME: tern.hls.stage = "ternary_matmul"
// CHECK: tensor.insert_slice %[[Q]] into
// CHECK: linalg.generic {{.*}} tern.hls.ternary_matmul
// CHECK-LABEL: func.func private @tern_top_s4_elementwise
// The top is calls between the stages.
// CHECK-LABEL: func.func @tern_top(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x6xf32> {{.*}}, %[[WP:[^:]*]]: tensor<4x2x1xi8>
// CHECK-NEXT: %[[A:.*]] = call @tern_top_s0_reduction(%[[X]])
// CHECK-NEXT: %[[S:.*]] = call @tern_top_s1_elementwise(%[[A]])
// CHECK-NEXT: %[[QQ:.*]] = call @tern_top_s2_elementwise(%[[X]], %[[S]])
// CHECK-NEXT: %[[ACC:.*]] = call @tern_top_s3_ternary_matmul(%[[QQ]], %[[WP]])
// CHECK-NEXT: %[[Y:.*]] = call @tern_top_s4_elementwise(%[[ACC]], %[[S]])
// CHECK-NEXT: return %[[Y]]
