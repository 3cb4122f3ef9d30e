// RUN: tern-opt %s -split-input-file --tern-onnx-recognize-mlgru | FileCheck %s
// RUN: tern-opt %s -split-input-file --tern-onnx-recognize-mlgru=report \
// RUN:   --mlir-print-op-on-diagnostic=false 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// What torch.onnx.export writes from mmfreelm-style code: BitLinear norms with eps 1e-8,
// g_norm with eps 1e-6 (two eps on the op), and the lower bound computed in the graph from
// the lower_bounds parameter P [2, 8]: lb = (cumsum(softmax(P, 0), 0) - softmax(P, 0)[0])[1].
// P = 0: softmax 0.5 per row, cumsum [0.5, 1], minus row 0: [0, 0.5]; row 1 is 0.5.
// REPORT: remark: MLGRU step fused at tern.bitlinear: released variant, lower bound, eps = 1e-08, g_norm_eps = 1e-06
// CHECK-LABEL: func.func @two_eps_in_graph_lower_bound(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<2x8xf32>, %[[H:[a-z0-9]+]]: tensor<2x8xf32>
// CHECK:         %[[LB:.*]] = arith.constant dense<5.000000e-01> : tensor<8xf32>
// CHECK:         %[[Y:.*]], %[[HN:.*]] = tern.mlgru_step %[[X]], %[[H]] weights({{.*}}) g_norm %{{.*}} lower_bound %[[LB]] {eps = 9.99999993E-9 : f32}
// CHECK-NOT:     onnx.node
// CHECK:         return %[[Y]], %[[HN]]
func.func @two_eps_in_graph_lower_bound(%x: tensor<2x8xf32>, %h: tensor<2x8xf32>, %wf: tensor<8x8xf32>,
    %wi: tensor<8x8xf32>, %wg: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %gn: tensor<8xf32>)
    -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %p = arith.constant dense<0.0> : tensor<2x8xf32>
  %c0 = arith.constant dense<0> : tensor<i64>
  %c1 = arith.constant dense<1> : tensor<i64>
  %c0i = arith.constant dense<0> : tensor<i32>
  %sm = onnx.node "Softmax"(%p) {onnx_attrs = {axis = 0 : i64}, opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %cs = onnx.node "CumSum"(%sm, %c0i) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<i32>) -> tensor<2x8xf32>
  %r0 = onnx.node "Gather"(%sm, %c0) {onnx_attrs = {axis = 0 : i64}, opset = 17 : i64} : (tensor<2x8xf32>, tensor<i64>) -> tensor<8xf32>
  %lbs = onnx.node "Sub"(%cs, %r0) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %lb = onnx.node "Gather"(%lbs, %c1) {onnx_attrs = {axis = 0 : i64}, opset = 17 : i64} : (tensor<2x8xf32>, tensor<i64>) -> tensor<8xf32>
  %bf = tern.bitlinear %x, %wf {eps = 1.0e-8 : f32} : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %sf = onnx.node "Sigmoid"(%bf) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %olb = onnx.node "Sub"(%one, %lb) {opset = 17 : i64} : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %m = onnx.node "Mul"(%olb, %sf) {opset = 17 : i64} : (tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %f = onnx.node "Add"(%lb, %m) {opset = 17 : i64} : (tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %bi = tern.bitlinear %x, %wi {eps = 1.0e-8 : f32} : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %si = onnx.node "Sigmoid"(%bi) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %silu = onnx.node "Mul"(%bi, %si) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %of = onnx.node "Sub"(%one, %f) {opset = 17 : i64} : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %i = onnx.node "Mul"(%silu, %of) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %fh = onnx.node "Mul"(%f, %h) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %hn = onnx.node "Add"(%fh, %i) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %bg = tern.bitlinear %x, %wg {eps = 1.0e-8 : f32} : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %g = tern.rmsnorm %bg weight %gn {eps = 1.0e-6 : f32} : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  %sh = onnx.node "Sigmoid"(%hn) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %siluh = onnx.node "Mul"(%hn, %sh) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %z = onnx.node "Mul"(%g, %siluh) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %y = tern.bitlinear %z, %wo {eps = 1.0e-8 : f32} : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  return %y, %hn : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Near miss: the lower bound is computed from a run-time input (not foldable): no step,
// the element-wise gate stays.
// REPORT: remark: MLGRU step not fused at tern.bitlinear: the lower bound is computed at run time (not from constants)
// CHECK-LABEL: func.func @runtime_lower_bound(
// CHECK-NOT:     tern.mlgru_step
// CHECK:         onnx.node "Softmax"
// CHECK:         return
func.func @runtime_lower_bound(%x: tensor<2x8xf32>, %h: tensor<2x8xf32>, %wf: tensor<8x8xf32>,
    %wi: tensor<8x8xf32>, %wg: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %gn: tensor<8xf32>, %p: tensor<8xf32>)
    -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %lb = onnx.node "Softmax"(%p) {onnx_attrs = {axis = 0 : i64}, opset = 17 : i64} : (tensor<8xf32>) -> tensor<8xf32>
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

// A 2-token prefill whose recurrence the exporter unrolled (torch.stack of a Python loop):
// h_t = Gather(F, t, axis 1) * h_{t-1} + Gather(U, t, axis 1), hs = Concat(Unsqueeze(h_t, 1)),
// y = BL_o(RMSNorm(BL_g(X)) * SiLU(hs)), the projections over all tokens [1, 2, 8].
// REPORT: remark: MLGRU sequence fused at tern.bitlinear: unrolled over 2 steps, released variant, eps = 1e-06, g_norm_eps = 1e-06
// CHECK-LABEL: func.func @unrolled_prefill(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<1x2x8xf32>, %[[H:[a-z0-9]+]]: tensor<1x8xf32>
// CHECK:         %[[Y:.*]], %[[HT:.*]] = tern.mlgru_sequence %[[X]], %[[H]] weights({{.*}}) g_norm %{{.*}} : {{.*}} -> (tensor<1x2x8xf32>, tensor<1x8xf32>)
// CHECK-NOT:     onnx.node
// CHECK:         return %[[Y]], %[[HT]]
func.func @unrolled_prefill(%x: tensor<1x2x8xf32>, %h: tensor<1x8xf32>, %wf: tensor<8x8xf32>,
    %wi: tensor<8x8xf32>, %wg: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %gn: tensor<8xf32>)
    -> (tensor<1x2x8xf32>, tensor<1x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %t0 = arith.constant dense<0> : tensor<i64>
  %t1 = arith.constant dense<1> : tensor<i64>
  %ax = arith.constant dense<[1]> : tensor<1xi64>
  %bf = tern.bitlinear %x, %wf : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
  %f = onnx.node "Sigmoid"(%bf) {opset = 17 : i64} : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %bi = tern.bitlinear %x, %wi : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
  %si = onnx.node "Sigmoid"(%bi) {opset = 17 : i64} : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %silu = onnx.node "Mul"(%bi, %si) {opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %of = onnx.node "Sub"(%one, %f) {opset = 17 : i64} : (tensor<f32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %u = onnx.node "Mul"(%silu, %of) {opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %f0 = onnx.node "Gather"(%f, %t0) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  %fh0 = onnx.node "Mul"(%f0, %h) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %u0 = onnx.node "Gather"(%u, %t0) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  %h0 = onnx.node "Add"(%fh0, %u0) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %f1 = onnx.node "Gather"(%f, %t1) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  %fh1 = onnx.node "Mul"(%h0, %f1) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %u1 = onnx.node "Gather"(%u, %t1) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  %h1 = onnx.node "Add"(%u1, %fh1) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %s0 = onnx.node "Unsqueeze"(%h0, %ax) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1xi64>) -> tensor<1x1x8xf32>
  %s1 = onnx.node "Unsqueeze"(%h1, %ax) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1xi64>) -> tensor<1x1x8xf32>
  %hs = onnx.node "Concat"(%s0, %s1) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<1x1x8xf32>, tensor<1x1x8xf32>) -> tensor<1x2x8xf32>
  %bg = tern.bitlinear %x, %wg : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
  %g = tern.rmsnorm %bg weight %gn : tensor<1x2x8xf32>, tensor<8xf32> -> tensor<1x2x8xf32>
  %sh = onnx.node "Sigmoid"(%hs) {opset = 17 : i64} : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %siluh = onnx.node "Mul"(%hs, %sh) {opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %z = onnx.node "Mul"(%g, %siluh) {opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %y = tern.bitlinear %z, %wo : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
  return %y, %h1 : tensor<1x2x8xf32>, tensor<1x8xf32>
}

// -----

// Near miss: step 1 reads token 0's forget gate. The recurrence is not a sequence: it stays
// element-wise (and correct), the projections stay BitLinears.
// REPORT: remark: MLGRU step not fused at tern.bitlinear: unrolled step 1 is not Gather(f, t) * h_{t-1} + Gather(u, t) over one f and u
// CHECK-LABEL: func.func @unrolled_wrong_token(
// CHECK-NOT:     tern.mlgru
// CHECK:         onnx.node "Concat"
// CHECK:         return
func.func @unrolled_wrong_token(%x: tensor<1x2x8xf32>, %h: tensor<1x8xf32>, %wf: tensor<8x8xf32>,
    %wi: tensor<8x8xf32>, %wg: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %gn: tensor<8xf32>)
    -> (tensor<1x2x8xf32>, tensor<1x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %t0 = arith.constant dense<0> : tensor<i64>
  %t1 = arith.constant dense<1> : tensor<i64>
  %ax = arith.constant dense<[1]> : tensor<1xi64>
  %bf = tern.bitlinear %x, %wf : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
  %f = onnx.node "Sigmoid"(%bf) {opset = 17 : i64} : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %bi = tern.bitlinear %x, %wi : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
  %si = onnx.node "Sigmoid"(%bi) {opset = 17 : i64} : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %silu = onnx.node "Mul"(%bi, %si) {opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %of = onnx.node "Sub"(%one, %f) {opset = 17 : i64} : (tensor<f32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %u = onnx.node "Mul"(%silu, %of) {opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %f0 = onnx.node "Gather"(%f, %t0) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  %fh0 = onnx.node "Mul"(%f0, %h) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %u0 = onnx.node "Gather"(%u, %t0) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  %h0 = onnx.node "Add"(%fh0, %u0) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %fh1 = onnx.node "Mul"(%h0, %f0) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %u1 = onnx.node "Gather"(%u, %t1) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<i64>) -> tensor<1x8xf32>
  %h1 = onnx.node "Add"(%u1, %fh1) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %s0 = onnx.node "Unsqueeze"(%h0, %ax) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1xi64>) -> tensor<1x1x8xf32>
  %s1 = onnx.node "Unsqueeze"(%h1, %ax) {opset = 17 : i64} : (tensor<1x8xf32>, tensor<1xi64>) -> tensor<1x1x8xf32>
  %hs = onnx.node "Concat"(%s0, %s1) {onnx_attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<1x1x8xf32>, tensor<1x1x8xf32>) -> tensor<1x2x8xf32>
  %bg = tern.bitlinear %x, %wg : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
  %g = tern.rmsnorm %bg weight %gn : tensor<1x2x8xf32>, tensor<8xf32> -> tensor<1x2x8xf32>
  %sh = onnx.node "Sigmoid"(%hs) {opset = 17 : i64} : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %siluh = onnx.node "Mul"(%hs, %sh) {opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %z = onnx.node "Mul"(%g, %siluh) {opset = 17 : i64} : (tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %y = tern.bitlinear %z, %wo : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
  return %y, %h1 : tensor<1x2x8xf32>, tensor<1x8xf32>
}

// -----

// No BitLinear fused at all (plain MatMuls): the step is still a candidate in the report.
// REPORT: remark: {{.*}}MLGRU step not fused at node 'Add_h' (Add, domain 'ai.onnx'): the f projection is not a recognized BitLinear
// CHECK-LABEL: func.func @no_bitlinear(
// CHECK-NOT:     tern.mlgru_step
func.func @no_bitlinear(%x: tensor<2x8xf32>, %h: tensor<2x8xf32>, %wf: tensor<8x8xf32>, %wi: tensor<8x8xf32>)
    -> tensor<2x8xf32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %bf = onnx.node "MatMul"(%x, %wf) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  %f = onnx.node "Sigmoid"(%bf) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %bi = onnx.node "MatMul"(%x, %wi) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  %si = onnx.node "Sigmoid"(%bi) {opset = 17 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %silu = onnx.node "Mul"(%bi, %si) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %of = onnx.node "Sub"(%one, %f) {opset = 17 : i64} : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %i = onnx.node "Mul"(%silu, %of) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %fh = onnx.node "Mul"(%f, %h) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %hn = onnx.node "Add"(%fh, %i) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32> loc("Add_h")
  return %hn : tensor<2x8xf32>
}
