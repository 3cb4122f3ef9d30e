// RUN: tern-opt %s --tern-cuda-prepare | tern-translate --tern-to-cuda | FileCheck %s
// RUN: tern-opt %s --tern-cuda-prepare | tern-translate --tern-to-cuda --tern-cuda-mac=select | FileCheck %s --check-prefix=SELECT

// A BitLinear becomes two launches: the fused RMSNorm + act_quant kernel of
// the library, and a generated GEMV kernel (two rows: MT = 2) whose epilogue
// is the rescale (the weight scale s_w = 2 is a kernel argument, so layers of
// one shape share a kernel). The artifact exports the C ABI of tern_runtime.h.

// CHECK: // ternary MAC: dp4a (offset codes)
// CHECK: // weights: {{[0-9]+}} bytes; device arena: {{[0-9]+}} bytes; 2 launch(es) outside loops
// CHECK: #ifdef TERN_CUDA_EMULATION
// CHECK-NEXT: #include "tern_cuda_emulation.h"
// CHECK: template <int EPT, class Src>
// CHECK-NEXT: __global__ void __launch_bounds__(TERN_QUANT_THREADS)
// CHECK-NEXT: tern_quant_rows_kernel(Src src, int64_t K, int64_t kp, TernQuantGroup g) {
// CHECK: #define TERN_LAUNCH(kernel, grid, block, stream, ...) kernel<<<grid, block, 0, stream>>>(__VA_ARGS__)
// CHECK: .incbin
// CHECK: // tern_k0: 1 ternary GEMV/GEMM(s) in 1 group(s), 2 row(s), 3 output column(s)
// CHECK: tern_k0(const int8_t *__restrict__ [[X:p[0-9]+]], const uint2 *__restrict__ [[W:p[0-9]+]], const int32_t *__restrict__ [[NC:p[0-9]+]], const float *__restrict__ [[SX:p[0-9]+]], float [[SW:p[0-9]+]], float *__restrict__ [[Y:p[0-9]+]])
// CHECK: a0[t] = lane == 0 && t < mcount ? [[NC]][m0 + t] : 0;
// CHECK: tern_row_dot<MT, TERN_MAC_DP4A>([[W]] + n * 1, [[X]] + m0 * 32, 32, mcount, 1, lane, a0);
// CHECK: tern_warp_sum<MT>(a0);
// CHECK: const float [[F:v[0-9]+]] = ((float)acc0);
// CHECK: const float [[D:v[0-9]+]] = ([[SX]][(int64_t)0 + d0 * 1] * [[SW]]);
// CHECK: const float [[R:v[0-9]+]] = ([[F]] / [[D]]);
// CHECK: [[Y]][(int64_t)0 + d0 * 3 + n * 1] = [[R]];
// CHECK-LABEL: static cudaError_t tern_forward(
// CHECK: { // fused rmsnorm + act_quant: 1 output(s), 2 row(s) of 4
// CHECK: g.out[0].xsum = ((int32_t *)(A + {{[0-9]+}}));
// CHECK: g.out[0].rms = 1; g.out[0].bits = 8;
// CHECK: TERN_LAUNCH(tern_quant_rows_kernel<1>, 2, 32, stream, tern_row_source(((const float *)(((const char *)in[0]) + 0)), 4), 4, 32, g);
// CHECK: TERN_LAUNCH(tern_k0<2>, dim3(1, 1), TERN_WARPS_PER_BLOCK * 32, stream, {{.*}}, 0x1p+1f, {{.*}}); // 1 tmatmul(s) in 1 group(s)
// CHECK: cudaMemcpyAsync(out[0],
// CHECK: static const int64_t input_shape0[] = {2, 4};
// CHECK: {"x", 0, 2, input_shape0},
// CHECK: {"y", 0, 2, output_shape0},
// CHECK: no CUDA GPU found (cudaGetDeviceCount: %s)
// CHECK: int tern_model_num_inputs(void) { return TERN_NUM_INPUTS; }
// CHECK: const char *tern_model_target(void) { return "cuda"; }
// CHECK: int tern_model_init(
// CHECK: int tern_model_run(const tern_tensor *inputs, int num_inputs, tern_tensor *outputs,
// CHECK: int tern_model_run_device(
// CHECK: void tern_model_release(void)
// With the multiply-free MAC the accumulator starts at the row's count of -1
// weights (stored after the masks) and no row sums are computed.
// SELECT: // ternary MAC: select (multiply-free masks)
// SELECT: a0[t] = lane == 0 && t < mcount ? {{p[0-9]+}}[n] : 0;
// SELECT: tern_row_dot<MT, TERN_MAC_SELECT>(
// SELECT: g.out[0].xsum = nullptr;
func.func @main(%x: tensor<2x4xf32> {tern.name = "x"}) -> (tensor<2x3xf32> {tern.name = "y"}) {
  %w = tern.constant #tern.ternary<3x4, scale = 2.0, [1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0]>
  %g = arith.constant dense<[1.0, 2.0, 0.5, 1.0]> : tensor<4xf32>
  %y = tern.bitlinear %x, %w norm %g : tensor<2x4xf32>, !tern.ternary<3x4>, tensor<4xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
