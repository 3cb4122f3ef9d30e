// RUN: tern-opt %s -split-input-file --tern-hls-pack-weight-words | FileCheck %s
// RUN: tern-opt %s -split-input-file --tern-hls-pack-weight-words=word-bits=32 | FileCheck %s --check-prefix=W32
// RUN: not tern-opt %s -split-input-file --tern-hls-pack-weight-words=word-bits=24 2>&1 | FileCheck %s --check-prefix=BAD

// One engine of P = 4 rows reading S = 2 bytes per row and cycle: 8 bytes,
// one 64-bit word per cycle (II 1). With 32-bit words: 2 words per cycle,
// and the pipeline's II becomes 2.

func.func private @mm(%x: memref<1x16xi8>, %w: memref<2x4x4xi8> {tern.hls.weight_codes}, %y: memref<1x2x4xi32>) attributes {tern.hls.stage = "ternary_matmul"} {
  affine.for %nt = 0 to 2 {
    affine.for %g = 0 to 4 step 2 {
      affine.for %p = 0 to 4 {
        affine.for %s = 0 to 2 {
          %b = affine.load %w[%nt, %g + %s, %p] : memref<2x4x4xi8>
          %v = arith.extsi %b : i8 to i32
          affine.store %v, %y[0, %nt, %p] : memref<1x2x4xi32>
        } {tern.hls.unroll = 0 : i64}
      } {tern.hls.unroll = 0 : i64}
    } {tern.hls.pipeline = 1 : i64}
  }
  return
}

// CHECK: #[[SHIFT:.*]] = affine_map<(d0, d1) -> (((d0 * 4 + d1) mod 8) * 8)>
// CHECK-LABEL: func.func private @mm(
// CHECK-SAME: %[[W:[^:]*]]: memref<2x2x1xi64> {tern.hls.weight_codes}
// CHECK: affine.for %[[NT:.*]] = 0 to 2 {
// CHECK-NEXT: affine.for %[[G:.*]] = 0 to 4 step 2 {
// The cycle's word, fetched once into a register.
// CHECK-NEXT: %[[WORDS:.*]] = memref.alloca() {tern.hls.partition = array<i64: 1, 0>} : memref<1xi64>
// CHECK-NEXT: affine.for %[[K:.*]] = 0 to 1 {
// CHECK-NEXT: %[[WORD:.*]] = affine.load %[[W]][%[[NT]], %[[G]] floordiv 2, %[[K]]] : memref<2x2x1xi64>
// CHECK-NEXT: affine.store %[[WORD]], %[[WORDS]][%[[K]]]
// CHECK-NEXT: } {tern.hls.unroll = 0 : i64}
// CHECK: affine.for %[[P:.*]] = 0 to 4 {
// CHECK-NEXT: affine.for %[[S:.*]] = 0 to 2 {
// Byte s*P + p of the word: shift by 8 (s*P + p), truncate.
// CHECK-NEXT: %[[WD:.*]] = affine.load %[[WORDS]][(%[[S]] * 4 + %[[P]]) floordiv 8] : memref<1xi64>
// CHECK-NEXT: %[[SH:.*]] = affine.apply #[[SHIFT:.*]](%[[S]], %[[P]])
// CHECK-NEXT: %[[AMT:.*]] = arith.index_cast %[[SH]] : index to i64
// CHECK-NEXT: %[[SR:.*]] = arith.shrui %[[WD]], %[[AMT]] : i64
// CHECK-NEXT: %[[B:.*]] = arith.trunci %[[SR]] : i64 to i8
// CHECK-NEXT: arith.extsi %[[B]] : i8 to i32
// CHECK: } {tern.hls.pipeline = 1 : i64}

// W32: memref<2x2x2xi32> {tern.hls.weight_codes}
// W32: memref.alloca() {tern.hls.partition = array<i64: 1, 0>} : memref<2xi32>
// W32: affine.for %{{.*}} = 0 to 2 {
// W32: } {tern.hls.pipeline = 2 : i64}

