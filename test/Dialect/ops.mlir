// RUN: tern-opt %s -split-input-file | tern-opt -split-input-file | FileCheck %s
// RUN: tern-opt %s -split-input-file --mlir-print-op-generic | tern-opt -split-input-file | FileCheck %s

// Every tern op and the ternary type/attribute survive a print/parse round
// trip, in the custom and in the generic form.

// CHECK-LABEL: func.func @constant_and_scale
// CHECK: %[[W:.*]] = tern.constant #tern.ternary<2x3, scale = 5.000000e-01, [1, 0, -1, 0, 1, 1]>
// CHECK: tern.weight_scale %[[W]] : !tern.ternary<2x3>
func.func @constant_and_scale() -> f32 {
  %w = tern.constant #tern.ternary<2x3, scale = 0.5, [1, 0, -1, 0, 1, 1]>
  %s = tern.weight_scale %w : !tern.ternary<2x3>
  return %s : f32
}

// -----

// Odd sizes pad the last byte; the values still print exactly.
// CHECK-LABEL: func.func @odd_size
// CHECK: tern.constant #tern.ternary<1x5, scale = 2.000000e+00, [-1, -1, 0, 1, -1]>
func.func @odd_size() -> !tern.ternary<1x5> {
  %w = tern.constant #tern.ternary<1x5, scale = 2.0, [-1, -1, 0, 1, -1]>
  return %w : !tern.ternary<1x5>
}

// -----

// CHECK-LABEL: func.func @weight_quant
// CHECK: tern.weight_quant %{{.*}} : tensor<8x16xf32> -> !tern.ternary<8x16>
func.func @weight_quant(%w: tensor<8x16xf32>) -> !tern.ternary<8x16> {
  %t = tern.weight_quant %w : tensor<8x16xf32> -> !tern.ternary<8x16>
  return %t : !tern.ternary<8x16>
}

// -----

// CHECK-LABEL: func.func @act_quant
// CHECK: %{{.*}}, %{{.*}} = tern.act_quant %{{.*}} {bits = 4 : i32} : tensor<2x?x16xf32> -> tensor<2x?x16xi8>, tensor<2x?x1xf32>
func.func @act_quant(%x: tensor<2x?x16xf32>) -> (tensor<2x?x16xi8>, tensor<2x?x1xf32>) {
  %q, %s = tern.act_quant %x {bits = 4 : i32} : tensor<2x?x16xf32> -> tensor<2x?x16xi8>, tensor<2x?x1xf32>
  return %q, %s : tensor<2x?x16xi8>, tensor<2x?x1xf32>
}

// -----

// CHECK-LABEL: func.func @tmatmul
// CHECK: tern.tmatmul %{{.*}}, %{{.*}} : tensor<3x16xi8>, !tern.ternary<8x16> -> tensor<3x8xi32>
func.func @tmatmul(%x: tensor<3x16xi8>, %w: !tern.ternary<8x16>) -> tensor<3x8xi32> {
  %y = tern.tmatmul %x, %w : tensor<3x16xi8>, !tern.ternary<8x16> -> tensor<3x8xi32>
  return %y : tensor<3x8xi32>
}

// -----

// CHECK-LABEL: func.func @rmsnorm
// CHECK: tern.rmsnorm %{{.*}} weight %{{.*}} : tensor<3x16xf32>, tensor<16xf32> -> tensor<3x16xf32>
// CHECK: tern.rmsnorm %{{.*}} : tensor<3x16xf32> -> tensor<3x16xf32>
func.func @rmsnorm(%x: tensor<3x16xf32>, %g: tensor<16xf32>) -> (tensor<3x16xf32>, tensor<3x16xf32>) {
  %a = tern.rmsnorm %x weight %g : tensor<3x16xf32>, tensor<16xf32> -> tensor<3x16xf32>
  %b = tern.rmsnorm %x : tensor<3x16xf32> -> tensor<3x16xf32>
  return %a, %b : tensor<3x16xf32>, tensor<3x16xf32>
}

// -----

