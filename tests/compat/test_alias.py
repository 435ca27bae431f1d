"""gluax.install_as_mxnet(): code that says ``import mxnet`` runs on gluax. Exercised with
fakelib/ (module-level imports of the kinds GluonCV/GluonNLP make) in a fresh interpreter, so
the alias never leaks into other tests."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap

HERE = pathlib.Path(__file__).resolve().parent

SCRIPT = textwrap.dedent("""
    import sys, warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    import gluax
    assert "mxnet" not in sys.modules          # never a side effect of import gluax
    try:
        import mxnet
    except ImportError:
        pass
    else:
        raise AssertionError("mxnet importable before install_as_mxnet()")
    mx = gluax.install_as_mxnet()
    import mxnet
    assert mxnet is mx and mxnet.__version__ == "1.9.1"
    assert gluax.__version__ != "1.9.1" and gluax.__mxnet_version__ == "1.9.1"
    import mxnet.gluon.nn.basic_layers as bl
    assert bl is gluax.gluon.nn.basic_layers and bl.__name__ == "gluax.gluon.nn.basic_layers"
    assert mxnet.gluon.nn.Dense is gluax.gluon.nn.Dense

    import numpy as np
    import fakelib
    info = fakelib.describe()
    assert info["version"] == "1.9.1" and info["amp_initialized"] is False
    assert info["url"].endswith("/ns/f") and info["nd"] is gluax.nd
    net = fakelib.Net()
    net.initialize()
    x = mxnet.nd.array(np.arange(2 * 3 * 5 * 6, dtype="float32").reshape(2, 3, 5, 6) / 100)
    y, hw = net(x)
    net.hybridize()
    y2, hw2 = net(x)
    assert y.shape == (2, 3) and hw.asnumpy().tolist() == [5, 6] == hw2.asnumpy().tolist()
    np.testing.assert_allclose(y.asnumpy(), y2.asnumpy(), rtol=1e-5, atol=1e-6)
    loss = fakelib.ScaledL2()(y, mxnet.nd.zeros((2, 3)))
    np.testing.assert_allclose(loss.asnumpy(), (y.asnumpy() ** 2).mean(axis=1) / 2, rtol=1e-5)
    for bad in (lambda: info["adamw"](x, x, x, x, 1.0), lambda: fakelib.MultiWorker()):
        try:
            bad()
        except NotImplementedError as e:
            assert "gluax" in str(e)
        else:
            raise AssertionError("an absent name ran")
    gluax.uninstall_mxnet_alias()
    assert "mxnet" not in sys.modules
    print("ALIAS-OK")
""")


def test_alias_runs_a_library_written_for_mxnet():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(HERE)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0 and "ALIAS-OK" in proc.stdout, proc.stdout + proc.stderr


def test_alias_refuses_when_real_mxnet_is_loaded(monkeypatch):
    import types

    import gluax

    monkeypatch.setitem(sys.modules, "mxnet", types.ModuleType("mxnet"))
    try:
        gluax.install_as_mxnet()
    except RuntimeError as e:
        assert "real mxnet package is already imported" in str(e)
    else:
        raise AssertionError("install_as_mxnet accepted a foreign mxnet module")
