// RUN: not tern-translate --tern-to-cuda -split-input-file %s 2>&1 | FileCheck %s

// The emitter prints the plan of tern-cuda-plan-kernels and checks it: an op
// a quantization launch would compute on the fly but that another op reads
// too (here the returned RMSNorm) would never be stored.
// CHECK: error: CUDA backend: invalid launch plan: this op is computed inside quantization group 0 but has readers outside it
func.func @main(%x: tensor<1x4xf32>) -> (tensor<1x4xi8>, tensor<1x4xf32>) attributes {tern.cuda.planned} {
  %n = tern.rmsnorm %x {tern.cuda.quant_norm = 0 : i64} : tensor<1x4xf32> -> tensor<1x4xf32>
  %q, %s = tern.act_quant %n {tern.cuda.quant_group = 0 : i64} : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1x1xf32>
  return %q, %n : tensor<1x4xi8>, tensor<1x4xf32>
}

// -----

// A GEMV group naming an input that is not a tmatmul result.
// CHECK: error: CUDA backend: invalid launch plan (tern.cuda.gemm_inputs): input 1 is not a tmatmul result used only here
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> attributes {tern.cuda.planned} {
  %e = tensor.empty() : tensor<1x4xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %x : tensor<1x4xf32>, tensor<1x4xf32>) outs(%e : tensor<1x4xf32>) attrs = {tern.cuda.gemm_inputs = array<i64: 1>} {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.addf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Members of one quantization group must read the same input.
// CHECK: error: CUDA backend: invalid launch plan (tern.cuda.quant_group 3): members must read the same input, at most 4 of them
func.func @main(%x: tensor<1x4xf32>, %z: tensor<1x4xf32>) -> (tensor<1x4xi8>, tensor<1x4xi8>) attributes {tern.cuda.planned} {
  %q, %s = tern.act_quant %x {tern.cuda.quant_group = 3 : i64} : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1x1xf32>
  %q2, %s2 = tern.act_quant %z {tern.cuda.quant_group = 3 : i64} : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1x1xf32>
  return %q, %q2 : tensor<1x4xi8>, tensor<1x4xi8>
}
