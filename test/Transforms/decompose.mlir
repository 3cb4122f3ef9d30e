// RUN: tern-opt %s -split-input-file -tern-decompose -verify-diagnostics | FileCheck %s

// BitLinear: [rmsnorm] -> act_quant -> tmatmul -> acc / (s_x * s_w).
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @bitlinear
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[W:.*]]: !tern.ternary<4x8>, %[[G:.*]]: tensor<8xf32>)
// CHECK: %[[N:.*]] = tern.rmsnorm %[[X]] weight %[[G]]
// CHECK: %[[Q:.*]], %[[SX:.*]] = tern.act_quant %[[N]] {bits = 6 : i32} : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2x1xf32>
// CHECK: %[[ACC:.*]] = tern.tmatmul %[[Q]], %[[W]] : tensor<2x8xi8>, !tern.ternary<4x8> -> tensor<2x4xi32>
// CHECK: %[[SW:.*]] = tern.weight_scale %[[W]]
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[ACC]], %[[SX]] : tensor<2x4xi32>, tensor<2x1xf32>)
// CHECK: ^bb0(%[[A:.*]]: i32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[AF:.*]] = arith.sitofp %[[A]] : i32 to f32
// CHECK:   %[[D:.*]] = arith.mulf %[[S]], %[[SW]] : f32
// CHECK:   arith.divf %[[AF]], %[[D]] : f32
// CHECK-NOT: tern.bitlinear
func.func @bitlinear(%x: tensor<2x8xf32>, %w: !tern.ternary<4x8>, %g: tensor<8xf32>) -> tensor<2x4xf32> {
  %y = tern.bitlinear %x, %w norm %g {act_bits = 6 : i32} : tensor<2x8xf32>, !tern.ternary<4x8>, tensor<8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// A latent weight is quantized first; no norm means no rmsnorm.
// CHECK-LABEL: func.func @bitlinear_latent
// CHECK-NOT: tern.rmsnorm
// CHECK: %[[WQ:.*]] = tern.weight_quant %{{.*}} : tensor<4x8xf32> -> !tern.ternary<4x8>
// CHECK: tern.act_quant %{{.*}} : tensor<3x2x8xf32> -> tensor<3x2x8xi8>, tensor<3x2x1xf32>
// CHECK: tern.tmatmul %{{.*}}, %[[WQ]] : tensor<3x2x8xi8>, !tern.ternary<4x8> -> tensor<3x2x4xi32>
func.func @bitlinear_latent(%x: tensor<3x2x8xf32>, %w: tensor<4x8xf32>) -> tensor<3x2x4xf32> {
  %y = tern.bitlinear %x, %w : tensor<3x2x8xf32>, tensor<4x8xf32> -> tensor<3x2x4xf32>
  return %y : tensor<3x2x4xf32>
}

// -----

// GLU: gate = first half, up = second half, SiLU(gate) * up, down projection.
// CHECK-LABEL: func.func @glu
// CHECK-COUNT-1: tern.act_quant %{{.*}} : tensor<2x8xf32>
// CHECK: %[[GU:.*]] = linalg.generic
// CHECK: %[[GATE:.*]] = tensor.extract_slice %[[GU]][0, 0] [2, 16] [1, 1] : tensor<2x32xf32> to tensor<2x16xf32>
// CHECK: %[[UP:.*]] = tensor.extract_slice %[[GU]][0, 16] [2, 16] [1, 1] : tensor<2x32xf32> to tensor<2x16xf32>
// CHECK: linalg.generic {{.*}} ins(%[[GATE]], %[[UP]] : tensor<2x16xf32>, tensor<2x16xf32>)
// CHECK:   math.exp
// CHECK: tern.act_quant %{{.*}} : tensor<2x16xf32>
// CHECK: tern.tmatmul %{{.*}} : tensor<2x16xi8>, !tern.ternary<8x16> -> tensor<2x8xi32>
func.func @glu(%x: tensor<2x8xf32>, %wgu: !tern.ternary<32x8>, %wd: !tern.ternary<8x16>) -> tensor<2x8xf32> {
  %y = tern.glu %x gate_up %wgu down %wd : (tensor<2x8xf32>, !tern.ternary<32x8>, !tern.ternary<8x16>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Released MLGRU step: four projections, the g branch RMS-normalized with g_norm.
// CHECK-LABEL: func.func @mlgru_released
// CHECK-COUNT-3: tern.tmatmul %{{.*}} : tensor<8xi8>, !tern.ternary<8x8> -> tensor<8xi32>
// CHECK: tern.rmsnorm %{{.*}} weight %{{.*}} : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
// CHECK: tern.tmatmul %{{.*}} : tensor<8xi8>, !tern.ternary<8x8> -> tensor<8xi32>
// CHECK-NOT: tern.mlgru_step
func.func @mlgru_released(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>, %lb: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g lower_bound %lb : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return %o, %h2 : tensor<8xf32>, tensor<8xf32>
}

// -----

// Paper MLGRU step: no RMSNorm on the g branch.
// CHECK-LABEL: func.func @mlgru_paper
// CHECK-NOT: tern.rmsnorm
// CHECK-COUNT-4: tern.tmatmul
func.func @mlgru_paper(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>) -> (tensor<8xf32>, tensor<8xf32>) {
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) {variant = #tern<variant paper>} : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>) -> (tensor<8xf32>, tensor<8xf32>)
  return %o, %h2 : tensor<8xf32>, tensor<8xf32>
}

// -----

// A sequence projects all tokens at once (f, i before the loop; g, o after)
// and loops over time only for the element-wise recurrence h = f h + u.
// CHECK-LABEL: func.func @mlgru_sequence
// CHECK-SAME: (%[[X:.*]]: tensor<2x5x8xf32>, %[[H:.*]]: tensor<2x8xf32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-COUNT-2: tern.tmatmul %{{.*}} : tensor<2x5x8xi8>, !tern.ternary<8x8> -> tensor<2x5x8xi32>
// CHECK: %[[R:.*]]:2 = scf.for %[[T:.*]] = %[[C0]] to %[[C5]] step %[[C1]] iter_args(%[[S:.*]] = %[[H]], %[[O:.*]] = %{{.*}}) -> (tensor<2x8xf32>, tensor<2x5x8xf32>)
// CHECK-NOT: tern.tmatmul
// CHECK:   tensor.extract_slice %{{.*}}[0, %[[T]], 0] [2, 1, 8] [1, 1, 1] : tensor<2x5x8xf32> to tensor<2x8xf32>
// CHECK:   %[[HT:.*]] = linalg.generic
// CHECK:   %[[ALL:.*]] = tensor.insert_slice %[[HT]] into %[[O]][0, %[[T]], 0] [2, 1, 8] [1, 1, 1] : tensor<2x8xf32> into tensor<2x5x8xf32>
// CHECK:   %[[NEXT:.*]] = linalg.copy ins(%[[HT]] : tensor<2x8xf32>) outs(%[[S]] : tensor<2x8xf32>)
// CHECK:   scf.yield %[[NEXT]], %[[ALL]]
// CHECK: tern.tmatmul %{{.*}} : tensor<2x5x8xi8>, !tern.ternary<8x8> -> tensor<2x5x8xi32>
// CHECK: tern.rmsnorm
// CHECK: ins(%{{.*}}, %[[R]]#1 : tensor<2x5x8xf32>, tensor<2x5x8xf32>)
// CHECK: %[[OUT:.*]] = linalg.generic
// CHECK: return %[[OUT]], %[[R]]#0
func.func @mlgru_sequence(%x: tensor<2x5x8xf32>, %h: tensor<2x8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x8xf32>) {
  %o, %h2 = tern.mlgru_sequence %x, %h weights(%w, %w, %w, %w) g_norm %g : (tensor<2x5x8xf32>, tensor<2x8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x8xf32>)
  return %o, %h2 : tensor<2x5x8xf32>, tensor<2x8xf32>
}

// -----

func.func @dynamic(%x: tensor<?x8xf32>, %w: !tern.ternary<4x8>) -> tensor<?x4xf32> {
  // expected-error @+1 {{cannot decompose 'tern.bitlinear': it needs static shapes}}
  %y = tern.bitlinear %x, %w : tensor<?x8xf32>, !tern.ternary<4x8> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Two eps: the four BitLinear norms use eps (1e-8), the g branch's RMSNorm g_norm_eps (1e-6).
// CHECK-LABEL: func.func @mlgru_two_eps
// CHECK-COUNT-3: tern.rmsnorm %{{.*}} weight %{{.*}} {eps = 9.99999993E-9 : f32}
// CHECK: tern.rmsnorm %{{.*}} weight %[[GN:[a-z0-9]+]] : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
// CHECK: tern.rmsnorm %{{.*}} weight %{{.*}} {eps = 9.99999993E-9 : f32}
func.func @mlgru_two_eps(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %n: tensor<8xf32>, %g: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) norms(%n, %n, %n, %n) g_norm %g {eps = 1.0e-8 : f32} : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return %o, %h2 : tensor<8xf32>, tensor<8xf32>
}
