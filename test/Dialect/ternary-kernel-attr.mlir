// RUN: tern-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// CHECK: module attributes {tern.ternary_kernel = #tern.ternary_kernel<avx2, tile_rows = 8, tile_bytes = 4, dot = pmaddubsw>}
module attributes {tern.ternary_kernel = #tern.ternary_kernel<avx2, tile_rows = 8, tile_bytes = 4, dot = pmaddubsw>} {}

// -----

// The parameters must be the table's: a tile the kernel does not read is an error.
// expected-error @+1 {{the avx2 kernel has tile_rows = 8, tile_bytes = 4, dot = pmaddubsw}}
module attributes {tern.ternary_kernel = #tern.ternary_kernel<avx2, tile_rows = 16, tile_bytes = 4, dot = pmaddubsw>} {}

// -----

// expected-error @+1 {{the sdot kernel has tile_rows = 16, tile_bytes = 4, dot = sdot}}
module attributes {tern.ternary_kernel = #tern.ternary_kernel<sdot, tile_rows = 16, tile_bytes = 4, dot = vpdpbusd>} {}
