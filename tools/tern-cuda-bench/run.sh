#!/usr/bin/env bash
# CUDA benchmarks (needs an NVIDIA GPU, sm_80 or newer). Prints JSON lines:
#   tools/tern-cuda-bench/run.sh [BUILD_DIR] [configs...]      (default: build 370m 1.3b 2.7b)
# 1. ternary GEMV vs cuBLAS fp16 on the model shapes (fraction of peak DRAM bandwidth);
# 2. decode tokens/s of each config with random weights, compiled by ternc --target=cuda
#    with each ternary MAC (dp4a, select);
# 3. the cuBLAS fp16 GEMVs of the same config per token (dense baseline).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
shift || true
configs=("${@:-370m 1.3b 2.7b}")
nvcc="${TERN_NVCC:-/usr/local/cuda/bin/nvcc}"
py="${TERN_PYTHON:-$root/.venv/bin/python}"
work="$(mktemp -d -t tern-cuda-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

"$nvcc" -O3 -std=c++17 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
  -I "$root/lib/Target/CUDA/kernels" "$here/tern_cuda_bench.cu" -lcublas -ldl -o "$work/tern-cuda-bench"
bench="$work/tern-cuda-bench"

# (rows, cols) of the 370M / 1.3B / 2.7B matrices: d x d, 2I x d (gate+up), d x I, V x d.
for shape in 1024x1024 5632x1024 1024x2816 2048x2048 11264x2048 2048x5632 \
             2560x2560 13824x2560 2560x6912 6912x2560 32000x2560; do
  "$bench" gemv --rows "${shape%x*}" --cols "${shape#*x}" | tail -n 2
done
"$bench" gemv --rows 2560 --cols 6912 --batch 8 | tail -n 2

for cfg in ${configs[@]}; do
  "$py" "$root/test/Target/CUDA/models.py" "$cfg" --no-embed -o "$work/$cfg.mlir"
  for mac in dp4a select; do
    "$build/bin/ternc" compile "$work/$cfg.mlir" --target=cuda --cuda-mac=$mac \
      -o "$work/$cfg-$mac.so" --quiet
    "$bench" decode --model "$work/$cfg-$mac.so" | tail -n 1
    rm -f "$work/$cfg-$mac.so" "$work/$cfg-$mac.h"
  done
  rm -f "$work/$cfg.mlir"
  "$bench" dense-decode --config "$cfg" | tail -n 1
done
