"""gluon.contrib.data against MXNet 1.9.1: IntervalSampler orders, WikiText2 on a tiny local
file (tests/fixtures/estimator)."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import gluax as mx
from gluax.gluon.contrib.data import IntervalSampler
from gluax.gluon.contrib.data.text import WikiText2, WikiText103

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "estimator"
REF = json.loads((FIX / "estimator.json").read_text())
ARR = np.load(FIX / "estimator.npz")


@pytest.mark.parametrize("args", sorted(REF["interval"]))
def test_interval_sampler_matches_mxnet(args):
    assert list(IntervalSampler(*eval(args))) == REF["interval"][args]


def test_interval_sampler_rejects_interval_above_length():
    with pytest.raises(ValueError, match="interval must be in .*length=3.*got 4"):
        IntervalSampler(3, 4)


@pytest.fixture
def wiki_dir(tmp_path):
    (tmp_path / "wiki.train.tokens").write_text(REF["wikitext"]["text"], encoding="utf8")
    return tmp_path


def test_wikitext2_matches_mxnet(wiki_dir):
    ds = WikiText2(root=str(wiki_dir), segment="train", seq_len=4)
    ref = REF["wikitext"]
    assert ds.vocabulary.idx_to_token == ref["idx_to_token"]
    assert len(ds) == ref["len"]
    np.testing.assert_array_equal(ds._data, ARR["wikitext__data"])
    np.testing.assert_array_equal(ds._label, ARR["wikitext__label"])
    data, label = ds[0]
    assert isinstance(data, mx.nd.NDArray) and data.dtype == np.int32
    assert [data.asnumpy().tolist(), label.asnumpy().tolist()] == ref["first"]


def test_wikitext_reuses_a_given_vocabulary(wiki_dir):
    vocab = WikiText2(root=str(wiki_dir), seq_len=4).vocabulary
    (wiki_dir / "wiki.valid.tokens").write_text(" the new game \n", encoding="utf8")
    ds = WikiText2(root=str(wiki_dir), segment="validation", vocab=vocab, seq_len=2)
    # 'new' is unknown (0); '<eos>' is 1: ids the game? -> the(2) new(0) game(4) <eos>(1)
    assert ds.frequencies is None
    np.testing.assert_array_equal(ds._data.ravel(), [2, 0])
    np.testing.assert_array_equal(ds._label.ravel(), [0, 4])


def test_wikitext_missing_file_names_the_folder_and_archive(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"WikiText103: cannot find wiki.test.tokens in .*does not download.*wikitext-103-v1.zip",
    ):
        WikiText103(root=str(tmp_path), segment="test")
    with pytest.raises(ValueError, match="segment must be one of .*got 'dev'"):
        WikiText2(root=str(tmp_path), segment="dev")
