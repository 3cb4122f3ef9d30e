"""Builders of ONNX test models in every form Tern's importer accepts (DESIGN.md, "What ONNX
graphs look like").

Forms
-----
1.  Plain float graphs (:func:`build_float_mlp`, :func:`build_float_ops`).
2a. BitLinear with weight quantization left in the graph on a latent float initializer
    (``storage="latent"``), activation quantization as Abs/ReduceMax/Clip/Div/Mul/Round/Clip and
    RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul.  :class:`Spelling` picks the variants an
    exporter may produce: Div vs Mul-by-Reciprocal, Clip vs Max/Min, Transpose+MatMul vs
    Gemm(transB=1) vs a weight stored pre-transposed ``[in, out]``, Pow vs Mul for squares.
2b. Constant-folded ternary weights: a float initializer with values {-a, 0, +a}
    (``storage="folded"``).
3.  Pre-ternarized int8 {-1,0,1} initializer plus scale, through DequantizeLinear
    (``storage="int8_dql"``) or Cast+Mul (``storage="int8_cast"``).
4.  Tern's own ops in domain ``"tern"`` (``storage="custom"``); their specification is in
    ``ONNX_CUSTOM_OPS.md`` next to this file and in :data:`CUSTOM_OPS_SPEC`.
5.  MLGRU as a decode step of element-wise ops (:func:`build_mlgru_step`) and over a sequence
    through ONNX ``Scan`` (:func:`build_mlgru_scan`).

plus a tiny full model decode step (:func:`build_model_step`: tokens + states -> logits +
states) in any of the storages.

Every builder returns a :class:`Built`: the model, the numpy parameters, sample inputs, a
function computing the expected outputs with :mod:`tern.reference`, and the tolerance within
which an fp32 runtime must match them.  Opsets 13..19 are supported (default 17); from 18 on,
ReduceMean/ReduceMax take ``axes`` as an input.  Models use IR version 8, the newest the
installed onnx 1.12 knows; onnx 1.12's checker only knows opsets up to 17.

Command line: ``python -m tern.onnx_models OUTDIR [--opset N] [--seed S]`` writes one folder
per case with ``model.onnx``, ``inputs/<name>.npy``, ``expected/<name>.npy`` and
``meta.json``, plus ``OUTDIR/manifest.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from . import reference as R

F32 = np.float32
DEFAULT_OPSET = 17
MIN_OPSET, MAX_OPSET = 13, 19
IR_VERSION = 8
TERN_DOMAIN = "tern"
TERN_OPSET_VERSION = 1

STORAGES = ("latent", "folded", "int8_dql", "int8_cast", "custom")
FORM_OF_STORAGE = {"latent": "2a", "folded": "2b", "int8_dql": "3", "int8_cast": "3",
                   "custom": "4"}

_NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64,
               np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int8): TensorProto.INT8,
               np.dtype(np.bool_): TensorProto.BOOL}

Shape = Optional[Sequence[Union[int, str, None]]]


# ---------------------------------------------------------------------------------------------
# Custom-op specification (form 4).  ONNX_CUSTOM_OPS.md carries the same text for humans.
# ---------------------------------------------------------------------------------------------

CUSTOM_OPS_SPEC = """
Domain "tern", version 1.  Weights use the PyTorch Linear layout [out, in].  Optional inputs
may be omitted at the end or given as "" in the middle.  All float tensors are float32.

tern.RMSNorm(X, [weight]) -> Y
    Y = X / sqrt(mean(X^2 over the last axis) + eps) * weight      (weight [D], optional)
    attrs: eps: float = 1e-6

tern.BitLinear(X, W, [norm_weight], [w_scale]) -> Y
    X [..., K]; W [N, K]; Y [..., N].
    xn = RMSNorm(X, norm_weight, eps) if norm_weight is given, else X (no normalization)
    s_x = (2^(act_bits-1) - 1) / max(max(|xn|, last axis), 1e-5)          (per token)
    xq  = clip(round_half_even(xn * s_x), -2^(act_bits-1), 2^(act_bits-1) - 1)
    weight_form "latent":  W is the float latent weight;
        s_w = 1 / max(mean(|W|), 1e-5); Wt = clip(round_half_even(W * s_w), -1, 1)
    weight_form "ternary": W holds {-1, 0, +1} (int8 or float); w_scale (scalar float,
        required) is s_w, i.e. the dequantized weight is W / w_scale.
    Y = (xq . Wt^T) / (s_x * s_w)        (integer accumulation, one rescale, no bias)
    attrs: eps: float = 1e-6; act_bits: int = 8 (2..8); weight_form: string = "latent"

tern.GLU(X, W_gu, W_d, [norm_gu], [norm_d], [s_gu], [s_d]) -> Y
    X [..., D]; W_gu [2I, D] (gate rows, then up rows); W_d [D, I].
    [gate, up] = split(BitLinear(X, W_gu, norm_gu, s_gu), 2, last axis)
    Y = BitLinear(SiLU(gate) * up, W_d, norm_d, s_d)
    attrs: eps, act_bits, weight_form (as BitLinear, applied to both projections)

tern.MLGRU(X, H, W_i, W_f, W_g, W_o, [norm_i], [norm_f], [norm_g], [norm_o], [g_norm],
           [lower_bound], [s_i], [s_f], [s_g], [s_o]) -> (Y, H_out)
    mode "step":     X [..., D], H [..., D]  -> Y [..., D], H_out [..., D]
    mode "sequence": X [T, ..., D] (time-major), H [..., D] (initial state)
                     -> Y [T, ..., D], H_out = state after the last step
    BL_p(x) = BitLinear(x, W_p, norm_p, s_p) with attrs eps, act_bits, weight_form.
    f = sigmoid(BL_f(x)); if lower_bound [D] is given: f = lb + (1 - lb) * f
    variant "released" (mmfreelm code):
        i = SiLU(BL_i(x)) * (1 - f);  h = f * h + i
        y = BL_o(RMSNorm(BL_g(x), g_norm, g_norm_eps) * SiLU(h))
    variant "paper" (arXiv 2406.02528; g_norm unused):
        c = SiLU(BL_i(x)); g = sigmoid(BL_g(x));  h = f * h + (1 - f) * c
        y = BL_o(g * h)
    attrs: variant: string = "released"; mode: string = "step"; eps: float = 1e-6 (BitLinear
    norms); g_norm_eps: float = 1e-6; act_bits: int = 8; weight_form: string = "latent"
