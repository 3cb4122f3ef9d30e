"""onnxruntime helpers for the form tests (imported after pytest.importorskip)."""

from typing import Dict, Mapping, Optional

import numpy as np
import onnxruntime as ort

from tern import onnx_models as M
from tern.onnx_expand import expand_tern_ops


def session(model_or_path, optimize: bool = False) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1  # the machine is shared; one thread is plenty here
    so.inter_op_num_threads = 1
    # Off by default: the tests check the graph as written, not ORT's rewrites of it.
    so.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
                                   else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    src = model_or_path if isinstance(model_or_path, str) else model_or_path.SerializeToString()
    return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])


def run(model, inputs: Mapping[str, np.ndarray], optimize: bool = False) -> Dict[str, np.ndarray]:
    if any(o.domain == M.TERN_DOMAIN for o in getattr(model, "opset_import", [])):
        model = expand_tern_ops(model)
    s = session(model, optimize)
    names = [o.name for o in s.get_outputs()]
    return dict(zip(names, s.run(names, dict(inputs))))


def run_built(built: M.Built, inputs: Optional[Mapping[str, np.ndarray]] = None,
              optimize: bool = False) -> Dict[str, np.ndarray]:
    return run(built.model, built.inputs if inputs is None else inputs, optimize)


def assert_matches(built: M.Built, got: Mapping[str, np.ndarray],
                   expected: Optional[Mapping[str, np.ndarray]] = None,
                   bulk_rel: float = 1e-5) -> None:
    """Two-tier check of a runtime against the reference.

    1. every element within the case's stated tolerance
       (``|got - exp| <= atol_rel * max|exp| + rtol * |exp|``), which leaves room for the rare
       value that an ulp of fp32 difference rounds to the neighbouring quantization level;
    2. the bulk is tight: the median error is at most ``bulk_rel * max|exp|`` (a wrong
       formula moves most elements, a rounding flip moves a handful).
    """
    expected = built.expected() if expected is None else expected
    for name in built.output_names():
        e, g = np.asarray(expected[name]), np.asarray(got[name])
        assert g.shape == e.shape, (name, g.shape, e.shape)
        err = np.abs(g.astype(np.float64) - e.astype(np.float64))
        tol = built.atol(e) + built.rtol * np.abs(e)
        bad = err > tol
        assert not bad.any(), (
            f"{built.name}:{name}: {int(bad.sum())} of {e.size} outside tolerance "
            f"(rtol={built.rtol}, atol={built.atol(e):.3g}); max err {err.max():.3g}")
        scale = float(np.max(np.abs(e), initial=0.0))
        assert float(np.median(err)) <= bulk_rel * scale, (
            f"{built.name}:{name}: median error {np.median(err):.3g} vs scale {scale:.3g}")
