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
