"""Random keys: one global key in eager mode, a traced key argument inside compiled calls.

Eager random ops split the global key. A compiled (hybridized) call receives a fresh key as an
argument and every random op in its trace draws from it, so a hybridized Dropout drops different
units on every call and ``mx.random.seed`` makes a run repeatable.
"""

from __future__ import annotations

from typing import Any

import jax

from gluax._src.engine.compile_cache import PersistentJit
from gluax._src.engine.state import STATE

# kept in gluax's executable cache: a warm process does not trace and lower it (~0.1 s)
_split2 = PersistentJit(lambda k: tuple(jax.random.split(k)), "gluax.random.split2")


def _prng_key(seed: int) -> Any:
    """``jax.random.PRNGKey(seed)``, made on the host for JAX's default raw threefry keys and a
    seed in [0, 2**31) (that key is ``[0, seed]``): no XLA program (JAX's seeding traces and
    compiles two small ones, ~0.05-0.1 s of a script's first steps even from a warm cache).
    Any other seed or key implementation asks JAX."""
    if (
        0 <= seed < 2**31
        and jax.config.jax_default_prng_impl == "threefry2x32"
        and not jax.config.jax_enable_custom_prng
    ):
        import numpy as np

        return jax.device_put(np.array([0, seed], np.uint32))
    return jax.random.PRNGKey(seed)


class _GlobalKey:
    key: Any = None
    seed: int = 0


_GLOBAL = _GlobalKey()


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed the global generator (MXNet's ``mx.random.seed``; ``ctx`` is accepted and ignored:
    gluax has one generator for all devices)."""
    if not isinstance(seed_state, (int,)) and not hasattr(seed_state, "__index__"):
        raise TypeError(f"mx.random.seed: seed must be an int, got {type(seed_state).__name__}.")
    _GLOBAL.seed = int(seed_state)
    _GLOBAL.key = _prng_key(int(seed_state))
    # gluax-only: numpy's global generator too, which the data samplers draw from as in
    # MXNet (DataLoader(shuffle=True)); one mx.random.seed makes a run repeatable
    import numpy as np

    np.random.seed(int(seed_state) % 2**32)


class TraceKeySource:
    """Hands out keys derived from one traced key, in a fixed order within a trace."""

    def __init__(self, key: Any) -> None:
        self.key = key
        self.used = False

    def next(self) -> Any:
        self.used = True
        self.key, sub = jax.random.split(self.key)
        return sub


_UNUSED: list[Any] = []


def unused_key() -> Any:
    """One constant key, passed where a key argument is required but nothing random runs (an
    inference Dropout, a block that draws nothing), so no split of the global key is spent."""
    if not _UNUSED:
        with jax.ensure_compile_time_eval():  # may first be asked for inside a trace
            _UNUSED.append(_prng_key(0))
    return _UNUSED[0]


def next_key() -> Any:
    """A fresh key: from the active trace's key source, else split off the global key."""
    if STATE.key_sources:
        return STATE.key_sources[-1].next()
    # Under a user's own jax.jit (no key source), the global key must stay concrete.
    with jax.ensure_compile_time_eval():
        if _GLOBAL.key is None:
            _GLOBAL.key = _prng_key(_GLOBAL.seed)
        _GLOBAL.key, sub = _split2(_GLOBAL.key)
    return sub
