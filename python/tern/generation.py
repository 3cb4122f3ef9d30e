"""Text generation with an exported decode-step model (numpy only).

    >>> import tern
    >>> text = tern.generate("models/tiny-mmfree/model.onnx", "In the beginning", 100)
    >>> ids = tern.generate(compiled, [73, 110], 20, temperature=0.8, top_k=40, seed=1)

The model is a decode step ``(tokens int64 [1], state f32 [L, 1, d]) -> (logits [1, V],
state_out [L, 1, d])`` as :func:`tern.export.export_step` writes it: a path (compiled with
:func:`tern.compile`), a :class:`tern.CompiledModel`, an :class:`OnnxRuntimeModel`, or any
object with the same ``inputs`` specs and call signature.

Sampling (:func:`sample_next`, shared with :func:`tern.torch.generate`): temperature <= 0 is
greedy (argmax, lowest id on ties); otherwise top-k filtering then softmax of
``logits / temperature`` drawn by inverse CDF with numpy's ``default_rng(seed)``.
Tokenizer ``"bytes"``: token id = one byte of UTF-8 text (the bundled model's vocabulary).
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, List, Optional, Sequence, Union

import numpy as np

BUNDLED_MODEL_DIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..", "..", "models", "tiny-mmfree"))


def bundled_model_dir() -> str:
    """The bundled model's folder: ``$TERN_BUNDLED_MODEL_DIR``, the repository's
    ``models/tiny-mmfree``, else ``share/tern/models/tiny-mmfree`` of the Tern whose ternc
    :func:`tern.api.find_ternc` finds (an install)."""
    if os.environ.get("TERN_BUNDLED_MODEL_DIR"):
        return os.environ["TERN_BUNDLED_MODEL_DIR"]
    if os.path.isdir(BUNDLED_MODEL_DIR):
        return BUNDLED_MODEL_DIR
    from .api import find_ternc
    prefix = os.path.dirname(os.path.dirname(os.path.realpath(find_ternc())))
    return os.path.join(prefix, "share", "tern", "models", "tiny-mmfree")


def bundled_model_path(custom_ops: bool = False) -> str:
    """``model.onnx`` (or ``model.tern.onnx``) of the bundled model (:func:`bundled_model_dir`)."""
    return os.path.join(bundled_model_dir(), "model.tern.onnx" if custom_ops else "model.onnx")


def check_sampling(temperature: float = 0.0, top_k: int = 0, top_p: float = 1.0,
                   repetition_penalty: float = 1.0) -> None:
    """Rejects sampling settings that would be silently ignored or meaningless (the same
    rules as ``ternc generate``): ValueError with what was wrong."""
    import math
    for name, v in (("temperature", temperature), ("top_p", top_p),
                    ("repetition_penalty", repetition_penalty)):
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {v!r}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 is greedy), got {temperature}")
    if not isinstance(top_k, int) or top_k < 0:
        raise ValueError(f"top_k must be an integer >= 0 (0: all tokens), got {top_k!r}")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    if repetition_penalty <= 0:
        raise ValueError(f"repetition_penalty must be > 0 (1: none), got {repetition_penalty}")
    if temperature == 0 and (top_k > 0 or top_p < 1):
        raise ValueError("top_k and top_p select among sampled tokens: they need a "
                         "temperature > 0 (temperature 0 is greedy)")


def penalize(logits: np.ndarray, seen: Iterable[int], penalty: float) -> np.ndarray:
    """The repetition penalty of CTRL (Keskar et al. 2019), as Hugging Face applies it: a
    logit of a token already in the context is divided by ``penalty`` when positive and
    multiplied by it when negative."""
    if penalty == 1.0:
        return logits
    out = np.array(logits, dtype=np.float64).reshape(-1)
    ids = np.unique(np.fromiter((int(t) for t in seen), dtype=np.int64))
    ids = ids[(ids >= 0) & (ids < out.size)]
    v = out[ids]
    out[ids] = np.where(v > 0, v / penalty, v * penalty)
    return out


def sample_next(logits, temperature: float = 0.0, top_k: int = 0,
                rng: Optional[np.random.Generator] = None, top_p: float = 1.0) -> int:
    """The next token id from one row of logits.

    ``temperature <= 0``: greedy (argmax, lowest index on ties).  Otherwise keep the
    ``top_k`` largest logits (all when 0), softmax of ``logits / temperature`` in float64,
    keep the smallest prefix (in descending order) whose probability reaches ``top_p``
    (nucleus sampling), and draw ``rng.random()`` by inverse CDF over the kept tokens.
    """
    logits = np.asarray(logits, dtype=np.float64).reshape(-1)
    if temperature <= 0:
        return int(np.argmax(logits))
    order = np.argsort(-logits, kind="stable")
    if top_k and top_k > 0:
        order = order[:top_k]
    z = logits[order] / temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    if top_p < 1.0:
        keep = int(np.searchsorted(np.cumsum(p), top_p, side="left")) + 1
        order, p = order[:keep], p[:keep]
        p = p / p.sum()
    u = (rng if rng is not None else np.random.default_rng()).random()
    idx = int(np.searchsorted(np.cumsum(p), u, side="right"))
    return int(order[min(idx, len(order) - 1)])


def encode_bytes(text: str) -> List[int]:
    return list(text.encode("utf-8"))


def decode_bytes(ids: Iterable[int]) -> str:
    return bytes(int(i) for i in ids).decode("utf-8", errors="replace")


class OnnxRuntimeModel:
    """An ONNX decode step run by onnxruntime (custom ops expanded), with the
    :class:`tern.CompiledModel` interface (``inputs`` specs, call on numpy arrays)."""

    def __init__(self, path: str):
        import onnx
        import onnxruntime as ort
        from . import onnx_models as M
        from .api import TensorSpec
        from .onnx_expand import expand_tern_ops
        proto = onnx.load(path)
        if any(o.domain == M.TERN_DOMAIN for o in proto.opset_import):
            proto = expand_tern_ops(proto)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        self._sess = ort.InferenceSession(proto.SerializeToString(), so,
                                          providers=["CPUExecutionProvider"])
        types = {"tensor(int64)": np.int64, "tensor(float)": np.float32}
        self.inputs = [TensorSpec(i.name, types[i.type], tuple(i.shape))
                       for i in self._sess.get_inputs()]
        self.outputs = [TensorSpec(o.name, types[o.type], tuple(o.shape))
                        for o in self._sess.get_outputs()]
        self._out = [o.name for o in self.outputs]

    def __call__(self, *arrays):
        return self._sess.run(self._out, {s.name: a for s, a in zip(self.inputs, arrays)})


def _load(model):
    """A callable decode step, and the tokenizer/config that came with it (or None)."""
    if isinstance(model, (str, os.PathLike)):
        from .checkpoint import load
        cm = load(str(model))
        return cm.model, cm.tokenizer
    if hasattr(model, "tokenizer") and hasattr(model, "model"):  # a CheckpointModel
        return model.model, model.tokenizer
    return model, None


def _vocab_size(model) -> Optional[int]:
    outs = getattr(model, "outputs", None)
    if outs and len(outs[0].shape) == 2 and isinstance(outs[0].shape[1], int):
        return int(outs[0].shape[1])
    return None


def _state_shape(model) -> Sequence[int]:
    specs = getattr(model, "inputs", None)
    if not specs or len(specs) != 2:
        raise ValueError("generate needs a decode-step model with inputs (tokens [1], "
                         "state [L, 1, d])")
    tok, st = specs
    if tuple(tok.shape) != (1,) or len(st.shape) != 3 or st.shape[1] != 1 or \
            any(not isinstance(d, int) for d in st.shape):
        raise ValueError(f"generate needs batch 1 and static shapes: tokens {tok.shape}, "
                         f"state {st.shape} (export with batch=1)")
    return tuple(st.shape)


class _TextStream:
    """Incremental detokenization: decodes the whole continuation each step and hands out
    the new suffix once it is stable (a SentencePiece byte sequence may be mid-character)."""

    def __init__(self, tokenizer, context: List[int], sink: Callable[[str], None]):
        self.tok, self.context, self.sink = tokenizer, list(context), sink
        self.base = tokenizer.decode(self.context)
        self.ids: List[int] = []
        self.sent = 0

    def _text(self) -> str:
        full = self.tok.decode(self.context + self.ids)
        return full[len(self.base):] if full.startswith(self.base) else \
            self.tok.decode(self.ids)

    def push(self, token: int) -> None:
        self.ids.append(int(token))
        text = self._text()
        if text.endswith("\ufffd"):
            return
        if len(text) > self.sent:
            self.sink(text[self.sent:])
            self.sent = len(text)

    def finish(self) -> str:
        text = self._text()
        if len(text) > self.sent:
            self.sink(text[self.sent:])
        return text


def iter_tokens(model, ids: Sequence[int], max_new_tokens: int, *, temperature: float = 0.0,
                top_k: int = 0, top_p: float = 1.0, repetition_penalty: float = 1.0,
                seed: Optional[int] = None, stop: Iterable[int] = (),
                state_shape: Optional[Sequence[int]] = None):
    """Yields up to ``max_new_tokens`` new token ids after the prompt ``ids`` (a decode-step
    callable ``model``); ends before a token in ``stop`` (EOS), which is not yielded."""
    shape = tuple(state_shape) if state_shape is not None else _state_shape(model)
    rng = np.random.default_rng(seed)
    state = np.zeros(shape, dtype=np.float32)
    logits = None
    for t in ids:
        logits, state = model(np.array([t], dtype=np.int64), state)
    stops = set(int(s) for s in stop)
    seen = [int(t) for t in ids]
    for n in range(int(max_new_tokens)):
        row = penalize(logits[0], seen, repetition_penalty)
        nxt = sample_next(row, temperature, top_k, rng, top_p)
        if nxt in stops:
            return
        seen.append(nxt)
        yield nxt
        if n + 1 < int(max_new_tokens):
            logits, state = model(np.array([nxt], dtype=np.int64), state)


def generate(model, prompt: Union[str, Sequence[int]], max_new_tokens: int = 100, *,
             temperature: float = 0.0, top_k: int = 0, top_p: float = 1.0,
             repetition_penalty: float = 1.0, seed: Optional[int] = None,
             stream: Optional[Callable[[str], None]] = None,
             stop: Optional[Iterable[int]] = None, tokenizer=None,
             stats: Optional[dict] = None) -> Union[str, List[int]]:
    """Generates up to ``max_new_tokens`` tokens after ``prompt`` with a decode-step model.

    ``model``: a checkpoint directory (exported, compiled and cached, see
    :mod:`tern.checkpoint`), a ``.so``/``.onnx``/``.mlir`` path, a :class:`tern.CompiledModel`,
    an :class:`OnnxRuntimeModel`, or a :class:`tern.checkpoint.CheckpointModel`.
    ``prompt``: a string (tokenized with ``tokenizer``, default the model's own or bytes;
    BOS first when the config has one; returns the generated text) or token ids (returns the
    generated ids).  Stops after the EOS id of the config or a token in ``stop``.
    ``stream`` receives text as it is produced.  ``stats`` (a dict) receives
    ``prompt_tokens``, ``new_tokens``, ``seconds`` (decode) and ``tokens_per_s``.
    """
    import time
    check_sampling(temperature, top_k, top_p, repetition_penalty)
    if int(max_new_tokens) < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    m, own_tok = _load(model)
    shape = _state_shape(m)
    vocab = _vocab_size(m)
    text_mode = isinstance(prompt, str)
    tok = tokenizer if tokenizer is not None else own_tok
    if isinstance(tok, str):
        from .tokenizer import load_tokenizer
        tok = load_tokenizer(tok)
    if tok is None and text_mode:
        if vocab is not None and vocab != 256:
            raise ValueError(f"a text prompt needs a tokenizer: this model has {vocab} "
                             f"logits, it is not a byte-level model (vocab 256); pass "
                             f"tokenizer=, a checkpoint directory, or token ids")
        from .tokenizer import ByteTokenizer
        tok = ByteTokenizer()
    ids = tok.prompt_ids(prompt) if text_mode else [int(t) for t in prompt]
    if not ids:
        raise ValueError("generate needs a non-empty prompt")
    if vocab is not None and any(not 0 <= t < vocab for t in ids):
        raise ValueError(f"prompt token ids must be in [0, {vocab})")
    stops = set(int(s) for s in (stop or ()))
    if tok is not None and tok.eos_id is not None:
        stops.add(tok.eos_id)
    out: List[int] = []
    # Text is decoded from the prompt's own tokens on (BOS is a control token, not text).
    context = ids[1:] if tok is not None and tok.bos_id is not None and ids[0] == tok.bos_id \
        else ids
    text_stream = _TextStream(tok, context, stream) if stream is not None and text_mode else None
    start, t0 = time.perf_counter(), None  # t0: the first new token (the prompt is done)
    for nxt in iter_tokens(m, ids, max_new_tokens, temperature=temperature, top_k=top_k,
                           top_p=top_p, repetition_penalty=repetition_penalty, seed=seed,
                           stop=stops, state_shape=shape):
        if t0 is None:
            t0 = time.perf_counter()
        out.append(nxt)
        if text_stream is not None:
            text_stream.push(nxt)
    end = time.perf_counter()
    seconds = end - t0 if t0 is not None else 0.0
    if stats is not None:
        # Decode speed over the tokens after the first (whose step ends the prompt).
        stats.update(prompt_tokens=len(ids), new_tokens=len(out), seconds=seconds,
                     prompt_seconds=(t0 if t0 is not None else end) - start,
                     tokens_per_s=(len(out) - 1) / seconds if seconds > 0 else 0.0,
                     stopped_at_eos=len(out) < int(max_new_tokens))
    if not text_mode:
        return out
    if text_stream is not None:
        return text_stream.finish()
    full = tok.decode(context + out)
    base = tok.decode(context)
    return full[len(base):] if full.startswith(base) else tok.decode(out)


def perplexity(model, text: Union[str, Sequence[int]], *, tokenizer=None,
               stats: Optional[dict] = None) -> float:
    """exp(mean negative log-likelihood) of ``text`` under a decode-step model, each token
    predicted from the ones before it (the first from BOS when the config has one, else the
    first token is context only).  Log-softmax in float64."""
    m, own_tok = _load(model)
    shape = _state_shape(m)
    if isinstance(text, str):
        tok = tokenizer if tokenizer is not None else own_tok
        if isinstance(tok, str):
            from .tokenizer import load_tokenizer
            tok = load_tokenizer(tok)
        if tok is None:
            from .tokenizer import ByteTokenizer
            tok = ByteTokenizer()
        ids = tok.prompt_ids(text)
    else:
        ids = [int(t) for t in text]
    if len(ids) < 2:
        raise ValueError("perplexity needs at least two tokens")
    vocab = _vocab_size(m)
    if vocab is not None and any(not 0 <= t < vocab for t in ids):
        raise ValueError(f"token ids must be in [0, {vocab})")
    state = np.zeros(shape, dtype=np.float32)
    nll = 0.0
    for cur, nxt in zip(ids[:-1], ids[1:]):
        logits, state = m(np.array([cur], dtype=np.int64), state)
        row = np.asarray(logits[0], dtype=np.float64)
        zmax = row.max()
        nll += zmax + np.log(np.exp(row - zmax).sum()) - row[nxt]
    n = len(ids) - 1
    if stats is not None:
        stats.update(tokens=n, nll=nll / n)
    return float(np.exp(nll / n))


__all__ = ["generate", "perplexity", "sample_next", "check_sampling", "penalize", "OnnxRuntimeModel", "encode_bytes", "decode_bytes",
           "bundled_model_path", "bundled_model_dir", "BUNDLED_MODEL_DIR"]
