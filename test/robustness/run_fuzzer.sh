#!/usr/bin/env bash
# Runs a libFuzzer target in CI: first every input of the committed corpus once
# (crashes found before stay there as regression inputs), then fuzzing for a
# bounded time from that corpus. New interesting inputs go to a scratch copy;
# a crash leaves its input in ARTIFACTS/ (add it to the corpus with the fix).
# Usage: run_fuzzer.sh FUZZER SECONDS ARTIFACTS CORPUS
set -euo pipefail
fuzzer=$1 seconds=$2 artifacts=$3 corpus=$4
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
inputs=()
for f in "$corpus"/*; do
  case "$(basename "$f")" in README*) continue ;; esac
  inputs+=("$f")
done
echo "replaying ${#inputs[@]} corpus inputs"
"$fuzzer" "-artifact_prefix=$artifacts/" "${inputs[@]}"
echo "fuzzing for $seconds s"
"$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
  -seed=18 "-artifact_prefix=$artifacts/" -print_final_stats=1 "$scratch" "$corpus" 2>&1 |
  tail -n 25
exit "${PIPESTATUS[0]}"
