"""Small models written directly as ``tern``-dialect MLIR, for testing the CPU backend
independently of the ONNX importer.  Each builder returns ``(mlir_text, inputs, expected)``
with inputs and expected outputs computed by :mod:`tern.reference`.

Weights are inlined as ``dense<...>`` constants (fine at test sizes); latent weights go
through the compiler's own weight quantization, pre-ternarized ones are written as
``#tern.ternary`` attributes.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import reference as R

F32 = np.float32


def tensor_type(shape: Sequence[int], elem: str = "f32") -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


def dense(array: np.ndarray) -> str:
    """An MLIR dense elements literal (exact: floats as hex bit patterns)."""
    a = np.asarray(array)
    if a.dtype == np.float32:
        bits = a.view(np.uint32)
        flat = [f"0x{int(b):08X}" for b in bits.reshape(-1)]
    else:
        flat = [str(int(v)) for v in a.reshape(-1)]

    def nest(items: List[str], shape: Sequence[int]) -> str:
        if not shape:
            return items[0]
        if len(shape) == 1:
            return "[" + ", ".join(items) + "]"
        step = int(np.prod(shape[1:]))
        return "[" + ", ".join(nest(items[i * step:(i + 1) * step], shape[1:])
                               for i in range(shape[0])) + "]"

    return f"dense<{nest(flat, a.shape)}> : {tensor_type(a.shape, _elem(a.dtype))}"


def _elem(dtype) -> str:
    return {np.dtype(np.float32): "f32", np.dtype(np.int8): "i8", np.dtype(np.int32): "i32",
            np.dtype(np.int64): "i64"}[np.dtype(dtype)]


def ternary_attr(wt: np.ndarray, s_w: float) -> str:
    vals = ", ".join(str(int(v)) for v in wt.reshape(-1))
    return f"#tern.ternary<{wt.shape[0]}x{wt.shape[1]}, scale = {mlir_float(s_w)}, [{vals}]>"


def mlir_float(v: float) -> str:
    """A float literal MLIR parses back to the same f32 ('1e-06' is not one)."""
    return f"{float(np.float32(v)):.9e}"


class _Body:
    """Collects the body of ``func.func @main``."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self.n = 0

    def value(self, text: str) -> str:
        name = f"%v{self.n}"
        self.n += 1
        self.lines.append(f"    {name} = {text}")
        return name

    def const(self, array: np.ndarray) -> str:
        return self.value(f"arith.constant {dense(np.asarray(array))}")

    def weight(self, w: np.ndarray, ternary: bool) -> Tuple[str, str]:
        """A weight operand and its type: latent f32 constant or packed ternary constant."""
        if ternary:
            wt, s_w = R.weight_quant(w)
            return (self.value(f"tern.constant {ternary_attr(wt, s_w)}"),
                    f"!tern.ternary<{w.shape[0]}x{w.shape[1]}>")
        return self.const(w.astype(F32)), tensor_type(w.shape)


def _module(args: Sequence[Tuple[str, Sequence[int]]], body: _Body,
            results: Sequence[Tuple[str, Sequence[int]]]) -> str:
    sig = ", ".join(f"%{n}: {tensor_type(s)}" for n, s in args)
    res = ", ".join(tensor_type(s) for _, s in results)
    ret = ", ".join(v for v, _ in results)
    return ("module {\n  func.func @main(" + sig + ") -> (" + res + ") {\n" +
            "\n".join(body.lines) + f"\n    return {ret} : {res}\n  }}\n}}\n")


def bitlinear_model(rng: np.random.Generator, batch: Sequence[int] = (3,), d_in: int = 37,
                    d_out: int = 20, norm: bool = True, ternary: bool = False,
                    act_bits: int = 8, eps: float = 1e-6, x: Optional[np.ndarray] = None,
                    w: Optional[np.ndarray] = None):
    w = rng.normal(0, 0.05, (d_out, d_in)).astype(F32) if w is None else w
    g = rng.uniform(0.5, 1.5, d_in).astype(F32)
    x = rng.normal(0, 1, (*batch, d_in)).astype(F32) if x is None else x
    b = _Body()
    wv, wt = b.weight(w, ternary)
    attrs = f"{{act_bits = {act_bits} : i32, eps = {mlir_float(eps)} : f32}}"
    if norm:
        gv = b.const(g)
        y = b.value(f"tern.bitlinear %x, {wv} norm {gv} {attrs} : {tensor_type(x.shape)}, {wt}, "
                    f"{tensor_type(g.shape)} -> {tensor_type((*batch, d_out))}")
    else:
        y = b.value(f"tern.bitlinear %x, {wv} {attrs} : {tensor_type(x.shape)}, {wt} -> "
                    f"{tensor_type((*batch, d_out))}")
    expected = R.bitlinear(x, w, g if norm else None, eps, act_bits)
    return _module([("x", x.shape)], b, [(y, expected.shape)]), [x], [expected]


