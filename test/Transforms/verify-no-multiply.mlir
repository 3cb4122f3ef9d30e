// RUN: tern-opt %s -split-input-file -tern-verify-no-multiply -verify-diagnostics | FileCheck %s

// A marked kernel of select/add/sub passes; one with a multiply or an
// unlowered tmatmul does not (the pipeline test runs it on real kernels).

// CHECK-LABEL: func.func @clean
// CHECK: attrs = {tern.ternary_accumulation}
#id = affine_map<(d0) -> (d0)>
func.func @clean(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<4xi32>) outs(%b : tensor<4xi32>) attrs = {tern.ternary_accumulation} {
  ^bb0(%x: i32, %acc: i32):
    %s = arith.addi %x, %acc : i32
    linalg.yield %s : i32
  } -> tensor<4xi32>
  return %r : tensor<4xi32>
}

// -----

#id = affine_map<(d0) -> (d0)>
func.func @multiply_inside(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  // expected-note @+1 {{in this kernel}}
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<4xi32>) outs(%b : tensor<4xi32>) attrs = {tern.ternary_accumulation} {
  ^bb0(%x: i32, %acc: i32):
    // expected-error @+1 {{multiply 'arith.muli' inside a ternary accumulation}}
    %m = arith.muli %x, %acc : i32
    linalg.yield %m : i32
  } -> tensor<4xi32>
  return %r : tensor<4xi32>
}

// -----

func.func @float_multiply_inside(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{in this kernel}}
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%a : tensor<4xf32>) outs(%b : tensor<4xf32>) attrs = {tern.ternary_accumulation} {
  ^bb0(%x: f32, %acc: f32):
    // expected-error @+1 {{multiply 'math.fma' inside a ternary accumulation}}
    %m = math.fma %x, %x, %acc : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A multiply outside the marked kernels is fine.
// CHECK-LABEL: func.func @multiply_outside
// CHECK: arith.mulf
func.func @multiply_outside(%a: f32) -> f32 {
  %m = arith.mulf %a, %a : f32
  return %m : f32
}

// -----

func.func @unlowered(%x: tensor<1x4xi8>) -> tensor<1x2xi32> {
  %w = tern.constant #tern.ternary<2x4, scale = 1.0, [-1, 0, 1, 0, 0, 1, 1, 1]>
  // expected-error @+1 {{ternary product was not lowered to select/add/sub (run tern-ternary-to-arith first)}}
  %y = tern.tmatmul %x, %w : tensor<1x4xi8>, !tern.ternary<2x4> -> tensor<1x2xi32>
  return %y : tensor<1x2xi32>
}
