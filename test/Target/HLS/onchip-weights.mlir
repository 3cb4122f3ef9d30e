// RUN: tern-opt %s --tern-hls-to-loops='pe=2 simd=2 weight-memory=onchip' | tern-translate --emit-hls-cpp | FileCheck %s
// RUN: not tern-opt %s --tern-hls-to-loops='pe=2 simd=2 weight-memory=onchip onchip-bram18=0' 2>&1 | FileCheck %s --check-prefix=FULL

// --hls-weights=onchip through the whole pipeline: the 4 x 8 ternary weight
// becomes a ROM of one 32-bit word per (row tile, cycle): P = 2 rows x S = 2
// bytes. The words by hand (code = trit + 1, trit j of a byte in bits 2j..2j+1):
// rows 0/1 give bytes 0x46 0x29 (byte 0 of rows 0, 1) 0x4a 0x25 (byte 1)
// = 0x254a2946 = 625617222; rows 2/3: 0x90 0x56 0x99 0xa8 = -1466345840.

func.func @main(%x: tensor<1x8xf32> {tern.name = "x"}) -> (tensor<1x4xf32> {tern.name = "y"}) {
  %w = tern.constant #tern.ternary<4x8, scale = 2.0, [1, 0, -1, 0, 1, 1, -1, 0,
                                                     0, 1, 1, -1, 0, 0, 1, -1,
                                                     -1, -1, 0, 1, 0, 1, 0, 1,
                                                     1, 0, 0, 0, -1, 1, 1, 1]>
  %y = tern.bitlinear %x, %w {act_bits = 8 : i32, eps = 1.0e-06 : f32}
      : tensor<1x8xf32>, !tern.ternary<4x8> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// CHECK: static const tern_i32 g_rom_w0[2][1][1] = {{[{][{][{]}}625617222{{[}][}]}},
// CHECK-NEXT: {{[{][{]}}-1466345840{{[}][}][}]}};
// CHECK: static void tern_top_s{{[0-9]+}}_ternary_matmul(const tern_i8 a0[1][8], const tern_i32 a1[2][1][1], tern_i32 a2[1][2][2])
// CHECK-LABEL: // Top function
// CHECK: void tern_top(const tern_real x[1][8], tern_real y[1][4]) {
// CHECK-NOT: port=w0
// CHECK: #pragma HLS BIND_STORAGE variable=g_rom_w0 type=rom_1p impl=bram
// FULL: error: --hls-weights=onchip: the weight ROMs need 1 BRAM18 and the buffers {{[0-9]+}}, {{[0-9]+}} in all, more than the platform's 0
