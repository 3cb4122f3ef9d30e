// RUN: tern-opt %s -tern-omp-guided-schedule | FileCheck %s

// Worksharing loops without a schedule get `guided`; an explicit schedule stays.
// CHECK-LABEL: func.func @rows
// CHECK: omp.wsloop schedule(guided)
// CHECK: omp.wsloop schedule(static)
func.func @rows(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
    }
    omp.wsloop schedule(static) {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
