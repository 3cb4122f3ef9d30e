"""CI check of the CUDA backend without a GPU (ctest `cuda-compile`, label `cuda`).

For a few small models (BitLinear, GLU, MLGRU step and sequence, a two-layer HGRNBit decode
step) it runs `ternc compile --target=cuda`, which builds the generated CUDA C++ with nvcc for
sm_80 and sm_90 (ptxas assembles both), loads every library through the C ABI and checks its
signature and, on a machine without a GPU, the "no CUDA GPU found" error. For the full model it
also writes the source (`--emit=cu`), compiles it to PTX per architecture and runs ptxas itself
(`-v --warn-on-spills`, so register use and spills show in the log), once more with the
DP4A-free MAC (TERN_CUDA_NO_DP4A).

Usage: check_cuda_compile.py BUILD_DIR WORK_DIR. Exit 77 (skipped) when nvcc is missing.
"""

import ctypes
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python"))

import models  # noqa: E402
from tern import api  # noqa: E402
from tern import mlir_models as M  # noqa: E402

SKIP = 77


def find_nvcc():
    for c in (os.environ.get("TERN_NVCC"),
              os.path.join(os.environ.get("CUDA_HOME", "/nonexistent"), "bin", "nvcc"),
              "/usr/local/cuda/bin/nvcc", shutil.which("nvcc")):
        if c and os.access(c, os.X_OK):
            return c
    return None


def gpu_count():
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    n = ctypes.c_int(0)
    if lib.cuInit(0) != 0 or lib.cuDeviceGetCount(ctypes.byref(n)) != 0:
        return 0
    return n.value


