#!/usr/bin/env python3
"""Cycles per 256 weights of each CPU ternary kernel's inner loop, by llvm-mca.

For every kernel and every CPU model it can run on, compiles a 1 x 1024 x 64 GEMV
(``tern.tmatmul`` on compile-time weights) with ``tern-opt --tern-cpu-pipeline``
(the module pins ``tern.target`` to the CPU), ``mlir-translate`` and ``llc -mcpu=CPU``,
finds the inner loop (the self-looping basic block with the most of the kernel's
accumulate instructions), and runs ``llvm-mca -mcpu=CPU`` on it.  Weights per
iteration are counted from the accumulate instructions in the block (vpdpbusd zmm: 64
weights, ymm: 32; vpmaddubsw ymm: 32; vpshufb zmm: 64; sdot .16b: 16; smlal/smlal2
.8h: 8), so LLVM's unrolling does not matter.  A static throughput estimate: no cache
misses, no frequency; the benchmarks (tern-bench) measure.

    scripts/mca_kernels.py [--build build] [--kernels vnni,avx2,...] [--cpus znver3,...]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

LLVM_BIN = "/usr/lib/llvm-22/bin"
X86 = "x86_64-unknown-linux-gnu"
A64 = "aarch64-unknown-linux-gnu"

# CPU -> (triple, features recorded on the module and given to llc).
CPUS = {
    "skylake": (X86, ["+avx2", "+fma"]),
    "znver3": (X86, ["+avx2", "+fma"]),
    "alderlake": (X86, ["+avx2", "+fma", "+avxvnni"]),
    "icelake-server": (X86, ["+avx2", "+fma", "+avx512f", "+avx512bw", "+avx512vl", "+avx512vnni"]),
    "sapphirerapids": (X86, ["+avx2", "+fma", "+avx512f", "+avx512bw", "+avx512vl", "+avx512vnni", "+avxvnni"]),
    "znver4": (X86, ["+avx2", "+fma", "+avx512f", "+avx512bw", "+avx512vl", "+avx512vnni"]),
    "neoverse-n1": (A64, ["+neon", "+dotprod"]),
    "neoverse-v2": (A64, ["+neon", "+dotprod", "+i8mm"]),
    "cortex-a53": (A64, ["+neon"]),
}

# kernel -> (required features, accumulate-instruction regex, weights per instruction)
KERNELS = {
    "vnni": (["+avx512vnni"], r"\bvpdpbusd\b.*%zmm", 64),
    "avxvnni": (["+avxvnni"], r"\bvpdpbusd\b.*%ymm", 32),
    "avx2": (["+avx2"], r"\bvpmaddubsw\b.*%ymm", 32),
    "lut": (["+avx512bw"], r"\bvpshufb\b.*%zmm", 64),
    "sdot": (["+dotprod"], r"\bsdot\b", 16),
    "neon": (["+neon"], r"\bsmlal2?\b", 8),
}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def module_text(triple, cpu, features, n=64, k=1024):
    import random
    rnd = random.Random(0)
    trits = ", ".join(str(rnd.choice((-1, 0, 1))) for _ in range(n * k))
    feats = ", ".join(f'"{f}"' for f in features)
    return (f'module attributes {{tern.target = #llvm.target<triple = "{triple}", chip = "{cpu}", '
            f"features = #llvm.target_features<[{feats}]>>}} {{\n"
            f"  func.func @gemv(%x: tensor<1x{k}xi8>) -> tensor<1x{n}xi32> {{\n"
            f"    %w = tern.constant #tern.ternary<{n}x{k}, scale = 1.0, [{trits}]>\n"
            f"    %y = tern.tmatmul %x, %w : tensor<1x{k}xi8>, !tern.ternary<{n}x{k}> -> tensor<1x{n}xi32>\n"
            f"    return %y : tensor<1x{n}xi32>\n  }}\n}}\n")


def inner_loop(asm, pattern):
    """The self-looping block with the most matches of `pattern`, as asm lines."""
    lines = asm.splitlines()
    best, best_count = None, 0
    label_at = {}
    for i, line in enumerate(lines):
        m = re.match(r"^(\.LBB\d+_\d+):", line)
        if m:
            label_at[m.group(1)] = i
    for i, line in enumerate(lines):
        m = re.search(r"\b(j\w+|b\.\w+|cbnz|cbz|b)\s+(\.LBB\d+_\d+)\s*$", line.strip())
        if not m or m.group(2) not in label_at or label_at[m.group(2)] >= i:
            continue
        body = [l for l in lines[label_at[m.group(2)] + 1:i + 1]
                if l.strip() and not l.strip().startswith((".", "#", "//", ";"))]
        count = sum(1 for l in body if re.search(pattern, l))
        if count > best_count:
            best, best_count = body, count
    return best, best_count


def mca_cycles(body, triple, cpu, iterations=200):
    out = run([f"{LLVM_BIN}/llvm-mca", f"-mtriple={triple}", f"-mcpu={cpu}", f"-iterations={iterations}"],
              input="\n".join(body) + "\n")
    total = int(re.search(r"Total Cycles:\s+(\d+)", out).group(1))
    return total / iterations


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument("--cpus", default=",".join(CPUS))
    args = ap.parse_args()
    tern_opt = os.path.join(args.build, "bin", "tern-opt")
    print(f"{'kernel':<8} {'cpu':<16} {'cycles/iter':>11} {'weights/iter':>12} {'cycles/256 weights':>18}")
    with tempfile.TemporaryDirectory() as tmp:
        for kernel in args.kernels.split(","):
            needs, pattern, per = KERNELS[kernel]
            for cpu in args.cpus.split(","):
                triple, features = CPUS[cpu]
                if not all(f in features for f in needs):
                    continue
                src = os.path.join(tmp, "m.mlir")
                with open(src, "w") as f:
                    f.write(module_text(triple, cpu, features))
                try:
                    llvm_dialect = run([tern_opt, src, f"--tern-cpu-pipeline=ternary-kernel={kernel}"])
                    ll = run([f"{LLVM_BIN}/mlir-translate", "--mlir-to-llvmir"], input=llvm_dialect)
                    asm = run([f"{LLVM_BIN}/llc", "-O3", f"-mtriple={triple}", f"-mcpu={cpu}",
                               f"-mattr={','.join(features)}"], input=ll)
                except subprocess.CalledProcessError as e:
                    print(f"{kernel:<8} {cpu:<16} failed: {e.stderr.strip()[:200]}", file=sys.stderr)
                    continue
                body, count = inner_loop(asm, pattern)
                if not body:
                    print(f"{kernel:<8} {cpu:<16} no inner loop with {pattern}", file=sys.stderr)
                    continue
                cycles = mca_cycles(body, triple, cpu)
                weights = count * per
                print(f"{kernel:<8} {cpu:<16} {cycles:>11.2f} {weights:>12} {cycles * 256 / weights:>18.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
