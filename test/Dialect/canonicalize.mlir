// RUN: tern-opt %s -split-input-file -canonicalize | FileCheck %s

// Constant latent weights fold into packed ternary constants: the absmean of
// [[0.5, -1, 0], [2, 0.1, -0.3]] is 0.65, s_w = 1/0.65, and round(w * s_w)
// clipped to [-1, 1] gives [[1, -1, 0], [1, 0, 0]].
// CHECK-LABEL: func.func @fold_latent_weight
// CHECK: %[[W:.*]] = tern.constant #tern.ternary<2x3, scale = 1.53846157, [1, -1, 0, 1, 0, 0]>
// CHECK: tern.bitlinear %{{.*}}, %[[W]] : tensor<4x3xf32>, !tern.ternary<2x3> -> tensor<4x2xf32>
// CHECK-NOT: tern.weight_quant
func.func @fold_latent_weight(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %c = arith.constant dense<[[0.5, -1.0, 0.0], [2.0, 0.1, -0.3]]> : tensor<2x3xf32>
  %y = tern.bitlinear %x, %c : tensor<4x3xf32>, tensor<2x3xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A run-time latent weight becomes an explicit weight_quant of it.
// CHECK-LABEL: func.func @runtime_latent_weight
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[LW:.*]]: tensor<2x3xf32>)
// CHECK: %[[Q:.*]] = tern.weight_quant %[[LW]] : tensor<2x3xf32> -> !tern.ternary<2x3>
// CHECK: tern.bitlinear %[[X]], %[[Q]]
func.func @runtime_latent_weight(%x: tensor<4x3xf32>, %w: tensor<2x3xf32>) -> tensor<4x2xf32> {
  %y = tern.bitlinear %x, %w : tensor<4x3xf32>, tensor<2x3xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Ties round half to even: w * s_w = 0.5 -> 0 and 1.5 -> 2 -> clipped to 1.
// mean |w| = (0.5 + 1.5 + 1 + 1) / 4 = 1.
// CHECK-LABEL: func.func @fold_ties_to_even
// CHECK: tern.constant #tern.ternary<1x4, scale = 1.000000e+00, [0, 1, -1, 1]>
func.func @fold_ties_to_even() -> !tern.ternary<1x4> {
  %c = arith.constant dense<[[0.5, 1.5, -1.0, 1.0]]> : tensor<1x4xf32>
  %q = tern.weight_quant %c : tensor<1x4xf32> -> !tern.ternary<1x4>
  return %q : !tern.ternary<1x4>
}

// -----

// All-zero weights: the mean is clamped to 1e-5, so s_w = 1e5.
// CHECK-LABEL: func.func @fold_zero_weights
// CHECK: tern.constant #tern.ternary<2x2, scale = 1.000000e+05, [0, 0, 0, 0]>
func.func @fold_zero_weights() -> !tern.ternary<2x2> {
  %c = arith.constant dense<0.0> : tensor<2x2xf32>
  %q = tern.weight_quant %c : tensor<2x2xf32> -> !tern.ternary<2x2>
  return %q : !tern.ternary<2x2>
}

// -----

// Non-finite latent weights are left to run time.
// CHECK-LABEL: func.func @no_fold_nan
// CHECK: tern.weight_quant
func.func @no_fold_nan() -> !tern.ternary<1x2> {
  %c = arith.constant dense<[[0x7FC00000, 1.0]]> : tensor<1x2xf32>
  %q = tern.weight_quant %c : tensor<1x2xf32> -> !tern.ternary<1x2>
  return %q : !tern.ternary<1x2>
}

// -----

// CHECK-LABEL: func.func @fold_weight_scale
// CHECK: %[[S:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: return %[[S]]
func.func @fold_weight_scale() -> f32 {
  %w = tern.constant #tern.ternary<1x2, scale = 0.25, [1, -1]>
  %s = tern.weight_scale %w : !tern.ternary<1x2>
  return %s : f32
}

// -----

// CHECK-LABEL: func.func @tmatmul_zero_weights
// CHECK: %[[Z:.*]] = arith.constant dense<0> : tensor<3x2xi32>
// CHECK-NOT: tern.tmatmul
// CHECK: return %[[Z]]
func.func @tmatmul_zero_weights(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  %w = tern.constant #tern.ternary<2x4, scale = 1.0, [0, 0, 0, 0, 0, 0, 0, 0]>
  %y = tern.tmatmul %x, %w : tensor<3x4xi8>, !tern.ternary<2x4> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

// CHECK-LABEL: func.func @tmatmul_zero_input
// CHECK: arith.constant dense<0> : tensor<3x2xi32>
// CHECK-NOT: tern.tmatmul
func.func @tmatmul_zero_input(%w: !tern.ternary<2x4>) -> tensor<3x2xi32> {
  %x = arith.constant dense<0> : tensor<3x4xi8>
  %y = tern.tmatmul %x, %w : tensor<3x4xi8>, !tern.ternary<2x4> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

// Non-zero weights and a dynamic shape both keep the tmatmul.
// CHECK-LABEL: func.func @tmatmul_kept
// CHECK-COUNT-2: tern.tmatmul
func.func @tmatmul_kept(%x: tensor<3x4xi8>, %d: tensor<?x4xi8>) -> (tensor<3x2xi32>, tensor<?x2xi32>) {
  %w = tern.constant #tern.ternary<2x4, scale = 1.0, [0, 0, 0, 0, 0, 0, 0, 1]>
  %z = tern.constant #tern.ternary<2x4, scale = 1.0, [0, 0, 0, 0, 0, 0, 0, 0]>
  %y = tern.tmatmul %x, %w : tensor<3x4xi8>, !tern.ternary<2x4> -> tensor<3x2xi32>
  %e = tern.tmatmul %d, %z : tensor<?x4xi8>, !tern.ternary<2x4> -> tensor<?x2xi32>
  return %y, %e : tensor<3x2xi32>, tensor<?x2xi32>
}

// -----

// glu and both mlgru forms quantize their latent weights the same way.
// CHECK-LABEL: func.func @layers_latent_weights
// CHECK-COUNT-2: tern.weight_quant
// CHECK: tern.glu %{{.*}} gate_up %{{.*}} down %{{.*}} : (tensor<2x8xf32>, !tern.ternary<32x8>, !tern.ternary<8x16>)
// CHECK: tern.weight_quant
// CHECK: tern.mlgru_sequence {{.*}} : (tensor<5x8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>)
func.func @layers_latent_weights(%x: tensor<2x8xf32>, %wgu: tensor<32x8xf32>, %wd: tensor<8x16xf32>,
                                 %s: tensor<5x8xf32>, %h: tensor<8xf32>, %w: tensor<8x8xf32>, %g: tensor<8xf32>)
    -> (tensor<2x8xf32>, tensor<5x8xf32>, tensor<8xf32>) {
  %y = tern.glu %x gate_up %wgu down %wd : (tensor<2x8xf32>, tensor<32x8xf32>, tensor<8x16xf32>) -> tensor<2x8xf32>
  %o, %h2 = tern.mlgru_sequence %s, %h weights(%w, %w, %w, %w) g_norm %g
      : (tensor<5x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> (tensor<5x8xf32>, tensor<8xf32>)
  return %y, %o, %h2 : tensor<2x8xf32>, tensor<5x8xf32>, tensor<8xf32>
}
