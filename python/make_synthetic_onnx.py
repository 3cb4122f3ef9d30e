#!/usr/bin/env python3
"""Writes a synthetic MatMul-free LM decode step in ONNX with its float weights in external
data, without ever holding more than one weight in memory: the peak-memory check of Tern's
ONNX importer (docs/import.md).

The graph is the one :func:`tern.onnx_models.build_model_step` writes (float embedding,
per layer an MLGRU decode step and a GLU of BitLinears with their RMSNorms, final RMSNorm,
BitLinear LM head), in form 2a (latent float weights with the absmean quantization left in
the graph) by default; the weights are random (N(0, 0.02)), generated and written one at a
time into ``<model>.data``.

    python python/make_synthetic_onnx.py OUT.onnx [--config 1.3B] [--storage latent]

Configs: 370M (d=1024 L=24 I=2816), 1.3B (d=2048 L=24 I=5632), 2.7B (d=2560 L=32 I=6912),
vocab 32000; ``--layers`` overrides L (for a quick small run).
"""

from __future__ import annotations

import argparse
import os
import zlib
import sys
from typing import Iterator, Mapping

import numpy as np
import onnx
from onnx import TensorProto

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tern import onnx_models as om  # noqa: E402

F32 = np.float32
CONFIGS = {"370M": (1024, 24, 2816), "1.3B": (2048, 24, 5632), "2.7B": (2560, 32, 6912)}
VOCAB = 32000
_DTYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64,
           np.dtype(np.int8): TensorProto.INT8}


class StreamingBuilder(om.GraphBuilder):
    """A GraphBuilder whose large initializers go straight to the external data file."""

    def __init__(self, opset: int, data_path: str, threshold: int = 1024):
        super().__init__(opset)
        self.data = open(data_path, "wb")
        self.location = os.path.basename(data_path)
        self.threshold = threshold
        self.bytes = 0

    def init(self, array, hint: str) -> str:
        array = np.asarray(array)
        if not array.flags.c_contiguous:
            array = array.copy(order="C")
        if array.nbytes < self.threshold:
            return super().init(array, hint)
        name = self.fresh(hint)
        pad = (-self.data.tell()) % 64  # keep every tensor 64-byte aligned
        self.data.write(b"\0" * pad)
        offset = self.data.tell()
        self.data.write(array.tobytes())
        self.bytes += array.nbytes
        t = TensorProto()
        t.name = name
        t.data_type = _DTYPES[array.dtype]
        t.dims.extend(array.shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.location), ("offset", str(offset)),
                     ("length", str(array.nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.root.initializers.append(t)
        return name


class LazyWeights(Mapping):
    """The model's parameters by name, generated when asked for (deterministic per name)."""

    def __init__(self, d: int, inter: int, vocab: int, seed: int = 0):
        self.d, self.inter, self.vocab, self.seed = d, inter, vocab, seed

    def _shape(self, key: str):
        d, inter = self.d, self.inter
        if key.endswith(".norm.weight") or key.endswith("g_norm.weight") or \
                key.endswith("_norm.weight") or key == "model.norm.weight":
            return (inter,) if "down_proj" in key else (d,)
        if key.endswith("gate_proj.weight"):
            return (2 * inter, d)
        if key.endswith("down_proj.weight"):
            return (d, inter)
        if key == "lm_head.weight":
            return (self.vocab, d)
        if key == "model.embeddings.weight":
            return (self.vocab, d)
        if key.endswith("_proj.weight"):
            return (d, d)
        raise KeyError(key)

    def __getitem__(self, key: str) -> np.ndarray:
        shape = self._shape(key)
        rng = np.random.default_rng([self.seed, zlib.crc32(key.encode())])
        if len(shape) == 1:
            return (1 + 0.1 * rng.standard_normal(shape, dtype=F32)).astype(F32)
        return (rng.standard_normal(shape, dtype=F32) * F32(0.02)).astype(F32)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def build(path: str, d: int, layers: int, inter: int, vocab: int, storage: str,
          opset: int = om.DEFAULT_OPSET) -> int:
    sp = om.Spelling()
    eps = 1e-6
    gb = StreamingBuilder(opset, path + ".data")
    t = LazyWeights(d, inter, vocab)
    tokens = gb.add_input("tokens", np.int64, ["B"])
    state = gb.add_input("state", F32, [layers, "B", d])
    x = gb.node("Gather", [gb.init(t["model.embeddings.weight"], "model.embeddings.weight"),
                           tokens], axis=0)
    rng = np.random.default_rng(1)
    new_states = []
    for i in range(layers):
        pre = f"model.layers.{i}."
        h = gb.node("Gather", [state, gb.const(i, np.int64)], axis=0)
        lb = gb.init(rng.uniform(0, 0.9, d).astype(F32), pre + "attn.lower_bound") if i else None
        a = om.emit_rmsnorm(gb, x, gb.init(t[pre + "attn_norm.weight"], pre + "attn_norm.weight"),
                            eps, sp)
        bl = om._proj_bl(storage, sp, t, eps, 8, pre + "attn.")
        gn = gb.init(t[pre + "attn.g_norm.weight"], pre + "attn.g_norm.weight")
        o, h_new = om.emit_mlgru_step(gb, a, h, bl, "released", gn, eps, lb, sp)
        r = gb.node("Add", [x, o])
        m = om.emit_rmsnorm(gb, r, gb.init(t[pre + "mlp_norm.weight"], pre + "mlp_norm.weight"),
                            eps, sp)
        g = om.emit_glu(gb, m, om._proj_bl(storage, sp, t, eps, 8, pre + "mlp."), inter)
        x = gb.node("Add", [r, g])
        new_states.append(gb.unsqueeze(h_new, [0]))
        print(f"layer {i + 1}/{layers}: {gb.bytes / 2**30:.2f} GiB of weights written",
              file=sys.stderr)
    state_out = gb.node("Concat", new_states, axis=0) if layers > 1 else new_states[0]
    xf = om.emit_rmsnorm(gb, x, gb.init(t["model.norm.weight"], "model.norm.weight"), eps, sp)
    logits = om._proj_bl(storage, sp, t, eps, 8)(gb, xf, "lm_head")
    gb.add_output(logits, "logits", F32, ["B", vocab])
    gb.add_output(state_out, "state_out", F32, [layers, "B", d])
    model = gb.make_model("hgrnbit_step_synthetic",
                          f"synthetic HGRNBit decode step d={d} L={layers} I={inter} V={vocab}")
    gb.data.close()
    onnx.save_model(model, path)
    return gb.bytes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="model path (.onnx); weights go to OUT.data")
    ap.add_argument("--config", choices=sorted(CONFIGS), default="1.3B")
    ap.add_argument("--layers", type=int, help="override the number of layers")
    ap.add_argument("--storage", choices=["latent", "folded", "int8_dql"], default="latent")
    args = ap.parse_args()
    d, layers, inter = CONFIGS[args.config]
    if args.layers:
        layers = args.layers
    n = build(args.out, d, layers, inter, VOCAB, args.storage)
    print(f"wrote {args.out} (+ .data): {n / 2**30:.2f} GiB of weights "
          f"({n} bytes), d={d} L={layers} I={inter} V={VOCAB}, storage {args.storage}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
