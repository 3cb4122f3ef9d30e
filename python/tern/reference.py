"""Numpy reference numerics for Tern: the independent oracle for every op the compiler models.

Everything is float32 (like the released fp32 model and like compiled code), with integer
paths where the math is integer: activations quantize to int8, weights to ternary int8, and
the ternary product accumulates in int32 using only select/add/sub.

Conventions (see /work/shared/DESIGN.md):

* Linear weights use the PyTorch layout ``[out_features, in_features]``.
* ``s_x`` is the per-token activation quantization scale (``xq = round(x * s_x)``), returned
  with ``keepdims`` shape ``[..., 1]``; ``s_w`` is the per-tensor weight quantization scale
  (``Wt = round(W * s_w)``).  A BitLinear output is ``(xq @ Wt^T) / (s_x * s_w)``, so the
  dequantized weight is ``Wt / s_w`` (= ``Wt * mean|W|``).
* Rounding is half-to-even (``np.rint``), like ONNX ``Round`` and ``QuantizeLinear``.
* Sequences are time-major: ``[T, ..., d]`` (the axis ONNX Scan iterates by default).
* Parameter names mirror the mmfreelm ``HGRNBitForCausalLM`` state dict
  (``model.layers.0.attn.i_proj.weight``, ``model.layers.0.attn.i_proj.norm.weight``, ...),
  so a real checkpoint's tensors drop in by name.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

F32 = np.float32

# Clamp floors from mmfreelm's activation_quant / weight_quant.
ACT_SCALE_FLOOR = 1e-5
WEIGHT_SCALE_FLOOR = 1e-5

VARIANTS = ("released", "paper")


def _f32(x) -> np.ndarray:
    return np.asarray(x, dtype=F32)


# ---------------------------------------------------------------------------------------------
# Element-wise helpers
# ---------------------------------------------------------------------------------------------

def sigmoid(x) -> np.ndarray:
    """Logistic function in float32, evaluated so that exp never overflows."""
    x = _f32(x)
    z = np.exp(-np.abs(x))  # in (0, 1]: no overflow for any finite x
    one = F32(1)
    return np.where(x >= 0, one / (one + z), z / (one + z)).astype(F32)


def silu(x) -> np.ndarray:
    """SiLU / swish: x * sigmoid(x)."""
    x = _f32(x)
    return x * sigmoid(x)


def softmax(x, axis: int = -1) -> np.ndarray:
    x = _f32(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True, dtype=F32)


def rmsnorm(x, weight=None, eps: float = 1e-6) -> np.ndarray:
    """RMSNorm over the last axis: ``x / sqrt(mean(x^2) + eps) * weight``.

    Spelled exactly like the ONNX form (Pow/ReduceMean/Add/Sqrt/Div/Mul) so that the float32
    results agree to the last ulp or two.  Like any fp32 implementation, |x| > ~1.8e19 makes
    ``x^2`` overflow to inf (the result then goes to 0); this oracle does not hide that.
    """
    x = _f32(x)
    ms = np.mean(np.square(x), axis=-1, keepdims=True, dtype=F32)
    y = x / np.sqrt(ms + F32(eps))
    if weight is not None:
        y = y * _f32(weight)
    return y.astype(F32)


# ---------------------------------------------------------------------------------------------
# Quantization
# ---------------------------------------------------------------------------------------------

def act_quant(x, bits: int = 8) -> Tuple[np.ndarray, np.ndarray]:
    """Per-token absmax activation quantization (mmfreelm ``activation_quant``).

    ``s = (2^(bits-1) - 1) / max(|x|)`` over the last axis (max clamped >= 1e-5), then
    ``q = clip(round_half_even(x * s), -2^(bits-1), 2^(bits-1) - 1)``.

    Returns ``(q, s)``: ``q`` int8 with the shape of ``x``; ``s`` float32 with shape
    ``[..., 1]``.  The dequantized activation is ``q / s``.
    """
    if not 2 <= int(bits) <= 8:
        raise ValueError(f"act_quant: bits must be in [2, 8] (int8 storage), got {bits}")
    x = _f32(x)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError("act_quant: needs a non-empty last axis")
    qmax = 2 ** (bits - 1) - 1
    qmin = -(2 ** (bits - 1))
    m = np.maximum(np.max(np.abs(x), axis=-1, keepdims=True), F32(ACT_SCALE_FLOOR))
    s = (F32(qmax) / m).astype(F32)
    q = np.clip(np.rint(x * s), qmin, qmax).astype(np.int8)
    return q, s


def weight_quant(w) -> Tuple[np.ndarray, np.float32]:
    """Per-tensor absmean ternary quantization (mmfreelm ``weight_quant``).

    ``s_w = 1 / max(mean|W|, 1e-5)``; ``Wt = clip(round_half_even(W * s_w), -1, 1)``.
    Returns ``(Wt as int8 in {-1,0,1}, s_w as float32 scalar)``.  The mean is accumulated in
    float64 and rounded once to float32 (the most accurate float32 mean; fp32 runtimes may
    differ from it in the last ulp, which only matters for an element within an ulp of a
    rounding boundary).
    """
    w = _f32(w)
    if w.size == 0:
        raise ValueError("weight_quant: empty weight")
    mean_abs = F32(np.mean(np.abs(w), dtype=np.float64))
    s_w = F32(1) / max(mean_abs, F32(WEIGHT_SCALE_FLOOR))
    q = np.clip(np.rint(w * s_w), -1, 1).astype(np.int8)
    return q, F32(s_w)


def _check_ternary(wt) -> None:
    w = np.asarray(wt)
    if not np.issubdtype(w.dtype, np.integer):
        raise TypeError(f"ternary weights must have an integer dtype, got {w.dtype}")
    if not ((w == -1) | (w == 0) | (w == 1)).all():
        raise ValueError("ternary weights must only hold -1, 0, +1")


def tmatmul(xq, wt) -> np.ndarray:
    """Ternary matmul ``xq @ wt^T`` -> int32, with no multiply at all.

    ``xq``: integer activations ``[..., K]`` (int8 in practice); ``wt``: ternary ``[N, K]``.
    Each output is ``sum(x where w == +1) - sum(x where w == -1)``: a select, additions and
    one subtraction, which is exactly what Tern's ternary-to-arith lowering emits.  Inputs
    are taken with ``asanyarray`` so that tests can pass ndarray subclasses that trap any
    multiplication.  Accumulation is int32 (exact for K < 2^24 with int8 inputs).
    """
    x = np.asanyarray(xq)
    w = np.asanyarray(wt)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f"tmatmul: activations must be integers, got {x.dtype}")
    _check_ternary(w)
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"tmatmul: shapes {x.shape} and {w.shape} do not match ([...,K] x [N,K])")
    k = x.shape[-1]
    n = w.shape[0]
    lead = x.shape[:-1]
    x2 = x.astype(np.int32).reshape(-1, k)
    m = x2.shape[0]
    pos = w == 1
    neg = w == -1
    zero = np.int32(0)
    out = np.zeros((m, n), dtype=np.int32)
    # Chunk the output columns so the [M, chunk, K] select stays around 4M elements.
    chunk = max(1, (1 << 22) // max(1, m * k))
    xb = x2[:, None, :]
    for n0 in range(0, n, chunk):
        p = pos[None, n0:n0 + chunk, :]
        q = neg[None, n0:n0 + chunk, :]
        plus = np.where(p, xb, zero).sum(axis=-1, dtype=np.int32)
        minus = np.where(q, xb, zero).sum(axis=-1, dtype=np.int32)
        out[:, n0:n0 + chunk] = plus - minus
    return np.asarray(out).reshape(*lead, n)


# ---------------------------------------------------------------------------------------------
# BitLinear, GLU, MLGRU
# ---------------------------------------------------------------------------------------------

def bitlinear(x, w, norm_weight=None, eps: float = 1e-6, act_bits: int = 8,
              w_is_ternary: bool = False, w_scale=None, *, return_parts: bool = False):
    """BitLinear: ``y = (xq @ Wt^T) / (s_x * s_w)`` with ``w`` in ``[out, in]`` layout.

    * ``norm_weight``: when given, the input is first ``rmsnorm(x, norm_weight, eps)`` (the
      RMSNorm mmfreelm's BitLinear carries); when None, no normalization is applied.
    * ``w_is_ternary``: ``w`` already holds {-1,0,1} and ``w_scale`` is its ``s_w`` (so the
      dequantized weight is ``w / w_scale``); otherwise ``w`` is the latent float weight and
      is quantized here with :func:`weight_quant`.
    * ``return_parts``: also return a dict with ``xn, xq, s_x, wt, s_w, acc`` for tests.
    """
    xn = rmsnorm(x, norm_weight, eps) if norm_weight is not None else _f32(x)
    if w_is_ternary:
        if w_scale is None:
            raise ValueError("bitlinear: w_is_ternary needs w_scale (s_w)")
        wt = np.asarray(w)
        if not np.issubdtype(wt.dtype, np.integer):
            # Accept float storage of exact {-1,0,1}; anything else is an error in _check.
            if not np.all(np.isin(wt, (-1.0, 0.0, 1.0))):
                raise ValueError("bitlinear: ternary weight has values outside {-1,0,1}")
            wt = wt.astype(np.int8)
        s_w = F32(w_scale)
    else:
        wt, s_w = weight_quant(w)
    xq, s_x = act_quant(xn, act_bits)
    acc = tmatmul(xq, wt)
    y = (acc.astype(F32) / (s_x * s_w)).astype(F32)
    if return_parts:
        return y, dict(xn=xn, xq=xq, s_x=s_x, wt=wt, s_w=s_w, acc=acc)
    return y


def glu_intermediate(d: int, hidden_ratio: int = 4) -> int:
    """GLU width ``I = 256 * ceil((hidden_ratio * 2/3 * d) / 256)`` (8d/3 for ratio 4).

    Integer arithmetic; equals mmfreelm's ``int(d*4*2/3)`` rounded up to 256 (the floor never
    matters because 8d mod 768 is a multiple of 8).  d=1024 -> 2816, 2048 -> 5632,
    2560 -> 6912.
    """
    num = 2 * hidden_ratio * int(d)
    return 256 * (-(-num // (3 * 256)))


def glu(x, w_gu, w_d, norm_gu=None, norm_d=None, eps: float = 1e-6, act_bits: int = 8,
        w_is_ternary: bool = False, s_gu=None, s_d=None) -> np.ndarray:
    """GLU channel mixer: ``[gate, up] = BL_gu(x)``; ``out = BL_d(SiLU(gate) * up)``.

    ``w_gu``: ``[2I, d]`` (gate rows first, then up rows, like ``chunk(2, -1)``);
    ``w_d``: ``[d, I]``.
    """
    y = bitlinear(x, w_gu, norm_gu, eps, act_bits, w_is_ternary, s_gu)
    if y.shape[-1] % 2:
        raise ValueError("glu: gate/up projection must have an even number of outputs")
    gate, up = np.split(y, 2, axis=-1)
    return bitlinear(silu(gate) * up, w_d, norm_d, eps, act_bits, w_is_ternary, s_d)


# Keys of one MLGRU (mmfreelm HGRNBitAttention) relative to its ``attn.`` prefix.
MLGRU_PROJS = ("i_proj", "f_proj", "g_proj", "o_proj")


def _bl(params: Mapping[str, np.ndarray], name: str, x, eps: float, act_bits: int):
    """BitLinear for projection ``name`` of a param dict (latent or pre-ternarized)."""
    norm = params.get(f"{name}.norm.weight")
    if f"{name}.weight_scale" in params:  # pre-ternarized storage: weight is {-1,0,1}
        return bitlinear(x, params[f"{name}.weight"], norm, eps, act_bits, True,
                         params[f"{name}.weight_scale"])
    return bitlinear(x, params[f"{name}.weight"], norm, eps, act_bits)


def _forget_gate(fx, lower_bound):
    f = sigmoid(fx)
    if lower_bound is not None:
        lb = _f32(lower_bound)
        f = lb + (F32(1) - lb) * f
    return f.astype(F32)


def mlgru_step(x, h, params: Mapping[str, np.ndarray], variant: str = "released",
               lower_bound=None, eps: float = 1e-6, g_norm_eps: float = 1e-6,
               act_bits: int = 8) -> Tuple[np.ndarray, np.ndarray]:
    """One MLGRU decode step.  Returns ``(o, h_new)``; ``x, h``: ``[..., d]``.

    ``params`` keys (mmfreelm ``attn.`` names): ``{i,f,g,o}_proj.weight``, optional
    ``{i,f,g,o}_proj.norm.weight`` (the BitLinear RMSNorm weights, eps ``eps``),
    ``g_norm.weight`` (released variant, eps ``g_norm_eps``), and optional
    ``{p}.weight_scale`` when ``{p}.weight`` is already ternary.

    released (mmfreelm code)::

        f = sigmoid(BL_f(x)); f = lb + (1 - lb) * f   (when lower_bound is given)
        i = SiLU(BL_i(x)) * (1 - f)
        h = f * h + i
        o = BL_o(RMSNorm(BL_g(x)) * w_g * SiLU(h))

    paper (arXiv 2406.02528 figure; the lower bound, if given, bounds f the same way)::

        f = sigmoid(BL_f(x)); c = SiLU(BL_i(x)); g = sigmoid(BL_g(x))
        h = f * h + (1 - f) * c
        o = BL_o(g * h)

    The two carry the same state update (``(1 - f) * SiLU(BL_i(x))`` is added either way);
    they differ in how the output is gated.
    """
    if variant not in VARIANTS:
        raise ValueError(f"mlgru: variant must be one of {VARIANTS}, got {variant!r}")
    x = _f32(x)
    h = _f32(h)
    one = F32(1)
    f = _forget_gate(_bl(params, "f_proj", x, eps, act_bits), lower_bound)
    if variant == "released":
        i = silu(_bl(params, "i_proj", x, eps, act_bits)) * (one - f)
        h_new = (f * h + i).astype(F32)
        gn = rmsnorm(_bl(params, "g_proj", x, eps, act_bits), params.get("g_norm.weight"),
                     g_norm_eps)
        o = _bl(params, "o_proj", gn * silu(h_new), eps, act_bits)
    else:
        c = silu(_bl(params, "i_proj", x, eps, act_bits))
        g = sigmoid(_bl(params, "g_proj", x, eps, act_bits))
        h_new = (f * h + (one - f) * c).astype(F32)
        o = _bl(params, "o_proj", g * h_new, eps, act_bits)
    return o, h_new


def mlgru_sequence(x_seq, h0, params: Mapping[str, np.ndarray], variant: str = "released",
                   lower_bound=None, eps: float = 1e-6, g_norm_eps: float = 1e-6,
                   act_bits: int = 8) -> Tuple[np.ndarray, np.ndarray]:
    """MLGRU over a time-major sequence ``x_seq [T, ..., d]`` from state ``h0 [..., d]``.

    Returns ``(outputs [T, ..., d], final state)``.  Deliberately a different formulation
    from looping :func:`mlgru_step`: the input projections (which do not depend on the
    state) run once over the whole sequence, then only the element-wise recurrence loops.
    Per-token activation quantization makes the two mathematically identical.
    """
    if variant not in VARIANTS:
        raise ValueError(f"mlgru: variant must be one of {VARIANTS}, got {variant!r}")
    x_seq = _f32(x_seq)
    h = _f32(h0)
    if x_seq.ndim < 2 or x_seq.shape[1:-1] != h.shape[:-1]:
        raise ValueError(f"mlgru_sequence: x_seq {x_seq.shape} does not match h0 {h.shape}")
    one = F32(1)
    f = _forget_gate(_bl(params, "f_proj", x_seq, eps, act_bits), lower_bound)
    if variant == "released":
        inp = silu(_bl(params, "i_proj", x_seq, eps, act_bits)) * (one - f)
    else:
        inp = (one - f) * silu(_bl(params, "i_proj", x_seq, eps, act_bits))
    hs = np.empty(x_seq.shape[:-1] + (h.shape[-1],), dtype=F32)
    for t in range(x_seq.shape[0]):
        h = (f[t] * h + inp[t]).astype(F32)
        hs[t] = h
    if variant == "released":
        gn = rmsnorm(_bl(params, "g_proj", x_seq, eps, act_bits), params.get("g_norm.weight"),
                     g_norm_eps)
        o = _bl(params, "o_proj", gn * silu(hs), eps, act_bits)
    else:
        g = sigmoid(_bl(params, "g_proj", x_seq, eps, act_bits))
        o = _bl(params, "o_proj", g * hs, eps, act_bits)
    return o, h


# ---------------------------------------------------------------------------------------------
# Blocks and the full model
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class ModelConfig:
    """Shape and numerics of an HGRNBit model (the fields of mmfreelm's HGRNBitConfig that
    matter for inference, plus the BitLinear norm eps which mmfreelm hard-codes)."""

    vocab_size: int
    hidden_size: int
    num_layers: int
    intermediate_size: int
    rms_norm_eps: float = 1e-6     # attn_norm, mlp_norm, attn.g_norm, final norm
    bitlinear_eps: float = 1e-6    # RMSNorm inside every BitLinear (mmfreelm code: 1e-8)
    variant: str = "released"
    use_lower_bound: bool = True
    act_bits: int = 8

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}")


@dataclasses.dataclass
class Params:
    """A model's config plus its tensors, keyed by mmfreelm state-dict names."""

    config: ModelConfig
    tensors: Dict[str, np.ndarray]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.tensors[key]

    def __contains__(self, key: str) -> bool:
        return key in self.tensors

    def layer(self, i: int) -> Dict[str, np.ndarray]:
        return subdict(self.tensors, f"model.layers.{i}.")


