"""Memory XLA plans for one training step's forward and backward, gluax against raw JAX.

``bench_memory.py`` measures the process (resident set), which also holds the compiler's
memory and every compiled program. This script asks XLA itself what the compiled
``value_and_grad`` program of each network needs: its argument buffers (parameters, auxiliary
state, batch), its outputs (loss, gradients, new state) and its temporaries (activations kept
for the backward pass, workspaces). On an accelerator this is the device memory a step uses.

gluax's program is its hybridized network's pure function (``HybridBlock._pure``, what
``hybridize()`` and ``Trainer.compile_step`` compile); the raw twin is the hand-written
network of ``bench_raw.py`` / ``bench_models.py`` (plain ``lax.conv_general_dilated``) with
the same parameter values. The loss is softmax cross-entropy in both.

Run: python benchmarks/bench_buffers.py [--models mlp,lenet,resnet18]
"""

from __future__ import annotations

import argparse
import os
import sys

import jax
import jax.numpy as jnp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_models as bm  # noqa: E402

MIB = 2**20


def _xent(logits: jax.Array, y: jax.Array) -> jax.Array:
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None].astype(jnp.int32), axis=1))


def analyse(fn, *args) -> dict[str, float]:
    ma = jax.jit(fn).lower(*args).compile().memory_analysis()
    out = {
        "arguments": ma.argument_size_in_bytes / MIB,
        "outputs": ma.output_size_in_bytes / MIB,
        "temporaries": ma.temp_size_in_bytes / MIB,
    }
    out["total"] = sum(out.values())
    return out


def measure(model: str) -> dict[str, dict[str, float]]:
    x, y = bm.data(model)
    net = bm.gluax_net(model, hybrid=True)
    items = net._params_list()
    params = {k: p.data()._value for k, p in items if p.grad_req != "null"}
    aux = {k: p.data()._value for k, p in items if p.grad_req == "null"}
    tree = jax.tree_util.tree_structure([0])
    key = jax.random.PRNGKey(0)

    def gluax_loss(p, a, xb, yb):
        out, new_aux = net._pure(p, a, [xb], tree, key, True)
        return _xent(out, yb), new_aux

    raw_p, raw_aux, forward = bm.raw_params(model, bm.gluax_net(model, hybrid=False))

    def raw_loss(p, a, xb, yb):
        out, new_aux = forward(p, a, xb)
        return _xent(out, yb), new_aux

    xb, yb = jnp.asarray(x), jnp.asarray(y)
    grad = lambda f: jax.value_and_grad(f, has_aux=True)  # noqa: E731
    return {
        "raw": analyse(grad(raw_loss), raw_p, raw_aux, xb, yb),
        "gluax": analyse(grad(gluax_loss), params, aux, xb, yb),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="mlp,lenet,resnet18")
    args = ap.parse_args(argv)
    res = {m: measure(m) for m in args.models.split(",")}
    print("| network | raw JAX: arguments / outputs / temporaries = total (MiB) "
          "| gluax: arguments / outputs / temporaries = total (MiB) | gluax / raw (total) |")
    print("|---|---|---|---|")
    for m, r in res.items():
        cells = [
            f"{r[k]['arguments']:.1f} / {r[k]['outputs']:.1f} / {r[k]['temporaries']:.1f} = "
            f"{r[k]['total']:.1f}"
            for k in ("raw", "gluax")
        ]
        print(f"| {bm.TITLES[m]} | {cells[0]} | {cells[1]} | "
              f"{r['gluax']['total'] / r['raw']['total']:.2f}x |")
    return res


if __name__ == "__main__":
    main()
