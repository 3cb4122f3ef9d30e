"""The HLS backend end to end: ``ternc compile --target=hls`` writes a Vitis HLS package, its C
simulation is compiled with g++ and clang at -Wall -Wextra -Werror (unknown pragmas aside) and
run on reference inputs against golden outputs computed by :mod:`tern.reference`; ``ternc run
--target=hls-csim`` does the same from ``.npy`` files.  Every generated kernel is linted for the
synthesizable subset (:mod:`tern.hls_lint`).

Tolerance: the CPU backend's (``|got - want| <= 2e-3 * max|want| + 1e-5``, median <= 1e-5 *
max|want|) for float math; fixed-point math (Q16.16) is checked at 3e-2 / 3e-3.
"""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import tern
from tern import hls_lint
from tern import mlir_models as M
from tern import reference as R

COMPILERS = ["g++", "clang++-22"]


def ternc():
    try:
        return tern.api.find_ternc()
    except tern.TernError as e:
        pytest.skip(str(e))


def have(cxx):
    return shutil.which(cxx) is not None


def assert_close(got, want, rtol=2e-3, median=1e-5):
    got = np.asarray(got, np.float32)
    want = np.asarray(want, np.float32)
    assert got.shape == want.shape
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    err = np.abs(got - want)
    assert np.all(err <= rtol * scale + 1e-5), f"max err {err.max()} vs scale {scale}"
    assert float(np.median(err)) <= median * scale + 1e-7, f"median err {np.median(err)}"


def compile_package(tmp_path, text, *flags, name="model"):
    """A package whose tb_data/ the test writes itself (numpy reference goldens): no CPU
    goldens (--hls-goldens=false), which also saves their LLVM compile."""
    src = tmp_path / f"{name}.mlir"
    src.write_text(text)
    pkg = tmp_path / f"{name}_hls"
    subprocess.run([ternc(), "compile", str(src), "--target=hls", "-o", str(pkg), "--quiet",
                    "--hls-goldens=false", *flags], check=True)
    return src, pkg


def port_names(pkg, kind):
    """Port names of one kind ('input', 'weight', 'output') from the kernel header."""
    header = (pkg / "firmware" / "tern_kernel.h").read_text()
    return re.findall(rf"^//   {kind} (\w+):", header, re.M)


def write_tb_data(pkg, inputs, expected):
    data = pkg / "tb_data"
    for name, a in zip(port_names(pkg, "input"), inputs):
        np.ascontiguousarray(a).tofile(data / f"{name}.bin")
    for name, e in zip(port_names(pkg, "output"), expected):
        np.ascontiguousarray(e).astype(np.float32).tofile(data / f"{name}.golden.bin")


