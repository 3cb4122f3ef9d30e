"""From a released-format checkpoint to text in one command (issue 17).

A checkpoint made here (bf16 safetensors, config.json with bos/eos, a SentencePiece
tokenizer.model trained here on bundled text and the equivalent tokenizer.json) goes through
`python -m tern generate CKPT_DIR` (either tokenizer) and `ternc generate CKPT_DIR`; the text
must equal PyTorch greedy generation (tern.torch.generate) decoded by the same tokenizer, and
stop at the config's EOS.  Also: the shared cache (a second run compiles nothing), sampling
with top-p and the repetition penalty against PyTorch driven by the same sampler, perplexity
of held-out text against PyTorch (0.1%), `ternc run MODEL.so`, and CLI errors.
"""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sentencepiece")
pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")

import tern  # noqa: E402
from tern import checkpoint as C  # noqa: E402
from tern import generation as G  # noqa: E402
from tern import tokenizer as TK  # noqa: E402
from tern import torch as T  # noqa: E402

from _checkpoint import HELD_OUT_RANGE, N_NEW, PROMPT, TorchStep, kjv, variant  # noqa: E402

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def expected_text(directory, tokenizer_file, ids_prompt, new_ids):
    tok = TK.load_tokenizer(os.path.join(directory, tokenizer_file))
    body = ids_prompt[1:]
    full, base = tok.decode(body + new_ids), tok.decode(body)
    assert full.startswith(base)
    return PROMPT + full[len(base):]


def held_out_text():
    """Held-out verses as one paragraph (the tokenizer was trained on lines: no newline)."""
    return " ".join(kjv(HELD_OUT_RANGE).split("\n")).strip()


def run(cmd, env, **kw):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    return proc, time.perf_counter() - t0


def test_tokenizers_agree(released_checkpoint):
    """The SentencePiece model and the tokenizer.json made from it tokenize alike (prompt and
    held-out text), through tern.tokenizer's two back ends."""
    _, base, _, _ = released_checkpoint
    sp = TK.load_tokenizer(os.path.join(base, "tokenizer.model"))
    hf = TK.load_tokenizer(os.path.join(base, "tokenizer.json"))
    assert (sp.kind, hf.kind) == ("sentencepiece", "tokenizer.json")
    assert (sp.bos_id, sp.eos_id) == (1, hf.eos_id) and hf.bos_id == 1
    held_out = held_out_text()
    for text in (PROMPT, held_out):
        assert sp.encode(text) == hf.encode(text)
        assert sp.decode(sp.encode(text)) == text == hf.decode(hf.encode(text))
    assert sp.prompt_ids(PROMPT)[0] == 1


@pytest.mark.parametrize("tokenizer", ["tokenizer.model", "tokenizer.json"])
def test_python_one_command_equals_torch(released_checkpoint, tern_env, tokenizer):
    root, base, _, want = released_checkpoint
    d = variant(base, root, "only-" + tokenizer.replace(".", "-"), tokenizer)
    proc, cold = run([sys.executable, "-m", "tern", "generate", d, "--prompt", PROMPT,
                      "-n", str(N_NEW)], tern_env)
    assert proc.returncode == 0, proc.stderr
    ids = TK.load_tokenizer(d).prompt_ids(PROMPT)
    assert proc.stdout == expected_text(d, tokenizer, ids, want) + "\n"
    assert "tokens/s" in proc.stderr and "stopped at EOS" in proc.stderr
    proc, warm = run([sys.executable, "-m", "tern", "generate", d, "--prompt", PROMPT,
                      "-n", str(N_NEW), "-q"], tern_env)
    assert proc.returncode == 0 and proc.stdout.startswith(PROMPT), proc.stderr
    print(f"python -m tern generate ({tokenizer}): first run {cold:.2f} s, second {warm:.2f} s")


