"""From a checkpoint directory to a compiled library, cached.

    >>> so = tern.checkpoint.compiled_library("CKPT_DIR")     # export + ternc compile, once
    >>> model = tern.checkpoint.load("CKPT_DIR")              # CompiledModel + tokenizer

The cache (``$TERN_CACHE_DIR``, else ``$XDG_CACHE_HOME/tern``, else ``~/.cache/tern``) holds
``checkpoints/<key>/model.so`` with ``key`` = SHA-256 of the checkpoint's weights and
``config.json`` (file names and bytes), the target and the ``ternc`` executable (path, size,
modification time).  ``ternc generate CKPT_DIR`` computes the same key, so either fills the
cache for the other.  Hashing a multi-GB checkpoint takes seconds, so the content hash is
remembered under ``hashes/`` by the files' paths, sizes and modification times: a second run
reads no weights and starts in well under a second.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from typing import List, Optional

from .api import CompiledModel, TernError, find_ternc

#: Files that make up a checkpoint's weights (the tokenizer is not part of the key).
_WEIGHT_SUFFIXES = (".safetensors", ".safetensors.index.json", ".bin")


def cache_dir() -> str:
    if os.environ.get("TERN_CACHE_DIR"):
        return os.environ["TERN_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tern")


def is_checkpoint(path: str) -> bool:
    return os.path.isdir(path) and os.path.exists(os.path.join(path, "config.json"))


def checkpoint_files(directory: str) -> List[str]:
    """``config.json`` and the weight files, sorted by name."""
    names = sorted(n for n in os.listdir(directory)
                   if n == "config.json" or n.endswith(_WEIGHT_SUFFIXES))
    if not any(n != "config.json" for n in names):
        raise FileNotFoundError(f"{directory}: a checkpoint needs config.json and "
                                f"model.safetensors (or shards / pytorch_model.bin)")
    return [os.path.join(directory, n) for n in names]


def checkpoint_hash(directory: str) -> str:
    """SHA-256 over the checkpoint files' names and bytes (hex), remembered by stat."""
    files = checkpoint_files(directory)
    stat_key = hashlib.sha256()
    for f in files:
        st = os.stat(f)
        stat_key.update(f"{os.path.realpath(f)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    memo = os.path.join(cache_dir(), "hashes", stat_key.hexdigest()[:32])
    try:
        with open(memo) as fh:
            digest = fh.read().strip()
        if len(digest) == 64:
            return digest
    except OSError:
        pass
    h = hashlib.sha256()
    for f in files:
        h.update(os.path.basename(f).encode() + b"\0")
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                h.update(block)
        h.update(b"\0")
    digest = h.hexdigest()
    os.makedirs(os.path.dirname(memo), exist_ok=True)
    with open(memo + ".tmp", "w") as fh:
        fh.write(digest + "\n")
    os.replace(memo + ".tmp", memo)
    return digest


def compiler_identity(ternc: str) -> str:
    real = os.path.realpath(ternc)
    st = os.stat(real)
    return f"{real}:{st.st_size}:{st.st_mtime_ns}"


def cache_key(directory: str, target: str, ternc: str) -> str:
    h = hashlib.sha256(f"{checkpoint_hash(directory)}\0{target}\0{compiler_identity(ternc)}"
                       .encode())
    return h.hexdigest()[:32]


def _say(progress: bool, msg: str, start: float) -> None:
    if progress:
        print(f"[tern {time.monotonic() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)


def compiled_library(directory: str, target: str = "cpu", *, ternc: Optional[str] = None,
                     progress: Optional[bool] = None) -> str:
    """The compiled decode step of a checkpoint directory: exports it (``tern.export``,
    needs torch) and compiles it with ``ternc`` on the first call; later calls only look it up.
    ``progress`` (default: stderr is a terminal) prints each stage with the elapsed time."""
    if target not in ("cpu", "cuda"):
        raise TernError(f"target {target!r}: the one-command path builds cpu or cuda libraries")
    ternc = ternc or find_ternc()
    if progress is None:
        progress = sys.stderr.isatty()
    start = time.monotonic()
    key = cache_key(directory, target, ternc)
    out_dir = os.path.join(cache_dir(), "checkpoints", key)
    lib = os.path.join(out_dir, "model.so")
    if os.path.exists(lib):
        return lib
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tern-export-", dir=out_dir) as tmp:
        onnx_path = os.path.join(tmp, "model.onnx")
        _say(progress, f"exporting {directory} to ONNX", start)
        from . import export as E  # torch: imported only when a checkpoint must be exported
        proto = E.export_step(directory, None)
        from . import onnx_models as M
        big = proto.ByteSize() > (1 << 30)
        M.save_model(proto, onnx_path, external_data=big)
        del proto
        _say(progress, f"compiling ({os.path.getsize(onnx_path) / 1e6:.1f} MB of ONNX) "
             f"for {target}", start)
        tmp_lib = os.path.join(tmp, "model.so")
        cmd = [ternc, "compile", onnx_path, f"--target={target}", "-o", tmp_lib]
        if not progress:
            cmd.append("--quiet")
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                              stderr=None if progress else subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise TernError((proc.stderr or "").strip() or
                            f"ternc compile failed with exit code {proc.returncode}")
        os.replace(tmp_lib, lib)
    _say(progress, f"cached {lib}", start)
    return lib


class CheckpointModel:
    """A compiled checkpoint with its tokenizer: ``model`` (a :class:`CompiledModel`),
    ``tokenizer`` (:mod:`tern.tokenizer`), ``config`` (the ``config.json`` dict)."""

    def __init__(self, model: CompiledModel, tokenizer, config: dict, path: str):
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.path = path


def load(path: str, *, tokenizer: Optional[str] = None, target: str = "cpu",
         progress: Optional[bool] = None) -> CheckpointModel:
    """A checkpoint directory (compiled and cached), a compiled ``.so`` or a model file
    (``.onnx``/``.mlir``, compiled), with the tokenizer found beside it (or ``tokenizer``:
    a file, a directory or ``"bytes"``)."""
    from .tokenizer import ByteTokenizer, load_tokenizer, read_config
    if os.path.isdir(path):
        if not is_checkpoint(path):
            raise TernError(f"{path}: not a checkpoint directory (no config.json)")
        lib = compiled_library(path, target, progress=progress)
        model = CompiledModel(lib)
        directory = path
    elif path.endswith(".so"):
        model = CompiledModel(path)
        directory = os.path.dirname(os.path.abspath(path))
    elif os.path.exists(path):
        from .api import compile as tern_compile
        batch1 = [] if path.endswith(".mlir") else ["--dim=B=1"]  # decode steps run batch 1
        model = tern_compile(path, target=target, extra_args=batch1)
        directory = os.path.dirname(os.path.abspath(path))
    else:
        raise TernError(f"no such model or checkpoint: {path}")
    config = read_config(directory) if os.path.isdir(path) or tokenizer is None else {}
    if tokenizer is not None:
        tok = load_tokenizer(tokenizer, config=config or read_config(directory))
    else:
        try:
            tok = load_tokenizer(directory, config=config)
        except FileNotFoundError:
            vocab = model.outputs[0].shape[-1] if model.outputs else None
            if vocab != 256:
                raise TernError(f"{path}: no tokenizer.model or tokenizer.json beside the "
                                f"model (vocabulary {vocab}); pass a tokenizer") from None
            tok = ByteTokenizer()
    return CheckpointModel(model, tok, config, path)


__all__ = ["cache_dir", "checkpoint_hash", "cache_key", "compiled_library", "load",
           "CheckpointModel", "is_checkpoint"]
