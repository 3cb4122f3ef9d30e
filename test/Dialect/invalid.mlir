// RUN: tern-opt %s -split-input-file -verify-diagnostics

// One case per verifier error of the tern dialect.

// expected-error @+1 {{ternary weights must be a 2-D [out x in] matrix, got rank 3}}
func.func @type_rank(%w: !tern.ternary<2x3x4>)

// -----

// expected-error @+1 {{ternary weight dimensions must be positive, got 0x3}}
func.func @type_zero_dim(%w: !tern.ternary<0x3>)

// -----

func.func @attr_rank() {
  // expected-error @+1 {{ternary weights must be a 2-D [out x in] matrix, got rank 1}}
  %w = tern.constant #tern.ternary<3, scale = 1.0, [1, 0, -1]>
  return
}

// -----

func.func @attr_value_range() {
  // expected-error @+1 {{ternary weight values must be -1, 0 or 1}}
  %w = tern.constant #tern.ternary<1x3, scale = 1.0, [1, 2, -1]>
  return
}

// -----

func.func @attr_value_count() {
  // expected-error @+1 {{expected 6 ternary values for 2x3, got 5}}
  %w = tern.constant #tern.ternary<2x3, scale = 1.0, [1, 0, -1, 0, 1]>
  return
}

// -----

func.func @attr_scale_negative() {
  // expected-error @+1 {{ternary weight scale must be finite and positive, got -2}}
  %w = tern.constant #tern.ternary<1x2, scale = -2.0, [1, 0]>
  return
}

// -----

func.func @attr_scale_zero() {
  // expected-error @+1 {{ternary weight scale must be finite and positive, got 0}}
  %w = tern.constant #tern.ternary<1x2, scale = 0.0, [1, 0]>
  return
}

// -----

func.func @attr_not_resource() {
  // expected-error @+1 {{expected a value list or a dense_resource of packed i8}}
  %w = tern.constant #tern.ternary<1x2, scale = 1.0, dense<1> : tensor<1xi8>>
  return
}

// -----

func.func @attr_packed_type() {
  // expected-error @+1 {{packed ternary weights must be a 1-D i8 resource, got 'tensor<1xi32>'}}
  %w = tern.constant #tern.ternary<1x2, scale = 1.0, dense_resource<blob> : tensor<1xi32>>
  return
}

// -----

func.func @attr_packed_size() {
  // expected-error @+1 {{packed ternary weights for 4x4 need 4 bytes (2 bits per weight), got 3}}
  %w = tern.constant #tern.ternary<4x4, scale = 1.0, dense_resource<blob> : tensor<3xi8>>
  return
}

// -----

func.func @constant_blob_missing() {
  // expected-error @+1 {{'tern.constant' op packed weights blob 'missing' is not loaded}}
  %w = tern.constant #tern.ternary<1x4, scale = 1.0, dense_resource<missing> : tensor<1xi8>>
  return
}

// -----

func.func @constant_blob_invalid_code() {
  // expected-error @+1 {{'tern.constant' op packed weights contain an invalid 2-bit code (0b11) or non-zero padding}}
  %w = tern.constant #tern.ternary<1x4, scale = 1.0, dense_resource<bad> : tensor<1xi8>>
  return
}
{-#
  dialect_resources: {
    builtin: {
      bad: "0x01000000FF"
    }
  }
#-}

// -----

func.func @constant_blob_bad_padding() {
  // expected-error @+1 {{'tern.constant' op packed weights contain an invalid 2-bit code (0b11) or non-zero padding}}
  %w = tern.constant #tern.ternary<1x3, scale = 1.0, dense_resource<pad> : tensor<1xi8>>
  return
}
{-#
  dialect_resources: {
    builtin: {
      pad: "0x0100000095"
    }
  }
#-}

// -----

func.func @weight_quant_shape(%w: tensor<4x8xf32>) {
  // expected-error @+1 {{'tern.weight_quant' op result '!tern.ternary<8x4>' does not match the input shape 'tensor<4x8xf32>'}}
  %t = tern.weight_quant %w : tensor<4x8xf32> -> !tern.ternary<8x4>
  return
}

// -----

func.func @act_quant_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'tern.act_quant' op input must have at least one dimension}}
  %q, %s = tern.act_quant %x : tensor<f32> -> tensor<i8>, tensor<f32>
  return
}

// -----

func.func @act_quant_bits(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tern.act_quant' op bits must be in [2, 8], got 9}}
  %q, %s = tern.act_quant %x {bits = 9 : i32} : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2x1xf32>
  return
}

// -----

func.func @act_quant_output_shape(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tern.act_quant' op quantized output dimension 1 must be 8, got 'tensor<2x4xi8>'}}
  %q, %s = tern.act_quant %x : tensor<2x8xf32> -> tensor<2x4xi8>, tensor<2x1xf32>
  return
}

