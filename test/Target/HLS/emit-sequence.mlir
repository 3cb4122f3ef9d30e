// RUN: tern-opt %s --tern-hls-to-loops | tern-translate --emit-hls-cpp | FileCheck %s
// RUN: tern-opt %s --tern-hls-to-loops | tern-translate --emit-hls-cpp --hls-math=fixed | FileCheck %s --check-prefix=TYPES

// An MLGRU over a sequence (paper variant): the token loop is a sequential
// `recurrence` stage inside the top's dataflow region.
func.func @main(%x: tensor<1x3x4xf32> {tern.name = "x"}, %h: tensor<1x4xf32> {tern.name = "h0"})
    -> (tensor<1x3x4xf32> {tern.name = "o"}, tensor<1x4xf32> {tern.name = "h"}) {
  %w = tern.constant #tern.ternary<4x4, scale = 1.0, [1, 0, -1, 0, 0, 1, 1, -1, -1, -1, 0, 1, 1, 0, 0, 0]>
  %o, %hn = tern.mlgru_sequence %x, %h weights(%w, %w, %w, %w) {variant = #tern<variant paper>}
      : (tensor<1x3x4xf32>, tensor<1x4xf32>, !tern.ternary<4x4>, !tern.ternary<4x4>,
         !tern.ternary<4x4>, !tern.ternary<4x4>) -> (tensor<1x3x4xf32>, tensor<1x4xf32>)
  return %o, %hn : tensor<1x3x4xf32>, tensor<1x4xf32>
}

// The recurrence body: the element-wise step over one token t.
// CHECK-LABEL: static void tern_top_s0_elementwise(
// CHECK-SAME: const tern_real a0[1][3][4], int a1, 
// The gates of token t (computed for all tokens by earlier stages).
// CHECK: = a0[{{i[0-9]+}}][a1][{{i[0-9]+}}];
// CHECK-LABEL: // Stage: recurrence
// CHECK-NEXT: static void tern_top_recurrence0(const tern_real a0[1][4], {{.*}}, tern_real a4[1][4])
// CHECK-NEXT: #pragma HLS INLINE off
// State initialized from h_0 (a pipelined copy), then one iteration per token.
// CHECK: a4[{{i[0-9]+}}][{{i[0-9]+}}] = v{{[0-9]+}};
// CHECK: for (int [[T:i[0-9]+]] = 0; [[T]] < 3; [[T]] += 1) {
// CHECK-NOT: PIPELINE
// CHECK: tern_top_s0_elementwise(a1, [[T]], a4, a2, [[H:buf[0-9]+]]);
// The output slice o[:, t, :] is written in place.
// CHECK: a3[{{i[0-9]+}}][[[T]]][{{i[0-9]+}}] = v{{[0-9]+}};
// CHECK: tern_top_s1_copy([[H]], a4, {{buf[0-9]+}});
// CHECK-LABEL: // Top function
// CHECK: void tern_top(const tern_real x[1][3][4], const tern_real h0[1][4], const tern_i8 w0[4][1][1], const tern_i8 w1[4][1][1], tern_real o[1][3][4], tern_real h[1][4]) {
// CHECK: #pragma HLS DATAFLOW
// CHECK: tern_top_recurrence0({{.*}}, h);

// The element type is the same spelling in both math modes (the package's
// tern_kernel.h chooses float or fixed point).
// TYPES: tern_real
