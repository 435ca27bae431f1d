"""model_store: MXNet's file names for the pretrained weights, found offline under root."""

from __future__ import annotations

import json
import logging
import os

import pytest

from gluax._src.data.vision.datasets import data_dir
from gluax._src.model_zoo import model_store
from gluax.gluon.model_zoo.model_store import get_model_file, purge, short_hash

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "model_zoo")
with open(os.path.join(HERE, "model_zoo.json")) as _f:
    FILES = json.load(_f)["files"]


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_names_match_mxnet(name):
    assert f"{name}-{short_hash(name)}.params" == FILES[name]


def test_default_root_is_mxnet_home_models():
    assert model_store.DEFAULT_ROOT == os.path.join(data_dir(), "models")
    assert get_model_file.__defaults__ == (model_store.DEFAULT_ROOT,)


def test_unknown_model_raises():
    with pytest.raises(ValueError, match=r"Pretrained model for resnet19_v1 is not available"):
        get_model_file("resnet19_v1")


def test_missing_file_names_file_folder_and_source(tmp_path, monkeypatch):
    monkeypatch.delenv("MXNET_GLUON_REPO", raising=False)
    with pytest.raises(FileNotFoundError) as info:
        get_model_file("resnet18_v1", root=str(tmp_path))
    msg = str(info.value)
    assert "'resnet18_v1-a0666292.params' in the folder" in msg
    assert repr(str(tmp_path)) in msg
    assert "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/models/" in msg
    assert "resnet18_v1-a0666292.zip" in msg
    assert os.listdir(tmp_path) == []  # nothing was downloaded or created


def test_missing_file_message_follows_mxnet_gluon_repo(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_GLUON_REPO", "https://mirror.example/mx")
    with pytest.raises(FileNotFoundError, match=r"https://mirror\.example/mx/gluon/models/alexnet"):
        get_model_file("alexnet", root=str(tmp_path))


def test_root_expands_user(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "zoo").mkdir()
    path = tmp_path / "zoo" / FILES["alexnet"]
    path.write_bytes(b"")
    logging.disable(logging.WARNING)  # the empty file's SHA-1 mismatch is logged
    try:
        assert get_model_file("alexnet", root="~/zoo") == str(path)
    finally:
        logging.disable(logging.NOTSET)


def test_sha1_mismatch_is_logged_not_fatal(tmp_path, caplog):
    path = tmp_path / FILES["squeezenet1.1"]
    path.write_bytes(b"not the model store's bytes")
    with caplog.at_level(logging.WARNING):
        assert get_model_file("squeezenet1.1", root=str(tmp_path)) == str(path)
    assert "Mismatch in the content of model file" in caplog.text
    assert "33ba0f93753c83d86e1eb397f38a667eaf2e9376" in caplog.text


def test_matching_sha1_logs_nothing(tmp_path, caplog, monkeypatch):
    # sha1(b"abc") stands in for the model store's digest of the real file (and so its name)
    path = tmp_path / "vgg11-a9993e36.params"
    path.write_bytes(b"abc")
    monkeypatch.setitem(
        model_store._MODEL_SHA1, "vgg11", "a9993e364706816aba3e25717850c26c9cd0d89d"
    )
    with caplog.at_level(logging.WARNING):
        assert get_model_file("vgg11", root=str(tmp_path)) == str(path)
    assert caplog.text == ""


def test_purge_removes_only_params_files(tmp_path):
    (tmp_path / "a.params").write_bytes(b"")
    (tmp_path / "b.params").write_bytes(b"")
    (tmp_path / "notes.txt").write_bytes(b"")
    purge(root=str(tmp_path))
    assert os.listdir(tmp_path) == ["notes.txt"]
