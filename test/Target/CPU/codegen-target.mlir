// Codegen takes its TargetMachine from the module's tern.target.

// RUN: tern-translate --tern-cpu-to-asm %s -split-input-file -verify-diagnostics | FileCheck %s

// An AArch64 target with dotprod: NEON code and sdot.
module attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "neoverse-n1",
                   features = #llvm.target_features<["+neon", "+dotprod"]>>} {
  // CHECK-LABEL: dot:
  // CHECK: sdot v{{[0-9]+}}.4s, v{{[0-9]+}}.16b, v{{[0-9]+}}.16b
  // CHECK: ret
  llvm.func @dot(%acc: vector<4xi32>, %a: vector<16xi8>, %b: vector<16xi8>) -> vector<4xi32> {
    %r = llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"(%acc, %a, %b)
        : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
    llvm.return %r : vector<4xi32>
  }
}

// -----

// An x86 intrinsic never reaches another architecture.
module attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "generic",
                   features = #llvm.target_features<["+neon"]>>} {
  llvm.func @vnni(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>) -> vector<16xi32> {
    // expected-error @+1 {{the x86 intrinsic 'llvm.x86.avx512.vpdpbusd.512' cannot run on aarch64-unknown-linux-gnu: choose a ternary kernel for aarch64}}
    %r = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %a, %b)
        : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
    llvm.return %r : vector<16xi32>
  }
}

// -----

// The same intrinsic is fine for x86.
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "sapphirerapids",
                   features = #llvm.target_features<["+avx512f", "+avx512vnni"]>>} {
  // CHECK-LABEL: vnni:
  // CHECK: vpdpbusd {{.*}}%zmm
  llvm.func @vnni(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>) -> vector<16xi32> {
    %r = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %a, %b)
        : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
    llvm.return %r : vector<16xi32>
  }
}

// -----

// ternc's LLVM-stage output carries the module's #tern.ternary_kernel: it translates as it is.
// A hand-written feature list without the triple's baseline (64-bit mode, SSE2) keeps the
// baseline: LLVM aborted in instruction selection on ["+sse2"] alone.
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64",
                   features = #llvm.target_features<["+sse2"]>>,
                   tern.ternary_kernel = #tern.ternary_kernel<vnni, tile_rows = 16, tile_bytes = 4, dot = vpdpbusd>} {
  // CHECK-LABEL: neg:
  // CHECK: xorps
  llvm.func @neg(%x: f32) -> f32 {
    %r = llvm.fneg %x : f32
    llvm.return %r : f32
  }
}
