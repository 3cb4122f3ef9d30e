"""Test and benchmark models for the CUDA backend, written as ``tern``-dialect MLIR.

``hgrn_step_mlir`` writes a full HGRNBit decode step (embedding Gather, L blocks of
RMSNorm + MLGRU step + residual, RMSNorm + GLU + residual, final RMSNorm, BitLinear LM head)
with every weight in a ``dense_resource`` blob, so the text stays 2 bytes per packed byte and
large configurations (370M, 1.3B, 2.7B) can be written with random weights for benchmarks.
With ``params`` (``tern.reference.Params``) it is the model of ``tern.reference.model_step``.
"""

from __future__ import annotations

import io
import os
import sys
from typing import Dict, List, Optional, Sequence, TextIO, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python"))

from tern import reference as R  # noqa: E402

F32 = np.float32

# name: (d, layers, vocab); intermediate = glu_intermediate(d)
CONFIGS = {
    "tiny": (64, 2, 128),
    "370m": (1024, 24, 32000),
    "1.3b": (2048, 24, 32000),
    "2.7b": (2560, 32, 32000),
}


def pack_trits(trits: np.ndarray) -> np.ndarray:
    """2-bit codes (trit + 1), four per byte, weight k in bits 2*(k%4) of byte k/4."""
    t = (np.asarray(trits, np.int8).reshape(-1) + 1).astype(np.uint8)
    pad = (-t.size) % 4
    if pad:
        t = np.concatenate([t, np.ones(pad, np.uint8)])
    t = t.reshape(-1, 4)
    return (t[:, 0] | (t[:, 1] << 2) | (t[:, 2] << 4) | (t[:, 3] << 6)).astype(np.uint8)


def fmt(v: float) -> str:
    return f"{float(np.float32(v)):.9e}"


def ttype(shape: Sequence[int], elem: str = "f32") -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


