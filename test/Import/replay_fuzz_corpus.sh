#!/usr/bin/env bash
# Replays every input in the fuzz corpus through the normal importer and the
# ONNX-to-tern pipeline: each must import (exit 0) or fail with a clean error
# (exit 1 and an "error:" diagnostic). A signal or any other exit is a failure.
# Usage: replay_fuzz_corpus.sh TERN_TRANSLATE CORPUS_DIR
set -u
translate=$1
corpus=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
count=0
for f in "$corpus"/*; do
  [ -f "$f" ] || continue
  case "$(basename "$f")" in README*) continue ;; esac
  count=$((count + 1))
  input=$f
  # Inputs starting with '<' are ONNX text (as in the fuzzer).
  if [ "$(head -c1 "$f")" = "<" ]; then
    input=$tmp/$(basename "$f").onnxtxt
    cp "$f" "$input"
  else
    input=$tmp/$(basename "$f").onnx
    cp "$f" "$input"
  fi
  "$translate" --import-onnx "$input" --onnx-dim=N=2,B=2 --onnx-to-tern -o /dev/null \
    >"$tmp/out" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    continue
  fi
  if [ $rc -eq 1 ] && grep -q "error:" "$tmp/out"; then
    continue
  fi
  echo "FAIL $(basename "$f"): exit $rc"
  head -5 "$tmp/out"
  fail=1
done
echo "replayed $count fuzz corpus inputs"
exit $fail