// The port: retyped, repacked, the choice recorded.
// CHECK-LABEL: func.func @tern_top(
// CHECK-SAME: memref<2x2x1xi64> {tern.hls.trits_per_cycle = 32 : i64, tern.hls.weight = "w0", tern.hls.weight_data = dense_resource<tern_hls_words> : tensor<2x2x1xi64>
// CHECK-SAME: tern.hls.word_bits = 64 : i64, tern.hls.words_per_cycle = 1 : i64}
// CHECK: call @mm(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<1x16xi8>, memref<2x2x1xi64>, memref<1x2x4xi32>) -> ()
// The [Nt][G][P] bytes are already in cycle order: one 8-byte word per cycle, unchanged.
// CHECK: tern_hls_words: "0x01000000000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
// W32: tern.hls.trits_per_cycle = 32 : i64{{.*}}tern.hls.word_bits = 32 : i64, tern.hls.words_per_cycle = 2 : i64
// BAD: error: tern-hls-pack-weight-words: word-bits must be a power of two in [8, 1024], got 24
func.func @tern_top(%x: memref<1x16xi8> {tern.name = "x"},
                    %w0: memref<2x4x4xi8> {tern.hls.weight = "w0", tern.hls.weight_data = dense<[[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]], [[16, 17, 18, 19], [20, 21, 22, 23], [24, 25, 26, 27], [28, 29, 30, 31]]]> : tensor<2x4x4xi8>},
                    %y: memref<1x2x4xi32>) attributes {tern.hls.top, tern.hls.num_inputs = 1 : i64} {
  call @mm(%x, %w0, %y) : (memref<1x16xi8>, memref<2x4x4xi8>, memref<1x2x4xi32>) -> ()
  return
}

// -----

// P = 3 rows x S = 2 bytes = 6 bytes per cycle: 64-bit words, the last two
// bytes of each zero. Two layers share the engine (share mode): both ports
// are repacked.

func.func private @mm3(%x: memref<1x16xi8>, %w: memref<1x4x3xi8> {tern.hls.weight_codes}, %y: memref<1x1x3xi32>) attributes {tern.hls.stage = "ternary_matmul"} {
  affine.for %g = 0 to 4 step 2 {
    affine.for %p = 0 to 3 {
      affine.for %s = 0 to 2 {
        %b = affine.load %w[0, %g + %s, %p] : memref<1x4x3xi8>
        %v = arith.extsi %b : i8 to i32
        affine.store %v, %y[0, 0, %p] : memref<1x1x3xi32>
      } {tern.hls.unroll = 0 : i64}
    } {tern.hls.unroll = 0 : i64}
  } {tern.hls.pipeline = 1 : i64}
  return
}

// CHECK-LABEL: func.func private @mm3(
// CHECK-SAME: memref<1x2x1xi64> {tern.hls.weight_codes}
// CHECK-LABEL: func.func @tern_top(
// CHECK-SAME: %{{.*}}: memref<1x2x1xi64> {tern.hls.trits_per_cycle = 24 : i64, tern.hls.weight = "w0", tern.hls.weight_data = dense_resource<tern_hls_words> : tensor<1x2x1xi64>{{[^}]*}}tern.hls.word_bits = 64 : i64
// CHECK-SAME: %{{.*}}: memref<1x2x1xi64> {tern.hls.trits_per_cycle = 24 : i64, tern.hls.weight = "w1", tern.hls.weight_data = dense_resource<tern_hls_words_1>
// CHECK: tern_hls_words: "0x010000000102030405060000A1A2A3A4A5A60000"
// CHECK-NEXT: tern_hls_words_1: "0x0100000000000000000000000000000000000000"
func.func @tern_top(%x: memref<1x16xi8> {tern.name = "x"},
                    %w0: memref<1x4x3xi8> {tern.hls.weight = "w0", tern.hls.weight_data = dense<[[[1, 2, 3], [4, 5, 6], [-95, -94, -93], [-92, -91, -90]]]> : tensor<1x4x3xi8>},
                    %w1: memref<1x4x3xi8> {tern.hls.weight = "w1", tern.hls.weight_data = dense<0> : tensor<1x4x3xi8>},
                    %y: memref<1x1x3xi32>) attributes {tern.hls.top, tern.hls.num_inputs = 1 : i64} {
  call @mm3(%x, %w0, %y) : (memref<1x16xi8>, memref<1x4x3xi8>, memref<1x1x3xi32>) -> ()
  call @mm3(%x, %w1, %y) : (memref<1x16xi8>, memref<1x4x3xi8>, memref<1x1x3xi32>) -> ()
  return
}
