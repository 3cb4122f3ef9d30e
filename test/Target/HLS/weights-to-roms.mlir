// RUN: tern-opt %s --tern-hls-weights-to-roms | FileCheck %s
// RUN: not tern-opt %s --tern-hls-weights-to-roms=bram18=2 2>&1 | FileCheck %s --check-prefix=FULL
// RUN: tern-opt %s --tern-hls-weights-to-roms | tern-translate --emit-hls-cpp | FileCheck %s --check-prefix=CPP

// The packed words of a weight port become a block-RAM ROM: a constant
// global read in the top and passed to the stage; the port is gone.

func.func private @mm(%x: memref<1x16xi8>, %w: memref<2x2x1xi128> {tern.hls.weight_codes}, %y: memref<1x2x4xi32>) attributes {tern.hls.stage = "ternary_matmul"} {
  %c0 = arith.constant 0 : index
  %word = affine.load %w[0, 0, 0] : memref<2x2x1xi128>
  %i = arith.index_cast %c0 : index to i128
  %s = arith.shrui %word, %i : i128
  %b = arith.trunci %s : i128 to i8
  %v = arith.extsi %b : i8 to i32
  affine.store %v, %y[0, 0, 0] : memref<1x2x4xi32>
  return
}

// CHECK: memref.global "private" constant @rom_w0 : memref<2x2x1xi128> = dense<{{.*}}> {tern.hls.storage_impl = "bram", tern.hls.storage_type = "rom_1p"}
// CHECK-LABEL: func.func @tern_top(
// CHECK-SAME: %[[X:[^:]*]]: memref<1x16xi8> {tern.name = "x"}, %[[Y:[^:]*]]: memref<1x2x4xi32>)
// CHECK-NEXT: %[[ROM:.*]] = memref.get_global @rom_w0 : memref<2x2x1xi128>
// CHECK-NEXT: call @mm(%[[X]], %[[ROM]], %[[Y]])
// FULL: error: --hls-weights=onchip: the weight ROMs need 4 BRAM18 and the buffers 0, 4 in all, more than the platform's 2
// CPP: static const tern_word<128> g_rom_w0[2][2][1] =
// CPP-SAME: TERN_WORD(128, "0x0000000000000000000000000000000f")
// CPP-NEXT: TERN_WORD(128, "0x00000000000000000000000000000001")
// CPP: static void mm(const tern_i8 a0[1][16], const tern_word<128> a1[2][2][1], tern_i32 a2[1][2][4])
// CPP: (tern_word<128>)((tern_word<128>){{.*}} >> (tern_word<128>)
// CPP: (tern_i8)(
// CPP: void tern_top(const tern_i8 x[1][16], tern_i32 out0[1][2][4])
// CPP-NOT: m_axi port=w0
// CPP: #pragma HLS BIND_STORAGE variable=g_rom_w0 type=rom_1p impl=bram
// CPP-NEXT: mm(x, g_rom_w0, out0);
func.func @tern_top(%x: memref<1x16xi8> {tern.name = "x"},
                    %w0: memref<2x2x1xi128> {tern.hls.weight = "w0", tern.hls.weight_data = dense<[[[15], [1]], [[2], [3]]]> : tensor<2x2x1xi128>},
                    %y: memref<1x2x4xi32>) attributes {tern.hls.top, tern.hls.num_inputs = 1 : i64} {
  call @mm(%x, %w0, %y) : (memref<1x16xi8>, memref<2x2x1xi128>, memref<1x2x4xi32>) -> ()
  return
}
