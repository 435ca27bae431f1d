"""Doctests in gluax/ may use ``mx`` (gluax), ``nd`` and ``np`` without importing them."""

import numpy as np
import pytest

import gluax


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update(mx=gluax, nd=gluax.nd, np=np)
