// RUN: tern-opt %s -split-input-file --tern-onnx-recognize-mlgru | FileCheck %s
// RUN: tern-opt %s -split-input-file --tern-onnx-recognize-mlgru=report \
// RUN:   --mlir-print-op-on-diagnostic=false 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// The released (mmfreelm) step with a lower bound:
//   f = lb + (1 - lb) * sigmoid(BL_f(x)); i = SiLU(BL_i(x)) * (1 - f); h' = f * h + i
//   y = BL_o(RMSNorm(BL_g(x), g_norm) * SiLU(h'))
// REPORT: remark: MLGRU step fused at tern.bitlinear: released variant, lower bound
// CHECK-LABEL: func.func @released(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<2x8xf32>, %[[H:[a-z0-9]+]]: tensor<2x8xf32>
// CHECK-SAME:    %[[WF:[a-z0-9]+]]: tensor<8x8xf32>, %[[WI:[a-z0-9]+]]: tensor<8x8xf32>, %[[WG:[a-z0-9]+]]: tensor<8x8xf32>, %[[WO:[a-z0-9]+]]: tensor<8x8xf32>, %[[GN:[a-z0-9]+]]: tensor<8xf32>, %[[LB:[a-z0-9]+]]: tensor<8xf32>
// CHECK:         %[[Y:.*]], %[[HN:.*]] = tern.mlgru_step %[[X]], %[[H]] weights(%[[WF]], %[[WI]], %[[WG]], %[[WO]]) g_norm %[[GN]] lower_bound %[[LB]]
// CHECK-NOT:     onnx.node
// CHECK:         return %[[Y]], %[[HN]]
func.func @released(%x: tensor<2x8xf32>, %h: tensor<2x8xf32>, %wf: tensor<8x8xf32>, %wi: tensor<8x8xf32>,
                    %wg: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %gn: tensor<8xf32>, %lb: tensor<8xf32>)
    -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %bf = tern.bitlinear %x, %wf : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %sf = onnx.node "Sigmoid"(%bf) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %olb = onnx.node "Sub"(%one, %lb) {opset = 17 : i64} : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %m = onnx.node "Mul"(%olb, %sf) {opset = 17 : i64} : (tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %f = onnx.node "Add"(%lb, %m) {opset = 17 : i64} : (tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %bi = tern.bitlinear %x, %wi : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %si = onnx.node "Sigmoid"(%bi) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %silu = onnx.node "Mul"(%bi, %si) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %of = onnx.node "Sub"(%one, %f) {opset = 17 : i64} : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %i = onnx.node "Mul"(%silu, %of) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %fh = onnx.node "Mul"(%f, %h) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %hn = onnx.node "Add"(%fh, %i) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %bg = tern.bitlinear %x, %wg : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %g = tern.rmsnorm %bg weight %gn : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  %sh = onnx.node "Sigmoid"(%hn) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %siluh = onnx.node "Mul"(%hn, %sh) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %z = onnx.node "Mul"(%g, %siluh) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %y = tern.bitlinear %z, %wo : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  return %y, %hn : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// The paper variant: h' = f * h + (1 - f) * SiLU(BL_c(x)), y = BL_o(sigmoid(BL_g(x)) * h').
// REPORT: remark: MLGRU step fused at tern.bitlinear: paper variant
// CHECK-LABEL: func.func @paper(
// CHECK:         %[[Y:.*]], %[[HN:.*]] = tern.mlgru_step %{{.*}}, %{{.*}} weights(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {variant = #tern<variant paper>}
// CHECK:         return %[[Y]], %[[HN]]
func.func @paper(%x: tensor<2x8xf32>, %h: tensor<2x8xf32>, %wf: tensor<8x8xf32>, %wc: tensor<8x8xf32>,
                 %wg: tensor<8x8xf32>, %wo: tensor<8x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %bf = tern.bitlinear %x, %wf : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %f = onnx.node "Sigmoid"(%bf) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %bc = tern.bitlinear %x, %wc : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %sc = onnx.node "Sigmoid"(%bc) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %c = onnx.node "Mul"(%bc, %sc) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %bg = tern.bitlinear %x, %wg : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %g = onnx.node "Sigmoid"(%bg) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %fh = onnx.node "Mul"(%h, %f) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %of = onnx.node "Sub"(%one, %f) {opset = 17 : i64} : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %fc = onnx.node "Mul"(%of, %c) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %hn = onnx.node "Add"(%fc, %fh) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %z = onnx.node "Mul"(%g, %hn) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %y = tern.bitlinear %z, %wo : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  return %y, %hn : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Near miss: the f and c projections read different inputs.
// REPORT: remark: MLGRU step not fused at tern.bitlinear: the f, i and g projections do not share their input
// CHECK-LABEL: func.func @different_inputs(
// CHECK-NOT:     tern.mlgru_step
// CHECK:         return
func.func @different_inputs(%x: tensor<2x8xf32>, %x2: tensor<2x8xf32>, %h: tensor<2x8xf32>, %wf: tensor<8x8xf32>,
                            %wc: tensor<8x8xf32>, %wg: tensor<8x8xf32>, %wo: tensor<8x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %bf = tern.bitlinear %x, %wf : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %f = onnx.node "Sigmoid"(%bf) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %bc = tern.bitlinear %x2, %wc : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %sc = onnx.node "Sigmoid"(%bc) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %c = onnx.node "Mul"(%bc, %sc) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %bg = tern.bitlinear %x, %wg : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %g = onnx.node "Sigmoid"(%bg) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %fh = onnx.node "Mul"(%h, %f) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %of = onnx.node "Sub"(%one, %f) {opset = 17 : i64} : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %fc = onnx.node "Mul"(%of, %c) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %hn = onnx.node "Add"(%fc, %fh) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %z = onnx.node "Mul"(%g, %hn) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %y = tern.bitlinear %z, %wo : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  return %y, %hn : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// A forward Scan over axis 0 whose body is one paper step becomes
// tern.mlgru_sequence between transposes ([T, B, D] <-> [B, T, D]).
// REPORT: remark: MLGRU step fused at tern.bitlinear: paper variant
// REPORT: remark: {{.*}}MLGRU sequence fused at node 'scan' (Scan, domain 'ai.onnx'): Scan over 5 steps
// CHECK-LABEL: func.func @scan(
// CHECK-SAME:    %[[XS:[a-z0-9]+]]: tensor<5x2x8xf32>, %[[H0:[a-z0-9]+]]: tensor<2x8xf32>
// CHECK:         %[[XB:.*]] = linalg.transpose ins(%[[XS]] : tensor<5x2x8xf32>) outs(%{{.*}} : tensor<2x5x8xf32>) permutation = [1, 0, 2]
// CHECK:         %[[Y:.*]], %[[HT:.*]] = tern.mlgru_sequence %[[XB]], %[[H0]] weights({{.*}}) {variant = #tern<variant paper>} : ({{.*}}) -> (tensor<2x5x8xf32>, tensor<2x8xf32>)
// CHECK:         %[[YT:.*]] = linalg.transpose ins(%[[Y]] : tensor<2x5x8xf32>) outs(%{{.*}} : tensor<5x2x8xf32>) permutation = [1, 0, 2]
// CHECK-NOT:     onnx.node
// CHECK:         return %[[HT]], %[[YT]]
func.func @scan(%xs: tensor<5x2x8xf32>, %h0: tensor<2x8xf32>, %wf: tensor<8x8xf32>, %wc: tensor<8x8xf32>,
                %wg: tensor<8x8xf32>, %wo: tensor<8x8xf32>) -> (tensor<2x8xf32>, tensor<5x2x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %r:2 = onnx.node "Scan"(%h0, %xs) {graph_names = ["body"], onnx_attrs = {num_scan_inputs = 1 : i64}, opset = 17 : i64}
      : (tensor<2x8xf32>, tensor<5x2x8xf32>) -> (tensor<2x8xf32>, tensor<5x2x8xf32>) {
  ^bb0(%h: tensor<2x8xf32>, %x: tensor<2x8xf32>):
    %bf = tern.bitlinear %x, %wf : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    %f = onnx.node "Sigmoid"(%bf) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
    %bc = tern.bitlinear %x, %wc : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    %sc = onnx.node "Sigmoid"(%bc) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
    %c = onnx.node "Mul"(%bc, %sc) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %bg = tern.bitlinear %x, %wg : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    %g = onnx.node "Sigmoid"(%bg) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
    %fh = onnx.node "Mul"(%h, %f) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %of = onnx.node "Sub"(%one, %f) {opset = 17 : i64} : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %fc = onnx.node "Mul"(%of, %c) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %hn = onnx.node "Add"(%fc, %fh) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %z = onnx.node "Mul"(%g, %hn) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %y = tern.bitlinear %z, %wo : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    onnx.yield %hn, %y : tensor<2x8xf32>, tensor<2x8xf32>
  } loc("scan")
  return %r#0, %r#1 : tensor<2x8xf32>, tensor<5x2x8xf32>
}

// -----

// The same over a Loop with a constant trip count whose body gathers x_t = X[i].
// REPORT: remark: MLGRU step fused at tern.bitlinear: paper variant
// REPORT: remark: {{.*}}MLGRU sequence fused at node 'loop' (Loop, domain 'ai.onnx'): Loop over 5 steps
// CHECK-LABEL: func.func @loop(
// CHECK-SAME:    %[[XS:[a-z0-9]+]]: tensor<5x2x8xf32>, %[[H0:[a-z0-9]+]]: tensor<2x8xf32>
// CHECK:         %[[XB:.*]] = linalg.transpose ins(%[[XS]] : tensor<5x2x8xf32>) outs(%{{.*}} : tensor<2x5x8xf32>) permutation = [1, 0, 2]
// CHECK:         %[[Y:.*]], %[[HT:.*]] = tern.mlgru_sequence %[[XB]], %[[H0]]
// CHECK:         %[[YT:.*]] = linalg.transpose ins(%[[Y]] : tensor<2x5x8xf32>)
// CHECK-NOT:     onnx.node
// CHECK:         return %[[HT]], %[[YT]]
func.func @loop(%xs: tensor<5x2x8xf32>, %h0: tensor<2x8xf32>, %wf: tensor<8x8xf32>, %wc: tensor<8x8xf32>,
                %wg: tensor<8x8xf32>, %wo: tensor<8x8xf32>) -> (tensor<2x8xf32>, tensor<5x2x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %trip = arith.constant dense<5> : tensor<i64>
  %none = onnx.none
  %r:2 = onnx.node "Loop"(%trip, %none, %h0) {graph_names = ["body"], opset = 17 : i64}
      : (tensor<i64>, none, tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<5x2x8xf32>) {
  ^bb0(%it: tensor<i64>, %cond: tensor<i1>, %h: tensor<2x8xf32>):
    %x = onnx.node "Gather"(%xs, %it) {onnx_attrs = {axis = 0 : i64}, opset = 17 : i64} : (tensor<5x2x8xf32>, tensor<i64>) -> tensor<2x8xf32>
    %bf = tern.bitlinear %x, %wf : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    %f = onnx.node "Sigmoid"(%bf) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
    %bc = tern.bitlinear %x, %wc : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    %sc = onnx.node "Sigmoid"(%bc) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
    %c = onnx.node "Mul"(%bc, %sc) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %bg = tern.bitlinear %x, %wg : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    %g = onnx.node "Sigmoid"(%bg) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
    %fh = onnx.node "Mul"(%h, %f) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %of = onnx.node "Sub"(%one, %f) {opset = 17 : i64} : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %fc = onnx.node "Mul"(%of, %c) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %hn = onnx.node "Add"(%fc, %fh) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %z = onnx.node "Mul"(%g, %hn) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %y = tern.bitlinear %z, %wo : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    onnx.yield %cond, %hn, %y : tensor<i1>, tensor<2x8xf32>, tensor<2x8xf32>
  } loc("loop")
  return %r#0, %r#1 : tensor<2x8xf32>, tensor<5x2x8xf32>
}
