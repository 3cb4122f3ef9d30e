// RUN: tern-opt %s --tern-cuda-plan-kernels -split-input-file | FileCheck %s
// Planning again gives the same plan (earlier attributes are dropped first).
// RUN: tern-opt %s --tern-cuda-plan-kernels --tern-cuda-plan-kernels -split-input-file | FileCheck %s

// An MLGRU-like block in the prepared form: a pre-norm read only by two
// quantizations (each with its own RMSNorm) -> one quantization group that
// computes all three norms on the fly; f and i fuse into one epilogue (a GEMV
// group over inputs 0 and 2), g is its own group, launched with f/i (its
// operands are ready there); the gating generic feeding o's quantization and
// the RMSNorm read only by it are computed inside that quantization, which
// runs in the last block of the f/i/g launch (its inputs are ready there).
// The first group reads a function argument: no launch produces it.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @block
// CHECK-SAME: attributes {tern.cuda.planned}
// CHECK: %[[PRE:.*]] = tern.rmsnorm %arg0 weight %{{.*}} {tern.cuda.quant_pre = 0 : i64}
// CHECK: %[[N1:.*]] = tern.rmsnorm %[[PRE]] {tern.cuda.quant_norm = 0 : i64}
// CHECK: tern.act_quant %[[N1]] {tern.cuda.quant_group = 0 : i64}
// CHECK: %[[N2:.*]] = tern.rmsnorm %[[PRE]] {tern.cuda.quant_norm = 0 : i64}
// CHECK: tern.act_quant %[[N2]] {tern.cuda.quant_group = 0 : i64}
// CHECK: %[[FI:.*]] = linalg.generic {{.*}} attrs =  {tern.cuda.gemm_inputs = array<i64: 0, 2>, tern.cuda.launch = 0 : i64}
// CHECK: %[[G:.*]] = linalg.generic {{.*}} attrs =  {tern.cuda.gemm_inputs = array<i64: 0>, tern.cuda.launch = 0 : i64}
// CHECK: %[[GN:.*]] = tern.rmsnorm %[[G]] {tern.cuda.quant_chain_norm = 1 : i64}
// CHECK: %[[GATE:.*]] = linalg.generic {{.*}} ins(%[[GN]], %[[FI]] : {{.*}} attrs =  {tern.cuda.quant_chain = 1 : i64}
// CHECK: tern.act_quant %[[GATE]] {tern.cuda.quant_group = 1 : i64, tern.cuda.quant_in_launch = 0 : i64}
// CHECK: linalg.generic {{.*}} attrs =  {tern.cuda.gemm_inputs = array<i64: 0>, tern.cuda.launch = 1 : i64}
func.func @block(%x: tensor<1x4xf32>, %h: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %wn = arith.constant dense<1.5> : tensor<4xf32>
  %wf = tern.constant #tern.ternary<4x4, scale = 2.0, [1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %wi = tern.constant #tern.ternary<4x4, scale = 3.0, [0, 1, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %wo = tern.constant #tern.ternary<4x4, scale = 4.0, [1, 1, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %e = tensor.empty() : tensor<1x4xf32>
  %pre = tern.rmsnorm %x weight %wn : tensor<1x4xf32>, tensor<4xf32> -> tensor<1x4xf32>
  %n1 = tern.rmsnorm %pre : tensor<1x4xf32> -> tensor<1x4xf32>
  %q1, %s1 = tern.act_quant %n1 : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1x1xf32>
  %n2 = tern.rmsnorm %pre : tensor<1x4xf32> -> tensor<1x4xf32>
  %q2, %s2 = tern.act_quant %n2 : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1x1xf32>
  %af = tern.tmatmul %q1, %wf : tensor<1x4xi8>, !tern.ternary<4x4> -> tensor<1x4xi32>
  %ai = tern.tmatmul %q2, %wi : tensor<1x4xi8>, !tern.ternary<4x4> -> tensor<1x4xi32>
  %fi = linalg.generic {indexing_maps = [#id, #row, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%af, %s1, %ai, %s2 : tensor<1x4xi32>, tensor<1x1xf32>, tensor<1x4xi32>, tensor<1x1xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%a: i32, %sa: f32, %b: i32, %sb: f32, %o: f32):
    %fa = arith.sitofp %a : i32 to f32
    %fb = arith.sitofp %b : i32 to f32
    %ra = arith.divf %fa, %sa : f32
    %rb = arith.divf %fb, %sb : f32
    %r = arith.addf %ra, %rb : f32
    linalg.yield %r : f32
  } -> tensor<1x4xf32>
  %ag = tern.tmatmul %q1, %wo : tensor<1x4xi8>, !tern.ternary<4x4> -> tensor<1x4xi32>
  %g = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ag, %s1 : tensor<1x4xi32>, tensor<1x1xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%a: i32, %sa: f32, %o: f32):
    %fa = arith.sitofp %a : i32 to f32
    %ra = arith.divf %fa, %sa : f32
    linalg.yield %ra : f32
  } -> tensor<1x4xf32>
  %gn = tern.rmsnorm %g : tensor<1x4xf32> -> tensor<1x4xf32>
  %gate = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gn, %fi : tensor<1x4xf32>, tensor<1x4xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x4xf32>
  %q3, %s3 = tern.act_quant %gate : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1x1xf32>
  %ao = tern.tmatmul %q3, %wo : tensor<1x4xi8>, !tern.ternary<4x4> -> tensor<1x4xi32>
  %out = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ao, %s3 : tensor<1x4xi32>, tensor<1x1xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%a: i32, %sa: f32, %o: f32):
    %fa = arith.sitofp %a : i32 to f32
    %ra = arith.divf %fa, %sa : f32
    linalg.yield %ra : f32
  } -> tensor<1x4xf32>
  return %out, %fi : tensor<1x4xf32>, tensor<1x4xf32>
}