def test_ternc_one_command_equals_torch_and_shares_the_cache(released_checkpoint, tern_env):
    root, base, _, want = released_checkpoint
    d = variant(base, root, "ternc-sp", "tokenizer.model")
    ternc = tern_env["TERN_TERNC"]
    cmd = [ternc, "generate", d, "--prompt", PROMPT, "-n", str(N_NEW)]
    proc, first = run(cmd, tern_env)
    assert proc.returncode == 0, proc.stderr
    ids = TK.load_tokenizer(d).prompt_ids(PROMPT)
    assert proc.stdout == expected_text(d, "tokenizer.model", ids, want) + "\n"
    assert "tokens/s" in proc.stderr and "stopped at EOS" in proc.stderr
    proc, second = run(cmd, tern_env)
    assert proc.returncode == 0 and "compiling" not in proc.stderr, proc.stderr
    # One compiled entry for the checkpoint, whichever tool (Python or ternc) made it.
    entries = os.listdir(os.path.join(tern_env["TERN_CACHE_DIR"], "checkpoints"))
    assert len(entries) == 1, entries
    print(f"ternc generate CKPT_DIR: first run {first:.2f} s, second {second:.2f} s")


def test_ternc_reads_no_tokenizer_json(released_checkpoint, tern_env):
    root, base, _, _ = released_checkpoint
    d = variant(base, root, "ternc-json", "tokenizer.json")
    proc, _ = run([tern_env["TERN_TERNC"], "generate", d, "--prompt", PROMPT, "-q"], tern_env)
    assert proc.returncode == 1
    assert "Hugging Face tokenizer" in proc.stderr and "python -m tern generate" in proc.stderr


def test_sampling_flags(released_checkpoint, tern_env):
    """top-k 1 and a vanishing top-p leave only the most likely token: sampling then equals
    greedy decoding, in ternc and in Python; the repetition penalty gives the same tokens in
    ternc, in Python over the compiled model and in Python over PyTorch."""
    _, base, model, want = released_checkpoint
    cm = C.load(base, progress=False)
    ternc = tern_env["TERN_TERNC"]
    greedy = [ternc, "generate", base, "--prompt", PROMPT, "-n", "20", "-q"]
    g, _ = run(greedy, tern_env)
    for flags in (["--temperature", "1", "--top-k", "1"],
                  ["--temperature", "2", "--top-p", "1e-9", "--seed", "3"]):
        proc, _ = run(greedy + flags, tern_env)
        assert proc.returncode == 0 and proc.stdout == g.stdout, (flags, proc.stderr)
    ids = cm.tokenizer.prompt_ids(PROMPT)
    assert tern.generate(cm, ids, 20, temperature=2.0, top_p=1e-9, seed=3) == want[:20]
    assert tern.generate(cm, ids, 20, temperature=1.0, top_k=1) == want[:20]
    # Seeded sampling repeats itself, and differs from greedy.
    sampled = greedy + ["--temperature", "0.9", "--top-k", "50", "--top-p", "0.8",
                        "--repetition-penalty", "1.3", "--seed", "7"]
    a, _ = run(sampled, tern_env)
    b, _ = run(sampled, tern_env)
    assert a.returncode == 0 and a.stdout == b.stdout != g.stdout, a.stderr
    got = tern.generate(cm, ids, 20, temperature=0.9, top_k=50, top_p=0.8,
                        repetition_penalty=1.3, seed=7)
    assert got == tern.generate(cm, ids, 20, temperature=0.9, top_k=50, top_p=0.8,
                                repetition_penalty=1.3, seed=7)
    # Repetition penalty, greedy: the same ids three ways.
    pen = tern.generate(cm, ids, 30, repetition_penalty=5.0)
    assert pen == tern.generate(TorchStep(model), ids, 30, repetition_penalty=5.0,
                                stop=[cm.tokenizer.eos_id])
    proc, _ = run([ternc, "generate", base, "--prompt-ids", ",".join(map(str, ids)), "-n", "30",
                   "--print-ids", "--repetition-penalty", "5", "-q"], tern_env)
    assert proc.returncode == 0, proc.stderr
    assert [int(x) for x in proc.stdout.split()] == ids + pen