def run_csim(pkg, cxx):
    """`make csim CXX=cxx` (the package's Makefile; its flags by hand without make)."""
    if shutil.which("make"):
        subprocess.run(["make", "-s", "-C", str(pkg), "clean"], check=True)
        proc = subprocess.run(["make", "-s", "-C", str(pkg), "csim", f"CXX={cxx}"],
                              capture_output=True, text=True)
    else:
        flags = re.search(r"^CXXFLAGS \?= (.*)$", (pkg / "Makefile").read_text(), re.M).group(1)
        subprocess.run([cxx, *flags.split(), "-Ifirmware", "-o", "csim.bin",
                        "firmware/tern_kernel.cpp", "tb/tb_tern.cpp", "-lm"], cwd=pkg, check=True)
        proc = subprocess.run(["./csim.bin", "tb_data", "weights"], cwd=pkg,
                              capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "C simulation passed" in proc.stdout, proc.stdout
    return proc.stdout


def read_outputs(pkg, expected):
    return [np.fromfile(pkg / "tb_data" / f"{n}.out.bin", np.float32).reshape(e.shape)
            for n, e in zip(port_names(pkg, "output"), expected)]


def check_package(tmp_path, text, inputs, expected, *flags, rtol=2e-3, median=1e-5):
    """Compile, lint, C-simulate with every compiler; returns the package path."""
    _, pkg = compile_package(tmp_path, text, *flags)
    assert hls_lint.lint_path(str(pkg)) == []
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    top = kernel[kernel.index("// Top function"):]
    # DATAFLOW: the stages with --hls-dataflow, the stream adapters with --hls-io=axis.
    assert ("#pragma HLS DATAFLOW" in top) == ("--hls-dataflow" in flags or
                                               "--hls-io=axis" in flags)
    assert "#pragma HLS INTERFACE mode=s_axilite port=return" in kernel
    write_tb_data(pkg, inputs, expected)
    ran = 0
    for cxx in COMPILERS:
        if not have(cxx):
            continue
        out = run_csim(pkg, cxx)
        ran += 1
        for got, want in zip(read_outputs(pkg, expected), expected):
            assert_close(got, want, rtol, median)
        assert "MISMATCH" not in out
    if not ran:
        pytest.skip("no host C++ compiler")
    return pkg


# --- C simulation of generated packages --------------------------------------------------

@pytest.mark.parametrize("ternary", [False, True], ids=["latent", "ternary"])
@pytest.mark.parametrize("par", [(), ("--hls-pe=4", "--hls-simd=2")], ids=["pe1", "pe4simd2"])
def test_bitlinear_csim(tmp_path, ternary, par):
    text, inputs, expected = M.bitlinear_model(np.random.default_rng(3), (2, 3), 37, 20,
                                               ternary=ternary)  # K = 37 pads packed rows
    check_package(tmp_path, text, inputs, expected, *par)


@pytest.mark.parametrize("k,simd", [(44, 11), (36, 3)], ids=["lanes44", "lanes12"])
def test_bitlinear_adder_tree_odd_levels_csim(tmp_path, k, simd):
    """Adder trees with odd levels (44 -> 22 -> 11 -> 6 -> 3 -> 2 -> 1 lanes; 12 -> 6 -> 3 ..)."""
    text, inputs, expected = M.bitlinear_model(np.random.default_rng(13), (2,), k, 6,
                                               ternary=True)
    pkg = check_package(tmp_path, text, inputs, expected, "--hls-pe=3", f"--hls-simd={simd}")
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    assert f"tern_i32 buf" in kernel and f"[{4 * simd}];" in kernel


def test_axis_token_io_csim(tmp_path):
    """--hls-io=axis: inputs/outputs as AXI4-Stream, weights m_axi; same numerics."""
    text, inputs, expected = M.mlgru_model(np.random.default_rng(4), seq=3)
    pkg = check_package(tmp_path, text, inputs, expected, "--hls-io=axis", "--hls-pe=2")
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    top = kernel[kernel.index("// Top function"):]
    for port in ["in0", "in1", "out0", "out1"]:
        assert f"#pragma HLS INTERFACE mode=axis port={port}\n" in top
    assert re.search(r"INTERFACE mode=m_axi port=w0 .*depth=", top)
    assert "tern_top_core(" in top
    mutated = kernel.replace("#pragma HLS INTERFACE mode=axis port=in0\n", "")
    assert any("lacks an axis" in p for p in hls_lint.lint_kernel(mutated))


def test_glu_csim(tmp_path):
    text, inputs, expected = M.glu_model(np.random.default_rng(5))
    check_package(tmp_path, text, inputs, expected, "--hls-pe=8", "--hls-simd=4")


@pytest.mark.parametrize("variant", ["released", "paper"])
@pytest.mark.parametrize("seq", [None, 5], ids=["step", "sequence"])
def test_mlgru_csim(tmp_path, variant, seq):
    text, inputs, expected = M.mlgru_model(np.random.default_rng(7), seq=seq, variant=variant)
    pkg = check_package(tmp_path, text, inputs, expected, "--hls-pe=2", "--hls-dataflow")
    if seq:
        # The token loop is one stage of the top's dataflow region.
        kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
        assert "// Stage: recurrence" in kernel


def test_fixed_point_math(tmp_path):
    text, inputs, expected = M.glu_model(np.random.default_rng(6))
    # ap_fixed's quotients truncate toward zero: the bias of the chained divisions (RMSNorm,
    # the activation scale, the rescale, the sigmoid) moves int8 quantization boundaries, so
    # the median error is ~4.5e-3 of the scale here (2e-3 with round-to-nearest division).
    pkg = check_package(tmp_path, text, inputs, expected, "--hls-math=fixed", rtol=3e-2,
                        median=6e-3)
    assert "#define TERN_HLS_MATH_FIXED 1" in (pkg / "firmware" / "tern_kernel.h").read_text()


# --- the bundled tiny model: fresh packages with CPU goldens, `make csim` --------------------

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
TINY = os.path.join(ROOT, "models", "tiny-mmfree", "model.onnx")
# The options of the issue: shared stages (the default), a dataflow of all stages,
# AXI4-Stream token I/O, fixed-point math.
TINY_OPTIONS = {
    "share": [],
    "dataflow": ["--hls-dataflow"],
    "axis": ["--hls-io=axis"],
    "fixed": ["--hls-math=fixed"],
    "onchip": ["--hls-weights=onchip"],
}
TINY_PAR = ["--hls-pe=8", "--hls-simd=4"]


def make_csim(pkg, *extra):
    return subprocess.run(["make", "-s", "-C", str(pkg), "csim", *extra], capture_output=True,
                          text=True)


@pytest.fixture(scope="module")
def tiny_packages(tmp_path_factory):
    """One fresh package per option, `make csim` run once in each (g++ is slow: reused)."""
    if not os.path.exists(TINY):
        pytest.skip("no bundled model")
    if not shutil.which("make") or not have("g++"):
        pytest.skip("make/g++ missing")
    tmp = tmp_path_factory.mktemp("tiny")
    out = {}
    for name, flags in TINY_OPTIONS.items():
        pkg = tmp / name
        subprocess.run([ternc(), "compile", TINY, "--target=hls", "-o", str(pkg), "--quiet",
                        *TINY_PAR, *flags], check=True)
        out[name] = (pkg, make_csim(pkg))
    return out


@pytest.mark.parametrize("option", [o for o in TINY_OPTIONS if o != "axis"])
def test_tiny_model_package_csim(tiny_packages, option):
    """A freshly generated package holds tb_data/ inputs and the CPU backend's goldens, and
    `make csim` passes against them (float: within 2e-3 of the scale, fixed: 3e-2)."""
    pkg, proc = tiny_packages[option]
    data = pkg / "tb_data"
    for f in ["tokens.bin", "state.bin", "logits.golden.bin", "state_out.golden.bin"]:
        assert (data / f).is_file(), f
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "C simulation passed" in proc.stdout and "MISMATCH" not in proc.stdout
    assert re.search(r"logits: 256 values, max \|err\| \S+ \(max \|want\| [1-9]", proc.stdout)
    assert hls_lint.lint_path(str(pkg)) == []
    # The golden is the CPU backend's own output on the same inputs.
    tokens = np.fromfile(data / "tokens.bin", np.int64)  # [1]
    state = np.fromfile(data / "state.bin", np.float32).reshape(3, 1, 256)
    tmp = pkg / "cpu_check"
    tmp.mkdir(exist_ok=True)
    np.save(tmp / "tokens.npy", tokens)
    np.save(tmp / "state.npy", state)
    subprocess.run([ternc(), "run", TINY, "--target=cpu", "--quiet", "--ternary-kernel=portable",
                    f"--input=@{tmp / 'tokens.npy'}", f"--input=@{tmp / 'state.npy'}",
                    f"--output=@{tmp / 'logits.npy'}", f"--output=@{tmp / 'state_out.npy'}"],
                   check=True)
    for name in ["logits", "state_out"]:
        golden = np.fromfile(data / f"{name}.golden.bin", np.float32)
        assert_close(golden, np.load(tmp / f"{name}.npy").ravel(), rtol=1e-5, median=1e-6)
        out = np.fromfile(data / f"{name}.out.bin", np.float32)
        rtol = 3e-2 if option == "fixed" else 2e-3
        assert_close(out, golden, rtol=rtol, median=rtol)
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    top = kernel[kernel.index("// Top function"):]
    assert ("#pragma HLS DATAFLOW" in top) == (option == "dataflow")
    if option == "dataflow":  # every port and buffer: one producer, one consumer
        calls = re.findall(r"^  (tern_top_\w+)\((.*)\);$", top, re.M)
        for port in ["tokens", "state"]:
            readers = [c for c, args in calls if port in re.split(r",\s*", args)]
            assert len(readers) == 1 and "_load" in readers[0], (port, readers)
    # One m_axi bundle per engine, each on its own HBM pseudo-channel (connectivity.cfg).
    weights = port_names(pkg, "weight")
    bundles = {p: b for p, b in re.findall(r"mode=m_axi port=(\w+) offset=slave bundle=(gmem_w\d+)",
                                          top)}
    assert set(bundles) == set(weights)
    sp = dict(re.findall(r"^sp=tern_top_1\.(\w+):(\S+)$", (pkg / "connectivity.cfg").read_text(),
                         re.M))
    assert all(sp[w].startswith("HBM[") for w in weights)
    by_bundle = {}
    for w, b in bundles.items():
        by_bundle.setdefault(b, set()).add(sp[w])
    assert all(len(banks) == 1 for banks in by_bundle.values())  # a bundle sits on one bank
    if option == "share":  # 4 engines (d x d, 2I x d, d x I, vocab x d) + float weights
        assert len(by_bundle) >= 4 and len(by_bundle) < len(weights)
    # Weights as wide words: PE 8 x SIMD 4 = 32 packed bytes per cycle, one 256-bit word.
    assert "tern_word<256>" in kernel
    if option != "onchip":
        assert re.search(r"void tern_top\(.*const tern_word<256> w\d+\[", kernel)
    else:  # block-RAM ROMs of the same words, no weight port
        assert not weights and "bundle=gmem_w" not in kernel
        assert re.search(r"static const tern_word<256> g_rom_w\d+\[.*= \{+TERN_WORD\(256, \"0x",
                         kernel)
        assert "#pragma HLS BIND_STORAGE variable=g_rom_w0 type=rom_1p impl=bram" in top
        assert not (pkg / "weights").exists() or not list((pkg / "weights").iterdir())
    est = (pkg / "estimate.txt").read_text()
    assert "tokens/s (bounded)" in est and "TerEffic" in est
    assert ("gmem_w0" in est) == (option != "onchip")
    # Per-stage resources: the ternary MAC (select/negate lanes, adder tree) uses no DSP.
    rows = re.findall(r"^  (tern_top_\w+)\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$",
                      est, re.M)
    ternary = [r for r in rows if r[1] == "ternary_matmul"]
    # II 1 (one 256-bit word per cycle), LUT but no DSP.
    assert ternary and all(r[2] == "1" and int(r[5]) == 0 and int(r[4]) > 0 for r in ternary), \
        ternary


def _cpu_steps(tmp, tokens, state):
    """The CPU backend over a token sequence, carrying the state: the logits of each step."""
    logits = []
    for t, tok in enumerate(tokens):
        np.save(tmp / "tokens.npy", np.array([tok], np.int64))
        np.save(tmp / "state.npy", state)
        subprocess.run([ternc(), "run", TINY, "--target=cpu", "--quiet",
                        "--ternary-kernel=portable", f"--input=@{tmp / 'tokens.npy'}",
                        f"--input=@{tmp / 'state.npy'}", f"--output=@{tmp / 'logits.npy'}",
                        f"--output=@{tmp / 'state_out.npy'}"], check=True)
        logits.append(np.load(tmp / "logits.npy").ravel())
        state = np.load(tmp / "state_out.npy")
    return np.concatenate(logits)


def test_tiny_model_axis_multi_token(tiny_packages, tmp_path):
    """--hls-io=axis: hls::axis beats with TLAST, the recurrent state in an on-chip array of
    the top (reset_state), and a testbench that runs 4 tokens in sequence and compares every
    step's logits with the CPU backend carrying the state through its inputs and outputs."""
    pkg, proc = tiny_packages["axis"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "AXI4-Stream: 4 step(s), TLAST ok" in proc.stdout
    for t in range(4):
        assert re.search(rf"logits\[step {t}\]: 256 values, max \|err\| \S+ \(max \|want\| "
                         r"[1-9]\S*\): ok", proc.stdout), proc.stdout
    assert "C simulation passed" in proc.stdout and hls_lint.lint_path(str(pkg)) == []
    data = pkg / "tb_data"
    tokens = np.fromfile(data / "tokens.bin", np.int64)
    assert tokens.tolist() == [1, 2, 1, 2]
    golden = np.fromfile(data / "logits.golden.bin", np.float32)
    assert golden.size == 4 * 256
    want = _cpu_steps(tmp_path, tokens, np.zeros((3, 1, 256), np.float32))
    assert_close(golden, want, rtol=1e-5, median=1e-6)
    out = np.fromfile(data / "logits.out.bin", np.float32)
    for t in range(4):
        assert_close(out[t * 256:(t + 1) * 256], golden[t * 256:(t + 1) * 256])
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    top = kernel[kernel.index("// Top function"):]
    assert "static tern_real state_state[3][1][256];" in top
    assert "#pragma HLS INTERFACE mode=s_axilite port=reset_state bundle=control" in top
    assert "tern_stream<tern_axis<tern_i64> > &tokens" in top
    assert "tern_stream<tern_axis<tern_real> > &logits" in top
    assert "port=state" not in top.replace("port=state_", "")  # no state port at all
    assert "#pragma HLS DATAFLOW" not in top  # a static array shared by processes is not legal
    assert "beat.last = i0 == 0 && i1 == 255;" in kernel


@pytest.mark.parametrize("mutation,finding", [
    (("beat.last = i0 == 0 && i1 == 255;", "beat.last = false;"), "TLAST WRONG"),
    # Resetting the state before every token breaks steps 1..3: the state is checked.
    (("/*reset_state=*/t == 0", "/*reset_state=*/true"), "logits[step 1]"),
])
def test_tiny_model_axis_testbench_fails(tiny_packages, tmp_path, mutation, finding):
    pkg, proc = tiny_packages["axis"]
    assert proc.returncode == 0
    copy = tmp_path / "pkg"
    shutil.copytree(pkg, copy)
    for path in [copy / "firmware" / "tern_kernel.cpp", copy / "tb" / "tb_tern.cpp"]:
        path.write_text(path.read_text().replace(*mutation))
    (copy / "csim.bin").unlink()
    run = make_csim(copy)
    assert run.returncode != 0 and finding in run.stdout, run.stdout + run.stderr
    assert "C simulation FAILED" in run.stdout


@pytest.mark.parametrize("option,token", [("share", 300), ("share", -257), ("axis", 256)])
def test_tiny_model_out_of_range_token(tiny_packages, tmp_path, option, token):
    """A token id outside the embedding table: the kernel reads a clamped row, sets its
    s_axilite status register to the failing check, and the testbench names the ONNX node
    and fails (exit 3) instead of comparing garbage."""
    pkg, proc = tiny_packages[option]
    assert proc.returncode == 0
    copy = tmp_path / "pkg"
    shutil.copytree(pkg, copy)
    tokens = np.fromfile(copy / "tb_data" / "tokens.bin", np.int64)
    tokens[-1] = token  # the last step of a sequence
    tokens.tofile(copy / "tb_data" / "tokens.bin")
    run = subprocess.run(["./csim.bin", "tb_data", "weights"], cwd=copy, capture_output=True,
                         text=True)
    assert run.returncode == 3, run.stdout + run.stderr
    assert (f"index check 1 failed: node 'n_Gather' (Gather, domain 'ai.onnx') (table size 256): "
            f"index {token} is out of range") in run.stdout
    kernel = (copy / "firmware" / "tern_kernel.cpp").read_text()
    top = kernel[kernel.index("// Top function"):]
    for reg in ["status", "bad_index"]:
        assert f"#pragma HLS INTERFACE mode=s_axilite port={reg} bundle=control" in top
        assert f"mode=m_axi port={reg} " not in top
    # -1 is a valid ONNX index (the last row): no index error.
    tokens[-1] = -1
    tokens.tofile(copy / "tb_data" / "tokens.bin")
    run = subprocess.run(["./csim.bin", "tb_data", "weights"], cwd=copy, capture_output=True,
                         text=True)
    assert run.returncode in (0, 1) and "index check" not in run.stdout


def test_ternc_run_hls_csim_out_of_range_token(tmp_path):
    """`ternc run --target=hls-csim` with an out-of-range token: the C simulation's status
    register names the node (without goldens; with them the CPU golden run refuses first)."""
    if not os.path.exists(TINY):
        pytest.skip("no bundled model")
    np.save(tmp_path / "tokens.npy", np.array([300], np.int64))
    np.save(tmp_path / "state.npy", np.zeros((3, 1, 256), np.float32))
    args = [ternc(), "run", TINY, "--target=hls-csim", "--quiet",
            f"--input=@{tmp_path / 'tokens.npy'}", f"--input=@{tmp_path / 'state.npy'}"]
    proc = subprocess.run(args + ["--hls-goldens=false"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "C simulation failed (exit 3): index check 1 failed: node 'n_Gather'" in proc.stderr
    assert "index 300 is out of range" in proc.stderr
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode != 0 and "index 300 is out of range" in proc.stderr, proc.stderr
    # With AXI4-Stream I/O the state is on chip: it cannot be an input.
    proc = subprocess.run(args + ["--hls-io=axis"], capture_output=True, text=True)
    assert proc.returncode != 0 and "cannot be given as an input" in proc.stderr, proc.stderr
    assert "func.func" not in proc.stderr and "tern.hls" not in proc.stderr


def _per_call(kernel, pattern):
    """How often lines matching `pattern` run per call of the top: each statement times its
    enclosing loops' trip counts times the calls of its function."""
    funcs = {}
    for m in re.finditer(r"^(?:static )?void (\w+)\([^\n]*\) \{\n(.*?)^\}\n", kernel, re.S | re.M):
        trips, count = [], 0
        for line in m.group(2).split("\n"):
            loop = re.match(r"\s*for \(int \w+ = 0; \w+ < (\d+); \w+ \+= (\d+)\) \{", line)
            if loop:
                trips.append(int(loop.group(1)) // int(loop.group(2)))
            elif re.match(r"\s*\}\s*$", line) and trips:
                trips.pop()
            elif re.search(pattern, line):
                count += int(np.prod(trips)) if trips else 1
        funcs[m.group(1)] = (count, m.group(2))

    def total(name):
        count, body = funcs[name]
        calls = {callee: len(re.findall(rf"\b{callee}\(", body)) for callee in funcs}
        return count + sum(n * total(callee) for callee, n in calls.items()
                           if n and callee != name)
    return total("tern_top")


@pytest.mark.parametrize("option", ["share", "fixed"])
def test_tiny_model_row_invariants_hoisted(tiny_packages, option):
    """RMSNorm's mean, sqrt and (float) reciprocal run once per row, not per element: the
    package runs as many sqrt per token as it has norms; divisions per token fall from 31 251
    (8 960 sqrt) to 4 675 in float mode (one reciprocal per row; the rest are sigmoids) and
    22 320 in fixed mode (which keeps x / rms: ap_fixed truncates a quotient)."""
    pkg, proc = tiny_packages[option]
    assert proc.returncode == 0
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    sqrt = _per_call(kernel, r"tern_sqrt\(")
    divisions = _per_call(kernel, r"tern_real v\d+ = .* / ")
    assert 0 < sqrt <= 32, sqrt  # 29 norms in the tiny model
    assert divisions <= (5000 if option == "share" else 23000), divisions


def test_tiny_model_missing_golden_fails(tiny_packages, tmp_path):
    """The testbench fails (non-zero) when a golden is missing, instead of passing unchecked."""
    pkg, proc = tiny_packages["share"]
    assert proc.returncode == 0
    copy = tmp_path / "pkg"
    shutil.copytree(pkg, copy)
    (copy / "tb_data" / "state_out.golden.bin").unlink()
    run = subprocess.run(["./csim.bin", "tb_data", "weights"], cwd=copy, capture_output=True,
                         text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "cannot read the golden" in run.stderr and "C simulation FAILED" in run.stdout
    # A wrong golden fails too.
    golden = np.fromfile(pkg / "tb_data" / "logits.golden.bin", np.float32)
    golden[7] += 1.0
    golden.tofile(copy / "tb_data" / "logits.golden.bin")
    shutil.copy(pkg / "tb_data" / "state_out.golden.bin", copy / "tb_data")
    run = subprocess.run(["./csim.bin", "tb_data", "weights"], cwd=copy, capture_output=True,
                         text=True)
    assert run.returncode == 1 and "logits: 256 values" in run.stdout and "MISMATCH" in run.stdout


def test_tiny_model_reproducible(tiny_packages, tmp_path):
    """Two identical compiles give byte-identical packages (constant names included)."""
    pkg, _ = tiny_packages["share"]
    again = tmp_path / "again"
    subprocess.run([ternc(), "compile", TINY, "--target=hls", "-o", str(again), "--quiet",
                    *TINY_PAR], check=True)
    produced = sorted(str(p.relative_to(again)) for p in again.rglob("*") if p.is_file())
    assert "firmware/tern_kernel.cpp" in produced and "tb_data/logits.golden.bin" in produced
    for rel in produced:
        assert (again / rel).read_bytes() == (pkg / rel).read_bytes(), rel
    kernel = (again / "firmware" / "tern_kernel.cpp").read_text()
    names = re.findall(r"static const \w+ (g_constant_\w+)\[", kernel)
    assert names and names == [f"g_constant_{n.split('_', 2)[2].rsplit('_', 1)[0]}_{i}"
                               for i, n in enumerate(names)], names


# --- the synthesis types: ap_int / ap_fixed / hls::stream ---------------------------------------

HLS4ML = "hls4ml==1.3.0"  # ships AMD's open-source ap_types headers (Apache-2.0)


@pytest.fixture(scope="module")
def ap_types():
    """A folder with ap_int.h/ap_fixed.h/hls_stream.h: $TERN_AP_TYPES, or hls4ml's copy, pip
    installed (no dependencies) into its own target folder under the build directory."""
    given = os.environ.get("TERN_AP_TYPES")
    if given:
        return given
    build = os.environ.get("TERN_BUILD_DIR", os.path.join(ROOT, "build"))
    target = os.path.join(build, "hls4ml-ap-types")
    folder = os.path.join(target, "hls4ml", "templates", "vivado", "ap_types")
    if not os.path.exists(os.path.join(folder, "ap_fixed.h")):
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                               "--disable-pip-version-check", "--target", target, HLS4ML],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            if os.environ.get("CI"):
                pytest.fail(f"pip install {HLS4ML} failed: {proc.stderr[-2000:]}")
            pytest.skip(f"pip install {HLS4ML} failed (offline?)")
    return folder


def build_ap(pkg, ap_dir, exe_name="csim_ap.bin"):
    """Kernel + testbench with -DTERN_HLS_USE_AP_TYPES: the ap_int/ap_fixed/hls::stream types
    of synthesis and nothing but the package's own headers besides (no hls_math needed)."""
    exe = pkg / exe_name
    subprocess.run(["g++", "-std=c++14", "-O0", "-w", "-DTERN_HLS_USE_AP_TYPES",
                    f"-I{ap_dir}", f"-I{pkg / 'firmware'}", "-o", str(exe),
                    str(pkg / "firmware" / "tern_kernel.cpp"), str(pkg / "tb" / "tb_tern.cpp")],
                   check=True)
    return exe


def test_ap_types_fixed_bit_exact(tiny_packages, ap_types, tmp_path):
    """The tiny model in fixed mode: the ap_fixed build and the plain C++ build compute the
    same bits, and both pass against the CPU goldens."""
    pkg, proc = tiny_packages["fixed"]
    assert proc.returncode == 0
    copy = tmp_path / "pkg"
    shutil.copytree(pkg, copy)
    exe = build_ap(copy, ap_types)
    run = subprocess.run([str(exe), "tb_data", "weights"], cwd=copy, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ["logits", "state_out"]:
        assert (copy / "tb_data" / f"{name}.out.bin").read_bytes() == \
            (pkg / "tb_data" / f"{name}.out.bin").read_bytes(), name


def test_ap_types_float_and_axis(ap_types, tmp_path):
    """Float math and AXI4-Stream I/O with the synthesis types: within float rounding of the
    plain C++ build (an MLGRU sequence; small, so the ap_types compile stays short)."""
    text, inputs, expected = M.mlgru_model(np.random.default_rng(8), seq=3)
    _, pkg = compile_package(tmp_path, text, "--hls-io=axis", "--hls-pe=2")
    write_tb_data(pkg, inputs, expected)
    plain = run_csim(pkg, "g++")
    assert "C simulation passed" in plain
    want = read_outputs(pkg, expected)
    exe = build_ap(pkg, ap_types)
    run = subprocess.run([str(exe), str(pkg / "tb_data"), str(pkg / "weights")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    for got, w in zip(read_outputs(pkg, expected), want):
        assert np.allclose(got, w, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("weights", ["hbm", "onchip"])
def test_ap_types_wide_weight_words(ap_types, tmp_path, weights):
    """Wide weight words with the synthesis types: ap_uint<512> ports read from the weight
    files (tern_word_from_bytes), or ROMs of ap_uint<512>("0x..", 16) literals; bit-identical
    to the plain C++ build (whose tern_word is the shim's limb array) and to numpy."""
    text, inputs, expected = M.bitlinear_model(np.random.default_rng(9), (2,), 40, 24,
                                               ternary=True)
    _, pkg = compile_package(tmp_path, text, "--hls-pe=24", "--hls-simd=5",
                             f"--hls-weights={weights}")
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    assert "tern_word<512>" in kernel and "PIPELINE II=2" in kernel  # 120 bytes: 2 words/cycle
    write_tb_data(pkg, inputs, expected)
    run_csim(pkg, "g++")
    want = [(pkg / "tb_data" / f"{n}.out.bin").read_bytes() for n in port_names(pkg, "output")]
    exe = build_ap(pkg, ap_types)
    run = subprocess.run([str(exe), str(pkg / "tb_data"), str(pkg / "weights")],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "C simulation passed" in run.stdout, run.stdout + run.stderr
    got = [(pkg / "tb_data" / f"{n}.out.bin").read_bytes() for n in port_names(pkg, "output")]
    assert got == want


def _fixed_operands():
    rng = np.random.default_rng(21)
    a = rng.integers(-2**31, 2**31, 20000, dtype=np.int64)
    b = rng.integers(-2**31, 2**31, 20000, dtype=np.int64)
    a[::3] >>= 12   # small magnitudes
    b[::5] >>= 14
    edges = [0, 1, -1, 2**31 - 1, -2**31, 65536, -65536, 32768, -32768, 98304, -98304,
             163840, 229376, 65535, 2**20, -2**20]
    a = np.concatenate([a, np.repeat(edges, len(edges))])
    b = np.concatenate([b, np.tile(edges, len(edges))])
    return a, b


def _ap_fixed_reference(a, b):
    """ap_fixed<32,16,AP_RND_CONV,AP_SAT> in exact Python integers (the independent model)."""
    def sat(x):
        return max(-2**31, min(2**31 - 1, x))
    out = {k: [] for k in ["add", "sub", "mul", "div", "neg", "floor", "ceil", "roundeven",
                           "round", "fptosi", "itofp"]}
    for x, y in zip(a.tolist(), b.tolist()):
        out["add"].append(sat(x + y))
        out["sub"].append(sat(x - y))
        p = x * y
        q, rem = p >> 16, p & 0xFFFF
        if rem > 0x8000 or (rem == 0x8000 and q & 1):
            q += 1
        out["mul"].append(sat(q))
        if y == 0:
            out["div"].append(0)
        else:
            n = x << 16
            q = (abs(n) // abs(y)) * (1 if (n >= 0) == (y > 0) else -1)
            out["div"].append(sat(-q if q == 2**47 else q))  # 48-bit quotient wraps
        out["neg"].append(sat(-x))
        out["floor"].append(sat((x >> 16) << 16))
        out["ceil"].append(sat(-((-x) >> 16) << 16))
        q, rem = x >> 16, x & 0xFFFF
        if rem > 0x8000 or (rem == 0x8000 and q & 1):
            q += 1
        out["roundeven"].append(sat(q << 16))
        q = (abs(x) + 0x8000) >> 16
        out["round"].append(sat((q if x >= 0 else -q) << 16))
        out["fptosi"].append(abs(x) >> 16 if x >= 0 else -(abs(x) >> 16))
        v = x >> 12
        out["itofp"].append(sat(v << 16) if -32768 <= v <= 32767 else (2**31 - 1 if v > 0 else -2**31))
    return {k: np.array(v, np.int64) for k, v in out.items()}


FIXED_COLUMNS = ["add", "sub", "mul", "div", "neg", "sqrt", "rsqrt", "exp", "exp2", "log", "tanh",
                 "erf", "floor", "ceil", "roundeven", "round", "fptosi", "itofp"]


def _run_fixed_ops(tmp_path, extra_flags, name):
    a, b = _fixed_operands()
    ops = np.empty(2 * a.size, np.int32)
    ops[0::2], ops[1::2] = a, b
    ops.tofile(tmp_path / "ops.bin")
    header = tmp_path / "hdr"
    header.mkdir(exist_ok=True)
    shutil.copy(pkg_header_source(), header / "tern_hls.h")
    exe = tmp_path / name
    subprocess.run(["g++", "-std=c++14", "-O1", "-w", f"-I{header}", *extra_flags, "-o", str(exe),
                    os.path.join(os.path.dirname(__file__), "hls", "fixed_ops.cpp")], check=True)
    subprocess.run([str(exe), str(tmp_path / "ops.bin"), str(tmp_path / f"{name}.out")],
                   check=True)
    res = np.fromfile(tmp_path / f"{name}.out", np.int32).reshape(-1, len(FIXED_COLUMNS))
    return a, b, {k: res[:, i].astype(np.int64) for i, k in enumerate(FIXED_COLUMNS)}


def pkg_header_source():
    return os.path.join(ROOT, "lib", "Target", "HLS", "runtime", "tern_hls.h")


def test_fixed_point_ops_match_ap_fixed_model(tmp_path):
    """The plain C++ Q16.16 of tern_hls.h against an exact integer model of ap_fixed's
    AP_RND_CONV/AP_SAT rules (products round half to even, quotients truncate), and its
    integer-only functions against numpy within a few LSB."""
    a, b, got = _run_fixed_ops(tmp_path, [], "plain")
    want = _ap_fixed_reference(a, b)
    for k, w in want.items():
        bad = np.nonzero(got[k] != w)[0]
        assert bad.size == 0, (k, a[bad[:3]], b[bad[:3]], got[k][bad[:3]], w[bad[:3]])
    x, s = a / 65536.0, (a >> 12) / 65536.0
    lsb = 1 / 65536.0

    def close(k, ref, mask, lsbs, rel=0.0):
        g = got[k][mask] / 65536.0
        err = np.abs(g - ref[mask])
        assert np.all(err <= lsbs * lsb + rel * np.abs(ref[mask])), (k, err.max())
    pos = a > 0
    close("sqrt", np.sqrt(np.maximum(x, 0)), pos, 1)
    close("rsqrt", 1 / np.sqrt(np.where(pos, x, 1)), pos & (x > 1e-3), 1, 1e-5)
    close("exp", np.exp(s), np.exp(s) < 32767, 1, 2e-6)
    close("exp2", np.exp2(s), np.exp2(s) < 32767, 1, 2e-6)
    close("log", np.log(np.where(pos, x, 1)), pos, 2)
    close("tanh", np.tanh(s), np.ones_like(pos), 5)
    from math import erf
    close("erf", np.array([erf(v) for v in s]), np.ones_like(pos), 6)


def test_fixed_point_ops_bit_exact_with_ap_fixed(tmp_path, ap_types):
    """The same program with the real ap_fixed<32,16,AP_RND_CONV,AP_SAT>: identical bits for
    every operation and function."""
    _, _, plain = _run_fixed_ops(tmp_path, [], "plain")
    _, _, ap = _run_fixed_ops(tmp_path, ["-DTERN_HLS_USE_AP_TYPES", f"-I{ap_types}"], "ap")
    for k in FIXED_COLUMNS:
        assert np.array_equal(plain[k], ap[k]), k


# --- a small full model (ONNX: embedding, 2 HGRNBit blocks, LM head) ----------------------

def _full_model(tmp_path):
    try:
        from tern import onnx_models as O
    except ImportError as e:  # onnx missing
        pytest.skip(str(e))
    built = O.build_model_step(storage="custom", custom_weight_form="ternary", batch=2)
    path = tmp_path / "model_step.onnx"
    O.save_model(built.model, str(path))
    expected = built.reference(built.inputs)
    return path, built, [expected["logits"], expected["state_out"]]


@pytest.mark.parametrize("schedule", ["dataflow", "share"])
def test_full_model_csim(tmp_path, schedule):
    path, built, expected = _full_model(tmp_path)
    pkg = tmp_path / "model_hls"
    extra = ["--hls-dataflow"] if schedule == "dataflow" else []
    proc = subprocess.run([ternc(), "compile", str(path), "--target=hls", "-o", str(pkg),
                           "--dim", "B=2", "--hls-pe=8", "--hls-simd=4", "--quiet", *extra],
                          capture_output=True, text=True)
    if proc.returncode != 0 and "not bufferized" in proc.stderr:
        pytest.skip("the ONNX importer does not lower this model yet")
    assert proc.returncode == 0, proc.stderr
    assert hls_lint.lint_path(str(pkg)) == []
    write_tb_data(pkg, [built.inputs["tokens"], built.inputs["state"]], expected)
    for cxx in filter(have, COMPILERS):
        run_csim(pkg, cxx)
        for got, want in zip(read_outputs(pkg, expected), expected):
            assert_close(got, want)
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    top = kernel[kernel.index("// Top function"):]
    if schedule == "dataflow":
        # One process per layer: 2 x (4 MLGRU + 2 GLU) + LM head.
        assert kernel.count("// Stage: ternary_matmul") == 13
        assert "#pragma HLS DATAFLOW" in top
    else:
        # One engine per distinct shape (d x d, 2I x d, d x I, V x d), reused across layers.
        assert kernel.count("// Stage: ternary_matmul") == 4
        assert "#pragma HLS DATAFLOW" not in top
        assert "#pragma HLS ALLOCATION function instances=" in top


# --- ONNX forms through ternc run --target=hls-csim ----------------------------------------

ONNX_FORMS = ["float_ops", "act_quant_div_clip", "weight_quant_div_clip",
              "bitlinear_int8_cast_div_clip_gemm_pow", "mlgru_scan_paper_int8_dql",
              "model_step_latent"]


@pytest.fixture(scope="module")
def onnx_cases():
    try:
        from tern import onnx_models as O
    except ImportError as e:
        pytest.skip(str(e))
    return {c.name: c for c in O.default_cases()}


@pytest.mark.parametrize("name", ONNX_FORMS)
def test_onnx_forms_hls_csim(tmp_path, onnx_cases, name):
    """The importer's forms (plain float ops, quantization left in the graph, int8 DQL
    weights, a Scan recurrence, a full decode step) through the HLS C simulation, within
    each case's own tolerance."""
    from tern import onnx_models as O
    meta = O.write_case(onnx_cases[name], str(tmp_path))
    case = tmp_path / name
    args = [ternc(), "run", str(case / "model.onnx"), "--target=hls-csim", "--quiet"]
    args += [f"--input=@{case / 'inputs' / (i['name'] + '.npy')}" for i in meta["inputs"]]
    args += [f"--output=@{tmp_path / (o['name'] + '.npy')}" for o in meta["outputs"]]
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for o in meta["outputs"]:
        got = np.load(tmp_path / f"{o['name']}.npy")
        want = np.load(case / "expected" / f"{o['name']}.npy")
        assert got.shape == want.shape and got.dtype == want.dtype
        err = np.abs(got.astype(np.float64) - want)
        assert np.all(err <= o["atol"] + o["rtol"] * np.abs(want)), (o["name"], err.max())


# --- ternc run --target=hls-csim -----------------------------------------------------------

@pytest.mark.parametrize("cxx", COMPILERS)
def test_ternc_run_hls_csim(tmp_path, cxx):
    if not have(cxx):
        pytest.skip(f"{cxx} not found")
    text, inputs, expected = M.mlgru_model(np.random.default_rng(9), seq=3)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    args = [ternc(), "run", str(path), "--target=hls-csim", f"--hls-cxx={cxx}", "--quiet"]
    for i, a in enumerate(inputs):
        np.save(tmp_path / f"in{i}.npy", a)
        args.append(f"--input=@{tmp_path / f'in{i}.npy'}")
    args += [f"--output=@{tmp_path / 'o.npy'}", f"--output=@{tmp_path / 'h.npy'}"]
    subprocess.run(args, check=True)
    assert_close(np.load(tmp_path / "o.npy"), expected[0])
    assert_close(np.load(tmp_path / "h.npy"), expected[1])


def test_ternc_run_hls_csim_onnx(tmp_path):
    path, built, expected = _full_model(tmp_path)
    np.save(tmp_path / "tokens.npy", built.inputs["tokens"])
    np.save(tmp_path / "state.npy", built.inputs["state"])
    proc = subprocess.run([ternc(), "run", str(path), "--target=hls-csim", "--quiet",
                           f"--input=@{tmp_path / 'tokens.npy'}",
                           f"--input=@{tmp_path / 'state.npy'}",
                           f"--output=@{tmp_path / 'logits.npy'}",
                           f"--output=@{tmp_path / 'state_out.npy'}"],
                          capture_output=True, text=True)
    if proc.returncode != 0 and "not bufferized" in proc.stderr:
        pytest.skip("the ONNX importer does not lower this model yet")
    assert proc.returncode == 0, proc.stderr
    assert_close(np.load(tmp_path / "logits.npy"), expected[0])
    assert_close(np.load(tmp_path / "state_out.npy"), expected[1])


def test_bundled_model_hls_matches_cpu(tmp_path):
    """The bundled tiny MMfreeLM (models/tiny-mmfree): HLS C simulation == CPU backend."""
    model = os.path.join(os.path.dirname(__file__), "..", "..", "models", "tiny-mmfree",
                         "model.onnx")
    if not os.path.exists(model):
        pytest.skip("no bundled model")
    np.save(tmp_path / "tokens.npy", np.array([65], np.int64))
    np.save(tmp_path / "state.npy",
            np.random.default_rng(0).normal(0, 0.5, (3, 1, 256)).astype(np.float32))
    outs = {}
    for target in ["cpu", "hls-csim"]:
        subprocess.run([ternc(), "run", model, f"--target={target}", "--quiet",
                        f"--input=@{tmp_path / 'tokens.npy'}", f"--input=@{tmp_path / 'state.npy'}",
                        f"--output=@{tmp_path / (target + '_logits.npy')}",
                        f"--output=@{tmp_path / (target + '_state.npy')}"], check=True)
        outs[target] = [np.load(tmp_path / f"{target}_{k}.npy") for k in ("logits", "state")]
    for cpu, hls in zip(outs["cpu"], outs["hls-csim"]):
        assert_close(hls, cpu)


def test_ternc_run_hls_csim_rejects_bad_input(tmp_path):
    text, inputs, _ = M.bitlinear_model(np.random.default_rng(2), (2,), 8, 4)
    path = tmp_path / "m.mlir"
    path.write_text(text)
    np.save(tmp_path / "x.npy", np.zeros((3, 8), np.float32))
    proc = subprocess.run([ternc(), "run", str(path), "--target=hls-csim", "--quiet",
                           f"--input=@{tmp_path / 'x.npy'}"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "input 0" in proc.stderr and "expected float" in proc.stderr, proc.stderr


# --- the package ----------------------------------------------------------------------------

def test_package_files(tmp_path):
    text, _, _ = M.bitlinear_model(np.random.default_rng(4), (1,), 64, 32, ternary=True)
    _, pkg = compile_package(tmp_path, text, "--hls-pe=8", "--hls-simd=2",
                             "--hls-part=xcvu9p-flga2104-2-i", "--hls-clock-mhz=250")
    for f in ["firmware/tern_kernel.cpp", "firmware/tern_kernel.h", "firmware/tern_hls.h",
              "tb/tb_tern.cpp", "weights/w0.bin", "run_hls.tcl", "hls_config.cfg", "Makefile",
              "README.md", "estimate.txt", "connectivity.cfg"]:
        assert (pkg / f).is_file(), f
    tcl = (pkg / "run_hls.tcl").read_text()
    assert 'set part "xcvu9p-flga2104-2-i"' in tcl and "set period 4.000" in tcl
    assert "set_top tern_top" in tcl and "csynth_design" in tcl and "csim_design" in tcl
    cfg = (pkg / "hls_config.cfg").read_text()
    assert "part=xcvu9p-flga2104-2-i" in cfg and "clock=4.000ns" in cfg
    assert "syn.top=tern_top" in cfg
    assert re.search(r"^csim:", (pkg / "Makefile").read_text(), re.M)
    readme = (pkg / "README.md").read_text()
    assert "## Weight layout" in readme and "`[N/P][G][P]`" in readme
    est = (pkg / "estimate.txt").read_text()
    for key in ["cycles per token", "tokens/s", "DDR", "BRAM", "LUT", "23.8 tokens/s"]:
        assert key in est, key
    header = (pkg / "firmware" / "tern_hls.h").read_text()
    assert "ap_int<8>" in header and "hls::stream" in header and "int8_t" in header


@pytest.mark.parametrize("pe,simd,word_bits,words", [(8, 1, 64, 1), (6, 2, 128, 1),
                                                     (24, 5, 512, 2)])
def test_weight_file_layout(tmp_path, pe, simd, word_bits, words):
    """weights/w0.bin holds the documented words: per row tile t and cycle c, the S bytes of
    the P rows (byte s*P + p = 2-bit codes 4(cS+s)..+3 of row t*P + p), zero-padded to K
    words of W bits; the kernel's port is tern_word<W> / an integer of W bits."""
    rng = np.random.default_rng(12)
    n, k = 24, 37 if simd != 5 else 40  # G = 10
    w = rng.normal(0, 0.05, (n, k)).astype(np.float32)
    text, inputs, expected = M.bitlinear_model(rng, (1,), k, n, w=w, ternary=True)
    _, pkg = compile_package(tmp_path, text, f"--hls-pe={pe}", f"--hls-simd={simd}")
    trits, _ = R.weight_quant(w)
    g = (k + 3) // 4
    s_ = max(d for d in range(1, simd + 1) if g % d == 0)
    stride = words * word_bits // 8
    data = np.fromfile(pkg / "weights" / "w0.bin", np.uint8)
    assert data.size == (n // pe) * (g // s_) * stride
    cycles = data.reshape(n // pe, g // s_, stride)
    assert not cycles[:, :, pe * s_:].any()  # the padding is zero
    for row in range(n):
        for col in range(g * 4):
            c, s = divmod(col // 4, s_)
            byte = cycles[row // pe, c, s * pe + row % pe]
            code = (int(byte) >> (2 * (col % 4))) & 3
            want = int(trits[row, col]) if col < k else 0
            assert code == want + 1, (row, col)
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    ctype = f"tern_word<{word_bits}>" if word_bits > 64 else f"tern_i{word_bits}"
    assert re.search(rf"void tern_top\(.*const {re.escape(ctype)} w0\[{n // pe}\]\[{g // s_}\]"
                     rf"\[{words}\]", kernel)
    # II = words per cycle, in the kernel and in the estimate.
    assert f"#pragma HLS PIPELINE II={words}" in kernel
    est = (pkg / "estimate.txt").read_text()
    row = re.search(r"^  tern_top_\w+\s+ternary_matmul\s+(\d+)\s", est, re.M)
    assert row and int(row.group(1)) == words
    # The C simulation reads the words and matches numpy.
    write_tb_data(pkg, inputs, expected)
    if have("g++"):
        run_csim(pkg, "g++")
        assert_close(read_outputs(pkg, expected)[0], expected[0])


def test_estimate_figures(tiny_packages):
    """The estimate's port bound and power total recomputed from its own printed numbers."""
    for option in ("share", "dataflow"):
        pkg, _ = tiny_packages[option]
        est = (pkg / "estimate.txt").read_text()
        ports = re.findall(r"^  (gmem_w\d+)\s+(\S+)\s+(\d+)-bit words\s+(\d+) bytes/invocation, "
                           r"<= ([\d.]+) GB/s, >= ([\d.]+) us$", est, re.M)
        assert ports, est
        tokens = int(re.search(r"one invocation = (\d+) token", est).group(1))
        limits = [float(p[4]) for p in ports]
        nbytes = [int(p[3]) for p in ports]
        # Each port: at most 64 B x 300 MHz = 19.2 GB/s and its HBM pseudo-channel's 14.375.
        assert all(lim <= 14.375 + 1e-9 for lim in limits)
        m = re.search(r"port-bound \(all (\d+) ports at once\) ([\d.]+) GB/s / (\d+) bytes per "
                      r"token = ([\d.]+) tokens/s", est)
        assert m and int(m.group(1)) == len(ports)
        assert float(m.group(2)) == pytest.approx(sum(limits), rel=1e-3)
        assert int(m.group(3)) == round(sum(nbytes) / tokens)
        assert float(m.group(4)) == pytest.approx(sum(limits) * 1e9 / (sum(nbytes) / tokens),
                                                  rel=2e-3)
        # Port time: the bundles one after the other (share) or the slowest (dataflow).
        times = [b / (lim * 1e9) for b, lim in zip(nbytes, limits)]
        t = sum(times) if option == "share" else max(times)
        got = float(re.search(r"weight-port time\s+([\d.]+) us", est).group(1))
        assert got == pytest.approx(t * 1e6, rel=2e-3, abs=2e-3)
        bound = re.search(r"tokens/s \(bounded\)\s+([\d.]+) = min\(compute ([\d.]+), weight ports "
                          r"([\d.]+)\)", est)
        assert float(bound.group(3)) == pytest.approx(tokens / t, rel=2e-3)
        assert float(bound.group(1)) == pytest.approx(min(float(bound.group(2)),
                                                          float(bound.group(3))), rel=1e-3)
        # Power: the printed components add up to the total.
        for line in re.findall(r"^    static .* W$", est, re.M):
            parts = [float(v) for v in re.findall(r"([\d.]+)(?: \+| =)", line)]
            total = float(re.search(r"= ([\d.]+) W$", line).group(1))
            assert sum(parts) == pytest.approx(total, abs=0.02), line
        assert "23.8 tokens/s for 1.3B at 13 W" in est and "727 tokens/s at 46 W" in est


def test_hls_weights_option_values(tmp_path):
    """--hls-weights is an enumerated option (hbm|ddr|onchip): anything else is refused, naming
    the option and the value."""
    proc = subprocess.run([ternc(), "compile", TINY, "--target=hls", "-o", str(tmp_path / "p"),
                           "--hls-weights=sram"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "hls-weights" in proc.stderr and "sram" in proc.stderr, proc.stderr


def test_ternary_stage_has_no_multiplier(tmp_path):
    text, _, _ = M.glu_model(np.random.default_rng(5))
    _, pkg = compile_package(tmp_path, text, "--hls-pe=4")
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    stages = re.findall(r"// Stage: ternary_matmul\n(.*?)\n}\n", kernel, re.S)
    assert len(stages) == 2
    for body in stages:
        assert "PIPELINE II=1" in body
        assert "+" in body and "-" in body
        # No multiply on data; index arithmetic (`int` declarations: the byte of a weight
        # word, constant after unrolling) may scale by constants.
        data = [st for st in body.split(";") if not hls_lint._is_index_stmt(st)]
        assert not any("*" in hls_lint._drop_brackets(st) for st in data), body


# --- the lint -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean_kernel(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lint")
    text, _, _ = M.mlgru_model(np.random.default_rng(1), seq=2)
    _, pkg = compile_package(tmp, text, "--hls-pe=2")
    return (pkg / "firmware" / "tern_kernel.cpp").read_text()


def test_lint_accepts_generated_kernel(clean_kernel):
    assert hls_lint.lint_kernel(clean_kernel) == []


@pytest.mark.parametrize("mutation,finding", [
    (lambda k: k.replace("#pragma HLS INLINE off", "#pragma HLS INLINE off\n  int *h = new int[4];"
                         "\n  delete[] h;", 1), "heap use 'new'"),
    (lambda k: k.replace("#pragma HLS INLINE off", "#pragma HLS INLINE off\n  void *m = malloc(4);",
                         1), "heap use 'malloc'"),
    (lambda k: k.replace("#pragma HLS INLINE off", "#pragma HLS INLINE off\n  throw 1;", 1),
     "exception construct 'throw'"),
    (lambda k: k.replace('#include "tern_kernel.h"', '#include "tern_kernel.h"\n#include <vector>')
     .replace("#pragma HLS INLINE off", "#pragma HLS INLINE off\n  std::vector<int> q;", 1),
     "standard library use 'std::vector'"),
    (lambda k: re.sub(r"for \(int (i\d+) = 0; \1 < (\d+);", r"for (int \1 = 0; \1 < n_\2;", k,
                      count=1), "loop without static bounds"),
    (lambda k: re.sub(r"(static void (\w+)\([^)]*\) \{\n  #pragma HLS INLINE off\n)",
                      r"\1  \2(a0, a1);\n", k, count=1), "recursion"),
    (lambda k: re.sub(r" depth=\d+", "", k, count=1), "lacks an m_axi INTERFACE pragma with depth="),
    (lambda k: k.replace("#pragma HLS INTERFACE mode=s_axilite port=return bundle=control", ""),
     "no s_axilite control"),
])
def test_lint_finds_violations(clean_kernel, mutation, finding):
    mutated = mutation(clean_kernel)
    assert mutated != clean_kernel
    problems = hls_lint.lint_kernel(mutated)
    assert any(finding in p for p in problems), problems


def test_lint_finds_multiply_in_ternary_stage(tmp_path):
    text, _, _ = M.bitlinear_model(np.random.default_rng(2), (1,), 16, 8, ternary=True)
    _, pkg = compile_package(tmp_path, text)
    kernel = (pkg / "firmware" / "tern_kernel.cpp").read_text()
    stage = kernel.index("// Stage: ternary_matmul")
    mutated = kernel[:stage] + re.sub(r"\(\(tern_u32\)(v\d+) \+ \(tern_u32\)(v\d+)\)",
                                      r"(\1 * \2)", kernel[stage:], count=1)
    assert mutated != kernel
    assert any("multiplication" in p for p in hls_lint.lint_kernel(mutated))


def test_lint_cli(tmp_path, clean_kernel):
    good = tmp_path / "good.cpp"
    good.write_text(clean_kernel)
    bad = tmp_path / "bad.cpp"
    bad.write_text(clean_kernel.replace("#pragma HLS INLINE off", "#pragma HLS INLINE off\n  throw 1;", 1))
    assert hls_lint.main([str(good)]) == 0
    assert hls_lint.main([str(bad)]) == 1