"""

CUSTOM_OP_ATTRS: Dict[str, Dict[str, object]] = {
    "RMSNorm": {"eps": 1e-6},
    "BitLinear": {"eps": 1e-6, "act_bits": 8, "weight_form": "latent"},
    "GLU": {"eps": 1e-6, "act_bits": 8, "weight_form": "latent"},
    "MLGRU": {"variant": "released", "mode": "step", "eps": 1e-6, "g_norm_eps": 1e-6,
              "act_bits": 8, "weight_form": "latent"},
}
CUSTOM_OP_INPUTS: Dict[str, Tuple[str, ...]] = {
    "RMSNorm": ("X", "weight"),
    "BitLinear": ("X", "W", "norm_weight", "w_scale"),
    "GLU": ("X", "W_gu", "W_d", "norm_gu", "norm_d", "s_gu", "s_d"),
    "MLGRU": ("X", "H", "W_i", "W_f", "W_g", "W_o", "norm_i", "norm_f", "norm_g", "norm_o",
              "g_norm", "lower_bound", "s_i", "s_f", "s_g", "s_o"),
}
CUSTOM_OP_REQUIRED = {"RMSNorm": 1, "BitLinear": 2, "GLU": 3, "MLGRU": 6}
CUSTOM_OP_OUTPUTS = {"RMSNorm": ("Y",), "BitLinear": ("Y",), "GLU": ("Y",),
                     "MLGRU": ("Y", "H_out")}


# ---------------------------------------------------------------------------------------------
# Graph building
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Spelling:
    """How an exporter spelled the standard-op forms.

    div:    "div"   -> Div(a, b);           "recip" -> Mul(a, Reciprocal(b))
    clip:   "clip"  -> Clip(x, lo, hi);     "maxmin" -> Min(Max(x, lo), hi)
    linear: "matmul_t" -> MatMul(x, Transpose(W)); "gemm" -> Gemm(x, W, transB=1) (2-D x);
            "matmul_kn" -> the weight initializer is stored [in, out], MatMul(x, W)
    square: "pow"   -> Pow(x, 2);           "mul" -> Mul(x, x)
    """

    div: str = "div"
    clip: str = "clip"
    linear: str = "matmul_t"
    square: str = "pow"

    def __post_init__(self):
        if self.div not in ("div", "recip") or self.clip not in ("clip", "maxmin") or \
                self.linear not in ("matmul_t", "gemm", "matmul_kn") or \
                self.square not in ("pow", "mul"):
            raise ValueError(f"bad spelling {self}")

    @property
    def tag(self) -> str:
        return f"{self.div}_{self.clip}_{self.linear}_{self.square}"


def _check_opset(opset: int) -> int:
    if not MIN_OPSET <= int(opset) <= MAX_OPSET:
        raise ValueError(f"opset {opset} outside the supported {MIN_OPSET}..{MAX_OPSET}")
    return int(opset)


def value_info(name: str, dtype, shape: Shape) -> onnx.ValueInfoProto:
    elem = _NP_TO_ONNX[np.dtype(dtype)]
    return helper.make_tensor_value_info(name, elem, None if shape is None else list(shape))


class GraphBuilder:
    """Small helper over onnx.helper: unique names, cached constants, opset-aware ops.

    A builder made with ``parent=`` is a subgraph (a Scan body): its nodes stay in it, but
    initializers and constants go to the root graph, so the body reads them from the outer
    scope, and weight preparation (:meth:`weight_nodes`) is emitted in the root, outside the
    loop, as an exporter would leave it.
    """

    def __init__(self, opset: int = DEFAULT_OPSET, parent: Optional["GraphBuilder"] = None,
                 reserved: Sequence[str] = ()):
        self.opset = _check_opset(opset)
        self.parent = parent
        self.root: GraphBuilder = parent.root if parent is not None else self
        self.nodes: List[onnx.NodeProto] = []
        self.inputs: List[onnx.ValueInfoProto] = []
        self.outputs: List[onnx.ValueInfoProto] = []
        if parent is None:
            self.initializers: List[onnx.TensorProto] = []
            self._used = set(reserved)
            self._consts: Dict[tuple, str] = {}
            self.uses_tern = False
            self.taps: Dict[str, str] = {}

    # names and constants ---------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        used = self.root._used
        base = hint.replace("/", "_")
        name, k = base, 0
        while name in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name)
        return name

    def reserve(self, name: str) -> str:
        if name in self.root._used:
            raise ValueError(f"name {name!r} already used")
        self.root._used.add(name)
        return name

    def init(self, array: np.ndarray, hint: str) -> str:
        name = self.fresh(hint)
        self.root.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def const(self, value, dtype=F32) -> str:
        arr = np.asarray(value, dtype=dtype)
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        consts = self.root._consts
        if key not in consts:
            consts[key] = self.init(arr, "c")
        return consts[key]

    # nodes ------------------------------------------------------------------------------
    def node(self, op: str, inputs: Sequence[str], n_out: int = 1, domain: str = "",
             outputs: Optional[Sequence[str]] = None, hint: Optional[str] = None, **attrs):
        outs = list(outputs) if outputs is not None else \
            [self.fresh(hint or op.lower()) for _ in range(n_out)]
        ins = list(inputs)
        while ins and ins[-1] == "":  # trailing optional inputs are simply omitted
            ins.pop()
        self.nodes.append(helper.make_node(op, ins, outs, name=self.fresh(f"n_{op}"),
                                           domain=domain, **attrs))
        if domain == TERN_DOMAIN:
            self.root.uses_tern = True
        return outs[0] if len(outs) == 1 else outs

    def reduce(self, op: str, x: str, axes: Optional[Sequence[int]] = None,
               keepdims: int = 1) -> str:
        """ReduceMean/ReduceMax/ReduceSum with axes as attribute or input per opset."""
        if axes is None:  # no axes: reduce over everything, in every opset
            return self.node(op, [x], keepdims=keepdims)
        if op == "ReduceSum" or self.opset >= 18:
            return self.node(op, [x, self.const(list(axes), np.int64)], keepdims=keepdims)
        return self.node(op, [x], axes=list(axes), keepdims=keepdims)

    def unsqueeze(self, x: str, axes: Sequence[int]) -> str:
        return self.node("Unsqueeze", [x, self.const(list(axes), np.int64)])

    def weight_nodes(self) -> "GraphBuilder":
        """Where weight preparation goes: always the root graph (hoisted out of loops)."""
        return self.root

    # graph / model ----------------------------------------------------------------------
    def add_input(self, name: str, dtype, shape: Shape, reserve: bool = True) -> str:
        """A graph input; ``reserve=False`` for a name that came from :meth:`fresh`."""
        self.inputs.append(value_info(self.reserve(name) if reserve else name, dtype, shape))
        return name

    def add_output(self, value: str, name: str, dtype, shape: Shape,
                   reserve: bool = True) -> str:
        """Expose ``value`` as graph output ``name`` (through Identity when they differ)."""
        if value != name:
            self.node("Identity", [value], outputs=[self.reserve(name) if reserve else name])
        self.outputs.append(value_info(name, dtype, shape))
        return name

    def make_graph(self, name: str) -> onnx.GraphProto:
        inits = self.initializers if self.parent is None else []
        return helper.make_graph(self.nodes, name, self.inputs, self.outputs, initializer=inits)

    def make_model(self, name: str, doc: str = "") -> onnx.ModelProto:
        assert self.parent is None, "make_model on a subgraph"
        imports = [helper.make_opsetid("", self.opset)]
        if self.uses_tern:
            imports.append(helper.make_opsetid(TERN_DOMAIN, TERN_OPSET_VERSION))
        model = helper.make_model(self.make_graph(name), opset_imports=imports,
                                  producer_name="tern.onnx_models", doc_string=doc)
        model.ir_version = IR_VERSION
        return model


def check(model: onnx.ModelProto) -> bool:
    """onnx.checker where the installed onnx knows the opset; returns whether it ran."""
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset > onnx.defs.onnx_opset_version():
        return False
    onnx.checker.check_model(model, full_check=True)
    return True


# ---------------------------------------------------------------------------------------------
# Emitters: standard-op spellings of the model's pieces
# ---------------------------------------------------------------------------------------------

def emit_divide(gb: GraphBuilder, a: str, b: str, sp: Spelling) -> str:
    if sp.div == "div":
        return gb.node("Div", [a, b])
    return gb.node("Mul", [a, gb.node("Reciprocal", [b])])


def emit_clamp(gb: GraphBuilder, x: str, lo: Optional[float], hi: Optional[float],
               sp: Spelling) -> str:
    if sp.clip == "clip":
        return gb.node("Clip", [x, gb.const(lo) if lo is not None else "",
                                gb.const(hi) if hi is not None else ""])
    if lo is not None:
        x = gb.node("Max", [x, gb.const(lo)])
    if hi is not None:
        x = gb.node("Min", [x, gb.const(hi)])
    return x


def emit_sigmoid_mul(gb: GraphBuilder, x: str) -> str:
    """SiLU as exporters write it: x * Sigmoid(x)."""
    return gb.node("Mul", [x, gb.node("Sigmoid", [x])], hint="silu")


def emit_rmsnorm(gb: GraphBuilder, x: str, weight: Optional[str], eps: float,
                 sp: Spelling) -> str:
    sq = gb.node("Pow", [x, gb.const(2.0)]) if sp.square == "pow" else gb.node("Mul", [x, x])
    ms = gb.reduce("ReduceMean", sq, axes=[-1], keepdims=1)
    rms = gb.node("Sqrt", [gb.node("Add", [ms, gb.const(eps)])])
    y = emit_divide(gb, x, rms, sp)
    return gb.node("Mul", [y, weight], hint="rmsnorm") if weight else y


def emit_act_quant(gb: GraphBuilder, x: str, bits: int, sp: Spelling) -> Tuple[str, str]:
    """Per-token absmax quantization -> (q as float, s_x [..., 1])."""
    qmax = float(2 ** (bits - 1) - 1)
    m = gb.reduce("ReduceMax", gb.node("Abs", [x]), axes=[-1], keepdims=1)
    m = emit_clamp(gb, m, R.ACT_SCALE_FLOOR, None, sp)
    s = emit_divide(gb, gb.const(qmax), m, sp)
    q = gb.node("Round", [gb.node("Mul", [x, s])])
    q = emit_clamp(gb, q, -qmax - 1.0, qmax, sp)
    gb.root.taps.setdefault("xq", q)
    gb.root.taps.setdefault("s_x", s)
    return q, s


def emit_weight_quant(gb: GraphBuilder, w: str, sp: Spelling) -> Tuple[str, str]:
    """Per-tensor absmean ternarization of tensor ``w`` -> (ternary float, s_w)."""
    mean = gb.reduce("ReduceMean", gb.node("Abs", [w]), axes=None, keepdims=0)
    mean = emit_clamp(gb, mean, R.WEIGHT_SCALE_FLOOR, None, sp)
    s_w = gb.node("Reciprocal", [mean]) if sp.div == "recip" else \
        gb.node("Div", [gb.const(1.0), mean])
    t = emit_clamp(gb, gb.node("Round", [gb.node("Mul", [w, s_w])]), -1.0, 1.0, sp)
    gb.root.taps.setdefault("wt", t)
    gb.root.taps.setdefault("s_w", s_w)
    return t, s_w


def emit_weight(gb: GraphBuilder, w_latent: np.ndarray, storage: str, sp: Spelling,
                hint: str) -> str:
    """Initializers + ops giving the float (dequantized ternary) weight of one BitLinear.

    Layout is [out, in] unless ``sp.linear == "matmul_kn"`` ([in, out]).  Emitted in the
    root graph (see :meth:`GraphBuilder.weight_nodes`).
    """
    wb = gb.weight_nodes()
    w_latent = np.asarray(w_latent, dtype=F32)
    store_t = sp.linear == "matmul_kn"
    if storage == "latent":
        w = wb.init(w_latent.T.copy() if store_t else w_latent, hint)
        t, s_w = emit_weight_quant(wb, w, sp)
        return emit_divide(wb, t, s_w, sp)
    wt, s_w = R.weight_quant(w_latent)
    if store_t:
        wt = np.ascontiguousarray(wt.T)
    if storage == "folded":  # {-a, 0, +a}, a = 1/s_w
        return wb.init((wt.astype(F32) / s_w).astype(F32), hint)
    scale = np.asarray(F32(1) / s_w, dtype=F32)  # DequantizeLinear's scale is a multiplier
    q = wb.init(wt, hint + "_q")
    if storage == "int8_dql":
        return wb.node("DequantizeLinear", [q, wb.init(scale, hint + "_scale"),
                                            wb.init(np.asarray(0, np.int8), hint + "_zp")])
    if storage == "int8_cast":
        f = wb.node("Cast", [q], to=TensorProto.FLOAT)
        return wb.node("Mul", [f, wb.init(scale, hint + "_scale")])
    raise ValueError(f"unknown weight storage {storage!r}")


def emit_linear(gb: GraphBuilder, x: str, w: str, sp: Spelling) -> str:
    if sp.linear == "matmul_kn":
        return gb.node("MatMul", [x, w])
    if sp.linear == "gemm":
        return gb.node("Gemm", [x, w], transB=1)
    wt = gb.weight_nodes().node("Transpose", [w], perm=[1, 0])
    return gb.node("MatMul", [x, wt])


def emit_bitlinear(gb: GraphBuilder, x: str, w: str, norm: Optional[str], eps: float,
                   bits: int, sp: Spelling) -> str:
    """BitLinear on a float weight tensor ``w`` (already ternary-valued, any storage)."""
    xn = emit_rmsnorm(gb, x, norm, eps, sp) if norm else x
    q, s = emit_act_quant(gb, xn, bits, sp)
    return emit_linear(gb, emit_divide(gb, q, s, sp), w, sp)


BLFn = Callable[[GraphBuilder, str, str], str]  # (builder, x, projection name) -> y


def emit_split_halves(gb: GraphBuilder, y: str, inter: Optional[int]) -> List[str]:
    """[gate, up] = halves of the last axis; explicit sizes when known, else equal split."""
    if inter is not None:
        return gb.node("Split", [y, gb.const([inter, inter], np.int64)], n_out=2, axis=-1)
    if gb.opset >= 18:  # Split-18 wants num_outputs when no sizes are given
        return gb.node("Split", [y], n_out=2, axis=-1, num_outputs=2)
    return gb.node("Split", [y], n_out=2, axis=-1)


def emit_glu(gb: GraphBuilder, x: str, bl: BLFn, inter: Optional[int]) -> str:
    y = bl(gb, x, "gate_proj")
    gate, up = emit_split_halves(gb, y, inter)
    return bl(gb, gb.node("Mul", [emit_sigmoid_mul(gb, gate), up]), "down_proj")


def emit_mlgru_step(gb: GraphBuilder, x: str, h: str, bl: BLFn, variant: str,
                    g_norm: Optional[str], g_norm_eps: float, lower_bound: Optional[str],
                    sp: Spelling) -> Tuple[str, str]:
    """MLGRU decode step from element-wise ops -> (y, h_new)."""
    one = gb.const(1.0)
    f = gb.node("Sigmoid", [bl(gb, x, "f_proj")], hint="f")
    if lower_bound:
        f = gb.node("Add", [lower_bound,
                            gb.node("Mul", [gb.node("Sub", [one, lower_bound]), f])], hint="f")
    if variant == "released":
        i = gb.node("Mul", [emit_sigmoid_mul(gb, bl(gb, x, "i_proj")),
                            gb.node("Sub", [one, f])], hint="i")
        h_new = gb.node("Add", [gb.node("Mul", [f, h]), i], hint="h")
        gn = emit_rmsnorm(gb, bl(gb, x, "g_proj"), g_norm, g_norm_eps, sp)
        y = bl(gb, gb.node("Mul", [gn, emit_sigmoid_mul(gb, h_new)]), "o_proj")
    elif variant == "paper":
        c = emit_sigmoid_mul(gb, bl(gb, x, "i_proj"))
        g = gb.node("Sigmoid", [bl(gb, x, "g_proj")], hint="g")
        h_new = gb.node("Add", [gb.node("Mul", [f, h]),
                                gb.node("Mul", [gb.node("Sub", [one, f]), c])], hint="h")
        y = bl(gb, gb.node("Mul", [g, h_new]), "o_proj")
    else:
        raise ValueError(f"unknown MLGRU variant {variant!r}")
    return y, h_new


def emit_scan(gb: GraphBuilder, x_seq: str, h0: str,
              body_fn: Callable[[GraphBuilder, str, str], Tuple[str, str]]) -> Tuple[str, str]:
    """ONNX Scan over axis 0 of ``x_seq`` carrying state ``h``; ``body_fn(body, x_t, h) ->
    (y_t, h_new)``.  Returns (y_seq, h_final)."""
    body = GraphBuilder(gb.opset, parent=gb)
    h_in = body.add_input(body.fresh("h_in"), F32, None, reserve=False)
    x_t = body.add_input(body.fresh("x_t"), F32, None, reserve=False)
    y_t, h_new = body_fn(body, x_t, h_in)
    # Scan body outputs: the carried state first, then the per-step scan outputs.
    body.add_output(h_new, body.fresh("h_next"), F32, None, reserve=False)
    body.add_output(y_t, body.fresh("y_t"), F32, None, reserve=False)
    h_fin, y_seq = gb.node("Scan", [h0, x_seq], n_out=2, hint="scan",
                           body=body.make_graph(gb.fresh("mlgru_body")), num_scan_inputs=1)
    return y_seq, h_fin


# --- form 4 emitters -------------------------------------------------------------------------

def emit_tern(gb: GraphBuilder, op: str, inputs: Mapping[str, Optional[str]],
              **attrs) -> Union[str, List[str]]:
    """A node of Tern's domain with inputs by spec name (absent optional ones left out)."""
    names = CUSTOM_OP_INPUTS[op]
    unknown = set(inputs) - set(names)
    if unknown:
        raise ValueError(f"tern.{op}: unknown inputs {sorted(unknown)}")
    ins = [inputs.get(n) or "" for n in names]
    for n in names[:CUSTOM_OP_REQUIRED[op]]:
        if not inputs.get(n):
            raise ValueError(f"tern.{op}: input {n} is required")
    return gb.node(op, ins, n_out=len(CUSTOM_OP_OUTPUTS[op]), domain=TERN_DOMAIN,
                   hint=op.lower(), **attrs)


