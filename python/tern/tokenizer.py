"""Tokenizers of checkpoints, through the libraries made for them.

* ``tokenizer.model``: SentencePiece (the released MMfreeLM checkpoints' Llama tokenizer),
  read by the ``sentencepiece`` package (``ternc generate`` reads it with the C++ library).
* ``tokenizer.json``: a Hugging Face tokenizer, read by the ``tokenizers`` package.
* ``bytes``: token id = one byte of UTF-8 text (the bundled model; its ``tokenizer.json`` is
  ``{"type": "bytes"}``).

BOS/EOS ids come from the checkpoint's ``config.json`` (``bos_token_id``/``eos_token_id``;
``null`` means none).  :func:`load_tokenizer` picks ``tokenizer.model`` first (what ``ternc
generate`` uses), then ``tokenizer.json``.
"""

from __future__ import annotations

import json
import os
from typing import List, Optional, Sequence


class Tokenizer:
    """``encode`` text to ids (no BOS), ``decode`` ids to text; ``bos_id``/``eos_id`` or None."""

    kind = "?"
    bos_id: Optional[int] = None
    eos_id: Optional[int] = None
    vocab_size: int = 0

    def encode(self, text: str) -> List[int]:
        raise NotImplementedError

    def decode(self, ids: Sequence[int]) -> str:
        raise NotImplementedError

    def prompt_ids(self, text: str) -> List[int]:
        """The ids a prompt is fed as: BOS (when the config has one) then the text."""
        return ([self.bos_id] if self.bos_id is not None else []) + self.encode(text)


class ByteTokenizer(Tokenizer):
    kind = "bytes"
    vocab_size = 256

    def encode(self, text: str) -> List[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(int(i) & 0xFF for i in ids).decode("utf-8", errors="replace")


class SentencePieceTokenizer(Tokenizer):
    kind = "sentencepiece"

    def __init__(self, path: str):
        try:
            import sentencepiece as spm
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("reading tokenizer.model needs the `sentencepiece` package "
                              "(apt-get install python3-sentencepiece, or pip install "
                              "sentencepiece)") from e
        self.path = path
        self._sp = spm.SentencePieceProcessor()
        if not self._sp.Load(path):  # raises OSError itself on a malformed file
            raise ValueError(f"{path}: not a SentencePiece model")
        self.vocab_size = int(self._sp.GetPieceSize())

    def encode(self, text: str) -> List[int]:
        return [int(i) for i in self._sp.EncodeAsIds(text)]

    def decode(self, ids: Sequence[int]) -> str:
        return self._sp.DecodeIds([int(i) for i in ids])


class HFTokenizer(Tokenizer):
    kind = "tokenizer.json"

    def __init__(self, path: str):
        try:
            from tokenizers import Tokenizer as _Tok
        except ImportError as e:  # pragma: no cover
            raise ImportError("reading tokenizer.json needs the `tokenizers` package "
                              "(pip install tokenizers)") from e
        self.path = path
        self._tok = _Tok.from_file(path)
        self.vocab_size = int(self._tok.get_vocab_size(with_added_tokens=True))

    def encode(self, text: str) -> List[int]:
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=True)


def _is_bytes_json(path: str) -> bool:
    try:
        with open(path) as fh:
            head = json.load(fh)
    except (OSError, ValueError):
        return False
    return isinstance(head, dict) and head.get("type") == "bytes"


def read_config(directory: str) -> dict:
    path = os.path.join(directory, "config.json")
    if not os.path.exists(path):
        return {}
    with open(path) as fh:
        return json.load(fh)


def load_tokenizer(path: str, config: Optional[dict] = None) -> Tokenizer:
    """The tokenizer of a checkpoint directory, or of a ``tokenizer.model`` /
    ``tokenizer.json`` file (``"bytes"`` for the byte tokenizer).  ``config`` (default: the
    directory's ``config.json``) supplies ``bos_token_id``/``eos_token_id``."""
    if path == "bytes":
        tok: Tokenizer = ByteTokenizer()
        directory = None
    elif os.path.isdir(path):
        directory = path
        sp = os.path.join(path, "tokenizer.model")
        js = os.path.join(path, "tokenizer.json")
        if os.path.exists(sp):
            tok = SentencePieceTokenizer(sp)
        elif os.path.exists(js):
            tok = ByteTokenizer() if _is_bytes_json(js) else HFTokenizer(js)
        else:
            raise FileNotFoundError(f"{path}: no tokenizer.model or tokenizer.json")
    elif os.path.isfile(path):
        directory = os.path.dirname(path)
        if path.endswith(".json"):
            tok = ByteTokenizer() if _is_bytes_json(path) else HFTokenizer(path)
        else:
            tok = SentencePieceTokenizer(path)
    else:
        raise FileNotFoundError(f"no such tokenizer: {path}")
    if config is None and directory is not None:
        config = read_config(directory)
    config = config or {}
    for key, attr in (("bos_token_id", "bos_id"), ("eos_token_id", "eos_id")):
        v = config.get(key)
        if isinstance(v, list):  # HF allows a list of EOS ids; the first is the one we feed
            v = v[0] if v else None
        setattr(tok, attr, int(v) if v is not None else None)
    return tok


__all__ = ["Tokenizer", "ByteTokenizer", "SentencePieceTokenizer", "HFTokenizer",
           "load_tokenizer", "read_config"]
