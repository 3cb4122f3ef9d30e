// RUN: tern-opt %s --tern-cuda-prepare | tern-translate --tern-to-cuda | FileCheck %s

// One MLGRU decode step (released variant): the three BitLinears reading x
// share one fused RMSNorm + act_quant launch (mean square once, three
// quantizations); the f and i projections run in one GEMV kernel whose
// epilogue is the whole gate math and state update; g and o get their own.

// CHECK: // tern_k{{[0-9]+}}: 2 ternary GEMV/GEMM(s) [1 x 8] with a fused element-wise epilogue
// CHECK: tern_row_dot<MT>(
// CHECK: tern_row_dot<MT>(
// CHECK: const int32_t acc0 = a0[t];
// CHECK-NEXT: const int32_t acc1 = a1[t];
// CHECK: expf(
// CHECK-LABEL: static cudaError_t tern_forward(
// CHECK: { // fused rmsnorm + act_quant: 3 output(s), 1 row(s) of 8
// CHECK: g.count = 3;
// CHECK: tern_rmsnorm_quant_kernel<<<1, TERN_ROW_THREADS, 0, stream>>>(((const float *)(((const char *)in[0]) + 0)), 8, 32, g);
// CHECK-DAG: tern_k{{[0-9]+}}<1><<<dim3(1, 1), TERN_WARPS_PER_BLOCK * 32, 0, stream>>>({{.*}}); // 1 tmatmul(s) + epilogue
// CHECK-DAG: tern_k{{[0-9]+}}<1><<<dim3(1, 1), TERN_WARPS_PER_BLOCK * 32, 0, stream>>>({{.*}}in[1]{{.*}}); // 2 tmatmul(s) + epilogue
// CHECK: tern_rmsnorm_kernel<<<1,
// CHECK: { // fused rmsnorm + act_quant: 1 output(s), 1 row(s) of 8
// CHECK: // 1 tmatmul(s) + epilogue
// CHECK: cudaMemcpyAsync(out[0],
// CHECK: cudaMemcpyAsync(out[1],
func.func @main(%x: tensor<1x8xf32>, %h: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %wf = tern.constant #tern.ternary<8x8, scale = 2.0, [1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %wi = tern.constant #tern.ternary<8x8, scale = 3.0, [0, 1, 0, -1, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %wg = tern.constant #tern.ternary<8x8, scale = 4.0, [-1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %wo = tern.constant #tern.ternary<8x8, scale = 5.0, [1, 1, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1, 1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %n = arith.constant dense<[1.0, 1.1, 1.2, 1.3, 0.9, 0.8, 0.7, 1.0]> : tensor<8xf32>
  %n2 = arith.constant dense<[1.5, 1.1, 1.2, 1.3, 0.9, 0.8, 0.7, 1.0]> : tensor<8xf32>
  %n3 = arith.constant dense<[2.0, 1.1, 1.2, 1.3, 0.9, 0.8, 0.7, 1.0]> : tensor<8xf32>
  %gn = arith.constant dense<[1.0, 0.5, 1.0, 0.5, 1.0, 0.5, 1.0, 0.5]> : tensor<8xf32>
  %lb = arith.constant dense<[0.1, 0.2, 0.3, 0.4, 0.1, 0.2, 0.3, 0.4]> : tensor<8xf32>
  %o, %hn = tern.mlgru_step %x, %h weights(%wf, %wi, %wg, %wo) norms(%n, %n2, %n3, %n) g_norm %gn lower_bound %lb
      : (tensor<1x8xf32>, tensor<1x8xf32>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>, !tern.ternary<8x8>,
         tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>)
  return %o, %hn : tensor<1x8xf32>, tensor<1x8xf32>
}
