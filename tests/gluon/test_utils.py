"""gluon.utils: split_data, split_and_load, clip_global_norm, download, check_sha1."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import gluax as mx
from gluax import gluon, nd


def test_split_data_even_and_uneven():
    x = nd.arange(10).reshape((5, 2))
    parts = gluon.utils.split_data(x, 3, even_split=False)
    assert [p.shape for p in parts] == [(2, 2), (2, 2), (1, 2)]  # as MXNet 1.9.1
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x.asnumpy())
    with pytest.raises(ValueError, match=r"data with shape \(5, 2\) cannot be evenly split into 3 slices along axis 0"):
        gluon.utils.split_data(x, 3)
    cols = gluon.utils.split_data(nd.ones((2, 4)), 2, batch_axis=1)
    assert [c.shape for c in cols] == [(2, 2), (2, 2)]


def test_split_and_load_places_slices():
    out = gluon.utils.split_and_load(np.arange(8).reshape(4, 2), [mx.cpu(0), mx.cpu(1)])
    assert [o.context for o in out] == [mx.cpu(0), mx.cpu(1)]
    assert out[1].asnumpy().tolist() == [[4, 5], [6, 7]]
    assert len(gluon.utils.split_and_load(nd.ones((3,)), [mx.cpu()])) == 1


def test_clip_global_norm_matches_formula():
    a = [nd.ones((2, 2)) * 3, nd.ones((3,)) * 4]
    norm = gluon.utils.clip_global_norm(a, 1.0)
    expected = np.sqrt(4 * 9 + 3 * 16)
    assert abs(norm - expected) < 1e-4 and isinstance(norm, float)
    np.testing.assert_allclose(a[0].asnumpy(), 3 / (expected + 1e-8), rtol=1e-5)
    b = [nd.ones((2,)) * 0.1]
    gluon.utils.clip_global_norm(b, 1.0)
    np.testing.assert_allclose(b[0].asnumpy(), [0.1, 0.1], rtol=1e-6)
    with pytest.warns(UserWarning, match="nan or inf is detected"):
        gluon.utils.clip_global_norm([nd.array([np.inf])], 1.0)


def test_download_never_touches_network(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"does not download files. Put 'w.params'"):
        gluon.utils.download("https://example.com/models/w.params", path=str(tmp_path))
    f = tmp_path / "w.params"
    f.write_bytes(b"abc")
    assert gluon.utils.download("https://example.com/models/w.params", path=str(tmp_path)) == str(f)
    assert gluon.utils.check_sha1(str(f), hashlib.sha1(b"abc").hexdigest())
