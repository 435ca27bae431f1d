"""Issue 21 item 5: saved files honour the umask as ``open()`` does, temporaries are named
after their target (``.<name>.gluax-tmp-<pid>-<random>``) and a save removes the ones an
earlier, killed save of the same file left behind."""

from __future__ import annotations

import os
import stat

import pytest

from gluax import gluon, nd
from gluax._src.engine import serialization


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_saves_honour_the_umask(tmp_path, umask, mask):
    umask(mask)
    expected = 0o666 & ~mask
    nd.save(str(tmp_path / "a.nd"), [nd.ones((2,))])
    net = gluon.nn.Dense(2, in_units=2)
    net.initialize()
    net.save_parameters(str(tmp_path / "n.params"))
    open(tmp_path / "ref", "w").close()
    assert _mode(tmp_path / "ref") == expected
    assert _mode(tmp_path / "a.nd") == expected and _mode(tmp_path / "n.params") == expected


def test_temporaries_are_named_after_their_target(tmp_path, monkeypatch):
    seen = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (seen.append(os.path.basename(a)), real(a, b)))
    nd.save(str(tmp_path / "w.params"), [nd.ones((1,))])
    assert len(seen) == 1 and seen[0].startswith(f".w.params.gluax-tmp-{os.getpid()}-")


def test_stale_temporaries_of_the_same_target_are_removed(tmp_path):
    dead = tmp_path / ".w.params.gluax-tmp-2147483646-0badc0de"  # no such process
    live = tmp_path / ".w.params.gluax-tmp-1-0badc0de"  # pid 1 is alive: a save in progress
    other = tmp_path / ".v.params.gluax-tmp-2147483646-0badc0de"  # another file's
    for p in (dead, live, other):
        p.write_bytes(b"x" * 100)
    nd.save(str(tmp_path / "w.params"), [nd.ones((1,))])
    assert not dead.exists() and live.exists() and other.exists()
    assert sorted(os.listdir(tmp_path)) == sorted([live.name, other.name, "w.params"])


def test_failed_write_leaves_no_temporary(tmp_path, monkeypatch):
    def boom(a, b):
        raise OSError("rename failed")

    monkeypatch.setattr(serialization.os, "replace", boom)
    with pytest.raises(OSError, match="rename failed"):
        nd.save(str(tmp_path / "w.params"), [nd.ones((1,))])
    assert os.listdir(tmp_path) == []
