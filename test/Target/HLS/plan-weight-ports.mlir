// RUN: tern-opt %s --tern-hls-plan-weight-ports | FileCheck %s
// RUN: tern-opt %s --tern-hls-plan-weight-ports='memory=ddr banks=2' | FileCheck %s --check-prefix=DDR
// RUN: not tern-opt %s --tern-hls-plan-weight-ports='memory=sram' 2>&1 | FileCheck %s --check-prefix=BAD

// Two engines: @mm_a reads w0 and w2 (two layers on one shared engine),
// @mm_b reads w1. w0/w2 share a bundle, w1 gets its own, on another bank.

func.func private @mm_a(%x: memref<4xi8>, %w: memref<2x1x2xi8>, %y: memref<4xi32>) attributes {tern.hls.stage = "ternary_matmul"} {
  return
}
func.func private @mm_b(%x: memref<4xi8>, %w: memref<4x1x1xi8>, %y: memref<4xi32>) attributes {tern.hls.stage = "ternary_matmul"} {
  return
}

// CHECK-LABEL: func.func @tern_top(
// CHECK-SAME: %{{.*}}: memref<4xi8> {tern.name = "x"}
// CHECK-SAME: %{{.*}}: memref<2x1x2xi8> {tern.hls.bank = "HBM[0]", tern.hls.bundle = "gmem_w0", tern.hls.weight = "w0"}
// CHECK-SAME: %{{.*}}: memref<4x1x1xi8> {tern.hls.bank = "HBM[1]", tern.hls.bundle = "gmem_w1", tern.hls.weight = "w1"}
// CHECK-SAME: %{{.*}}: memref<2x1x2xi8> {tern.hls.bank = "HBM[0]", tern.hls.bundle = "gmem_w0", tern.hls.weight = "w2"}
// CHECK-SAME: %{{.*}}: memref<8xi8> {tern.hls.bank = "HBM[2]", tern.hls.bundle = "gmem_w2", tern.hls.weight = "w3"}
// CHECK-SAME: %[[OUT:[^:]*]]: memref<4xi32>)
// CHECK-NOT: tern.hls.bundle
// DDR: tern.hls.bank = "DDR[0]", tern.hls.bundle = "gmem_w0"
// DDR: tern.hls.bank = "DDR[1]", tern.hls.bundle = "gmem_w1"
// DDR: tern.hls.bank = "DDR[0]", tern.hls.bundle = "gmem_w0"
// DDR: tern.hls.bank = "DDR[0]", tern.hls.bundle = "gmem_w2"
// BAD: error: tern-hls-plan-weight-ports: memory must be hbm or ddr, got 'sram'
func.func @tern_top(%x: memref<4xi8> {tern.name = "x"},
                    %w0: memref<2x1x2xi8> {tern.hls.weight = "w0"},
                    %w1: memref<4x1x1xi8> {tern.hls.weight = "w1"},
                    %w2: memref<2x1x2xi8> {tern.hls.weight = "w2"},
                    %w3: memref<8xi8> {tern.hls.weight = "w3"},
                    %y: memref<4xi32>) attributes {tern.hls.top, tern.hls.num_inputs = 1 : i64} {
  call @mm_a(%x, %w0, %y) : (memref<4xi8>, memref<2x1x2xi8>, memref<4xi32>) -> ()
  call @mm_b(%x, %w1, %y) : (memref<4xi8>, memref<4x1x1xi8>, memref<4xi32>) -> ()
  call @mm_a(%x, %w2, %y) : (memref<4xi8>, memref<2x1x2xi8>, memref<4xi32>) -> ()
  return
}
