// RUN: tern-opt %s --tern-cpu-to-linalg --tern-hls-tile-ternary-matmul=pe=2 | FileCheck %s
// RUN: tern-opt %s --tern-cpu-to-linalg --tern-hls-tile-ternary-matmul=pe=3 | FileCheck %s --check-prefix=PE3

// 4 rows of 6 trits -> G = 2 packed bytes per row; PE = 2 -> tiles of 2 rows.
func.func @main(%x: tensor<1x6xf32>) -> tensor<1x4xf32> {
  %w = tern.constant #tern.ternary<4x6, scale = 2.0, [1, 0, -1, 0, 1, 1,
                                                     0, 1, 1, -1, 0, 0,
                                                     -1, -1, 0, 1, 0, 1,
                                                     1, 0, 0, 0, -1, 1]>
  %y = tern.bitlinear %x, %w {act_bits = 8 : i32, eps = 1.0e-06 : f32}
      : tensor<1x6xf32>, !tern.ternary<4x6> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d4)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d3)>
// CHECK-DAG: #[[ACC:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @main
// Weights re-laid out as [N/P = 2][G = 2][P = 2].
// CHECK: %[[CODES:.*]] = arith.constant dense_resource<tern_hls_packed> : tensor<2x2x2xi8>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<1x2x2xi32>)
// (m, row tile, byte, row in tile, code in byte)
// CHECK: %[[T:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[ACC]]], iterator_types = ["parallel", "parallel", "reduction", "parallel", "reduction"]}
// CHECK-SAME: ins(%{{.*}}, %[[CODES]] : tensor<1x2x4xi8>, tensor<2x2x2xi8>) outs(%[[INIT]] : tensor<1x2x2xi32>)
// CHECK-SAME: tern.hls.pe = 2 : i64, tern.hls.ternary_matmul, tern.ternary_accumulation
// The same select/add/sub body; the code index is now dimension 4.
// CHECK: linalg.index 4 : index
// CHECK: arith.shrui
// CHECK: arith.addi %[[OUT:.*]], %[[XV:.*]] : i32
// CHECK: arith.subi %[[OUT]], %[[XV]] : i32
// CHECK: arith.select
// CHECK-NOT: arith.muli
// CHECK: tensor.collapse_shape %[[T]] {{\[}}[0], [1, 2]] : tensor<1x2x2xi32> into tensor<1x4xi32>
// Byte g of rows 2t, 2t+1 side by side (rows pack to 46 5A, 29 55, 90 59, 56 58).
// CHECK: tern_hls_packed: "0x0100000046295A5590565958"

// PE = 3 does not divide 4 rows: the largest divisor below it, 2.
// PE3: tern.hls.pe = 2 : i64
