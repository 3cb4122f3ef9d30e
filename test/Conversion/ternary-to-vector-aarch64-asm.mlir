// RUN: tern-opt %s --tern-cpu-pipeline=ternary-kernel=sdot | mlir-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=aarch64-linux-gnu -mattr=+neon,+dotprod | FileCheck %s --check-prefix=SDOT
// RUN: tern-opt %s --tern-cpu-pipeline=ternary-kernel=neon | mlir-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=aarch64-linux-gnu -mattr=+neon | FileCheck %s --check-prefix=NEON

// The AArch64 kernels through the whole CPU pipeline and LLVM's AArch64
// backend (the lowered module carries only LLVM-dialect attributes, so the
// stock mlir-translate reads it): sdot on q registers for dotprod; for
// armv8.0 widening multiply-accumulates and pairwise adds, no sdot.
// SDOT-LABEL: gemv:
// SDOT: sdot v{{[0-9]+}}.4s, v{{[0-9]+}}.16b, v{{[0-9]+}}.
// NEON-LABEL: gemv:
// NEON-NOT: sdot
// NEON: smlal{{2?}} v{{[0-9]+}}.8h
module attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "neoverse-n1",
                                              features = #llvm.target_features<["+dotprod", "+neon"]>>} {
func.func @gemv(%x: tensor<1x300xi8>) -> tensor<1x48xi32> attributes {llvm.emit_c_interface} {
  %cst = arith.constant dense<0.5> : tensor<48x300xf32>
  %w = tern.weight_quant %cst : tensor<48x300xf32> -> !tern.ternary<48x300>
  %y = tern.tmatmul %x, %w : tensor<1x300xi8>, !tern.ternary<48x300> -> tensor<1x48xi32>
  return %y : tensor<1x48xi32>
}
}
