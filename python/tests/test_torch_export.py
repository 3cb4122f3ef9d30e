"""Graphs nobody here wrote (issue 13): ``torch.onnx.export`` of tern.torch models written
with the reference code's idioms, compiled by ``ternc``, fused completely and checked
against PyTorch.

The models use ``spelling="mmfreelm"``: both quantizers as the straight-through estimator
``x + (q(x) - x).detach()`` (also in eval mode, as mmfreelm's BitLinear), RMSNorm as
``x * (1 / sqrt(mean(x^2) + eps)) * w``, eps 1e-8 in every BitLinear norm and 1e-6 in
``g_norm`` and the block norms, and the lower bounds computed in the graph from the
``model.lower_bounds`` parameter (Softmax, CumSum, minus the first row, Gather).  Each is
exported with the real ``torch.onnx.export`` (opsets 13 and 17, with and without
``do_constant_folding``) as a decode step (token ids ``[B]``) and as a T-token prefill
(``[B, T]``, the recurrence unrolled by the exporter into T steps).

Asserted from ``ternc compile --report-fusion``: every BitLinear fused, every MLGRU
(the decode step as ``tern.mlgru_step``, the unrolled prefill as ``tern.mlgru_sequence``)
and every GLU fused, nothing reported unfused.

Tolerance (the quantized-model rule of test_torch.py): the compiled model sums in other
orders than PyTorch and computes ``q`` where PyTorch computes ``x + (q - x)`` (equal up to
float32 rounding), so a value an ulp from an int8 rounding boundary may land on the
neighbouring level: every logit and state within ``2e-2 * max|torch|`` and the mean error
within ``2e-3 * max|torch|``.  onnxruntime runs the exported graph's own float32 math:
within ``1e-4 * max|torch|``.
"""

import os
import re
import subprocess

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
import onnx.numpy_helper  # noqa: E402
ort = pytest.importorskip("onnxruntime")

import tern  # noqa: E402
from tern import torch as T  # noqa: E402

from _compiled import importer_gap, ternc_or_skip  # noqa: E402
from test_torch import close, close_quantized  # noqa: E402

LAYERS, D, VOCAB, INTER, BATCH, STEPS = 2, 32, 61, 64, 2, 3
BITLINEARS = 6 * LAYERS + 1  # i, f, g, o, gate_up, down per layer + lm_head


def reference_style_model(seed=0, spelling="mmfreelm"):
    cfg = T.HGRNBitConfig(vocab_size=VOCAB, hidden_size=D, num_hidden_layers=LAYERS,
                          intermediate_size=INTER, spelling=spelling)
    assert cfg.bitlinear_eps == 1e-8 and cfg.rms_norm_eps == 1e-6
    m = T.HGRNBitForCausalLM(cfg)
    m.reset_parameters(seed=seed)
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():  # non-trivial norms, lower bounds and embeddings
        for name, p in m.named_parameters():
            if name.endswith("norm.weight"):
                p.add_(0.1 * torch.randn(p.shape, generator=g))
            elif name == "model.lower_bounds":
                p.copy_(torch.randn(p.shape, generator=g))
            elif name == "model.embeddings.weight":
                p.copy_(torch.randn(p.shape, generator=g))
    return m.eval()


@pytest.fixture(scope="module")
def model():
    return reference_style_model()


def inputs(prefill: bool):
    rng = np.random.default_rng(7)
    ids = rng.integers(0, VOCAB, (BATCH, STEPS) if prefill else (BATCH,)).astype(np.int64)
    state = (rng.standard_normal((LAYERS, BATCH, D)) * 0.5).astype(np.float32)
    return ids, state


def torch_run(model, ids, state):
    with torch.no_grad():
        logits, st = model(torch.from_numpy(ids), torch.from_numpy(state))
    return logits.numpy(), st.numpy()


def export(model, path, prefill, opset, fold):
    ids, state = inputs(prefill)
    torch.onnx.export(model, (torch.from_numpy(ids), torch.from_numpy(state)), str(path),
                      opset_version=opset, do_constant_folding=fold,
                      input_names=["tokens", "state"], output_names=["logits", "state_out"])
    return ids, state


def compile_with_report(path, tmp_path, run=True):
    """``ternc compile --report-fusion``: the loaded model (None with ``run=False``: only
    the tern-level MLIR, ``--emit=mlir``, which is all the report needs) and the report's
    lines."""
    out = str(tmp_path / ("model.so" if run else "model.mlir"))
    emit = [] if run else ["--emit=mlir"]
    proc = subprocess.run([ternc_or_skip(), "compile", str(path), "--target=cpu", "-o", out,
                           "--quiet", "--report-fusion", *emit], capture_output=True, text=True)
    if proc.returncode != 0:
        gap = importer_gap(proc.stderr)
        if gap and "Cast" in gap:  # a float64 Cast of a scalar: the importer's dtype work
            pytest.xfail(gap)
        raise AssertionError(proc.stderr[-3000:])
    return (tern.api.CompiledModel(out) if run else None), proc.stderr.splitlines()


def count(report, pattern, fused=True):
    word = "fused" if fused else "not fused"
    return sum(1 for line in report if re.search(rf"remark: {pattern} {word} at ", line))


def check_fusion(report, prefill):
    unfused = [line for line in report if " not fused at " in line
               and "straight-through" not in line]
    assert not unfused, "\n".join(unfused)
    assert count(report, "BitLinear") == BITLINEARS
    mlgru = "MLGRU sequence" if prefill else "MLGRU step"
    assert count(report, mlgru) == LAYERS
    assert count(report, "GLU") == LAYERS
    # Layer 0 has no lower bound; the others fold theirs from the in-graph Softmax/CumSum.
    lines = [line for line in report if f"{mlgru} fused" in line]
    assert sum("lower bound" in line for line in lines) == LAYERS - 1
    assert all("eps = 1e-08, g_norm_eps = 1e-06" in line for line in lines), lines


