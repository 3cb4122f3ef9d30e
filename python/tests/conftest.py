"""Shared test helpers.  Makes ``python/`` importable so the suite runs from a checkout
without installing the package."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# A released-format checkpoint made by the tests and the tools' environment, shared by
# test_checkpoint.py and test_serve.py (made and compiled once per session; _checkpoint.py).
@pytest.fixture(scope="session")
def released_checkpoint(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("sentencepiece")
    pytest.importorskip("tokenizers")
    from _checkpoint import released_checkpoint_fixture
    return released_checkpoint_fixture(tmp_path_factory)


@pytest.fixture(scope="session")
def tern_env(tmp_path_factory):
    from _checkpoint import tern_env_fixture
    return tern_env_fixture(tmp_path_factory)
