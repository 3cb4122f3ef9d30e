#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, builds a separate project
# against it with find_package(Tern), and runs that project's own pass.
set -euo pipefail
build=$1; consumer=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
test -x "$work/prefix/bin/tern-opt"
"$work/prefix/bin/tern-opt" --show-dialects | grep -qE '[:,]tern,'
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$consumer" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_COMPILER="$(grep -oP 'CMAKE_CXX_COMPILER:(FILEPATH|STRING)=\K.*' "$build/CMakeCache.txt")" \
  "${launcher[@]}" > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
out=$("$work/build/count-bitlinear")
echo "$out"
# The consumer folds the latent weight with Tern's pass, then counts layers
# with its own pass.
grep -q 'tern.constant #tern.ternary<2x2, scale = 1.000000e+00, \[1, -1, 0, 1\]>' <<< "$out"
grep -q 'bitlinear ops: 2' <<< "$out"
# The shared latent weight is packed once.
[ "$(grep -c 'tern.constant' <<< "$out")" = 1 ]
