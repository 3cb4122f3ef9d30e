// RUN: tern-opt %s -split-input-file -tern-ternary-to-arith -verify-diagnostics | FileCheck %s
// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=select -tern-ternary-to-arith -verify-diagnostics | FileCheck %s --check-prefix=G64

// Constant weights become row-padded packed codes ([N, ceil(K/4)] i8) and a
// scale; the product becomes a select/add/sub accumulation with no multiply.
// Rows of 6 trits pad to 2 bytes: [1,0,-1,0|1,1] -> 0x46 0x5A,
// [-1,-1,-1,0|0,0] -> 0x40 0x55, [1,1,1,1|1,1] -> 0xAA 0x5A.

// CHECK-DAG: #[[MX:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3, d4)>
// CHECK-DAG: #[[MW:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d4)>
// CHECK-DAG: #[[MO:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1)>
// CHECK-LABEL: func.func @constant_weights
// CHECK-SAME: (%[[X:.*]]: tensor<2x6xi8>)
// CHECK-DAG: %[[FLAT:.*]] = arith.constant dense_resource<[[BLOB:tern_packed.*]]> : tensor<6xi8>
// CHECK-DAG: %[[CODES:.*]] = tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [3, 2] : tensor<6xi8> into tensor<3x2xi8>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[PAD:.*]] = tensor.insert_slice %[[X]] into %{{.*}}[0, 0] [2, 6] [1, 1] : tensor<2x6xi8> into tensor<2x8xi8>
// CHECK: %[[X4:.*]] = tensor.expand_shape %[[PAD]] {{\[\[}}0], [1, 2, 3]] output_shape [2, 2, 4, 1]
// CHECK: %[[W3:.*]] = tensor.expand_shape %[[CODES]] {{\[\[}}0], [1, 2]] output_shape [3, 2, 1]
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[MX]], #[[MW]], #[[MO]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[X4]], %[[W3]] : tensor<2x2x4x1xi8>, tensor<3x2x1xi8>) outs(%{{.*}} : tensor<2x3xi32>) attrs = {tern.group_bytes = 1 : i64, tern.ternary_accumulation}
// CHECK: ^bb0(%[[XV:.*]]: i8, %[[WV:.*]]: i8, %[[ACC_IN:.*]]: i32):
// CHECK:   %[[J:.*]] = linalg.index 3 : index
// CHECK:   %[[J8:.*]] = arith.index_cast %[[J]] : index to i8
// CHECK:   %[[SH:.*]] = arith.addi %[[J8]], %[[J8]] : i8
// CHECK:   %[[BITS:.*]] = arith.shrui %[[WV]], %[[SH]] : i8
// CHECK:   %[[CODE:.*]] = arith.andi %[[BITS]], %{{.*}} : i8
// CHECK:   %[[XI:.*]] = arith.extsi %[[XV]] : i8 to i32
// CHECK:   %[[PLUS:.*]] = arith.addi %[[ACC_IN]], %[[XI]] : i32
// CHECK:   %[[MINUS:.*]] = arith.subi %[[ACC_IN]], %[[XI]] : i32
// CHECK:   %[[ISP:.*]] = arith.cmpi eq, %[[CODE]], %{{.*}} : i8
// CHECK:   %[[ISM:.*]] = arith.cmpi eq, %[[CODE]], %{{.*}} : i8
// CHECK:   %[[S1:.*]] = arith.select %[[ISM]], %[[MINUS]], %[[ACC_IN]] : i32
// CHECK:   %[[S2:.*]] = arith.select %[[ISP]], %[[PLUS]], %[[S1]] : i32
// CHECK:   linalg.yield %[[S2]] : i32
// CHECK-NOT: arith.muli
// CHECK: return %[[ACC]], %[[SCALE]]
// CHECK: [[BLOB]]: "0x01000000465A4055AA5A"

