"""Every ONNX form of DESIGN.md ("What ONNX graphs look like") compiled by ``ternc`` and run
on the CPU, against :mod:`tern.reference` (the cases of :func:`tern.onnx_models.default_cases`:
plain float graphs, BitLinear with the quantization in the graph (Div/Reciprocal, Clip/Max+Min,
MatMul/Gemm/transposed), folded {-a,0,a} weights, int8 weights through DequantizeLinear and
Cast+Mul, tern custom-domain ops, MLGRU steps and Scan sequences, full decode steps).

Tolerance: each case's own (``|got - want| <= atol_rel * max|want| + rtol * |want|``, stated
in onnx_models.Built). The fusion report must show the BitLinear layers as tern ops.
"""

import os
import subprocess

import numpy as np
import onnx
import pytest

import tern
from tern import onnx_models as OM

CASES = OM.default_cases()


def dim_args(case):
    """--dim NAME=N for each symbolic input dimension, from the case's own inputs."""
    args = {}
    for vi in case.model.graph.input:
        if vi.name not in case.inputs:
            continue
        for i, d in enumerate(vi.type.tensor_type.shape.dim):
            if d.dim_param:
                args[d.dim_param] = case.inputs[vi.name].shape[i]
    return [f"--dim={k}={v}" for k, v in sorted(args.items())]


@pytest.fixture(scope="module")
def ternc():
    try:
        return tern.api.find_ternc()
    except tern.TernError as e:
        pytest.skip(str(e))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_onnx_form_runs_like_reference(tmp_path, ternc, case):
    path = tmp_path / "model.onnx"
    onnx.save(case.model, str(path))
    model = tern.compile(str(path), extra_args=dim_args(case))
    names = [vi.name for vi in case.model.graph.input if vi.name in case.inputs]
    outs = model(*[case.inputs[n] for n in names])
    expected = case.expected()
    for name, got in zip(case.output_names(), outs):
        want = expected[name]
        assert got.shape == want.shape, name
        tol = case.atol(want) + case.rtol * np.abs(want)
        err = np.abs(got.astype(np.float64) - want)
        assert np.all(err <= tol), f"{name}: {(err > tol).sum()} of {want.size} beyond tolerance, " \
                                   f"max error {err.max():.3g}"


def test_ternc_run_binds_symbolic_dims_from_inputs(tmp_path, ternc):
    """`ternc run` takes batch/sequence sizes from the given arrays (no --dim needed)."""
    case = next(c for c in CASES if c.name == "bitlinear_latent_div_clip_matmul_t_pow")
    path = tmp_path / "model.onnx"
    onnx.save(case.model, str(path))
    x = case.inputs["x"]
    np.save(tmp_path / "x.npy", x)
    subprocess.run([ternc, "run", str(path), "--quiet", f"--input=@{tmp_path / 'x.npy'}",
                    f"--output=@{tmp_path / 'y.npy'}"], check=True)
    want = case.expected()[case.output_names()[0]]
    got = np.load(tmp_path / "y.npy")
    assert np.all(np.abs(got - want) <= case.atol(want) + case.rtol * np.abs(want))


@pytest.mark.parametrize("name", ["bitlinear_latent_div_clip_matmul_t_pow",
                                  "bitlinear_int8_dql_div_clip_matmul_t_pow",
                                  "bitlinear_custom_ternary", "glu_latent_div_clip_matmul_t_pow",
                                  "model_step_latent"])
def test_fusion_report_shows_ternary_layers(tmp_path, ternc, name):
    case = next(c for c in CASES if c.name == name)
    path = tmp_path / "model.onnx"
    onnx.save(case.model, str(path))
    proc = subprocess.run([ternc, "compile", str(path), "--emit=mlir", "--mlir-stage=tern",
                           "--report-fusion", "-o", str(tmp_path / "m.mlir"), *dim_args(case)],
                          capture_output=True, text=True, check=True)
    text = (tmp_path / "m.mlir").read_text()
    assert "tern.bitlinear" in text or "tern.glu" in text or "tern.mlgru" in text, text[:2000]
    assert "fused" in proc.stderr.lower(), proc.stderr[:2000]
