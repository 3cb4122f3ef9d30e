// RUN: tern-opt %s -canonicalize | FileCheck %s
// RUN: tern-opt %s -canonicalize | tern-opt | FileCheck %s
// RUN: tern-opt %s -canonicalize --mlir-elide-resource-strings-if-larger=8 | FileCheck %s --check-prefix=ELIDED

// Weights past the inline limit (256) print as a packed dense_resource blob:
// 400 weights of +1 are 100 bytes of 0xAA (code 0b10 four times), after the
// 4-byte alignment header of the blob.

// CHECK-LABEL: func.func @large
// CHECK: tern.constant #tern.ternary<20x20, scale = 1.000000e+00, dense_resource<[[KEY:.*]]> : tensor<100xi8>>
// CHECK: dialect_resources
// CHECK-NEXT: builtin
// CHECK-NEXT: [[KEY]]: "0x01000000AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
// ELIDED: dense_resource<ternary> : tensor<100xi8>
// ELIDED-NOT: AAAA
func.func @large() -> !tern.ternary<20x20> {
  %c = arith.constant dense<1.0> : tensor<20x20xf32>
  %q = tern.weight_quant %c : tensor<20x20xf32> -> !tern.ternary<20x20>
  return %q : !tern.ternary<20x20>
}
