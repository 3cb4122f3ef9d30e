// RUN: tern-opt %s --tern-cuda-prepare | tern-translate --tern-to-cuda | FileCheck %s

// An MLGRU over a sequence (paper variant): the projections that do not
// depend on the state run once over all steps as GEMMs (M = 3 rows, MT = 4);
// the recurrence is a host loop of element-wise launches reading views of
// step t (no copies) and writing h_t straight into its slice of the
// loop-carried output (destination passing), which the step then copies to
// the state. The o projection runs after the loop, its input gating fused
// into its quantization.

// CHECK-LABEL: static cudaError_t tern_forward(
// CHECK: // fused rmsnorm + act_quant: 1 output(s), 3 row(s) of 4
// CHECK: g.out[0].rms = 0;
// CHECK: TERN_LAUNCH(tern_k0, dim3(tern_gemv_blocks(4, tern_gemv_warps(4)), 1), tern_gemv_warps(4) * 32, stream,
// CHECK: TERN_CHECK(cudaMemcpyAsync((A + [[STATE:[0-9]+]]), (((const char *)in[1]) + 0), 16,
// CHECK: TERN_CHECK(cudaMemcpyAsync((A + [[OUT:[0-9]+]]),
// CHECK: for (int64_t [[T:s[0-9]+]] = ((int64_t)0LL); [[T]] < ((int64_t)3LL); [[T]] += ((int64_t)1LL)) {
// CHECK-NEXT: TERN_LAUNCH(tern_k3, {{.*}}, stream, ((const float *)(A + {{[0-9]+}} + ((([[T]]) * 4) * 4))), ((const float *)(A + [[STATE]])), {{.*}}((float *)(A + [[OUT]] + ((([[T]]) * 4) * 4)))); // linalg.generic
// CHECK-NEXT: TERN_CHECK(cudaMemcpyAsync((A + [[STATE]]), (A + [[OUT]] + ((([[T]]) * 4) * 4)), 16,
// CHECK-NEXT: }
// CHECK: // fused element-wise + rmsnorm + act_quant: 1 output(s), 3 row(s) of 4
// CHECK: (A + [[OUT]])
// CHECK: // 1 tmatmul(s) in 1 group(s)
// CHECK: cudaMemcpyAsync(out[0],
// CHECK: cudaMemcpyAsync(out[1], (A + [[STATE]]),
func.func @main(%x: tensor<1x3x4xf32>, %h: tensor<1x4xf32>) -> (tensor<1x3x4xf32>, tensor<1x4xf32>) {
  %w = tern.constant #tern.ternary<4x4, scale = 2.0, [1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0, 0, 0, 0, 1]>
  %o, %hn = tern.mlgru_sequence %x, %h weights(%w, %w, %w, %w) {variant = #tern<variant paper>}
      : (tensor<1x3x4xf32>, tensor<1x4xf32>, !tern.ternary<4x4>, !tern.ternary<4x4>, !tern.ternary<4x4>, !tern.ternary<4x4>) -> (tensor<1x3x4xf32>, tensor<1x4xf32>)
  return %o, %hn : tensor<1x3x4xf32>, tensor<1x4xf32>
}
