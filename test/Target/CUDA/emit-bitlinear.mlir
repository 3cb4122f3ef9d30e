// RUN: tern-opt %s --tern-cuda-prepare | tern-translate --tern-to-cuda | FileCheck %s
// RUN: tern-opt %s --tern-cuda-prepare | tern-translate --tern-to-cuda --tern-cuda-mac=select | FileCheck %s --check-prefix=SELECT

// A BitLinear becomes two launches: the fused RMSNorm + act_quant kernel of
// the library, and a generated GEMV kernel (two token rows: MT = 2, two weight
// rows per warp sharing each activation load: R = 2; K = 4 a template
// constant of the library's row dot product) whose epilogue
// is the rescale (the weight scale s_w = 2 is a kernel argument, so layers of
// one shape share a kernel). The artifact exports the C ABI of tern_runtime.h.

// CHECK: // ternary MAC: dp4a (offset codes)
// CHECK: // weights: {{[0-9]+}} bytes; device arena: {{[0-9]+}} bytes; 2 launch(es) outside loops
// CHECK: #ifdef TERN_CUDA_EMULATION
// CHECK-NEXT: #include "tern_cuda_emulation.h"
// CHECK: __global__ void __launch_bounds__(TERN_QUANT_THREADS)
// CHECK-NEXT: tern_quant_rows_kernel(Src src, int64_t K, int64_t kp, TernQuantGroup g) {
// CHECK: __device__ __forceinline__ bool tern_last_block(unsigned *counter) {
// CHECK: #define TERN_LAUNCH(kernel, grid, block, stream, ...) do { kernel<<<grid, block, 0, stream>>>(__VA_ARGS__); cudaError_t tern_le = cudaGetLastError();
// CHECK-SAME: tern_failed_at = "kernel " #kernel; return tern_le;
// CHECK: .incbin
// CHECK: // tern_k0: 1 ternary GEMV/GEMM(s) in 1 group(s), 2 row(s), 3 output column(s)
// CHECK: __global__ void __launch_bounds__(TERN_WARPS_PER_BLOCK * 32, 2)
// CHECK-NEXT: tern_k0(const int8_t *__restrict__ [[X:p[0-9]+]], const uint4 *__restrict__ [[W:p[0-9]+]], const int32_t *__restrict__ [[NC:p[0-9]+]], const float *__restrict__ [[SX:p[0-9]+]], float [[SW:p[0-9]+]], float *__restrict__ [[Y:p[0-9]+]])
// CHECK-NEXT: constexpr int MT = 2, R = 2;
// CHECK: for (int64_t first = (int64_t)blockIdx.x * warps + (threadIdx.x >> 5); first < 2; first += (int64_t)gridDim.x * warps) {
// CHECK: const int64_t n0 = task * R;
// CHECK: a0[r][t] = lane == 0 && t < mcount && r < rows ? [[NC]][m0 + t] : 0;
// CHECK: tern_rows_dot<MT, R, 2, TERN_MAC_DP4A>([[W]] + n0 * 1, rows, [[X]] + m0 * 64, 64, mcount, lane, a0);
// CHECK: tern_warp_sum<R, MT>(a0);
// CHECK: if (lane == r * MT + t && t < mcount && r < rows) {
// CHECK: const float [[F:v[0-9]+]] = ((float)acc0);
// CHECK: const float [[D:v[0-9]+]] = ([[SX]][(int64_t)0 + d0 * 1] * [[SW]]);
// CHECK: const float [[R:v[0-9]+]] = ([[F]] / [[D]]);
// CHECK: [[Y]][(int64_t)0 + d0 * 3 + n * 1] = [[R]];
// CHECK-LABEL: static cudaError_t tern_forward(
// CHECK: // fused rmsnorm + act_quant: 1 output(s), 2 row(s) of 4
// CHECK: g.out[0].xsum = ((int32_t *)(A + {{[0-9]+}}));
// CHECK: g.out[0].rms = 1; g.out[0].bits = 8;
// CHECK: TERN_LAUNCH(tern_quant_rows_kernel<1>, 2, 32, stream, tern_row_source(((const float *)(((const char *)in[0]) + 0)), 4), 4, 64, g);
// CHECK: TERN_LAUNCH(tern_k0, dim3(tern_gemv_blocks(2, tern_gemv_warps(2)), 1), tern_gemv_warps(2) * 32, stream, {{.*}}, 0x1p+1f, {{.*}}); // 1 tmatmul(s) in 1 group(s)
// CHECK: cudaMemcpyAsync(out[0],
// CHECK: static const int64_t input_shape0[] = {2, 4};
// CHECK: {"x", 0, 2, input_shape0},
// CHECK: {"y", 0, 2, output_shape0},
// CHECK: no CUDA GPU found (cudaGetDeviceCount: %s)
// CHECK: cudaDevAttrMultiProcessorCount
// CHECK: int tern_model_num_inputs(void) { return TERN_NUM_INPUTS; }
// CHECK: const char *tern_model_target(void) { return "cuda"; }
// CHECK: int tern_model_init(
// CHECK: int tern_model_run(const tern_tensor *inputs, int num_inputs, tern_tensor *outputs,
// CHECK: int tern_model_run_device(
// CHECK: void tern_model_release(void)
// With the multiply-free MAC the accumulator starts at the row's count of -1
// weights (stored after the masks) and no row sums are computed.
// SELECT: // ternary MAC: select (multiply-free masks)
// SELECT: a0[r][t] = lane == 0 && t < mcount && r < rows ? {{p[0-9]+}}[n0 + r] : 0;
// SELECT: tern_rows_dot<MT, R, 2, TERN_MAC_SELECT>(
// SELECT: g.out[0].xsum = nullptr;
func.func @main(%x: tensor<2x4xf32> {tern.name = "x"}) -> (tensor<2x3xf32> {tern.name = "y"}) {
  %w = tern.constant #tern.ternary<3x4, scale = 2.0, [1, 0, -1, 0, 1, 1, 0, 0, -1, -1, 1, 0]>
  %g = arith.constant dense<[1.0, 2.0, 0.5, 1.0]> : tensor<4xf32>
  %y = tern.bitlinear %x, %w norm %g : tensor<2x4xf32>, !tern.ternary<3x4>, tensor<4xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
