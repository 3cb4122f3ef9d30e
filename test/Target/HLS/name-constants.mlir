// RUN: tern-opt %s --tern-hls-name-constants | FileCheck %s

// Globals are renamed by their first use in a walk of the module (functions
// and ops in order), unused ones last, and moved into that order: the names
// no longer depend on how bufferization numbered them.

memref.global "private" constant @__constant_4xf32_3 : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
memref.global "private" constant @__constant_4xf32 : memref<4xf32> = dense<[5.0, 6.0, 7.0, 8.0]>
memref.global "private" constant @__constant_2xi8_7 : memref<2xi8> = dense<[1, 2]>
memref.global "private" constant @unused : memref<3xf32> = dense<0.0>

func.func private @stage(%out: memref<4xf32>) {
  %a = memref.get_global @__constant_4xf32 : memref<4xf32>
  %c0 = arith.constant 0 : index
  %v = memref.load %a[%c0] : memref<4xf32>
  memref.store %v, %out[%c0] : memref<4xf32>
  return
}

func.func @tern_top(%out: memref<4xf32>, %o2: memref<2xi8>) {
  call @stage(%out) : (memref<4xf32>) -> ()
  %b = memref.get_global @__constant_4xf32_3 : memref<4xf32>
  %c = memref.get_global @__constant_2xi8_7 : memref<2xi8>
  %again = memref.get_global @__constant_4xf32 : memref<4xf32>
  memref.copy %c, %o2 : memref<2xi8> to memref<2xi8>
  return
}

// CHECK: memref.global "private" constant @constant_4xf32_0 : memref<4xf32> = dense<[5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]>
// CHECK-NEXT: memref.global "private" constant @constant_4xf32_1 : memref<4xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-NEXT: memref.global "private" constant @constant_2xi8_2 : memref<2xi8> = dense<[1, 2]>
// CHECK-NEXT: memref.global "private" constant @constant_3xf32_3 : memref<3xf32> = dense<0.000000e+00>
// CHECK-LABEL: func.func private @stage
// CHECK: memref.get_global @constant_4xf32_0
// CHECK-LABEL: func.func @tern_top
// CHECK: memref.get_global @constant_4xf32_1
// CHECK-NEXT: memref.get_global @constant_2xi8_2
// CHECK-NEXT: memref.get_global @constant_4xf32_0
// CHECK-NOT: __constant
