// The driver resolves --target-triple/--cpu/--target-features through LLVM's
// subtarget tables and records the target on the module (tern.target) before
// the CPU pipeline.

// RUN: ternc compile %s --emit=mlir --mlir-stage=linalg --target-triple=aarch64-linux-gnu --cpu=neoverse-n1 | FileCheck %s --check-prefix=N1
// N1: module attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "neoverse-n1", features = <[{{.*}}"+dotprod"{{.*}}"+neon"{{.*}}]>>

// A foreign triple defaults to its generic CPU: NEON, no dotprod.
// RUN: ternc compile %s --emit=mlir --mlir-stage=linalg --target-triple=aarch64-linux-gnu | FileCheck %s --check-prefix=GENERIC
// GENERIC: tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "generic", features = <[{{.*}}"+neon"
// RUN: ternc compile %s --emit=mlir --mlir-stage=linalg --target-triple=aarch64-linux-gnu | not grep -q '"+dotprod"'
// RUN: ternc compile %s --emit=mlir --mlir-stage=linalg --target-triple=aarch64-linux-gnu --target-features=+dotprod | FileCheck %s --check-prefix=PLUSDOT
// PLUSDOT: chip = "generic", features = <[{{.*}}"+dotprod"

// Any named x86 CPU, not only the host's.
// RUN: ternc compile %s --emit=mlir --mlir-stage=linalg --target-triple=x86_64-linux-gnu --cpu=sapphirerapids | FileCheck %s --check-prefix=SPR
// SPR: tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "sapphirerapids", features = <[{{.*}}"+avx512vnni"{{.*}}"+avxvnni"
// RUN: ternc compile %s --emit=mlir --mlir-stage=linalg --cpu=znver3 | FileCheck %s --check-prefix=ZEN3
// ZEN3: chip = "znver3", features = <[{{.*}}"+avx2"
// RUN: ternc compile %s --emit=mlir --mlir-stage=linalg --cpu=znver3 | not grep -q 'vnni'
// RUN: ternc compile %s --emit=mlir --mlir-stage=linalg --cpu=sapphirerapids --target-features=-avx512f | not grep -q '"+avx512'

// The whole way down: an AArch64 object and assembly.
// RUN: ternc compile %s --emit=asm --target-triple=aarch64-linux-gnu --cpu=neoverse-n1 -o - | FileCheck %s --check-prefix=ASM
// ASM: tern_model_main:
// ASM: ret

// Errors name what is wrong before anything is compiled.
// RUN: not ternc compile %s -o %t.so --cpu=pentium9 2>&1 | FileCheck %s --check-prefix=BADCPU
// BADCPU: ternc: error: unknown CPU 'pentium9' for x86_64-{{.*}}-linux-gnu (see `llc -mtriple=x86_64-{{.*}}-linux-gnu -mcpu=help`)
// RUN: not ternc compile %s -o %t.so --target-triple=aarch64-linux-gnu --cpu=znver3 2>&1 | FileCheck %s --check-prefix=WRONGARCH
// WRONGARCH: ternc: error: unknown CPU 'znver3' for aarch64-unknown-linux-gnu
// RUN: not ternc compile %s -o %t.so --target-triple=nonsense-triple 2>&1 | FileCheck %s --check-prefix=BADTRIPLE
// BADTRIPLE: ternc: error: unknown target triple 'nonsense-triple'
// RUN: not ternc compile %s -o %t.so --target-triple=aarch64-linux-gnu --cpu=native 2>&1 | FileCheck %s --check-prefix=NATIVE
// NATIVE: ternc: error: --cpu=native is the host's CPU ({{.*}}); name a CPU of aarch64
// RUN: not ternc compile %s -o %t.so --target-features=+avx1024 2>&1 | FileCheck %s --check-prefix=BADFEATURE
// BADFEATURE: ternc: error: unknown target feature 'avx1024'
// RUN: not ternc compile %s -o %t.so --target-features=avx2 2>&1 | FileCheck %s --check-prefix=SIGN
// SIGN: ternc: error: target feature 'avx2' must start with + or -
// RUN: not ternc run %s --target-triple=aarch64-linux-gnu --qemu=no-such-qemu 2>&1 | FileCheck %s --check-prefix=NOQEMU
// NOQEMU: ternc: error: running aarch64 code on this {{.*}} host needs no-such-qemu (Debian package qemu-user), or name one with --qemu
// RUN: not ternc compile %s -o %t.so --target-triple=aarch64-linux-gnu --linker=no-such-cc 2>&1 | FileCheck %s --check-prefix=NOLINKER
// NOLINKER: error: the linker 'no-such-cc' was not found

// --emit=wrapper: the C ABI wrapper that links with --emit=obj.
// RUN: ternc compile %s --emit=wrapper -o - | FileCheck %s --check-prefix=WRAPPER
// WRAPPER: int tern_model_run(const tern_tensor *inputs, int num_inputs
// WRAPPER: _mlir_ciface_tern_model_main(&in0, &out0);

func.func @main(%x: tensor<3x5xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 0.0, 0.2, 0.3], [2.0, 0.1, -0.3, 1.0, 1.0]]> : tensor<2x5xf32>
  %g = arith.constant dense<[1.0, 2.0, 0.5, 1.0, 1.0]> : tensor<5xf32>
  %y = tern.bitlinear %x, %w norm %g : tensor<3x5xf32>, tensor<2x5xf32>, tensor<5xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
