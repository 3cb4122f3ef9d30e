// RUN: tern-opt %s --tern-hls-to-loops='pe=2 simd=2' | tern-translate --emit-hls-cpp | FileCheck %s
// RUN: tern-opt %s --tern-hls-to-loops | tern-translate --emit-hls-cpp | FileCheck %s --check-prefix=SCALAR
// RUN: tern-opt %s --tern-hls-to-loops | tern-translate --emit-hls-cpp --hls-io=axis | FileCheck %s --check-prefix=AXIS
// RUN: tern-opt %s --tern-hls-to-loops='pe=2 simd=2 mac-tree=false' | tern-translate --emit-hls-cpp | FileCheck %s --check-prefix=CHAIN

// A BitLinear layer: RMSNorm, activation quantization, ternary accumulation
// (add/sub/skip on 2-bit codes), rescale.

func.func @main(%x: tensor<1x8xf32> {tern.name = "x"}) -> (tensor<1x4xf32> {tern.name = "y"}) {
  %w = tern.constant #tern.ternary<4x8, scale = 2.0, [1, 0, -1, 0, 1, 1, -1, 0,
                                                     0, 1, 1, -1, 0, 0, 1, -1,
                                                     -1, -1, 0, 1, 0, 1, 0, 1,
                                                     1, 0, 0, 0, -1, 1, 1, 1]>
  %g = arith.constant dense<[1.0, 0.5, 1.5, 1.0, 1.0, 0.75, 1.25, 1.0]> : tensor<8xf32>
  %y = tern.bitlinear %x, %w norm %g {act_bits = 8 : i32, eps = 1.0e-06 : f32}
      : tensor<1x8xf32>, !tern.ternary<4x8>, tensor<8xf32> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// CHECK: #include "tern_kernel.h"
// The norm weight is small: an on-chip ROM.
// CHECK: static const tern_real g_{{.*}}[8] = {1.0f, 0.5f, 1.5f

// Stages are separate processes of the dataflow region.
// CHECK-LABEL: // Stage: reduction
// CHECK: static void tern_top_s0_reduction(const tern_real a0[1][8], tern_real a1[1])
// CHECK-NEXT: #pragma HLS INLINE off
// The sum of squares is carried in a register across the reduction loop.
// CHECK: tern_real [[ACC:r[0-9]+]] = {{v[0-9]+}};
// CHECK: for (int [[K:i[0-9]+]] = 0; [[K]] < 8; [[K]] += 1) {
// CHECK-NEXT: #pragma HLS PIPELINE II=1
// CHECK-NEXT: #pragma HLS UNROLL factor=2
// CHECK: [[ACC]] = v{{[0-9]+}};

