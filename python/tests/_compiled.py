"""Compiling exported ONNX models with ternc in tests, with an honest xfail where the ONNX
importer does not handle a model yet.

A compile that fails because an ``onnx.node`` op was left unlegalized (the importer's
ONNX -> tern/upstream legalization does not cover that op yet) is marked xfail with the
names of those ops; any other compile failure fails the test.  When ternc is not built
the test is skipped (like test_cpu_backend.py).
"""

import re

import pytest

import tern


def ternc_or_skip() -> str:
    try:
        return tern.api.find_ternc()
    except tern.TernError as e:
        pytest.skip(str(e))


def importer_gap(message: str):
    """The ONNX op types an importer error says were left unlegalized, or None."""
    if "onnx.node" not in message and "onnx." not in message:
        return None
    ops = sorted(set(re.findall(r'op_type = "([A-Za-z0-9_]+)"', message)))
    domains = sorted(set(re.findall(r'domain = "([A-Za-z0-9_.]*)"', message)) - {""})
    return ops, domains


def compile_or_xfail(path: str, *extra: str) -> tern.CompiledModel:
    ternc_or_skip()
    try:
        return tern.compile(str(path), extra_args=list(extra))
    except tern.TernError as e:
        gap = importer_gap(str(e))
        if gap is None:
            raise
        ops, domains = gap
        where = " in domain " + "/".join(domains) if domains else ""
        pytest.xfail("ONNX importer (lib/Import/ONNX) does not legalize "
                     f"{', '.join(ops) or 'an op'}{where} yet; ternc said: "
                     f"{str(e).splitlines()[0][:200]}")
