"""onnxruntime running every standard-op form (1, 2a, 2b, 3, 5) and, through
tern.onnx_expand, the custom-op form 4, against tern.reference.

Tolerances: float-only graphs rtol 1e-4 (ORT's Tanh/Sigmoid/Exp are vectorized
approximations a few ulp off); integer quantization paths exact; quantized outputs within
each case's ``Built`` tolerance plus a tight median check (see ``_ort.assert_matches``).
"""

import json
import os

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import onnx  # noqa: E402

from tern import onnx_models as M  # noqa: E402
from tern import reference as R  # noqa: E402
from tern.onnx_expand import expand_tern_ops  # noqa: E402

from _ort import assert_matches, run, run_built  # noqa: E402

F32 = np.float32
ALT = M.Spelling(div="recip", clip="maxmin", linear="gemm", square="mul")
SPELLINGS = [M.Spelling(), ALT, M.Spelling(linear="matmul_kn"),
             M.Spelling(div="recip", clip="clip", linear="matmul_t", square="pow")]


def _opset_of(model):
    return {o.domain: o.version for o in model.opset_import}[""]


# ---------------------------------------------------------------------------------------------
# Form 1
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("opset", [13, 17, 19])
def test_float_mlp(opset):
    b = M.build_float_mlp(opset)
    assert _opset_of(b.model) == opset
    M.check(b.model)
    got = run_built(b)
    np.testing.assert_allclose(got["y"], b.expected()["y"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["y"].sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("opset", [13, 17, 18])
def test_float_ops(opset):
    b = M.build_float_ops(opset)
    M.check(b.model)
    used = {n.op_type for n in b.model.graph.node}
    assert {"Gather", "Shape", "Reshape", "Split", "Where", "Equal", "Cast", "Constant",
            "Squeeze", "ReduceSum", "ReduceMax", "ReduceMean"} <= used
    got = run_built(b)
    exp = b.expected()
    for k in ("y1", "y2"):
        np.testing.assert_allclose(got[k], exp[k], rtol=1e-4, atol=1e-6)


def test_float_ops_other_inputs():
    b = M.build_float_ops()
    inputs = {"x": np.linspace(-3, 3, 48, dtype=F32).reshape(2, 3, 8),
              "ids": np.array([0, 9], np.int64)}
    got = run_built(b, inputs)
    exp = b.expected(inputs)
    for k in ("y1", "y2"):
        np.testing.assert_allclose(got[k], exp[k], rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Quantization: integer paths exact
# ---------------------------------------------------------------------------------------------

def _act_inputs():
    x = np.zeros((6, 8), F32)
    x[0] = np.random.default_rng(0).standard_normal(8) * 3
    x[1] = 0.0                                                   # all-zero token: clamp
    x[2] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, 127.0]       # exact ties at s = 1
    x[3] = [1e30, -3e38, 2e37, 0, 1, -1, 5e37, 7e36]             # huge
    x[4] = [1e-7, -1e-7, 4e-6, 0, 0, 0, 0, 0]                    # tiny: scale floor
    x[5] = np.arange(8) - 3.5
    return x


@pytest.mark.parametrize("clip", ["clip", "maxmin"])
@pytest.mark.parametrize("opset", [13, 18])
def test_act_quant_exact(clip, opset):
    b = M.build_act_quant(opset, shape=(6, 8), spelling=M.Spelling(clip=clip))
    got = run_built(b, {"x": _act_inputs()})
    exp = b.expected({"x": _act_inputs()})
    # Div/Mul/Round/Clip are exact IEEE ops and ORT's Round is half-to-even like np.rint.
    np.testing.assert_array_equal(got["q"], exp["q"])
    np.testing.assert_array_equal(got["s_x"], exp["s_x"])
    assert got["q"][2].tolist() == [0, 2, 2, 0, -2, -2, 126, 127]


def test_act_quant_reciprocal_spelling_within_one_level():
    # 127 * (1/m) may differ from 127 / m in the last ulp: at most a one-level change.
    b = M.build_act_quant(shape=(64, 96), spelling=M.Spelling(div="recip"))
    got = run_built(b)
    exp = b.expected()
    diff = np.abs(got["q"] - exp["q"])
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
    np.testing.assert_allclose(got["s_x"], exp["s_x"], rtol=2e-7)


@pytest.mark.parametrize("spelling", [M.Spelling(), ALT], ids=lambda s: s.tag)
def test_weight_quant_exact_and_edges(spelling):
    b = M.build_weight_quant(shape=(4, 4), spelling=spelling)
    cases = [(np.random.default_rng(3).standard_normal((4, 4)) * 0.02).astype(F32),
             np.zeros((4, 4), F32),                                    # all zero: clamp
             np.full((4, 4), 1e-7, F32),                               # tiny: clamp
             np.array([[0.5, 1.5, -0.5, -1.5], [1.25, -1.0, 0.25, -1.5]] * 2, F32),  # ties
             np.array([[1e30, -1e30, 1e28, 0]] * 4, F32)]              # huge
    for w in cases:
        got = run_built(b, {"w": w})
        exp = b.expected({"w": w})
        np.testing.assert_array_equal(got["wt"], exp["wt"])
        np.testing.assert_allclose(got["s_w"], exp["s_w"], rtol=1e-6)
    got = run_built(b, {"w": cases[3]})
    assert got["wt"].tolist()[0] == [0, 1, 0, -1]  # half-to-even in ORT too


# ---------------------------------------------------------------------------------------------
# BitLinear: forms 2a, 2b, 3, 4
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", SPELLINGS, ids=lambda s: s.tag)
@pytest.mark.parametrize("with_norm", [True, False])
def test_bitlinear_latent_spellings(spelling, with_norm):
    b = M.build_bitlinear(storage="latent", spelling=spelling, with_norm=with_norm,
                          expose_quant=True, d_in=67, d_out=29, batch=5)
    M.check(b.model)
    got = run_built(b)
    exp = b.expected()
    np.testing.assert_array_equal(got["wt"], exp["wt"])
    np.testing.assert_allclose(got["s_w"], exp["s_w"], rtol=1e-6)
    flips = got["xq"] != exp["xq"]
    if not with_norm and spelling.div == "div":
        assert not flips.any()  # every op on this path is exact
    else:
        assert np.abs(got["xq"] - exp["xq"]).max(initial=0) <= 1 and flips.mean() < 5e-3
    assert_matches(b, got, exp)


@pytest.mark.parametrize("storage", ["folded", "int8_dql", "int8_cast"])
@pytest.mark.parametrize("spelling", [M.Spelling(), ALT, M.Spelling(linear="matmul_kn")],
                         ids=lambda s: s.tag)
def test_bitlinear_pre_quantized_storages(storage, spelling):
    b = M.build_bitlinear(storage=storage, spelling=spelling)
    M.check(b.model)
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in b.model.graph.initializer}
    weights = [v for k, v in inits.items() if k.startswith("weight")]
    if storage == "folded":  # values {-a, 0, +a}
        vals = np.unique(np.abs(weights[0]))
        assert len(vals) == 2 and vals[0] == 0
        assert not any(n.op_type == "Round" and "weight" in n.input[0]
                       for n in b.model.graph.node)
    else:
        q = next(v for v in weights if v.dtype == np.int8 and v.ndim == 2)
        assert set(np.unique(q).tolist()) == {-1, 0, 1}
        op = "DequantizeLinear" if storage == "int8_dql" else "Cast"
        assert any(n.op_type == op for n in b.model.graph.node)
    assert_matches(b, run_built(b))


@pytest.mark.parametrize("opset", [13, 15, 17, 18, 19])
def test_bitlinear_opsets(opset):
    b = M.build_bitlinear(opset, storage="latent", spelling=ALT)
    assert _opset_of(b.model) == opset
    checked = M.check(b.model)
    assert checked == (opset <= onnx.defs.onnx_opset_version())
    reduces = [n for n in b.model.graph.node if n.op_type in ("ReduceMean", "ReduceMax")]
    axes_as_input = [len(n.input) == 2 for n in reduces if n.op_type == "ReduceMax"]
    assert all(axes_as_input) if opset >= 18 else not any(axes_as_input)
    assert_matches(b, run_built(b))


def test_bitlinear_sequence_input_and_odd_sizes():
    b = M.build_bitlinear(seq=3, batch=2, d_in=1, d_out=3, storage="latent")
    assert_matches(b, run_built(b))
    b = M.build_bitlinear(seq=4, batch=1, d_in=129, d_out=7, storage="int8_dql")
    assert_matches(b, run_built(b))


def test_bitlinear_edge_inputs():
    b = M.build_bitlinear(storage="latent", with_norm=False, batch=3, d_in=16, d_out=8)
    x = np.zeros((3, 16), F32)
    x[1] = 1e30       # huge: one quantization level everywhere
    x[2, 5] = -3e38
    got = run_built(b, {"x": x})
    exp = b.expected({"x": x})
    np.testing.assert_array_equal(got["y"][0], 0)
    assert np.all(np.isfinite(got["y"]))
    # ORT dequantizes before its float MatMul, so terms that cancel exactly in the integer
    # accumulation leave fp32 residue of ~1e-7 of the row's magnitude.
    for r in range(3):
        np.testing.assert_allclose(got["y"][r], exp["y"][r], rtol=1e-5,
                                   atol=1e-6 * np.abs(exp["y"][r]).max())


def test_bitlinear_all_zero_weight():
    b = M.build_bitlinear(storage="latent", d_in=16, d_out=8)
    m = onnx.ModelProto()
    m.CopyFrom(b.model)
    for t in m.graph.initializer:
        if t.name == "weight":
            t.CopyFrom(onnx.numpy_helper.from_array(np.zeros((8, 16), F32), "weight"))
    got = run(m, b.inputs)
    np.testing.assert_array_equal(got["y"], 0)
    np.testing.assert_array_equal(R.bitlinear(b.inputs["x"], np.zeros((8, 16), F32),
                                              b.params["norm.weight"]), 0)


@pytest.mark.parametrize("wf", ["latent", "ternary"])
def test_bitlinear_custom_op(wf):
    b = M.build_bitlinear(storage="custom", custom_weight_form=wf)
    M.check(b.model)
    nodes = b.model.graph.node
    assert [n.op_type for n in nodes] == ["BitLinear", "Identity"] and nodes[0].domain == "tern"
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in nodes[0].attribute}
    assert attrs == {"eps": pytest.approx(1e-6), "act_bits": 8, "weight_form": wf.encode()}
    assert {"domain": "tern", "version": 1} in [{"domain": o.domain, "version": o.version}
                                                 for o in b.model.opset_import]
    expanded = expand_tern_ops(b.model)
    assert all(n.domain == "" for n in expanded.graph.node)
    M.check(expanded)
    assert_matches(b, run_built(b))
    # Another spelling of the expansion computes the same thing.
    assert_matches(b, run(expand_tern_ops(b.model, ALT), b.inputs))


