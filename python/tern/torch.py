"""PyTorch modules of the HGRNBit architecture (MatMul-free LM, Zhu et al. 2024), with the
parameter names and ``config.json`` fields of the released ``mmfreelm`` checkpoints
(``ridger/MMfreeLM-370M`` / ``-1.3B`` / ``-2.7B``), for training and as the PyTorch reference
of Tern's exporter and compiled models.

    >>> from tern.torch import HGRNBitForCausalLM
    >>> model = HGRNBitForCausalLM.from_pretrained("path/to/MMfreeLM-370M")  # config.json +
    >>> logits, states = model(input_ids)                                  # model.safetensors

* :class:`BitLinear` is mmfreelm's ``FusedBitLinear``: an RMSNorm (its ``norm.weight``),
  per-token absmax int8 activation quantization and per-tensor absmean ternary weight
  quantization.  In training mode both quantizers use the straight-through estimator
  (``x + (q(x) - x).detach()``, exactly as mmfreelm); in eval mode the output is computed
  the way Tern computes it, ``(xq @ Wt^T) / (s_x * s_w)`` with integer-valued ``xq``/``Wt``,
  so it matches :mod:`tern.reference` to float32 rounding.
* Sequences are batch-first ``[B, T]`` like Hugging Face models; the recurrent state of a
  model is ``[L, B, d]`` (one vector per layer: no KV cache), the same layout as
  :func:`tern.reference.model_step` and the exported ONNX models.
* The only numeric constant mmfreelm hard-codes is the eps of the RMSNorm inside every
  BitLinear (``1e-8`` in mmfreelm's ``BitLinear``); it is the extra config field
  ``bitlinear_eps``, which a released ``config.json`` does not carry (default ``1e-8``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import reference as R
from .generation import sample_next  # the sampling rule every generator shares

ACT_SCALE_FLOOR = R.ACT_SCALE_FLOOR
WEIGHT_SCALE_FLOOR = R.WEIGHT_SCALE_FLOOR


# ---------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class HGRNBitConfig:
    """mmfreelm's ``HGRNBitConfig`` (``model_type = "hgrn_bit"``), field for field.

    Fields that only steer mmfreelm's Triton kernels or Hugging Face plumbing
    (``attn_mode``, ``use_short_conv``, ``conv_size``, ``share_conv_kernel``, ``use_cache``,
    ``fuse_cross_entropy``, ...) are kept so a ``config.json`` round-trips, and ignored by
    the math.  Unknown keys of a ``config.json`` are kept in ``extra``.
    """

    vocab_size: int = 32000
    hidden_size: int = 2048
    num_hidden_layers: int = 24
    attn_mode: str = "fused_recurrent"
    num_heads: Optional[int] = 1
    expand_ratio: Optional[int] = 1
    use_short_conv: bool = False
    conv_size: int = 4
    share_conv_kernel: bool = True
    use_lower_bound: bool = True
    hidden_ratio: Optional[int] = 4
    intermediate_size: Optional[int] = None
    hidden_act: str = "swish"
    max_position_embeddings: int = 2048
    rms_norm_eps: float = 1e-6
    use_cache: bool = True
    pad_token_id: Optional[int] = None
    bos_token_id: Optional[int] = 1
    eos_token_id: Optional[int] = 2
    tie_word_embeddings: bool = False
    initializer_range: float = 0.02
    fuse_cross_entropy: bool = True
    # Not in mmfreelm's config (hard-coded there): the BitLinear RMSNorm eps, the MLGRU
    # variant (mmfreelm implements "released"), and the activation bits (8).
    bitlinear_eps: float = 1e-8
    variant: str = "released"
    act_bits: int = 8
    # "tern": BitLinear in eval mode is Tern's integer form; "mmfreelm": the reference code's
    # spelling in every mode (straight-through quantizers, RMSNorm as x * (1 / sqrt(...))).
    spelling: str = "tern"
    extra: Dict[str, Any] = dataclasses.field(default_factory=dict)

    model_type = "hgrn_bit"

    def __post_init__(self):
        if self.variant not in R.VARIANTS:
            raise ValueError(f"variant must be one of {R.VARIANTS}, got {self.variant!r}")
        if self.spelling not in ("tern", "mmfreelm"):
            raise ValueError(f"spelling must be 'tern' or 'mmfreelm', got {self.spelling!r}")
        if self.hidden_act not in ("swish", "silu"):
            raise ValueError(f"hidden_act {self.hidden_act!r}: HGRNBit uses swish (SiLU)")
        if self.use_short_conv:
            raise ValueError("use_short_conv=True is not supported (no released checkpoint "
                             "uses it)")

    @property
    def input_dim(self) -> int:
        """Width of the MLGRU state: ``hidden_size * expand_ratio``."""
        return int(self.hidden_size * (self.expand_ratio or 1))

    @property
    def mlp_intermediate(self) -> int:
        """mmfreelm's HGRNBitMLP width: ``intermediate_size`` or
        ``256 * ceil(int(d * hidden_ratio * 2/3) / 256)``."""
        if self.intermediate_size:
            return int(self.intermediate_size)
        ratio = self.hidden_ratio or 4
        inter = int(self.hidden_size * ratio * 2 / 3)
        return 256 * ((inter + 256 - 1) // 256)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "HGRNBitConfig":
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in d.items() if k in names}
        extra = {k: v for k, v in d.items() if k not in names and k != "extra"}
        extra.update(d.get("extra", {}) or {})
        return cls(**known, extra=extra)

    @classmethod
    def from_json_file(cls, path: str) -> "HGRNBitConfig":
        with open(path) as fh:
            return cls.from_dict(json.load(fh))

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"architectures": ["HGRNBitForCausalLM"],
                               "model_type": self.model_type}
        out.update(self.extra)
        for f in dataclasses.fields(self):
            if f.name != "extra":
                out[f.name] = getattr(self, f.name)
        out.setdefault("torch_dtype", "float32")
        return out

    def save(self, path: str) -> None:
        with open(path, "w") as fh:
            json.dump(self.to_dict(), fh, indent=2, sort_keys=True)
            fh.write("\n")

    def to_reference(self) -> R.ModelConfig:
        """The :class:`tern.reference.ModelConfig` of the same model."""
        if self.input_dim != self.hidden_size:
            raise ValueError("tern.reference and the exporters need expand_ratio = 1")
        return R.ModelConfig(vocab_size=self.vocab_size, hidden_size=self.hidden_size,
                             num_layers=self.num_hidden_layers,
                             intermediate_size=self.mlp_intermediate,
                             rms_norm_eps=self.rms_norm_eps, bitlinear_eps=self.bitlinear_eps,
                             variant=self.variant, use_lower_bound=self.use_lower_bound,
                             act_bits=self.act_bits)


# ---------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------

def rms_norm(x: torch.Tensor, weight: Optional[torch.Tensor], eps: float,
             spelling: str = "tern") -> torch.Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` in float32 (the reference's spelling); with
    ``spelling="mmfreelm"`` as mmfreelm's ``rms_norm_ref`` writes it,
    ``x * (1 / sqrt(mean(x^2) + eps)) * weight``."""
    if spelling == "mmfreelm":
        y = x * (1 / torch.sqrt(x.square().mean(dim=-1, keepdim=True) + eps))
    else:
        y = x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
    return y * weight if weight is not None else y