// The ternary stage: P = 2 accumulators in registers; the byte loop steps by
// SIMD = 2 bytes and is pipelined at II=1; per PE row, the 4 * SIMD = 8 lanes
// (x, -x or 0 by the 2-bit code) go through an adder tree, then one add.
// CHECK-LABEL: // Stage: ternary_matmul
// CHECK: static void tern_top_s{{[0-9]+}}_ternary_matmul(const tern_i8 a0[1][8], const tern_i32 a1[2][1][1], tern_i32 a2[1][2][2])
// CHECK-NEXT: #pragma HLS INLINE off
// CHECK-NEXT: #pragma HLS ARRAY_PARTITION variable=a0 type=complete dim=2
// CHECK-NEXT: #pragma HLS ARRAY_PARTITION variable=a2 type=complete dim=3
// CHECK: tern_i32 [[ACCS:buf[0-9]+]][2];
// CHECK-NEXT: #pragma HLS ARRAY_PARTITION variable=[[ACCS]] type=complete dim=1
// CHECK: [[ACCS]][{{i[0-9]+}}] = v{{[0-9]+}};
// CHECK-NEXT: }
// CHECK-NEXT: for (int [[G:i[0-9]+]] = 0; [[G]] < 2; [[G]] += 2) {
// CHECK-NEXT: #pragma HLS PIPELINE II=1
// The cycle's weights, fetched once: P x S = 4 bytes, one 32-bit word.
// CHECK-NEXT: tern_i32 [[WORDS:buf[0-9]+]][1];
// CHECK-NEXT: #pragma HLS ARRAY_PARTITION variable=[[WORDS]] type=complete dim=1
// CHECK-NEXT: for (int [[K:i[0-9]+]] = 0; [[K]] < 1; [[K]] += 1) {
// CHECK-NEXT: #pragma HLS UNROLL
// CHECK-NEXT: tern_i32 [[WV:v[0-9]+]] = a1[{{i[0-9]+}}][([[G]] / 2)][[[K]]];
// CHECK-NEXT: [[WORDS]][[[K]]] = [[WV]];
// CHECK-NEXT: }
// CHECK-NEXT: for (int [[P:i[0-9]+]] = 0; [[P]] < 2; [[P]] += 1) {
// CHECK-NEXT: #pragma HLS UNROLL
// CHECK-NEXT: tern_i32 [[LANES:buf[0-9]+]][8];
// CHECK-NEXT: #pragma HLS ARRAY_PARTITION variable=[[LANES]] type=complete dim=1
// CHECK-NEXT: for (int [[S:i[0-9]+]] = 0; [[S]] < 2; [[S]] += 1) {
// CHECK-NEXT: #pragma HLS UNROLL
// Byte s*P + p of the word: a shift by a constant once the loops are unrolled.
// CHECK-NEXT: tern_i32 [[WD:v[0-9]+]] = [[WORDS]][((([[S]] * 2) + [[P]]) / 4)];
// CHECK-NEXT: int [[SH:v[0-9]+]] = (((([[S]] * 2) + [[P]]) % 4) * 8);
// CHECK-NEXT: tern_i32 [[SH32:v[0-9]+]] = (tern_i32)([[SH]]);
// CHECK-NEXT: tern_i32 [[SR:v[0-9]+]] = (tern_i32)((tern_u32)[[WD]] >> (tern_u32)[[SH32]]);
// CHECK-NEXT: tern_i8 [[W:v[0-9]+]] = (tern_i8)([[SR]]);
// CHECK-NEXT: for (int [[J:i[0-9]+]] = 0; [[J]] < 4; [[J]] += 1) {
// CHECK-NEXT: #pragma HLS UNROLL
// CHECK-NEXT: = a0[{{i[0-9]+}}][((([[G]] * 4) + ([[S]] * 4)) + [[J]])];
// The 2-bit code selects x (code 2), -x (code 0) or 0: no accumulator in the lane.
// CHECK: = (tern_i8)((tern_u8)[[W]] >> (tern_u8)v{{[0-9]+}});
// CHECK: = (tern_i8)(v{{[0-9]+}} & ((tern_i8)3));
// CHECK: [[X:v[0-9]+]] = (tern_i32)(v{{[0-9]+}});
// CHECK-NEXT: [[NEG:v[0-9]+]] = (tern_i32)((tern_u32)((tern_i32)0) - (tern_u32)[[X]]);
// CHECK: [[T0:v[0-9]+]] = v{{[0-9]+}} ? [[NEG]] : ((tern_i32)0);
// CHECK-NEXT: [[T:v[0-9]+]] = v{{[0-9]+}} ? [[X]] : [[T0]];
// CHECK-NEXT: [[LANES]][(([[S]] * 4) + [[J]])] = [[T]];
// Three levels (8 -> 4 -> 2 -> 1 lanes), then one add into the accumulator.
// CHECK: for (int [[L1:i[0-9]+]] = 0; [[L1]] < 4; [[L1]] += 1) {
// CHECK-NEXT: #pragma HLS UNROLL
// CHECK-NEXT: [[A:v[0-9]+]] = [[LANES]][([[L1]] * 2)];
// CHECK-NEXT: [[B:v[0-9]+]] = [[LANES]][(([[L1]] * 2) + 1)];
// CHECK-NEXT: [[SUM:v[0-9]+]] = (tern_i32)((tern_u32)[[A]] + (tern_u32)[[B]]);
// CHECK-NEXT: [[LANES]][[[L1]]] = [[SUM]];
// CHECK: for (int [[L2:i[0-9]+]] = 0; [[L2]] < 2; [[L2]] += 1) {
// CHECK: for (int [[L3:i[0-9]+]] = 0; [[L3]] < 1; [[L3]] += 1) {
// CHECK: [[TOTAL:v[0-9]+]] = [[LANES]][0];
// CHECK-NEXT: [[OLD:v[0-9]+]] = [[ACCS]][[[P]]];
// CHECK-NEXT: [[NEW:v[0-9]+]] = (tern_i32)((tern_u32)[[OLD]] + (tern_u32)[[TOTAL]]);
// CHECK-NEXT: [[ACCS]][[[P]]] = [[NEW]];
// CHECK-NOT: *
// CHECK: // Stage: elementwise