# Every (opset, decode/prefill, constant folding) export is checked for complete fusion;
# the compiled logits are compared with PyTorch's for each (decode/prefill, folding) pair at
# one of the two opsets (a compile costs ~2 s of CPU; the report alone ~0.1 s).
CASES = [(opset, prefill, fold, (opset == 17) == (prefill == fold))
         for opset in (13, 17) for prefill in (False, True) for fold in (True, False)]


@pytest.mark.parametrize("opset,prefill,fold,run", CASES,
                         ids=[f"opset{o}-{'prefill' if p else 'decode'}-"
                              f"{'folded' if f else 'unfolded'}{'-run' if r else ''}"
                              for o, p, f, r in CASES])
def test_reference_style_export_fuses_and_matches_torch(tmp_path, model, opset, prefill, fold,
                                                        run):
    path = tmp_path / "model.onnx"
    ids, state = export(model, path, prefill, opset, fold)
    want_logits, want_state = torch_run(model, ids, state)
    # The exported graph itself is right (onnxruntime runs it as written).
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got_logits, got_state = sess.run(None, {"tokens": ids, "state": state})
    close(got_logits, want_logits)
    close(got_state, want_state)
    compiled, report = compile_with_report(path, tmp_path, run)
    check_fusion(report, prefill)
    if run:
        logits, st = compiled(ids, state)
        close_quantized(logits, want_logits)
        close_quantized(st, want_state)


def test_run_matrix_covers_every_mode():
    runs = {(p, f) for _, p, f, r in CASES if r}
    assert runs == {(p, f) for p in (False, True) for f in (False, True)}


def test_weights_folded_by_onnxruntime_fuse(tmp_path, model):
    """Every weight quantization fully constant-folded (onnxruntime's basic graph
    optimizations write ``w + (q(w) - w)`` as one fp32 constant, {-a, 0, +a} only up to
    rounding; the lower bounds become constants too): still every layer fuses."""
    path, folded = tmp_path / "model.onnx", tmp_path / "folded.onnx"
    ids, state = export(model, path, False, 17, True)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    opts.optimized_model_filepath = str(folded)
    ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    ops = {n.op_type for n in onnx.load(str(folded)).graph.node}
    assert "Round" in ops and "Abs" in ops  # the activations' quantization stays
    n_round = sum(n.op_type == "Round" for n in onnx.load(str(folded)).graph.node)
    assert n_round == BITLINEARS  # one per activation: every weight's Round was folded
    compiled, report = compile_with_report(folded, tmp_path)
    check_fusion(report, False)
    logits, st = compiled(ids, state)
    want_logits, want_state = torch_run(model, ids, state)
    close_quantized(logits, want_logits)
    close_quantized(st, want_state)


def test_default_tern_torch_exports_state_dependence(tmp_path):
    """tern.torch's own eval form (spelling "tern") exports a graph that reads the state
    (the in-place recurrence once froze it into a constant) and fuses like the reference."""
    m = reference_style_model(seed=1, spelling="tern")
    path = tmp_path / "model.onnx"
    ids, state = export(m, path, True, 17, True)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for st in (state, np.zeros_like(state), 2 * state):
        got_logits, got_state = sess.run(None, {"tokens": ids, "state": st})
        want_logits, want_state = torch_run(m, ids, st)
        close(got_logits, want_logits)
        close(got_state, want_state)
    compiled, report = compile_with_report(path, tmp_path)
    check_fusion(report, True)
    logits, st = compiled(ids, state)
    want_logits, want_state = torch_run(m, ids, state)
    close_quantized(logits, want_logits)
    close_quantized(st, want_state)


def test_unrolled_recurrence_with_a_foreign_step_stays_correct(tmp_path, model):
    """A near miss of the prefill: the exported recurrence is edited so that step 1 reads
    token 0's forget gate.  The projections still fuse as BitLinears; the recurrence is not
    a tern.mlgru_sequence (reported unfused) and the compiled model still computes the
    edited graph (checked against onnxruntime on the same graph)."""
    path = tmp_path / "model.onnx"
    ids, state = export(model, path, True, 17, True)
    proto = onnx.load(str(path))
    gathers = [n for n in proto.graph.node if n.op_type == "Gather"
               and n.name.startswith("/model/layers.0/attn/Gather")]
    assert len(gathers) == 2 * STEPS  # f_t and u_t for each token
    consts = {n.output[0]: n for n in proto.graph.node if n.op_type == "Constant"}

    def index_of(n):
        c = consts.get(n.input[1])
        return None if c is None else int(onnx.numpy_helper.to_array(c.attribute[0].t))
    f1 = [n for n in gathers if index_of(n) == 1]
    zero = [n.input[1] for n in gathers if index_of(n) == 0][0]
    f1[0].input[1] = zero  # one of token 1's gathers now reads token 0
    edited = tmp_path / "edited.onnx"
    onnx.save(proto, str(edited))
    sess = ort.InferenceSession(str(edited), providers=["CPUExecutionProvider"])
    want_logits, want_state = sess.run(None, {"tokens": ids, "state": state})
    compiled, report = compile_with_report(edited, tmp_path)
    assert count(report, "BitLinear") == BITLINEARS
    assert count(report, "MLGRU sequence") == LAYERS - 1
    assert count(report, "MLGRU step", fused=False) + \
        count(report, "MLGRU sequence", fused=False) >= 1
    logits, st = compiled(ids, state)
    close_quantized(logits, want_logits)
    close_quantized(st, want_state)