class RMSNorm(nn.Module):
    def __init__(self, hidden_size: int, eps: float = 1e-6, spelling: str = "tern"):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.eps = eps
        self.spelling = spelling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.weight, self.eps, self.spelling)


def activation_quant(x: torch.Tensor, bits: int = 8) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-token absmax quantization -> (integer-valued float ``q``, scale ``s`` [..., 1])."""
    qmax = 2 ** (bits - 1) - 1
    s = qmax / x.abs().amax(dim=-1, keepdim=True).clamp(min=ACT_SCALE_FLOOR)
    return (x * s).round().clamp(-qmax - 1, qmax), s


def weight_quant(w: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-tensor absmean ternary quantization -> (``Wt`` in {-1,0,1} as float, ``s_w``)."""
    s = 1.0 / w.abs().mean().clamp(min=WEIGHT_SCALE_FLOOR)
    return (w * s).round().clamp(-1, 1), s


class BitLinear(nn.Linear):
    """mmfreelm's (Fused)BitLinear: ``y = quant(RMSNorm(x)) @ quant(W)^T``, no bias.

    Training mode: straight-through estimator on both quantizers (mmfreelm's formulation,
    gradients pass through ``round`` as identity).  Eval mode: the exact integer form
    ``(xq @ Wt^T) / (s_x * s_w)`` Tern compiles.  Under ``torch.onnx.export`` the eval form
    is written dequantized, ``(xq / s_x) @ (Wt / s_w)^T`` (the same value up to float32
    rounding), which Tern's importer recognizes as a BitLinear.  ``spelling="mmfreelm"``
    uses the straight-through form in every mode, as mmfreelm's code does.  Parameters:
    ``weight`` ``[out, in]`` and ``norm.weight`` ``[in]``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = False,
                 eps: float = 1e-8, act_bits: int = 8, spelling: str = "tern"):
        if bias:
            raise ValueError("BitLinear has no bias in HGRNBit")
        super().__init__(in_features, out_features, bias=False)
        self.norm = RMSNorm(in_features, eps=eps, spelling=spelling)
        self.act_bits = act_bits
        self.spelling = spelling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xn = self.norm(x)
        xq, s_x = activation_quant(xn, self.act_bits)
        wt, s_w = weight_quant(self.weight)
        if self.spelling == "mmfreelm" or (self.training and torch.is_grad_enabled()):
            x_ste = xn + (xq / s_x - xn).detach()
            w_ste = self.weight + (wt / s_w - self.weight).detach()
            return F.linear(x_ste, w_ste)
        if _exporting():
            return F.linear(xq / s_x, wt / s_w)
        return F.linear(xq, wt) / (s_x * s_w)


def _exporting() -> bool:
    """True while ``torch.onnx.export`` / ``torch.jit.trace`` records the module."""
    return torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()


class HGRNBitAttention(nn.Module):
    """The MLGRU token mixer (mmfreelm ``HGRNBitAttention``)::

        f = sigmoid(f_proj(x)); f = lb + (1 - lb) * f         (layers > 0 with lower bound)
        i = SiLU(i_proj(x)) * (1 - f);  h_t = f * h_{t-1} + i
        o = o_proj(RMSNorm(g_proj(x)) * g_norm.weight * SiLU(h_t))     ("released")

    The ``paper`` variant (``config.variant``) gates with ``sigmoid(g_proj(x)) * h_t`` and
    has no ``g_norm``.
    """

    def __init__(self, config: HGRNBitConfig, layer_idx: int = 0):
        super().__init__()
        d, e = config.hidden_size, config.input_dim
        self.layer_idx = layer_idx
        self.variant = config.variant
        mk = lambda i, o: BitLinear(i, o, eps=config.bitlinear_eps, act_bits=config.act_bits,
                                    spelling=config.spelling)
        self.i_proj = mk(d, e)
        self.f_proj = mk(d, e)
        self.g_proj = mk(d, e)
        if config.variant == "released":
            self.g_norm = RMSNorm(e, eps=config.rms_norm_eps, spelling=config.spelling)
        self.o_proj = mk(e, d)

    def forward(self, x: torch.Tensor, state: Optional[torch.Tensor] = None,
                lower_bound: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``x`` ``[B, T, d]`` (or ``[B, d]`` for one step), ``state`` ``[B, e]`` or None.
        Returns ``(o like x, final state [B, e])``."""
        f = torch.sigmoid(self.f_proj(x))
        if lower_bound is not None and self.layer_idx > 0:
            f = lower_bound + (1 - lower_bound) * f
        i = F.silu(self.i_proj(x)) * (1 - f)
        if x.dim() == 2:  # one step on [B, e]: the element-wise update, no time axis
            hs = h = i if state is None else f * state + i
        else:
            hs, h = recurrence(f, i, state)
        if self.variant == "released":
            o = self.o_proj(self.g_norm(self.g_proj(x)) * F.silu(hs))
        else:
            o = self.o_proj(torch.sigmoid(self.g_proj(x)) * hs)
        return o, h