# ---------------------------------------------------------------------------------------------
# Built cases
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Built:
    """A test model with everything needed to check a runtime against the reference.

    ``tolerance``: a runtime's output ``got`` passes when
    ``|got - expected| <= atol + rtol * |expected|`` with ``atol = atol_rel * max|expected|``
    (per output).  Quantized paths need ``atol_rel``: an fp32 runtime whose RMSNorm differs
    from the reference by an ulp may round a value lying within that ulp of a .5 boundary
    the other way, which moves one product by one quantization step.
    """

    name: str
    form: str
    model: onnx.ModelProto
    params: Union[Dict[str, np.ndarray], R.Params]
    inputs: Dict[str, np.ndarray]
    reference: Callable[[Mapping[str, np.ndarray]], Dict[str, np.ndarray]]
    rtol: float = 1e-5
    atol_rel: float = 1e-6
    description: str = ""

    def expected(self, inputs: Optional[Mapping[str, np.ndarray]] = None) -> Dict[str, np.ndarray]:
        return self.reference(self.inputs if inputs is None else inputs)

    def atol(self, expected: np.ndarray) -> float:
        return float(self.atol_rel * float(np.max(np.abs(expected), initial=0.0)))

    def output_names(self) -> List[str]:
        return [o.name for o in self.model.graph.output]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _model_doc(form: str, desc: str) -> str:
    return f"Tern test model, form {form}: {desc}"


