#!/usr/bin/env bash
# Tern's CUDA device kit (written by scripts/cuda-device-kit.sh on a machine with the compiler;
# needs only nvcc, a GPU and bash here):
#   ./run.sh               build everything (nvcc, in parallel), check every case, run
#                          compute-sanitizer on a few, run the benchmarks; JSON lines, results.jsonl
#   ./run.sh --build-only  only compile (for CI machines without a GPU)
# Environment: NVCC (default: nvcc on PATH, else /usr/local/cuda/bin/nvcc), TERN_KIT_ARCH (90),
# JOBS (nproc), TERN_KIT_SANITIZE (1; 0 skips compute-sanitizer), TERN_KIT_BENCH (1).
# Ends with "N passed, N failed"; exit status 0 only when nothing failed.
set -uo pipefail
kit="$(cd "$(dirname "$0")" && pwd)"
cd "$kit"
build_only=0
[ "${1:-}" = "--build-only" ] && build_only=1
export NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
export ARCH="${TERN_KIT_ARCH:-90}"
jobs="${JOBS:-$(nproc)}"
mkdir -p build/logs
: > results.jsonl
passed=0
failed=0
record() { # record OK|FAIL JSON-LINE
  echo "$2" | tee -a results.jsonl
  if [ "$1" = OK ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
start=$(date +%s)

# ---- build: one nvcc per target, JOBS at a time ----
build_one() {
  local kind="$1" path="$2" out log
  local gencode=(-gencode "arch=compute_${ARCH},code=sm_${ARCH}")
  case "$kind" in
  case)
    out="$path/model.so"
    log="build/logs/$(basename "$path").log"
    "$NVCC" -shared -Xcompiler -fPIC -O3 -std=c++17 -fmad=false -lineinfo "${gencode[@]}" \
      -DTERN_WEIGHTS_FILE="\"$PWD/$path/model.weights\"" "$path/model.cu" -o "$out" > "$log" 2>&1 ;;
  bench)
    out="build/bench_$(basename "$path" .cu)"
    log="build/logs/bench_$(basename "$path" .cu).log"
    "$NVCC" -O3 -std=c++17 -fmad=false -lineinfo "${gencode[@]}" -DTERN_RANDOM_WEIGHTS \
      -DTERN_BENCH_MODEL="\"$PWD/$path\"" src/tern_cuda_bench.cu -lcublas -o "$out" > "$log" 2>&1 ;;
  dense)
    out="build/tern_cuda_bench_dense"
    log="build/logs/bench_dense.log"
    "$NVCC" -O3 -std=c++17 "${gencode[@]}" src/tern_cuda_bench.cu -lcublas -o "$out" > "$log" 2>&1 ;;
  harness)
    out="build/tern_kit_check"
    log="build/logs/harness.log"
    "$NVCC" -O2 -std=c++17 src/tern_kit_check.cpp -ldl -o "$out" > "$log" 2>&1 ;;
  esac
  local rc=$?
  if [ $rc -eq 0 ]; then
    echo "{\"build\": \"$out\", \"ok\": true}"
  else
    echo "{\"build\": \"$out\", \"ok\": false, \"log\": \"$log\"}"
    tail -n 5 "$log" >&2
  fi
}
export -f build_one
{
  echo "harness x"
  echo "dense x"
  for f in bench/*.cu; do [ -e "$f" ] && echo "bench $f"; done
  for d in cases/*/; do [ -e "$d/model.cu" ] && echo "case ${d%/}"; done
} | xargs -P "$jobs" -L 1 bash -c 'build_one "$0" "$1"' > build/build.jsonl
while read -r line; do
  case "$line" in *'"ok": true'*) record OK "$line" ;; *) record FAIL "$line" ;; esac
done < build/build.jsonl
echo "{\"phase\": \"build\", \"seconds\": $(( $(date +%s) - start )), \"arch\": \"sm_${ARCH}\"}" | tee -a results.jsonl

if [ $build_only -eq 1 ]; then
  echo "$passed passed, $failed failed"
  [ $failed -eq 0 ]
  exit
fi

# ---- numerics: every case, outputs against the reference, determinism, graphs on/off ----
# (4 processes at a time share the GPU; each case is small)
check_one() {
  local d="$1" line rc
  line="$(timeout 120 build/tern_kit_check "$d" 2>>"build/logs/check_$(basename "$d").err")"
  rc=$?
  [ -n "$line" ] || line="{\"case\": \"$(basename "$d")\", \"ok\": false, \"why\": \"exit status $rc\"}"
  echo "$line"
}
export -f check_one
for d in cases/*/; do [ -e "$d/model.so" ] && echo "${d%/}"; done |
  xargs -P "${TERN_KIT_CHECK_JOBS:-4}" -L 1 bash -c 'check_one "$0"' > build/check.jsonl
while read -r line; do
  case "$line" in *'"ok": true'*) record OK "$line" ;; *) record FAIL "$line" ;; esac
done < build/check.jsonl

# ---- compute-sanitizer on a few cases (racecheck and memcheck) ----
sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
if [ "${TERN_KIT_SANITIZE:-1}" = 1 ]; then
  for d in $(cat sanitize.txt 2>/dev/null); do
    [ -e "cases/$d/model.so" ] || continue
    for tool in memcheck racecheck; do
      log="build/logs/sanitize_${tool}_$d.log"
      timeout 120 "$sanitizer" --tool "$tool" --error-exitcode 99 build/tern_kit_check "cases/$d" > "$log" 2>&1
      rc=$?
      summary="$(grep -m1 -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$log" | tr -d '=\"' | sed 's/^ *//')"
      line="{\"sanitize\": \"$tool\", \"case\": \"$d\", \"ok\": $([ $rc -eq 0 ] && echo true || echo false), \"summary\": \"$summary\"}"
      if [ $rc -eq 0 ]; then record OK "$line"; else record FAIL "$line"; fi
    done
  done
fi

# ---- benchmarks: GEMV shapes and decode (fraction_of_hbm_peak in every line) ----
if [ "${TERN_KIT_BENCH:-1}" = 1 ]; then
  quiet=""
  for b in build/bench_gemv_*; do
    [ -x "$b" ] || continue
    line="$(timeout 120 "$b" gemv --label "$(basename "$b")" $quiet 2>>build/logs/bench.err | tail -n 2)"
    rc=$?
    quiet="--quiet 1"
    if [ $rc -eq 0 ] && [ -n "$line" ]; then record OK "$line"; else
      record FAIL "{\"bench\": \"$(basename "$b")\", \"ok\": false}"; fi
  done
  for b in build/bench_decode_*; do
    [ -x "$b" ] || continue
    line="$(timeout 180 "$b" decode --label "$(basename "$b")" --quiet 1 2>>build/logs/bench.err)"
    rc=$?
    if [ $rc -eq 0 ] && [ -n "$line" ]; then record OK "$line"; else
      record FAIL "{\"bench\": \"$(basename "$b")\", \"ok\": false}"; fi
  done
  for cfg in 1.3b 2.7b; do
    line="$(timeout 120 build/tern_cuda_bench_dense dense-decode --config $cfg --quiet 1 2>>build/logs/bench.err)"
    if [ $? -eq 0 ] && [ -n "$line" ]; then record OK "$line"; else
      record FAIL "{\"bench\": \"dense-decode $cfg\", \"ok\": false}"; fi
  done
fi
echo "{\"phase\": \"all\", \"seconds\": $(( $(date +%s) - start ))}" | tee -a results.jsonl
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