# ---------------------------------------------------------------------------------------------
# GLU, RMSNorm
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("storage", ["latent", "folded", "int8_cast"])
def test_glu_standard(storage):
    b = M.build_glu(storage=storage, d=48, intermediate=80)
    M.check(b.model)
    assert_matches(b, run_built(b))


@pytest.mark.parametrize("wf", ["latent", "ternary"])
@pytest.mark.parametrize("opset", [13, 18])
def test_glu_custom(wf, opset):
    b = M.build_glu(opset, storage="custom", custom_weight_form=wf)
    assert [n.op_type for n in b.model.graph.node][0] == "GLU"
    assert_matches(b, run_built(b))


def test_rmsnorm_custom():
    b = M.build_rmsnorm_custom()
    M.check(b.model)
    np.testing.assert_allclose(run_built(b)["y"], b.expected()["y"], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# MLGRU: form 5 (step and Scan) and form 4
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["released", "paper"])
@pytest.mark.parametrize("storage", ["latent", "folded", "int8_dql"])
@pytest.mark.parametrize("lb", [True, False])
def test_mlgru_step(variant, storage, lb):
    b = M.build_mlgru_step(variant=variant, storage=storage, with_lower_bound=lb)
    M.check(b.model)
    ops = {n.op_type for n in b.model.graph.node}
    assert "Sigmoid" in ops and not any(n.domain for n in b.model.graph.node)
    assert_matches(b, run_built(b))