// -----

// What must stay separate: a pre-norm with another reader is not computed
// inside the quantization (it is launched and stored); an RMSNorm read twice
// is not a member's own norm; a tmatmul with two readers is not fused; a
// group whose input is produced by an earlier group in the same block
// cannot share its launch (a new launch id); the quantization of that input
// runs in the last block of the launch producing it.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @separate
// CHECK: %[[PRE:.*]] = tern.rmsnorm %arg0 : tensor
// CHECK-NOT: tern.cuda
// CHECK: tern.act_quant %[[PRE]] {tern.cuda.quant_group = 0 : i64}
// CHECK: %[[A:.*]] = tern.tmatmul
// CHECK-NEXT: %[[Y:.*]] = linalg.generic {{.*}} attrs =  {tern.cuda.gemm_inputs = array<i64: 0>, tern.cuda.launch = 0 : i64}
// CHECK: tern.act_quant %[[Y]] {tern.cuda.quant_group = 1 : i64, tern.cuda.quant_in_launch = 0 : i64}
// CHECK: %[[B:.*]] = tern.tmatmul
// CHECK: linalg.generic
// CHECK-NOT: tern.cuda.gemm_inputs
// CHECK-SAME: ins(%[[B]], %[[B]]
// CHECK: linalg.generic {{.*}} attrs =  {tern.cuda.gemm_inputs = array<i64: 0>, tern.cuda.launch = 1 : i64}
func.func @separate(%x: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
  %w = tern.constant #tern.ternary<4x4, scale = 2.0, [1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %e = tensor.empty() : tensor<1x4xf32>
  %pre = tern.rmsnorm %x : tensor<1x4xf32> -> tensor<1x4xf32>
  %q1, %s1 = tern.act_quant %pre : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1x1xf32>
  %a = tern.tmatmul %q1, %w : tensor<1x4xi8>, !tern.ternary<4x4> -> tensor<1x4xi32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %s1 : tensor<1x4xi32>, tensor<1x1xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%i: i32, %s: f32, %o: f32):
    %f = arith.sitofp %i : i32 to f32
    %r = arith.divf %f, %s : f32
    linalg.yield %r : f32
  } -> tensor<1x4xf32>
  %q2, %s2 = tern.act_quant %y : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1x1xf32>
  %b = tern.tmatmul %q2, %w : tensor<1x4xi8>, !tern.ternary<4x4> -> tensor<1x4xi32>
  %twice = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b, %b : tensor<1x4xi32>, tensor<1x4xi32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%i: i32, %j: i32, %o: f32):
    %s = arith.addi %i, %j : i32
    %f = arith.sitofp %s : i32 to f32
    linalg.yield %f : f32
  } -> tensor<1x4xf32>
  %c = tern.tmatmul %q2, %w : tensor<1x4xi8>, !tern.ternary<4x4> -> tensor<1x4xi32>
  %z = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %s2 : tensor<1x4xi32>, tensor<1x1xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%i: i32, %s: f32, %o: f32):
    %f = arith.sitofp %i : i32 to f32
    %r = arith.divf %f, %s : f32
    linalg.yield %r : f32
  } -> tensor<1x4xf32>
  return %twice, %z, %pre : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
}
