// RUN: tern-opt %s -tern-approximate-math | FileCheck %s

// math.exp (scalar and vector) becomes arith: range reduction by ln 2, a
// polynomial, and the exponent built with integer ops; other math ops stay.
// CHECK-LABEL: func.func @sigmoid
// CHECK-NOT: math.exp
// CHECK: math.floor
// CHECK: math.fma
// CHECK: arith.fptosi
// CHECK: arith.shli
// CHECK: arith.bitcast
// CHECK: math.sqrt
// CHECK-NOT: math.exp
func.func @sigmoid(%x: f32, %v: vector<16xf32>) -> (f32, vector<16xf32>, f32) {
  %one = arith.constant 1.0 : f32
  %n = arith.negf %x : f32
  %e = math.exp %n : f32
  %d = arith.addf %one, %e : f32
  %s = arith.divf %one, %d : f32
  %ev = math.exp %v : vector<16xf32>
  %r = math.sqrt %x : f32
  return %s, %ev, %r : f32, vector<16xf32>, f32
}