def glu_model(rng: np.random.Generator, batch: int = 2, d: int = 24, ternary: bool = True):
    inter = R.glu_intermediate(d)
    w_gu = rng.normal(0, 0.05, (2 * inter, d)).astype(F32)
    w_d = rng.normal(0, 0.05, (d, inter)).astype(F32)
    n_gu = rng.uniform(0.5, 1.5, d).astype(F32)
    n_d = rng.uniform(0.5, 1.5, inter).astype(F32)
    x = rng.normal(0, 1, (batch, d)).astype(F32)
    b = _Body()
    gu, gut = b.weight(w_gu, ternary)
    wd, wdt = b.weight(w_d, ternary)
    ngu, nd = b.const(n_gu), b.const(n_d)
    y = b.value(f"tern.glu %x gate_up {gu} norm {ngu} down {wd} norm {nd} : ("
                f"{tensor_type(x.shape)}, {gut}, {tensor_type(n_gu.shape)}, {wdt}, "
                f"{tensor_type(n_d.shape)}) -> {tensor_type(x.shape)}")
    expected = R.glu(x, w_gu, w_d, n_gu, n_d)
    return _module([("x", x.shape)], b, [(y, x.shape)]), [x], [expected]


def _mlgru_params(rng: np.random.Generator, d: int, norms: bool) -> Dict[str, np.ndarray]:
    p = {f"{k}.weight": rng.normal(0, 0.05, (d, d)).astype(F32)
         for k in ("f_proj", "i_proj", "g_proj", "o_proj")}
    if norms:
        for k in ("f_proj", "i_proj", "g_proj", "o_proj"):
            p[f"{k}.norm.weight"] = rng.uniform(0.5, 1.5, d).astype(F32)
    p["g_norm.weight"] = rng.uniform(0.5, 1.5, d).astype(F32)
    return p


def mlgru_model(rng: np.random.Generator, batch: int = 2, d: int = 16, seq: Optional[int] = None,
                variant: str = "released", lower_bound: bool = True, norms: bool = True,
                ternary: bool = False):
    """``seq=None``: one decode step; else a whole sequence ``[batch, seq, d]``."""
    p = _mlgru_params(rng, d, norms)
    lb = rng.uniform(0.0, 0.5, d).astype(F32) if lower_bound and variant == "released" else None
    h0 = rng.normal(0, 1, (batch, d)).astype(F32)
    x = rng.normal(0, 1, (batch, d) if seq is None else (batch, seq, d)).astype(F32)
    b = _Body()
    ws = [b.weight(p[f"{k}.weight"], ternary) for k in ("f_proj", "i_proj", "g_proj", "o_proj")]
    operands = [v for v, _ in ws]
    types = [tensor_type(x.shape), tensor_type(h0.shape)] + [t for _, t in ws]
    text = f"%x, %h weights({', '.join(operands)})"
    if norms:
        nv = [b.const(p[f"{k}.norm.weight"]) for k in ("f_proj", "i_proj", "g_proj", "o_proj")]
        text += f" norms({', '.join(nv)})"
        types += [tensor_type((d,))] * 4
    if variant == "released":
        text += f" g_norm {b.const(p['g_norm.weight'])}"
        types.append(tensor_type((d,)))
        if lb is not None:
            text += f" lower_bound {b.const(lb)}"
            types.append(tensor_type((d,)))
    else:
        text += " {variant = #tern<variant paper>}"
    op = "tern.mlgru_step" if seq is None else "tern.mlgru_sequence"
    res = b.value(f"{op} {text} : ({', '.join(types)}) -> ({tensor_type(x.shape)}, "
                  f"{tensor_type(h0.shape)})")
    # The op returns two values; the reference is time-major for sequences.
    b.lines[-1] = b.lines[-1].replace(f"    {res} =", f"    {res}:2 =")
    if seq is None:
        o, h = R.mlgru_step(x, h0, p, variant, lb)
    else:
        o, h = R.mlgru_sequence(np.swapaxes(x, 0, 1), h0, p, variant, lb)
        o = np.swapaxes(o, 0, 1)
    return (_module([("x", x.shape), ("h", h0.shape)], b, [(f"{res}#0", x.shape), (f"{res}#1", h0.shape)]),
            [x, h0], [o, h])
