#!/usr/bin/env bash
# The README's main command: set up, build Tern, compile the bundled MatMul-free model
# (models/tiny-mmfree, an ONNX decode step) into a native library and generate text with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
model="$root/models/tiny-mmfree/model.onnx"
lib="$root/build/tiny-mmfree.so"
prompt=${1:-"And the LORD said unto Moses"}
echo "== ternc compile $model"
report="$root/build/tiny-mmfree.fusion.txt"
"$root/build/bin/ternc" compile "$model" --target=cpu -o "$lib" --report-fusion 2> "$report"
echo "fusion report ($report): $(grep -c ' fused' "$report") fused, $(grep -c 'not fused' "$report") not fused"
grep -E "(BitLinear|GLU|MLGRU).* fused" "$report" | sed 's/^.*remark: //' | head -8
echo "== generating 200 bytes after: $prompt"
PYTHONPATH="$root/python" "$root/.venv/bin/python" - "$lib" "$prompt" <<'PY'
import sys, time
import tern
model = tern.CompiledModel(sys.argv[1])
start = time.perf_counter()
text = tern.generate(model, sys.argv[2], 200, stream=lambda s: print(s, end="", flush=True))
elapsed = time.perf_counter() - start
print(f"\n== {len(sys.argv[2].encode()) + 200} decode steps in {elapsed:.2f} s "
      f"({(len(sys.argv[2].encode()) + 200) / elapsed:.0f} tokens/s, greedy)")
PY
