#!/usr/bin/env bash
# Installs everything Tern needs on Debian 12 (idempotent: quick when done).
#  - C++ side: LLVM/MLIR 22, clang-22, ONNX + protobuf, GoogleTest, Ninja, ccache.
#  - Python side: a venv at .venv on Debian's python3 with its numpy/onnx/pytest,
#    plus the pinned pip packages Debian lacks (python/requirements.txt).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# python3-torch: Debian's CPU PyTorch (tern.torch); libopenblas0-serial: an optimized BLAS
# behind it (its libblas.so.3 otherwise is the reference BLAS, ~20x slower); bible-kjv: the
# public-domain text scripts/train_bundled_model.py trains the bundled model on.
packages=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 libomp-22-dev
          libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata libgtest-dev
          cmake ninja-build ccache python3 python3-venv python3-numpy python3-onnx
          python3-pytest python3-torch libopenblas0-serial bible-kjv
          g++ make  # g++/make: C simulation of generated HLS packages
          qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
          libsentencepiece-dev python3-sentencepiece  # tokenizer.model in ternc and Python
          libclang-rt-22-dev)  # sanitizer and libFuzzer runtimes (test/robustness)
# qemu-user and the aarch64 cross toolchain: cross-compiled models are linked
# and run (docs/cross-compile.md, ctest -L aarch64).
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
stamp="$venv/.requirements.sha"
want=$(sha256sum "$root/python/requirements.txt" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$root/python/requirements.txt"
  echo "$want" > "$stamp"
fi
