"""Issue 21 item 7: ``mx.random.seed`` also seeds the shuffling samplers (numpy's global
generator, which they draw from as in MXNet), so two seeded runs see the same batches."""

from __future__ import annotations

import numpy as np

import gluax as mx
from gluax.gluon.data import ArrayDataset, DataLoader


def _epoch():
    loader = DataLoader(ArrayDataset(np.arange(12, dtype="float32")), batch_size=4, shuffle=True)
    return [b.asnumpy().astype(int).ravel().tolist() for b in loader]


def test_mx_random_seed_makes_shuffling_repeatable():
    mx.random.seed(11)
    first = _epoch()
    np.random.rand(5)  # unrelated draws in between
    mx.random.seed(11)
    assert _epoch() == first
    mx.random.seed(12)
    assert _epoch() != first
    assert sorted(sum(first, [])) == list(range(12))