// -----

func.func @act_quant_scale_shape(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tern.act_quant' op scale dimension 1 must be 1, got 'tensor<2x8xf32>'}}
  %q, %s = tern.act_quant %x : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2x8xf32>
  return
}

// -----

func.func @act_quant_scale_rank(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tern.act_quant' op scale must have rank 2, got 'tensor<2xf32>'}}
  %q, %s = tern.act_quant %x : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2xf32>
  return
}

// -----

func.func @tmatmul_scalar(%x: tensor<i8>, %w: !tern.ternary<4x8>) {
  // expected-error @+1 {{'tern.tmatmul' op input must have at least one dimension}}
  %y = tern.tmatmul %x, %w : tensor<i8>, !tern.ternary<4x8> -> tensor<4xi32>
  return
}

// -----

func.func @tmatmul_cols(%x: tensor<2x6xi8>, %w: !tern.ternary<4x8>) {
  // expected-error @+1 {{'tern.tmatmul' op weight has 8 input columns but the input has 6 features}}
  %y = tern.tmatmul %x, %w : tensor<2x6xi8>, !tern.ternary<4x8> -> tensor<2x4xi32>
  return
}

// -----

func.func @tmatmul_result(%x: tensor<2x8xi8>, %w: !tern.ternary<4x8>) {
  // expected-error @+1 {{'tern.tmatmul' op result dimension 1 must be 4, got 'tensor<2x8xi32>'}}
  %y = tern.tmatmul %x, %w : tensor<2x8xi8>, !tern.ternary<4x8> -> tensor<2x8xi32>
  return
}

// -----