def test_mlgru_step_detects_wrong_variant():
    # Negative control: the comparison must reject a model of the other variant.
    rel = M.build_mlgru_step(variant="released")
    pap = M.build_mlgru_step(variant="paper")
    got = run_built(rel)
    with pytest.raises(AssertionError):
        assert_matches(pap, got)


@pytest.mark.parametrize("variant", ["released", "paper"])
@pytest.mark.parametrize("storage,opset", [("latent", 17), ("int8_cast", 13), ("folded", 19)])
def test_mlgru_scan(variant, storage, opset):
    b = M.build_mlgru_scan(opset, variant=variant, storage=storage, seq=6)
    M.check(b.model)
    scan = [n for n in b.model.graph.node if n.op_type == "Scan"]
    assert len(scan) == 1
    body = onnx.helper.get_attribute_value(scan[0].attribute[0])
    # Weight preparation is hoisted out of the loop: the body has no Round on weights and
    # no initializers of its own.
    assert len(body.initializer) == 0
    assert sum(n.op_type == "Round" for n in body.node) == 4  # one activation quant per BL
    assert_matches(b, run_built(b))
    # The Scan over T steps equals T reference decode steps with the same weights.
    got = run_built(b)
    state = b.inputs["h0"]
    for t in range(b.inputs["x"].shape[0]):
        y, state = _ref_step(b, variant, b.inputs["x"][t], state)
        np.testing.assert_allclose(got["y"][t], y, rtol=1e-4, atol=5e-3 * np.abs(y).max())
    np.testing.assert_allclose(got["h_out"], state, rtol=1e-4, atol=5e-3 * np.abs(state).max())