// With 64-byte groups, each row pads to 256 trits (one group of 64 bytes);
// trit k sits in byte k % 64 at bits 2 * (k / 64): for K = 6 all trits are
// in the low bit pair of bytes 0..5, the rest is zero-trit padding (0x55).
// G64-LABEL: func.func @constant_weights
// G64: arith.constant dense_resource<[[BLOB64:tern_packed.*]]> : tensor<192xi8>
// G64: tensor.expand_shape {{.*}} : tensor<192xi8> into tensor<3x1x64xi8>
// G64: tensor.expand_shape %{{.*}} output_shape [2, 1, 4, 64] : tensor<2x256xi8> into tensor<2x1x4x64xi8>
// G64: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x1x4x64xi8>, tensor<3x1x64xi8>) {{.*}} attrs = {tern.group_bytes = 64 : i64, tern.ternary_accumulation}
// G64: [[BLOB64]]: "0x01000000565554555656555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555454545555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555556565656565655555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555"
func.func @constant_weights(%x: tensor<2x6xi8>) -> (tensor<2x3xi32>, f32) {
  %w = tern.constant #tern.ternary<3x6, scale = 0.5, [1, 0, -1, 0, 1, 1, -1, -1, -1, 0, 0, 0, 1, 1, 1, 1, 1, 1]>
  %y = tern.tmatmul %x, %w : tensor<2x6xi8>, !tern.ternary<3x6> -> tensor<2x3xi32>
  %s = tern.weight_scale %w : !tern.ternary<3x6>
  return %y, %s : tensor<2x3xi32>, f32
}

// -----

// With K % 4 == 0 the attribute's blob is already in row layout and is shared.
// CHECK-LABEL: func.func @shared_blob
// CHECK: arith.constant dense_resource<[[KEY:ternary.*]]> : tensor<2x1xi8>
// CHECK-NOT: tensor.insert_slice
// CHECK: [[KEY]]: "0x0100000064A9"
func.func @shared_blob(%x: tensor<1x4xi8>) -> tensor<1x2xi32> {
  %w = tern.constant #tern.ternary<2x4, scale = 1.0, [-1, 0, 1, 0, 0, 1, 1, 1]>
  %y = tern.tmatmul %x, %w : tensor<1x4xi8>, !tern.ternary<2x4> -> tensor<1x2xi32>
  return %y : tensor<1x2xi32>
}

// -----

// Run-time weights: absmean scale and a packing kernel that ORs four codes per byte.
// CHECK-LABEL: func.func @runtime_weights
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK:   math.absf
// CHECK: %[[SUM:.*]] = tensor.extract
// CHECK: %[[MEAN:.*]] = arith.divf %[[SUM]], %{{.*}} : f32
// CHECK: %[[CLAMPED:.*]] = arith.maximumf %[[MEAN]], %{{.*}} : f32
// CHECK: %[[SW:.*]] = arith.divf %{{.*}}, %[[CLAMPED]] : f32
// CHECK: %[[CODES:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK:   math.roundeven
// CHECK:   arith.shli
// CHECK:   arith.ori
// CHECK: %[[CODES2:.*]] = tensor.collapse_shape %[[CODES]]
// CHECK: %[[CODES3:.*]] = tensor.expand_shape %[[CODES2]]
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[CODES3]] : tensor<1x2x4x1xi8>, tensor<3x2x1xi8>) {{.*}} attrs = {tern.group_bytes = 1 : i64, tern.ternary_accumulation}
// CHECK: return %{{.*}}, %[[SW]]
func.func @runtime_weights(%x: tensor<1x8xi8>, %lw: tensor<3x8xf32>) -> (tensor<1x3xi32>, f32) {
  %q = tern.weight_quant %lw : tensor<3x8xf32> -> !tern.ternary<3x8>
  %y = tern.tmatmul %x, %q : tensor<1x8xi8>, !tern.ternary<3x8> -> tensor<1x3xi32>
  %s = tern.weight_scale %q : !tern.ternary<3x8>
  return %y, %s : tensor<1x3xi32>, f32
}

// -----

func.func @not_decomposed(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = tern.constant #tern.ternary<2x4, scale = 1.0, [-1, 0, 1, 0, 0, 1, 1, 1]>
  // expected-error @+1 {{'tern.bitlinear' op must be decomposed (tern-decompose) before tern-ternary-to-arith lowers its weights}}
  %y = tern.bitlinear %x, %w : tensor<1x4xf32>, !tern.ternary<2x4> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @weights_argument(%x: tensor<1x4xi8>, %w: !tern.ternary<2x4>) -> tensor<1x2xi32> {
  // expected-error @+1 {{'tern.tmatmul' op uses ternary weights that do not come from tern.constant or tern.weight_quant; the CPU backend cannot lower it}}
  %y = tern.tmatmul %x, %w : tensor<1x4xi8>, !tern.ternary<2x4> -> tensor<1x2xi32>
  return %y : tensor<1x2xi32>
}