// CHECK-LABEL: func.func @bitlinear
// CHECK: tern.bitlinear %{{.*}}, %{{.*}} norm %{{.*}} {act_bits = 6 : i32, eps = 9.99999974E-6 : f32} : tensor<3x16xf32>, !tern.ternary<8x16>, tensor<16xf32> -> tensor<3x8xf32>
// CHECK: tern.bitlinear %{{.*}}, %{{.*}} : tensor<3x16xf32>, tensor<8x16xf32> -> tensor<3x8xf32>
func.func @bitlinear(%x: tensor<3x16xf32>, %w: !tern.ternary<8x16>, %g: tensor<16xf32>,
                     %lw: tensor<8x16xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  %a = tern.bitlinear %x, %w norm %g {eps = 1.0e-5 : f32, act_bits = 6 : i32}
      : tensor<3x16xf32>, !tern.ternary<8x16>, tensor<16xf32> -> tensor<3x8xf32>
  %b = tern.bitlinear %x, %lw : tensor<3x16xf32>, tensor<8x16xf32> -> tensor<3x8xf32>
  return %a, %b : tensor<3x8xf32>, tensor<3x8xf32>
}

// -----

// CHECK-LABEL: func.func @glu
// CHECK: tern.glu %{{.*}} gate_up %{{.*}} norm %{{.*}} down %{{.*}} norm %{{.*}} : (tensor<2x16xf32>, !tern.ternary<64x16>, tensor<16xf32>, !tern.ternary<16x32>, tensor<32xf32>) -> tensor<2x16xf32>
// CHECK: tern.glu %{{.*}} gate_up %{{.*}} down %{{.*}} : (tensor<2x16xf32>, tensor<64x16xf32>, !tern.ternary<16x32>) -> tensor<2x16xf32>
func.func @glu(%x: tensor<2x16xf32>, %wgu: !tern.ternary<64x16>, %ngu: tensor<16xf32>,
               %wd: !tern.ternary<16x32>, %nd: tensor<32xf32>, %lgu: tensor<64x16xf32>)
    -> (tensor<2x16xf32>, tensor<2x16xf32>) {
  %a = tern.glu %x gate_up %wgu norm %ngu down %wd norm %nd
      : (tensor<2x16xf32>, !tern.ternary<64x16>, tensor<16xf32>, !tern.ternary<16x32>, tensor<32xf32>) -> tensor<2x16xf32>
  %b = tern.glu %x gate_up %lgu down %wd
      : (tensor<2x16xf32>, tensor<64x16xf32>, !tern.ternary<16x32>) -> tensor<2x16xf32>
  return %a, %b : tensor<2x16xf32>, tensor<2x16xf32>
}

// -----

// CHECK-LABEL: func.func @mlgru_step_released
// CHECK: %{{.*}}, %{{.*}} = tern.mlgru_step %{{.*}}, %{{.*}} weights(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) norms(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) g_norm %{{.*}} lower_bound %{{.*}} :
func.func @mlgru_step_released(%x: tensor<2x16xf32>, %h: tensor<2x16xf32>, %w: !tern.ternary<16x16>,
                               %n: tensor<16xf32>) -> (tensor<2x16xf32>, tensor<2x16xf32>) {
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) norms(%n, %n, %n, %n) g_norm %n lower_bound %n
      : (tensor<2x16xf32>, tensor<2x16xf32>, !tern.ternary<16x16>, !tern.ternary<16x16>, !tern.ternary<16x16>, !tern.ternary<16x16>,
         tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<2x16xf32>, tensor<2x16xf32>)
  return %o, %h2 : tensor<2x16xf32>, tensor<2x16xf32>
}

// -----

