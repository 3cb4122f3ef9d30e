// RUN: tern-opt %s --tern-hls-keep-state-on-chip -split-input-file | FileCheck %s

// Input `state` and output `state_out` of one type are the recurrent state;
// `h` has no `h_out` of its type (`h_out` here is [2] vs [4]): not paired.
// CHECK-LABEL: func.func @top(
// CHECK-SAME: %{{.*}}: memref<1xi64> {tern.name = "tokens"}
// CHECK-SAME: %{{.*}}: memref<4xf32> {tern.hls.state_out = 4 : i64, tern.name = "state"}
// CHECK-SAME: %{{.*}}: memref<4xf32> {tern.name = "h"}
// CHECK-SAME: %{{.*}}: memref<8xf32>,
// CHECK-SAME: %{{.*}}: memref<4xf32> {tern.hls.state_in = 1 : i64},
// CHECK-SAME: %{{.*}}: memref<2xf32>)
module {
  func.func @top(%tok: memref<1xi64> {tern.name = "tokens"}, %s: memref<4xf32> {tern.name = "state"},
                 %h: memref<4xf32> {tern.name = "h"}, %logits: memref<8xf32>,
                 %s_out: memref<4xf32>, %h_out: memref<2xf32>)
      attributes {tern.hls.top, tern.hls.num_inputs = 3 : i64,
                  tern.hls.output_names = ["logits", "state_out", "h_out"]} {
    return
  }
}
