"""Rewrite Tern's custom-domain ops (form 4) into standard ONNX.

``expand_tern_ops(model)`` replaces every ``tern.RMSNorm``, ``tern.BitLinear``, ``tern.GLU``
and ``tern.MLGRU`` node with the standard-op subgraph that computes what
``ONNX_CUSTOM_OPS.md`` says (the same emitters that write forms 2a and 5; MLGRU with
``mode="sequence"`` becomes a Scan).  Its uses:

* onnxruntime can then run a form-4 model, so tests check the custom-op specification
  against :mod:`tern.reference` instead of only checking that the nodes exist;
* it is the executable meaning of the custom ops, which Tern's own lowering must match.

Only top-level nodes are rewritten; a tern node inside a subgraph raises.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Tuple

import onnx
from onnx import TensorProto, helper

from .onnx_models import (CUSTOM_OP_ATTRS, CUSTOM_OP_INPUTS, CUSTOM_OP_OUTPUTS,
                          CUSTOM_OP_REQUIRED, IR_VERSION, TERN_DOMAIN, GraphBuilder, Spelling,
                          emit_bitlinear, emit_divide, emit_glu, emit_mlgru_step, emit_rmsnorm,
                          emit_scan, emit_weight_quant)


def _attrs(node: onnx.NodeProto) -> Dict[str, object]:
    spec = CUSTOM_OP_ATTRS[node.op_type]
    out = dict(spec)
    for a in node.attribute:
        if a.name not in spec:
            raise ValueError(f"tern.{node.op_type} ({node.name}): unknown attribute {a.name}")
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _inputs(node: onnx.NodeProto) -> Dict[str, Optional[str]]:
    names = CUSTOM_OP_INPUTS[node.op_type]
    if len(node.input) > len(names):
        raise ValueError(f"tern.{node.op_type} ({node.name}): {len(node.input)} inputs, "
                         f"at most {len(names)}")
    got = {n: (v or None) for n, v in zip(names, node.input)}
    for n in names[:CUSTOM_OP_REQUIRED[node.op_type]]:
        if not got.get(n):
            raise ValueError(f"tern.{node.op_type} ({node.name}): missing input {n}")
    return got


def _float_weight(gb: GraphBuilder, w: str, scale: Optional[str], weight_form: str,
                  sp: Spelling) -> str:
    """The dequantized ternary weight of a tern op's ``W`` input, prepared in the root."""
    wb = gb.weight_nodes()
    if weight_form == "latent":
        t, s_w = emit_weight_quant(wb, w, sp)
        return emit_divide(wb, t, s_w, sp)
    if weight_form == "ternary":
        if not scale:
            raise ValueError("weight_form 'ternary' needs its scale input")
        return emit_divide(wb, wb.node("Cast", [w], to=TensorProto.FLOAT), scale, sp)
    raise ValueError(f"unknown weight_form {weight_form!r}")


def _bl_for(named: Mapping[str, Optional[str]], table: Mapping[str, Tuple[str, str, str]],
            attrs: Mapping[str, object], sp: Spelling):
    """BitLinear emitter over projections named in ``table``: proj -> (W, norm, scale)."""
    cache: Dict[str, str] = {}

    def bl(gb: GraphBuilder, x: str, proj: str) -> str:
        w_key, n_key, s_key = table[proj]
        if proj not in cache:
            cache[proj] = _float_weight(gb, named[w_key], named.get(s_key),
                                        str(attrs["weight_form"]), sp)
        return emit_bitlinear(gb, x, cache[proj], named.get(n_key), float(attrs["eps"]),
                              int(attrs["act_bits"]), sp)

    return bl


def _expand(gb: GraphBuilder, node: onnx.NodeProto, sp: Spelling) -> List[str]:
    op = node.op_type
    if op not in CUSTOM_OP_INPUTS:
        raise ValueError(f"unknown op tern.{op}")
    a = _attrs(node)
    x = _inputs(node)
    if op == "RMSNorm":
        return [emit_rmsnorm(gb, x["X"], x.get("weight"), float(a["eps"]), sp)]
    if op == "BitLinear":
        bl = _bl_for(x, {"p": ("W", "norm_weight", "w_scale")}, a, sp)
        return [bl(gb, x["X"], "p")]
    if op == "GLU":
        bl = _bl_for(x, {"gate_proj": ("W_gu", "norm_gu", "s_gu"),
                         "down_proj": ("W_d", "norm_d", "s_d")}, a, sp)
        return [emit_glu(gb, x["X"], bl, None)]
    # MLGRU
    bl = _bl_for(x, {f"{k}_proj": (f"W_{k}", f"norm_{k}", f"s_{k}") for k in "ifgo"}, a, sp)
    variant, mode = str(a["variant"]), str(a["mode"])
    g_norm = x.get("g_norm") if variant == "released" else None

    def step(b: GraphBuilder, x_t: str, h: str) -> Tuple[str, str]:
        return emit_mlgru_step(b, x_t, h, bl, variant, g_norm, float(a["g_norm_eps"]),
                               x.get("lower_bound"), sp)

    if mode == "step":
        y, h_new = step(gb, x["X"], x["H"])
        return [y, h_new]
    if mode == "sequence":
        y, h_fin = emit_scan(gb, x["X"], x["H"], step)
        return [y, h_fin]
    raise ValueError(f"tern.MLGRU: unknown mode {mode!r}")


def _has_tern_in_subgraphs(node: onnx.NodeProto) -> bool:
    for attr in node.attribute:
        graphs = list(attr.graphs) + ([attr.g] if attr.HasField("g") else [])
        for g in graphs:
            for n in g.node:
                if n.domain == TERN_DOMAIN or _has_tern_in_subgraphs(n):
                    return True
    return False


def expand_tern_ops(model: onnx.ModelProto, spelling: Spelling = Spelling()) -> onnx.ModelProto:
    """A copy of ``model`` with every top-level tern.* node replaced by standard ops."""
    if spelling.linear == "matmul_kn":
        raise ValueError("tern ops carry [out, in] weights: use matmul_t or gemm spelling")
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 17)
    g = model.graph
    reserved = {v.name for v in list(g.input) + list(g.output) + list(g.value_info)}
    reserved |= {t.name for t in g.initializer}
    for n in g.node:
        reserved.update(n.output)
        reserved.add(n.name)
    gb = GraphBuilder(opset, reserved=sorted(reserved))
    for node in g.node:
        if _has_tern_in_subgraphs(node):
            raise NotImplementedError("tern ops inside subgraphs are not expanded")
        if node.domain != TERN_DOMAIN:
            gb.nodes.append(node)
            continue
        results = _expand(gb, node, spelling)
        expected = CUSTOM_OP_OUTPUTS[node.op_type]
        if len(node.output) > len(expected):
            raise ValueError(f"tern.{node.op_type}: too many outputs")
        for want, got in zip(node.output, results):
            if want:
                gb.node("Identity", [got], outputs=[want])
    graph = helper.make_graph(gb.nodes, g.name, list(g.input), list(g.output),
                              initializer=list(g.initializer) + gb.initializers,
                              value_info=list(g.value_info), doc_string=g.doc_string)
    imports = [o for o in model.opset_import if o.domain != TERN_DOMAIN]
    out = helper.make_model(graph, opset_imports=imports, producer_name=model.producer_name,
                            doc_string=model.doc_string)
    out.ir_version = max(model.ir_version, IR_VERSION) if model.ir_version else IR_VERSION
    return out


__all__ = ["expand_tern_ops"]