def recurrence(f: torch.Tensor, i: torch.Tensor, h0: Optional[torch.Tensor]
               ) -> Tuple[torch.Tensor, torch.Tensor]:
    """``h_t = f_t * h_{t-1} + i_t`` over axis 1 of ``[B, T, e]``; returns (all h, last h).

    The forward is the plain loop over time (the reference semantics, bit for bit); the
    backward is the reverse-time loop of :class:`_LinearRecurrence` (autograd through a
    Python loop of slices would cost O(T^2) memory traffic)."""
    if h0 is None:
        h0 = torch.zeros_like(i[:, 0])
    if _exporting():
        # A tracer cannot follow _LinearRecurrence's in-place writes into an empty tensor
        # (torch.onnx.export would drop h0 and freeze the recurrence into a constant): the
        # same loop, written out of pure ops.
        h, hs_list = h0, []
        for t in range(i.shape[1]):
            h = f[:, t] * h + i[:, t]
            hs_list.append(h)
        return torch.stack(hs_list, 1), h
    hs = _LinearRecurrence.apply(f, i, h0)
    return hs, hs[:, -1]


class _LinearRecurrence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, f, i, h0):
        hs = torch.empty_like(i)
        h = h0
        for t in range(i.shape[1]):
            h = f[:, t] * h + i[:, t]
            hs[:, t] = h
        ctx.save_for_backward(f, hs, h0)
        return hs

    @staticmethod
    def backward(ctx, grad_hs):
        f, hs, h0 = ctx.saved_tensors
        T_ = f.shape[1]
        grad_f = torch.empty_like(f)
        grad_i = torch.empty_like(f)
        g = torch.zeros_like(h0)
        for t in range(T_ - 1, -1, -1):
            g = grad_hs[:, t] + g  # dL/dh_t: from the output and from h_{t+1}
            grad_i[:, t] = g
            grad_f[:, t] = g * (hs[:, t - 1] if t > 0 else h0)
            g = g * f[:, t]
        return grad_f, grad_i, g