def _ref_step(b, variant, x, h):
    lb = next((onnx.numpy_helper.to_array(t) for t in b.model.graph.initializer
               if t.name == "lower_bound"), None)
    return R.mlgru_step(x, h, b.params, variant, lb)


@pytest.mark.parametrize("mode", ["step", "sequence"])
@pytest.mark.parametrize("wf", ["latent", "ternary"])
@pytest.mark.parametrize("variant", ["released", "paper"])
def test_mlgru_custom(mode, wf, variant):
    build = M.build_mlgru_step if mode == "step" else M.build_mlgru_scan
    b = build(variant=variant, storage="custom", custom_weight_form=wf)
    M.check(b.model)
    node = b.model.graph.node[0]
    assert node.domain == "tern" and node.op_type == "MLGRU"
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    assert attrs["mode"] == mode.encode() and attrs["variant"] == variant.encode()
    assert_matches(b, run_built(b))


# ---------------------------------------------------------------------------------------------
# Custom-op specification and expander
# ---------------------------------------------------------------------------------------------

def test_custom_op_doc_matches_spec():
    doc = open(os.path.join(os.path.dirname(M.__file__), "ONNX_CUSTOM_OPS.md")).read()
    for op, inputs in M.CUSTOM_OP_INPUTS.items():
        assert f"## tern.{op}" in doc
        section = doc.split(f"## tern.{op}")[1].split("\n## ")[0]
        for name in inputs:
            assert f"`{name}`" in section, (op, name)
        for attr in M.CUSTOM_OP_ATTRS[op]:
            assert f"`{attr}`" in section, (op, attr)
        assert op in M.CUSTOM_OPS_SPEC


def _bitlinear_node_model(inputs, **attrs):
    gb = M.GraphBuilder()
    x = gb.add_input("x", F32, [2, 4])
    w = gb.init(np.eye(3, 4, dtype=F32), "w")
    names = {"X": x, "W": w}
    names.update(inputs(gb))
    y = gb.node("BitLinear", [names.get(k) or "" for k in M.CUSTOM_OP_INPUTS["BitLinear"]],
                domain="tern", **attrs)
    gb.add_output(y, "y", F32, [2, 3])
    return gb.make_model("t")


def test_expander_rejects_bad_nodes():
    with pytest.raises(ValueError, match="unknown attribute"):
        expand_tern_ops(_bitlinear_node_model(lambda gb: {}, epsilon=1e-6))
    with pytest.raises(ValueError, match="scale"):
        expand_tern_ops(_bitlinear_node_model(lambda gb: {}, weight_form="ternary"))
    with pytest.raises(ValueError, match="weight_form"):
        expand_tern_ops(_bitlinear_node_model(lambda gb: {}, weight_form="packed"))
    with pytest.raises(ValueError, match="required"):
        M.emit_tern(M.GraphBuilder(), "GLU", {"X": "x", "W_gu": "w"})