// The paper variant, with a state width H = 8 different from D = 16.
// CHECK-LABEL: func.func @mlgru_step_paper
// CHECK: tern.mlgru_step %{{.*}}, %{{.*}} weights(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {variant = #tern<variant paper>} : (tensor<16xf32>, tensor<8xf32>, !tern.ternary<8x16>, !tern.ternary<8x16>, !tern.ternary<8x16>, !tern.ternary<16x8>) -> (tensor<16xf32>, tensor<8xf32>)
func.func @mlgru_step_paper(%x: tensor<16xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x16>,
                            %wo: !tern.ternary<16x8>) -> (tensor<16xf32>, tensor<8xf32>) {
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %wo) {variant = #tern<variant paper>}
      : (tensor<16xf32>, tensor<8xf32>, !tern.ternary<8x16>, !tern.ternary<8x16>, !tern.ternary<8x16>, !tern.ternary<16x8>) -> (tensor<16xf32>, tensor<8xf32>)
  return %o, %h2 : tensor<16xf32>, tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @mlgru_sequence
// CHECK: tern.mlgru_sequence %{{.*}}, %{{.*}} weights(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) g_norm %{{.*}} : (tensor<2x7x16xf32>, tensor<2x16xf32>, tensor<16x16xf32>, !tern.ternary<16x16>, !tern.ternary<16x16>, !tern.ternary<16x16>, tensor<16xf32>) -> (tensor<2x7x16xf32>, tensor<2x16xf32>)
func.func @mlgru_sequence(%x: tensor<2x7x16xf32>, %h: tensor<2x16xf32>, %lw: tensor<16x16xf32>,
                          %w: !tern.ternary<16x16>, %n: tensor<16xf32>) -> (tensor<2x7x16xf32>, tensor<2x16xf32>) {
  %o, %h2 = tern.mlgru_sequence %x, %h weights(%lw, %w, %w, %w) g_norm %n
      : (tensor<2x7x16xf32>, tensor<2x16xf32>, tensor<16x16xf32>, !tern.ternary<16x16>, !tern.ternary<16x16>, !tern.ternary<16x16>, tensor<16xf32>) -> (tensor<2x7x16xf32>, tensor<2x16xf32>)
  return %o, %h2 : tensor<2x7x16xf32>, tensor<2x16xf32>
}

// -----

// mmfreelm's two eps: BitLinear norms 1e-8 (eps), g_norm 1e-6 (g_norm_eps, the default:
// not printed); a non-default g_norm_eps is printed.
// CHECK-LABEL: func.func @mlgru_two_eps
// CHECK: tern.mlgru_step {{.*}} g_norm %{{.*}} {eps = 9.99999993E-9 : f32} :
// CHECK: tern.mlgru_sequence {{.*}} g_norm %{{.*}} {eps = 9.99999993E-9 : f32, g_norm_eps = 9.99999974E-6 : f32} :
func.func @mlgru_two_eps(%x: tensor<2x16xf32>, %xs: tensor<2x3x16xf32>, %h: tensor<2x16xf32>,
                         %w: !tern.ternary<16x16>, %n: tensor<16xf32>) -> (tensor<2x16xf32>, tensor<2x3x16xf32>) {
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %n {eps = 1.0e-8 : f32, g_norm_eps = 1.0e-6 : f32}
      : (tensor<2x16xf32>, tensor<2x16xf32>, !tern.ternary<16x16>, !tern.ternary<16x16>, !tern.ternary<16x16>, !tern.ternary<16x16>,
         tensor<16xf32>) -> (tensor<2x16xf32>, tensor<2x16xf32>)
  %os, %h3 = tern.mlgru_sequence %xs, %h weights(%w, %w, %w, %w) g_norm %n {eps = 1.0e-8 : f32, g_norm_eps = 1.0e-5 : f32}
      : (tensor<2x3x16xf32>, tensor<2x16xf32>, !tern.ternary<16x16>, !tern.ternary<16x16>, !tern.ternary<16x16>, !tern.ternary<16x16>,
         tensor<16xf32>) -> (tensor<2x3x16xf32>, tensor<2x16xf32>)
  return %o, %os : tensor<2x16xf32>, tensor<2x3x16xf32>
}

// -----

// CHECK-LABEL: func.func @index_check
// CHECK: tern.index_check %{{.*}}, 32000, "node 'embed' (Gather)" : tensor<1x1xi64>
// CHECK: tern.index_check %{{.*}}, 0, "" : tensor<3xi32>
func.func @index_check(%t: tensor<1x1xi64>, %u: tensor<3xi32>) {
  tern.index_check %t, 32000, "node 'embed' (Gather)" : tensor<1x1xi64>
  tern.index_check %u, 0, "" : tensor<3xi32>
  return
}
