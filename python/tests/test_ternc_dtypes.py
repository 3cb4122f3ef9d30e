"""`ternc run` on the dtypes of issue 13 (float64, float16, uint8, int16, uint16) and on
graph inputs that feed shape operands (specialized on the given values), checked against
onnxruntime (and numpy where onnxruntime has no kernel for the dtype); `ternc compile
--const-input`; and the error naming the input when no value is given.

Tolerances: float64 results must match onnxruntime to 1e-12 relative (same math in
double), float16 exactly (one rounding of the same f32 product), integers exactly."""

import os
import subprocess

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto as TP, helper  # noqa: E402

import tern  # noqa: E402


@pytest.fixture(scope="module")
def ternc():
    try:
        return tern.api.find_ternc()
    except tern.TernError as e:
        pytest.skip(str(e))


def make_model(nodes, inputs, outputs, initializers=(), opset=17, check=True):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    if check:  # an output whose shape depends on input values has no shape to declare
        onnx.checker.check_model(m)
    return m


def vi(name, dt, shape):
    return helper.make_tensor_value_info(name, dt, shape)


def run_ternc(ternc, tmp_path, model, inputs, extra=()):
    """`ternc run` with .npy inputs in graph order; returns the outputs (arrays)."""
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    args = [ternc, "run", str(path), "--quiet", *extra]
    for i, a in enumerate(inputs):
        p = tmp_path / f"in{i}.npy"
        np.save(p, a)
        args.append(f"--input=@{p}")
    outs = [tmp_path / f"out{i}.npy" for i in range(len(model.graph.output))]
    args += [f"--output=@{p}" for p in outs]
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return [np.load(p) for p in outs]


def run_ort(model, inputs):
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [i.name for i in s.get_inputs()]
    return s.run(None, dict(zip(names, inputs)))


def test_float64_matches_onnxruntime(tmp_path, ternc, rng):
    x = rng.standard_normal((3, 5))
    y = rng.standard_normal((3, 5))
    m = make_model([helper.make_node("Mul", ["x", "y"], ["p"]),
                    helper.make_node("Exp", ["p"], ["e"]),
                    helper.make_node("Max", ["e", "x"], ["z"]),
                    helper.make_node("Cast", ["z"], ["z32"], to=TP.FLOAT)],
                   [vi("x", TP.DOUBLE, [3, 5]), vi("y", TP.DOUBLE, [3, 5])],
                   [vi("z", TP.DOUBLE, [3, 5]), vi("z32", TP.FLOAT, [3, 5])])
    got = run_ternc(ternc, tmp_path, m, [x, y])
    want = run_ort(m, [x, y])
    assert got[0].dtype == np.float64 and got[1].dtype == np.float32
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_array_equal(got[1], want[1])


def test_torch_style_float64_constant_cast(tmp_path, ternc, rng):
    """What torch.onnx.export(do_constant_folding=False) writes for `x + eps`: a
    float64 scalar Constant, Cast to float32, Add."""
    x = rng.standard_normal((2, 4)).astype(np.float32)
    eps = helper.make_tensor("eps", TP.DOUBLE, [], [1e-6])
    m = make_model([helper.make_node("Constant", [], ["c"], value=eps),
                    helper.make_node("Cast", ["c"], ["c32"], to=TP.FLOAT),
                    helper.make_node("Add", ["x", "c32"], ["y"])],
                   [vi("x", TP.FLOAT, [2, 4])], [vi("y", TP.FLOAT, [2, 4])])
    (got,) = run_ternc(ternc, tmp_path, m, [x])
    np.testing.assert_array_equal(got, run_ort(m, [x])[0])


def test_float16_matches_onnxruntime(tmp_path, ternc, rng):
    a = rng.standard_normal(16).astype(np.float16)
    b = rng.standard_normal(16).astype(np.float16)
    m = make_model([helper.make_node("Max", ["a", "b"], ["m"]),
                    helper.make_node("Cast", ["m"], ["m32"], to=TP.FLOAT),
                    helper.make_node("Mul", ["m32", "m32"], ["sq"]),
                    helper.make_node("Cast", ["sq"], ["y"], to=TP.FLOAT16)],
                   [vi("a", TP.FLOAT16, [16]), vi("b", TP.FLOAT16, [16])],
                   [vi("y", TP.FLOAT16, [16]), vi("m", TP.FLOAT16, [16])])
    got = run_ternc(ternc, tmp_path, m, [a, b])
    want = run_ort(m, [a, b])
    for g, w in zip(got, want):
        assert g.dtype == np.float16
        np.testing.assert_array_equal(g, w)


