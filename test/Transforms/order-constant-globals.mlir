// RUN: tern-opt %s --tern-order-constant-globals | FileCheck %s

// Bufferization's constant globals, in the order a run happened to create them (and one
// that nothing reads), come out named and placed by first use: @f before @g, program order
// within each. Other globals keep their names and places.
// CHECK:      memref.global "private" constant @__constant_0 : memref<2xf32> = dense<[1.000000e+00, 2.000000e+00]>
// CHECK-NEXT: memref.global "private" constant @__constant_1 : memref<2xf32> = dense<[3.000000e+00, 4.000000e+00]>
// CHECK-NEXT: memref.global "private" constant @__constant_2 : memref<2xf32> = dense<[5.000000e+00, 6.000000e+00]>
// CHECK-NOT:  7.000000e+00
// CHECK:      memref.global "private" constant @weights
// CHECK-LABEL: func.func @f
// CHECK:        memref.get_global @__constant_0
// CHECK:        memref.get_global @weights
// CHECK:        memref.get_global @__constant_1
// CHECK-LABEL: func.func @g
// CHECK:        memref.get_global @__constant_2
// CHECK:        memref.get_global @__constant_0
module {
  memref.global "private" constant @__constant_2xf32_1 : memref<2xf32> = dense<[5.0, 6.0]>
  memref.global "private" constant @__constant_2xf32_0 : memref<2xf32> = dense<[3.0, 4.0]>
  memref.global "private" constant @__constant_2xf32_3 : memref<2xf32> = dense<[7.0, 8.0]>
  memref.global "private" constant @weights : memref<2xf32> = dense<[9.0, 9.0]>
  memref.global "private" constant @__constant_2xf32 : memref<2xf32> = dense<[1.0, 2.0]>
  func.func @f() -> (memref<2xf32>, memref<2xf32>, memref<2xf32>) {
    %a = memref.get_global @__constant_2xf32 : memref<2xf32>
    %w = memref.get_global @weights : memref<2xf32>
    %b = memref.get_global @__constant_2xf32_0 : memref<2xf32>
    return %a, %w, %b : memref<2xf32>, memref<2xf32>, memref<2xf32>
  }
  func.func @g() -> (memref<2xf32>, memref<2xf32>) {
    %c = memref.get_global @__constant_2xf32_1 : memref<2xf32>
    %a = memref.get_global @__constant_2xf32 : memref<2xf32>
    return %c, %a : memref<2xf32>, memref<2xf32>
  }
}
