"""Compiling exported ONNX models with ternc in tests, with an honest xfail where the ONNX
importer does not handle a model yet.

A compile that fails because the importer left ONNX ops unlegalized (``onnx.node`` in the
diagnostics) or rejected a node it does not support (``node 'NAME' (OP, domain 'D'):
reason``) is marked xfail quoting that reason; any other compile failure fails the test.
When ternc is not built the test is skipped (like test_cpu_backend.py).  Compiled models
are cached for the session by the model file's contents, so tests sharing a model (same
bytes) compile it once.
"""

import hashlib
import re

import pytest

import tern

_CACHE = {}


def ternc_or_skip() -> str:
    try:
        return tern.api.find_ternc()
    except tern.TernError as e:
        pytest.skip(str(e))


def importer_gap(message: str):
    """A one-line description of an ONNX-importer limitation in a ternc error, or None."""
    m = re.search(r"error: (node '[^']*' \(([A-Za-z0-9_]+), domain '([^']*)'\): .*)", message)
    if m:
        return f"the ONNX importer rejects {m.group(2)} (domain '{m.group(3) or 'ai.onnx'}'): " \
               f"{m.group(1)[:240]}"
    if "onnx.node" in message:
        ops = sorted(set(re.findall(r'op_type = "([A-Za-z0-9_]+)"', message)))
        return "the ONNX importer does not legalize " + (", ".join(ops) or "some ops") + " yet"
    return None


def compile_or_xfail(path, *extra: str) -> tern.CompiledModel:
    ternc_or_skip()
    with open(path, "rb") as fh:
        key = (hashlib.sha256(fh.read()).hexdigest(), extra)
    if key not in _CACHE:
        try:
            _CACHE[key] = tern.compile(str(path), extra_args=list(extra))
        except tern.TernError as e:
            _CACHE[key] = e
    got = _CACHE[key]
    if isinstance(got, tern.TernError):
        gap = importer_gap(str(got))
        if gap is None:
            raise got
        pytest.xfail(gap)
    return got