# Edge values: the top of the unsigned range (where a signed implementation goes
# negative), zero, one.
INT_CASES = [(TP.UINT8, np.uint8), (TP.INT16, np.int16), (TP.UINT16, np.uint16)]


@pytest.mark.parametrize("dt,npdt", INT_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_integer_dtypes_match_onnxruntime(tmp_path, ternc, rng, dt, npdt):
    info = np.iinfo(npdt)
    a = rng.integers(info.min, info.max, 32, endpoint=True).astype(npdt)
    b = rng.integers(1, info.max, 32, endpoint=True).astype(npdt)
    a[:3] = [info.max, info.min, 1]
    m = make_model([helper.make_node("Mod", ["a", "b"], ["r"]),
                    helper.make_node("Abs", ["a"], ["abs"]),
                    helper.make_node("Cast", ["a"], ["f"], to=TP.FLOAT),
                    helper.make_node("Cast", ["f"], ["back"], to=dt)],
                   [vi("a", dt, [32]), vi("b", dt, [32])],
                   [vi("r", dt, [32]), vi("abs", dt, [32]), vi("f", TP.FLOAT, [32]),
                    vi("back", dt, [32])])
    got = run_ternc(ternc, tmp_path, m, [a, b])
    want = run_ort(m, [a, b])
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("dt,npdt", INT_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_integer_dtypes_order_and_division(tmp_path, ternc, rng, dt, npdt):
    """Ops onnxruntime has no kernel for on these dtypes, against numpy: unsigned
    values above the signed range must compare, divide and wrap as unsigned."""
    info = np.iinfo(npdt)
    a = rng.integers(info.min, info.max, 32, endpoint=True).astype(npdt)
    b = rng.integers(1, info.max, 32, endpoint=True).astype(npdt)
    a[:2], b[:2] = [info.max, info.max // 2 + 1], [2, info.max // 2]
    m = make_model([helper.make_node("Div", ["a", "b"], ["q"]),
                    helper.make_node("Max", ["a", "b"], ["mx"]),
                    helper.make_node("Less", ["a", "b"], ["lt"]),
                    helper.make_node("Add", ["a", "b"], ["s"])],
                   [vi("a", dt, [32]), vi("b", dt, [32])],
                   [vi("q", dt, [32]), vi("mx", dt, [32]), vi("lt", TP.BOOL, [32]),
                    vi("s", dt, [32])])
    q, mx, lt, s = run_ternc(ternc, tmp_path, m, [a, b])
    # ONNX integer Div truncates toward zero (C semantics).
    want_q = (np.trunc(a.astype(np.float64) / b.astype(np.float64))).astype(npdt)
    np.testing.assert_array_equal(q, want_q)
    np.testing.assert_array_equal(mx, np.maximum(a, b))
    np.testing.assert_array_equal(lt, a < b)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(s, (a + b).astype(npdt))


def shape_operand_model():
    """Reshape(x, shape) then Slice(starts, ends, axes) then Unsqueeze(axes): every
    shape operand a graph input."""
    return make_model(
        [helper.make_node("Reshape", ["x", "shape"], ["r"]),
         helper.make_node("Slice", ["r", "starts", "ends", "axes"], ["s"]),
         helper.make_node("Unsqueeze", ["s", "uaxes"], ["y"])],
        [vi("x", TP.FLOAT, [2, 6]), vi("shape", TP.INT64, [2]), vi("starts", TP.INT64, [1]),
         vi("ends", TP.INT64, [1]), vi("axes", TP.INT64, [1]), vi("uaxes", TP.INT64, [1])],
        [vi("y", TP.FLOAT, None)], check=False)


def shape_operand_inputs(rng, shape):
    x = rng.standard_normal((2, 6)).astype(np.float32)
    return [x, np.array(shape, np.int64), np.array([1], np.int64), np.array([3], np.int64),
            np.array([1], np.int64), np.array([0], np.int64)]


@pytest.mark.parametrize("shape", [[3, 4], [4, -1], [6, 2], [0, 6]])
def test_run_specializes_shape_operand_inputs(tmp_path, ternc, rng, shape):
    m = shape_operand_model()
    ins = shape_operand_inputs(rng, shape)
    (got,) = run_ternc(ternc, tmp_path, m, ins)
    (want,) = run_ort(m, ins)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_shape_operand_input_without_value_is_an_error(tmp_path, ternc):
    path = tmp_path / "model.onnx"
    onnx.save(shape_operand_model(), str(path))
    proc = subprocess.run([ternc, "compile", str(path), "--emit=mlir", "-o", os.devnull],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "comes from graph input 'shape'" in proc.stderr, proc.stderr
    assert "--const-input shape=@FILE.npy" in proc.stderr


def test_compile_const_input(tmp_path, ternc, rng):
    """--const-input makes the inputs constants: the library takes only x."""
    m = shape_operand_model()
    path = tmp_path / "model.onnx"
    onnx.save(m, str(path))
    ins = shape_operand_inputs(rng, [6, 2])
    names = ["shape", "starts", "ends", "axes", "uaxes"]
    extra = []
    for name, value in zip(names, ins[1:]):
        np.save(tmp_path / f"{name}.npy", value)
        extra.append(f"--const-input={name}=@{tmp_path / (name + '.npy')}")
    model = tern.compile(str(path), extra_args=extra)
    assert [t.name for t in model.inputs] == ["x"]
    (got,) = model(ins[0])
    np.testing.assert_array_equal(got, run_ort(m, ins)[0])


def test_const_input_errors_name_the_input(tmp_path, ternc):
    path = tmp_path / "model.onnx"
    onnx.save(shape_operand_model(), str(path))
    np.save(tmp_path / "s32.npy", np.array([3, 4], np.int32))
    proc = subprocess.run([ternc, "compile", str(path), "--emit=mlir", "-o", os.devnull,
                           f"--const-input=shape=@{tmp_path / 's32.npy'}"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "graph input 'shape' (--const-input): the value is INT32 but the input is " \
           "declared INT64" in proc.stderr, proc.stderr
    proc = subprocess.run([ternc, "compile", str(path), "--emit=mlir", "-o", os.devnull,
                           f"--const-input=nosuch=@{tmp_path / 's32.npy'}"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "--const-input 'nosuch': the graph has no such input" in proc.stderr, proc.stderr


def test_torch_export_without_constant_folding(tmp_path, ternc, rng):
    """torch.onnx.export(do_constant_folding=False) of the reference code's activation
    quantization writes a float64 Constant, Cast to float32, then Clip; it compiles and
    matches onnxruntime (to 1e-6) and PyTorch (to one quantization step, max|x|/127)."""
    torch = pytest.importorskip("torch")

    class Quant(torch.nn.Module):
        def forward(self, x):
            scale = 127.0 / x.abs().max(dim=-1, keepdim=True).values.clamp_(min=1e-5)
            y = (x * scale).round().clamp_(-128, 127) / scale
            return x + (y - x).detach()

    x = rng.standard_normal((3, 16)).astype(np.float32)
    path = tmp_path / "quant.onnx"
    torch.onnx.export(Quant(), (torch.from_numpy(x),), str(path), opset_version=17,
                      do_constant_folding=False, input_names=["x"], output_names=["y"])
    m = onnx.load(str(path))
    assert any(n.op_type == "Constant" and n.attribute[0].t.data_type == TP.DOUBLE
               for n in m.graph.node), "the export no longer writes a float64 constant"
    (got,) = run_ternc(ternc, tmp_path, m, [x])
    np.testing.assert_allclose(got, run_ort(m, [x])[0], rtol=0, atol=1e-6)
    want = Quant()(torch.from_numpy(x)).numpy()
    step = np.abs(x).max(axis=-1, keepdims=True) / 127
    assert np.all(np.abs(got - want) <= step * 1.0001)