# --- form 1 -----------------------------------------------------------------------------------

def build_float_mlp(opset: int = DEFAULT_OPSET, batch: int = 3, d_in: int = 16,
                    d_hidden: int = 32, d_out: int = 10, seed: int = 0) -> Built:
    """Form 1: y = Softmax(Gemm(Tanh(MatMul(x, W1) + b1), W2, b2, transB=1))."""
    rng = _rng(seed)
    p = {"w1": rng.standard_normal((d_in, d_hidden)).astype(F32) * F32(0.3),
         "b1": rng.standard_normal(d_hidden).astype(F32) * F32(0.1),
         "w2": rng.standard_normal((d_out, d_hidden)).astype(F32) * F32(0.3),
         "b2": rng.standard_normal(d_out).astype(F32) * F32(0.1)}
    gb = GraphBuilder(opset)
    x = gb.add_input("x", F32, ["B", d_in])
    h = gb.node("Tanh", [gb.node("Add", [gb.node("MatMul", [x, gb.init(p["w1"], "w1")]),
                                        gb.init(p["b1"], "b1")])])
    z = gb.node("Gemm", [h, gb.init(p["w2"], "w2"), gb.init(p["b2"], "b2")], transB=1)
    gb.add_output(gb.node("Softmax", [z], axis=-1), "y", F32, ["B", d_out])
    desc = "float MLP with MatMul, Add, Tanh, Gemm(transB) and Softmax; nothing ternary"

    def ref(inp):
        hh = np.tanh(inp["x"] @ p["w1"] + p["b1"])
        return {"y": R.softmax(hh @ p["w2"].T + p["b2"])}

    x_in = rng.standard_normal((batch, d_in)).astype(F32)
    return Built("float_mlp", "1", gb.make_model("float_mlp", _model_doc("1", desc)), p,
                 {"x": x_in}, ref, rtol=1e-4, atol_rel=1e-6, description=desc)


def build_float_ops(opset: int = DEFAULT_OPSET, seed: int = 0) -> Built:
    """Form 1: a graph touching most of the standard ops the importer must take (Gather,
    Unsqueeze, Concat, Transpose, Shape-derived Reshape, Slice, Split, Sub, Neg, Exp, Abs, Add,
    Sqrt, Reciprocal, Pow, Round, Cast, Equal, Where, Max, Min, Sigmoid, Tanh, ReduceSum,
    ReduceMean, ReduceMax, Div, Squeeze, Identity, Constant)."""
    rng = _rng(seed)
    table = rng.standard_normal((10, 8)).astype(F32)
    gb = GraphBuilder(opset)
    x = gb.add_input("x", F32, [2, 3, 8])
    ids = gb.add_input("ids", np.int64, [2])
    e = gb.unsqueeze(gb.node("Gather", [gb.init(table, "table"), ids], axis=0), [1])
    c = gb.node("Concat", [x, e], axis=1)                                  # [2, 4, 8]
    t = gb.node("Transpose", [c], perm=[0, 2, 1])                          # [2, 8, 4]
    lead = gb.node("Slice", [gb.node("Shape", [t]), gb.const([0], np.int64),
                             gb.const([1], np.int64)])
    r = gb.node("Reshape", [t, gb.node("Concat", [lead, gb.const([-1], np.int64)], axis=0)])
    a, b = gb.node("Split", [r, gb.const([16, 16], np.int64)], n_out=2, axis=1)
    d = gb.node("Sub", [a, b])
    ex = gb.node("Exp", [gb.node("Min", [gb.node("Neg", [d]), gb.const(4.0)])])
    rc = gb.node("Reciprocal", [gb.node("Sqrt", [gb.node("Add", [gb.node("Abs", [d]),
                                                                  gb.const(1.0)])])])
    pw = gb.node("Pow", [rc, gb.const(3.0)])
    k = gb.node("Cast", [gb.node("Round", [d])], to=TensorProto.INT32)
    msk = gb.node("Equal", [k, gb.const(0, np.int32)])
    w = gb.node("Where", [msk, ex, pw])
    mn = gb.node("Min", [gb.node("Max", [w, gb.node("Mul", [a, gb.const(0.5)])]),
                         gb.const(3.0)])
    sg = gb.node("Sigmoid", [mn])
    th = gb.node("Tanh", [b])
    red = gb.reduce("ReduceSum", gb.node("Add", [sg, th]), axes=[-1], keepdims=1)
    rmax = gb.reduce("ReduceMax", th, axes=[1], keepdims=1)
    y1 = gb.node("Div", [gb.node("Sub", [sg, red]),
                         gb.node("Add", [gb.node("Abs", [rmax]), gb.const(1.0)])])
    rm = gb.reduce("ReduceMean", sg, axes=[1], keepdims=0)
    sq = gb.node("Squeeze", [gb.unsqueeze(rm, [1]), gb.const([1], np.int64)])
    quarter = gb.node("Constant", [], value=numpy_helper.from_array(np.asarray(0.25, F32)))
    y2 = gb.node("Identity", [gb.node("Add", [sq, quarter])])
    gb.add_output(y1, "y1", F32, [2, 16])
    gb.add_output(y2, "y2", F32, [2])
    desc = "float graph over Gather/Concat/Transpose/Reshape(Shape)/Split/Where/... ops"

    def ref(inp):
        xx = inp["x"]
        ee = table[inp["ids"]][:, None, :]
        rr = np.concatenate([xx, ee], axis=1).transpose(0, 2, 1).reshape(2, -1)
        aa, bb = rr[:, :16], rr[:, 16:]
        dd = aa - bb
        exv = np.exp(np.minimum(-dd, F32(4)))
        pwv = (F32(1) / np.sqrt(np.abs(dd) + F32(1))) ** 3
        ww = np.where(np.rint(dd).astype(np.int32) == 0, exv, pwv)
        sgv = R.sigmoid(np.minimum(np.maximum(ww, aa * F32(0.5)), F32(3)))
        thv = np.tanh(bb)
        redv = np.sum(sgv + thv, axis=-1, keepdims=True)
        rmaxv = np.max(thv, axis=1, keepdims=True)
        return {"y1": ((sgv - redv) / (np.abs(rmaxv) + F32(1))).astype(F32),
                "y2": (np.mean(sgv, axis=1) + F32(0.25)).astype(F32)}

    inputs = {"x": rng.standard_normal((2, 3, 8)).astype(F32) * F32(1.5),
              "ids": np.array([7, 2], dtype=np.int64)}
    return Built("float_ops", "1", gb.make_model("float_ops", _model_doc("1", desc)),
                 {"table": table}, inputs, ref, rtol=1e-4, atol_rel=1e-6, description=desc)


