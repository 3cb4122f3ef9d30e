"""tern.export: ONNX decode-step and sequence models in both spellings (standard ops and
Tern's custom ops), run by onnxruntime and by Tern's compiled code, against PyTorch.

Tolerances (the quantized-model rule of test_torch.py): onnxruntime runs the very same
float32 math as PyTorch's eval mode, so its logits and states agree within
``1e-4 * max|torch|`` elementwise.  Compiled code sums in other orders, so a value an ulp
from an int8 rounding boundary may land on the neighbouring level: every element within
``2e-2 * max|torch|`` and the mean error within ``2e-3 * max|torch|``.
"""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from tern import export as E  # noqa: E402
from tern import onnx_models as M  # noqa: E402

from _compiled import compile_or_xfail  # noqa: E402
from test_torch import byte_model, close, close_quantized, tiny_model  # noqa: E402

FORMS = [("standard", "ternary"), ("standard", "latent"), ("custom", "ternary"),
         ("custom", "latent")]
IDS = np.array([[3, 7], [11, 0], [60, 5], [2, 2], [41, 9]])  # [T, B]


@pytest.fixture(scope="module")
def model():
    return tiny_model(seed=3)


@pytest.fixture(scope="module")
def state0():
    return (np.random.default_rng(0).standard_normal((2, 2, 32)) * 0.5).astype(np.float32)


def torch_step(model, tokens, state):
    with torch.no_grad():
        lg, st = model.step(torch.from_numpy(tokens), torch.from_numpy(state))
    return lg.numpy(), st.numpy()


def torch_sequence(model, ids_tb, state):
    with torch.no_grad():
        lg, st = model(torch.from_numpy(ids_tb.T.copy()), torch.from_numpy(state))
    return lg.numpy().transpose(1, 0, 2), st.numpy()


def op_domains(proto):
    return {n.domain for n in proto.graph.node}


@pytest.mark.parametrize("ops,weights", FORMS)
def test_step_export_runs_in_onnxruntime(model, state0, ops, weights):
    proto = E.export_step(model, ops=ops, weights=weights, batch=2)
    M.check(proto)
    if ops == "custom":
        assert op_domains(proto) == {"", "tern"}
        assert {n.op_type for n in proto.graph.node if n.domain == "tern"} == \
            {"RMSNorm", "MLGRU", "GLU", "BitLinear"}
    else:
        assert op_domains(proto) == {""}
    inits = {i.name: i for i in proto.graph.initializer}
    w = [i for n, i in inits.items() if "i_proj.weight" in n]
    assert w and w[0].data_type == (onnx.TensorProto.INT8 if weights == "ternary"
                                    else onnx.TensorProto.FLOAT)
    got = E.run_onnxruntime(proto, {"tokens": IDS[0], "state": state0})
    want_logits, want_state = torch_step(model, IDS[0], state0)
    close(got["logits"], want_logits)
    close(got["state_out"], want_state)


@pytest.mark.parametrize("ops,weights", FORMS)
def test_sequence_export_runs_in_onnxruntime(model, state0, ops, weights):
    proto = E.export_sequence(model, ops=ops, weights=weights, batch=None)
    M.check(proto)
    kinds = {n.op_type for n in proto.graph.node}
    assert ("MLGRU" in kinds) == (ops == "custom") and ("Scan" in kinds) == (ops != "custom")
    got = E.run_onnxruntime(proto, {"tokens": IDS, "state": state0})
    want_logits, want_state = torch_sequence(model, IDS, state0)
    close(got["logits"], want_logits)
    close(got["state_out"], want_state)


def test_export_signature_and_metadata(model):
    proto = E.export_step(model, tokenizer="bytes")
    dims = {vi.name: [d.dim_value or d.dim_param for d in vi.type.tensor_type.shape.dim]
            for vi in list(proto.graph.input) + list(proto.graph.output)}
    assert dims == {"tokens": [1], "state": [2, 1, 32], "logits": [1, 61],
                    "state_out": [2, 1, 32]}
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta[E.META_KIND] == "decode_step" and meta[E.META_TOKENIZER] == "bytes"
    assert json.loads(meta[E.META_CONFIG])["hidden_size"] == 32
    seq = E.export_sequence(model, batch=None)
    dims = {vi.name: [d.dim_value or d.dim_param for d in vi.type.tensor_type.shape.dim]
            for vi in seq.graph.input}
    assert dims == {"tokens": ["T", "B"], "state": [2, "B", 32]}