def test_expander_optional_input_in_the_middle():
    # norm_weight left as "" while w_scale is given.
    m = _bitlinear_node_model(
        lambda gb: {"w_scale": gb.init(np.asarray(1.0, F32), "s")}, weight_form="ternary")
    assert list(m.graph.node[0].input) == ["x", "w", "", "s"]
    x = np.array([[1.0, -2.0, 3.0, 0.5], [0.0, 0.0, 0.0, 0.0]], F32)
    got = run(m, {"x": x})
    exp = R.bitlinear(x, np.eye(3, 4, dtype=np.int8), None, w_is_ternary=True, w_scale=1.0)
    np.testing.assert_allclose(got["y"], exp, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Full model decode step
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("storage,wf,opset", [("latent", "latent", 17), ("folded", "latent", 13),
                                              ("int8_dql", "latent", 19),
                                              ("int8_cast", "latent", 17),
                                              ("custom", "latent", 17),
                                              ("custom", "ternary", 18)])
def test_model_step(storage, wf, opset):
    b = M.build_model_step(opset=opset, storage=storage, custom_weight_form=wf, batch=3)
    M.check(b.model)
    assert [i.name for i in b.model.graph.input] == ["tokens", "state"]
    assert b.output_names() == ["logits", "state_out"]
    assert_matches(b, run_built(b))


def test_model_step_paper_variant_and_ort_optimizations():
    p = R.random_params(48, 3, 96, seed=7, intermediate=128, variant="paper")
    b = M.build_model_step(p, storage="latent", spelling=ALT)
    assert_matches(b, run_built(b, optimize=True))


def test_model_decode_loop_matches_reference_sequence():
    # Feed state_out back for several tokens: the ONNX decode loop equals the reference run
    # over the whole sequence (state semantics, not just one step).
    p = R.random_params(32, 2, 64, seed=11, intermediate=96)
    b = M.build_model_step(p, storage="int8_dql", batch=2)
    ids = np.random.default_rng(5).integers(0, 64, size=(6, 2)).astype(np.int64)
    logits_ref, final_ref = R.model_sequence(ids, None, p)
    state = R.init_states(p.config, 2)
    for t in range(ids.shape[0]):
        out = run_built(b, {"tokens": ids[t], "state": state})
        state = out["state_out"]
        scale = np.abs(logits_ref[t]).max()
        np.testing.assert_allclose(out["logits"], logits_ref[t], rtol=1e-3, atol=5e-3 * scale)
    np.testing.assert_allclose(state, final_ref, rtol=1e-3, atol=5e-3 * np.abs(final_ref).max())


def test_bad_opset_and_storage():
    with pytest.raises(ValueError):
        M.build_float_mlp(12)
    with pytest.raises(ValueError):
        M.build_bitlinear(storage="int4")
    with pytest.raises(ValueError):
        M.Spelling(div="shift")


# ---------------------------------------------------------------------------------------------
# Saving, external data, command line
# ---------------------------------------------------------------------------------------------

def test_external_data(tmp_path):
    b = M.build_glu(storage="latent")
    path = str(tmp_path / "glu.onnx")
    M.save_model(b.model, path, external_data=True, size_threshold=256)
    assert os.path.getsize(path + ".data") > 2 * 48 * 32 * 4 // 2
    assert os.path.getsize(path) < os.path.getsize(path + ".data")
    assert any(t.data_location == onnx.TensorProto.EXTERNAL
               for t in onnx.load(path, load_external_data=False).graph.initializer)
    assert b.model.graph.initializer[0].data_location != onnx.TensorProto.EXTERNAL
    from _ort import session
    s = session(path)
    got = dict(zip([o.name for o in s.get_outputs()], s.run(None, b.inputs)))
    assert_matches(b, got)


def test_cli_writes_cases_that_ort_reproduces(tmp_path):
    out = str(tmp_path / "cases")
    assert M.main([out, "--opset", "17", "--seed", "3"]) == 0
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    names = [c["name"] for c in manifest["cases"]]
    assert len(names) == len(M.default_cases()) and len(set(names)) == len(names)
    assert {c["form"] for c in manifest["cases"]} >= {"1", "2a", "2b", "3", "4", "5"}
    for name in names:
        d = os.path.join(out, name)
        meta = json.load(open(os.path.join(d, "meta.json")))
        inputs = {i["name"]: np.load(os.path.join(d, "inputs", i["name"] + ".npy"))
                  for i in meta["inputs"]}
        for i in meta["inputs"]:
            assert str(inputs[i["name"]].dtype) == i["dtype"]
        model = onnx.load(os.path.join(d, "model.onnx"))
        got = run(model, inputs)
        for o in meta["outputs"]:
            exp = np.load(os.path.join(d, "expected", o["name"] + ".npy"))
            assert list(exp.shape) == o["shape"]
            err = np.abs(got[o["name"]] - exp)
            assert np.all(err <= o["atol"] + o["rtol"] * np.abs(exp)), (name, o["name"])


def test_cli_only_and_errors(tmp_path, capsys):
    out = str(tmp_path / "few")
    assert M.main([out, "--only", "float_mlp", "bitlinear_custom_ternary", "--opset", "13"]) == 0
    assert sorted(os.listdir(out)) == ["bitlinear_custom_ternary", "float_mlp", "manifest.json"]
    with pytest.raises(SystemExit):
        M.main([out, "--only", "nope"])
    with pytest.raises(SystemExit):
        M.main([out, "--opset", "11"])
