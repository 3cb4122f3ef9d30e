"""ONNX export of HGRNBit models (a :class:`tern.torch.HGRNBitForCausalLM`, a checkpoint
directory in the released format, or :class:`tern.reference.Params`).

Two graphs, each in two spellings:

* **decode step** (:func:`export_step`): ``tokens`` int64 ``[B]`` + ``state`` f32
  ``[L, B, d]`` -> ``logits`` f32 ``[B, V]`` + ``state_out`` f32 ``[L, B, d]``;
* **whole sequence** (:func:`export_sequence`): ``tokens`` int64 ``[T, B]`` (time-major) +
  ``state`` ``[L, B, d]`` -> ``logits`` ``[T, B, V]`` + ``state_out`` (the state after the
  last token).

``ops="standard"`` writes only default-domain ONNX ops (Gather, Pow/ReduceMean/Sqrt/Div for
RMSNorm, Abs/ReduceMax/Round/Clip for activation quantization, MatMul, Sigmoid, Split, Scan for
the sequence recurrence, ...); ``ops="custom"`` writes Tern's ``tern`` domain ops (RMSNorm,
MLGRU, GLU, BitLinear; see ``ONNX_CUSTOM_OPS.md``), which onnxruntime runs after
:func:`tern.onnx_expand.expand_tern_ops`.

``weights``: ``"ternary"`` (default) stores every BitLinear weight pre-ternarized as int8
{-1,0,1} plus its scale (through DequantizeLinear in the standard form, ``weight_form =
"ternary"`` in the custom form: 1 byte per weight; the standard sequence graph uses
Cast+Mul instead of DequantizeLinear, which onnxruntime 1.19 cannot read inside a Scan); ``"latent"`` stores the float latent
weights with the absmean quantization left in the graph (standard) or to the op (custom);
``"folded"`` (standard only) stores float {-a, 0, +a}.

The graphs are built with :mod:`tern.onnx_models`' emitters from the model's tensors, so they
compute exactly :mod:`tern.reference`'s math (and PyTorch's eval-mode forward).  The batch is
fixed (default 1, what decoding uses) unless ``batch=None`` leaves it symbolic (``"B"``;
compile with ``ternc compile --dim B=N``).

Command line::

    python -m tern.export CHECKPOINT_DIR -o model.onnx [--sequence] [--ops custom]
                          [--weights latent] [--batch N] [--opset 17]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, Optional, Sequence, Union

import numpy as np
import onnx
from onnx import TensorProto

from . import onnx_models as M
from . import reference as R

F32 = np.float32

OPS = ("standard", "custom")
WEIGHTS = ("ternary", "latent", "folded")

#: metadata_props keys the exporter writes (``ternc generate`` reads them).
META_KIND = "tern.kind"              # "decode_step" | "sequence"
META_CONFIG = "tern.config"          # the HGRNBitConfig as JSON
META_TOKENIZER = "tern.tokenizer"    # e.g. "bytes" (token id = one UTF-8 byte)


def _params(model) -> R.Params:
    if isinstance(model, R.Params):
        return model
    if isinstance(model, (str, os.PathLike)):
        from .torch import HGRNBitForCausalLM
        model = HGRNBitForCausalLM.from_pretrained(str(model))
    if hasattr(model, "to_reference_params"):
        return model.to_reference_params()
    raise TypeError(f"cannot export a {type(model).__name__}: give an HGRNBitForCausalLM, a "
                    f"checkpoint directory or tern.reference.Params")


def _storage(ops: str, weights: str, sequence: bool = False):
    if ops not in OPS:
        raise ValueError(f"ops must be one of {OPS}, got {ops!r}")
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    if ops == "custom":
        if weights == "folded":
            raise ValueError("weights='folded' is a standard-ops form; custom ops take "
                             "'ternary' or 'latent'")
        return "custom", weights
    # Ternary weights: int8 through DequantizeLinear in the step; in the sequence graph
    # through Cast+Mul, because onnxruntime 1.19 aborts on a Scan body reading the output of
    # an outer-scope DequantizeLinear (same meaning, both are import form 3).
    ternary = "int8_cast" if sequence else "int8_dql"
    return {"ternary": ternary, "latent": "latent", "folded": "folded"}[weights], "latent"


def _config_json(model, params: R.Params) -> str:
    cfg = getattr(model, "config", None)
    if cfg is not None and hasattr(cfg, "to_dict"):
        return json.dumps(cfg.to_dict(), sort_keys=True)
    return json.dumps(vars(params.config), sort_keys=True)


def _finish(model_proto: onnx.ModelProto, batch: Optional[int], kind: str, config: str,
            tokenizer: Optional[str], doc: str) -> onnx.ModelProto:
    if batch is not None:
        if int(batch) <= 0:
            raise ValueError("batch must be positive")
        for vi in list(model_proto.graph.input) + list(model_proto.graph.output):
            for dim in vi.type.tensor_type.shape.dim:
                if dim.dim_param == "B":
                    dim.Clear()
                    dim.dim_value = int(batch)
    model_proto.producer_name = "tern.export"
    model_proto.doc_string = doc
    meta = {META_KIND: kind, META_CONFIG: config}
    if tokenizer:
        meta[META_TOKENIZER] = tokenizer
    for k, v in meta.items():
        p = model_proto.metadata_props.add()
        p.key, p.value = k, v
    return model_proto


def export_step(model, path: Optional[str] = None, *, ops: str = "standard",
                weights: str = "ternary", batch: Optional[int] = 1,
                opset: int = M.DEFAULT_OPSET, tokenizer: Optional[str] = None
                ) -> onnx.ModelProto:
    """ONNX decode step: ``(tokens [B], state [L, B, d]) -> (logits [B, V], state_out)``.
    Writes ``path`` when given; returns the model."""
    params = _params(model)
    storage, form = _storage(ops, weights)
    built = M.build_model_step(params, opset=opset, storage=storage, custom_weight_form=form)
    proto = _finish(built.model, batch, "decode_step", _config_json(model, params), tokenizer,
                    f"HGRNBit decode step ({ops} ops, {weights} weights), exported by "
                    f"tern.export: {built.description}")
    if path:
        M.save_model(proto, path)
    return proto


def build_sequence(params: R.Params, opset: int = M.DEFAULT_OPSET, storage: str = "int8_dql",
                   custom_weight_form: str = "ternary") -> onnx.ModelProto:
    """The full model over a time-major sequence: ``tokens`` int64 ``[T, B]``, ``state``
    ``[L, B, d]`` -> ``logits [T, B, V]``, ``state_out [L, B, d]``.  The MLGRU recurrence is
    an ONNX ``Scan`` (standard storages) or a ``tern.MLGRU`` with ``mode = "sequence"``
    (``storage="custom"``); everything else works on the ``[T, B, ...]`` tensors directly."""
    cfg = params.config
    d, L, V, inter = cfg.hidden_size, cfg.num_layers, cfg.vocab_size, cfg.intermediate_size
    t = params.tensors
    custom = storage == "custom"
    sp = M.Spelling()
    gb = M.GraphBuilder(opset)
    tokens = gb.add_input("tokens", np.int64, ["T", "B"])
    state = gb.add_input("state", F32, [L, "B", d])
    x = gb.node("Gather", [gb.init(t["model.embeddings.weight"], "model.embeddings.weight"),
                           tokens], axis=0)
    lbs = R.layer_lower_bounds(params)

    def rms(x_: str, key: str, eps: float) -> str:
        w = gb.init(t[key], key)
        if custom:
            return M.emit_tern(gb, "RMSNorm", {"X": x_, "weight": w}, eps=eps)
        return M.emit_rmsnorm(gb, x_, w, eps, sp)

    finals = []
    for i in range(L):
        pre = f"model.layers.{i}."
        h0 = gb.node("Gather", [state, gb.const(i, np.int64)], axis=0)
        lb = gb.init(lbs[i], pre + "attn.lower_bound") if lbs[i] is not None else None
        a = rms(x, pre + "attn_norm.weight", cfg.rms_norm_eps)
        if custom:
            attn = R.subdict(t, pre + "attn.")
            o, h_fin = M.emit_tern(gb, "MLGRU", M._mlgru_tern_inputs(gb, attn, a, h0, lb,
                                                                     custom_weight_form),
                                   variant=cfg.variant, mode="sequence", eps=cfg.bitlinear_eps,
                                   g_norm_eps=cfg.rms_norm_eps, act_bits=cfg.act_bits,
                                   weight_form=custom_weight_form)
        else:
            bl = M._proj_bl(storage, sp, t, cfg.bitlinear_eps, cfg.act_bits, pre + "attn.")
            gn = gb.init(t[pre + "attn.g_norm.weight"], pre + "attn.g_norm.weight") \
                if cfg.variant == "released" else None

            def body(b: M.GraphBuilder, x_t: str, h: str, bl=bl, gn=gn, lb=lb):
                return M.emit_mlgru_step(b, x_t, h, bl, cfg.variant, gn, cfg.rms_norm_eps, lb,
                                         sp)

            o, h_fin = M.emit_scan(gb, a, h0, body)
        r = gb.node("Add", [x, o], hint="resid")
        m = rms(r, pre + "mlp_norm.weight", cfg.rms_norm_eps)
        if custom:
            mlp = R.subdict(t, pre + "mlp.")
            w_gu, n_gu, s_gu = M._tern_weight_inputs(gb, mlp, "gate_proj", custom_weight_form)
            w_d, n_d, s_d = M._tern_weight_inputs(gb, mlp, "down_proj", custom_weight_form)
            g = M.emit_tern(gb, "GLU", {"X": m, "W_gu": w_gu, "W_d": w_d, "norm_gu": n_gu,
                                        "norm_d": n_d, "s_gu": s_gu, "s_d": s_d},
                            eps=cfg.bitlinear_eps, act_bits=cfg.act_bits,
                            weight_form=custom_weight_form)
        else:
            g = M.emit_glu(gb, m, M._proj_bl(storage, sp, t, cfg.bitlinear_eps, cfg.act_bits,
                                             pre + "mlp."), inter)
        x = gb.node("Add", [r, g], hint="resid")
        finals.append(gb.unsqueeze(h_fin, [0]))
    state_out = gb.node("Concat", finals, axis=0) if L > 1 else finals[0]
    xf = rms(x, "model.norm.weight", cfg.rms_norm_eps)
    if custom:
        w, nw, sw = M._tern_weight_inputs(gb, t, "lm_head", custom_weight_form)
        logits = M.emit_tern(gb, "BitLinear", {"X": xf, "W": w, "norm_weight": nw,
                                               "w_scale": sw},
                             eps=cfg.bitlinear_eps, act_bits=cfg.act_bits,
                             weight_form=custom_weight_form)
    else:
        logits = M._proj_bl(storage, sp, t, cfg.bitlinear_eps, cfg.act_bits)(gb, xf, "lm_head")
    gb.add_output(logits, "logits", F32, ["T", "B", V])
    gb.add_output(state_out, "state_out", F32, [L, "B", d])
    return gb.make_model("hgrnbit_sequence")


def export_sequence(model, path: Optional[str] = None, *, ops: str = "standard",
                    weights: str = "ternary", batch: Optional[int] = 1,
                    opset: int = M.DEFAULT_OPSET, tokenizer: Optional[str] = None
                    ) -> onnx.ModelProto:
    """ONNX whole-sequence model: ``(tokens [T, B] time-major, state [L, B, d]) ->
    (logits [T, B, V], state_out [L, B, d])``.  ``T`` stays symbolic (``--dim T=N``)."""
    params = _params(model)
    storage, form = _storage(ops, weights, sequence=True)
    proto = build_sequence(params, opset, storage, form)
    cfg = params.config
    proto = _finish(proto, batch, "sequence", _config_json(model, params), tokenizer,
                    f"HGRNBit over a sequence ({ops} ops, {weights} weights) d={cfg.hidden_size}"
                    f" L={cfg.num_layers} V={cfg.vocab_size}, exported by tern.export")
    if path:
        M.save_model(proto, path)
    return proto


def run_onnxruntime(model: Union[str, onnx.ModelProto], feeds: Dict[str, np.ndarray]
                    ) -> Dict[str, np.ndarray]:
    """Runs an exported model in onnxruntime (custom ops expanded first), one thread."""
    import onnxruntime as ort
    from .onnx_expand import expand_tern_ops
    proto = onnx.load(model) if isinstance(model, str) else model
    if any(o.domain == M.TERN_DOMAIN for o in proto.opset_import):
        proto = expand_tern_ops(proto)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(proto.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tern.export",
                                 description="Export an HGRNBit checkpoint (config.json + "
                                             "model.safetensors) to ONNX.")
    ap.add_argument("checkpoint", help="checkpoint directory in the released MMfreeLM format")
    ap.add_argument("-o", "--output", required=True, help="output .onnx")
    ap.add_argument("--sequence", action="store_true",
                    help="whole-sequence graph (default: one decode step)")
    ap.add_argument("--ops", choices=OPS, default="standard")
    ap.add_argument("--weights", choices=WEIGHTS, default="ternary")
    ap.add_argument("--batch", type=int, default=1, help="fixed batch (0: symbolic 'B')")
    ap.add_argument("--opset", type=int, default=M.DEFAULT_OPSET)
    ap.add_argument("--tokenizer", default=None,
                    help="tokenizer tag stored in the metadata (e.g. 'bytes')")
    ap.add_argument("--external-data", action="store_true",
                    help="store tensors as external data (models over 2 GB)")
    args = ap.parse_args(argv)
    fn = export_sequence if args.sequence else export_step
    try:
        proto = fn(args.checkpoint, None, ops=args.ops, weights=args.weights,
                   batch=args.batch or None, opset=args.opset, tokenizer=args.tokenizer)
    except (ValueError, KeyError, FileNotFoundError) as e:
        print(f"tern.export: error: {e}", file=sys.stderr)
        return 1
    M.save_model(proto, args.output, external_data=args.external_data)
    size = os.path.getsize(args.output)
    print(f"wrote {args.output} ({size / 1e6:.1f} MB, "
          f"{'sequence' if args.sequence else 'decode step'}, {args.ops} ops, "
          f"{args.weights} weights)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