def test_export_rejects_bad_arguments(model):
    with pytest.raises(ValueError, match="ops"):
        E.export_step(model, ops="fancy")
    with pytest.raises(ValueError, match="folded"):
        E.export_step(model, ops="custom", weights="folded")
    with pytest.raises(ValueError, match="batch"):
        E.export_step(model, batch=0)
    with pytest.raises(TypeError):
        E.export_step(42)


def test_export_command_line_from_released_checkpoint(tmp_path, model, capsys):
    ckpt = tmp_path / "ckpt"
    model.save_pretrained(str(ckpt))
    out = tmp_path / "model.onnx"
    assert E.main([str(ckpt), "-o", str(out), "--ops", "custom", "--tokenizer", "bytes"]) == 0
    assert "decode step" in capsys.readouterr().out
    proto = onnx.load(str(out))
    assert "tern" in op_domains(proto)
    got = E.run_onnxruntime(proto, {"tokens": IDS[0][:1],
                                    "state": np.zeros((2, 1, 32), np.float32)})
    want, _ = torch_step(model, IDS[0][:1], np.zeros((2, 1, 32), np.float32))
    close(got["logits"], want)
    assert E.main([str(ckpt), "-o", str(out), "--sequence", "--weights", "latent"]) == 0
    assert E.main([str(tmp_path / "none"), "-o", str(out)]) == 1
    assert "error" in capsys.readouterr().err


# --- compiled by ternc ------------------------------------------------------------------------
# Batch 1 (what decoding uses) on the shared byte model, so test_generation reuses the
# compiled artifacts.

@pytest.fixture(scope="module")
def bmodel():
    return byte_model()


@pytest.fixture(scope="module")
def bstate():
    return (np.random.default_rng(1).standard_normal((2, 1, 32)) * 0.5).astype(np.float32)


@pytest.mark.parametrize("ops,weights", [("standard", "ternary"), ("standard", "latent"),
                                         ("custom", "ternary")])
def test_compiled_step_matches_torch(tmp_path, bmodel, bstate, ops, weights):
    path = tmp_path / "step.onnx"
    E.export_step(bmodel, str(path), ops=ops, weights=weights)
    compiled = compile_or_xfail(path)
    for t in IDS[:, 0]:
        tok = np.array([t], np.int64)
        logits, state = compiled(tok, bstate)
        want_logits, want_state = torch_step(bmodel, tok, bstate)
        close_quantized(logits, want_logits)
        close_quantized(state, want_state)


@pytest.mark.parametrize("ops", ["standard", "custom"])
def test_compiled_sequence_matches_torch(tmp_path, bmodel, bstate, ops):
    path = tmp_path / "seq.onnx"
    E.export_sequence(bmodel, str(path), ops=ops)
    ids = IDS[:, :1]
    compiled = compile_or_xfail(path, f"--dim=T={ids.shape[0]}")
    logits, state = compiled(ids.astype(np.int64), bstate)
    want_logits, want_state = torch_sequence(bmodel, ids, bstate)
    close_quantized(logits, want_logits)
    close_quantized(state, want_state)


def test_compiled_custom_mlgru_with_released_eps(tmp_path, state0, model):
    """mmfreelm's own eps values (BitLinear norms 1e-8, g_norm 1e-6) through tern.MLGRU:
    the tern.mlgru op has a single eps, so the importer may reject this (xfail, quoting it)."""
    path = tmp_path / "step.onnx"
    E.export_step(model, str(path), ops="custom", batch=2)
    compiled = compile_or_xfail(path)
    logits, _ = compiled(IDS[0].astype(np.int64), state0)
    close_quantized(logits, torch_step(model, IDS[0], state0)[0])


@pytest.mark.parametrize("ops", ["standard", "custom"])
def test_paper_variant_without_lower_bound_exports(ops):
    """The paper's MLGRU gating (sigmoid(g) * h, no g_norm) and no lower bounds."""
    m = tiny_model(seed=6, variant="paper", use_lower_bound=False)
    assert "model.layers.0.attn.g_norm.weight" not in m.state_dict()
    st = (np.random.default_rng(2).standard_normal((2, 2, 32)) * 0.5).astype(np.float32)
    got = E.run_onnxruntime(E.export_step(m, ops=ops, batch=2), {"tokens": IDS[0], "state": st})
    want_logits, want_state = torch_step(m, IDS[0], st)
    close(got["logits"], want_logits)
    close(got["state_out"], want_state)
    got = E.run_onnxruntime(E.export_sequence(m, ops=ops, batch=None), {"tokens": IDS,
                                                                        "state": st})
    want_logits, want_state = torch_sequence(m, IDS, st)
    close(got["logits"], want_logits)
    close(got["state_out"], want_state)
