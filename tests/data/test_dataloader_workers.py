"""DataLoader worker processes never import JAX: forked from the JAX-free fork server, or,
with the fork server off, started as fresh interpreters."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from gluax._src.data import dataloader as dl_mod
from gluax.gluon.data import DataLoader


def _probe_dataset():
    # Defined here, so cloudpickle sends it by value and the worker imports nothing of this
    # test module (which imports gluax). Each sample: [jax loaded?, engine loaded?, index].
    class Probe:
        def __len__(self):
            return 8

        def __getitem__(self, i):
            mods = sys.modules
            return np.array(
                [float("jax" in mods), float("gluax._src.engine.ndarray" in mods), i],
                dtype="float32",
            )

    return Probe()


def _batches(loader):
    return [b.asnumpy() for b in loader]


@pytest.mark.parametrize("forked", [True, False], ids=["fork_server", "fresh_interpreter"])
def test_workers_do_not_import_jax(forked, monkeypatch):
    assert dl_mod._use_fork_server(), "import gluax starts the fork server"
    if not forked:
        monkeypatch.setattr(dl_mod, "_use_fork_server", lambda: False)
    loader = DataLoader(_probe_dataset(), batch_size=3, num_workers=2)
    kinds = {type(p).__name__ for p in loader._worker_pool.procs}
    assert kinds == ({"_ForkedWorker"} if forked else {"Popen"})
    got = _batches(loader)
    # the same batches as in this process, where JAX is loaded: only the flags differ
    here = _batches(DataLoader(_probe_dataset(), batch_size=3))
    assert [b.shape for b in got] == [(3, 3), (3, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate(got)[:, 2], np.arange(8))
    assert np.concatenate(here)[:, :2].min() == 1.0
    assert np.concatenate(got)[:, :2].max() == 0.0


def test_forked_worker_pids_are_distinct_and_stop_with_the_loader():
    loader = DataLoader(_probe_dataset(), batch_size=4, num_workers=2)
    procs = list(loader._worker_pool.procs)
    assert len({p.pid for p in procs}) == 2
    assert all(p.poll() is None for p in procs)
    _batches(loader)
    loader._worker_pool.close()
    for p in procs:
        p.wait(timeout=10)
        assert p.poll() is not None


def test_fork_server_restarts_after_it_died():
    server = dl_mod._FORK_SERVER
    server._proc.kill()
    server._proc.wait()
    got = _batches(DataLoader(_probe_dataset(), batch_size=8, num_workers=1))
    np.testing.assert_array_equal(got[0][:, 2], np.arange(8))
    assert server._proc.poll() is None


def test_interpreter_exit_reaps_the_fork_server():
    """``import gluax`` starts the fork server; a script ending normally must stop it without
    Python's "subprocess is still running" ResourceWarning (shown under -X dev / -W error)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", "import gluax"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "still running" not in out.stderr, out.stderr


_ALIAS_MODULE = '''
import sys

import numpy as np

import mxnet as mx


class Squares(mx.gluon.data.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return np.array([i * i, float("jax" in sys.modules)], dtype="float32")
'''


def test_worker_unpickles_dataset_from_module_that_imports_mxnet_alias(tmp_path, monkeypatch):
    # MXNet's own test_gluon_data defines its datasets in a module saying ``import mxnet``;
    # under gluax.install_as_mxnet() the workers must resolve that import too.
    import gluax

    (tmp_path / "alias_squares.py").write_text(_ALIAS_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    gluax.install_as_mxnet()
    try:
        import alias_squares

        loader = DataLoader(alias_squares.Squares(), batch_size=3, num_workers=2)
        got = np.concatenate([b.asnumpy() for b in loader])
    finally:
        gluax.uninstall_mxnet_alias()
        sys.modules.pop("alias_squares", None)
    np.testing.assert_array_equal(got[:, 0], np.arange(6) ** 2)
    # the dataset's module named mxnet, so the workers completed gluax (JAX included)
    assert got[:, 1].tolist() == [1.0] * 6


def test_worker_without_mxnet_names_does_not_import_jax_under_alias():
    import gluax

    gluax.install_as_mxnet()
    try:
        got = np.concatenate(
            [b.asnumpy() for b in DataLoader(_probe_dataset(), batch_size=4, num_workers=1)]
        )
    finally:
        gluax.uninstall_mxnet_alias()
    assert got[:, 0].tolist() == [0.0] * 8
