#!/usr/bin/env bash
# Writes the CUDA device kit: a self-contained folder (<= 40 MiB) that a machine with an NVIDIA
# GPU, nvcc and bash checks and benchmarks with one command, OUT/run.sh (see docs/cuda.md).
#   scripts/cuda-device-kit.sh OUT [--subset] [--no-decode] [--no-tests]
# Needs a build (BUILD_DIR, default build/) and the venv (scripts/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 OUT [--subset] [--no-decode] [--no-tests]" >&2; exit 2; }
py="${TERN_PYTHON:-$root/.venv/bin/python}"
export TERN_BUILD_DIR="${BUILD_DIR:-$root/build}"
exec "$py" "$root/test/Target/CUDA/device_kit.py" "$@" --build "$TERN_BUILD_DIR"
