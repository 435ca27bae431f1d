"""gluax's executable cache never lets a bad entry crash or change a result: an entry that
loads but fails when run is dropped and the program compiled anew; an executable JAX reused
from this process's memory is not written (it may have been loaded from JAX's own cache,
and jaxlib 0.10 re-serializes those into entries that fail with "Function ... not found")."""

import numpy as np
import pytest

import gluax as mx
from gluax._src.engine import compile_cache as cc


def _program(name):
    return cc.PersistentJit(lambda x: x * 3.0 + 1.0, name)


def test_a_loaded_entry_that_fails_when_run_is_dropped_and_recompiled(tmp_path, monkeypatch):
    old = cc.compilation_cache_dir()
    mx.set_compilation_cache(str(tmp_path))
    try:
        x = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))._value
        first = _program("test_guard_program")
        want = np.asarray(first(x))
        entries = list(cc.executable_dir().glob("*.exe"))
        assert len(entries) == 1  # compiled fresh in this process: stored

        def broken(*args):
            raise RuntimeError("NOT_FOUND: Function wrapped_program not found")

        monkeypatch.setattr(cc, "_fast_call", lambda exe: broken)
        before = dict(cc.EXE_STATS)
        again = _program("test_guard_program")  # a new process's view: the entry loads
        np.testing.assert_array_equal(np.asarray(again(x)), want)
        assert cc.EXE_STATS["loaded"] == before["loaded"] + 1
        assert cc.EXE_STATS["failed"] == before["failed"] + 1
        assert not entries[0].exists()  # the bad entry is gone
        np.testing.assert_array_equal(np.asarray(again(x)), want)  # and the jitted path stays
        assert cc.EXE_STATS["failed"] == before["failed"] + 1
    finally:
        mx.set_compilation_cache(old)


def test_a_program_reused_from_memory_is_not_stored(tmp_path):
    old = cc.compilation_cache_dir()
    mx.set_compilation_cache(str(tmp_path))
    try:
        x = mx.nd.array(np.ones((4, 5), np.float32))._value
        fn = lambda x: x * 5.0 - 2.0  # noqa: E731
        jitted = cc.PersistentJit(fn, None).jit
        jitted(x)  # compiled once in this process, through JAX alone
        exe, fresh = cc.compile_fresh(jitted, (x,))
        assert not fresh  # the same program again: JAX's memory, not a fresh compile
        np.testing.assert_array_equal(np.asarray(exe(x)), np.full((4, 5), 3.0, np.float32))
        other = jax_jit_of(lambda x: x * 7.0 - 2.0)
        _, fresh = cc.compile_fresh(other, (x,))
        assert fresh  # a program XLA compiled now
    finally:
        mx.set_compilation_cache(old)


def jax_jit_of(fn):
    import jax

    return jax.jit(fn)


def test_a_failed_first_call_after_donation_names_the_program(tmp_path, monkeypatch):
    import jax

    old = cc.compilation_cache_dir()
    mx.set_compilation_cache(str(tmp_path))
    try:
        name = "test_guard_donated"
        x = jax.numpy.ones((3,), np.float32) + 0  # an array of its own, to donate
        np.testing.assert_array_equal(np.asarray(_program(name)(x)), np.full(3, 4.0))
        assert len(list(cc.executable_dir().glob("*.exe"))) == 1

        def consumes_then_fails(*args):
            for a in args:
                a.delete()
            raise RuntimeError("NOT_FOUND: Function wrapped_program not found")

        monkeypatch.setattr(cc, "_fast_call", lambda exe: consumes_then_fails)
        y = jax.numpy.ones((3,), np.float32) + 0
        with pytest.raises(RuntimeError, match="test_guard_donated.*donated inputs"):
            _program(name)(y)
        assert not list(cc.executable_dir().glob("*.exe"))  # the entry is gone
    finally:
        mx.set_compilation_cache(old)


def test_trimming_removes_the_least_recently_used_entries(tmp_path):
    import os

    for k in range(10):  # 10 entries of 1 KB, entry k last used at time 1000 + k
        f = tmp_path / f"{k:02d}.exe"
        f.write_bytes(b"x" * 1024)
        os.utime(f, (1000 + k, 1000 + k))
    (tmp_path / "other.txt").write_bytes(b"y" * 4096)  # not an entry: never touched
    assert cc.trim_executables(tmp_path, max_bytes=20 * 1024) == 0  # under the limit
    removed = cc.trim_executables(tmp_path, max_bytes=8 * 1024)  # down to 80%: 6 KB
    assert removed == 4
    left = sorted(f.name for f in tmp_path.glob("*.exe"))
    assert left == [f"{k:02d}.exe" for k in range(4, 10)]
    assert (tmp_path / "other.txt").exists()


def test_a_loaded_entry_counts_as_recently_used(tmp_path):
    import os

    old = cc.compilation_cache_dir()
    mx.set_compilation_cache(str(tmp_path))
    try:
        x = mx.nd.array(np.ones((5, 2), np.float32))._value
        _program("test_guard_lru")(x)
        (entry,) = cc.executable_dir().glob("*.exe")
        os.utime(entry, (1000, 1000))
        np.testing.assert_array_equal(np.asarray(_program("test_guard_lru")(x)), np.full((5, 2), 4.0))
        assert entry.stat().st_mtime > 1000  # loading it marked it used
    finally:
        mx.set_compilation_cache(old)