def run(args, **kw):
    t = time.time()
    proc = subprocess.run(args, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.stderr.write(f"FAILED ({proc.returncode}): {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
        sys.exit(1)
    return proc, time.time() - t


def check_library(path, inputs, outputs, have_gpu):
    lib = api.CompiledModel(path)
    target = ctypes.CDLL(path).tern_model_target
    target.restype = ctypes.c_char_p
    assert target() == b"cuda", target()
    assert [s.shape for s in lib.inputs] == [tuple(a.shape) for a in inputs], lib.inputs
    assert [s.shape for s in lib.outputs] == [tuple(a.shape) for a in outputs], lib.outputs
    if not have_gpu:
        try:
            lib(*inputs)
        except api.TernError as e:
            assert "no CUDA GPU found" in str(e), str(e)
        else:
            raise AssertionError("tern_model_run succeeded without a GPU")
    # A wrong shape is rejected before any CUDA call.
    bad = [np.zeros((1,) + tuple(inputs[0].shape), inputs[0].dtype)] + list(inputs[1:])
    try:
        lib(*bad)
    except api.TernError as e:
        assert "expected" in str(e), str(e)


def e_text(model, cases):
    try:
        model(*cases["bitlinear"][1])
    except Exception as e:  # noqa: BLE001 - reporting only
        return str(e)
    return "ran"


def main():
    build, work = sys.argv[1], sys.argv[2]
    nvcc = find_nvcc()
    if not nvcc:
        print("SKIPPED: nvcc not found (set TERN_NVCC or install the CUDA toolkit at /usr/local/cuda)")
        return SKIP
    ptxas = os.path.join(os.path.dirname(nvcc), "ptxas")
    ternc = os.path.join(build, "bin", "ternc")
    os.makedirs(work, exist_ok=True)
    have_gpu = gpu_count() > 0
    print(f"nvcc: {nvcc}; GPU present: {have_gpu}")

    rng = np.random.default_rng(0)
    cases = {
        "bitlinear": M.bitlinear_model(rng, (2, 3), 37, 20, ternary=True),
        "glu": M.glu_model(rng),
        "mlgru_step": M.mlgru_model(rng, batch=2, d=32),
        "mlgru_sequence": M.mlgru_model(rng, batch=1, d=32, seq=4, variant="paper"),
        "hgrn_tiny": models.tiny_case(batch=2),
    }
    for name, (text, inputs, outputs) in cases.items():
        src = os.path.join(work, name + ".mlir")
        with open(src, "w") as f:
            f.write(text)
        so = os.path.join(work, name + ".so")
        _, dt = run([ternc, "compile", src, "--target=cuda", "-o", so, "--quiet"])
        assert os.path.exists(so) and os.path.exists(os.path.join(work, name + ".h"))
        check_library(so, inputs, outputs, have_gpu)
        print(f"{name}: nvcc sm_80 + sm_90 library built in {dt:.1f}s, C ABI checked")

    # The bundled ONNX model (a trained 3-layer HGRNBit) through the ONNX importer.
    onnx_model = os.path.join(HERE, "..", "..", "..", "models", "tiny-mmfree", "model.onnx")
    if os.path.exists(onnx_model):
        so = os.path.join(work, "bundled.so")
        _, dt = run([ternc, "compile", onnx_model, "--target=cuda", "-o", so, "--quiet"])
        lib = api.CompiledModel(so)
        print(f"bundled ONNX model: built in {dt:.1f}s, inputs "
              f"{[(s.name, s.shape) for s in lib.inputs]}")

    # The full model once more through the source, with ptxas run explicitly.
    src = os.path.join(work, "hgrn_tiny.mlir")
    cu = os.path.join(work, "hgrn_tiny.cu")
    run([ternc, "compile", src, "--target=cuda", "--emit=cu", "-o", cu, "--quiet"])
    cu_select = os.path.join(work, "hgrn_tiny_select.cu")
    run([ternc, "compile", src, "--target=cuda", "--cuda-mac=select", "--emit=cu", "-o", cu_select,
         "--quiet"])
    weights = os.path.join(work, "hgrn_tiny.weights")
    blob = open(weights, "rb").read()
    assert blob and blob[:64] in open(os.path.join(work, "hgrn_tiny.so"), "rb").read(), \
        "the weights are not embedded in the library"
    source = open(cu).read()
    launches = int(re.search(r"(\d+) launch\(es\) outside loops", source).group(1))
    print(f"hgrn_tiny: {launches} launches per decode step, {len(blob)} bytes of weights")
    variants = (("80", cu, [], "dp4a MAC"), ("90", cu, [], "dp4a MAC"),
                ("80", cu_select, [], "select MAC"),
                ("90", cu_select, ["-DTERN_CUDA_NO_DP4A"], "select MAC without DP4A"))
    for arch, source, extra, what in variants:
        ptx = os.path.join(work, f"hgrn_tiny_{arch}_{len(extra)}_{os.path.basename(source)}.ptx")
        run([nvcc, "-ptx", "-std=c++17", "-fmad=false", f"-arch=compute_{arch}", *extra,
             f"-DTERN_WEIGHTS_FILE=\"{weights}\"", source, "-o", ptx])
        proc, _ = run([ptxas, f"-arch=sm_{arch}", "-v", "--warn-on-spills", ptx, "-o", os.devnull])
        log = proc.stdout + proc.stderr
        regs = [int(r) for r in re.findall(r"Used (\d+) registers", log)]
        spills = [m for m in re.findall(r"(\d+) bytes spill stores", log) if m != "0"]
        assert "error" not in log.lower(), log
        print(f"ptxas sm_{arch} ({what}): {len(regs)} kernels, "
              f"max {max(regs)} registers, {len(spills)} with spills")
        if "--dump-ptxas" in sys.argv:
            print(log)

    # The benchmark program (tools/tern-cuda-bench) builds too.
    bench = os.path.join(HERE, "..", "..", "..", "tools", "tern-cuda-bench", "tern_cuda_bench.cu")
    kernels = os.path.join(HERE, "..", "..", "..", "lib", "Target", "CUDA", "kernels")
    _, dt = run([nvcc, "-O3", "-std=c++17", "-gencode", "arch=compute_80,code=sm_80",
                 "-gencode", "arch=compute_90,code=sm_90", "-I", kernels, bench, "-lcublas", "-ldl",
                 "-o", os.path.join(work, "tern-cuda-bench")])
    print(f"tern-cuda-bench: built in {dt:.1f}s")

    if not have_gpu:
        # The Python API compiles and loads a CUDA model like a CPU one.
        import tern
        model = tern.compile(os.path.join(work, "bitlinear.mlir"), target="cuda",
                             output=os.path.join(work, "py.so"))
        try:
            model(*cases["bitlinear"][1])
        except tern.TernError as e:
            assert "no CUDA GPU found" in str(e), str(e)
        else:
            raise AssertionError("tern.compile(target='cuda') ran without a GPU")
        print("tern.compile(target='cuda'): loads; without a GPU:", e_text(model, cases))
        x = os.path.join(work, "x.npy")
        text, inputs, _ = cases["bitlinear"]
        np.save(x, inputs[0])
        proc = subprocess.run([ternc, "run", os.path.join(work, "bitlinear.mlir"), "--target=cuda",
                               f"--input=@{x}", "--quiet"], capture_output=True, text=True)
        assert proc.returncode != 0 and "no CUDA GPU found" in proc.stderr, proc.stderr
        print("ternc run --target=cuda without a GPU: exit", proc.returncode, "-",
              proc.stderr.strip().splitlines()[0])
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
