// RUN: tern-opt %s --tern-cuda-prepare | tern-translate --tern-to-cuda | FileCheck %s
// RUN: tern-opt %S/emit-bitlinear.mlir --tern-cuda-prepare | tern-translate --tern-to-cuda | FileCheck %s --check-prefix=NONE

// A run-time index check (tern.index_check, raised from the importer's loop
// nest) is one single-block launch before the gather it guards. It writes the
// first bad index into a TernIndexError word in the arena, which tern_forward
// clears first (a memset node of the graph) and the launcher reads back with
// the outputs, naming the check's node from tern_index_check_what.

// CHECK: 2 launch(es) outside loops
// CHECK: struct TernIndexError {
// CHECK: tern_index_check_kernel(const T *__restrict__ idx, int64_t n, int64_t dim, int check,
// CHECK-LABEL: static cudaError_t tern_forward(
// CHECK-NEXT: (void)A;
// CHECK-NEXT: (void)cudaGetLastError();
// CHECK-NEXT: TERN_CHECK(cudaMemsetAsync((A + [[ERR:[0-9]+]]), 0, sizeof(TernIndexError), stream)); // no index out of range yet
// CHECK-NEXT: TERN_LAUNCH(tern_index_check_kernel<int64_t>, 1, TERN_ROW_THREADS, stream, ((const int64_t *)(((const char *)in[0]) + 0)), 2, 4LL, 0, (TernIndexError *)(A + [[ERR]])); // "node 'embed' (Gather)"
// CHECK-NEXT: TERN_LAUNCH(tern_k0,
// CHECK: #define TERN_NUM_INDEX_CHECKS 1
// CHECK-NEXT: static const int64_t tern_index_error_offset = [[ERR]];
// CHECK-NEXT: static const char *const tern_index_check_what[] = {
// CHECK-NEXT: "node 'embed' (Gather)",
// CHECK-NEXT: };
// CHECK-NEXT: static const int64_t tern_index_check_dim[] = {4, };
// CHECK: static int tern_index_failure(const TernIndexError &rec, char *error, size_t error_size) {
// CHECK: return tern_index_failure(rec, error, error_size);
// CHECK: int tern_model_sync(void *stream, char *error, size_t error_size) {

// A model without checks has no error word to clear and no check table.
// NONE-LABEL: static cudaError_t tern_forward(
// NONE-NOT: TernIndexError
// NONE: #define TERN_NUM_INDEX_CHECKS 0
// NONE-NEXT: #define TERN_NUM_INPUTS 1

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%tok: tensor<2xi64> {tern.name = "tokens"}) -> (tensor<2x3xf32> {tern.name = "x"}) {
  tern.index_check %tok, 4, "node 'embed' (Gather)" : tensor<2xi64>
  %table = arith.constant dense<[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0], [9.0, 10.0, 11.0]]> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<2x3xf32>
  %g = linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<2x3xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %t = tensor.extract %tok[%i] : tensor<2xi64>
    %c0 = arith.constant 0 : i64
    %c3 = arith.constant 3 : i64
    %lo = arith.maxsi %t, %c0 : i64
    %cl = arith.minsi %lo, %c3 : i64
    %r = arith.index_cast %cl : i64 to index
    %v = tensor.extract %table[%r, %j] : tensor<4x3xf32>
    linalg.yield %v : f32
  } -> tensor<2x3xf32>
  return %g : tensor<2x3xf32>
}

