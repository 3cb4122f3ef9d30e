// RUN: tern-opt %s -split-input-file -tern-select-ternary-kernel | FileCheck %s
// The `auto` choice for named CPUs: features as LLVM's subtarget info lists
// them (abridged to the ones the table reads).

// CHECK-LABEL: module @znver3
// CHECK-SAME: tern.ternary_kernel = #tern.ternary_kernel<avx2, tile_rows = 8, tile_bytes = 4, dot = pmaddubsw>
module @znver3 attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver3",
    features = #llvm.target_features<["+avx", "+avx2", "+fma", "+sse4.2", "-avx512f", "-avx512vnni", "-avxvnni"]>>} {}

// -----

// CHECK-LABEL: module @skylake
// CHECK-SAME: #tern.ternary_kernel<avx2,
module @skylake attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "skylake",
    features = #llvm.target_features<["+avx2", "+fma"]>>} {}

// -----

// CHECK-LABEL: module @sapphirerapids
// CHECK-SAME: #tern.ternary_kernel<vnni, tile_rows = 16, tile_bytes = 4, dot = vpdpbusd>
module @sapphirerapids attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "sapphirerapids",
    features = #llvm.target_features<["+avx2", "+avx512bw", "+avx512f", "+avx512vnni", "+avxvnni"]>>} {}

// -----

// CHECK-LABEL: module @znver4
// CHECK-SAME: #tern.ternary_kernel<vnni,
module @znver4 attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver4",
    features = #llvm.target_features<["+avx2", "+avx512bw", "+avx512f", "+avx512vnni", "-avxvnni"]>>} {}

// -----

// CHECK-LABEL: module @alderlake
// CHECK-SAME: #tern.ternary_kernel<avxvnni, tile_rows = 8, tile_bytes = 4, dot = vpdpbusd>
module @alderlake attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "alderlake",
    features = #llvm.target_features<["+avx2", "+avxvnni", "-avx512f"]>>} {}

// -----

// The last mention of a feature wins.
// CHECK-LABEL: module @vnni_disabled
// CHECK-SAME: #tern.ternary_kernel<avx2,
module @vnni_disabled attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "icelake-server",
    features = #llvm.target_features<["+avx2", "+avx512f", "+avx512vnni", "-avx512vnni"]>>} {}

// -----

// Baseline x86-64 (no AVX2): the portable vector kernel.
// CHECK-LABEL: module @x86_64
// CHECK-SAME: #tern.ternary_kernel<select, tile_rows = 1, tile_bytes = 64, dot = select_add_sub>
module @x86_64 attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64",
    features = #llvm.target_features<["+sse2"]>>} {}

// -----

// CHECK-LABEL: module @neoverse_n1
// CHECK-SAME: #tern.ternary_kernel<sdot, tile_rows = 16, tile_bytes = 4, dot = sdot>
module @neoverse_n1 attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "neoverse-n1",
    features = #llvm.target_features<["+dotprod", "+neon"]>>} {}

// -----

// CHECK-LABEL: module @neoverse_v2
// CHECK-SAME: #tern.ternary_kernel<sdot,
module @neoverse_v2 attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "neoverse-v2",
    features = #llvm.target_features<["+dotprod", "+i8mm", "+neon", "+sve2"]>>} {}

// -----

// CHECK-LABEL: module @cortex_a53
// CHECK-SAME: #tern.ternary_kernel<neon, tile_rows = 16, tile_bytes = 4, dot = smlal>
module @cortex_a53 attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "cortex-a53",
    features = #llvm.target_features<["+neon"]>>} {}

// -----

// Other architectures: the portable vector kernel, whatever the features say.
// CHECK-LABEL: module @riscv
// CHECK-SAME: #tern.ternary_kernel<select,
module @riscv attributes {tern.target = #llvm.target<triple = "riscv64-unknown-linux-gnu", chip = "generic-rv64",
    features = #llvm.target_features<["+avx2"]>>} {}
