#!/usr/bin/env bash
# CUDA benchmarks on a machine with an NVIDIA GPU (sm_90) and this repository built:
#   tools/tern-cuda-bench/run.sh [BUILD_DIR]
# Writes a device kit without the recorded test cases (scripts/cuda-device-kit.sh --no-tests:
# the GPU-only numeric cases, the GEMV bench models, the 1.3B/2.7B decode steps) to a temporary
# folder and runs it: JSON lines with fraction_of_hbm_peak for every GEMV shape (the model's own
# kernel, L2 defeated, next to cuBLAS fp16 from a graph) and for decode, then the dense fp16
# decode baseline. A machine without the compiler runs a kit made elsewhere (OUT/run.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d -t tern-cuda-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
BUILD_DIR="${1:-$root/build}" "$root/scripts/cuda-device-kit.sh" "$work/kit" --no-tests
TERN_KIT_SANITIZE=0 "$work/kit/run.sh"
