// RUN: tern-opt %s --tern-cuda-raise-index-checks -split-input-file -verify-diagnostics | FileCheck %s

// The nest as the importer writes it (buildIndexBoundCheck): one scf.for per
// dimension, the axis-size constant of an inner loop inside the outer one.
// The message global and the declaration go with the last check reading them.

// CHECK-NOT: memref.global
// CHECK-NOT: @tern_rt_index_error
// CHECK-LABEL: func.func @nest
// CHECK-SAME: (%[[IDX:.*]]: tensor<2x3xi64>)
// CHECK-NOT: scf.for
// CHECK: tern.index_check %[[IDX]], 256, "node 'embed' (Gather)" : tensor<2x3xi64>
// CHECK-NOT: scf.for
// CHECK-NOT: memref.get_global
// CHECK: return
memref.global "private" constant @tern_rt_index_check : memref<21xi8> = dense<"0x6E6F64652027656D62656427202847617468657229">
func.func private @tern_rt_index_error(memref<?xi8>, i64, i64)
func.func @nest(%idx: tensor<2x3xi64>) -> tensor<2x3xi64> {
  %m = memref.get_global @tern_rt_index_check : memref<21xi8>
  %mc = memref.cast %m : memref<21xi8> to memref<?xi8>
  %lo = arith.constant -256 : i64
  %hi = arith.constant 256 : i64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    %c3 = arith.constant 3 : index
    scf.for %j = %c0 to %c3 step %c1 {
      %v = tensor.extract %idx[%i, %j] : tensor<2x3xi64>
      %a = arith.cmpi slt, %v, %lo : i64
      %b = arith.cmpi sge, %v, %hi : i64
      %bad = arith.ori %a, %b : i1
      scf.if %bad {
        func.call @tern_rt_index_error(%mc, %v, %hi) : (memref<?xi8>, i64, i64) -> ()
      }
    }
  }
  return %idx : tensor<2x3xi64>
}

// -----

// After canonicalization: loops of one iteration are gone (a decode step's
// single token), int32 indices are sign-extended, the compares swapped. Two
// checks: each keeps its own message and axis size.

// CHECK-LABEL: func.func @folded
// CHECK-SAME: (%[[A:.*]]: tensor<1xi32>, %[[B:.*]]: tensor<1x4xi64>)
// CHECK-NOT: tensor.extract
// CHECK: tern.index_check %[[A]], 100, "node 'embed' (Gather)" : tensor<1xi32>
// CHECK-NOT: scf.if
// CHECK: tern.index_check %[[B]], 7, "node g2 (GatherElements)" : tensor<1x4xi64>
// CHECK-NOT: scf.for
// CHECK: return
memref.global "private" constant @tern_rt_index_check : memref<21xi8> = dense<"0x6E6F64652027656D62656427202847617468657229">
memref.global "private" constant @tern_rt_index_check_0 : memref<24xi8> = dense<"0x6E6F64652067322028476174686572456C656D656E747329">
func.func private @tern_rt_index_error(memref<?xi8>, i64, i64)
func.func @folded(%a: tensor<1xi32>, %b: tensor<1x4xi64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %m = memref.get_global @tern_rt_index_check : memref<21xi8>
  %mc = memref.cast %m : memref<21xi8> to memref<?xi8>
  %lo = arith.constant -100 : i64
  %hi = arith.constant 100 : i64
  %e = tensor.extract %a[%c0] : tensor<1xi32>
  %v = arith.extsi %e : i32 to i64
  %x = arith.cmpi sge, %v, %hi : i64
  %y = arith.cmpi slt, %v, %lo : i64
  %bad = arith.ori %x, %y : i1
  scf.if %bad {
    func.call @tern_rt_index_error(%mc, %v, %hi) : (memref<?xi8>, i64, i64) -> ()
  }
  %m2 = memref.get_global @tern_rt_index_check_0 : memref<24xi8>
  %mc2 = memref.cast %m2 : memref<24xi8> to memref<?xi8>
  %lo2 = arith.constant -7 : i64
  %hi2 = arith.constant 7 : i64
  scf.for %j = %c0 to %c4 step %c1 {
    %w = tensor.extract %b[%c0, %j] : tensor<1x4xi64>
    %p = arith.cmpi slt, %w, %lo2 : i64
    %q = arith.cmpi sge, %w, %hi2 : i64
    %bad2 = arith.ori %p, %q : i1
    scf.if %bad2 {
      func.call @tern_rt_index_error(%mc2, %w, %hi2) : (memref<?xi8>, i64, i64) -> ()
    }
  }
  return
}

