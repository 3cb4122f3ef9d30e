// RUN: tern-opt %s --tern-cpu-to-linalg --tern-hls-tile-ternary-matmul \
// RUN:   --tern-hls-externalize-weights=top=tern_top --tern-hls-outline-stages \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   --buffer-results-to-out-params="modify-public-functions hoist-static-allocs" \
// RUN:   --canonicalize --tern-hls-legalize-dataflow | FileCheck %s

// An MLGRU over a sequence of 3 tokens (paper variant): the projections run
// over all tokens, the recurrence h_t = f h_{t-1} + (1 - f) c is a loop.
func.func @main(%x: tensor<1x3x4xf32>, %h: tensor<1x4xf32>) -> (tensor<1x3x4xf32>, tensor<1x4xf32>) {
  %w = tern.constant #tern.ternary<4x4, scale = 1.0, [1, 0, -1, 0, 0, 1, 1, -1, -1, -1, 0, 1, 1, 0, 0, 0]>
  %o, %hn = tern.mlgru_sequence %x, %h weights(%w, %w, %w, %w) {variant = #tern<variant paper>}
      : (tensor<1x3x4xf32>, tensor<1x4xf32>, !tern.ternary<4x4>, !tern.ternary<4x4>,
         !tern.ternary<4x4>, !tern.ternary<4x4>) -> (tensor<1x3x4xf32>, tensor<1x4xf32>)
  return %o, %hn : tensor<1x3x4xf32>, tensor<1x4xf32>
}

// The token loop is a `recurrence` stage; its state lives in an
// out-parameter (the final-state output port itself), initialized from h_0.
// CHECK-LABEL: func.func private @tern_top_recurrence0(
// CHECK-SAME: %[[H0:[^:]*]]: memref<1x4xf32>
// CHECK-SAME: %[[STATE:[^:]*]]: memref<1x4xf32>) attributes {tern.hls.stage = "recurrence"}
// CHECK: linalg.copy ins(%[[H0]] : memref<1x4xf32>) outs(%[[STATE]] : memref<1x4xf32>)
// CHECK: affine.for %[[T:.*]] = 0 to 3 {
// CHECK: func.call @tern_top_s{{[0-9]+}}_elementwise({{.*}}%[[T]]{{.*}}%[[STATE]]
// CHECK: linalg.copy ins(%{{.*}} : memref<1x4xf32>) outs(%[[STATE]] : memref<1x4xf32>)
// CHECK: }
// The top is a dataflow region of stage calls writing the output ports.
// CHECK-LABEL: func.func @tern_top(
// CHECK-SAME: %[[X:[^:]*]]: memref<1x3x4xf32>
// CHECK-SAME: %[[HIN:[^:]*]]: memref<1x4xf32>
// CHECK-SAME: %[[O:[^:]*]]: memref<1x3x4xf32>, %[[HOUT:[^:]*]]: memref<1x4xf32>)
// CHECK-SAME: tern.hls.dataflow
// CHECK-NOT: memref.copy
// h_0 is an input port (read-only): a copy stage gives the recurrence its own.
// CHECK: call @tern_top_copy{{[0-9]+}}(%[[HIN]], %[[H0COPY:[^)]*]])
// CHECK: call @tern_top_recurrence0(%[[H0COPY]], {{.*}}, %[[HOUT]])
// CHECK-NOT: memref.copy
// CHECK: return