def test_sample_next_top_p_rule():
    """Nucleus sampling keeps the smallest descending prefix reaching top_p."""
    logits = np.log(np.array([0.1, 0.4, 0.2, 0.3]))
    rng = np.random.default_rng(0)
    draws = {G.sample_next(logits, 1.0, 0, rng, top_p=0.7) for _ in range(300)}
    assert draws == {1, 3}  # 0.4 + 0.3 reaches 0.7
    draws = {G.sample_next(logits, 1.0, 0, rng, top_p=0.71) for _ in range(300)}
    assert draws == {1, 3, 2}
    assert G.penalize(np.array([2.0, -2.0, 1.0]), [0, 1], 2.0).tolist() == [1.0, -4.0, 1.0]


def test_perplexity_equals_torch(released_checkpoint, tern_env, tmp_path):
    _, base, model, _ = released_checkpoint
    text = held_out_text()
    cm = C.load(base, progress=False)
    stats = {}
    got = tern.perplexity(cm, text, stats=stats)
    ids = cm.tokenizer.prompt_ids(text)
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))
        nll = torch.nn.functional.cross_entropy(logits[0, :-1].double(),
                                                torch.tensor(ids[1:]))
    want = float(torch.exp(nll))
    print(f"perplexity of {HELD_OUT_RANGE} ({stats['tokens']} tokens): compiled {got:.4f}, "
          f"PyTorch {want:.4f}")
    assert abs(got - want) <= 1e-3 * want
    f = tmp_path / "held_out.txt"
    f.write_text(text)
    proc, _ = run([tern_env["TERN_TERNC"], "perplexity", base, "--file", str(f), "-q"], tern_env)
    assert proc.returncode == 0, proc.stderr
    ternc_ppl = float(proc.stdout.split()[1])
    assert abs(ternc_ppl - got) <= 1e-4 * got, proc.stdout
    proc, _ = run([sys.executable, "-m", "tern", "perplexity", base, "--file", str(f), "-q"],
                  tern_env)
    assert proc.returncode == 0 and abs(float(proc.stdout.split()[1]) - got) <= 1e-4 * got


def test_bundled_model_perplexity(tern_env, tmp_path):
    """The bundled byte-level model on its held-out text (the end of Revelation): a figure,
    and ternc and Python agree."""
    f = tmp_path / "rev22.txt"
    f.write_text(kjv(HELD_OUT_RANGE))
    proc, _ = run([tern_env["TERN_TERNC"], "perplexity", "--file", str(f), "-q"], tern_env)
    assert proc.returncode == 0, proc.stderr
    ppl = float(proc.stdout.split()[1])
    py = tern.perplexity(C.load(G.bundled_model_path(), progress=False), f.read_text())
    print(f"bundled model on {HELD_OUT_RANGE}: {proc.stdout.strip()}")
    assert abs(py - ppl) <= 1e-4 * ppl
    assert 1 < ppl < 8  # bytes: the training log says 1.34 nats/byte on its validation text


