#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, moves the prefix elsewhere (the
# install must be relocatable), and from outside the source tree runs the
# installed ternc (--version, generate with the installed bundled model, run of
# a compiled library given by a relative path) and the Python package installed
# with `pip install ./python` into a fresh venv (finding ternc on PATH or by
# $TERN_TERNC).
set -euo pipefail
build=$1; src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/staged" > "$work/install.log"
mv "$work/staged" "$work/prefix"
prefix=$work/prefix
export TERN_CACHE_DIR=$work/cache
cd "$work"

# Relocatable RUNPATH: $ORIGIN-relative, no empty entry (which would mean the current directory).
for bin in ternc ternc-generate tern-opt tern-translate tern-bench; do
  test -x "$prefix/bin/$bin"
  rp=$(readelf -d "$prefix/bin/$bin" | grep -oP '(RUNPATH|RPATH).*\[\K[^]]*')
  [[ "$rp" == '$ORIGIN/../lib:'* ]] || { echo "$bin: RUNPATH '$rp'"; exit 1; }
  [[ ":$rp:" != *'::'* ]] || { echo "$bin: RUNPATH '$rp' has an empty entry"; exit 1; }
  "$prefix/bin/$bin" --version | grep -q "^$bin (Tern "
done
test -f "$prefix/share/tern/models/tiny-mmfree/model.onnx"
! grep -aq "$src" "$prefix/bin/ternc" "$prefix/bin/ternc-generate" "$prefix/bin/tern-bench" \
  || { echo "a source path is compiled into an installed tool"; exit 1; }

# ternc generate with no model: the installed bundled model, the PyTorch reference's text.
prompt="In the beginning"
want=$(/usr/bin/python3 - "$src/models/tiny-mmfree/reference_generations.json" <<'PY'
import json, sys
case = next(c for c in json.load(open(sys.argv[1]))["cases"] if c["prompt"] == "In the beginning")
print(case["prompt"] + bytes(case["greedy_ids"][:30]).decode())
PY
)
got=$("$prefix/bin/ternc" generate --prompt "$prompt" -n 30 -q)
[ "$got" = "$want" ] || { echo "installed: '$got'"; echo "PyTorch: '$want'"; exit 1; }
echo "installed ternc generate: $got"

# A compiled library (the one ternc generate cached) runs by a relative path.
cp "$TERN_CACHE_DIR"/generate/*.so model.so
/usr/bin/python3 - <<'PY'
import numpy as np
np.save("t.npy", np.array([65], dtype=np.int64))
np.save("s.npy", np.zeros((3, 1, 256), dtype=np.float32))
PY
"$prefix/bin/ternc" run model.so --input=@t.npy --input=@s.npy --output=@l.npy --output=@o.npy
test -s l.npy

# pip install ./python into a fresh venv (offline: Debian's numpy and setuptools), used
# from outside the source tree with the installed ternc.
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install -q --no-deps --no-build-isolation --no-index \
  --disable-pip-version-check "$src/python" > "$work/pip.log" 2>&1 || { cat "$work/pip.log"; exit 1; }
py=$work/venv/bin/python
unset PYTHONPATH TERN_BUILD_DIR
"$py" - "$work/venv" <<'PY'
import sys, tern
assert tern.__file__.startswith(sys.argv[1]), tern.__file__
PY
text=$(PATH="$prefix/bin:$PATH" "$py" -c "
import tern
assert tern.api.find_ternc() == '$prefix/bin/ternc', tern.api.find_ternc()
assert tern.generation.bundled_model_path() == '$prefix/share/tern/models/tiny-mmfree/model.onnx'
print(tern.generate(tern.CompiledModel('model.so'), 'In the beginning', 30))")
[ "In the beginning$text" = "$want" ] || { echo "Python API: '$text'"; exit 1; }
cli=$(TERN_TERNC="$prefix/bin/ternc" "$py" -m tern generate model.so --prompt "$prompt" -n 30 -q)
[ "$cli" = "$want" ] || { echo "python -m tern generate: '$cli'"; exit 1; }
echo "pip-installed tern: $cli"

# tern-bench finds its onnxruntime baseline (share/tern/scripts, with the installed package)
# from its own directory; $TERN_PYTHON names a Python with onnxruntime.
if "$src/.venv/bin/python" -c "import onnxruntime" 2>/dev/null; then
  bench=$(TERN_PYTHON="$src/.venv/bin/python" "$prefix/bin/tern-bench" decode --config tiny --onnxruntime on)
  echo "installed tern-bench: $bench"
  grep -q '"vs_onnxruntime": [0-9]' <<< "$bench" || { echo "no onnxruntime figure"; exit 1; }
fi
