// RUN: not tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=vnni 2>&1 >/dev/null | FileCheck %s --check-prefix=VNNI
// RUN: not tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=avx2 2>&1 >/dev/null | FileCheck %s --check-prefix=AVX2
// RUN: not tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=sdot 2>&1 >/dev/null | FileCheck %s --check-prefix=SDOT
// RUN: not tern-opt %s -split-input-file -tern-select-ternary-kernel=kernel=simd 2>&1 >/dev/null | FileCheck %s --check-prefix=UNKNOWN

// A named kernel the target cannot run is an error naming what is missing.
// VNNI: error: the vnni ternary kernel needs a target with +avx512f +avx512vnni; CPU 'znver3' (x86_64-unknown-linux-gnu) lacks +avx512f +avx512vnni
// SDOT: error: the sdot ternary kernel needs an aarch64 target, not 'x86_64-unknown-linux-gnu'
// UNKNOWN: error: unknown ternary kernel 'simd' (auto, portable, select, vnni, vnni-base3, avxvnni, lut, avx2, avx2-select, sdot, neon)
module @znver3 attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver3",
    features = #llvm.target_features<["+avx2", "+fma"]>>} {}

// -----

// No x86 kernel on AArch64.
// VNNI: error: the vnni ternary kernel needs an x86-64 target, not 'aarch64-unknown-linux-gnu'
// AVX2: error: the avx2 ternary kernel needs an x86-64 target, not 'aarch64-unknown-linux-gnu'
module @a76 attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "cortex-a76",
    features = #llvm.target_features<["+dotprod", "+neon"]>>} {}

// -----

// armv8.0 lacks dotprod.
// SDOT: error: the sdot ternary kernel needs a target with +dotprod; CPU 'cortex-a53' (aarch64-unknown-linux-gnu) lacks +dotprod
module @a53 attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "cortex-a53",
    features = #llvm.target_features<["+neon"]>>} {}

// -----

// VNNI: error: 'tern.target' must be an #llvm.target attribute, got "x86_64"
module @not_a_target attributes {tern.target = "x86_64"} {}