def subdict(tensors: Mapping[str, np.ndarray], prefix: str) -> Dict[str, np.ndarray]:
    """The entries under ``prefix`` with the prefix stripped (``attn.`` -> MLGRU params)."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def effective_lower_bounds(raw) -> np.ndarray:
    """mmfreelm: ``lb = softmax(raw, 0); lb = cumsum(lb, 0) - lb[0]`` -> ``[L, d]``.

    Layer 0 gets exactly 0 (and mmfreelm applies no bound to layer 0 at all).
    """
    p = softmax(_f32(raw), axis=0)
    return (np.cumsum(p, axis=0, dtype=F32) - p[0]).astype(F32)


def layer_lower_bounds(params: Params) -> List[Optional[np.ndarray]]:
    cfg = params.config
    if not cfg.use_lower_bound or "model.lower_bounds" not in params:
        return [None] * cfg.num_layers
    lbs = effective_lower_bounds(params["model.lower_bounds"])
    return [None] + [lbs[i] for i in range(1, cfg.num_layers)]


def block(x, h, layer_params: Mapping[str, np.ndarray], config: ModelConfig,
          lower_bound=None) -> Tuple[np.ndarray, np.ndarray]:
    """One HGRNBit block (decode step or time-major sequence when ``x`` has one more axis
    than ``h``): ``r = x + MLGRU(RMSNorm(x))``, ``out = r + GLU(RMSNorm(r))``.
    Returns ``(out, h_new)``."""
    x = _f32(x)
    eps, beps, bits = config.rms_norm_eps, config.bitlinear_eps, config.act_bits
    attn = subdict(layer_params, "attn.")
    mlp = subdict(layer_params, "mlp.")
    a = rmsnorm(x, layer_params["attn_norm.weight"], eps)
    if np.ndim(x) == np.ndim(h):
        o, h_new = mlgru_step(a, h, attn, config.variant, lower_bound, beps, eps, bits)
    else:
        o, h_new = mlgru_sequence(a, h, attn, config.variant, lower_bound, beps, eps, bits)
    r = x + o
    m = rmsnorm(r, layer_params["mlp_norm.weight"], eps)
    ternary = "gate_proj.weight_scale" in mlp
    out = r + glu(m, mlp["gate_proj.weight"], mlp["down_proj.weight"],
                  mlp.get("gate_proj.norm.weight"), mlp.get("down_proj.norm.weight"), beps, bits,
                  ternary, mlp.get("gate_proj.weight_scale"), mlp.get("down_proj.weight_scale"))
    return out.astype(F32), h_new


def init_states(config: ModelConfig, batch: int) -> np.ndarray:
    """Zero recurrent state ``[L, B, d]`` (the only decode state: no KV cache)."""
    return np.zeros((config.num_layers, batch, config.hidden_size), dtype=F32)


def _lm_head(hidden, params: Params):
    cfg = params.config
    normed = rmsnorm(hidden, params["model.norm.weight"], cfg.rms_norm_eps)
    return _bl(params.tensors, "lm_head", normed, cfg.bitlinear_eps, cfg.act_bits)


def model_step(token_ids, states, params: Params) -> Tuple[np.ndarray, np.ndarray]:
    """One decode step of the full model.

    ``token_ids``: int ``[B]``; ``states``: ``[L, B, d]`` (or None for zeros).
    Returns ``(logits [B, V], new_states [L, B, d])``.
    """
    cfg = params.config
    ids = np.asarray(token_ids)
    if ids.ndim != 1:
        raise ValueError("model_step: token_ids must be [B]")
    if states is None:
        states = init_states(cfg, ids.shape[0])
    states = _f32(states)
    x = _f32(params["model.embeddings.weight"])[ids]
    new_states = np.empty_like(states)
    for i, lb in enumerate(layer_lower_bounds(params)):
        x, new_states[i] = block(x, states[i], params.layer(i), cfg, lb)
    return _lm_head(x, params), new_states


def model_sequence(token_ids, states, params: Params) -> Tuple[np.ndarray, np.ndarray]:
    """The full model over time-major ``token_ids [T, B]`` (or ``[T]``, batch 1 implied).

    Returns ``(logits [T, B, V], final states [L, B, d])``.  Runs layer by layer over the
    whole sequence (a different order of work from stepping :func:`model_step`).
    """
    cfg = params.config
    ids = np.asarray(token_ids)
    if ids.ndim == 1:
        ids = ids[:, None]
    if ids.ndim != 2:
        raise ValueError("model_sequence: token_ids must be [T, B] or [T]")
    if states is None:
        states = init_states(cfg, ids.shape[1])
    states = _f32(states)
    x = _f32(params["model.embeddings.weight"])[ids]
    final = np.empty_like(states)
    for i, lb in enumerate(layer_lower_bounds(params)):
        x, final[i] = block(x, states[i], params.layer(i), cfg, lb)
    return _lm_head(x, params), final


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------

def param_shapes(config: ModelConfig) -> Dict[str, Tuple[int, ...]]:
    """Every tensor of an HGRNBitForCausalLM with its shape (mmfreelm names)."""
    d, I, V, L = (config.hidden_size, config.intermediate_size, config.vocab_size,
                  config.num_layers)
    shapes: Dict[str, Tuple[int, ...]] = {"model.embeddings.weight": (V, d)}
    if config.use_lower_bound:
        shapes["model.lower_bounds"] = (L, d)
    for i in range(L):
        p = f"model.layers.{i}."
        shapes[p + "attn_norm.weight"] = (d,)
        for proj in MLGRU_PROJS:
            shapes[p + f"attn.{proj}.weight"] = (d, d)
            shapes[p + f"attn.{proj}.norm.weight"] = (d,)
        shapes[p + "attn.g_norm.weight"] = (d,)
        shapes[p + "mlp_norm.weight"] = (d,)
        shapes[p + "mlp.gate_proj.weight"] = (2 * I, d)
        shapes[p + "mlp.gate_proj.norm.weight"] = (d,)
        shapes[p + "mlp.down_proj.weight"] = (d, I)
        shapes[p + "mlp.down_proj.norm.weight"] = (I,)
    shapes["model.norm.weight"] = (d,)
    shapes["lm_head.weight"] = (V, d)
    shapes["lm_head.norm.weight"] = (d,)
    return shapes


def random_params(d: int, layers: int, vocab: int, seed: int = 0,
                  intermediate: Optional[int] = None, variant: str = "released",
                  use_lower_bound: bool = True, rms_norm_eps: float = 1e-6,
                  bitlinear_eps: float = 1e-6) -> Params:
    """A random tiny HGRNBit model.  Linear weights ~ N(0, 0.02) like mmfreelm's init; norm
    weights ~ 1 + N(0, 0.1) so that they are not trivially 1; embeddings ~ N(0, 1)."""
    cfg = ModelConfig(vocab_size=vocab, hidden_size=d, num_layers=layers,
                      intermediate_size=intermediate or glu_intermediate(d),
                      rms_norm_eps=rms_norm_eps, bitlinear_eps=bitlinear_eps,
                      variant=variant, use_lower_bound=use_lower_bound)
    rng = np.random.default_rng(seed)
    tensors: Dict[str, np.ndarray] = {}
    for name, shape in param_shapes(cfg).items():
        if name.endswith("norm.weight"):
            t = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name in ("model.embeddings.weight", "model.lower_bounds"):
            t = rng.standard_normal(shape)
        else:
            t = 0.02 * rng.standard_normal(shape)
        tensors[name] = t.astype(F32)
    return Params(cfg, tensors)


def ternarize_params(params: Params) -> Params:
    """Pre-ternarized copy: every BitLinear ``X.weight`` becomes int8 {-1,0,1} plus
    ``X.weight_scale`` = s_w (what a converted checkpoint would store)."""
    out = dict(params.tensors)
    for name, t in params.tensors.items():
        if name.endswith(".weight") and f"{name[:-len('.weight')]}.norm.weight" in params.tensors:
            wt, s_w = weight_quant(t)
            out[name] = wt
            out[name[:-len(".weight")] + ".weight_scale"] = np.asarray(s_w, dtype=F32)
    return Params(params.config, out)


def config_from_hf(cfg: Mapping) -> ModelConfig:
    """ModelConfig from an mmfreelm HGRNBitConfig ``config.json`` dict."""
    d = int(cfg["hidden_size"])
    inter = cfg.get("intermediate_size")
    ratio = cfg.get("hidden_ratio") or 4
    return ModelConfig(
        vocab_size=int(cfg["vocab_size"]), hidden_size=d,
        num_layers=int(cfg["num_hidden_layers"]),
        intermediate_size=int(inter) if inter else glu_intermediate(d, int(ratio)),
        rms_norm_eps=float(cfg.get("rms_norm_eps", 1e-6)),
        use_lower_bound=bool(cfg.get("use_lower_bound", True)))


_SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
                       "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_safetensors(path: str) -> Dict[str, np.ndarray]:
    """Read a ``.safetensors`` file into numpy arrays, BF16 included (widened to float32).

    Parsed directly (8-byte little-endian header length, JSON header, raw data) because the
    ``safetensors`` package's numpy API cannot represent bfloat16, the usual checkpoint type.
    The data is memory-mapped; arrays are copied only when converted.
    """
    import json

    with open(path, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(n))
    base = 8 + n
    data = np.memmap(path, dtype=np.uint8, mode="r")
    out: Dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        buf = data[base + begin: base + end]
        shape = tuple(info["shape"])
        dt = info["dtype"]
        if dt == "BF16":
            # bfloat16 is the top half of a float32: widen by shifting into the high bits.
            arr = (buf.view("<u2").astype(np.uint32) << np.uint32(16)).view(F32)
        elif dt in _SAFETENSORS_DTYPES:
            arr = buf.view(_SAFETENSORS_DTYPES[dt])
        else:
            raise TypeError(f"{name}: unsupported safetensors dtype {dt}")
        out[name] = arr.reshape(shape)
    return out


def load_safetensors(path: str, config: ModelConfig) -> Params:
    """Load an HGRNBit checkpoint (``model.safetensors``) as Params.

    Float tensors become float32 and int8 tensors (pre-ternarized weights) stay int8.  Extra
    tensors are kept but unused; a missing or misshapen one raises, naming it.
    """
    tensors = {}
    for k, v in read_safetensors(path).items():
        tensors[k] = np.array(v, dtype=F32) if v.dtype.kind == "f" else np.array(v)
    for name, shape in param_shapes(config).items():
        if name not in tensors:
            raise KeyError(f"checkpoint lacks {name}")
        if tuple(tensors[name].shape) != shape:
            raise ValueError(f"{name}: shape {tensors[name].shape}, expected {shape}")
    return Params(config, tensors)


def save_safetensors(params: Params, path: str) -> None:
    """Write Params with the ``safetensors`` package (float32 / int8 tensors)."""
    from safetensors.numpy import save_file  # optional dependency

    save_file({k: np.ascontiguousarray(v) for k, v in params.tensors.items()}, path)


__all__ = [
    "sigmoid", "silu", "softmax", "rmsnorm", "act_quant", "weight_quant", "tmatmul",
    "bitlinear", "glu_intermediate", "glu", "mlgru_step", "mlgru_sequence", "block",
    "model_step", "model_sequence", "ModelConfig", "Params", "subdict", "random_params",
    "ternarize_params", "param_shapes", "effective_lower_bounds", "layer_lower_bounds",
    "init_states", "config_from_hf", "read_safetensors", "load_safetensors",
    "save_safetensors",
]