# --- quantization pieces alone ---------------------------------------------------------------

def build_act_quant(opset: int = DEFAULT_OPSET, shape: Sequence[int] = (4, 33), bits: int = 8,
                    spelling: Spelling = Spelling(), seed: int = 0) -> Built:
    """Activation quantization alone: x -> (q as float, s_x).  With ``div`` spelling every
    op is exact IEEE float32, so a runtime must match the reference bit for bit."""
    gb = GraphBuilder(opset)
    x = gb.add_input("x", F32, list(shape))
    q, s = emit_act_quant(gb, x, bits, spelling)
    gb.add_output(q, "q", F32, list(shape))
    gb.add_output(s, "s_x", F32, list(shape[:-1]) + [1])
    desc = f"per-token int{bits} absmax activation quantization ({spelling.tag})"

    def ref(inp):
        qq, ss = R.act_quant(inp["x"], bits)
        return {"q": qq.astype(F32), "s_x": ss}

    x_in = (_rng(seed).standard_normal(shape) * 3).astype(F32)
    return Built(f"act_quant_{spelling.div}_{spelling.clip}", "2a",
                 gb.make_model("act_quant", _model_doc("2a", desc)), {}, {"x": x_in}, ref,
                 rtol=0.0, atol_rel=0.0, description=desc)


def build_weight_quant(opset: int = DEFAULT_OPSET, shape: Sequence[int] = (24, 40),
                       spelling: Spelling = Spelling(), seed: int = 0) -> Built:
    """Weight ternarization alone, on a graph *input* so tests can feed edge cases:
    w -> (ternary as float, s_w)."""
    gb = GraphBuilder(opset)
    w = gb.add_input("w", F32, list(shape))
    t, s_w = emit_weight_quant(gb, w, spelling)
    gb.add_output(t, "wt", F32, list(shape))
    gb.add_output(s_w, "s_w", F32, [])
    desc = f"per-tensor absmean ternarization ({spelling.tag})"

    def ref(inp):
        wt, s = R.weight_quant(inp["w"])
        return {"wt": wt.astype(F32), "s_w": np.asarray(s, F32)}

    w_in = (_rng(seed).standard_normal(shape) * 0.02).astype(F32)
    return Built(f"weight_quant_{spelling.div}_{spelling.clip}", "2a",
                 gb.make_model("weight_quant", _model_doc("2a", desc)), {}, {"w": w_in}, ref,
                 rtol=1e-6, atol_rel=0.0, description=desc)


# --- BitLinear / GLU (forms 2a, 2b, 3, 4) -----------------------------------------------------

_BL_TOL = dict(rtol=1e-4, atol_rel=2e-3)  # see Built: room for a few one-step roundings


def build_bitlinear(opset: int = DEFAULT_OPSET, batch: int = 4, d_in: int = 48,
                    d_out: int = 40, storage: str = "latent", spelling: Spelling = Spelling(),
                    with_norm: bool = True, eps: float = 1e-6, act_bits: int = 8,
                    seed: int = 0, expose_quant: bool = False, seq: Optional[int] = None,
                    custom_weight_form: str = "latent") -> Built:
    """One BitLinear ``x [B, d_in] -> y [B, d_out]`` (``[seq, B, d_in]`` when ``seq``).

    storage: "latent" (form 2a), "folded" (2b), "int8_dql" / "int8_cast" (3), "custom" (4,
    a tern.BitLinear node with ``custom_weight_form`` "latent" or "ternary").  With
    ``expose_quant`` (standard forms) the graph also outputs ``xq`` (rounded activations, as
    float) and, for "latent", ``wt``/``s_w`` so tests can compare the integer paths exactly.
    """
    if storage not in STORAGES:
        raise ValueError(f"storage must be one of {STORAGES}")
    if spelling.linear == "gemm" and seq is not None:
        raise ValueError("Gemm needs 2-D activations")
    rng = _rng(seed)
    w = (rng.standard_normal((d_out, d_in)) * 0.02).astype(F32)
    norm = (1 + 0.1 * rng.standard_normal(d_in)).astype(F32) if with_norm else None
    params = {"weight": w}
    if norm is not None:
        params["norm.weight"] = norm
    lead = ["B"] if seq is None else ["T", "B"]
    gb = GraphBuilder(opset)
    x = gb.add_input("x", F32, lead + [d_in])
    nw = gb.init(norm, "norm_weight") if norm is not None else None
    if storage == "custom":
        if custom_weight_form == "latent":
            ins = {"X": x, "W": gb.init(w, "weight"), "norm_weight": nw}
        else:
            wt, s_w = R.weight_quant(w)
            ins = {"X": x, "W": gb.init(wt, "weight_q"), "norm_weight": nw,
                   "w_scale": gb.init(np.asarray(s_w, F32), "w_scale")}
        y = emit_tern(gb, "BitLinear", ins, eps=eps, act_bits=act_bits,
                      weight_form=custom_weight_form)
    else:
        wf = emit_weight(gb, w, storage, spelling, "weight")
        y = emit_bitlinear(gb, x, wf, nw, eps, act_bits, spelling)
    gb.add_output(y, "y", F32, lead + [d_out])
    if expose_quant and storage != "custom":
        gb.add_output(gb.taps["xq"], "xq", F32, lead + [d_in])
        if storage == "latent":
            wshape = [d_in, d_out] if spelling.linear == "matmul_kn" else [d_out, d_in]
            gb.add_output(gb.taps["wt"], "wt", F32, wshape)
            gb.add_output(gb.taps["s_w"], "s_w", F32, [])
    form = FORM_OF_STORAGE[storage]
    desc = (f"BitLinear {d_in}->{d_out}, weights {storage}"
            + (f" ({custom_weight_form})" if storage == "custom" else f", {spelling.tag}")
            + (", with RMSNorm" if with_norm else ", no norm"))

    def ref(inp):
        y_ref, parts = R.bitlinear(inp["x"], w, norm, eps, act_bits, return_parts=True)
        out = {"y": y_ref}
        if expose_quant and storage != "custom":
            out["xq"] = parts["xq"].astype(F32)
            if storage == "latent":
                wt_ref = parts["wt"].astype(F32)
                out["wt"] = wt_ref.T.copy() if spelling.linear == "matmul_kn" else wt_ref
                out["s_w"] = np.asarray(parts["s_w"], F32)
        return out

    shape = (batch, d_in) if seq is None else (seq, batch, d_in)
    x_in = (rng.standard_normal(shape) * 2).astype(F32)
    tag = spelling.tag if storage != "custom" else custom_weight_form
    return Built(f"bitlinear_{storage}_{tag}", form,
                 gb.make_model("bitlinear", _model_doc(form, desc)), params, {"x": x_in}, ref,
                 description=desc, **_BL_TOL)


