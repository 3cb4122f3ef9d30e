"""Text generation: tern.generate over onnxruntime and over Tern's compiled code against the
PyTorch reference generator (tern.torch.generate), token for token; the bundled model;
the API's input checks on exported models."""

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

import tern  # noqa: E402
from tern import export as E  # noqa: E402
from tern import generation as G  # noqa: E402
from tern import torch as T  # noqa: E402

from _compiled import compile_or_xfail  # noqa: E402
from test_torch import byte_model as shared_byte_model  # noqa: E402
from test_torch import tiny_model  # noqa: E402

BUNDLED = G.BUNDLED_MODEL_DIR
PROMPT = [5, 17, 33, 2]


@pytest.fixture(scope="module")
def byte_model():
    """A random byte-level model (vocab 256), so text prompts work (shared with
    test_export.py, so the compiled artifacts are too)."""
    return shared_byte_model()


@pytest.fixture(scope="module")
def step_path(tmp_path_factory, byte_model):
    path = tmp_path_factory.mktemp("gen") / "step.onnx"
    E.export_step(byte_model, str(path), ops="standard", weights="ternary")
    return str(path)


@pytest.mark.parametrize("ops", ["standard", "custom"])
def test_onnxruntime_greedy_equals_torch(tmp_path, byte_model, ops):
    path = tmp_path / "m.onnx"
    E.export_step(byte_model, str(path), ops=ops)
    got = tern.generate(G.OnnxRuntimeModel(str(path)), PROMPT, 40)
    assert got == T.generate(byte_model, PROMPT, 40)


def test_onnxruntime_sampling_equals_torch(step_path, byte_model):
    m = G.OnnxRuntimeModel(step_path)
    for seed in (0, 1):
        got = tern.generate(m, PROMPT, 30, temperature=0.9, top_k=20, seed=seed)
        assert got == T.generate(byte_model, PROMPT, 30, temperature=0.9, top_k=20, seed=seed)


def test_text_prompt_streams(step_path, byte_model):
    pieces = []
    text = tern.generate(G.OnnxRuntimeModel(step_path), "Hi", 12, stream=pieces.append)
    assert "".join(pieces) == text
    want = T.generate(byte_model, list(b"Hi"), 12)
    assert text == bytes(want).decode("utf-8", errors="replace")


def test_generate_rejects_bad_models_and_prompts(tmp_path, step_path):
    m = G.OnnxRuntimeModel(step_path)
    with pytest.raises(ValueError, match="non-empty"):
        tern.generate(m, "", 3)
    small = tiny_model(seed=1, vocab=61)
    path = tmp_path / "v61.onnx"
    E.export_step(small, str(path))
    with pytest.raises(ValueError, match="byte-level"):
        tern.generate(G.OnnxRuntimeModel(str(path)), "text", 3)
    assert len(tern.generate(G.OnnxRuntimeModel(str(path)), [1, 2], 3)) == 3
    with pytest.raises(ValueError, match=r"\[0, 61\)"):
        tern.generate(G.OnnxRuntimeModel(str(path)), [1, 61], 3)
    E.export_step(small, str(path), batch=2)
    with pytest.raises(ValueError, match="batch 1"):
        tern.generate(G.OnnxRuntimeModel(str(path)), [1], 3)
    E.export_step(small, str(path), batch=None)
    with pytest.raises(ValueError, match="batch 1"):
        tern.generate(G.OnnxRuntimeModel(str(path)), [1], 3)


# --- compiled -------------------------------------------------------------------------------

@pytest.mark.parametrize("ops", ["standard", "custom"])
def test_compiled_greedy_equals_torch(tmp_path, byte_model, ops):
    path = tmp_path / "m.onnx"
    E.export_step(byte_model, str(path), ops=ops)
    compiled = compile_or_xfail(path)
    assert tern.generate(compiled, PROMPT, 40) == T.generate(byte_model, PROMPT, 40)
    text = tern.generate(compiled, "Hi", 16, temperature=0.9, top_k=20, seed=3)
    assert text == G.decode_bytes(T.generate(byte_model, list(b"Hi"), 16, temperature=0.9,
                                             top_k=20, seed=3))


def test_compiled_api_checks_inputs(step_path):
    compiled = compile_or_xfail(step_path)
    state = np.zeros((2, 1, 32), np.float32)
    assert [s.name for s in compiled.inputs] == ["tokens", "state"]
    compiled(np.array([1], np.int64), state)
    with pytest.raises(tern.TernError, match=r"input 0 'tokens': expected 1xint64, got 1xint32"):
        compiled(np.array([1], np.int32), state)
    with pytest.raises(tern.TernError, match=r"input 1 'state': expected 2x1x32xfloat32, "
                                             r"got 2x2x32xfloat32"):
        compiled(np.array([1], np.int64), np.zeros((2, 2, 32), np.float32))
    with pytest.raises(tern.TernError, match=r"expected 2x1x32xfloat32, got 2x1x32xfloat64"):
        compiled(np.array([1], np.int64), np.zeros((2, 1, 32)))
    with pytest.raises(tern.TernError, match=r"takes 2 inputs"):
        compiled(np.array([1], np.int64))
    with pytest.raises(tern.TernError, match=r"expected a numpy array"):
        compiled([1], state)


