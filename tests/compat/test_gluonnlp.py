"""GluonNLP 0.10.0, imported unchanged through gluax.install_as_mxnet(): two of its language
models built from its own source (StandardRNN; AWDRNN, whose weight drop subclasses
gluon.Parameter with MXNet internals) give MXNet 1.9.1's outputs at batch 1 from the same
parameters (tests/fixtures/module_inventory/gluonnlp_models.npz, made by make_gluonnlp.py).
Runs in a fresh interpreter so that the ``mxnet`` alias never leaks into other tests."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "module_inventory"

SCRIPT = textwrap.dedent("""
    import sys, warnings
    warnings.simplefilter("ignore")
    import gluax
    mx = gluax.install_as_mxnet()
    import numpy as np
    import gluonnlp
    sys.path.insert(0, sys.argv[1])
    from make_gluonnlp import build
    d = np.load(sys.argv[1] + "/gluonnlp_models.npz")
    for name in ("standard", "awd"):
        net = build(name)
        net.initialize()
        tokens = mx.nd.array(d["tokens"])
        net(tokens, net.begin_state(batch_size=1, func=mx.nd.zeros))
        params = net._collect_params_with_prefix()
        want = sorted(k[len(name) + 7:] for k in d.files if k.startswith(name + ".param."))
        assert sorted(params) == want, (name, sorted(params), want)
        for key, p in params.items():
            p.set_data(mx.nd.array(d[name + ".param." + key]))
        y, _ = net(tokens, net.begin_state(batch_size=1, func=mx.nd.zeros))
        np.testing.assert_allclose(y.asnumpy(), d[name + ".out"], rtol=1e-5, atol=1e-6)
    print("GLUONNLP-OK")
""")


def test_gluonnlp_models_match_mxnet():
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(FIXTURES)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0 and "GLUONNLP-OK" in proc.stdout, proc.stdout + proc.stderr
