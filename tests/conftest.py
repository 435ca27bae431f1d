"""Shared fixtures: a seeded ``rng`` that also seeds gluax's global key."""

from __future__ import annotations

import os
import sys
import zlib

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import gluax as mx  # noqa: E402


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A numpy Generator seeded per test; gluax's global key is seeded with the same value.
    The seed is printed when the test fails."""
    seed = int(os.environ.get("GLUAX_TEST_SEED", "0")) or zlib.crc32(request.node.nodeid.encode())
    mx.random.seed(seed)
    print(f"[rng] seed={seed} (set GLUAX_TEST_SEED={seed} to repeat)")
    return np.random.default_rng(seed)


@pytest.fixture
def fresh_plans():
    """The deferred backward's and the lazy calls' plan tables empty for the test, restored
    after it: a process stops deferring after ``tape.DEFER_MAX_PLANS`` graph structures (the
    lazy calls after ``lazy.MAX_PLANS``), which earlier tests in the same pytest worker may
    have used up (how many depends on which tests it ran before)."""
    from gluax._src.engine import lazy, tape

    plans, lazy_plans = dict(tape._PLANS), dict(lazy._PLANS)
    tape._PLANS.clear()
    lazy._PLANS.clear()
    try:
        yield
    finally:
        tape._PLANS.clear()
        tape._PLANS.update(plans)
        lazy._PLANS.clear()
        lazy._PLANS.update(lazy_plans)


# Fixture-making scripts run under MXNet's own virtual environment, never under pytest.
collect_ignore_glob = ["fixtures/*"]
