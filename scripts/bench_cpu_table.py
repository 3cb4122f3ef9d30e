#!/usr/bin/env python3
"""Runs the issue-5 CPU measurements with build/bin/tern-bench and prints them as
Markdown tables (the figures in docs/benchmarks.md), keeping every raw JSON line.

  python3 scripts/bench_cpu_table.py [--part micro|models|all] [--jsonl out.jsonl]

micro: GEMV (batch 1) and GEMM (batch 16) for d x d, 2I x d, d x I and the 32000 x d
head, d in {1024, 2048, 2560}, for each kernel the host can run, 1 and 2 threads.
models: decode for 370m, 1.3b, 2.7b (vnni and vnni-base3), 1 and 2 threads; prefill.
Run it on an otherwise idle machine: the figures are the fastest batch of calls."""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(os.environ.get("TERN_BUILD_DIR", os.path.join(ROOT, "build")), "bin", "tern-bench")
WIDTHS = {1024: 2816, 2048: 5632, 2560: 6912}  # d -> I (DESIGN.md)


def host_kernels():
    flags = open("/proc/cpuinfo").read()
    kernels = []
    if "avx512_vnni" in flags:
        kernels += ["vnni", "vnni-base3"]
    if "avx_vnni" in flags:
        kernels.append("avxvnni")
    if "avx512bw" in flags:
        kernels.append("lut")
    if " avx2" in flags:
        kernels += ["avx2", "avx2-select"]
    return kernels + ["select"]


def bench(args, log):
    proc = subprocess.run([BENCH] + [str(a) for a in args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"tern-bench {' '.join(map(str, args))} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if log:
        log.write(json.dumps(result) + "\n")
        log.flush()
    return result


def micro(log):
    kernels = host_kernels()
    print("| shape (rows x cols) | batch | threads | " + " | ".join(kernels) + " | GB/s of weights (vnni) | x dense fp32 (vnni) |")
    print("|---|---|---|" + "---|" * len(kernels) + "---|---|")
    for d, inter in WIDTHS.items():
        shapes = [(d, d), (2 * inter, d), (d, inter), (32000, d)]
        for rows, cols in shapes:
            for batch in (1, 16):
                for threads in (1, 2):
                    row = {}
                    for kernel in kernels if batch == 1 else ["vnni"]:
                        row[kernel] = bench(["gemv", "--rows", rows, "--cols", cols, "--batch", batch,
                                             "--threads", threads, "--kernel", kernel], log)
                    cells = [f"{row[k]['gops']:.0f}" if k in row else "" for k in kernels]
                    ref = row.get("vnni", next(iter(row.values())))
                    print(f"| {rows} x {cols} | {batch} | {threads} | " + " | ".join(cells) +
                          f" | {ref['weight_gbps']:.1f} ({ref['bw_fraction']:.2f} of {ref['read_bw_gbps']:.1f}) | {ref['vs_dense_fp32']:.1f} |",
                          flush=True)


def models(log):
    print("| bench | config | threads | kernel | tokens/s | GB/s of weights | fraction of read BW | x dense fp32 | compile s | peak RSS GiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    runs = []
    for config in ("370m", "1.3b", "2.7b"):
        for threads in (1, 2):
            for kernel in ("vnni", "vnni-base3"):
                runs.append(["decode", "--config", config, "--threads", threads, "--kernel", kernel,
                             "--onnxruntime", "off"])  # onnxruntime: see bench_vs_onnxruntime.py
    for config in ("370m", "1.3b"):
        runs.append(["prefill", "--config", config, "--tokens", 64, "--threads", 2, "--kernel", "vnni"])
    for args in runs:
        r = bench(args, log)
        print(f"| {r['bench']} | {r['config']} | {r['threads']} | {r['kernel']} | {r['tokens_per_s']:.1f} | "
              f"{r['weight_gbps']:.1f} | {r['bw_fraction']:.2f} of {r['read_bw_gbps']:.1f} | {r['vs_dense_fp32']:.1f} | "
              f"{r['compile_s']:.0f} | {r['peak_rss_gib']:.2f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["micro", "models", "all"], default="all")
    parser.add_argument("--jsonl", help="also append every JSON result line to this file")
    args = parser.parse_args()
    log = open(args.jsonl, "a") if args.jsonl else None
    if args.part in ("micro", "all"):
        micro(log)
    if args.part in ("models", "all"):
        models(log)


if __name__ == "__main__":
    main()
