"""End-to-end numerics of the CPU backend: tern-dialect models compiled by ``ternc`` and run
through the C ABI (``tern.compile``) and through ``ternc run``, against :mod:`tern.reference`.

Tolerance (stated once, used everywhere): ``|got - want| <= 2e-3 * max|want| + 1e-5``
elementwise, and the median error <= 1e-5 * max|want|.  Quantized layers round activations
to int8: a one-ulp difference in the RMSNorm or a sum order can move one value to the
neighbouring level, which the first bound allows; a wrong formula moves most values and
fails the second.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import tern
from tern import mlir_models as M
from tern import reference as R

TERNC = None


def ternc():
    global TERNC
    if TERNC is None:
        try:
            TERNC = tern.api.find_ternc()
        except tern.TernError as e:
            pytest.skip(str(e))
    return TERNC


def assert_close(got, want):
    got = np.asarray(got, np.float32)
    want = np.asarray(want, np.float32)
    assert got.shape == want.shape
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    err = np.abs(got - want)
    assert np.all(err <= 2e-3 * scale + 1e-5), f"max err {err.max()} vs scale {scale}"
    assert float(np.median(err)) <= 1e-5 * scale + 1e-7, f"median err {np.median(err)}"


def compile_text(tmp_path, text, name="model"):
    ternc()
    path = tmp_path / f"{name}.mlir"
    path.write_text(text)
    return tern.compile(str(path)), path


@pytest.mark.parametrize("ternary", [False, True], ids=["latent", "ternary"])
@pytest.mark.parametrize("norm", [True, False], ids=["norm", "nonorm"])
@pytest.mark.parametrize("d_in", [37, 64])  # odd K pads the packed rows
def test_bitlinear(tmp_path, ternary, norm, d_in):
    rng = np.random.default_rng(d_in)
    text, inputs, expected = M.bitlinear_model(rng, (2, 3), d_in, 20, norm=norm, ternary=ternary)
    model, _ = compile_text(tmp_path, text)
    (y,) = model(*inputs)
    assert_close(y, expected[0])


def test_bitlinear_low_activation_bits(tmp_path):
    text, inputs, expected = M.bitlinear_model(np.random.default_rng(3), (4,), 40, 12, act_bits=4)
    model, _ = compile_text(tmp_path, text)
    assert_close(model(*inputs)[0], expected[0])


@pytest.mark.parametrize("case", ["zeros", "huge", "tiny", "zero_weights"])
def test_bitlinear_edge_inputs(tmp_path, case):
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (3, 16)).astype(np.float32)
    w = None
    if case == "zeros":
        x[:] = 0
    elif case == "huge":
        x *= np.float32(1e15)  # x^2 stays finite in fp32 up to ~1.8e19
    elif case == "tiny":
        x *= np.float32(1e-30)
    else:
        w = np.zeros((8, 16), np.float32)
    text, inputs, expected = M.bitlinear_model(rng, (3,), 16, 8, x=x, w=w)
    model, _ = compile_text(tmp_path, text)
    (y,) = model(*inputs)
    assert np.all(np.isfinite(y))
    assert_close(y, expected[0])


def test_glu(tmp_path):
    text, inputs, expected = M.glu_model(np.random.default_rng(5))
    model, _ = compile_text(tmp_path, text)
    assert_close(model(*inputs)[0], expected[0])


@pytest.mark.parametrize("variant", ["released", "paper"])
@pytest.mark.parametrize("seq", [None, 6], ids=["step", "sequence"])
def test_mlgru(tmp_path, variant, seq):
    text, inputs, expected = M.mlgru_model(np.random.default_rng(7), seq=seq, variant=variant)
    model, _ = compile_text(tmp_path, text)
    o, h = model(*inputs)
    assert_close(o, expected[0])
    assert_close(h, expected[1])


def test_mlgru_ternary_weights_no_norms(tmp_path):
    text, inputs, expected = M.mlgru_model(np.random.default_rng(8), norms=False, ternary=True,
                                           lower_bound=False)
    model, _ = compile_text(tmp_path, text)
    o, h = model(*inputs)
    assert_close(o, expected[0])
    assert_close(h, expected[1])


def test_api_checks_inputs(tmp_path):
    text, inputs, _ = M.bitlinear_model(np.random.default_rng(1), (2,), 8, 4)
    model, _ = compile_text(tmp_path, text)
    assert model.inputs[0].shape == (2, 8)
    with pytest.raises(tern.TernError, match=r"input 0 'input 0': expected 2x8xfloat32, got 3x8xfloat32"):
        model(np.zeros((3, 8), np.float32))
    with pytest.raises(tern.TernError, match=r"expected 2x8xfloat32, got 2x8xfloat64"):
        model(np.zeros((2, 8), np.float64))
    with pytest.raises(tern.TernError, match=r"takes 1 inputs"):
        model()


def test_ternc_run_writes_outputs(tmp_path):
    text, inputs, expected = M.mlgru_model(np.random.default_rng(9))
    path = tmp_path / "m.mlir"
    path.write_text(text)
    args = [ternc(), "run", str(path), "--quiet"]
    for i, a in enumerate(inputs):
        np.save(tmp_path / f"in{i}.npy", a)
        args.append(f"--input=@{tmp_path / f'in{i}.npy'}")
    args += [f"--output=@{tmp_path / 'o.npy'}", f"--output=@{tmp_path / 'h.npy'}"]
    subprocess.run(args, check=True)
    assert_close(np.load(tmp_path / "o.npy"), expected[0])
    assert_close(np.load(tmp_path / "h.npy"), expected[1])


def test_ternc_run_prints_summary(tmp_path):
    text, inputs, _ = M.bitlinear_model(np.random.default_rng(2), (2,), 8, 4)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    np.save(tmp_path / "x.npy", inputs[0])
    out = subprocess.run([ternc(), "run", str(path), f"--input=@{tmp_path / 'x.npy'}"],
                         check=True, capture_output=True, text=True).stdout
    assert "output 0: 2x4xfloat32" in out
    assert "min" in out and "max" in out


@pytest.mark.parametrize("bad,message", [
    ("shape", "input 0 'input 0': expected 2x8xfloat32, got 3x8xfloat32"),
    ("dtype", "input 0 'input 0': expected 2x8xfloat32, got 2x8xint64"),
    ("count", "the model takes 1 inputs"),
    ("missing", "cannot open file"),
    ("fortran", "Fortran-order arrays are not supported"),
])
def test_ternc_run_rejects_bad_inputs(tmp_path, bad, message):
    text, inputs, _ = M.bitlinear_model(np.random.default_rng(2), (2,), 8, 4)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    x = inputs[0]
    files = [tmp_path / "x.npy"]
    if bad == "shape":
        np.save(files[0], np.zeros((3, 8), np.float32))
    elif bad == "dtype":
        np.save(files[0], np.zeros((2, 8), np.int64))
    elif bad == "count":
        np.save(files[0], x)
        files.append(files[0])
    elif bad == "fortran":
        np.save(files[0], np.asfortranarray(np.ones((2, 8), np.float32)))
    args = [ternc(), "run", str(path), "--quiet"] + [f"--input=@{f}" for f in files]
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


def test_compile_emits_header_and_library(tmp_path):
    text, _, _ = M.bitlinear_model(np.random.default_rng(2), (2,), 8, 4)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    subprocess.run([ternc(), "compile", str(path), "-o", str(tmp_path / "m.so"), "--quiet"],
                   check=True)
    header = (tmp_path / "m.h").read_text()
    assert "int tern_model_run(" in header
    assert "0: input 0 2x8xfloat32" in header


def test_compile_error_has_location(tmp_path):
    path = tmp_path / "bad.mlir"
    path.write_text("func.func @main(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {\n"
                    "  %w = tern.constant #tern.ternary<4x6, scale = 1.0, [1, 0]>\n"
                    "  return %x : tensor<2x8xf32>\n}\n")
    proc = subprocess.run([ternc(), "compile", str(path), "-o", str(tmp_path / "b.so")],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "bad.mlir:2:" in proc.stderr and "expected 24 ternary values" in proc.stderr


@pytest.mark.parametrize("shape", [((1,), 300, 12), ((5,), 520, 10), ((2, 3), 64, 7),
                                   ((1,), 300, 48), ((4,), 40, 64), ((6,), 64, 32),
                                   ((3,), 200, 16), ((2,), 1024, 1024), ((1,), 45, 32),
                                   ((4,), 64, 40)],
                         ids=["gemv", "gemm", "batched", "tiled-gemv", "tiled-4tokens",
                              "tiled-2tokens", "tiled-3tokens", "tiled-parallel", "tiled-short-k",
                              "untiled-4tokens"])
def test_kernels_agree(tmp_path, shape):
    """The portable, select (multiply-free vector), VNNI (2-bit and 1.6-bit base-3),
    AVX-VNNI and lookup-table kernels give the same int32 accumulations, so identical
    outputs; row/token blocking remainders included. Output widths that are multiples of
    16 take the VNNI kernels' 16-row tiles (odd tile counts, 4/2/1-token blocks, K padded
    to 16 or to the base-3 20-trit groups, and the OpenMP path at 2M weight x tokens),
    multiples of 64 the lookup-table kernel's 64-row tiles (K over several 64-group
    blocks of int16 sums at 1024)."""
    batch, d_in, d_out = shape
    text, inputs, expected = M.bitlinear_model(np.random.default_rng(d_in), batch, d_in, d_out)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    outs = {}
    kernels = host_kernels()
    for kernel in kernels:
        model = tern.compile(str(path), extra_args=[f"--ternary-kernel={kernel}"])
        outs[kernel] = model(*inputs)[0]
    assert_close(outs["portable"], expected[0])
    for kernel in kernels[1:]:
        np.testing.assert_array_equal(outs[kernel], outs["portable"], err_msg=kernel)


def host_kernels():
    cpuinfo = open("/proc/cpuinfo").read()
    kernels = ["portable", "select"]
    kernels += ["vnni", "vnni-base3"] if "avx512_vnni" in cpuinfo else []
    kernels += ["avxvnni"] if "avx_vnni" in cpuinfo else []
    kernels += ["lut"] if "avx512bw" in cpuinfo else []
    kernels += ["avx2", "avx2-select"] if " avx2" in cpuinfo else []
    return kernels


@pytest.mark.parametrize("model", ["glu", "mlgru"])
def test_kernels_on_blocks(tmp_path, model):
    """Whole GLU and MLGRU blocks (d = 64: 64-row tiles for the lookup-table kernel,
    16-row tiles for VNNI, norms, quantization and gates around them) under every
    kernel the host runs, against the numpy reference."""
    rng = np.random.default_rng(21)
    if model == "glu":
        text, inputs, expected = M.glu_model(rng, batch=3, d=64)
    else:
        text, inputs, expected = M.mlgru_model(rng, batch=2, d=64)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    for kernel in host_kernels():
        outs = tern.compile(str(path), extra_args=[f"--ternary-kernel={kernel}"])(*inputs)
        for got, want in zip(outs, expected):
            assert_close(got, want)


def test_kernels_extreme_accumulation(tmp_path):
    """The largest sums a kernel can meet: int8 activations at -128 and 127 against
    all -1 / all +1 rows over K = 1024 (|sum| = 131072, far past int16: the lookup-table
    kernel's int16 partial sums must be widened in time), plus random rows; every
    kernel the host runs must match the exact int64 product."""
    rng = np.random.default_rng(11)
    k, n = 1024, 128
    wt = rng.integers(-1, 2, (n, k)).astype(np.int8)
    wt[0], wt[1], wt[64] = -1, 1, -1
    x = np.stack([np.full(k, -128), np.full(k, 127), rng.integers(-128, 128, k)]).astype(np.int8)
    text = ("module {\n  func.func @main(%x: tensor<3x1024xi8>) -> tensor<3x128xi32> {\n"
            f"    %w = tern.constant {M.ternary_attr(wt, 1.0)}\n"
            "    %y = tern.tmatmul %x, %w : tensor<3x1024xi8>, !tern.ternary<128x1024> -> tensor<3x128xi32>\n"
            "    return %y : tensor<3x128xi32>\n  }\n}\n")
    path = tmp_path / "m.mlir"
    path.write_text(text)
    want = x.astype(np.int64) @ wt.astype(np.int64).T
    assert want[0, 0] == 131072 and want[0, 1] == -131072
    for kernel in host_kernels():
        got = tern.compile(str(path), extra_args=[f"--ternary-kernel={kernel}"])(x)[0]
        np.testing.assert_array_equal(got, want, err_msg=kernel)


def test_avx2_host_takes_avxvnni(tmp_path):
    """On a target without AVX-512 (here: the host with avx512f turned off), `auto` picks
    the 256-bit AVX-VNNI kernel: VEX-encoded vpdpbusd on ymm registers, no zmm anywhere,
    and the same outputs as the portable kernel."""
    if "avx_vnni" not in open("/proc/cpuinfo").read():
        pytest.skip("the host has no AVX-VNNI")
    text, inputs, _ = M.bitlinear_model(np.random.default_rng(3), (2,), 96, 48)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    asm = tmp_path / "m.s"
    subprocess.run([ternc(), "compile", str(path), "--emit=asm", "--quiet", "-o", str(asm),
                    "--target-features=-avx512f"], check=True)
    text_asm = asm.read_text()
    assert "{vex}\tvpdpbusd" in text_asm and "%ymm" in text_asm
    assert "%zmm" not in text_asm
    got = tern.compile(str(path), extra_args=["--target-features=-avx512f"])(*inputs)[0]
    want = tern.compile(str(path), extra_args=["--ternary-kernel=portable"])(*inputs)[0]
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("args,message", [
    (["--ternary-kernel=tl2"], "'tl2' is not one of auto, portable, select, vnni"),
    (["--ternary-kernel=lut", "--target-features=-avx512bw"],
     "the lut ternary kernel needs a target with +avx512f +avx512bw"),
    (["--ternary-kernel=vnni-base3", "--target-features=-avx512f"],
     "the vnni-base3 ternary kernel needs a target with +avx512f +avx512vnni"),
    (["--ternary-kernel=avxvnni", "--target-features=-avxvnni"],
     "the avxvnni ternary kernel needs a target with +avxvnni"),
    (["--ternary-kernel=avx2", "--target-features=-avx2"],
     "the avx2 ternary kernel needs a target with +avx2"),
    (["--ternary-kernel=sdot"], "the sdot ternary kernel needs an aarch64 target"),
    (["--ternary-kernel=neon"], "the neon ternary kernel needs an aarch64 target")],
    ids=["unknown", "lut", "base3", "avxvnni", "avx2", "sdot-on-x86", "neon-on-x86"])
def test_kernel_choice_errors(tmp_path, args, message):
    """A kernel the target cannot run is refused with a clear error, not an illegal
    instruction at run time."""
    text, _, _ = M.bitlinear_model(np.random.default_rng(5), (1,), 32, 16)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    proc = subprocess.run([ternc(), "compile", str(path), "--emit=asm", "-o", str(tmp_path / "m.s")] + args,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


def test_avx2_only_target_takes_avx2(tmp_path):
    """On an AVX2-only target (Zen 3 class; here the host with AVX-512 and AVX-VNNI turned
    off) `auto` picks the avx2 kernel: vpmaddubsw/vpmaddwd on ymm, no zmm, and the same
    outputs as the portable kernel (odd tile count, K not a multiple of 16)."""
    if " avx2" not in open("/proc/cpuinfo").read():
        pytest.skip("the host has no AVX2")
    text, inputs, _ = M.bitlinear_model(np.random.default_rng(8), (3,), 300, 40)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    off = "--target-features=-avx512f,-avx512vnni,-avxvnni"
    asm = tmp_path / "m.s"
    subprocess.run([ternc(), "compile", str(path), "--emit=asm", "--quiet", "-o", str(asm), off], check=True)
    text_asm = asm.read_text()
    assert "vpmaddubsw" in text_asm and "vpmaddwd" in text_asm and "%ymm" in text_asm
    assert "%zmm" not in text_asm
    got = tern.compile(str(path), extra_args=[off])(*inputs)[0]
    want = tern.compile(str(path), extra_args=["--ternary-kernel=portable"])(*inputs)[0]
    np.testing.assert_array_equal(got, want)


def test_threads_agree(tmp_path):
    text, inputs, expected = M.glu_model(np.random.default_rng(4), batch=3, d=64)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    np.save(tmp_path / "x.npy", inputs[0])
    results = []
    for threads in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=threads)
        subprocess.run([ternc(), "run", str(path), "--quiet", f"--input=@{tmp_path / 'x.npy'}",
                        f"--output=@{tmp_path / ('y' + threads + '.npy')}"], check=True, env=env)
        results.append(np.load(tmp_path / f"y{threads}.npy"))
    np.testing.assert_array_equal(results[0], results[1])
    assert_close(results[0], expected[0])


@pytest.mark.parametrize("seq", [None, 3], ids=["step", "sequence"])
def test_inputs_are_not_modified(tmp_path, seq):
    """The compiled model treats its inputs as read-only (the state input in particular),
    so calling it twice on the same arrays gives the same result."""
    text, inputs, expected = M.mlgru_model(np.random.default_rng(12), seq=seq)
    model, _ = compile_text(tmp_path, text)
    before = [a.copy() for a in inputs]
    first = model(*inputs)
    for a, b in zip(inputs, before):
        np.testing.assert_array_equal(a, b)
    second = model(*inputs)
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    assert_close(first[1], expected[1])


def tern_bench():
    return os.path.join(os.environ.get("TERN_BUILD_DIR", "build"), "bin", "tern-bench")


def test_bench_lines_carry_the_issue_fields():
    """`tern-bench gemv` and `decode` print one JSON line with the fields scripts read;
    decode also runs onnxruntime on an ONNX export of the same config when it is
    installed (the project's .venv has it), and not with --onnxruntime off."""
    import json
    gemv = json.loads(subprocess.run([tern_bench(), "gemv", "--rows", "64", "--cols", "256"],
                                     check=True, capture_output=True, text=True).stdout)
    for field in ("gops", "weight_gbps", "read_bw_gbps", "bw_fraction", "vs_dense_fp32"):
        assert gemv[field] > 0, field
    # tern-bench runs onnxruntime with $TERN_PYTHON: this interpreter.
    env = dict(os.environ, TERN_PYTHON=sys.executable)
    decode = json.loads(subprocess.run([tern_bench(), "decode", "--config", "tiny"], check=True,
                                       capture_output=True, text=True, env=env).stdout)
    for field in ("tokens_per_s", "gops", "weight_gbps", "read_bw_gbps", "bw_fraction", "vs_dense_fp32"):
        assert decode[field] > 0, field
    try:
        import onnxruntime  # noqa: F401
        assert decode["onnxruntime_tokens_per_s"] > 0 and decode["vs_onnxruntime"] > 0
    except ImportError:
        assert decode["onnxruntime"] == "not installed"
    off = json.loads(subprocess.run([tern_bench(), "decode", "--config", "tiny", "--onnxruntime", "off"],
                                    check=True, capture_output=True, text=True).stdout)
    assert "vs_onnxruntime" not in off
    bad = subprocess.run([tern_bench(), "decode", "--config", "tiny", "--onnxruntime", "maybe"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "--onnxruntime must be auto, on or off" in bad.stderr


def test_identical_compiles_give_identical_libraries(tmp_path):
    """Two compiles of the bundled model, in separate processes, give byte-identical LLVM-stage
    IR and libraries. Bufferization names its constant globals in a run-to-run order (its
    function order comes from pointer-keyed maps); tern-order-constant-globals fixes it, and
    the model is cut into several functions, which is where the order varied."""
    model = os.path.join(os.path.dirname(__file__), "..", "..", "models", "tiny-mmfree", "model.onnx")
    outputs = []
    for k in range(2):
        so, ir = tmp_path / f"m{k}.so", tmp_path / f"m{k}.mlir"
        for args in (["-o", str(so)], ["--emit=mlir", "--mlir-stage=llvm", "-o", str(ir)]):
            subprocess.run([ternc(), "compile", model, "--quiet", *args], check=True)
        outputs.append((so.read_bytes(), ir.read_bytes()))
    assert outputs[0][1].count(b"@tern_model_main_part") >= 2  # the split happened
    assert outputs[0][1] == outputs[1][1]
    assert outputs[0][0] == outputs[1][0]
