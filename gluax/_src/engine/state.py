"""Thread-local execution state: recording, training, tracing, RNG and parameter scopes.

Everything that decides how an operator runs (eagerly, recorded on the tape, or staged into a
trace) reads this one object, so the decision is made in exactly one place.
"""

from __future__ import annotations

import threading
from typing import Any


class _State(threading.local):
    def __init__(self) -> None:
        self.recording: bool = False
        self.training: bool = False
        # > 0 while a HybridBlock's pure function is being traced by jax.
        self.tracing: int = 0
        # Stack of key sources used inside traces (a traced key is an argument, never a
        # constant); empty in eager mode, where the global key is split instead.
        self.key_sources: list[Any] = []
        # Stack of parameter scopes: while one is active, Parameter.data() and
        # Parameter.set_data() read and write the scope instead of the real arrays.
        self.param_scopes: list[Any] = []
        # Stack of default contexts (``with mx.gpu(0):``).
        self.contexts: list[Any] = []
        # While a bucketed (padded) batch is traced: the traced number of real rows, so that
        # batch statistics (BatchNorm) leave the padding out. None otherwise.
        self.valid_rows: Any = None
        # Likewise for a time axis padded by ``hybridize(bucket_time=...)``: the traced number
        # of real time steps, which recurrent layers use as every sequence's length.
        self.valid_steps: Any = None


STATE = _State()


class eager_scope:  # noqa: N801 - used like a function: ``with eager_scope():``
    """Run eagerly even when reached from inside a trace (parameter initialization): no
    tracing flag, no trace key source, no parameter scope, no recording."""

    def __enter__(self) -> None:
        import jax

        s = STATE
        self._saved = (s.tracing, s.key_sources, s.param_scopes, s.recording)
        s.tracing, s.key_sources, s.param_scopes, s.recording = 0, [], [], False
        self._cte = jax.ensure_compile_time_eval()
        self._cte.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._cte.__exit__(*exc)
        s = STATE
        s.tracing, s.key_sources, s.param_scopes, s.recording = self._saved


def step_lengths(batch: int) -> Any:
    """Each sequence's number of real time steps, ``(batch,)`` int32, while a time-padded
    (``bucket_time``) call is traced, or None. Recurrent operators use it as sequence lengths,
    so padded steps change no output and no final state."""
    if STATE.valid_steps is None:
        return None
    import jax.numpy as jnp

    return jnp.full((batch,), STATE.valid_steps, jnp.int32)


def batch_mask(n_rows: int) -> Any:
    """A (n_rows,) bool mask of the real (unpadded) rows of a bucketed batch, or None when the
    batch is not padded. Layers that reduce over the batch axis use it."""
    if STATE.valid_rows is None:
        return None
    import jax.numpy as jnp

    return jnp.arange(n_rows) < STATE.valid_rows