def test_ternc_run_compiled_library(released_checkpoint, tern_env, tmp_path):
    """`ternc run MODEL.so` runs the cached library directly; its outputs equal the ctypes
    call's."""
    _, base, _, _ = released_checkpoint
    lib = C.compiled_library(base, progress=False)
    m = tern.CompiledModel(lib)
    tokens = np.array([5], dtype=np.int64)
    state = np.random.default_rng(0).standard_normal(m.inputs[1].shape).astype(np.float32)
    np.save(tmp_path / "t.npy", tokens)
    np.save(tmp_path / "s.npy", state)
    rel = os.path.relpath(lib, tmp_path)  # a relative path must work (dlopen would search)
    proc, _ = run([tern_env["TERN_TERNC"], "run", rel, "--input=@t.npy", "--input=@s.npy",
                   "--output=@l.npy", "--output=@so.npy"], tern_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    logits, st = m(tokens, state)
    np.testing.assert_array_equal(np.load(tmp_path / "l.npy"), logits)
    np.testing.assert_array_equal(np.load(tmp_path / "so.npy"), st)
    proc, _ = run([tern_env["TERN_TERNC"], "run", lib, "--input=@t.npy"], tern_env, cwd=tmp_path)
    assert proc.returncode == 1 and "takes 2 inputs" in proc.stderr


@pytest.mark.parametrize("args,message", [
    (["--temperature", "-1"], "--temperature must be >= 0"),
    (["--top-k", "5"], "need --temperature > 0"),
    (["--top-p", "0.5"], "need --temperature > 0"),
    (["--temperature", "1", "--top-p", "0"], "--top-p must be in (0, 1]"),
    (["--temperature", "1", "--top-p", "1.5"], "--top-p must be in (0, 1]"),
    (["--repetition-penalty", "0"], "--repetition-penalty must be > 0"),
    (["--temperature", "nan"], "--temperature expects a number"),
    (["--top-k", "-2"], "--top-k expects a count >= 0"),
    (["/no/such/checkpoint"], "no such model file or checkpoint directory"),
])
def test_ternc_generate_rejects(tern_env, args, message):
    proc, _ = run([tern_env["TERN_TERNC"], "generate", *args], tern_env)
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr


@pytest.mark.parametrize("args,message", [
    (["--temperature", "-1"], "temperature must be >= 0"),
    (["--top-k", "5"], "need a temperature > 0"),
    (["--temperature", "1", "--top-p", "0"], "top_p must be in (0, 1]"),
    (["--repetition-penalty", "-1"], "repetition_penalty must be > 0"),
])
def test_python_generate_rejects(tern_env, args, message):
    proc, _ = run([sys.executable, "-m", "tern", "generate", *args], tern_env)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


@pytest.mark.parametrize("kw", [dict(temperature=-1), dict(top_k=3), dict(top_p=0.9),
                                dict(temperature=1, top_p=0), dict(repetition_penalty=0),
                                dict(temperature=float("inf")), dict(top_k=-1)])
def test_api_rejects_bad_sampling(kw):
    model = TorchStep(T.HGRNBitForCausalLM(T.HGRNBitConfig(vocab_size=16, hidden_size=8,
                                                             num_hidden_layers=1)))
    with pytest.raises(ValueError):
        tern.generate(model, [1, 2], 3, **kw)


def test_versions_and_typed_options(tern_env):
    bindir = os.path.dirname(tern_env["TERN_TERNC"])
    for tool in ("ternc", "tern-opt", "tern-translate", "tern-bench"):
        proc, _ = run([os.path.join(bindir, tool), "--version"], tern_env)
        assert proc.returncode == 0, (tool, proc.stderr)
        out = proc.stdout
        assert out.startswith(f"{tool} (Tern ") and "LLVM 22." in out and "MLIR 22." in out \
            and "ONNX 1." in out, out
    proc, _ = run([tern_env["TERN_TERNC"], "compile", "--help"], tern_env)
    for choice in ("=cpu", "=cuda", "=hls", "=hls-csim"):
        assert choice in proc.stdout, proc.stdout
    proc, _ = run([tern_env["TERN_TERNC"], "compile", "m.onnx", "--target=fpga", "-o", "x"], tern_env)
    assert proc.returncode == 1 and "fpga" in proc.stderr and "hls-csim" in proc.stderr


@pytest.mark.parametrize("version,message", [
    ("int tern_model_abi_version(void) { return 99; }", "built for Tern model ABI 99"),
    ("int tern_model_num_inputs(void) { return 0; }", "no tern_model_abi_version()"),
])
def test_library_abi_is_checked(tern_env, tmp_path, version, message):
    """A library reporting another ABI (or none) is refused by ternc run, ternc generate and
    tern.CompiledModel before any of its functions is called."""
    import shutil
    cc = shutil.which("clang-22") or shutil.which("cc") or pytest.skip("no C compiler")
    src = tmp_path / "fake.c"
    src.write_text(version + "\n")
    lib = tmp_path / "fake.so"
    subprocess.run([cc, "-shared", "-fPIC", str(src), "-o", str(lib)], check=True)
    proc, _ = run([tern_env["TERN_TERNC"], "run", str(lib)], tern_env)
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr
    proc, _ = run([tern_env["TERN_TERNC"], "generate", str(lib), "--prompt-ids", "1"], tern_env)
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr
    with pytest.raises(tern.TernError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tern.CompiledModel(str(lib))