func.func @rmsnorm_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'tern.rmsnorm' op input must have at least one dimension}}
  %y = tern.rmsnorm %x : tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @rmsnorm_eps(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tern.rmsnorm' op eps must be finite and non-negative, got -1}}
  %y = tern.rmsnorm %x {eps = -1.0 : f32} : tensor<2x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @rmsnorm_result(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tern.rmsnorm' op result type 'tensor<2x?xf32>' must equal the input type 'tensor<2x8xf32>'}}
  %y = tern.rmsnorm %x : tensor<2x8xf32> -> tensor<2x?xf32>
  return
}

// -----

func.func @rmsnorm_weight(%x: tensor<2x8xf32>, %g: tensor<7xf32>) {
  // expected-error @+1 {{'tern.rmsnorm' op weight must have 8 elements, got 7}}
  %y = tern.rmsnorm %x weight %g : tensor<2x8xf32>, tensor<7xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @bitlinear_scalar(%x: tensor<f32>, %w: !tern.ternary<4x8>) {
  // expected-error @+1 {{'tern.bitlinear' op input must have at least one dimension}}
  %y = tern.bitlinear %x, %w : tensor<f32>, !tern.ternary<4x8> -> tensor<4xf32>
  return
}

// -----

func.func @bitlinear_eps(%x: tensor<2x8xf32>, %w: !tern.ternary<4x8>) {
  // expected-error @+1 {{'tern.bitlinear' op eps must be finite and non-negative, got -1}}
  %y = tern.bitlinear %x, %w {eps = -1.0 : f32} : tensor<2x8xf32>, !tern.ternary<4x8> -> tensor<2x4xf32>
  return
}

// -----

func.func @bitlinear_bits(%x: tensor<2x8xf32>, %w: !tern.ternary<4x8>) {
  // expected-error @+1 {{'tern.bitlinear' op act_bits must be in [2, 8], got 1}}
  %y = tern.bitlinear %x, %w {act_bits = 1 : i32} : tensor<2x8xf32>, !tern.ternary<4x8> -> tensor<2x4xf32>
  return
}

// -----

func.func @bitlinear_cols(%x: tensor<2x8xf32>, %w: tensor<4x6xf32>) {
  // expected-error @+1 {{'tern.bitlinear' op weight has 6 input columns but the input has 8 features}}
  %y = tern.bitlinear %x, %w : tensor<2x8xf32>, tensor<4x6xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @bitlinear_norm(%x: tensor<2x8xf32>, %w: !tern.ternary<4x8>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'tern.bitlinear' op norm weight must have 8 elements, got 4}}
  %y = tern.bitlinear %x, %w norm %g : tensor<2x8xf32>, !tern.ternary<4x8>, tensor<4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @bitlinear_result(%x: tensor<2x8xf32>, %w: !tern.ternary<4x8>) {
  // expected-error @+1 {{'tern.bitlinear' op result must have rank 2, got 'tensor<4xf32>'}}
  %y = tern.bitlinear %x, %w : tensor<2x8xf32>, !tern.ternary<4x8> -> tensor<4xf32>
  return
}

// -----

func.func @bitlinear_weight_type(%x: tensor<2x8xf32>, %w: tensor<4x8xf16>) {
  // expected-error @+1 {{'tern.bitlinear' op operand #1 must be latent f32 weight matrix or !tern.ternary}}
  %y = tern.bitlinear %x, %w : tensor<2x8xf32>, tensor<4x8xf16> -> tensor<2x4xf32>
  return
}

// -----

func.func @glu_gate_up_cols(%x: tensor<2x8xf32>, %wgu: !tern.ternary<32x6>, %wd: !tern.ternary<8x16>) {
  // expected-error @+1 {{'tern.glu' op gate_up weight has 6 input columns but the input has 8 features}}
  %y = tern.glu %x gate_up %wgu down %wd : (tensor<2x8xf32>, !tern.ternary<32x6>, !tern.ternary<8x16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @glu_odd_rows(%x: tensor<2x8xf32>, %wgu: !tern.ternary<31x8>, %wd: !tern.ternary<8x16>) {
  // expected-error @+1 {{'tern.glu' op gate_up weight must have an even number of rows (gate and up halves), got 31}}
  %y = tern.glu %x gate_up %wgu down %wd : (tensor<2x8xf32>, !tern.ternary<31x8>, !tern.ternary<8x16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @glu_down_cols(%x: tensor<2x8xf32>, %wgu: !tern.ternary<32x8>, %wd: !tern.ternary<8x32>) {
  // expected-error @+1 {{'tern.glu' op down weight has 32 input columns but the input has 16 features}}
  %y = tern.glu %x gate_up %wgu down %wd : (tensor<2x8xf32>, !tern.ternary<32x8>, !tern.ternary<8x32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @glu_gate_up_norm(%x: tensor<2x8xf32>, %wgu: !tern.ternary<32x8>, %n: tensor<16xf32>, %wd: !tern.ternary<8x16>) {
  // expected-error @+1 {{'tern.glu' op gate_up norm weight must have 8 elements, got 16}}
  %y = tern.glu %x gate_up %wgu norm %n down %wd : (tensor<2x8xf32>, !tern.ternary<32x8>, tensor<16xf32>, !tern.ternary<8x16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @glu_down_norm(%x: tensor<2x8xf32>, %wgu: !tern.ternary<32x8>, %wd: !tern.ternary<8x16>, %n: tensor<8xf32>) {
  // expected-error @+1 {{'tern.glu' op down norm weight must have 16 elements, got 8}}
  %y = tern.glu %x gate_up %wgu down %wd norm %n : (tensor<2x8xf32>, !tern.ternary<32x8>, !tern.ternary<8x16>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @glu_result(%x: tensor<2x8xf32>, %wgu: !tern.ternary<32x8>, %wd: !tern.ternary<8x16>) {
  // expected-error @+1 {{'tern.glu' op result dimension 1 must be 8, got 'tensor<2x16xf32>'}}
  %y = tern.glu %x gate_up %wgu down %wd : (tensor<2x8xf32>, !tern.ternary<32x8>, !tern.ternary<8x16>) -> tensor<2x16xf32>
  return
}

// -----

func.func @glu_scalar(%x: tensor<f32>, %wgu: !tern.ternary<32x8>, %wd: !tern.ternary<8x16>) {
  // expected-error @+1 {{'tern.glu' op input must have at least one dimension}}
  %y = tern.glu %x gate_up %wgu down %wd : (tensor<f32>, !tern.ternary<32x8>, !tern.ternary<8x16>) -> tensor<8xf32>
  return
}

// -----

func.func @glu_bits(%x: tensor<2x8xf32>, %wgu: !tern.ternary<32x8>, %wd: !tern.ternary<8x16>) {
  // expected-error @+1 {{'tern.glu' op act_bits must be in [2, 8], got 12}}
  %y = tern.glu %x gate_up %wgu down %wd {act_bits = 12 : i32} : (tensor<2x8xf32>, !tern.ternary<32x8>, !tern.ternary<8x16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @glu_eps(%x: tensor<2x8xf32>, %wgu: !tern.ternary<32x8>, %wd: !tern.ternary<8x16>) {
  // expected-error @+1 {{'tern.glu' op eps must be finite and non-negative, got -1}}
  %y = tern.glu %x gate_up %wgu down %wd {eps = -1.0 : f32} : (tensor<2x8xf32>, !tern.ternary<32x8>, !tern.ternary<8x16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @mlgru_weight_count(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op expects 4 weights (f, i|c, g, o), got 3}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w) g_norm %g : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_norm_count(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op expects no norm weights or one per weight (4), got 2}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) norms(%g, %g) g_norm %g : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_sequence_rank(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_sequence' op input must have rank >= 2 ([..., T, D]), got 'tensor<8xf32>'}}
  %o, %h2 = tern.mlgru_sequence %x, %h weights(%w, %w, %w, %w) g_norm %g : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_step_scalar(%x: tensor<f32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op input must have rank >= 1 ([..., D]), got 'tensor<f32>'}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g : (tensor<f32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<f32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_gate_cols(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %wi: !tern.ternary<8x4>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op i|c weight has 4 input columns but the input has 8 features}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %wi, %w, %w) g_norm %g : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x4>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_gate_rows(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %wg: !tern.ternary<4x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op g weight must have 8 rows like the f weight, got 4}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %wg, %w) g_norm %g : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<4x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_o_cols(%x: tensor<8xf32>, %h: tensor<4xf32>, %w: !tern.ternary<4x8>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op o weight has 8 input columns but the input has 4 features}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g : (tensor<8xf32>, tensor<4xf32>, !tern.ternary<4x8>, !tern.ternary<4x8>, !tern.ternary<4x8>, !tern.ternary<4x8>, tensor<4xf32>) -> (tensor<8xf32>, tensor<4xf32>)
  return
}

// -----

func.func @mlgru_gate_norm(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>, %bad: tensor<3xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op f weight norm must have 8 elements, got 3}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) norms(%bad, %g, %g, %g) g_norm %g : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_o_norm(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>, %bad: tensor<3xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op o weight norm must have 8 elements, got 3}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) norms(%g, %g, %g, %bad) g_norm %g : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<3xf32>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_state(%x: tensor<2x8xf32>, %h: tensor<3x8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op state dimension 0 must be 2, got 'tensor<3x8xf32>'}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g : (tensor<2x8xf32>, tensor<3x8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<3x8xf32>)
  return
}

// -----

func.func @mlgru_final_state(%x: tensor<2x5x8xf32>, %h: tensor<2x8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_sequence' op final state must have rank 2, got 'tensor<2x5x8xf32>'}}
  %o, %h2 = tern.mlgru_sequence %x, %h weights(%w, %w, %w, %w) g_norm %g : (tensor<2x5x8xf32>, tensor<2x8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x8xf32>)
  return
}

// -----

func.func @mlgru_output(%x: tensor<2x5x8xf32>, %h: tensor<2x8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_sequence' op output dimension 1 must be 5, got 'tensor<2x4x8xf32>'}}
  %o, %h2 = tern.mlgru_sequence %x, %h weights(%w, %w, %w, %w) g_norm %g : (tensor<2x5x8xf32>, tensor<2x8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<2x4x8xf32>, tensor<2x8xf32>)
  return
}

// -----

func.func @mlgru_paper_g_norm(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op the paper variant takes no g_norm or lower_bound}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g {variant = #tern<variant paper>} : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_released_needs_g_norm(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>) {
  // expected-error @+1 {{'tern.mlgru_step' op the released variant requires a g_norm weight}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_g_norm_len(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<5xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op g_norm weight must have 8 elements, got 5}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<5xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_lower_bound_len(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>, %lb: tensor<2xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op lower_bound must have 8 elements, got 2}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g lower_bound %lb : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>, tensor<2xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_eps(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op eps must be finite and non-negative, got -1}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g {eps = -1.0 : f32} : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_bits(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op act_bits must be in [2, 8], got 0}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g {act_bits = 0 : i32} : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_negative_g_norm_eps(%x: tensor<8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op g_norm_eps must be finite and non-negative, got -1.000000e+00}}
  %o, %h2 = tern.mlgru_step %x, %h weights(%w, %w, %w, %w) g_norm %g {g_norm_eps = -1.0 : f32} : (tensor<8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @mlgru_paper_g_norm_eps(%x: tensor<2x8xf32>, %h: tensor<8xf32>, %w: !tern.ternary<8x8>) {
  // expected-error @+1 {{'tern.mlgru_sequence' op g_norm_eps (1.000000e-05) is set but the paper variant has no g_norm}}
  %o, %h2 = tern.mlgru_sequence %x, %h weights(%w, %w, %w, %w) {variant = #tern<variant paper>, g_norm_eps = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>) -> (tensor<2x8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @index_check_dynamic(%i: tensor<?xi64>) {
  // expected-error @+1 {{'tern.index_check' op indices must have a static shape, got 'tensor<?xi64>'}}
  tern.index_check %i, 4, "node 'g' (Gather)" : tensor<?xi64>
  return
}

// -----

func.func @index_check_i1(%i: tensor<2xi1>) {
  // expected-error @+1 {{'tern.index_check' op indices must be 8-, 16-, 32- or 64-bit integers, got 'i1'}}
  tern.index_check %i, 4, "node 'g' (Gather)" : tensor<2xi1>
  return
}

// -----

func.func @index_check_negative_dim(%i: tensor<2xi64>) {
  // expected-error @+1 {{'tern.index_check' op attribute 'dim' failed to satisfy constraint}}
  tern.index_check %i, -1, "node 'g' (Gather)" : tensor<2xi64>
  return
}