# --- the bundled model ------------------------------------------------------------------------

def bundled_reference():
    path = os.path.join(BUNDLED, "reference_generations.json")
    if not os.path.exists(path):
        pytest.skip("no bundled model (scripts/train_bundled_model.py writes models/tiny-mmfree)")
    with open(path) as fh:
        return json.load(fh)["cases"]


def test_bundled_model_files():
    bundled_reference()
    cfg = T.HGRNBitConfig.from_json_file(os.path.join(BUNDLED, "config.json"))
    assert cfg.vocab_size == 256
    with open(os.path.join(BUNDLED, "tokenizer.json")) as fh:
        assert json.load(fh)["type"] == "bytes"
    for f in ("model.onnx", "model.tern.onnx"):
        assert os.path.getsize(os.path.join(BUNDLED, f)) < 10_000_000


@pytest.mark.parametrize("custom_ops", [False, True], ids=["standard", "custom"])
def test_bundled_model_onnxruntime_reproduces_torch(custom_ops):
    cases = bundled_reference()
    m = G.OnnxRuntimeModel(G.bundled_model_path(custom_ops))
    for c in cases[:2]:
        got = tern.generate(m, list(c["prompt"].encode()), c["max_new_tokens"])
        assert got == c["greedy_ids"], c["prompt"]


def test_bundled_model_writes_recognizable_text():
    cases = bundled_reference()
    words = " ".join(c["greedy_text"] for c in cases).split()
    common = {"the", "and", "of", "unto", "LORD", "shall", "that", "he", "them", "his"}
    assert sum(w.strip(",.;:") in common for w in words) >= 5, words


@pytest.mark.parametrize("custom_ops", [False, True], ids=["standard", "custom"])
def test_bundled_model_compiled_reproduces_torch(custom_ops):
    """The acceptance check: the compiled bundled model's greedy output is PyTorch's."""
    cases = bundled_reference()
    compiled = compile_or_xfail(G.bundled_model_path(custom_ops))
    for c in cases:
        got = tern.generate(compiled, list(c["prompt"].encode()), c["max_new_tokens"])
        assert got == c["greedy_ids"], c["prompt"]


# --- ternc generate ---------------------------------------------------------------------------

def ternc_generate(*args, env=None):
    import subprocess
    return subprocess.run([tern.api.find_ternc(), "generate", *args], capture_output=True,
                          text=True, env=env)


def test_ternc_generate_reproduces_torch_on_bundled_model():
    cases = bundled_reference()
    compiled = compile_or_xfail(G.bundled_model_path())
    for c in cases[:2]:
        proc = ternc_generate(compiled.library, "--prompt", c["prompt"], "-n",
                              str(c["max_new_tokens"]), "-q")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == c["prompt"] + c["greedy_text"] + "\n"
    c = cases[0]
    ids = ",".join(str(b) for b in c["prompt"].encode())
    proc = ternc_generate(compiled.library, "--prompt-ids", ids, "-n", "20", "--print-ids")
    assert proc.returncode == 0, proc.stderr
    got = [int(t) for t in proc.stdout.split()]
    assert got == list(c["prompt"].encode()) + c["greedy_ids"][:20]
    assert "tokens/s" in proc.stderr
    # Sampling: reproducible for a seed, different across seeds.
    runs = [ternc_generate(compiled.library, "--temperature", "0.8", "--top-k", "40",
                           "--seed", str(s), "-n", "60", "-q").stdout for s in (1, 1, 2)]
    assert runs[0] == runs[1] != runs[2]
    assert runs[0].startswith("In the beginning")  # the default prompt


def test_ternc_generate_rejects_bad_arguments(tmp_path):
    from _compiled import ternc_or_skip
    ternc_or_skip()
    assert "usage: ternc generate" in ternc_generate("--help").stdout
    bad = ternc_generate("--temperature", "hot")
    assert bad.returncode == 1 and "--temperature expects a number" in bad.stderr
    bad = ternc_generate("--frobnicate")
    assert bad.returncode == 1 and "unknown option '--frobnicate'" in bad.stderr
    bad = ternc_generate(str(tmp_path / "missing.onnx"))
    assert bad.returncode == 1 and "no such model file" in bad.stderr
    bad = ternc_generate("a.onnx", "b.onnx")
    assert bad.returncode == 1 and "more than one model" in bad.stderr
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    bad = ternc_generate(str(garbage), env=env)
    assert bad.returncode == 1 and f"compiling {garbage} failed" in bad.stderr
    assert not list((tmp_path / "cache").rglob("*.so"))  # nothing cached
