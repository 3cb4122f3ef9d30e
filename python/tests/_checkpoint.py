"""A checkpoint in the released MMfreeLM format, made by the tests: a tiny HGRNBit with bf16
safetensors, a config.json with bos/eos ids, a SentencePiece tokenizer.model trained here on
bundled text (the King James Bible of Debian's bible-kjv, what the bundled model was trained
on) and the equivalent Hugging Face tokenizer.json built from its vocabulary."""

import json
import os
import re
import shutil
import subprocess

import pytest

PROMPT = "And God said, Let there be"
TRAIN_RANGE = "Gen1-Gen10"      # the tokenizer's training text
HELD_OUT_RANGE = "Rev22:1-Rev22:21"  # held out: the end of Revelation (the bundled model's too)
N_NEW = 40


def kjv(ref: str) -> str:
    """Verses of the KJV, one per line (the `bible` program of bible-kjv)."""
    try:
        raw = subprocess.run(["bible", "-l", "100000", ref], capture_output=True, text=True,
                             check=True).stdout
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip("the `bible` program (Debian bible-kjv, scripts/setup.sh) is missing")
    verses = [m.group(1).strip() for line in raw.splitlines()
              if (m := re.match(r"^\s+\d+ (.*)$", line))]
    return "\n".join(verses) + "\n"


def train_sentencepiece(text: str, out_dir: str, vocab_size: int = 400) -> str:
    import sentencepiece as spm
    src = os.path.join(out_dir, "spm-train.txt")
    with open(src, "w") as fh:
        fh.write(text)
    prefix = os.path.join(out_dir, "spm")
    # Llama's ids (unk 0, bos 1, eos 2); no byte pieces, so random weights still produce
    # text; identity normalization, so the tokenizer.json below tokenizes identically.
    spm.SentencePieceTrainer.Train(input=src, model_prefix=prefix, vocab_size=vocab_size,
                                   model_type="unigram", character_coverage=1.0,
                                   normalization_rule_name="identity", byte_fallback=False,
                                   unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1,
                                   minloglevel=2)
    os.remove(src)
    return prefix + ".model"


def tokenizer_json_from_spm(model_path: str, out_path: str) -> None:
    """A Hugging Face tokenizer.json with the same Unigram vocabulary and Llama-style
    pre/post-processing (▁ for spaces)."""
    import sentencepiece as spm
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers
    sp = spm.SentencePieceProcessor()
    sp.Load(model_path)
    vocab = [(sp.IdToPiece(i), sp.GetScore(i)) for i in range(sp.GetPieceSize())]
    tok = Tokenizer(models.Unigram(vocab, sp.unk_id(), False))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"),
                                           normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                     decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    tok.add_special_tokens([AddedToken(sp.IdToPiece(i), special=True) for i in (0, 1, 2)])
    tok.save(out_path)


def make_checkpoint(root: str, eos_id: int = 2, seed: int = 0):
    """Writes the checkpoint to ``root/full`` (both tokenizers) and returns
    (directory, the PyTorch model as loaded back from it, vocab size)."""
    import torch
    from safetensors.torch import save_file
    from tern import torch as T
    base = os.path.join(root, "full")
    os.makedirs(base, exist_ok=True)
    sp_model = train_sentencepiece(kjv(TRAIN_RANGE), root)
    shutil.copy(sp_model, os.path.join(base, "tokenizer.model"))
    tokenizer_json_from_spm(sp_model, os.path.join(base, "tokenizer.json"))
    import sentencepiece as spm
    vocab = spm.SentencePieceProcessor(model_file=sp_model).GetPieceSize()
    config = T.HGRNBitConfig(vocab_size=vocab, hidden_size=64, num_hidden_layers=2,
                             max_position_embeddings=256, bos_token_id=1, eos_token_id=eos_id)
    model = T.HGRNBitForCausalLM(config)
    model.reset_parameters(seed=seed)
    model.save_pretrained(base)
    # Released checkpoints hold bf16 latent weights.
    tensors = {k: v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, os.path.join(base, "model.safetensors"), metadata={"format": "pt"})
    cfg = json.load(open(os.path.join(base, "config.json")))
    cfg["torch_dtype"] = "bfloat16"
    with open(os.path.join(base, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=2, sort_keys=True)
    return base, T.HGRNBitForCausalLM.from_pretrained(base), vocab


def set_eos(directory: str, eos_id: int) -> None:
    path = os.path.join(directory, "config.json")
    cfg = json.load(open(path))
    cfg["eos_token_id"] = eos_id
    with open(path, "w") as fh:
        json.dump(cfg, fh, indent=2, sort_keys=True)


def variant(base: str, root: str, name: str, keep_tokenizer: str) -> str:
    """A checkpoint directory with the same weights and config (symlinks) and one tokenizer."""
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    for f in ("config.json", "model.safetensors", keep_tokenizer):
        os.symlink(os.path.join(base, f), os.path.join(d, f))
    return d


class TorchStep:
    """The PyTorch model as a decode-step callable (tern.generate's model interface), so the
    sampler drives PyTorch and the compiled model alike."""

    def __init__(self, model):
        import numpy as np
        from tern.api import TensorSpec
        cfg = model.config
        self.model = model
        self.inputs = [TensorSpec("tokens", np.int64, (1,)),
                       TensorSpec("state", np.float32, (cfg.num_hidden_layers, 1, cfg.input_dim))]
        self.outputs = [TensorSpec("logits", np.float32, (1, cfg.vocab_size)), self.inputs[1]]

    def __call__(self, tokens, state):
        import torch
        with torch.no_grad():
            logits, st = self.model.step(torch.from_numpy(tokens), torch.from_numpy(state))
        return [logits.numpy(), st.numpy()]


def released_checkpoint_fixture(tmp_path_factory):
    """(root, directory with both tokenizers, PyTorch model, expected greedy ids)."""
    from tern import tokenizer as TK
    from tern import torch as T
    root = str(tmp_path_factory.mktemp("ckpt"))
    base, model, _ = make_checkpoint(root)
    ids = TK.load_tokenizer(base).prompt_ids(PROMPT)
    free = T.generate(model, ids, N_NEW)
    # EOS: a token greedy decoding reaches at step k >= 8 for the first time, so the one
    # command must stop there (the ids are the same whatever the config says about EOS).
    k = next((i for i in range(8, len(free)) if free[i] not in free[:i]), None)
    assert k is not None, f"no fresh token to stop at in {free}"
    set_eos(base, free[k])
    assert T.generate(model, ids, N_NEW, stop_ids=[free[k]]) == free[:k + 1]
    return root, base, model, free[:k]


def tern_env_fixture(tmp_path_factory):
    """Environment of the tools under test: a private cache, this Python for exporting."""
    import sys
    from _compiled import ternc_or_skip
    python_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    e = dict(os.environ)
    e["TERN_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    e["TERN_PYTHON"] = sys.executable
    e["PYTHONPATH"] = python_dir + os.pathsep + e.get("PYTHONPATH", "")
    e["TERN_TERNC"] = ternc_or_skip()
    return e