// -----

// CSE merged the gather's read of the token (in the kernel body) with the
// check's read outside: the read moves back into the body.

// CHECK-LABEL: func.func @shared_read
// CHECK-SAME: (%[[T:.*]]: tensor<1xi64>)
// CHECK-NOT: tensor.extract
// CHECK: tern.index_check %[[T]], 4, "node 'embed' (Gather)" : tensor<1xi64>
// CHECK: linalg.generic
// CHECK: %[[V:.*]] = tensor.extract %[[T]][%{{.*}}] : tensor<1xi64>
// CHECK: arith.index_cast %[[V]] : i64 to index
memref.global "private" constant @tern_rt_index_check : memref<21xi8> = dense<"0x6E6F64652027656D62656427202847617468657229">
func.func private @tern_rt_index_error(memref<?xi8>, i64, i64)
func.func @shared_read(%tok: tensor<1xi64>) -> tensor<1x3xf32> {
  %c0 = arith.constant 0 : index
  %m = memref.get_global @tern_rt_index_check : memref<21xi8>
  %mc = memref.cast %m : memref<21xi8> to memref<?xi8>
  %lo = arith.constant -4 : i64
  %hi = arith.constant 4 : i64
  %v = tensor.extract %tok[%c0] : tensor<1xi64>
  %a = arith.cmpi slt, %v, %lo : i64
  %b = arith.cmpi sge, %v, %hi : i64
  %bad = arith.ori %a, %b : i1
  scf.if %bad {
    func.call @tern_rt_index_error(%mc, %v, %hi) : (memref<?xi8>, i64, i64) -> ()
  }
  %table = arith.constant dense<1.0> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<1x3xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]} outs(%e : tensor<1x3xf32>) {
  ^bb0(%out: f32):
    %j = linalg.index 1 : index
    %r = arith.index_cast %v : i64 to index
    %x = tensor.extract %table[%r, %j] : tensor<4x3xf32>
    linalg.yield %x : f32
  } -> tensor<1x3xf32>
  return %g : tensor<1x3xf32>
}

// -----

// A loop that skips part of the tensor is not a check this pass knows: an
// error, never a check dropped in silence.
memref.global "private" constant @tern_rt_index_check : memref<21xi8> = dense<"0x6E6F64652027656D62656427202847617468657229">
func.func private @tern_rt_index_error(memref<?xi8>, i64, i64)
func.func @partial(%idx: tensor<3xi64>) {
  %m = memref.get_global @tern_rt_index_check : memref<21xi8>
  %mc = memref.cast %m : memref<21xi8> to memref<?xi8>
  %lo = arith.constant -8 : i64
  %hi = arith.constant 8 : i64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    %v = tensor.extract %idx[%i] : tensor<3xi64>
    %a = arith.cmpi slt, %v, %lo : i64
    %b = arith.cmpi sge, %v, %hi : i64
    %bad = arith.ori %a, %b : i1
    scf.if %bad {
      // expected-error @+1 {{CUDA backend: a call of tern_rt_index_error that is not a run-time index check it knows (dimension 0 of the index tensor is not scanned whole)}}
      func.call @tern_rt_index_error(%mc, %v, %hi) : (memref<?xi8>, i64, i64) -> ()
    }
  }
  return
}

// -----

// A check whose condition is not index < -dim || index >= dim.
memref.global "private" constant @tern_rt_index_check : memref<21xi8> = dense<"0x6E6F64652027656D62656427202847617468657229">
func.func private @tern_rt_index_error(memref<?xi8>, i64, i64)
func.func @condition(%idx: tensor<1xi64>) {
  %m = memref.get_global @tern_rt_index_check : memref<21xi8>
  %mc = memref.cast %m : memref<21xi8> to memref<?xi8>
  %lo = arith.constant -8 : i64
  %hi = arith.constant 8 : i64
  %c0 = arith.constant 0 : index
  %v = tensor.extract %idx[%c0] : tensor<1xi64>
  %a = arith.cmpi slt, %v, %lo : i64
  %b = arith.cmpi sgt, %v, %hi : i64
  %bad = arith.ori %a, %b : i1
  scf.if %bad {
    // expected-error @+1 {{the condition is not index < -dim || index >= dim}}
    func.call @tern_rt_index_error(%mc, %v, %hi) : (memref<?xi8>, i64, i64) -> ()
  }
  return
}