def _proj_bl(storage: str, sp: Spelling, tensors: Mapping[str, np.ndarray],
             eps: float, bits: int, prefix: str = "") -> BLFn:
    """A BitLinear emitter for projections ``{prefix}{name}.weight`` of a param dict."""
    cache: Dict[str, Tuple[str, Optional[str]]] = {}

    def bl(gb: GraphBuilder, x: str, name: str) -> str:
        key = prefix + name
        if key not in cache:  # one set of weight initializers per projection
            norm = tensors.get(f"{key}.norm.weight")
            nw = gb.weight_nodes().init(norm, f"{key}.norm.weight") if norm is not None else None
            cache[key] = (emit_weight(gb, tensors[f"{key}.weight"], storage, sp, f"{key}.weight"),
                          nw)
        w, nw = cache[key]
        return emit_bitlinear(gb, x, w, nw, eps, bits, sp)

    return bl


def _tern_weight_inputs(gb: GraphBuilder, tensors: Mapping[str, np.ndarray], key: str,
                        weight_form: str) -> Tuple[str, Optional[str], Optional[str]]:
    """(W, norm, scale) initializers of one projection for a tern.* node."""
    norm = tensors.get(f"{key}.norm.weight")
    nw = gb.init(norm, f"{key}.norm.weight") if norm is not None else None
    if weight_form == "latent":
        return gb.init(tensors[f"{key}.weight"], f"{key}.weight"), nw, None
    wt, s_w = R.weight_quant(tensors[f"{key}.weight"])
    return (gb.init(wt, f"{key}.weight_q"), nw,
            gb.init(np.asarray(s_w, F32), f"{key}.weight_scale"))


def _glu_params(rng: np.random.Generator, d: int, inter: int) -> Dict[str, np.ndarray]:
    return {"gate_proj.weight": (rng.standard_normal((2 * inter, d)) * 0.02).astype(F32),
            "gate_proj.norm.weight": (1 + 0.1 * rng.standard_normal(d)).astype(F32),
            "down_proj.weight": (rng.standard_normal((d, inter)) * 0.02).astype(F32),
            "down_proj.norm.weight": (1 + 0.1 * rng.standard_normal(inter)).astype(F32)}


def build_glu(opset: int = DEFAULT_OPSET, batch: int = 3, d: int = 32,
              intermediate: Optional[int] = None, storage: str = "latent",
              spelling: Spelling = Spelling(), eps: float = 1e-6, seed: int = 0,
              custom_weight_form: str = "latent") -> Built:
    """GLU channel mixer x [B, d] -> [B, d], standard ops (Split, Sigmoid, Mul) or tern.GLU."""
    inter = intermediate or R.glu_intermediate(d)
    rng = _rng(seed)
    p = _glu_params(rng, d, inter)
    gb = GraphBuilder(opset)
    x = gb.add_input("x", F32, ["B", d])
    if storage == "custom":
        w_gu, n_gu, s_gu = _tern_weight_inputs(gb, p, "gate_proj", custom_weight_form)
        w_d, n_d, s_d = _tern_weight_inputs(gb, p, "down_proj", custom_weight_form)
        y = emit_tern(gb, "GLU", {"X": x, "W_gu": w_gu, "W_d": w_d, "norm_gu": n_gu,
                                  "norm_d": n_d, "s_gu": s_gu, "s_d": s_d},
                      eps=eps, act_bits=8, weight_form=custom_weight_form)
    else:
        y = emit_glu(gb, x, _proj_bl(storage, spelling, p, eps, 8), inter)
    gb.add_output(y, "y", F32, ["B", d])
    form = FORM_OF_STORAGE[storage]
    desc = f"GLU d={d} I={inter}, weights {storage}"

    def ref(inp):
        return {"y": R.glu(inp["x"], p["gate_proj.weight"], p["down_proj.weight"],
                           p["gate_proj.norm.weight"], p["down_proj.norm.weight"], eps)}

    x_in = rng.standard_normal((batch, d)).astype(F32)
    tag = custom_weight_form if storage == "custom" else spelling.tag
    return Built(f"glu_{storage}_{tag}", form, gb.make_model("glu", _model_doc(form, desc)),
                 p, {"x": x_in}, ref, rtol=1e-4, atol_rel=5e-3, description=desc)


def build_rmsnorm_custom(opset: int = DEFAULT_OPSET, batch: int = 3, d: int = 24,
                         eps: float = 1e-6, seed: int = 0) -> Built:
    """Form 4: a lone tern.RMSNorm."""
    rng = _rng(seed)
    wgt = (1 + 0.1 * rng.standard_normal(d)).astype(F32)
    gb = GraphBuilder(opset)
    x = gb.add_input("x", F32, ["B", d])
    y = emit_tern(gb, "RMSNorm", {"X": x, "weight": gb.init(wgt, "weight")}, eps=eps)
    gb.add_output(y, "y", F32, ["B", d])
    desc = "tern.RMSNorm"
    return Built("rmsnorm_custom", "4", gb.make_model("rmsnorm", _model_doc("4", desc)),
                 {"weight": wgt}, {"x": rng.standard_normal((batch, d)).astype(F32)},
                 lambda inp: {"y": R.rmsnorm(inp["x"], wgt, eps)}, rtol=1e-5, atol_rel=1e-6,
                 description=desc)


# --- MLGRU (forms 5 and 4) --------------------------------------------------------------------

def _mlgru_params(rng: np.random.Generator, d: int) -> Dict[str, np.ndarray]:
    p = {}
    for proj in R.MLGRU_PROJS:
        p[f"{proj}.weight"] = (rng.standard_normal((d, d)) * 0.02).astype(F32)
        p[f"{proj}.norm.weight"] = (1 + 0.1 * rng.standard_normal(d)).astype(F32)
    p["g_norm.weight"] = (1 + 0.1 * rng.standard_normal(d)).astype(F32)
    return p


def _mlgru_tern_inputs(gb: GraphBuilder, p: Mapping[str, np.ndarray], x: str, h: str,
                       lb: Optional[str], weight_form: str) -> Dict[str, Optional[str]]:
    ins: Dict[str, Optional[str]] = {"X": x, "H": h, "lower_bound": lb}
    for proj in R.MLGRU_PROJS:
        k = proj[0]
        ins[f"W_{k}"], ins[f"norm_{k}"], ins[f"s_{k}"] = _tern_weight_inputs(gb, p, proj,
                                                                             weight_form)
    if "g_norm.weight" in p:
        ins["g_norm"] = gb.init(p["g_norm.weight"], "g_norm.weight")
    return ins


