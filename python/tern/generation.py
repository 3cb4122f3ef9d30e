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

import codecs
import os
from typing import Callable, Iterable, List, Optional, Sequence, Union

import numpy as np

BUNDLED_MODEL_DIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..", "..", "models", "tiny-mmfree"))


def bundled_model_path(custom_ops: bool = False) -> str:
    """``models/tiny-mmfree/model.onnx`` (or ``model.tern.onnx``) of the repository."""
    return os.path.join(BUNDLED_MODEL_DIR, "model.tern.onnx" if custom_ops else "model.onnx")


def sample_next(logits, temperature: float = 0.0, top_k: int = 0,
                rng: Optional[np.random.Generator] = None) -> int:
    """The next token id from one row of logits.

    ``temperature <= 0``: greedy (argmax, lowest index on ties).  Otherwise keep the
    ``top_k`` largest logits (all when 0), softmax of ``logits / temperature`` in float64,
    and draw ``rng.random()`` by inverse CDF over the kept tokens in descending order.
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
    if isinstance(model, (str, os.PathLike)):
        from .api import compile as tern_compile
        return tern_compile(str(model))
    return model


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


def generate(model, prompt: Union[str, Sequence[int]], max_new_tokens: int = 100, *,
             temperature: float = 0.0, top_k: int = 0, seed: Optional[int] = None,
             stream: Optional[Callable[[str], None]] = None,
             stop: Optional[Iterable[int]] = None) -> Union[str, List[int]]:
    """Generates ``max_new_tokens`` tokens after ``prompt`` with a decode-step model.

    ``prompt`` a string (byte tokenizer; returns the generated text) or token ids (returns
    the generated ids).  ``stream`` receives text as it is produced (string prompts).
    Stops early after a token in ``stop``."""
    m = _load(model)
    shape = _state_shape(m)
    text_mode = isinstance(prompt, str)
    ids = encode_bytes(prompt) if text_mode else [int(t) for t in prompt]
    if not ids:
        raise ValueError("generate needs a non-empty prompt")
    vocab = _vocab_size(m)
    if text_mode and vocab is not None and vocab != 256:
        raise ValueError(f"a text prompt needs a byte-level model (vocab 256), this one has "
                         f"{vocab} logits: pass token ids instead")
    if vocab is not None and any(not 0 <= t < vocab for t in ids):
        raise ValueError(f"prompt token ids must be in [0, {vocab})")
    rng = np.random.default_rng(seed)
    state = np.zeros(shape, dtype=np.float32)
    logits = None
    for t in ids:
        logits, state = m(np.array([t], dtype=np.int64), state)
    if text_mode and logits.shape[-1] != 256:
        raise ValueError(f"a text prompt needs a byte-level model (vocab 256), this one has "
                         f"{logits.shape[-1]} logits: pass token ids instead")
    out: List[int] = []
    stops = set(stop or ())
    dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for _ in range(int(max_new_tokens)):
        nxt = sample_next(logits[0], temperature, top_k, rng)
        out.append(nxt)
        if stream is not None and text_mode:
            piece = dec.decode(bytes([nxt & 0xFF]))
            if piece:
                stream(piece)
        if nxt in stops:
            break
        logits, state = m(np.array([nxt], dtype=np.int64), state)
    if stream is not None and text_mode:
        tail = dec.decode(b"", final=True)
        if tail:
            stream(tail)
    return decode_bytes(out) if text_mode else out


__all__ = ["generate", "sample_next", "OnnxRuntimeModel", "encode_bytes", "decode_bytes",
           "bundled_model_path", "BUNDLED_MODEL_DIR"]
