"""Writes the CUDA device kit (scripts/cuda-device-kit.sh OUT runs this): a self-contained
folder a machine with a GPU, nvcc and bash (no LLVM, no Python packages) checks and benchmarks
with one command, ``OUT/run.sh`` (``OUT/run.sh --build-only`` only compiles).

* ``cases/<name>/``: every model the CUDA numeric tests (test_cuda_numerics.py) compile, run
  here under the CPU emulation: emitted ``model.cu``, ``model.weights``, the inputs of its first
  run and the emulation's outputs (which the test checks against the numpy reference);
  plus ``cases/gpu_*``: shapes only a GPU runs in reasonable time (K not a multiple of 32,
  K > 8192, batch > 1, the 1.3B matrices), against the numpy reference.
* ``bench/gemv_RxC.cu``: one BitLinear per shape for the GEMV benchmark; ``bench/decode_*.cu``:
  the 1.3B and 2.7B decode steps. Their weights do not travel: the bench builds them with
  -DTERN_RANDOM_WEIGHTS (weight memory of the same size filled with hashed bytes on the GPU).
* ``src/``: the case checker (tern_kit_check.cpp) and tern_cuda_bench.cu; ``run.sh``.

Usage: device_kit.py OUT [--build BUILD] [--subset] [--no-decode] [--no-tests]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))

import models  # noqa: E402
from tern import reference as R  # noqa: E402

LIMIT = 40 << 20  # bytes the kit may take

# The numeric tests the CI subset records (a few of each kind; the full kit records all).
SUBSET = "(test_bitlinear and 37-norm-ternary) or (full_model and 1-dp4a) or " \
         "(test_mlgru and step-released) or index_out_of_range"

# Cases run under compute-sanitizer (racecheck and memcheck) when present.
SANITIZE = ["full_model_decode_steps_2-dp4a", "mlgru_step-released", "gpu_k9000_n512_b2"]

# GEMV benchmark shapes (rows x cols): the three the targets name, then the other 1.3B/2.7B ones.
GEMV_SHAPES = [(32000, 2048), (5632, 2048), (2048, 2048), (11264, 2048), (2048, 5632),
               (2560, 2560), (13824, 2560), (2560, 6912), (32000, 2560)]


def ternc(build: str) -> str:
    return os.path.join(build, "bin", "ternc")


def emit_cu(build: str, mlir: str, out_cu: str, mac: str = "dp4a", keep_weights: bool = True):
    subprocess.run([ternc(build), "compile", mlir, "--target=cuda", f"--cuda-mac={mac}",
                    "--emit=cu", "-o", out_cu, "--quiet"], check=True)
    weights = os.path.splitext(out_cu)[0] + ".weights"
    if not keep_weights and os.path.exists(weights):
        os.remove(weights)


def bitlinear_mlir(rng: np.random.Generator, batch: int, K: int, N: int, norm: bool = True):
    """A BitLinear with packed ternary weights in a dense_resource (large shapes stay compact)
    and its numpy reference."""
    w = models.Writer()
    wt = rng.integers(-1, 2, size=(N, K), dtype=np.int8)
    s_w = float(rng.uniform(20, 40))
    g = (1.0 + 0.1 * rng.standard_normal(K)).astype(np.float32)
    x = rng.standard_normal((batch, K)).astype(np.float32)
    wv = w.ternary(wt, s_w)
    attrs = f"{{eps = {models.fmt(1e-6)} : f32}}"
    bt, ot = models.ttype((batch, K)), models.ttype((batch, N))
    if norm:
        gv = w.fconst(g)
        y = w.value(f"tern.bitlinear %x, {wv} norm {gv} {attrs} : {bt}, !tern.ternary<{N}x{K}>, "
                    f"{models.ttype((K,))} -> {ot}")
    else:
        y = w.value(f"tern.bitlinear %x, {wv} {attrs} : {bt}, !tern.ternary<{N}x{K}> -> {ot}")
    buf = io.StringIO()
    w.write(buf, f"%x: {bt} {{tern.name = \"x\"}}", [(y, (batch, N), "y")])
    want = R.bitlinear(x, wt.astype(np.float32), g if norm else None, 1e-6, 8,
                       w_is_ternary=True, w_scale=s_w)
    return buf.getvalue(), [x], [np.asarray(want, np.float32)]


def write_case(build: str, cases: str, name: str, text: str, inputs, refs, mac: str = "dp4a"):
    d = os.path.join(cases, name)
    os.makedirs(d, exist_ok=True)
    mlir = os.path.join(d, "model.mlir")
    with open(mlir, "w") as f:
        f.write(text)
    emit_cu(build, mlir, os.path.join(d, "model.cu"), mac)
    os.remove(mlir)
    for i, a in enumerate(inputs):
        np.ascontiguousarray(a).tofile(os.path.join(d, f"in{i}.bin"))
    for j, r in enumerate(refs):
        np.ascontiguousarray(r).tofile(os.path.join(d, f"ref{j}.bin"))
    with open(os.path.join(d, "case.txt"), "w") as f:
        f.write("tolerance 5e-3 1e-3\nreference numpy\n")


def gpu_only_cases(build: str, cases: str, subset: bool):
    rng = np.random.default_rng(2026)
    shapes = [  # (name, batch, K, N, mac)
        ("gpu_k9000_n512_b2", 2, 9000, 512, "dp4a"),      # K > 8192, not a multiple of 32
        ("gpu_k2047_n2048_b8", 8, 2047, 2048, "dp4a"),    # K odd, MT = 8
        ("gpu_k1000_n3000_b1", 1, 1000, 3000, "select"),  # K % 32 = 8, multiply-free MAC
    ]
    if not subset:
        shapes += [
            ("gpu_k2048_n2048_b4", 4, 2048, 2048, "dp4a"),
            ("gpu_k2048_n5632_b1", 1, 2048, 5632, "dp4a"),   # the 1.3B gate/up half
            ("gpu_k5632_n2048_b3", 3, 5632, 2048, "dp4a"),   # the 1.3B down projection
            ("gpu_k12000_n256_b1", 1, 12000, 256, "select"),
        ]
    for name, batch, K, N, mac in shapes:
        text, inputs, refs = bitlinear_mlir(rng, batch, K, N)
        write_case(build, cases, name, text, inputs, refs, mac)
    if not subset:
        # The full tiny model at batch 4 and 8 against the numpy reference.
        for batch in (4, 8):
            text, inputs, refs = models.tiny_case(batch=batch, seed=3)
            write_case(build, cases, f"gpu_tiny_model_b{batch}", text, inputs, refs)


def bench_models(build: str, bench: str, subset: bool, decode: bool):
    rng = np.random.default_rng(7)
    shapes = GEMV_SHAPES[:1] if subset else GEMV_SHAPES
    tmp = os.path.join(bench, "tmp.mlir")
    for rows, cols in shapes:
        text, _, _ = bitlinear_mlir(rng, 1, cols, rows, norm=False)
        with open(tmp, "w") as f:
            f.write(text)
        emit_cu(build, tmp, os.path.join(bench, f"gemv_{rows}x{cols}.cu"), keep_weights=False)
    if decode:
        for cfg in ("1.3b", "2.7b"):
            t = time.time()
            with open(tmp, "w") as f:
                models.hgrn_step_mlir(f, config=models.CONFIGS[cfg], embed=False)
            emit_cu(build, tmp, os.path.join(bench, f"decode_{cfg}.cu"), keep_weights=False)
            print(f"device_kit: decode {cfg} emitted in {time.time() - t:.0f} s", flush=True)
    os.remove(tmp)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--build", default=os.environ.get("TERN_BUILD_DIR", os.path.join(ROOT, "build")))
    ap.add_argument("--subset", action="store_true", help="a few cases of each kind (CI)")
    ap.add_argument("--no-decode", action="store_true", help="leave out the 1.3B/2.7B decode steps")
    ap.add_argument("--no-tests", action="store_true", help="leave out the recorded test cases")
    args = ap.parse_args(argv)
    out = os.path.abspath(args.out)
    build = os.path.abspath(args.build)
    if os.path.exists(out):
        shutil.rmtree(out)
    cases, bench, src = (os.path.join(out, d) for d in ("cases", "bench", "src"))
    for d in (cases, bench, src):
        os.makedirs(d)
    shutil.copy(os.path.join(HERE, "kit", "run.sh"), os.path.join(out, "run.sh"))
    os.chmod(os.path.join(out, "run.sh"), 0o755)
    shutil.copy(os.path.join(HERE, "kit", "tern_kit_check.cpp"), src)
    shutil.copy(os.path.join(ROOT, "tools", "tern-cuda-bench", "tern_cuda_bench.cu"), src)
    t0 = time.time()
    if not args.no_tests:
        env = dict(os.environ, TERN_CUDA_KIT=cases, TERN_CUDA_EMULATION="1", TERN_BUILD_DIR=build)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               os.path.join(HERE, "test_cuda_numerics.py")]
        if args.subset:
            cmd += ["-k", SUBSET]
        rc = subprocess.run(cmd, env=env).returncode
        if rc != 0:
            print(f"device_kit: the numeric tests failed (pytest exit status {rc})", file=sys.stderr)
            return 1
        print(f"device_kit: test cases recorded in {time.time() - t0:.0f} s", flush=True)
    gpu_only_cases(build, cases, args.subset)
    bench_models(build, bench, args.subset, not args.no_decode)
    with open(os.path.join(out, "sanitize.txt"), "w") as f:
        f.write("\n".join(c for c in SANITIZE if os.path.isdir(os.path.join(cases, c))) + "\n")
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(out) for f in fs)
    n = len(os.listdir(cases))
    print(f"device_kit: {out}: {n} cases, {len(os.listdir(bench))} bench sources, "
          f"{size / 2**20:.1f} MiB, {time.time() - t0:.0f} s")
    if size > LIMIT:
        print(f"device_kit: the kit is larger than {LIMIT >> 20} MiB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