def build_mlgru_step(opset: int = DEFAULT_OPSET, batch: int = 2, d: int = 32,
                     variant: str = "released", storage: str = "latent",
                     spelling: Spelling = Spelling(), with_lower_bound: bool = True,
                     eps: float = 1e-6, g_norm_eps: float = 1e-6, seed: int = 0,
                     custom_weight_form: str = "latent") -> Built:
    """Form 5 (or 4 with storage "custom"): one MLGRU decode step.
    Inputs x [B, d], h [B, d]; outputs y [B, d], h_out [B, d]."""
    rng = _rng(seed)
    p = _mlgru_params(rng, d)
    lb = rng.uniform(0.0, 0.9, d).astype(F32) if with_lower_bound else None
    gb = GraphBuilder(opset)
    x = gb.add_input("x", F32, ["B", d])
    h = gb.add_input("h", F32, ["B", d])
    lbn = gb.init(lb, "lower_bound") if lb is not None else None
    if storage == "custom":
        y, h_new = emit_tern(gb, "MLGRU", _mlgru_tern_inputs(gb, p, x, h, lbn,
                                                             custom_weight_form),
                             variant=variant, mode="step", eps=eps, g_norm_eps=g_norm_eps,
                             act_bits=8, weight_form=custom_weight_form)
    else:
        gn = gb.init(p["g_norm.weight"], "g_norm.weight") if variant == "released" else None
        y, h_new = emit_mlgru_step(gb, x, h, _proj_bl(storage, spelling, p, eps, 8), variant,
                                   gn, g_norm_eps, lbn, spelling)
    gb.add_output(y, "y", F32, ["B", d])
    gb.add_output(h_new, "h_out", F32, ["B", d])
    form = "4" if storage == "custom" else "5"
    desc = f"MLGRU step ({variant}) d={d}, weights {storage}" + \
        (", lower bound" if lb is not None else "")

    def ref(inp):
        y_r, h_r = R.mlgru_step(inp["x"], inp["h"], p, variant, lb, eps, g_norm_eps)
        return {"y": y_r, "h_out": h_r}

    inputs = {"x": rng.standard_normal((batch, d)).astype(F32),
              "h": (rng.standard_normal((batch, d)) * 0.5).astype(F32)}
    name = f"mlgru_step_custom_{variant}_{custom_weight_form}" if storage == "custom" else \
        f"mlgru_step_{variant}_{storage}"
    return Built(name, form, gb.make_model("mlgru_step", _model_doc(form, desc)), p, inputs, ref,
                 rtol=1e-4, atol_rel=5e-3, description=desc)


def build_mlgru_scan(opset: int = DEFAULT_OPSET, seq: int = 5, batch: int = 2, d: int = 32,
                     variant: str = "released", storage: str = "latent",
                     spelling: Spelling = Spelling(), with_lower_bound: bool = True,
                     eps: float = 1e-6, g_norm_eps: float = 1e-6, seed: int = 0,
                     custom_weight_form: str = "latent") -> Built:
    """Form 5: MLGRU over a time-major sequence through ONNX Scan (body = the step graph; the
    weight preparation is hoisted to the outer graph).  storage "custom" gives a form-4
    tern.MLGRU with mode "sequence" instead.
    Inputs x [T, B, d], h0 [B, d]; outputs y [T, B, d], h_out [B, d]."""
    rng = _rng(seed)
    p = _mlgru_params(rng, d)
    lb = rng.uniform(0.0, 0.9, d).astype(F32) if with_lower_bound else None
    gb = GraphBuilder(opset)
    x = gb.add_input("x", F32, ["T", "B", d])
    h0 = gb.add_input("h0", F32, ["B", d])
    lbn = gb.init(lb, "lower_bound") if lb is not None else None
    if storage == "custom":
        y, h_fin = emit_tern(gb, "MLGRU", _mlgru_tern_inputs(gb, p, x, h0, lbn,
                                                             custom_weight_form),
                             variant=variant, mode="sequence", eps=eps, g_norm_eps=g_norm_eps,
                             act_bits=8, weight_form=custom_weight_form)
    else:
        gn = gb.init(p["g_norm.weight"], "g_norm.weight") if variant == "released" else None
        bl = _proj_bl(storage, spelling, p, eps, 8)

        def body(b: GraphBuilder, x_t: str, h: str) -> Tuple[str, str]:
            return emit_mlgru_step(b, x_t, h, bl, variant, gn, g_norm_eps, lbn, spelling)

        y, h_fin = emit_scan(gb, x, h0, body)
    gb.add_output(y, "y", F32, ["T", "B", d])
    gb.add_output(h_fin, "h_out", F32, ["B", d])
    form = "4" if storage == "custom" else "5"
    desc = f"MLGRU sequence ({variant}, {'tern.MLGRU' if form == '4' else 'Scan'}) d={d}, " \
           f"weights {storage}"

    def ref(inp):
        y_r, h_r = R.mlgru_sequence(inp["x"], inp["h0"], p, variant, lb, eps, g_norm_eps)
        return {"y": y_r, "h_out": h_r}

    inputs = {"x": rng.standard_normal((seq, batch, d)).astype(F32),
              "h0": (rng.standard_normal((batch, d)) * 0.5).astype(F32)}
    tag = custom_weight_form if storage == "custom" else storage
    name = f"mlgru_{'seq_custom' if form == '4' else 'scan'}_{variant}_{tag}"
    return Built(name, form, gb.make_model("mlgru_sequence", _model_doc(form, desc)), p,
                 inputs, ref, rtol=1e-4, atol_rel=5e-3, description=desc)


# --- full model -------------------------------------------------------------------------------

def build_model_step(params: Optional[R.Params] = None, opset: int = DEFAULT_OPSET,
                     batch: int = 2, storage: str = "latent", spelling: Spelling = Spelling(),
                     custom_weight_form: str = "latent", seed: int = 0) -> Built:
    """A full HGRNBit decode step: inputs ``tokens`` int64 [B], ``state`` [L, B, d]; outputs
    ``logits`` [B, V], ``state_out`` [L, B, d].  Float embedding (Gather), L blocks, final
    RMSNorm, BitLinear LM head.  ``params`` defaults to ``random_params(64, 2, 128, seed)``.
    Per-layer lower bounds are folded to constants (as an exporter's constant folding
    would).  storage "custom" writes tern.RMSNorm / MLGRU / GLU / BitLinear nodes."""
    if params is None:
        params = R.random_params(64, 2, 128, seed=seed)
    if storage not in STORAGES:
        raise ValueError(f"storage must be one of {STORAGES}")
    cfg = params.config
    d, L, V, inter = cfg.hidden_size, cfg.num_layers, cfg.vocab_size, cfg.intermediate_size
    t = params.tensors
    gb = GraphBuilder(opset)
    tokens = gb.add_input("tokens", np.int64, ["B"])
    state = gb.add_input("state", F32, [L, "B", d])
    x = gb.node("Gather", [gb.init(t["model.embeddings.weight"], "model.embeddings.weight"),
                           tokens], axis=0)
    lbs = R.layer_lower_bounds(params)
    custom = storage == "custom"
    new_states = []

    def rms(x_: str, key: str, eps: float) -> str:
        w = gb.init(t[key], key)
        if custom:
            return emit_tern(gb, "RMSNorm", {"X": x_, "weight": w}, eps=eps)
        return emit_rmsnorm(gb, x_, w, eps, spelling)

    for i in range(L):
        pre = f"model.layers.{i}."
        h = gb.node("Gather", [state, gb.const(i, np.int64)], axis=0)
        lb = gb.init(lbs[i], pre + "attn.lower_bound") if lbs[i] is not None else None
        a = rms(x, pre + "attn_norm.weight", cfg.rms_norm_eps)
        if custom:
            attn = R.subdict(t, pre + "attn.")
            o, h_new = emit_tern(gb, "MLGRU", _mlgru_tern_inputs(gb, attn, a, h, lb,
                                                                 custom_weight_form),
                                 variant=cfg.variant, mode="step", eps=cfg.bitlinear_eps,
                                 g_norm_eps=cfg.rms_norm_eps, act_bits=cfg.act_bits,
                                 weight_form=custom_weight_form)
        else:
            bl = _proj_bl(storage, spelling, t, cfg.bitlinear_eps, cfg.act_bits, pre + "attn.")
            gn = gb.init(t[pre + "attn.g_norm.weight"], pre + "attn.g_norm.weight") \
                if cfg.variant == "released" else None
            o, h_new = emit_mlgru_step(gb, a, h, bl, cfg.variant, gn, cfg.rms_norm_eps, lb,
                                       spelling)
        r = gb.node("Add", [x, o], hint="resid")
        m = rms(r, pre + "mlp_norm.weight", cfg.rms_norm_eps)
        if custom:
            mlp = R.subdict(t, pre + "mlp.")
            w_gu, n_gu, s_gu = _tern_weight_inputs(gb, mlp, "gate_proj", custom_weight_form)
            w_d, n_d, s_d = _tern_weight_inputs(gb, mlp, "down_proj", custom_weight_form)
            g = emit_tern(gb, "GLU", {"X": m, "W_gu": w_gu, "W_d": w_d, "norm_gu": n_gu,
                                      "norm_d": n_d, "s_gu": s_gu, "s_d": s_d},
                          eps=cfg.bitlinear_eps, act_bits=cfg.act_bits,
                          weight_form=custom_weight_form)
        else:
            g = emit_glu(gb, m, _proj_bl(storage, spelling, t, cfg.bitlinear_eps, cfg.act_bits,
                                         pre + "mlp."), inter)
        x = gb.node("Add", [r, g], hint="resid")
        new_states.append(gb.unsqueeze(h_new, [0]))
    state_out = gb.node("Concat", new_states, axis=0) if L > 1 else new_states[0]
    xf = rms(x, "model.norm.weight", cfg.rms_norm_eps)
    if custom:
        w, nw, sw = _tern_weight_inputs(gb, t, "lm_head", custom_weight_form)
        logits = emit_tern(gb, "BitLinear", {"X": xf, "W": w, "norm_weight": nw, "w_scale": sw},
                           eps=cfg.bitlinear_eps, act_bits=cfg.act_bits,
                           weight_form=custom_weight_form)
    else:
        logits = _proj_bl(storage, spelling, t, cfg.bitlinear_eps, cfg.act_bits)(gb, xf,
                                                                                "lm_head")
    gb.add_output(logits, "logits", F32, ["B", V])
    gb.add_output(state_out, "state_out", F32, [L, "B", d])
    form = FORM_OF_STORAGE[storage]
    desc = f"HGRNBit decode step d={d} L={L} V={V} I={inter} ({cfg.variant}), weights " \
           f"{storage}" + (f" ({custom_weight_form})" if custom else "")

    def ref(inp):
        lg, st = R.model_step(inp["tokens"], inp["state"], params)
        return {"logits": lg, "state_out": st}

    rng = _rng(seed + 1)
    inputs = {"tokens": rng.integers(0, V, size=batch).astype(np.int64),
              "state": (rng.standard_normal((L, batch, d)) * 0.5).astype(F32)}
    tag = custom_weight_form if custom else storage
    return Built(f"model_step_{'custom_' if custom else ''}{tag}", form,
                 gb.make_model("hgrnbit_step", _model_doc(form, desc)), params, inputs, ref,
                 rtol=1e-3, atol_rel=5e-3, description=desc)