// The top: AXI4 masters with depths, AXI4-Lite control, dataflow of stage calls.
// CHECK-LABEL: // Top function
// The weights: one 32-bit word (P x S = 4 packed bytes) per cycle.
// CHECK: void tern_top(const tern_real x[1][8], const tern_i32 w0[2][1][1], tern_real y[1][4]) {
// CHECK-NEXT: #pragma HLS INTERFACE mode=m_axi port=x offset=slave bundle=gmem_in depth=8
// CHECK-NEXT: #pragma HLS INTERFACE mode=m_axi port=w0 offset=slave bundle=gmem_w0 depth=2
// CHECK-NEXT: #pragma HLS INTERFACE mode=m_axi port=y offset=slave bundle=gmem_out depth=4
// CHECK-NEXT: #pragma HLS INTERFACE mode=s_axilite port=x bundle=control
// CHECK-NEXT: #pragma HLS INTERFACE mode=s_axilite port=w0 bundle=control
// CHECK-NEXT: #pragma HLS INTERFACE mode=s_axilite port=y bundle=control
// CHECK-NEXT: #pragma HLS INTERFACE mode=s_axilite port=return bundle=control
// CHECK-NEXT: #pragma HLS DATAFLOW
// The input x has two readers: a load stage gives each its own buffer.
// CHECK: tern_top_load0(x, [[X0:buf[0-9]+]], [[X1:buf[0-9]+]]);
// CHECK: tern_top_s0_reduction([[X0]], buf{{[0-9]+}});
// CHECK: tern_top_s1_elementwise([[X1]], 
// CHECK: tern_top_s{{[0-9]+}}_ternary_matmul(buf{{[0-9]+}}, w0, buf{{[0-9]+}});
// CHECK: tern_top_s{{[0-9]+}}_elementwise(buf{{[0-9]+}}, buf{{[0-9]+}}, y);
// CHECK-NEXT: }

// Without parallelism: one row and one byte per cycle, no partitioning.
// SCALAR-LABEL: // Stage: ternary_matmul
// SCALAR: const tern_i8 a1[4][2][1]
// SCALAR-NOT: UNROLL factor
// SCALAR: // Top function

// Token I/O as AXI4-Stream: the model becomes tern_top_core, between stream
// adapters in a dataflow top; weights stay AXI4 masters. Beats are
// hls::axis (tern_axis) with TLAST on the last element of the tensor.
// AXIS: static void tern_top_core(const tern_real x[1][8], const tern_i8 w0[4][2][1], tern_real y[1][4]) {
// AXIS-NEXT: #pragma HLS INLINE off
// AXIS-NEXT: #pragma HLS DATAFLOW
// AXIS-LABEL: static void tern_top_read_x(tern_stream<tern_axis<tern_real> > &s, tern_real buf[1][8]) {
// AXIS: #pragma HLS PIPELINE II=1
// AXIS-NEXT: buf[i0][i1] = s.read().data;
// AXIS-LABEL: static void tern_top_write_y(const tern_real buf[1][4], tern_stream<tern_axis<tern_real> > &s) {
// AXIS: tern_axis<tern_real> beat;
// AXIS-NEXT: beat.data = buf[i0][i1];
// AXIS-NEXT: beat.keep = -1;
// AXIS-NEXT: beat.strb = -1;
// AXIS-NEXT: beat.last = i0 == 0 && i1 == 3;
// AXIS-NEXT: s.write(beat);
// AXIS-LABEL: void tern_top(tern_stream<tern_axis<tern_real> > &x, const tern_i8 w0[4][2][1], tern_stream<tern_axis<tern_real> > &y) {
// AXIS-NEXT: #pragma HLS INTERFACE mode=axis port=x
// AXIS-NEXT: #pragma HLS INTERFACE mode=m_axi port=w0 offset=slave bundle=gmem_w0 depth=8
// AXIS-NEXT: #pragma HLS INTERFACE mode=s_axilite port=w0 bundle=control
// AXIS-NEXT: #pragma HLS INTERFACE mode=axis port=y
// AXIS-NEXT: #pragma HLS INTERFACE mode=s_axilite port=return bundle=control
// AXIS-NEXT: #pragma HLS DATAFLOW
// AXIS: tern_top_read_x(x, x_buf);
// AXIS-NEXT: tern_top_core(x_buf, w0, y_buf);
// AXIS-NEXT: tern_top_write_y(y_buf, y);

// mac-tree=false: the select chain, trit after trit on a register.
// CHAIN-LABEL: // Stage: ternary_matmul
// CHAIN-NOT: [8];
// CHAIN: [[PLUS:v[0-9]+]] = (tern_i32)((tern_u32)[[ACC:r[0-9]+]] + (tern_u32)v{{[0-9]+}});
// CHAIN-NEXT: [[MINUS:v[0-9]+]] = (tern_i32)((tern_u32)[[ACC]] - (tern_u32)v{{[0-9]+}});
// CHAIN: [[M:v[0-9]+]] = v{{[0-9]+}} ? [[MINUS]] : [[ACC]];
// CHAIN-NEXT: [[NEXT:v[0-9]+]] = v{{[0-9]+}} ? [[PLUS]] : [[M]];
// CHAIN-NEXT: [[ACC]] = [[NEXT]];
// CHAIN: // Stage: elementwise
