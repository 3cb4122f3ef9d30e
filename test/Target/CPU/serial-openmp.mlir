// For a target other than the host there is no OpenMP runtime to link: the
// parallel row loops run in order on the calling thread (no __kmpc calls).
// For the host they stay OpenMP.

// RUN: sed -e 's/TRIPLE/aarch64-unknown-linux-gnu/' -e 's/CHIP/generic/' %s | tern-translate --tern-cpu-to-llvmir | FileCheck %s --check-prefix=SERIAL
// RUN: sed -e 's/TRIPLE/x86_64-unknown-linux-gnu/' -e 's/CHIP/x86-64/' %s | tern-translate --tern-cpu-to-llvmir | FileCheck %s --check-prefix=OMP

// SERIAL: target triple = "aarch64-unknown-linux-gnu"
// SERIAL-NOT: __kmpc
// SERIAL-LABEL: define void @fill(ptr {{.*}}%0)
// SERIAL: store {{.*}}i32
// SERIAL-NOT: __kmpc

// OMP-LABEL: define void @fill(
// OMP: call void (ptr, i32, ptr, ...) @__kmpc_fork_call(
// OMP: __kmpc_for_static_init

module attributes {tern.target = #llvm.target<triple = "TRIPLE", chip = "CHIP">} {
  // out[i] = i for i in [0, 1000), as a parallel loop.
  llvm.func @fill(%out: !llvm.ptr) {
    %lb = llvm.mlir.constant(0 : i64) : i64
    %ub = llvm.mlir.constant(1000 : i64) : i64
    %step = llvm.mlir.constant(1 : i64) : i64
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%i) : i64 = (%lb) to (%ub) step (%step) {
          %p = llvm.getelementptr %out[%i] : (!llvm.ptr, i64) -> !llvm.ptr, i32
          %v = llvm.trunc %i : i64 to i32
          llvm.store %v, %p : i32, !llvm.ptr
          omp.yield
        }
      }
      omp.terminator
    }
    llvm.return
  }
}
