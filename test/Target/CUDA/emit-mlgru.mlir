// RUN: tern-opt %s --tern-cuda-prepare | tern-translate --tern-to-cuda | FileCheck %s

// One MLGRU decode step (released variant) in three launches:
//  1. one fused RMSNorm + act_quant for the three BitLinears reading x (mean
//     square once, three quantizations);
//  2. one GEMV kernel for f, i (a group: its epilogue is the gate math and the
//     state update h = f*h + i) and g (its own group, merged into the same
//     launch: a warp per 4 output columns of either, 2 + 2 warp tasks), whose
//     last block then quantizes the o projection's input, RMSNorm(g) * w_g *
//     SiLU(h), computed on the fly (a generated source functor);
//  3. the o projection's GEMV.

// CHECK: 3 launch(es) outside loops
// CHECK-LABEL: struct tern_k0_src {
// CHECK: __device__ __forceinline__ float operator()(int64_t row, int64_t k, float r) const {
// CHECK: (([[G:p[0-9]+]][row * 8 + k] / r) * [[W:p[0-9]+]][k])
// CHECK-LABEL: // tern_k1: 3 ternary GEMV/GEMM(s) in 2 group(s), 1 row(s), 16 output column(s)
// CHECK: tern_k1({{.*}}, tern_k0_src [[SRC:p[0-9]+]], TernQuantGroup [[QG:p[0-9]+]], unsigned * [[CNT:p[0-9]+]])
// CHECK: constexpr int MT = 1, R = 4;
// CHECK: first < 4; first +=
// CHECK: if (task < 2) {
// CHECK-NEXT: // 2 tmatmul(s) [1 x 8] + element-wise epilogue
// CHECK: tern_rows_prefetch<R, 2>(
// CHECK: tern_rows_dot<MT, R, 2, TERN_MAC_DP4A>(
// CHECK: tern_rows_dot<MT, R, 2, TERN_MAC_DP4A>(
// CHECK: const int32_t acc0 = a0[r][t];
// CHECK-NEXT: const int32_t acc1 = a1[r][t];
// CHECK: expf(
// CHECK: continue;
// CHECK: task -= 2;
// CHECK-NEXT: if (task < 2) {
// CHECK-NEXT: // 1 tmatmul(s) [1 x 8] + element-wise epilogue
// CHECK: if (tern_last_block([[CNT]])) {
// CHECK: tern_quant_row<1>([[SRC]], row, 8, 64, [[QG]], tern_scratch);
// CHECK-LABEL: static cudaError_t tern_forward(
// CHECK: // fused rmsnorm + act_quant: 3 output(s), 1 row(s) of 8
// CHECK: g.count = 3;
// CHECK: TERN_LAUNCH(tern_quant_rows_kernel<1>, 1, 32, stream, tern_row_source(((const float *)(((const char *)in[0]) + 0)), 8), 8, 64, g);
// CHECK: // fused element-wise + rmsnorm + act_quant: 1 output(s), 1 row(s) of 8
// CHECK: qg.count = 1;
// CHECK: TERN_LAUNCH(tern_k1, dim3(tern_gemv_blocks(4, TERN_WARPS_PER_BLOCK), 1), TERN_WARPS_PER_BLOCK * 32, stream, {{.*}}in[1]{{.*}}tern_k0_src{{.*}}, qg, {{.*}}); // 3 tmatmul(s) in 2 group(s) + quantization
// CHECK: TERN_LAUNCH(tern_k2, dim3(tern_gemv_blocks(2, tern_gemv_warps(2)), 1), {{.*}} // 1 tmatmul(s) in 1 group(s)
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
