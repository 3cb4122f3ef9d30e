"""Compile a model with ``ternc`` and call it on numpy arrays through the C ABI (ctypes).

    >>> model = tern.compile("model.onnx")          # or a .mlir file
    >>> logits, states = model(tokens, states)       # numpy in, numpy out

The callable checks inputs like ``ternc run`` (count, dtype, shape; the message names the
input and both shapes) before the compiled code reads them.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

_DTYPES = {0: np.float32, 1: np.float64, 2: np.int64, 3: np.int32, 4: np.int8, 5: np.bool_,
           6: np.uint8, 7: np.int16, 8: np.uint16, 9: np.float16, 10: np.uint32, 11: np.uint64}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}


#: The C ABI of compiled models this package calls (include/tern/Runtime/tern_runtime.h).
MODEL_ABI_VERSION = 1


class TernError(RuntimeError):
    """A compile or run error reported by Tern."""


class _Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64))]


class _Info(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64))]


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: type
    shape: Tuple[int, ...]

    def describe(self) -> str:
        return "x".join(str(d) for d in self.shape) + ("x" if self.shape else "") + \
            np.dtype(self.dtype).name


def find_ternc() -> str:
    """``$TERN_TERNC``, else ``$TERN_BUILD_DIR/bin/ternc``, else the repository's
    ``build/bin/ternc``, else ``ternc`` on PATH (an installed Tern)."""
    here = os.path.dirname(os.path.abspath(__file__))
    if os.environ.get("TERN_TERNC"):
        named = os.environ["TERN_TERNC"]
        if not os.access(named, os.X_OK):
            raise TernError(f"TERN_TERNC={named} is not an executable")
        return os.path.abspath(named)
    candidates = []
    if os.environ.get("TERN_BUILD_DIR"):
        candidates.append(os.path.join(os.environ["TERN_BUILD_DIR"], "bin", "ternc"))
    candidates.append(os.path.join(here, "..", "..", "build", "bin", "ternc"))
    for c in candidates:
        if os.access(c, os.X_OK):
            return os.path.abspath(c)
    found = shutil.which("ternc")
    if not found:
        raise TernError("ternc not found: install Tern (its bin/ on PATH), build it "
                        "(scripts/build.sh), or set TERN_TERNC to the executable")
    return found


_RUNTIME = None


def find_runtime_library() -> str:
    """``$TERN_RUNTIME_LIB``, else ``libtern_runtime.so`` in the ``lib/`` beside the
    ``bin/`` of :func:`find_ternc` (a build tree or an install)."""
    if os.environ.get("TERN_RUNTIME_LIB"):
        return os.environ["TERN_RUNTIME_LIB"]
    prefix = os.path.dirname(os.path.dirname(os.path.realpath(find_ternc())))
    return os.path.join(prefix, "lib", "libtern_runtime.so")


def check_shared_object(path: str) -> None:
    """Raises :class:`TernError` unless ``path`` is a complete ELF shared library for this
    machine. dlopen maps a truncated file and dies with SIGBUS when it touches a page past
    its end; the check is lib/Runtime/ElfCheck.cpp's, the one ``ternc run`` makes, called
    through the C ABI of ``libtern_runtime.so``."""
    global _RUNTIME
    if _RUNTIME is None:
        lib = find_runtime_library()
        try:
            runtime = ctypes.CDLL(lib)
        except OSError as e:
            raise TernError(f"cannot load Tern's runtime library ({e}); set TERN_RUNTIME_LIB "
                            "to libtern_runtime.so") from None
        runtime.tern_check_shared_object.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                                                     ctypes.c_size_t]
        runtime.tern_check_shared_object.restype = ctypes.c_int
        _RUNTIME = runtime
    error = ctypes.create_string_buffer(1024)
    if _RUNTIME.tern_check_shared_object(os.fsencode(path), error, len(error)) != 0:
        raise TernError(f"cannot load model library: {error.value.decode(errors='replace')}")


class CompiledModel:
    """A compiled model library loaded with ctypes."""

    def __init__(self, library: str):
        self.library = os.path.abspath(library)  # the .so (``ternc generate`` loads it too)
        check_shared_object(self.library)  # dlopen of a truncated file is a SIGBUS
        try:
            self._lib = ctypes.CDLL(self.library)
        except OSError as e:
            raise TernError(f"cannot load model library: {e}") from None
        lib = self._lib
        # The C ABI the library implements (TERN_MODEL_ABI_VERSION of tern_runtime.h).
        version = getattr(lib, "tern_model_abi_version", None)
        if version is None:
            raise TernError(f"{self.library}: no tern_model_abi_version(): not a Tern model "
                            f"library, or one built by an older ternc (recompile it)")
        if version() != MODEL_ABI_VERSION:
            raise TernError(f"{self.library}: built for Tern model ABI {version()}, this "
                            f"package reads {MODEL_ABI_VERSION} (recompile it)")
        lib.tern_model_input_info.restype = ctypes.POINTER(_Info)
        lib.tern_model_output_info.restype = ctypes.POINTER(_Info)
        lib.tern_model_run.argtypes = [ctypes.POINTER(_Tensor), ctypes.c_int,
                                       ctypes.POINTER(_Tensor), ctypes.c_int,
                                       ctypes.c_char_p, ctypes.c_size_t]
        self.inputs = [self._spec(lib.tern_model_input_info(i))
                       for i in range(lib.tern_model_num_inputs())]
        self.outputs = [self._spec(lib.tern_model_output_info(i))
                        for i in range(lib.tern_model_num_outputs())]

    @staticmethod
    def _spec(p) -> TensorSpec:
        info = p.contents
        return TensorSpec(info.name.decode(), _DTYPES[info.dtype],
                          tuple(info.shape[d] for d in range(info.rank)))

    def __call__(self, *arrays: np.ndarray) -> List[np.ndarray]:
        if len(arrays) != len(self.inputs):
            sig = ", ".join(f"{s.name}: {s.describe()}" for s in self.inputs)
            raise TernError(f"the model takes {len(self.inputs)} inputs ({sig}), got {len(arrays)}")
        keep = []
        ins = (_Tensor * max(1, len(arrays)))()
        for i, (a, spec) in enumerate(zip(arrays, self.inputs)):
            if not isinstance(a, np.ndarray):
                raise TernError(f"input {i} '{spec.name}': expected a numpy array, got {type(a).__name__}")
            got = TensorSpec(spec.name, a.dtype.type, tuple(a.shape))
            if np.dtype(a.dtype) != np.dtype(spec.dtype) or tuple(a.shape) != spec.shape:
                raise TernError(f"input {i} '{spec.name}': expected {spec.describe()}, "
                                f"got {got.describe()}")
            a = np.ascontiguousarray(a)
            shape = (ctypes.c_int64 * max(1, a.ndim))(*a.shape)
            keep += [a, shape]
            ins[i] = _Tensor(a.ctypes.data, _CODES[np.dtype(a.dtype)], a.ndim, shape)
        outs_np = [np.empty(s.shape, dtype=s.dtype) for s in self.outputs]
        outs = (_Tensor * max(1, len(outs_np)))()
        for i, o in enumerate(outs_np):
            shape = (ctypes.c_int64 * max(1, o.ndim))(*o.shape)
            keep.append(shape)
            outs[i] = _Tensor(o.ctypes.data, _CODES[np.dtype(o.dtype)], o.ndim, shape)
        err = ctypes.create_string_buffer(512)
        rc = self._lib.tern_model_run(ins, len(arrays), outs, len(outs_np), err, len(err))
        if rc != 0:
            raise TernError(err.value.decode())
        return outs_np


def compile(path: str, target: str = "cpu", output: Optional[str] = None,
            extra_args: Sequence[str] = ()) -> CompiledModel:
    """Compiles ``path`` (.onnx, .onnxtxt or .mlir) and loads the result.

    ``target`` is ``cpu`` or ``cuda``: both artifacts export the same C ABI (a CUDA model
    uploads its weights on the first call and reports "no CUDA GPU found" without one)."""
    if target not in ("cpu", "cuda"):
        raise TernError(f"tern.compile: target {target!r} is not callable from Python "
                        "(cpu, cuda)")
    out_dir = None
    if output is None:
        out_dir = tempfile.mkdtemp(prefix="tern-")
        output = os.path.join(out_dir, "model.so")
    proc = subprocess.run([find_ternc(), "compile", path, f"--target={target}", "-o", output,
                           "--quiet", *extra_args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise TernError(proc.stderr.strip() or f"ternc failed with exit code {proc.returncode}")
    return CompiledModel(output)