class HGRNBitMLP(nn.Module):
    """GLU channel mixer: ``gate, up = gate_proj(x).chunk(2)``; ``down_proj(SiLU(gate)*up)``."""

    def __init__(self, config: HGRNBitConfig):
        super().__init__()
        d, inter = config.hidden_size, config.mlp_intermediate
        self.intermediate_size = inter
        self.gate_proj = BitLinear(d, 2 * inter, eps=config.bitlinear_eps,
                                   act_bits=config.act_bits, spelling=config.spelling)
        self.down_proj = BitLinear(inter, d, eps=config.bitlinear_eps, act_bits=config.act_bits,
                                   spelling=config.spelling)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_proj(x).chunk(2, dim=-1)
        return self.down_proj(F.silu(gate) * up)


class HGRNBitBlock(nn.Module):
    def __init__(self, config: HGRNBitConfig, layer_idx: int):
        super().__init__()
        sp = config.spelling
        self.attn_norm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps, spelling=sp)
        self.attn = HGRNBitAttention(config, layer_idx)
        self.mlp_norm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps, spelling=sp)
        self.mlp = HGRNBitMLP(config)

    def forward(self, x, state=None, lower_bound=None):
        o, h = self.attn(self.attn_norm(x), state, lower_bound)
        r = x + o
        return r + self.mlp(self.mlp_norm(r)), h


