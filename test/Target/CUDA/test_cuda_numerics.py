"""CUDA backend numerics: tern-dialect models compiled by `ternc --target=cuda` and run through
the C ABI (`tern.api.CompiledModel`) and `ternc run`, against :mod:`tern.reference`. Run through
run_gpu_tests.py: on a GPU (ctest -L gpu, skipped without one), or with TERN_CUDA_EMULATION=1
(ctest cuda-emulation, no GPU needed): then the generated source (`--emit=cu`) is compiled as
C++ with lib/Target/CUDA/kernels/tern_cuda_emulation.h and every kernel runs on the CPU, so the
emitter's code, layouts, MACs and launcher are checked numerically anywhere (tests that need
the CUDA runtime itself are skipped there).

Tolerance as in the CPU backend's tests: |got - want| <= 2e-3 * max|want| + 1e-5 and a median
error <= 1e-5 * max|want| (one activation may land on the neighbouring int8 level when a sum
order differs by an ulp); the full model, where such a flip propagates through the layers,
uses 5e-3 and 1e-3.
"""

import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python"))

import models  # noqa: E402
from tern import api  # noqa: E402
from tern import mlir_models as M  # noqa: E402


# TERN_CUDA_KIT=DIR (device_kit.py sets it): under emulation, every model a test compiles is
# also written to DIR/<case>/ for the device kit: its emitted source and weights, the inputs of
# its first run and the emulation's outputs of that run (which the test then checks against the
# numpy reference), so a GPU can rerun exactly this case without the compiler.
KIT = os.environ.get("TERN_CUDA_KIT")
EMULATION = os.environ.get("TERN_CUDA_EMULATION") == "1" or bool(KIT)
KERNELS = os.path.join(HERE, "..", "..", "..", "lib", "Target", "CUDA", "kernels")
needs_gpu = pytest.mark.skipif(EMULATION, reason="needs the CUDA runtime (not emulated)")


def ternc():
    return api.find_ternc()


