"""The AArch64 kernels (``sdot`` for armv8.2 dotprod, ``neon`` for armv8.0, and the
portable ``select`` fallback for untiled rows) compiled for aarch64 and run under
``qemu-aarch64``, against the exact int64 product computed by numpy.

The module pins its target (``tern.target = #llvm.target<triple = "aarch64-...">``), so
the kernel pass and the vector lowering emit AArch64 code on any host:
``tern-opt --tern-cpu-pipeline`` -> ``mlir-translate`` -> ``llc -mtriple=aarch64`` ->
static link with ``aarch64-linux-gnu-gcc`` and a small C driver -> ``qemu-aarch64``.
Without qemu-user or the cross compiler (``scripts/setup.sh`` installs them) the test
says so and skips.  Exact equality: the kernels compute integers.
"""

import os
import shutil
import subprocess

import numpy as np
import pytest

from tern import mlir_models as M

LLVM_BIN = "/usr/lib/llvm-22/bin"
QEMU = shutil.which("qemu-aarch64")
CROSS_CC = shutil.which("aarch64-linux-gnu-gcc")

DRIVER = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
typedef struct { void *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } memref2d;
void _mlir_ciface_kernel(memref2d *x, memref2d *y);
/* The heap hooks finalize-memref-to-llvm{use-generic-functions} calls. */
void *_mlir_memref_to_llvm_alloc(size_t n) { return malloc(n); }
void *_mlir_memref_to_llvm_aligned_alloc(size_t a, size_t n) { return aligned_alloc(a, (n + a - 1) / a * a); }
void _mlir_memref_to_llvm_free(void *p) { free(p); }
/* memrefCopy of MLIR's C runner utils: strided copy between ranked descriptors. */
typedef struct { int64_t rank; void *descriptor; } unranked;
typedef struct { char *allocated, *aligned; int64_t offset, rest[]; } ranked;
static void copy_dim(int64_t es, int64_t rank, int64_t d, const int64_t *sizes, const int64_t *ss,
                     const int64_t *ds, char *src, char *dst) {
  if (d == rank) { for (int64_t b = 0; b < es; ++b) dst[b] = src[b]; return; }
  for (int64_t i = 0; i < sizes[d]; ++i)
    copy_dim(es, rank, d + 1, sizes, ss, ds, src + i * ss[d] * es, dst + i * ds[d] * es);
}
void memrefCopy(int64_t es, unranked *src, unranked *dst) {
  ranked *s = src->descriptor, *t = dst->descriptor;
  int64_t r = src->rank;
  copy_dim(es, r, 0, s->rest, s->rest + r, t->rest + r, s->aligned + s->offset * es, t->aligned + t->offset * es);
}
int main(int argc, char **argv) {
  if (argc != 6) return 2;
  int64_t m = atoll(argv[1]), k = atoll(argv[2]), n = atoll(argv[3]);
  int8_t *x = malloc(m * k);
  int32_t *y = calloc(m * n, 4);
  FILE *f = fopen(argv[4], "rb");
  if (!f || fread(x, 1, m * k, f) != (size_t)(m * k)) return 3;
  fclose(f);
  memref2d xd = {x, x, 0, {m, k}, {k, 1}}, yd = {y, y, 0, {m, n}, {n, 1}};
  _mlir_ciface_kernel(&xd, &yd);
  f = fopen(argv[5], "wb");
  if (!f || fwrite(y, 4, m * n, f) != (size_t)(m * n)) return 4;
  fclose(f);
  return 0;
}
"""

TARGETS = {
    "sdot": ('aarch64-unknown-linux-gnu', 'neoverse-n1', '"+dotprod", "+neon"', "+neon,+dotprod"),
    "neon": ('aarch64-unknown-linux-gnu', 'cortex-a53', '"+neon"', "+neon"),
}


def tool(name):
    path = os.path.join(os.environ.get("TERN_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build")),
                        "bin", name)
    if not os.access(path, os.X_OK):
        pytest.skip(f"{name} not built")
    return path


def weights(rng, n, k):
    wt = rng.integers(-1, 2, (n, k)).astype(np.int8)
    wt[0], wt[1 % n] = -1, 1  # the extreme sums
    return wt


@pytest.mark.skipif(QEMU is None or CROSS_CC is None,
                    reason="needs qemu-user and gcc-aarch64-linux-gnu (scripts/setup.sh installs them)")
@pytest.mark.parametrize("kernel", ["sdot", "neon"])
@pytest.mark.parametrize("shape", [(1, 300, 48), (3, 520, 32), (3, 1024, 16), (2, 45, 40)],
                         ids=["gemv-odd-k", "3-tokens", "extreme-k1024", "untiled-rows"])
def test_aarch64_kernel_matches_numpy(tmp_path, kernel, shape):
    m, k, n = shape
    rng = np.random.default_rng(k + n)
    wt = weights(rng, n, k)
    x = rng.integers(-128, 128, (m, k)).astype(np.int8)
    x[0] = -128  # the most negative activation everywhere (int16 partial sums at their bound)
    if m > 1:
        x[1] = 127
    triple, chip, features, mattr = TARGETS[kernel]
    text = (f'module attributes {{tern.target = #llvm.target<triple = "{triple}", chip = "{chip}", '
            f'features = #llvm.target_features<[{features}]>>}} {{\n'
            f"  func.func @kernel(%x: tensor<{m}x{k}xi8>) -> tensor<{m}x{n}xi32> attributes {{llvm.emit_c_interface}} {{\n"
            f"    %w = tern.constant {M.ternary_attr(wt, 1.0)}\n"
            f"    %y = tern.tmatmul %x, %w : tensor<{m}x{k}xi8>, !tern.ternary<{n}x{k}> -> tensor<{m}x{n}xi32>\n"
            f"    return %y : tensor<{m}x{n}xi32>\n  }}\n}}\n")
    (tmp_path / "m.mlir").write_text(text)
    llvm_dialect = subprocess.run([tool("tern-opt"), str(tmp_path / "m.mlir"),
                                   f"--tern-cpu-pipeline=ternary-kernel={kernel}"],
                                  check=True, capture_output=True, text=True).stdout
    # Nothing x86 may reach an AArch64 target.
    assert "llvm.x86" not in llvm_dialect
    if kernel == "sdot" and n % 16 == 0:
        assert "llvm.aarch64.neon.sdot" in llvm_dialect
    (tmp_path / "m.llvm.mlir").write_text(llvm_dialect)
    subprocess.run([f"{LLVM_BIN}/mlir-translate", "--mlir-to-llvmir", str(tmp_path / "m.llvm.mlir"),
                    "-o", str(tmp_path / "m.ll")], check=True)
    subprocess.run([f"{LLVM_BIN}/llc", "-O3", "-mtriple=aarch64-linux-gnu", f"-mattr={mattr}",
                    "-filetype=obj", str(tmp_path / "m.ll"), "-o", str(tmp_path / "m.o")], check=True)
    (tmp_path / "driver.c").write_text(DRIVER)
    subprocess.run([CROSS_CC, "-O1", "-static", str(tmp_path / "driver.c"), str(tmp_path / "m.o"),
                    "-o", str(tmp_path / "prog")], check=True)
    x.tofile(tmp_path / "x.bin")
    subprocess.run([QEMU, str(tmp_path / "prog"), str(m), str(k), str(n), str(tmp_path / "x.bin"),
                    str(tmp_path / "y.bin")], check=True, timeout=120)
    got = np.fromfile(tmp_path / "y.bin", dtype=np.int32).reshape(m, n)
    want = x.astype(np.int64) @ wt.astype(np.int64).T
    np.testing.assert_array_equal(got, want)
