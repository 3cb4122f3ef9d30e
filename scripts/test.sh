#!/usr/bin/env bash
# The README's test command: set up, build, and run every test (lit, GoogleTest,
# pytest, docs and install checks) through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j2 "$@"