def build_cuda(tmp_path, src, name="model", mac="auto", extra=()):
    """ternc compile --target=cuda: the library (nvcc), or under emulation the source built
    as C++ for the CPU."""
    so = tmp_path / f"{name}.so"
    if EMULATION:
        cu = tmp_path / f"{name}.cu"
        proc = subprocess.run([ternc(), "compile", str(src), "--target=cuda", f"--cuda-mac={mac}",
                               "--emit=cu", "-o", str(cu), "--quiet", *extra], capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr
        cxx = os.environ.get("TERN_HOST_CXX", "clang++-22")
        proc = subprocess.run([cxx, "-x", "c++", "-std=c++17", "-O1", "-fPIC", "-shared", "-w",
                               "-DTERN_CUDA_EMULATION", f"-I{KERNELS}", str(cu), "-o", str(so)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        model = api.CompiledModel(str(so))
        return KitRecorder(model, cu, name) if KIT else model
    proc = subprocess.run([ternc(), "compile", str(src), "--target=cuda", f"--cuda-mac={mac}",
                           "-o", str(so), "--quiet", *extra], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return api.CompiledModel(str(so))


class KitRecorder:
    """A compiled model that writes its first run into the device kit (see KIT)."""

    def __init__(self, model, cu, name):
        self._model, self._cu, self._name, self._done = model, cu, name, False

    def __getattr__(self, attr):
        return getattr(self._model, attr)

    def __call__(self, *inputs):
        try:
            outs = self._model(*inputs)
        except api.TernError as e:
            self._write_error(inputs, str(e))
            raise
        if not self._done:
            self._done = True
            self._write(inputs, outs)
        return outs

    def _write_error(self, inputs, message):
        """A run that must fail (an index out of range): its inputs and the error, checked on
        the GPU after the recorded good run (case.txt `error K MESSAGE`, inputs errK_in<i>.bin)."""
        if not self._done:
            return  # the case directory exists once a good run was recorded
        k = self._errors = getattr(self, "_errors", 0) + 1
        for i, a in enumerate(inputs):
            with open(os.path.join(self._dir, f"err{k}_in{i}.bin"), "wb") as f:
                f.write(np.ascontiguousarray(a).tobytes())
        with open(os.path.join(self._dir, "case.txt"), "a") as f:
            f.write(f"error {k} {message}\n")

    def _write(self, inputs, outs):
        import re
        import shutil
        test = os.environ.get("PYTEST_CURRENT_TEST", "case").split("::")[-1].split(" ")[0]
        case = re.sub(r"[^A-Za-z0-9_.-]+", "_", test.removeprefix("test_")).strip("_")
        if self._name != "model":
            case += "-" + self._name
        out = os.path.join(KIT, case)
        n = 2
        while os.path.exists(out):
            out = os.path.join(KIT, f"{case}-{n}")
            n += 1
        os.makedirs(out)
        shutil.copy(self._cu, os.path.join(out, "model.cu"))
        weights = os.path.splitext(str(self._cu))[0] + ".weights"
        if os.path.exists(weights):
            shutil.copy(weights, os.path.join(out, "model.weights"))
        else:
            open(os.path.join(out, "model.weights"), "wb").close()
        for i, a in enumerate(inputs):
            with open(os.path.join(out, f"in{i}.bin"), "wb") as f:
                f.write(np.ascontiguousarray(a).tobytes())
        for j, o in enumerate(outs):
            with open(os.path.join(out, f"ref{j}.bin"), "wb") as f:
                f.write(np.ascontiguousarray(o).tobytes())
        with open(os.path.join(out, "case.txt"), "w") as f:
            f.write(f"tolerance 5e-3 1e-3\nreference emulation\ntest {test}\n")
        self._dir = out


def assert_close(got, want, atol_rel=2e-3, median_rel=1e-5):
    got = np.asarray(got, np.float32)
    want = np.asarray(want, np.float32)
    assert got.shape == want.shape
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    err = np.abs(got - want)
    assert np.all(np.isfinite(got))
    assert np.all(err <= atol_rel * scale + 1e-5), f"max err {err.max()} vs scale {scale}"
    assert float(np.median(err)) <= median_rel * scale + 1e-7, f"median err {np.median(err)}"


def compile_cuda(tmp_path, text, name="model", mac="auto"):
    src = tmp_path / f"{name}.mlir"
    src.write_text(text)
    return build_cuda(tmp_path, src, name, mac), src


@pytest.mark.parametrize("ternary", [False, True], ids=["latent", "ternary"])
@pytest.mark.parametrize("norm", [True, False], ids=["norm", "nonorm"])
@pytest.mark.parametrize("d_in", [37, 64, 1000])
def test_bitlinear(tmp_path, ternary, norm, d_in):
    rng = np.random.default_rng(d_in)
    text, inputs, expected = M.bitlinear_model(rng, (2, 3), d_in, 20, norm=norm, ternary=ternary)
    model, _ = compile_cuda(tmp_path, text)
    assert_close(model(*inputs)[0], expected[0])


@pytest.mark.parametrize("mac", ["dp4a", "select"])
@pytest.mark.parametrize("rows", [1, 2, 5, 16, 33])  # MT = 1, 2, 8 and a partial tile
def test_bitlinear_prefill_rows(tmp_path, rows, mac):
    rng = np.random.default_rng(rows)
    text, inputs, expected = M.bitlinear_model(rng, (rows,), 300, 70, ternary=True)
    model, _ = compile_cuda(tmp_path, text, mac=mac)
    assert_close(model(*inputs)[0], expected[0])


def test_bitlinear_low_activation_bits(tmp_path):
    text, inputs, expected = M.bitlinear_model(np.random.default_rng(3), (4,), 40, 12, act_bits=4)
    model, _ = compile_cuda(tmp_path, text)
    assert_close(model(*inputs)[0], expected[0])


@pytest.mark.parametrize("case", ["zeros", "huge", "tiny", "zero_weights"])
def test_bitlinear_edge_inputs(tmp_path, case):
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (3, 16)).astype(np.float32)
    w = None
    if case == "zeros":
        x[:] = 0
    elif case == "huge":
        x *= np.float32(1e15)
    elif case == "tiny":
        x *= np.float32(1e-30)
    else:
        w = np.zeros((8, 16), np.float32)
    text, inputs, expected = M.bitlinear_model(rng, (3,), 16, 8, x=x, w=w)
    model, _ = compile_cuda(tmp_path, text)
    assert_close(model(*inputs)[0], expected[0])


def test_glu(tmp_path):
    text, inputs, expected = M.glu_model(np.random.default_rng(5))
    model, _ = compile_cuda(tmp_path, text)
    assert_close(model(*inputs)[0], expected[0])


@pytest.mark.parametrize("variant", ["released", "paper"])
@pytest.mark.parametrize("seq", [None, 6], ids=["step", "sequence"])
def test_mlgru(tmp_path, variant, seq):
    text, inputs, expected = M.mlgru_model(np.random.default_rng(7), seq=seq, variant=variant)
    model, _ = compile_cuda(tmp_path, text)
    o, h = model(*inputs)
    assert_close(o, expected[0])
    assert_close(h, expected[1])


def test_mlgru_ternary_weights_no_norms(tmp_path):
    text, inputs, expected = M.mlgru_model(np.random.default_rng(8), norms=False, ternary=True,
                                           lower_bound=False)
    model, _ = compile_cuda(tmp_path, text)
    o, h = model(*inputs)
    assert_close(o, expected[0])
    assert_close(h, expected[1])


@pytest.mark.parametrize("mac", ["dp4a", "select"])
@pytest.mark.parametrize("batch", [1, 2])
def test_full_model_decode_steps(tmp_path, batch, mac):
    """Three decode steps of a 2-layer HGRNBit model, state fed back, against the reference."""
    from tern import reference as R
    text, inputs, expected = models.tiny_case(batch=batch)
    model, _ = compile_cuda(tmp_path, text, mac=mac)
    logits, state = model(*inputs)
    assert_close(logits, expected[0], 5e-3, 1e-3)
    assert_close(state, expected[1], 5e-3, 1e-3)
    d, L, V = models.CONFIGS["tiny"]
    params = R.random_params(d, L, V, seed=0)
    tokens = inputs[0]
    for _ in range(2):
        tokens = np.argmax(logits, axis=-1).astype(np.int64)
        want_logits, want_state = R.model_step(tokens, state, params)
        logits, state = model(tokens, state)
        assert_close(logits, want_logits, 5e-3, 1e-3)


def test_repeated_runs_and_release(tmp_path):
    text, inputs, _ = M.mlgru_model(np.random.default_rng(9))
    model, _ = compile_cuda(tmp_path, text)
    first = model(*inputs)
    again = model(*inputs)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    model._lib.tern_model_release()
    for a, b in zip(first, model(*inputs)):
        np.testing.assert_array_equal(a, b)


@needs_gpu
def test_run_device_on_a_stream(tmp_path):
    """tern_model_run_device: device buffers in and out, asynchronous on the model's stream."""
    text, inputs, expected = M.bitlinear_model(np.random.default_rng(4), (2,), 64, 16, ternary=True)
    model, _ = compile_cuda(tmp_path, text)
    lib = model._lib
    err = ctypes.create_string_buffer(512)
    assert lib.tern_model_init(err, len(err)) == 0, err.value
    cudart = ctypes.CDLL("libcudart.so")  # noqa: the toolkit's runtime, for the test's buffers
    x = np.ascontiguousarray(inputs[0])
    y = np.empty(expected[0].shape, np.float32)
    dx, dy = ctypes.c_void_p(), ctypes.c_void_p()
    assert cudart.cudaMalloc(ctypes.byref(dx), ctypes.c_size_t(x.nbytes)) == 0
    assert cudart.cudaMalloc(ctypes.byref(dy), ctypes.c_size_t(y.nbytes)) == 0
    assert cudart.cudaMemcpy(dx, x.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(x.nbytes), 1) == 0
    ins = (ctypes.c_void_p * 1)(dx)
    outs = (ctypes.c_void_p * 1)(dy)
    lib.tern_model_run_device.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                          ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                                          ctypes.c_size_t]
    assert lib.tern_model_run_device(ins, 1, outs, 1, None, err, len(err)) == 0, err.value
    assert cudart.cudaDeviceSynchronize() == 0
    assert cudart.cudaMemcpy(y.ctypes.data_as(ctypes.c_void_p), dy, ctypes.c_size_t(y.nbytes), 2) == 0
    assert_close(y, expected[0])


@needs_gpu
def test_ternc_run_writes_outputs(tmp_path):
    text, inputs, expected = M.mlgru_model(np.random.default_rng(9))
    path = tmp_path / "m.mlir"
    path.write_text(text)
    args = [ternc(), "run", str(path), "--target=cuda", "--quiet"]
    for i, a in enumerate(inputs):
        np.save(tmp_path / f"in{i}.npy", a)
        args.append(f"--input=@{tmp_path / f'in{i}.npy'}")
    args += [f"--output=@{tmp_path / 'o.npy'}", f"--output=@{tmp_path / 'h.npy'}"]
    subprocess.run(args, check=True)
    assert_close(np.load(tmp_path / "o.npy"), expected[0])
    assert_close(np.load(tmp_path / "h.npy"), expected[1])


def test_bundled_onnx_model_matches_cpu_backend(tmp_path):
    """The trained bundled model, imported from ONNX, on both backends."""
    onnx_model = os.path.join(HERE, "..", "..", "..", "models", "tiny-mmfree", "model.onnx")
    if not os.path.exists(onnx_model):
        pytest.skip("no bundled model")
    outs = {}
    for target in ("cpu", "cuda"):
        if target == "cuda":
            model = build_cuda(tmp_path, onnx_model, "bundled")
        else:
            so = tmp_path / f"{target}.so"
            subprocess.run([ternc(), "compile", onnx_model, f"--target={target}", "-o", str(so),
                            "--quiet"], check=True)
            model = api.CompiledModel(str(so))
        rng = np.random.default_rng(0)
        ins = [np.asarray(rng.integers(0, 100, size=s.shape), s.dtype) if s.dtype == np.int64
               else (rng.standard_normal(s.shape) * 0.5).astype(s.dtype) for s in model.inputs]
        outs[target] = model(*ins)
    for got, want in zip(outs["cuda"], outs["cpu"]):
        assert_close(got, want, 5e-3, 1e-3)


@needs_gpu
def test_python_api_compiles_for_cuda(tmp_path):
    import tern
    text, inputs, expected = M.glu_model(np.random.default_rng(6))
    path = tmp_path / "glu.mlir"
    path.write_text(text)
    model = tern.compile(str(path), target="cuda", extra_args=["--cuda-mac=select"])
    assert_close(model(*inputs)[0], expected[0])


def _onnx_cases():
    from tern import onnx_models as O
    return {c.name: c for c in O.default_cases()}


@pytest.mark.parametrize("case", sorted(_onnx_cases()))
def test_onnx_forms(tmp_path, case):
    """Every ONNX form of DESIGN.md (the importer's test models) on the CUDA backend, with
    each model's own tolerance."""
    from tern import onnx_models as O
    built = _onnx_cases()[case]
    path = tmp_path / "model.onnx"
    O.save_model(built.model, str(path))
    dims = {}
    for inp in built.model.graph.input:
        for k, dim in enumerate(inp.type.tensor_type.shape.dim):
            if dim.dim_param:
                dims[dim.dim_param] = built.inputs[inp.name].shape[k]
    model = build_cuda(tmp_path, path, extra=[f"--dim={k}={v}" for k, v in dims.items()])
    names = [i.name for i in built.model.graph.input]
    outs = model(*[built.inputs[n] for n in names])
    expected = built.expected()
    for name, got in zip(built.output_names(), outs):
        want = expected[name]
        if got.dtype.kind in "iub":
            np.testing.assert_array_equal(got, want)
            continue
        tol = built.atol(want) + built.rtol * np.abs(want)
        assert np.all(np.abs(got - want) <= tol), \
            f"{name}: max err {np.abs(got - want).max()} (atol {built.atol(want)})"


@pytest.mark.parametrize("mac", ["dp4a", "select"])
def test_tmatmul_on_int8_input(tmp_path, mac):
    """A tmatmul whose int8 input is a model input (no fused quantization before it): the
    interleave kernel lays it out (and sums its rows for the dp4a MAC); int32 results."""
    from tern import reference as R
    rng = np.random.default_rng(12)
    x = rng.integers(-128, 128, size=(3, 40)).astype(np.int8)
    wt = rng.integers(-1, 2, size=(20, 40)).astype(np.int8)
    text = ("func.func @main(%x: tensor<3x40xi8>) -> tensor<3x20xi32> {\n"
            f"  %w = tern.constant {M.ternary_attr(wt, 2.0)}\n"
            "  %y = tern.tmatmul %x, %w : tensor<3x40xi8>, !tern.ternary<20x40> -> tensor<3x20xi32>\n"
            "  return %y : tensor<3x20xi32>\n}\n")
    model, _ = compile_cuda(tmp_path, text, mac=mac)
    np.testing.assert_array_equal(model(x)[0], R.tmatmul(x, wt))


@pytest.mark.skipif(not EMULATION, reason="failure injection is part of the CPU emulation")
def test_errors_name_the_failure_and_init_frees_on_failure(tmp_path, monkeypatch):
    """The error paths of the launcher, with failures injected by the emulation: a failed
    allocation in init is reported and frees what init had created (the next run initializes
    again); a failed launch is reported with the kernel's name; later runs are correct."""
    text, inputs, expected = M.bitlinear_model(np.random.default_rng(4), (2,), 64, 16, ternary=True)
    model, _ = compile_cuda(tmp_path, text)
    lib = model._lib
    lib.tern_emu_live_allocations.restype = ctypes.c_long
    err = ctypes.create_string_buffer(512)
    monkeypatch.setenv("TERN_EMU_FAIL_MALLOC", "2")  # the arena succeeds, the weights fail
    assert lib.tern_model_init(err, len(err)) != 0
    assert "allocating device memory for the weights: emulated: out of memory" in err.value.decode()
    assert lib.tern_emu_live_allocations() == 0
    monkeypatch.delenv("TERN_EMU_FAIL_MALLOC")
    monkeypatch.setenv("TERN_EMU_FAIL_LAUNCH", "2")  # quantization, then the GEMV: it fails
    with pytest.raises(api.TernError, match=r"launching the model's kernels: kernel tern_k0 "
                                            r"failed: emulated: launch failure"):
        model(*inputs)
    monkeypatch.delenv("TERN_EMU_FAIL_LAUNCH")
    assert_close(model(*inputs)[0], expected[0])
    assert lib.tern_emu_live_allocations() == 2  # arena and weights
    lib.tern_model_release()
    assert lib.tern_emu_live_allocations() == 0


def _gather_model(path, vocab=256, d=4):
    """Gather (an embedding) then GatherElements over its rows, both on run-time indices:
    y[b, t, j] = table[ids[b, t], pick[b, t, j]]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    table = (np.arange(vocab * d, dtype=np.float32).reshape(vocab, d) * 0.5 - 3)
    nodes = [helper.make_node("Gather", ["table", "ids"], ["x"], name="embed", axis=0),
             helper.make_node("GatherElements", ["x", "pick"], ["y"], name="pick_cols", axis=2)]
    graph = helper.make_graph(
        nodes, "gathers",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 3]),
         helper.make_tensor_value_info("pick", TensorProto.INT64, [1, 3, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 2])],
        [numpy_helper.from_array(table, "table")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, str(path))
    return table


def test_index_out_of_range_is_an_error(tmp_path):
    """Run-time Gather/GatherElements indices on the CUDA backend: in range equal to numpy
    (negative ones count from the end); out of range, tern_model_run fails naming the node
    and the first bad index (first check, then first position), like the CPU backend; the
    next good run is correct again (the device error word is cleared per run)."""
    path = tmp_path / "gathers.onnx"
    table = _gather_model(path)
    model = build_cuda(tmp_path, path, "gathers")
    pick = np.array([[[0, 3], [1, -1], [2, 2]]], np.int64)

    def want(ids, pick):
        x = table[ids]
        return np.take_along_axis(x, pick % 4, axis=2)

    good = np.array([[5, 255, -256]], np.int64)
    np.testing.assert_array_equal(model(good, pick)[0], want(good, pick))
    # (ids, pick, node, index reported)
    bad = [([[256, 3, 4]], pick, "embed", 256),
           ([[1, -257, 2]], pick, "embed", -257),
           ([[1, 2, 10**9]], pick, "embed", 10**9),
           ([[np.iinfo(np.int64).max, 0, 0]], pick, "embed", np.iinfo(np.int64).max),
           ([[0, 0, np.iinfo(np.int64).min]], pick, "embed", np.iinfo(np.int64).min),
           ([[0, 300, -1000]], pick, "embed", 300),                       # the first position
           ([[0, 1, 2]], [[[0, 1], [4, 0], [-5, 0]]], "pick_cols", 4),    # the second node
           ([[999, 1, 2]], [[[0, 1], [4, 0], [0, 0]]], "embed", 999)]     # the first check
    for ids, p, node, index in bad:
        dim = 256 if node == "embed" else 4
        with pytest.raises(api.TernError) as err:
            model(np.array(ids, np.int64), np.array(p, np.int64))
        msg = str(err.value)
        assert f"node '{node}'" in msg, msg
        assert (f"index {index} is out of range for an axis of size {dim} "
                f"(valid: {-dim} to {dim - 1})") in msg, msg
    np.testing.assert_array_equal(model(good, pick)[0], want(good, pick))


@pytest.mark.skipif(not EMULATION, reason="host pointers as device buffers: the CPU emulation")
def test_index_error_reported_by_sync_after_run_device(tmp_path):
    """tern_model_run_device does not wait, so an index out of range comes from
    tern_model_sync (2 and the message); the next run clears the error word."""
    path = tmp_path / "gathers.onnx"
    _gather_model(path)
    model = build_cuda(tmp_path, path, "gathers")
    lib = model._lib
    err = ctypes.create_string_buffer(512)
    lib.tern_model_run_device.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                          ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                                          ctypes.c_size_t]
    lib.tern_model_sync.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    pick = np.zeros((1, 3, 2), np.int64)
    y = np.empty((1, 3, 2), np.float32)
    for ids, want_rc in (([[1, 2, 256]], 2), ([[1, 2, 3]], 0)):
        ids = np.array(ids, np.int64)
        ins = (ctypes.c_void_p * 2)(ids.ctypes.data, pick.ctypes.data)
        outs = (ctypes.c_void_p * 1)(y.ctypes.data)
        assert lib.tern_model_run_device(ins, 2, outs, 1, None, err, len(err)) == 0, err.value
        assert lib.tern_model_sync(None, err, len(err)) == want_rc, err.value
        if want_rc:
            assert ("node 'embed'" in err.value.decode() and
                    "index 256 is out of range for an axis of size 256" in err.value.decode())
