"""SequenceMask, SequenceLast, SequenceReverse (gluax/_src/ops/rnn.py) against MXNet 1.9.1
(tests/fixtures/ops_extra); tests/ops/test_rnn.py checks them against numpy."""

from __future__ import annotations

import pytest

from .mxnet_cases import check_case, names


@pytest.mark.parametrize("name", names("sequence"))
def test_sequence_op_matches_mxnet(name):
    check_case(name)