class Writer:
    """Collects the body of @main and the resource blobs."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self.blobs: List[Tuple[str, bytes]] = []
        self.n = 0

    def value(self, text: str, results: int = 1) -> str:
        name = f"%v{self.n}"
        self.n += 1
        self.lines.append(f"    {name}{':' + str(results) if results > 1 else ''} = {text}")
        return name

    def blob(self, data: bytes) -> str:
        key = f"r{len(self.blobs)}"
        self.blobs.append((key, data))
        return key

    def fconst(self, a: np.ndarray) -> str:
        a = np.ascontiguousarray(a, dtype=F32)
        key = self.blob(a.tobytes())
        return self.value(f"arith.constant dense_resource<{key}> : {ttype(a.shape)}")

    def ternary(self, wt: np.ndarray, s_w: float) -> str:
        rows, cols = wt.shape
        packed = pack_trits(wt)
        key = self.blob(packed.tobytes())
        return self.value(f"tern.constant #tern.ternary<{rows}x{cols}, scale = {fmt(s_w)}, "
                          f"dense_resource<{key}> : tensor<{packed.size}xi8>>")

    def write(self, out: TextIO, args: str,
              results: Sequence[Tuple[str, Sequence[int], str]]) -> None:
        res = ", ".join(f"{ttype(s)} {{tern.name = \"{n}\"}}" for _, s, n in results)
        out.write("module {\n  func.func @main(" + args + ") -> (" + res + ") {\n")
        for line in self.lines:
            out.write(line + "\n")
        out.write("    return " + ", ".join(v for v, _, _ in results) + " : " +
                  ", ".join(ttype(s) for _, s, _ in results) + "\n  }\n}\n")
        out.write("{-#\n  dialect_resources: {\n    builtin: {\n")
        for i, (key, data) in enumerate(self.blobs):
            out.write(f'      {key}: "0x10000000')
            out.write(data.hex().upper())
            out.write('"' + ("," if i + 1 < len(self.blobs) else "") + "\n")
        out.write("    }\n  }\n#-}\n")


def _weights(params: Optional[R.Params], rng: np.random.Generator, key: str,
             shape: Tuple[int, int]) -> Tuple[np.ndarray, float]:
    if params is not None:
        wt, s_w = R.weight_quant(params[key])
        return wt, float(s_w)
    # Random ternary weights with a realistic share of zeros (~1/3 each).
    return rng.integers(-1, 2, size=shape, dtype=np.int8), float(rng.uniform(20, 40))


def _vec(params: Optional[R.Params], rng: np.random.Generator, key: str, n: int) -> np.ndarray:
    if params is not None:
        return params[key]
    return (1.0 + 0.1 * rng.standard_normal(n)).astype(F32)


def hgrn_step_mlir(out: TextIO, params: Optional[R.Params] = None,
                   config: Optional[Tuple[int, int, int]] = None, batch: int = 1,
                   embed: bool = True, seed: int = 0) -> None:
    """Writes the decode step. Inputs: ``tokens`` int64 [B] (or ``x`` f32 [B, d] without
    ``embed``) and ``state`` [L, B, d]; outputs ``logits`` [B, V] and ``state_out``."""
    if params is not None:
        cfg = params.config
        d, L, V, inter = cfg.hidden_size, cfg.num_layers, cfg.vocab_size, cfg.intermediate_size
        eps, beps, variant = cfg.rms_norm_eps, cfg.bitlinear_eps, cfg.variant
        lbs = R.layer_lower_bounds(params)
    else:
        d, L, V = config
        inter = R.glu_intermediate(d)
        eps = beps = 1e-6
        variant = "released"
        lbs = [None] + [np.linspace(0.05, 0.5, d).astype(F32)] * (L - 1)
    if variant != "released" or abs(eps - beps) > 0:
        raise ValueError("hgrn_step_mlir writes the released variant with one eps")
    rng = np.random.default_rng(seed)
    w = Writer()
    B = batch
    bd = ttype((B, d))
    if embed:
        emb = params["model.embeddings.weight"] if params is not None else \
            rng.standard_normal((V, d)).astype(F32)
        e = w.fconst(emb)
        empty = w.value(f"tensor.empty() : {bd}")
        w.lines.append(
            f"    %x0 = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0)>, "
            f"affine_map<(d0, d1) -> (d0, d1)>], iterator_types = [\"parallel\", \"parallel\"]}} "
            f"ins(%tokens : tensor<{B}xi64>) outs({empty} : {bd}) {{\n"
            f"    ^bb0(%t: i64, %o: f32):\n"
            f"      %ti = arith.index_cast %t : i64 to index\n"
            f"      %j = linalg.index 1 : index\n"
            f"      %val = tensor.extract {e}[%ti, %j] : {ttype((V, d))}\n"
            f"      linalg.yield %val : f32\n    }} -> {bd}")
        x = "%x0"
        args = f"%tokens: tensor<{B}xi64> {{tern.name = \"tokens\"}}"
    else:
        x = "%x"
        args = f"%x: {bd} {{tern.name = \"x\"}}"
    args += f", %state: {ttype((L, B, d))} {{tern.name = \"state\"}}"
    attrs = f"{{eps = {fmt(eps)} : f32}}"
    state = w.value(f"tensor.empty() : {ttype((L, B, d))}")
    for i in range(L):
        p = f"model.layers.{i}."
        h = w.value(f"tensor.extract_slice %state[{i}, 0, 0] [1, {B}, {d}] [1, 1, 1] : "
                    f"{ttype((L, B, d))} to {bd}")
        an = w.fconst(_vec(params, rng, p + "attn_norm.weight", d))
        a = w.value(f"tern.rmsnorm {x} weight {an} {attrs} : {bd}, {ttype((d,))} -> {bd}")
        ws = [w.ternary(*_weights(params, rng, p + f"attn.{k}.weight", (d, d)))
              for k in ("f_proj", "i_proj", "g_proj", "o_proj")]
        ns = [w.fconst(_vec(params, rng, p + f"attn.{k}.norm.weight", d))
              for k in ("f_proj", "i_proj", "g_proj", "o_proj")]
        gn = w.fconst(_vec(params, rng, p + "attn.g_norm.weight", d))
        types = [bd, bd] + [f"!tern.ternary<{d}x{d}>"] * 4 + [ttype((d,))] * 5
        text = f"{a}, {h} weights({', '.join(ws)}) norms({', '.join(ns)}) g_norm {gn}"
        if lbs[i] is not None:
            text += f" lower_bound {w.fconst(lbs[i])}"
            types.append(ttype((d,)))
        m = w.value(f"tern.mlgru_step {text} {attrs} : ({', '.join(types)}) -> ({bd}, {bd})", 2)
        e1 = w.value(f"tensor.empty() : {bd}")
        r = w.value(f"linalg.add ins({x}, {m}#0 : {bd}, {bd}) outs({e1} : {bd}) -> {bd}")
        mn = w.fconst(_vec(params, rng, p + "mlp_norm.weight", d))
        mx = w.value(f"tern.rmsnorm {r} weight {mn} {attrs} : {bd}, {ttype((d,))} -> {bd}")
        gu = w.ternary(*_weights(params, rng, p + "mlp.gate_proj.weight", (2 * inter, d)))
        ngu = w.fconst(_vec(params, rng, p + "mlp.gate_proj.norm.weight", d))
        dn = w.ternary(*_weights(params, rng, p + "mlp.down_proj.weight", (d, inter)))
        nd = w.fconst(_vec(params, rng, p + "mlp.down_proj.norm.weight", inter))
        g = w.value(f"tern.glu {mx} gate_up {gu} norm {ngu} down {dn} norm {nd} {attrs} : "
                    f"({bd}, !tern.ternary<{2 * inter}x{d}>, {ttype((d,))}, "
                    f"!tern.ternary<{d}x{inter}>, {ttype((inter,))}) -> {bd}")
        e2 = w.value(f"tensor.empty() : {bd}")
        x = w.value(f"linalg.add ins({r}, {g} : {bd}, {bd}) outs({e2} : {bd}) -> {bd}")
        state = w.value(f"tensor.insert_slice {m}#1 into {state}[{i}, 0, 0] [1, {B}, {d}] "
                        f"[1, 1, 1] : {bd} into {ttype((L, B, d))}")
    fn = w.fconst(_vec(params, rng, "model.norm.weight", d))
    xf = w.value(f"tern.rmsnorm {x} weight {fn} {attrs} : {bd}, {ttype((d,))} -> {bd}")
    lm = w.ternary(*_weights(params, rng, "lm_head.weight", (V, d)))
    lmn = w.fconst(_vec(params, rng, "lm_head.norm.weight", d))
    logits = w.value(f"tern.bitlinear {xf}, {lm} norm {lmn} {attrs} : {bd}, "
                     f"!tern.ternary<{V}x{d}>, {ttype((d,))} -> {ttype((B, V))}")
    w.write(out, args, [(logits, (B, V), "logits"), (state, (L, B, d), "state_out")])


def tiny_case(batch: int = 2, seed: int = 0):
    """(mlir_text, inputs, expected) of a tiny full model against the numpy reference."""
    d, L, V = CONFIGS["tiny"]
    params = R.random_params(d, L, V, seed=seed)
    buf = io.StringIO()
    hgrn_step_mlir(buf, params, batch=batch)
    rng = np.random.default_rng(seed + 1)
    tokens = rng.integers(0, V, size=batch).astype(np.int64)
    state = (rng.standard_normal((L, batch, d)) * 0.5).astype(F32)
    logits, new_state = R.model_step(tokens, state, params)
    return buf.getvalue(), [tokens, state], [logits, new_state]


def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("config", choices=sorted(CONFIGS))
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--no-embed", action="store_true",
                    help="take the embedded token x [B, d] as input (no embedding table)")
    args = ap.parse_args(argv)
    with open(args.output, "w") as f:
        if args.config == "tiny":
            text, _, _ = tiny_case(args.batch)
            f.write(text)
        else:
            hgrn_step_mlir(f, config=CONFIGS[args.config], batch=args.batch,
                           embed=not args.no_embed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