# ---------------------------------------------------------------------------------------------
# Saving and the command line
# ---------------------------------------------------------------------------------------------

def save_model(model: onnx.ModelProto, path: str, external_data: bool = False,
               size_threshold: int = 1024) -> None:
    """Write ``model``; with ``external_data`` every tensor of at least ``size_threshold``
    bytes goes to ``<file>.data`` beside it (the >2 GB route).  The caller's model is left
    untouched."""
    if external_data:
        m = onnx.ModelProto()
        m.CopyFrom(model)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=size_threshold)
    else:
        onnx.save_model(model, path)


def write_case(built: Built, outdir: str, external_data: bool = False) -> Dict[str, object]:
    """Write one case: model.onnx, inputs/*.npy, expected/*.npy, meta.json.  Returns meta."""
    case_dir = os.path.join(outdir, built.name)
    os.makedirs(os.path.join(case_dir, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(case_dir, "expected"), exist_ok=True)
    save_model(built.model, os.path.join(case_dir, "model.onnx"), external_data)
    expected = built.expected()
    for k, v in built.inputs.items():
        np.save(os.path.join(case_dir, "inputs", f"{k}.npy"), v)
    outs = []
    for k in built.output_names():
        np.save(os.path.join(case_dir, "expected", f"{k}.npy"), expected[k])
        outs.append({"name": k, "dtype": str(expected[k].dtype),
                     "shape": list(expected[k].shape), "rtol": built.rtol,
                     "atol": built.atol(expected[k])})
    opsets = {o.domain or "ai.onnx": o.version for o in built.model.opset_import}
    meta = {"name": built.name, "form": built.form, "description": built.description,
            "opset_import": opsets,
            "inputs": [{"name": i.name, "dtype": str(built.inputs[i.name].dtype),
                        "shape": list(built.inputs[i.name].shape)}
                       for i in built.model.graph.input],
            "outputs": outs,
            "tolerance_rule": "|got - expected| <= atol + rtol * |expected|"}
    with open(os.path.join(case_dir, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=2)
    return meta


def default_cases(opset: int = DEFAULT_OPSET, seed: int = 0) -> List[Built]:
    """The set of models the command line writes: every form and spelling family once."""
    sp_alt = Spelling(div="recip", clip="maxmin", linear="gemm", square="mul")
    cases = [
        build_float_mlp(opset, seed=seed),
        build_float_ops(opset, seed=seed),
        build_act_quant(opset, seed=seed),
        build_weight_quant(opset, seed=seed),
        build_bitlinear(opset, storage="latent", seed=seed),
        build_bitlinear(opset, storage="latent", spelling=sp_alt, seed=seed),
        build_bitlinear(opset, storage="latent", spelling=Spelling(linear="matmul_kn"),
                        seed=seed),
        build_bitlinear(opset, storage="folded", seed=seed),
        build_bitlinear(opset, storage="int8_dql", seed=seed),
        build_bitlinear(opset, storage="int8_cast", spelling=Spelling(linear="gemm"),
                        seed=seed),
        build_bitlinear(opset, storage="custom", seed=seed),
        build_bitlinear(opset, storage="custom", custom_weight_form="ternary", seed=seed),
        build_rmsnorm_custom(opset, seed=seed),
        build_glu(opset, storage="latent", seed=seed),
        build_glu(opset, storage="custom", seed=seed),
        build_mlgru_step(opset, variant="released", seed=seed),
        build_mlgru_step(opset, variant="paper", storage="folded", seed=seed),
        build_mlgru_step(opset, variant="released", storage="custom", seed=seed),
        build_mlgru_scan(opset, variant="released", seed=seed),
        build_mlgru_scan(opset, variant="paper", storage="int8_dql", seed=seed),
        build_mlgru_scan(opset, variant="released", storage="custom",
                         custom_weight_form="ternary", seed=seed),
        build_model_step(opset=opset, storage="latent", seed=seed),
        build_model_step(opset=opset, storage="int8_dql", seed=seed),
        build_model_step(opset=opset, storage="custom", custom_weight_form="ternary",
                         seed=seed),
    ]
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), names
    return cases


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tern.onnx_models",
                                 description="Write Tern's ONNX test models with inputs and "
                                             "reference outputs.")
    ap.add_argument("outdir")
    ap.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                    help=f"default-domain opset, {MIN_OPSET}..{MAX_OPSET}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=None, help="case names to write")
    ap.add_argument("--external-data", action="store_true",
                    help="store tensors as ONNX external data (model.onnx.data)")
    args = ap.parse_args(argv)
    try:
        cases = default_cases(args.opset, args.seed)
    except ValueError as e:
        ap.error(str(e))
    if args.only:
        unknown = set(args.only) - {c.name for c in cases}
        if unknown:
            ap.error(f"unknown cases {sorted(unknown)}; known: {[c.name for c in cases]}")
        cases = [c for c in cases if c.name in args.only]
    os.makedirs(args.outdir, exist_ok=True)
    manifest = [write_case(c, args.outdir, args.external_data) for c in cases]
    with open(os.path.join(args.outdir, "manifest.json"), "w") as fh:
        json.dump({"opset": args.opset, "seed": args.seed, "cases": manifest}, fh, indent=2)
    print(f"wrote {len(manifest)} cases to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