class HGRNBitModel(nn.Module):
    def __init__(self, config: HGRNBitConfig):
        super().__init__()
        self.config = config
        self.embeddings = nn.Embedding(config.vocab_size, config.hidden_size,
                                       config.pad_token_id)
        if config.use_lower_bound:
            self.lower_bounds = nn.Parameter(torch.zeros(config.num_hidden_layers,
                                                         config.input_dim))
        self.layers = nn.ModuleList(HGRNBitBlock(config, i)
                                    for i in range(config.num_hidden_layers))
        self.norm = RMSNorm(config.hidden_size, eps=config.rms_norm_eps,
                            spelling=config.spelling)

    def effective_lower_bounds(self) -> Optional[torch.Tensor]:
        """``softmax(lower_bounds, 0).cumsum(0) - softmax(...)[0]`` (layer 0 gets none)."""
        if not self.config.use_lower_bound:
            return None
        lb = self.lower_bounds.softmax(0)
        return lb.cumsum(0) - lb[0]

    def forward(self, input_ids: torch.Tensor, states: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``input_ids`` ``[B, T]`` (or ``[B]`` for one step); ``states`` ``[L, B, e]``.
        Returns (final hidden states after the last norm, new states ``[L, B, e]``)."""
        x = self.embeddings(input_ids)
        lbs = self.effective_lower_bounds()
        new_states = []
        for idx, layer in enumerate(self.layers):
            x, h = layer(x, None if states is None else states[idx],
                         None if lbs is None else lbs[idx])
            new_states.append(h)
        return self.norm(x), torch.stack(new_states, 0)


# ---------------------------------------------------------------------------------------------
# The causal LM, loading and saving
# ---------------------------------------------------------------------------------------------

class HGRNBitForCausalLM(nn.Module):
    """``model.*`` (:class:`HGRNBitModel`) plus the BitLinear ``lm_head``."""

    def __init__(self, config: HGRNBitConfig):
        super().__init__()
        self.config = config
        self.model = HGRNBitModel(config)
        self.lm_head = BitLinear(config.hidden_size, config.vocab_size,
                                 eps=config.bitlinear_eps, act_bits=config.act_bits,
                                 spelling=config.spelling)
        self.reset_parameters()

    def reset_parameters(self, seed: Optional[int] = None) -> None:
        """mmfreelm's ``_init_weights``: Linear and Embedding ~ N(0, initializer_range),
        norms 1, lower bounds 0."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        std = self.config.initializer_range
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith("norm.weight"):
                    p.fill_(1.0)
                elif name == "model.lower_bounds":
                    p.zero_()
                else:
                    p.copy_(torch.randn(p.shape, generator=gen) * std)

    def forward(self, input_ids: torch.Tensor, states: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Batch-first ``input_ids [B, T]`` -> ``(logits [B, T, V], states [L, B, e])``;
        ``[B]`` -> ``(logits [B, V], states)`` (one decode step)."""
        hidden, new_states = self.model(input_ids, states)
        return self.lm_head(hidden), new_states

    step = forward  # a decode step is forward() on token ids [B]

    def loss(self, input_ids: torch.Tensor, states: Optional[torch.Tensor] = None
             ) -> torch.Tensor:
        """Next-token cross entropy over ``input_ids [B, T]``."""
        logits, _ = self(input_ids[:, :-1], states)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                               input_ids[:, 1:].reshape(-1))

    def init_states(self, batch: int) -> torch.Tensor:
        return torch.zeros(self.config.num_hidden_layers, batch, self.config.input_dim)

    # --- checkpoints -------------------------------------------------------------------------
    def save_pretrained(self, directory: str) -> None:
        """``config.json`` + ``model.safetensors`` (float32), the released layout."""
        from safetensors.torch import save_file
        os.makedirs(directory, exist_ok=True)
        self.config.save(os.path.join(directory, "config.json"))
        tensors = {k: v.detach().contiguous().float() for k, v in self.state_dict().items()}
        save_file(tensors, os.path.join(directory, "model.safetensors"),
                  metadata={"format": "pt"})

    @classmethod
    def from_pretrained(cls, directory: str, strict: bool = True) -> "HGRNBitForCausalLM":
        """Loads a released-format checkpoint directory: ``config.json`` plus
        ``model.safetensors`` (BF16/F16/F32; or sharded ``model-*.safetensors`` with an
        index, or ``pytorch_model.bin``).  The model is returned in eval mode."""
        config = HGRNBitConfig.from_json_file(os.path.join(directory, "config.json"))
        model = cls(config)
        model.load_state_dict(load_state_dict(directory), strict=strict)
        return model.eval()

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True):
        """Like nn.Module's, with checkpoint tensors converted to float32 and a missing or
        misshapen tensor reported by name (mmfreelm checkpoints have no extra buffers)."""
        own = self.state_dict()
        sd = {k: torch.from_numpy(np.array(v)) if not isinstance(v, torch.Tensor) else v
              for k, v in state_dict.items()}
        sd = {k: v.float() for k, v in sd.items()}
        if strict:
            missing = sorted(set(own) - set(sd))
            unexpected = sorted(set(sd) - set(own))
            if missing or unexpected:
                raise KeyError(f"checkpoint does not match the config: missing {missing[:8]}"
                               f"{'...' if len(missing) > 8 else ''}, unexpected "
                               f"{unexpected[:8]}{'...' if len(unexpected) > 8 else ''}")
        for k, v in sd.items():
            if k in own and tuple(own[k].shape) != tuple(v.shape):
                raise ValueError(f"{k}: checkpoint shape {tuple(v.shape)}, model expects "
                                 f"{tuple(own[k].shape)}")
        return super().load_state_dict(sd, strict=strict)

    # --- bridges -----------------------------------------------------------------------------
    def to_reference_params(self) -> R.Params:
        """The model as :class:`tern.reference.Params` (float32 numpy, mmfreelm names)."""
        tensors = {k: v.detach().float().cpu().numpy().copy()
                   for k, v in self.state_dict().items()}
        return R.Params(self.config.to_reference(), tensors)


def load_state_dict(directory: str) -> Dict[str, np.ndarray]:
    """Tensors of a checkpoint directory as numpy (BF16 widened to float32)."""
    single = os.path.join(directory, "model.safetensors")
    if os.path.exists(single):
        return dict(R.read_safetensors(single))
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as fh:
            files = sorted(set(json.load(fh)["weight_map"].values()))
        out: Dict[str, np.ndarray] = {}
        for f in files:
            out.update(R.read_safetensors(os.path.join(directory, f)))
        return out
    binf = os.path.join(directory, "pytorch_model.bin")
    if os.path.exists(binf):
        sd = torch.load(binf, map_location="cpu")
        return {k: v.float().numpy() for k, v in sd.items()}
    raise FileNotFoundError(f"{directory}: no model.safetensors, sharded safetensors index "
                            f"or pytorch_model.bin")


# ---------------------------------------------------------------------------------------------
# Reference generation
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def generate(model: HGRNBitForCausalLM, prompt_ids: Iterable[int], max_new_tokens: int,
             temperature: float = 0.0, top_k: int = 0, seed: Optional[int] = None,
             stop_ids: Iterable[int] = ()) -> List[int]:
    """Reference generation in PyTorch, one decode step at a time (batch 1, eval mode).
    Returns the new token ids (without the prompt)."""
    was_training = model.training
    model.eval()
    try:
        prompt = [int(t) for t in prompt_ids]
        if not prompt:
            raise ValueError("generate needs a non-empty prompt")
        rng = np.random.default_rng(seed)
        states = model.init_states(1)
        for t in prompt:
            logits, states = model.step(torch.tensor([t]), states)
        out: List[int] = []
        stops = set(stop_ids)
        for _ in range(max_new_tokens):
            nxt = sample_next(logits[0].numpy(), temperature, top_k, rng)
            out.append(nxt)
            if nxt in stops:
                break
            logits, states = model.step(torch.tensor([nxt]), states)
        return out
    finally:
        model.train(was_training)


__all__ = ["HGRNBitConfig", "RMSNorm", "BitLinear", "HGRNBitAttention", "HGRNBitMLP",
           "HGRNBitBlock", "HGRNBitModel", "HGRNBitForCausalLM", "activation_quant",
           "weight_quant", "rms_norm", "recurrence", "load_state_dict", "sample_next",
           "generate"]
