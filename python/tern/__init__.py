"""Tern: Python side of the MLIR compiler for ternary MatMul-free language models.

* :mod:`tern.reference` -- numpy reference numerics (the oracle), no dependency beyond numpy.
* :mod:`tern.onnx_models` -- builders of test ONNX graphs in every form Tern imports
  (needs ``onnx``); ``python -m tern.onnx_models OUTDIR`` writes a test-data set.
* :mod:`tern.api` -- :func:`compile` a model with ``ternc`` and call it on numpy arrays.
* :mod:`tern.mlir_models` -- small ``tern``-dialect MLIR test models with reference outputs.
* :mod:`tern.torch` -- PyTorch HGRNBit modules (mmfreelm names and config), checkpoint
  loading, reference generation (needs ``torch``; imported on demand).
* :mod:`tern.export` -- ONNX export of a decode step / a whole sequence, standard or
  ``tern``-domain ops (``python -m tern.export CHECKPOINT -o model.onnx``).
* :func:`generate` / :func:`perplexity` -- text generation and perplexity with a checkpoint
  directory (compiled and cached by :mod:`tern.checkpoint`), a compiled or onnxruntime
  decode step; tokenizers in :mod:`tern.tokenizer`.  ``python -m tern generate CKPT_DIR``.
* :mod:`tern.serve` -- an OpenAI-compatible HTTP server (``python -m tern.serve CKPT_DIR``).
* :mod:`tern.onnx_expand` -- rewrites Tern's custom-domain ops into standard ONNX, which
  makes models of form 4 runnable by onnxruntime (and fixes what the ops mean).
"""

__version__ = "0.1.0"

from . import reference  # numpy only: cheap to import
from .api import CompiledModel, TernError, compile  # noqa: A001 (the API's name)
from .generation import generate, perplexity  # numpy only

__all__ = ["reference", "compile", "CompiledModel", "TernError", "generate", "perplexity", "__version__"]
